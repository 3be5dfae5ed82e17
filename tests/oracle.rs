//! An independent oracle for RAPTOR: the earliest arrival with at most r rides, computed by a
//! deliberately simple round-by-round relaxation over explicitly enumerated vehicle runs.
//!
//! It shares no code with the `raptor` crate. It reads the timetable's data (stop times,
//! windows, footpaths, calendars) and applies the boarding rules written out in the `raptor`
//! crate docs, but does not assume that runs never overtake: every run is scanned on its own.

use timetable::{Accessibility, DAY, PatternIdx, SameStopTransfer, StopIdx, Timetable, flags};

const INF: i64 = i64::MAX / 4;

/// What the oracle is asked.
#[derive(Debug, Clone)]
pub struct OracleQuery {
    /// Service day of `time`.
    pub day: timetable::Day,
    /// Departure, seconds after midnight of `day`.
    pub time: i64,
    /// (stop, walking seconds) from the origin.
    pub access: Vec<(StopIdx, i64)>,
    /// (stop, walking seconds) to the destination.
    pub egress: Vec<(StopIdx, i64)>,
    /// Most rides.
    pub max_rides: usize,
    /// Slack after a ride or a generated walk.
    pub slack: i64,
    /// Wheelchair: 0 off, 1 avoid "no", 2 only "yes".
    pub wheelchair: u8,
    /// Runs departing more than this many seconds after `time` are ignored.
    pub horizon: i64,
    /// The rider's own walking speed (m/s), if not the timetable's: a generated footpath then
    /// takes its walking distance over this speed, rounded up; `transfers.txt` times stay.
    pub walk_speed: Option<f64>,
}

/// Seconds to walk footpath `f` for this query.
fn foot_secs(q: &OracleQuery, f: &timetable::Footpath) -> i64 {
    match q.walk_speed {
        Some(v) if !f.explicit => (f64::from(f.distance_m) / v).ceil() as i64,
        _ => i64::from(f.duration),
    }
}

/// A wheelchair rider takes only step-free walks.
fn wheels_ok(q: &OracleQuery, f: &timetable::Footpath) -> bool {
    q.wheelchair == 0 || f.step_free
}

fn ok(w: u8, a: Accessibility) -> bool {
    match w {
        0 => true,
        1 => a != Accessibility::No,
        _ => a == Accessibility::Yes,
    }
}

/// One explicit vehicle run: absolute times per position.
struct ExplicitRun {
    pattern: PatternIdx,
    dep: Vec<i64>,
    arr: Vec<i64>,
}

/// `result[r]` = earliest arrival at the destination with at most `r` rides (`r = 0` is unused).
pub fn earliest_arrivals(tt: &Timetable, q: &OracleQuery) -> Vec<Option<i64>> {
    let n = tt.stops().len();
    let day_secs = i64::from(DAY);
    // Enumerate runs of service days −4..=1 (the rule in the raptor docs) within the horizon.
    let mut runs: Vec<ExplicitRun> = Vec::new();
    // Inexact windows: (pattern, window index, day offset), boarded by formula.
    let mut inexact: Vec<(PatternIdx, usize, i64)> = Vec::new();
    for p in (0..tt.patterns().len()).map(PatternIdx::new) {
        let n_pos = tt.pattern_stops(p).len();
        for d in -4i64..=1 {
            let day = q.day.offset(d as i32);
            let base = d * day_secs;
            if tt.pattern(p).is_frequency() {
                for (wi, w) in tt.windows(p).iter().enumerate() {
                    if !tt.service_active(w.service, day)
                        || !ok(q.wheelchair, tt.trip(w.trip).wheelchair)
                    {
                        continue;
                    }
                    if !w.exact {
                        inexact.push((p, wi, d));
                        continue;
                    }
                    let mut start = i64::from(w.start);
                    while start < i64::from(w.end) {
                        let first = start + base;
                        let last = first + i64::from(tt.arrival(p, n_pos - 1, 0));
                        if last >= q.time && first <= q.time + q.horizon {
                            runs.push(ExplicitRun {
                                pattern: p,
                                dep: (0..n_pos)
                                    .map(|i| first + i64::from(tt.departure(p, i, 0)))
                                    .collect(),
                                arr: (0..n_pos)
                                    .map(|i| first + i64::from(tt.arrival(p, i, 0)))
                                    .collect(),
                            });
                        }
                        start += i64::from(w.headway);
                    }
                }
            } else {
                for (col, &svc) in tt.pattern_trip_services(p).iter().enumerate() {
                    if !tt.service_active(svc, day)
                        || !ok(q.wheelchair, tt.pattern_trip_wheelchair(p)[col])
                    {
                        continue;
                    }
                    let dep: Vec<i64> = (0..n_pos)
                        .map(|i| i64::from(tt.departure(p, i, col)) + base)
                        .collect();
                    let arr: Vec<i64> = (0..n_pos)
                        .map(|i| i64::from(tt.arrival(p, i, col)) + base)
                        .collect();
                    if arr[n_pos - 1] >= q.time && dep[0] <= q.time + q.horizon {
                        runs.push(ExplicitRun {
                            pattern: p,
                            dep,
                            arr,
                        });
                    }
                }
            }
        }
    }

    // ready[s]: earliest time a rider with ≤ r−1 rides can board at s; raw[s]: earliest
    // arrival at s by any means with ≤ r−1 rides (for the destination).
    let mut walked_to = vec![INF; n]; // round-0 arrivals on foot
    for &(s, w) in &q.access {
        walked_to[s.idx()] = walked_to[s.idx()].min(q.time + w);
        if w == 0 {
            for f in tt.footpaths(s).iter().filter(|f| wheels_ok(q, f)) {
                let t = q.time + foot_secs(q, f);
                walked_to[f.to.idx()] = walked_to[f.to.idx()].min(t);
            }
        }
    }
    let mut ready = walked_to.clone();
    let mut ride_best = vec![INF; n]; // earliest arrival by ride with ≤ r rides
    let mut foot_best = walked_to.clone(); // earliest arrival on foot with ≤ r rides
    let mut out = vec![None; q.max_rides + 1];
    let stop_ok = |s: StopIdx| ok(q.wheelchair, tt.stop_wheelchair(s));
    for slot in out.iter_mut().skip(1) {
        let mut ride_new = vec![INF; n];
        for run in &runs {
            let stops = tt.pattern_stops(run.pattern);
            let fl = tt.pattern_flags(run.pattern);
            let mut on = false;
            for (i, &s) in stops.iter().enumerate() {
                if !stop_ok(s) {
                    continue;
                }
                if on && fl[i] & flags::DROP_OFF != 0 && run.arr[i] < ride_new[s.idx()] {
                    ride_new[s.idx()] = run.arr[i];
                }
                if !on && fl[i] & flags::PICKUP != 0 && ready[s.idx()] <= run.dep[i] {
                    on = true;
                }
            }
        }
        for &(p, wi, d) in &inexact {
            let w = tt.windows(p)[wi];
            let (start, end, h) = (i64::from(w.start), i64::from(w.end), i64::from(w.headway));
            let base = d * day_secs;
            let stops = tt.pattern_stops(p);
            let fl = tt.pattern_flags(p);
            let mut best_start = INF;
            for (i, &s) in stops.iter().enumerate() {
                if !stop_ok(s) {
                    continue;
                }
                if best_start < INF && fl[i] & flags::DROP_OFF != 0 {
                    let a = best_start + base + i64::from(tt.arrival(p, i, 0));
                    if a < ride_new[s.idx()] {
                        ride_new[s.idx()] = a;
                    }
                }
                if fl[i] & flags::PICKUP != 0 && ready[s.idx()] < INF {
                    // At the first stop, a rider ready at t0 leaves at the start if early, else
                    // a whole headway later (worst case).
                    let t0 = ready[s.idx()] - base - i64::from(tt.departure(p, i, 0));
                    let st = if t0 <= start { start } else { t0 + h };
                    if st < end {
                        best_start = best_start.min(st);
                    }
                }
            }
        }
        // Walk once after a ride.
        let mut foot_new = vec![INF; n];
        let mut next_ready = ready.clone();
        for s in 0..n {
            if ride_new[s] >= INF {
                continue;
            }
            let same = match tt.same_stop_transfer(StopIdx::new(s)) {
                SameStopTransfer::Default => ride_new[s] + q.slack,
                SameStopTransfer::MinTime(t) => ride_new[s] + i64::from(t),
                SameStopTransfer::Forbidden => INF,
            };
            next_ready[s] = next_ready[s].min(same);
            for f in tt
                .footpaths(StopIdx::new(s))
                .iter()
                .filter(|f| wheels_ok(q, f))
            {
                let t = ride_new[s] + foot_secs(q, f);
                foot_new[f.to.idx()] = foot_new[f.to.idx()].min(t);
                let rdy = if f.explicit { t } else { t + q.slack };
                next_ready[f.to.idx()] = next_ready[f.to.idx()].min(rdy);
            }
        }
        for s in 0..n {
            ride_best[s] = ride_best[s].min(ride_new[s]);
            foot_best[s] = foot_best[s].min(foot_new[s]);
        }
        ready = next_ready;
        let mut best = INF;
        for &(e, w) in &q.egress {
            best = best.min(ride_best[e.idx()] + w);
            if w == 0 {
                // Walking into a destination stop counts only after a ride.
                best = best.min(foot_best_after_ride(&foot_best, &walked_to, e.idx()));
            }
        }
        *slot = (best < INF).then_some(best);
    }
    out
}

/// Foot arrivals made after a ride (round-0 walks alone are not journeys).
fn foot_best_after_ride(foot_best: &[i64], walked_to: &[i64], s: usize) -> i64 {
    if foot_best[s] < walked_to[s] {
        foot_best[s]
    } else {
        INF
    }
}
