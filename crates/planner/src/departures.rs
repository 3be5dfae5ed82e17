//! Next departures at a stop: scheduled trips and frequency runs, by departure time.

use crate::itinerary::local_time;
use serde::Serialize;
use timetable::{DAY, Day, PatternIdx, ServiceIdx, StopIdx, Timetable, flags};

/// One departure from a stop.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Departure {
    /// Namespaced route id.
    pub route_id: String,
    /// Route short name.
    pub route_short_name: String,
    /// Route colour.
    pub route_color: Option<String>,
    /// Destination sign (or the pattern's last stop).
    pub headsign: String,
    /// Local ISO date-time of the departure.
    pub departure: String,
    /// Seconds after midnight of the query date.
    pub departure_secs: i32,
    /// Minutes to wait from the query time.
    pub wait_min: i32,
    /// For frequency runs: seconds between vehicles.
    pub headway_s: Option<u32>,
    /// Whether the time is an estimate: a headway promise only (`exact_times = 0`), or a
    /// feed whose times are estimated (`times = "estimated"`).
    pub approximate: bool,
    /// Whether `departure` is a live prediction (GTFS-Realtime) rather than the timetable.
    pub realtime: bool,
    /// The timetable's time, local ISO (the same as `departure` when not live).
    pub scheduled: String,
    /// When live: seconds later (positive) or earlier than the timetable.
    pub delay_s: Option<i32>,
    /// A bus on the road that no timetable run matches (live, but nothing to be late for).
    pub unscheduled: bool,
}

/// A candidate departure: when, on which pattern, which run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    t: i32,
    p: PatternIdx,
    window: Option<usize>,
    col: Option<u32>,
    scheduled: i32,
    live: bool,
    unscheduled: bool,
}

/// How far before the time asked a run may be scheduled and still come late enough to be
/// caught (a live prediction); beyond it, a run is gone.
const LATE_RUNS_S: i32 = 2 * 3600;

/// The next `limit` departures at `stop` from `time` (seconds after midnight of `day`), from
/// runs of the day before (past midnight), the day and the next day. With `live`, a run the
/// feed's real time speaks of departs when predicted (a late one may still be caught, a
/// canceled one or one skipping the stop is not offered).
pub fn departures(
    tt: &Timetable,
    stop: StopIdx,
    day: Day,
    time: i32,
    limit: usize,
    live: Option<realtime::LiveAt<'_>>,
) -> Vec<Departure> {
    let tz = crate::clock::timezone(tt);
    let mut out: Vec<Candidate> = Vec::new();
    let active = |s: ServiceIdx, d: i32| tt.service_active(s, day.offset(d));
    for &(p, pos) in tt.stop_patterns(stop) {
        let pos = pos as usize;
        if tt.pattern_flags(p)[pos] & flags::PICKUP == 0 || pos + 1 == tt.pattern_stops(p).len() {
            continue;
        }
        for d in -tt.max_days_back()..=1 {
            let base = d * DAY as i32;
            let from = time - base;
            let (extra, spoken_of) = live_extras(tt, live, p, pos, day.offset(d), base, time);
            if tt.pattern(p).is_frequency() {
                let off = tt.departure(p, pos, 0) as i32;
                for (wi, w) in tt.windows(p).iter().enumerate() {
                    if !active(w.service, d) {
                        continue;
                    }
                    let mut t0 = (from - off).max(0) as u32;
                    for _ in 0..limit {
                        let Some(start) = w.next_start(t0) else { break };
                        let t = start as i32 + off + base;
                        t0 = start + 1;
                        // A run that is live is offered as predicted (or, canceled, not at
                        // all), never as scheduled.
                        let half = (w.headway / 2) as i32;
                        if spoken_of.iter().any(|s| (s - t).abs() < half.max(1)) {
                            continue;
                        }
                        out.push(Candidate {
                            t,
                            p,
                            window: Some(wi),
                            col: None,
                            scheduled: t,
                            live: false,
                            unscheduled: false,
                        });
                    }
                }
            } else {
                let deps = tt.departures(p, pos);
                let svc = tt.pattern_trip_services(p);
                let trips = tt.pattern_trips(p);
                let look = if live.is_some() { LATE_RUNS_S } else { 0 };
                let first = deps.partition_point(|&x| (x as i32) < from - look);
                let mut n = 0;
                for c in first..deps.len() {
                    if n == limit {
                        break;
                    }
                    if !active(svc[c], d) {
                        continue;
                    }
                    let scheduled = deps[c] as i32 + base;
                    let run = live.and_then(|l| l.run(trips[c], day.offset(d)));
                    let t = match run {
                        Some(r) if r.canceled || r.skipped[pos] => continue,
                        Some(r) => r.departures[pos] as i32 + base,
                        None => scheduled,
                    };
                    if t < time {
                        continue;
                    }
                    out.push(Candidate {
                        t,
                        p,
                        window: None,
                        col: Some(c as u32),
                        scheduled,
                        live: run.is_some_and(|r| pos < r.horizon),
                        unscheduled: false,
                    });
                    n += 1;
                }
            }
            out.extend(extra);
        }
    }
    out.sort();
    out.dedup();
    out.truncate(limit);
    out.into_iter()
        .map(|c| {
            let Candidate {
                t,
                p,
                window,
                col,
                scheduled,
                live,
                unscheduled,
            } = c;
            let w = window.map(|wi| tt.windows(p)[wi]);
            let trip = match (w, col) {
                (Some(w), _) => w.trip,
                (None, Some(c)) => tt.pattern_trips(p)[c as usize],
                (None, None) => tt.pattern_trips(p)[0],
            };
            let route = tt.route(tt.pattern(p).route);
            let last = *tt.pattern_stops(p).last().expect("patterns have stops");
            Departure {
                route_id: route.id.clone(),
                route_short_name: route.short_name.clone(),
                route_color: route.color.clone(),
                headsign: tt
                    .trip(trip)
                    .headsign
                    .clone()
                    .unwrap_or_else(|| tt.stop(last).name.clone()),
                departure: local_time(tz, day, t),
                departure_secs: t,
                wait_min: (t - time + 59).div_euclid(60),
                headway_s: w.map(|w| w.headway),
                approximate: !live
                    && (w.is_some_and(|w| !w.exact)
                        || tt.route_times_estimated(tt.pattern(p).route)),
                realtime: live,
                scheduled: local_time(tz, day, scheduled),
                delay_s: (live && !unscheduled).then_some(t - scheduled),
                unscheduled,
            }
        })
        .collect()
}

/// The live runs of pattern `p` on `day` beside its timetable columns (frequency-based,
/// unscheduled or duplicated), as candidates departing stop position `pos` from `time`; and
/// the scheduled times there of every such run, canceled ones included.
fn live_extras(
    tt: &Timetable,
    live: Option<realtime::LiveAt<'_>>,
    p: PatternIdx,
    pos: usize,
    day: Day,
    base: i32,
    time: i32,
) -> (Vec<Candidate>, Vec<i32>) {
    let Some(live) = live else {
        return (Vec::new(), Vec::new());
    };
    let first = tt.departure(p, 0, 0) as i32;
    let off = tt.departure(p, pos, 0) as i32 - first;
    let spoken_of = live
        .extra_runs(p, day)
        .map(|r| r.start as i32 + off + base)
        .collect();
    let offered = live
        .extra_runs(p, day)
        .filter(|r| !r.run.canceled && !r.run.skipped[pos])
        .map(|r| Candidate {
            t: r.run.departures[pos] as i32 + base,
            p,
            window: tt
                .windows(p)
                .iter()
                .position(|w| w.trip == r.trip && (w.start..w.end).contains(&r.start)),
            col: None,
            scheduled: r.start as i32 + off + base,
            live: pos < r.run.horizon,
            unscheduled: r.unscheduled,
        })
        .filter(|c| c.t >= time)
        .collect();
    (offered, spoken_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_scheduled_and_frequency_runs_across_midnight() {
        let tt = timetable::text::parse(
            "route Late days=20261122: A 23:50 B 24:20\n\
             route Day: A 08:00 B 08:10\nroute Day: A 08:30 B 08:40\n\
             freq F every 10m from 08:05 to 08:30: A 0:00 C 0:05\n\
             route End: C 08:00 A 08:10\n",
        )
        .unwrap();
        let a = tt.stop_by_id("A").unwrap();
        let monday = Day::parse("20261123").unwrap();
        let got: Vec<(String, String)> = departures(&tt, a, monday, 8 * 3600, 5, None)
            .into_iter()
            .map(|d| (d.route_short_name, d.departure[11..16].to_string()))
            .collect();
        let want = [
            ("Day", "08:00"),
            ("F", "08:05"),
            ("F", "08:15"),
            ("F", "08:25"),
            ("Day", "08:30"),
        ];
        assert_eq!(
            got,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
        // Sunday's run at 23:50 appears for a query at 23:45 Sunday, as Sunday's.
        let sunday = Day::parse("20261122").unwrap();
        let late = departures(&tt, a, sunday, 23 * 3600 + 45 * 60, 1, None);
        assert_eq!(late[0].route_short_name, "Late");
        assert_eq!(late[0].wait_min, 5);
        // The last stop of a pattern has no departures of it: `End` ends at A.
        assert!(
            departures(&tt, a, monday, 0, 50, None)
                .iter()
                .all(|d| d.route_short_name != "End")
        );
    }
}
