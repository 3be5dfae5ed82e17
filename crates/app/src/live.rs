//! Live buses: a feed's GTFS-Realtime taken in (decoded, applied to the timetable being
//! served, swapped in whole as the next generation) and read by departures. What fetches the
//! bytes (a poller of files or URLs) lives with the binary; this is the one place both doors'
//! departures read real time from.

use crate::{App, Dataset, Error};
use i18n::Lang;
use planner::Departure;
use std::sync::{Arc, Weak};
use timetable::{Day, StopIdx, Timetable};

/// What is live, for the timetable it was applied to (a reload makes it stale: its trips
/// are another timetable's, so it is not read until the next message is taken in).
#[derive(Debug, Default)]
pub(crate) struct LiveState {
    timetable: Weak<Timetable>,
    live: Arc<realtime::Live>,
}

impl LiveState {
    /// The timetable it was applied to (compare with the dataset's).
    pub(crate) fn timetable_ptr(&self) -> *const Timetable {
        self.timetable.as_ptr()
    }
    /// What is live.
    pub(crate) fn live(&self) -> &Arc<realtime::Live> {
        &self.live
    }
}

/// Which real time an answer read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveInfo {
    /// The overlay's generation (it grows with every message taken in).
    pub generation: u64,
    /// Seconds since the newest live message was taken in.
    pub age_s: i64,
}

/// The next departures at a stop, and the real time they read, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Departures {
    /// Soonest first.
    pub departures: Vec<Departure>,
    /// The real time read; `None` when nothing is live.
    pub live: Option<LiveInfo>,
}

/// A live vehicle, as riders (and officials) read it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveVehicle {
    /// Namespaced route id.
    pub route_id: String,
    /// Route short name.
    pub route_short_name: String,
    /// Route colour.
    pub route_color: Option<String>,
    /// 0 or 1, when known.
    pub direction: Option<u8>,
    /// Destination sign of the run it serves, when known.
    pub headsign: Option<String>,
    /// The trip it runs as (for a frequency-based run, the trip whose windows it is one run
    /// of), when known.
    pub trip_id: Option<String>,
    /// The start of the run it serves, `HH:MM` at its first stop, for a run of a
    /// frequency-based trip or an unscheduled one.
    pub run_start: Option<String>,
    /// Whether it serves no run of the timetable (a bus on the road at a time or place the
    /// timetable does not say).
    pub unscheduled: bool,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Heading, degrees clockwise from north.
    pub bearing: Option<f32>,
    /// Seconds since it was seen there.
    pub age_s: i64,
    /// The operator's code for the vehicle: officials only (absent for the public).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Which vehicles to show.
#[derive(Debug, Clone, Copy, Default)]
pub struct VehicleFilter {
    /// One route only.
    pub route: Option<timetable::RouteIdx>,
    /// Inside `[west, south, east, north]` only.
    pub bbox: Option<[f64; 4]>,
    /// Whether the asker is an official (sees the vehicles' codes).
    pub official: bool,
}

impl App {
    /// Takes in one GTFS-Realtime VehiclePositions message of `feed`: its vehicles replace
    /// the feed's, each shown until `timeout_s` after it was seen. What it could not place is
    /// counted in the answer and the metrics.
    pub fn take_vehicle_positions(
        &self,
        feed: &str,
        bytes: &[u8],
        now: i64,
        (max_age_s, timeout_s): (u64, u64),
    ) -> Result<realtime::Seen, Error> {
        let msg = self.decode_realtime(feed, bytes)?;
        let ds = self.dataset();
        let (mut vehicles, seen) = realtime::vehicles(
            &ds.timetable,
            feed,
            &msg,
            realtime::ApplyOptions { now, max_age_s },
        );
        // No age check is a replay: a recording's positions are shown as seen now.
        if max_age_s == 0 {
            for v in &mut vehicles {
                v.seen_at = now;
            }
        }
        self.count_ignored(
            "paradero_realtime_positions_dropped_total",
            feed,
            &[
                ("bad_position", seen.bad_positions),
                ("from_the_future", seen.from_the_future),
                ("too_old", seen.too_old),
                ("unknown", seen.unknown),
            ],
        );
        self.metrics.gauge_labelled(
            "paradero_realtime_vehicles",
            &[("feed", feed.to_string())],
            seen.vehicles as f64,
        );
        self.swap_live(&ds, |live| {
            live.with_vehicles(feed, vehicles.clone(), now, timeout_s)
        });
        Ok(seen)
    }

    /// The live vehicles `filter` asks for, on `ds`, as of `now`.
    pub fn vehicles(&self, ds: &Dataset, filter: VehicleFilter, now: i64) -> Vec<LiveVehicle> {
        let state = self.live.load();
        if !std::ptr::eq(state.timetable.as_ptr(), Arc::as_ptr(&ds.timetable)) {
            return Vec::new();
        }
        let tt = &ds.timetable;
        let inside = |v: &realtime::Vehicle| {
            filter.bbox.is_none_or(|[w, s, e, n]| {
                (s..=n).contains(&v.coord.lat()) && (w..=e).contains(&v.coord.lon())
            })
        };
        state
            .live
            .at(now)
            .vehicles()
            .filter(|v| v.route.is_some() && filter.route.is_none_or(|r| v.route == Some(r)))
            .filter(|v| inside(v))
            .filter_map(|v| {
                let route = tt.route(v.route?);
                Some(LiveVehicle {
                    route_id: route.id.clone(),
                    route_short_name: route.short_name.clone(),
                    route_color: route.color.clone(),
                    direction: v.direction,
                    headsign: v.trip.and_then(|t| tt.trip(t).headsign.clone()),
                    trip_id: v.trip.map(|t| tt.trip(t).id.clone()),
                    run_start: v
                        .run_start
                        .map(|s| format!("{:02}:{:02}", s / 3600, s / 60 % 60)),
                    unscheduled: v.unscheduled,
                    lat: v.coord.lat(),
                    lon: v.coord.lon(),
                    bearing: v.bearing,
                    age_s: (now - v.seen_at).max(0),
                    code: v.code.clone().filter(|_| filter.official),
                })
            })
            .collect()
    }

    /// Takes in one GTFS-Realtime TripUpdates message of `feed` (its protobuf bytes): applied
    /// to the timetable served and swapped in whole; what it could not use is counted in the
    /// answer and in the metrics. A message that cannot be read changes nothing.
    pub fn take_trip_updates(
        &self,
        feed: &str,
        bytes: &[u8],
        now: i64,
        max_age_s: u64,
    ) -> Result<realtime::Applied, Error> {
        let msg = self.decode_realtime(feed, bytes)?;
        let ds = self.dataset();
        let opts = realtime::ApplyOptions { now, max_age_s };
        let overlay = realtime::apply(&ds.timetable, feed, &msg, opts);
        let applied = overlay.applied.clone();
        let outcome = if applied.too_old {
            "too_old"
        } else {
            "applied"
        };
        self.metrics.count(
            "paradero_realtime_messages_total",
            &[("feed", feed.to_string()), ("outcome", outcome.into())],
            1,
        );
        if applied.too_old {
            return Ok(applied);
        }
        self.count_ignored(
            "paradero_realtime_ignored_total",
            feed,
            &[
                ("unknown_trip", applied.unknown_trips),
                ("not_running", applied.not_running),
                ("unsupported", applied.unsupported),
                ("bad_date", applied.bad_dates),
                ("unmatched_stop", applied.unmatched_stops),
            ],
        );
        self.metrics.gauge_labelled(
            "paradero_realtime_live_runs",
            &[("feed", feed.to_string())],
            applied.runs as f64,
        );
        self.swap_live(&ds, |live| live.with(feed, overlay.clone(), now, max_age_s));
        Ok(applied)
    }

    /// The next `limit` departures at `stop` from `time` of `day` on `ds`, live where the
    /// real time speaks of a run (both doors' departures).
    pub fn departures(
        &self,
        ds: &Dataset,
        stop: StopIdx,
        (day, time): (Day, i32),
        limit: usize,
        now: i64,
    ) -> Departures {
        let state = self.live.load();
        let same = std::ptr::eq(state.timetable.as_ptr(), Arc::as_ptr(&ds.timetable));
        let at = same.then(|| state.live.at(now));
        Departures {
            departures: planner::departures(&ds.timetable, stop, day, time, limit, at),
            live: at.and_then(info),
        }
    }

    /// The service alerts active at `now` for a rider at `stop`: the stop's own, its routes',
    /// their agencies', and the network's; in `lang` where the feed has it.
    pub fn alerts_at(
        &self,
        ds: &Dataset,
        stop: StopIdx,
        now: i64,
        lang: Lang,
    ) -> Vec<planner::ServiceAlert> {
        let state = self.live.load();
        if !std::ptr::eq(state.timetable.as_ptr(), Arc::as_ptr(&ds.timetable)) {
            return Vec::new();
        }
        planner::alerts::at_stop(&ds.timetable, state.live.at(now), stop, lang)
    }

    /// Takes in one GTFS-Realtime Alerts message of `feed`: its alerts replace the feed's,
    /// served until the message is `max_age_s` old (0: always). Alerts informing nothing the
    /// timetable has, or without text, are counted and left out.
    pub fn take_alerts(
        &self,
        feed: &str,
        bytes: &[u8],
        now: i64,
        max_age_s: u64,
    ) -> Result<realtime::alerts::AlertsRead, Error> {
        let msg = self.decode_realtime(feed, bytes)?;
        let ds = self.dataset();
        let (alerts, read) = realtime::alerts::alerts(&ds.timetable, feed, &msg);
        let feed_time = msg
            .header
            .timestamp
            .and_then(|t| i64::try_from(t).ok())
            .unwrap_or(0);
        self.count_ignored(
            "paradero_realtime_alerts_ignored_total",
            feed,
            &[("unmatched", read.unmatched), ("empty", read.empty)],
        );
        self.metrics.gauge_labelled(
            "paradero_realtime_alerts",
            &[("feed", feed.to_string())],
            read.kept as f64,
        );
        self.swap_live(&ds, |live| {
            live.with_alerts(feed, alerts.clone(), (now, feed_time), max_age_s)
        });
        Ok(read)
    }

    /// What is live on `ds`, as of `now`, for a search to plan with (`None` when the real
    /// time belongs to another timetable).
    pub fn live_view(&self, ds: &Dataset, now: i64) -> Option<raptor::LiveView> {
        let state = self.live.load();
        std::ptr::eq(state.timetable.as_ptr(), Arc::as_ptr(&ds.timetable)).then(|| {
            raptor::LiveView {
                live: Arc::clone(&state.live),
                now,
            }
        })
    }

    /// Which real time is live on `ds` at `now`, if any (what answers say they read).
    pub fn live_info(&self, ds: &Dataset, now: i64) -> Option<LiveInfo> {
        let state = self.live.load();
        let same = std::ptr::eq(state.timetable.as_ptr(), Arc::as_ptr(&ds.timetable));
        same.then(|| state.live.at(now)).and_then(info)
    }
}

/// The generation and age of what is live, when anything is.
fn info(at: realtime::LiveAt<'_>) -> Option<LiveInfo> {
    at.age_s().map(|age_s| LiveInfo {
        generation: at.generation(),
        age_s,
    })
}

impl App {
    /// A message's protobuf, or the error that says it is not one (counted).
    fn decode_realtime(&self, feed: &str, bytes: &[u8]) -> Result<realtime::FeedMessage, Error> {
        realtime::decode(bytes).map_err(|e| {
            self.metrics.count(
                "paradero_realtime_messages_total",
                &[("feed", feed.to_string()), ("outcome", "unreadable".into())],
                1,
            );
            let lang = Lang::default();
            Error::Invalid(i18n::t(
                lang,
                "realtime.unreadable",
                &[("feed", &feed), ("text", &e)],
            ))
        })
    }

    /// Counts what a message could not use, by reason.
    fn count_ignored(&self, name: &'static str, feed: &str, reasons: &[(&str, usize)]) {
        for &(reason, n) in reasons.iter().filter(|(_, n)| *n > 0) {
            self.metrics.count(
                name,
                &[("feed", feed.to_string()), ("reason", reason.to_string())],
                n as u64,
            );
        }
    }

    /// Swaps in `next(what is live)` for `ds`'s timetable (starting afresh when what was live
    /// belonged to another timetable); retried if another message was taken in meanwhile.
    pub(crate) fn swap_live(
        &self,
        ds: &Dataset,
        next: impl Fn(realtime::Live) -> realtime::Live,
    ) -> u64 {
        let tt = Arc::downgrade(&ds.timetable);
        let prev = self.live.rcu(|cur| {
            let base = if Weak::ptr_eq(&cur.timetable, &tt) {
                (*cur.live).clone()
            } else {
                realtime::Live::default()
            };
            LiveState {
                timetable: tt.clone(),
                live: Arc::new(next(base)),
            }
        });
        // What was swapped in is the previous one's successor (or a fresh start's first).
        if Weak::ptr_eq(&prev.timetable, &tt) {
            prev.live.generation + 1
        } else {
            1
        }
    }
}
