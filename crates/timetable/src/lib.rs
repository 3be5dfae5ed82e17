//! The immutable in-memory timetable that paradero routes over.
//!
//! Layout (see `crates/timetable/README.md`): trips are grouped into *patterns* — one stop sequence, one
//! GTFS route, trips that never overtake each other — whose departure and arrival times are
//! stored stop-major in two flat vectors. Frequency-based trips (`frequencies.txt`) are stored
//! once as a template (offsets from the first departure) plus a list of headway windows and
//! answered arithmetically. Stops reach their patterns and footpaths through CSR offset
//! arrays. Service calendars are deduplicated bitsets referenced by [`ServiceIdx`].
//!
//! This crate does no I/O: the `gtfs` crate and the [`text`] format fill a [`TimetableBuilder`].

pub mod builder;
pub mod calendar;
pub mod footpaths;
pub mod geo;
pub mod ids;
pub mod text;
pub mod time;
pub mod warnings;
pub mod zone;

pub use builder::{BuildConfig, StopTimeSpec, TimetableBuilder, TripSpec};
pub use calendar::ServiceDays;
pub use geo::{Coord, CoordError, PointIndex};
pub use ids::*;
pub use time::{DAY, Day, Hm, Hms, Secs};
pub use warnings::Warnings;

use std::collections::HashMap;

/// Wheelchair accessibility of a stop or trip, as GTFS encodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Accessibility {
    /// 0 or empty: no information.
    #[default]
    Unknown,
    /// 1: accessible.
    Yes,
    /// 2: not accessible.
    No,
}

impl Accessibility {
    /// From the GTFS code (`None` for an unknown code).
    pub fn from_gtfs(code: u32) -> Option<Accessibility> {
        match code {
            0 => Some(Accessibility::Unknown),
            1 => Some(Accessibility::Yes),
            2 => Some(Accessibility::No),
            _ => None,
        }
    }
}

/// A loaded feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feed {
    /// Namespace of this feed's ids (`arequipa` → stop `arequipa:5555040128`).
    pub id: String,
    /// IANA timezone of the feed's agencies; all its times are local to it.
    pub timezone: String,
    /// `feed_info.txt` publisher, if given.
    pub publisher: Option<String>,
    /// `feed_info.txt` version, if given.
    pub version: Option<String>,
    /// Days with any service.
    pub service_span: Option<(Day, Day)>,
    /// The last day the publisher vouches for (`feed_info.txt` `feed_end_date`): after it the
    /// feed may no longer describe the buses, whatever its calendar says.
    pub valid_until: Option<Day>,
    /// Its times are estimates, not a published timetable (a generator's default headways,
    /// say; `times = "estimated"` in the configuration): every ride and departure on it says
    /// so, and the riders' texts say "hacia las 12:14", never "a las".
    pub estimated_times: bool,
}

/// A GTFS agency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agency {
    /// Feed it belongs to.
    pub feed: FeedIdx,
    /// Namespaced id.
    pub id: String,
    /// Name riders know it by.
    pub name: String,
    /// Web site.
    pub url: String,
    /// IANA timezone.
    pub timezone: String,
}

/// A stop where vehicles halt (GTFS `location_type` 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Stop {
    /// Feed it belongs to.
    pub feed: FeedIdx,
    /// Namespaced id.
    pub id: String,
    /// Name (may be `Innominada` in OSM-derived feeds).
    pub name: String,
    /// Where it is.
    pub coord: Coord,
    /// Namespaced id of the parent station, if any.
    pub parent_station: Option<String>,
    /// Fare zone, for fare rules.
    pub zone_id: Option<String>,
    /// The code painted at the stop (`stop_code`), which riders type to find it.
    pub code: Option<String>,
    /// Wheelchair boarding (after inheriting from the parent station when unknown).
    pub wheelchair: Accessibility,
}

/// A GTFS route (a line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Namespaced id.
    pub id: String,
    /// Operator.
    pub agency: AgencyIdx,
    /// Short name ("Enace").
    pub short_name: String,
    /// Long name ("Custer Enace : Urb. Dean Valdivia → Av. Venezuela").
    pub long_name: String,
    /// GTFS route type (3 = bus).
    pub route_type: u16,
    /// Colour, `RRGGBB`.
    pub color: Option<String>,
    /// Text colour, `RRGGBB`.
    pub text_color: Option<String>,
}

/// How a trip is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TripKind {
    /// Explicit stop times: column `col` of its pattern's time table.
    Scheduled {
        /// Column in the pattern.
        col: u32,
    },
    /// A frequency template: its runs are the pattern's windows that name this trip.
    Frequency,
}

/// A GTFS trip: one scheduled run or one frequency template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trip {
    /// Namespaced id.
    pub id: String,
    /// Route.
    pub route: RouteIdx,
    /// Days it operates.
    pub service: ServiceIdx,
    /// Destination sign.
    pub headsign: Option<String>,
    /// Short name.
    pub short_name: Option<String>,
    /// 0/1 direction.
    pub direction: Option<u8>,
    /// Block (vehicle circulation); kept, not used for stay-seated transfers yet.
    pub block_id: Option<String>,
    /// Shape for drawing.
    pub shape: Option<ShapeIdx>,
    /// Wheelchair accessibility.
    pub wheelchair: Accessibility,
    /// Pattern it runs on.
    pub pattern: PatternIdx,
    /// Scheduled or frequency.
    pub kind: TripKind,
}

/// A pattern: the unit RAPTOR scans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// GTFS route all its trips belong to.
    pub route: RouteIdx,
    stops_start: u32,
    n_stops: u32,
    trips_start: u32,
    n_trips: u32,
    times_start: u32,
    windows_start: u32,
    n_windows: u32,
}

impl Pattern {
    /// Number of stops.
    pub fn n_stops(&self) -> usize {
        self.n_stops as usize
    }
    /// Number of scheduled trips (for a frequency pattern: 1, the template row of offsets).
    pub fn n_trips(&self) -> usize {
        self.n_trips as usize
    }
    /// Whether the pattern runs by headways.
    pub fn is_frequency(&self) -> bool {
        self.n_windows > 0
    }
}

/// A period during which a frequency template runs every `headway` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreqWindow {
    /// First departure from the first stop.
    pub start: Secs,
    /// No run departs the first stop at or after this time.
    pub end: Secs,
    /// Seconds between runs.
    pub headway: Secs,
    /// `exact_times = 1`: runs depart exactly at `start + k·headway`. Otherwise only the
    /// headway is promised; see [`FreqWindow::next_start`].
    pub exact: bool,
    /// The template trip (headsign, wheelchair, shape).
    pub trip: TripIdx,
    /// Days it operates.
    pub service: ServiceIdx,
}

impl FreqWindow {
    /// The start (departure from the pattern's first stop) of the earliest run that a rider
    /// who is ready for a run starting at `t0` can take, or `None` if no run is left.
    ///
    /// With exact times this is the next multiple of the headway. Without, the timetable only
    /// promises "a bus every `headway`", so a rider arriving after service started is planned to
    /// wait the full headway (the worst case, as OpenTripPlanner does): journeys never promise
    /// what the operator does not.
    #[inline]
    pub fn next_start(&self, t0: Secs) -> Option<Secs> {
        let s = if t0 <= self.start {
            self.start
        } else if self.exact {
            let k = (t0 - self.start).div_ceil(self.headway);
            self.start + k * self.headway
        } else {
            t0 + self.headway
        };
        (s < self.end).then_some(s)
    }

    /// The latest run start not after `latest` that a rider can take, if any (the reverse of
    /// [`FreqWindow::next_start`], for arrive-by searches). With inexact times a rider can make
    /// the window's first run, or any start one full headway after being ready.
    #[inline]
    pub fn latest_start(&self, latest: Secs) -> Option<Secs> {
        if latest < self.start {
            return None;
        }
        let last = self.start + (self.runs() - 1) * self.headway;
        if self.exact {
            let k = (latest.min(last) - self.start) / self.headway;
            Some(self.start + k * self.headway)
        } else {
            let s = latest.min(self.end - 1);
            Some(if s > self.start + self.headway {
                s
            } else {
                self.start
            })
        }
    }

    /// The latest time (at the first stop) a rider must be ready to take the run starting at
    /// `start`: the start itself with exact times, one headway earlier otherwise.
    #[inline]
    pub fn ready_for(&self, start: Secs) -> Secs {
        if self.exact || start <= self.start {
            start
        } else {
            start - self.headway
        }
    }

    /// Number of runs in the window.
    pub fn runs(&self) -> u32 {
        (self.end - self.start).div_ceil(self.headway)
    }
}

/// Pickup and drop-off permission at a stop of a pattern.
pub mod flags {
    /// Riders may board.
    pub const PICKUP: u8 = 1;
    /// Riders may alight.
    pub const DROP_OFF: u8 = 2;
}

/// A walking connection from one stop to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footpath {
    /// Where it leads.
    pub to: StopIdx,
    /// Walking time at the configured speed, or the explicit `min_transfer_time`.
    pub duration: Secs,
    /// Walking distance in metres (straight line × detour factor); 0 for explicit transfers
    /// between stops without a distance.
    pub distance_m: u32,
    /// Whether the duration comes from `transfers.txt` (kept whatever the walking speed).
    pub explicit: bool,
    /// Whether a wheelchair can take it: no steps, nothing tagged `wheelchair=no` (a walk
    /// measured in a straight line, or an explicit transfer, is taken as step-free). Where
    /// the shortest walk has steps, a longer step-free one to the same stop follows it.
    pub step_free: bool,
}

/// The rule for changing vehicles at one stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SameStopTransfer {
    /// No rule in the feed: the query's minimum transfer slack applies.
    #[default]
    Default,
    /// `transfers.txt` gives a minimum time.
    MinTime(Secs),
    /// `transfers.txt` forbids changing here (type 3).
    Forbidden,
}

/// A polyline from `shapes.txt`.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    /// Namespaced id.
    pub id: String,
    /// Points in order.
    pub points: Vec<Coord>,
    /// `shape_dist_traveled` per point, when the feed gives it for every point.
    pub dist: Option<Vec<f32>>,
}

/// A fare from `fare_attributes.txt`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fare {
    /// Namespaced id.
    pub id: String,
    /// Price in `currency`.
    pub price: f64,
    /// ISO 4217 code.
    pub currency: String,
    /// 0 = on board, 1 = before boarding.
    pub payment_method: u8,
    /// Transfers allowed (`None` = unlimited).
    pub transfers: Option<u32>,
    /// Seconds a ticket stays valid for transfers.
    pub transfer_duration: Option<Secs>,
    /// Agency, when given.
    pub agency: Option<AgencyIdx>,
}

/// A row of `fare_rules.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FareRule {
    /// Fare applying.
    pub fare: FareIdx,
    /// Route it applies to, if restricted.
    pub route: Option<RouteIdx>,
    /// Origin zone, if restricted.
    pub origin_id: Option<String>,
    /// Destination zone, if restricted.
    pub destination_id: Option<String>,
    /// Zone that must be passed, if restricted.
    pub contains_id: Option<String>,
}

/// Runs and stop events on one service day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayStats {
    /// Vehicle runs of this service day (scheduled trips plus frequency runs).
    pub runs: u64,
    /// Stop events (a run passing a stop) of those runs.
    pub stop_events: u64,
    /// Runs of the previous service day still running after midnight (times past 24:00).
    pub runs_from_previous_day: u64,
}

/// The immutable timetable. Build it with a [`TimetableBuilder`]; share it with `Arc`.
#[derive(Debug, Clone)]
pub struct Timetable {
    pub(crate) feeds: Vec<Feed>,
    pub(crate) agencies: Vec<Agency>,
    pub(crate) stops: Vec<Stop>,
    pub(crate) stop_wheelchair: Vec<Accessibility>,
    pub(crate) stop_by_id: HashMap<String, StopIdx>,
    pub(crate) station_children: HashMap<String, Vec<StopIdx>>,
    pub(crate) routes: Vec<Route>,
    pub(crate) route_by_id: HashMap<String, RouteIdx>,
    pub(crate) trips: Vec<Trip>,
    pub(crate) trip_by_id: HashMap<String, TripIdx>,
    pub(crate) services: Vec<ServiceDays>,
    pub(crate) patterns: Vec<Pattern>,
    pub(crate) pattern_stops: Vec<StopIdx>,
    pub(crate) pattern_flags: Vec<u8>,
    pub(crate) pattern_trips: Vec<TripIdx>,
    pub(crate) pattern_trip_service: Vec<ServiceIdx>,
    pub(crate) pattern_trip_wheelchair: Vec<Accessibility>,
    pub(crate) departures: Vec<Secs>,
    pub(crate) arrivals: Vec<Secs>,
    pub(crate) windows: Vec<FreqWindow>,
    pub(crate) stop_patterns_start: Vec<u32>,
    pub(crate) stop_patterns: Vec<(PatternIdx, u32)>,
    pub(crate) footpaths_start: Vec<u32>,
    pub(crate) footpaths: Vec<Footpath>,
    pub(crate) incoming_start: Vec<u32>,
    pub(crate) incoming: Vec<Footpath>,
    pub(crate) same_stop: Vec<SameStopTransfer>,
    pub(crate) shapes: Vec<Shape>,
    pub(crate) fares: Vec<Fare>,
    pub(crate) fare_rules: Vec<FareRule>,
    pub(crate) stop_index: PointIndex,
    pub(crate) max_time: Secs,
    /// The stops' names as searches read them, made on the first search (see
    /// [`Timetable::stop_search_names`]); nothing else is filled after `build`.
    pub(crate) search_names: std::sync::OnceLock<Vec<(String, Vec<String>)>>,
    pub(crate) footpath_config: footpaths::FootpathConfig,
    pub(crate) transfers: Vec<footpaths::TransferSpec>,
    /// The street walks the footpaths were measured from ([`Timetable::with_street_footpaths`]),
    /// kept so the phone's copy (`offline` bundle) walks as the server does.
    pub(crate) walked: Option<std::sync::Arc<[Option<Vec<footpaths::Walked>>]>>,
}

impl Timetable {
    /// Loaded feeds.
    pub fn feeds(&self) -> &[Feed] {
        &self.feeds
    }
    /// All agencies.
    pub fn agencies(&self) -> &[Agency] {
        &self.agencies
    }
    /// All stops.
    pub fn stops(&self) -> &[Stop] {
        &self.stops
    }
    /// One stop.
    #[inline]
    pub fn stop(&self, s: StopIdx) -> &Stop {
        &self.stops[s.idx()]
    }
    /// Wheelchair boarding at a stop (hot copy of [`Stop::wheelchair`]).
    #[inline]
    pub fn stop_wheelchair(&self, s: StopIdx) -> Accessibility {
        self.stop_wheelchair[s.idx()]
    }
    /// A stop by its namespaced id (`arequipa:5555040128`), or by the bare GTFS id when only
    /// one loaded feed has it.
    pub fn stop_by_id(&self, id: &str) -> Option<StopIdx> {
        if let Some(&s) = self.stop_by_id.get(id) {
            return Some(s);
        }
        let mut found = self
            .feeds
            .iter()
            .filter_map(|f| self.stop_by_id.get(&format!("{}:{id}", f.id)));
        match (found.next(), found.next()) {
            (Some(&s), None) => Some(s),
            _ => None,
        }
    }
    /// Stops of a parent station (namespaced station id).
    pub fn station_stops(&self, station_id: &str) -> &[StopIdx] {
        self.station_children
            .get(station_id)
            .map_or(&[], |v| v.as_slice())
    }
    /// All routes.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
    /// One route.
    pub fn route(&self, r: RouteIdx) -> &Route {
        &self.routes[r.idx()]
    }
    /// A route by namespaced id.
    pub fn route_by_id(&self, id: &str) -> Option<RouteIdx> {
        self.route_by_id.get(id).copied()
    }
    /// All trips.
    pub fn trips(&self) -> &[Trip] {
        &self.trips
    }
    /// One trip.
    pub fn trip(&self, t: TripIdx) -> &Trip {
        &self.trips[t.idx()]
    }
    /// A trip by namespaced id.
    pub fn trip_by_id(&self, id: &str) -> Option<TripIdx> {
        self.trip_by_id.get(id).copied()
    }
    /// Deduplicated service calendars.
    pub fn services(&self) -> &[ServiceDays] {
        &self.services
    }
    /// Whether a service operates on a day.
    #[inline]
    pub fn service_active(&self, s: ServiceIdx, d: Day) -> bool {
        self.services[s.idx()].contains(d)
    }
    /// All patterns.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }
    /// One pattern.
    #[inline]
    pub fn pattern(&self, p: PatternIdx) -> &Pattern {
        &self.patterns[p.idx()]
    }
    /// Stops of a pattern in order.
    #[inline]
    pub fn pattern_stops(&self, p: PatternIdx) -> &[StopIdx] {
        let pt = &self.patterns[p.idx()];
        &self.pattern_stops[pt.stops_start as usize..(pt.stops_start + pt.n_stops) as usize]
    }
    /// Pickup/drop-off [`flags`] per stop of a pattern.
    #[inline]
    pub fn pattern_flags(&self, p: PatternIdx) -> &[u8] {
        let pt = &self.patterns[p.idx()];
        &self.pattern_flags[pt.stops_start as usize..(pt.stops_start + pt.n_stops) as usize]
    }
    /// Trips of a scheduled pattern, sorted by departure (for a frequency pattern: the
    /// template of the first window).
    #[inline]
    pub fn pattern_trips(&self, p: PatternIdx) -> &[TripIdx] {
        let pt = &self.patterns[p.idx()];
        &self.pattern_trips[pt.trips_start as usize..(pt.trips_start + pt.n_trips) as usize]
    }
    /// Services of [`Timetable::pattern_trips`], in the same order.
    #[inline]
    pub fn pattern_trip_services(&self, p: PatternIdx) -> &[ServiceIdx] {
        let pt = &self.patterns[p.idx()];
        &self.pattern_trip_service[pt.trips_start as usize..(pt.trips_start + pt.n_trips) as usize]
    }
    /// Wheelchair accessibility of [`Timetable::pattern_trips`], in the same order.
    #[inline]
    pub fn pattern_trip_wheelchair(&self, p: PatternIdx) -> &[Accessibility] {
        let pt = &self.patterns[p.idx()];
        &self.pattern_trip_wheelchair
            [pt.trips_start as usize..(pt.trips_start + pt.n_trips) as usize]
    }
    /// Departure times of all trips of a pattern at its `pos`-th stop, sorted ascending.
    /// For a frequency pattern: the one template offset.
    #[inline]
    pub fn departures(&self, p: PatternIdx, pos: usize) -> &[Secs] {
        let pt = &self.patterns[p.idx()];
        let s = pt.times_start as usize + pos * pt.n_trips as usize;
        &self.departures[s..s + pt.n_trips as usize]
    }
    /// Arrival times of all trips of a pattern at its `pos`-th stop (same order).
    #[inline]
    pub fn arrivals(&self, p: PatternIdx, pos: usize) -> &[Secs] {
        let pt = &self.patterns[p.idx()];
        let s = pt.times_start as usize + pos * pt.n_trips as usize;
        &self.arrivals[s..s + pt.n_trips as usize]
    }
    /// The whole time table of a pattern: departures and arrivals stop-major (the time of
    /// column `col` at position `pos` is at `pos * n_trips + col`), and `n_trips`.
    #[inline]
    pub fn pattern_times(&self, p: PatternIdx) -> (&[Secs], &[Secs], usize) {
        let pt = &self.patterns[p.idx()];
        let a = pt.times_start as usize;
        let len = pt.n_stops as usize * pt.n_trips as usize;
        (
            &self.departures[a..a + len],
            &self.arrivals[a..a + len],
            pt.n_trips as usize,
        )
    }
    /// Departure of trip column `col` at stop `pos`.
    #[inline]
    pub fn departure(&self, p: PatternIdx, pos: usize, col: usize) -> Secs {
        let pt = &self.patterns[p.idx()];
        self.departures[pt.times_start as usize + pos * pt.n_trips as usize + col]
    }
    /// Arrival of trip column `col` at stop `pos`.
    #[inline]
    pub fn arrival(&self, p: PatternIdx, pos: usize, col: usize) -> Secs {
        let pt = &self.patterns[p.idx()];
        self.arrivals[pt.times_start as usize + pos * pt.n_trips as usize + col]
    }
    /// Headway windows of a frequency pattern, sorted by start.
    #[inline]
    pub fn windows(&self, p: PatternIdx) -> &[FreqWindow] {
        let pt = &self.patterns[p.idx()];
        &self.windows[pt.windows_start as usize..(pt.windows_start + pt.n_windows) as usize]
    }
    /// Patterns serving a stop, with the stop's position in each (a loop visits twice).
    #[inline]
    pub fn stop_patterns(&self, s: StopIdx) -> &[(PatternIdx, u32)] {
        &self.stop_patterns[self.stop_patterns_start[s.idx()] as usize
            ..self.stop_patterns_start[s.idx() + 1] as usize]
    }
    /// Footpaths leaving a stop, sorted by duration.
    #[inline]
    pub fn footpaths(&self, s: StopIdx) -> &[Footpath] {
        &self.footpaths
            [self.footpaths_start[s.idx()] as usize..self.footpaths_start[s.idx() + 1] as usize]
    }
    /// Footpaths arriving at a stop (`to` is the stop they come *from*), sorted by duration;
    /// arrive-by searches walk these.
    #[inline]
    pub fn incoming_footpaths(&self, s: StopIdx) -> &[Footpath] {
        &self.incoming
            [self.incoming_start[s.idx()] as usize..self.incoming_start[s.idx() + 1] as usize]
    }
    /// Number of footpaths.
    pub fn n_footpaths(&self) -> usize {
        self.footpaths.len()
    }
    /// The rule for changing vehicles at a stop.
    #[inline]
    pub fn same_stop_transfer(&self, s: StopIdx) -> SameStopTransfer {
        self.same_stop[s.idx()]
    }
    /// Replaces the footpaths (outgoing and incoming).
    pub(crate) fn set_footpaths(&mut self, fp: footpaths::Footpaths) {
        let n_stops = self.stops.len();
        let mut incoming: Vec<Vec<Footpath>> = vec![Vec::new(); n_stops];
        for from in 0..n_stops {
            for f in &fp.paths[fp.start[from] as usize..fp.start[from + 1] as usize] {
                incoming[f.to.idx()].push(Footpath {
                    to: StopIdx::new(from),
                    ..*f
                });
            }
        }
        self.incoming_start = Vec::with_capacity(n_stops + 1);
        self.incoming = Vec::with_capacity(fp.paths.len());
        self.incoming_start.push(0);
        for mut list in incoming {
            list.sort_by_key(|f| (f.duration, f.to, !f.step_free));
            self.incoming.extend(list);
            self.incoming_start.push(self.incoming.len() as u32);
        }
        self.footpaths_start = fp.start;
        self.footpaths = fp.paths;
        self.same_stop = fp.same_stop;
    }

    /// The same timetable with its footpaths measured on the streets: `walked[s]` is the
    /// street walks from stop `s`, or `None` where the stop did not snap to a street (it
    /// keeps straight-line walks). See [`footpaths::build_walked`] for how the relation stays
    /// closed.
    pub fn with_street_footpaths(mut self, walked: &[Option<Vec<footpaths::Walked>>]) -> Timetable {
        let coords: Vec<Coord> = self.stops.iter().map(|s| s.coord).collect();
        let fp = footpaths::build_walked(
            &coords,
            &self.stop_index,
            &self.transfers,
            &self.footpath_config,
            Some(walked),
        );
        self.set_footpaths(fp);
        self.walked = Some(walked.into());
        self
    }

    /// The street walks the footpaths were measured from, if they were (see
    /// [`Timetable::with_street_footpaths`]).
    pub fn walked(&self) -> Option<&[Option<Vec<footpaths::Walked>>]> {
        self.walked.as_deref()
    }

    /// The `transfers.txt` rules the footpaths were built with.
    pub fn transfer_rules(&self) -> &[footpaths::TransferSpec] {
        &self.transfers
    }

    /// The same timetable with the times of the feeds named in `feeds` (by id) marked as
    /// estimates ([`Feed::estimated_times`]), and the others' as a timetable.
    pub fn with_estimated_times(mut self, feeds: &[String]) -> Timetable {
        for f in &mut self.feeds {
            f.estimated_times = feeds.contains(&f.id);
        }
        self
    }

    /// Per stop, its name as searches read it (folded, and as words), made by `make` on the
    /// first call and kept: a name search then folds nothing per stop. Every caller must pass
    /// the same `make` (the planner's place search is the only one).
    pub fn stop_search_names(
        &self,
        make: impl Fn(&str) -> (String, Vec<String>),
    ) -> &[(String, Vec<String>)] {
        self.search_names
            .get_or_init(|| self.stops.iter().map(|s| make(&s.name)).collect())
    }

    /// Whether the times of `route`'s feed are estimates ([`Feed::estimated_times`]).
    pub fn route_times_estimated(&self, route: RouteIdx) -> bool {
        let agency = &self.agencies[self.routes[route.idx()].agency.idx()];
        self.feeds[agency.feed.idx()].estimated_times
    }

    /// The same timetable with the stops `names` gives a name to renamed (`names[i]` for stop
    /// `i`; `None` keeps the feed's). Used to name stops a feed leaves unnamed from what is
    /// around them; nothing else depends on a stop's name.
    pub fn with_stop_names(mut self, names: Vec<Option<String>>) -> Timetable {
        self.search_names = Default::default();
        for (stop, name) in self.stops.iter_mut().zip(names) {
            if let Some(n) = name {
                stop.name = n;
            }
        }
        self
    }

    /// The walking parameters footpaths were generated with.
    pub fn footpath_config(&self) -> &footpaths::FootpathConfig {
        &self.footpath_config
    }
    /// All shapes.
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }
    /// One shape.
    pub fn shape(&self, s: ShapeIdx) -> &Shape {
        &self.shapes[s.idx()]
    }
    /// Fares (GTFS fares v1).
    pub fn fares(&self) -> &[Fare] {
        &self.fares
    }
    /// Fare rules (GTFS fares v1).
    pub fn fare_rules(&self) -> &[FareRule] {
        &self.fare_rules
    }
    /// The spatial index of stops (ids are [`StopIdx`] values).
    pub fn stop_index(&self) -> &PointIndex {
        &self.stop_index
    }
    /// Latest time of day any run reaches (≥ 24 h when runs continue past midnight).
    pub fn max_time(&self) -> Secs {
        self.max_time
    }
    /// How many earlier service days can still have runs going at a time of `day`: runs of
    /// day − k are visible when `k ≤ max_days_back()`.
    pub fn max_days_back(&self) -> i32 {
        (self.max_time / DAY) as i32
    }

    /// Every run of the service day `day`: its route, departure from the first stop (seconds
    /// after the day's noon-minus-12h; may pass 24:00) and wheelchair accessibility.
    /// Frequency windows are expanded here (reports only; routing never does).
    pub fn runs_of_day(&self, day: Day) -> Vec<(RouteIdx, Secs, Accessibility)> {
        let mut out = Vec::new();
        for (pi, pt) in self.patterns.iter().enumerate() {
            let p = PatternIdx::new(pi);
            if pt.is_frequency() {
                let first_dep = self.departure(p, 0, 0);
                for w in self.windows(p) {
                    if self.service_active(w.service, day) {
                        let a = self.trips[w.trip.idx()].wheelchair;
                        out.extend(
                            (0..w.runs())
                                .map(|k| (pt.route, w.start + k * w.headway + first_dep, a)),
                        );
                    }
                }
            } else {
                let services = self.pattern_trip_services(p);
                let wheel = self.pattern_trip_wheelchair(p);
                let deps = self.departures(p, 0);
                for (col, &svc) in services.iter().enumerate() {
                    if self.service_active(svc, day) {
                        out.push((pt.route, deps[col], wheel[col]));
                    }
                }
            }
        }
        out
    }

    /// Runs and stop events of the service day `day`.
    pub fn day_stats(&self, day: Day) -> DayStats {
        let mut st = DayStats::default();
        for (pi, pt) in self.patterns.iter().enumerate() {
            let p = PatternIdx::new(pi);
            let n_stops = pt.n_stops as u64;
            let last = pt.n_stops as usize - 1;
            if pt.is_frequency() {
                let first_dep = self.departure(p, 0, 0);
                let last_arr = self.arrival(p, last, 0);
                for w in self.windows(p) {
                    if self.service_active(w.service, day) {
                        st.runs += u64::from(w.runs());
                        st.stop_events += u64::from(w.runs()) * n_stops;
                    }
                    if self.service_active(w.service, day.offset(-1)) {
                        // Runs whose last arrival is past midnight.
                        let duration = last_arr - first_dep;
                        let past = (0..w.runs())
                            .filter(|k| w.start + k * w.headway + duration >= DAY)
                            .count();
                        st.runs_from_previous_day += past as u64;
                    }
                }
            } else {
                let services = self.pattern_trip_services(p);
                let last_arrivals = self.arrivals(p, last);
                for (col, &svc) in services.iter().enumerate() {
                    if self.service_active(svc, day) {
                        st.runs += 1;
                        st.stop_events += n_stops;
                    }
                    if last_arrivals[col] >= DAY && self.service_active(svc, day.offset(-1)) {
                        st.runs_from_previous_day += 1;
                    }
                }
            }
        }
        st
    }

    /// Connected components of the stop graph (stops linked by a ride between consecutive
    /// stops of a pattern or by a footpath), largest first, as stop lists. Stops served by no
    /// pattern and reached by no footpath form components of one.
    pub fn components(&self) -> Vec<Vec<StopIdx>> {
        let mut uf = petgraph::unionfind::UnionFind::<u32>::new(self.stops.len());
        for p in 0..self.patterns.len() {
            let stops = self.pattern_stops(PatternIdx::new(p));
            for w in stops.windows(2) {
                uf.union(w[0].0, w[1].0);
            }
        }
        for s in 0..self.stops.len() {
            for f in self.footpaths(StopIdx::new(s)) {
                uf.union(s as u32, f.to.0);
            }
        }
        let labels = uf.into_labeling();
        let mut by_root: HashMap<u32, Vec<StopIdx>> = HashMap::new();
        for (s, root) in labels.into_iter().enumerate() {
            by_root.entry(root).or_default().push(StopIdx::new(s));
        }
        let mut comps: Vec<Vec<StopIdx>> = by_root.into_values().collect();
        comps.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
        comps
    }

    /// Bytes of heap the timetable holds, approximately (vector capacities and strings).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        fn v<T>(x: &Vec<T>) -> usize {
            x.capacity() * size_of::<T>()
        }
        fn s(x: &str) -> usize {
            x.len()
        }
        fn map<V>(m: &HashMap<String, V>) -> usize {
            m.capacity() * (size_of::<String>() + size_of::<V>() + 8)
                + m.keys().map(|k| k.len()).sum::<usize>()
        }
        let strings: usize = self
            .stops
            .iter()
            .map(|x| s(&x.id) + s(&x.name) + x.parent_station.as_deref().map_or(0, s))
            .sum::<usize>()
            + self
                .routes
                .iter()
                .map(|r| s(&r.id) + s(&r.short_name) + s(&r.long_name) + 16)
                .sum::<usize>()
            + self
                .trips
                .iter()
                .map(|t| {
                    s(&t.id)
                        + t.headsign.as_deref().map_or(0, s)
                        + t.block_id.as_deref().map_or(0, s)
                })
                .sum::<usize>()
            + self
                .agencies
                .iter()
                .map(|a| s(&a.id) + s(&a.name) + s(&a.url) + s(&a.timezone))
                .sum::<usize>();
        let shapes: usize = self
            .shapes
            .iter()
            .map(|x| v(&x.points) + x.dist.as_ref().map_or(0, v) + s(&x.id))
            .sum();
        let services: usize = self.services.iter().map(ServiceDays::heap_bytes).sum();
        let children: usize = self.station_children.values().map(v).sum();
        strings
            + shapes
            + services
            + children
            + v(&self.feeds)
            + v(&self.agencies)
            + v(&self.stops)
            + v(&self.stop_wheelchair)
            + map(&self.stop_by_id)
            + map(&self.station_children)
            + v(&self.routes)
            + map(&self.route_by_id)
            + v(&self.trips)
            + map(&self.trip_by_id)
            + v(&self.services)
            + v(&self.patterns)
            + v(&self.pattern_stops)
            + v(&self.pattern_flags)
            + v(&self.pattern_trips)
            + v(&self.pattern_trip_service)
            + v(&self.pattern_trip_wheelchair)
            + v(&self.departures)
            + v(&self.arrivals)
            + v(&self.windows)
            + v(&self.stop_patterns_start)
            + v(&self.stop_patterns)
            + v(&self.footpaths_start)
            + v(&self.footpaths)
            + v(&self.incoming_start)
            + v(&self.incoming)
            + v(&self.same_stop)
            + v(&self.shapes)
            + v(&self.fares)
            + v(&self.fare_rules)
            + self.stop_index.heap_bytes()
    }
}
