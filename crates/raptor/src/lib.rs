//! RAPTOR (Delling, Pajor, Werneck 2012) over [`timetable::Timetable`].
//!
//! * [`search`] answers a depart-at query (forward) or an arrive-by query (a backward search,
//!   not a loop of forward ones) with the Pareto set over (arrival or departure time, rides).
//! * [`range`] is rRAPTOR: every Pareto-optimal journey departing within a window.
//!
//! One generic search serves both directions. It works on *keys*: the time itself forward,
//! the negated time backward, so "smaller key is better" holds for both and the transfer
//! rules read the same. Labels carry forward across rounds (the paper's τ_k ≤ τ_{k−1}), which
//! lets rRAPTOR reuse them from one departure to the next earlier one.
//!
//! Rules, shared with the test oracle:
//! - boarding needs the pickup flag, alighting the drop-off flag (and, with the wheelchair
//!   option, accessible stops and trips);
//! - after a ride, boarding at the same stop needs `transfer_slack` (or the stop's
//!   `transfers.txt` minimum time; never where forbidden); after a walked transfer it needs the
//!   walk plus `transfer_slack`, unless the footpath is an explicit `transfers.txt` time;
//! - one footpath per round (the timetable's footpaths are closed, see crates/streets/README.md, "Footpaths"); an
//!   origin or destination that *is* a stop (walk 0) may also use a footpath to a nearby stop;
//! - frequency windows follow [`timetable::FreqWindow::next_start`];
//! - runs come from the query's service day, earlier service days (runs past midnight, up to
//!   four days back) and the next service day — a query on a day without service and none the
//!   next day finds nothing.

mod goal;
mod journey;
mod mc;
mod scratch;
mod search;

pub use journey::{Journey, Leg, Place, Ride, Run};
pub use mc::search_exposure;
pub use scratch::Scratch;
pub use search::{range, search};

use timetable::{AgencyIdx, Day, Secs, StopIdx};

/// Wheelchair restrictions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Wheelchair {
    /// No restriction.
    #[default]
    Off,
    /// Avoid stops and trips marked not accessible (`wheelchair_* = 2`).
    Accessible,
    /// Only stops and trips marked accessible (`wheelchair_* = 1`).
    Strict,
}

/// Query options.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Most vehicle changes; rides ≤ `max_transfers + 1` (default 7: eight RAPTOR rounds).
    pub max_transfers: u8,
    /// Minimum time between alighting and boarding, seconds.
    pub transfer_slack: Secs,
    /// Walking speed for footpaths; `None` keeps the timetable's (the configured default).
    pub walking_speed_m_s: Option<f64>,
    /// Longest single footpath, metres.
    pub max_walk_leg_m: u32,
    /// Longest total walking (access + transfers + egress), metres; checked on the journeys.
    pub max_walk_total_m: u32,
    /// Wheelchair restrictions.
    pub wheelchair: Wheelchair,
    /// GTFS route types not to ride.
    pub excluded_route_types: Vec<u16>,
    /// Agencies not to ride.
    pub excluded_agencies: Vec<AgencyIdx>,
    /// Per stop, whether not to board or alight there (waiting somewhere unsafe at that hour,
    /// for the safer planner); `None`: every stop.
    pub avoid_stops: Option<std::sync::Arc<[bool]>>,
    /// Real time to plan with: live runs are boarded when predicted, canceled runs and
    /// skipped stops never; `None`: the timetable only.
    pub live: Option<LiveView>,
}

/// What is live (GTFS-Realtime, operators' GPS) as of one moment, for a search to read.
#[derive(Clone, Debug)]
pub struct LiveView {
    /// What is live (one generation, immutable).
    pub live: std::sync::Arc<realtime::Live>,
    /// "Now", Unix seconds: what has expired by then is not read.
    pub now: i64,
}

impl LiveView {
    /// The view.
    pub fn at(&self) -> realtime::LiveAt<'_> {
        self.live.at(self.now)
    }
}

impl PartialEq for LiveView {
    /// The same generation read at the same moment.
    fn eq(&self, other: &LiveView) -> bool {
        std::sync::Arc::ptr_eq(&self.live, &other.live) && self.now == other.now
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_transfers: 7,
            transfer_slack: 60,
            walking_speed_m_s: None,
            max_walk_leg_m: 2_000,
            max_walk_total_m: 5_000,
            wheelchair: Wheelchair::Off,
            excluded_route_types: Vec::new(),
            excluded_agencies: Vec::new(),
            avoid_stops: None,
            live: None,
        }
    }
}

/// A walk between the origin or destination and a stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopWalk {
    /// The stop.
    pub stop: StopIdx,
    /// Walking time, seconds.
    pub duration: Secs,
    /// Walking distance, metres.
    pub distance_m: u32,
}

/// A query.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Service date of `time` (local to the feed).
    pub day: Day,
    /// Seconds after midnight of `day`: the departure, or with `arrive_by` the latest arrival.
    pub time: i32,
    /// Search backwards from `time` for the latest departures.
    pub arrive_by: bool,
    /// Stops reachable from the origin on foot.
    pub access: &'a [StopWalk],
    /// Stops from which the destination is reachable on foot.
    pub egress: &'a [StopWalk],
}
