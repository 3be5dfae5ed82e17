//! Validating builder: collects feeds, stops, routes, trips and frequencies, then lays them out
//! for routing (pattern grouping, overtaking split, CSR adjacency, footpaths).

use crate::footpaths::{self, FootpathConfig, TransferSpec};
use crate::geo::PointIndex;
use crate::warnings::Warnings;
use crate::*;
use std::collections::HashMap;

/// Parameters of [`TimetableBuilder::build`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BuildConfig {
    /// How footpaths are generated.
    pub footpaths: FootpathConfig,
}

/// One stop time of a trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopTimeSpec {
    /// Stop.
    pub stop: StopIdx,
    /// Arrival, seconds from the service day's start.
    pub arrival: Secs,
    /// Departure, ≥ arrival.
    pub departure: Secs,
    /// Riders may board (`pickup_type` ≠ 1).
    pub pickup: bool,
    /// Riders may alight (`drop_off_type` ≠ 1).
    pub drop_off: bool,
}

/// A trip as read from a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TripSpec {
    /// Namespaced id.
    pub id: String,
    /// Route.
    pub route: RouteIdx,
    /// Service days.
    pub service: ServiceIdx,
    /// Destination sign.
    pub headsign: Option<String>,
    /// Short name.
    pub short_name: Option<String>,
    /// Direction 0/1.
    pub direction: Option<u8>,
    /// Block.
    pub block_id: Option<String>,
    /// Shape.
    pub shape: Option<ShapeIdx>,
    /// Wheelchair accessibility.
    pub wheelchair: Accessibility,
    /// Stop times in order (for a frequency template: offsets, usually from 00:00:00).
    pub stop_times: Vec<StopTimeSpec>,
}

/// Why the builder refused an item; the loader turns these into warnings with file context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// A second item with an id already taken.
    #[error("duplicate id `{0}`")]
    DuplicateId(String),
    /// A trip needs two stops to go anywhere.
    #[error("trip `{0}` has fewer than two stop times")]
    TooFewStopTimes(String),
    /// Times must not decrease along a trip.
    #[error("trip `{trip}`: time at stop #{pos} is earlier than at the stop before")]
    TimeTravel {
        /// Trip id.
        trip: String,
        /// Position of the offending stop time.
        pos: usize,
    },
    /// Frequency window with `end ≤ start` or a zero headway.
    #[error("frequency window {start}–{end} every {headway} s is empty")]
    EmptyWindow {
        /// Start.
        start: Hms,
        /// End.
        end: Hms,
        /// Headway.
        headway: Secs,
    },
    /// Too many items for `u32` indices.
    #[error("too many items for the timetable's 32-bit indices")]
    TooMany,
}

#[derive(Clone, Copy, Debug)]
struct FreqSpec {
    trip: TripIdx,
    start: Secs,
    end: Secs,
    headway: Secs,
    exact: bool,
}

/// Collects a timetable's contents; [`TimetableBuilder::build`] lays them out.
#[derive(Debug, Default)]
pub struct TimetableBuilder {
    feeds: Vec<Feed>,
    agencies: Vec<Agency>,
    agency_by_id: HashMap<String, AgencyIdx>,
    stops: Vec<Stop>,
    stop_by_id: HashMap<String, StopIdx>,
    routes: Vec<Route>,
    route_by_id: HashMap<String, RouteIdx>,
    trips: Vec<TripSpec>,
    trip_by_id: HashMap<String, TripIdx>,
    is_template: Vec<bool>,
    services: Vec<ServiceDays>,
    service_dedup: HashMap<ServiceDays, ServiceIdx>,
    frequencies: Vec<FreqSpec>,
    transfers: Vec<TransferSpec>,
    shapes: Vec<Shape>,
    shape_by_id: HashMap<String, ShapeIdx>,
    fares: Vec<Fare>,
    fare_by_id: HashMap<String, FareIdx>,
    fare_rules: Vec<FareRule>,
}

fn insert_id<I: Copy>(map: &mut HashMap<String, I>, id: &str, idx: I) -> Result<(), Rejected> {
    if map.contains_key(id) {
        return Err(Rejected::DuplicateId(id.to_string()));
    }
    map.insert(id.to_string(), idx);
    Ok(())
}

fn next_idx<T>(v: &[T]) -> Result<u32, Rejected> {
    u32::try_from(v.len())
        .ok()
        .filter(|&n| n < u32::MAX - 1)
        .ok_or(Rejected::TooMany)
}

impl TimetableBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a feed.
    pub fn add_feed(&mut self, feed: Feed) -> FeedIdx {
        self.feeds.push(feed);
        FeedIdx::new(self.feeds.len() - 1)
    }
    /// Loaded feeds so far.
    pub fn feeds(&self) -> &[Feed] {
        &self.feeds
    }
    /// Adds an agency.
    pub fn add_agency(&mut self, a: Agency) -> Result<AgencyIdx, Rejected> {
        let i = AgencyIdx(next_idx(&self.agencies)?);
        insert_id(&mut self.agency_by_id, &a.id, i)?;
        self.agencies.push(a);
        Ok(i)
    }
    /// An agency by namespaced id.
    pub fn agency(&self, id: &str) -> Option<AgencyIdx> {
        self.agency_by_id.get(id).copied()
    }
    /// Agencies so far.
    pub fn agencies(&self) -> &[Agency] {
        &self.agencies
    }
    /// Adds a stop.
    pub fn add_stop(&mut self, s: Stop) -> Result<StopIdx, Rejected> {
        let i = StopIdx(next_idx(&self.stops)?);
        insert_id(&mut self.stop_by_id, &s.id, i)?;
        self.stops.push(s);
        Ok(i)
    }
    /// A stop by namespaced id.
    pub fn stop(&self, id: &str) -> Option<StopIdx> {
        self.stop_by_id.get(id).copied()
    }
    /// Stops so far.
    pub fn stops(&self) -> &[Stop] {
        &self.stops
    }
    /// Adds a route.
    pub fn add_route(&mut self, r: Route) -> Result<RouteIdx, Rejected> {
        let i = RouteIdx(next_idx(&self.routes)?);
        insert_id(&mut self.route_by_id, &r.id, i)?;
        self.routes.push(r);
        Ok(i)
    }
    /// The routes added so far.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
    /// A route by namespaced id.
    pub fn route(&self, id: &str) -> Option<RouteIdx> {
        self.route_by_id.get(id).copied()
    }
    /// Adds a service calendar, reusing an equal one.
    pub fn add_service(&mut self, days: ServiceDays) -> ServiceIdx {
        if let Some(&i) = self.service_dedup.get(&days) {
            return i;
        }
        let i = ServiceIdx::new(self.services.len());
        self.service_dedup.insert(days.clone(), i);
        self.services.push(days);
        i
    }
    /// Adds a shape.
    pub fn add_shape(&mut self, s: Shape) -> Result<ShapeIdx, Rejected> {
        let i = ShapeIdx(next_idx(&self.shapes)?);
        insert_id(&mut self.shape_by_id, &s.id, i)?;
        self.shapes.push(s);
        Ok(i)
    }
    /// A shape by namespaced id.
    pub fn shape(&self, id: &str) -> Option<ShapeIdx> {
        self.shape_by_id.get(id).copied()
    }

    /// Adds a trip after checking it has two stop times and times that never decrease.
    pub fn add_trip(&mut self, t: TripSpec) -> Result<TripIdx, Rejected> {
        if t.stop_times.len() < 2 {
            return Err(Rejected::TooFewStopTimes(t.id));
        }
        let mut prev = 0;
        for (pos, st) in t.stop_times.iter().enumerate() {
            if st.arrival < prev || st.departure < st.arrival {
                return Err(Rejected::TimeTravel { trip: t.id, pos });
            }
            prev = st.departure;
        }
        let i = TripIdx(next_idx(&self.trips)?);
        insert_id(&mut self.trip_by_id, &t.id, i)?;
        self.trips.push(t);
        self.is_template.push(false);
        Ok(i)
    }
    /// A trip by namespaced id.
    pub fn trip(&self, id: &str) -> Option<TripIdx> {
        self.trip_by_id.get(id).copied()
    }

    /// Declares that `trip` runs every `headway` seconds from `start` (first stop) until `end`.
    /// The trip becomes a frequency template even when the window is rejected.
    pub fn add_frequency(
        &mut self,
        trip: TripIdx,
        start: Secs,
        end: Secs,
        headway: Secs,
        exact: bool,
    ) -> Result<(), Rejected> {
        self.is_template[trip.idx()] = true;
        if end <= start || headway == 0 {
            return Err(Rejected::EmptyWindow {
                start: Hms(start),
                end: Hms(end),
                headway,
            });
        }
        self.frequencies.push(FreqSpec {
            trip,
            start,
            end,
            headway,
            exact,
        });
        Ok(())
    }

    /// Adds a `transfers.txt` rule.
    pub fn add_transfer(&mut self, t: TransferSpec) {
        self.transfers.push(t);
    }

    /// Adds a fare.
    pub fn add_fare(&mut self, f: Fare) -> Result<FareIdx, Rejected> {
        let i = FareIdx(next_idx(&self.fares)?);
        insert_id(&mut self.fare_by_id, &f.id, i)?;
        self.fares.push(f);
        Ok(i)
    }
    /// A fare by namespaced id.
    pub fn fare(&self, id: &str) -> Option<FareIdx> {
        self.fare_by_id.get(id).copied()
    }
    /// Number of fares added.
    pub fn fares_len(&self) -> usize {
        self.fares.len()
    }
    /// Adds a fare rule.
    pub fn add_fare_rule(&mut self, r: FareRule) {
        self.fare_rules.push(r);
    }

    /// Lays the timetable out for routing. Recoverable problems (routes without trips,
    /// frequency templates without a valid window) are dropped and reported in `warnings`.
    pub fn build(self, cfg: &BuildConfig, warnings: &mut Warnings) -> Timetable {
        let TimetableBuilder {
            mut feeds,
            agencies,
            agency_by_id: _,
            stops,
            stop_by_id,
            routes,
            route_by_id: _,
            trips: trip_specs,
            trip_by_id: _,
            is_template,
            services,
            service_dedup: _,
            frequencies,
            transfers,
            shapes,
            shape_by_id: _,
            fares,
            fare_by_id: _,
            fare_rules,
        } = self;
        let (windows_of, keep_trip) =
            windows_per_trip(&trip_specs, &is_template, &frequencies, warnings);
        let (route_map, routes) = routes_with_trips(routes, &trip_specs, &keep_trip, warnings);
        let groups = group_trips(&trip_specs, &keep_trip, &is_template);
        let fare_rules = fare_rules
            .into_iter()
            .filter_map(|mut r| {
                if let Some(route) = r.route {
                    r.route = Some(route_map[route.idx()]?);
                }
                Some(r)
            })
            .collect();
        let mut tt = Timetable::empty(cfg, agencies, stops, stop_by_id, routes, services);
        tt.trips.reserve(trip_specs.len());
        tt.shapes = shapes;
        tt.fares = fares;
        tt.fare_rules = fare_rules;

        // Patterns, in the order groups were met; each trip learns its pattern.
        let mut trip_new: Vec<Option<(PatternIdx, TripKind)>> = vec![None; trip_specs.len()];
        for (key, members) in groups {
            if key.3 {
                lay_out_templates(
                    &mut tt,
                    &key,
                    members,
                    &trip_specs,
                    &windows_of,
                    &mut trip_new,
                );
            } else {
                lay_out_scheduled(&mut tt, &key, members, &trip_specs, &mut trip_new);
            }
        }
        number_trips(&mut tt, trip_specs, &trip_new, &route_map);
        index_stop_patterns(&mut tt);
        let coords: Vec<Coord> = tt.stops.iter().map(|s| s.coord).collect();
        let fp = footpaths::build(&coords, &tt.stop_index, &transfers, &cfg.footpaths);
        tt.set_footpaths(fp);
        tt.transfers = transfers;
        for (fi, feed) in feeds.iter_mut().enumerate() {
            feed.service_span = service_span(&tt, FeedIdx::new(fi));
        }
        tt.feeds = feeds;
        tt
    }
}

/// Trips grouped by (route, stops, pickup/drop-off flags, template or not): the candidates for
/// one pattern.
type GroupKey = (RouteIdx, Vec<StopIdx>, Vec<u8>, bool);

/// Each trip's frequency windows, and whether it is kept: a template left without a valid
/// window is dropped (and counted).
fn windows_per_trip(
    trip_specs: &[TripSpec],
    is_template: &[bool],
    frequencies: &[FreqSpec],
    warnings: &mut Warnings,
) -> (Vec<Vec<FreqSpec>>, Vec<bool>) {
    let mut windows_of: Vec<Vec<FreqSpec>> = vec![Vec::new(); trip_specs.len()];
    for f in frequencies {
        windows_of[f.trip.idx()].push(*f);
    }
    let keep_trip = (0..trip_specs.len())
        .map(|t| {
            if is_template[t] && windows_of[t].is_empty() {
                warnings.push("frequency_template_without_windows", || {
                    format!(
                        "trip `{}` is in frequencies.txt but none of its windows is valid; dropped",
                        trip_specs[t].id
                    )
                });
                false
            } else {
                true
            }
        })
        .collect();
    (windows_of, keep_trip)
}

/// The routes that keep at least one trip, renumbered densely (the others are counted), with
/// each old route's new number.
fn routes_with_trips(
    routes: Vec<Route>,
    trip_specs: &[TripSpec],
    keep_trip: &[bool],
    warnings: &mut Warnings,
) -> (Vec<Option<RouteIdx>>, Vec<Route>) {
    let mut route_used = vec![false; routes.len()];
    for (t, spec) in trip_specs.iter().enumerate() {
        if keep_trip[t] {
            route_used[spec.route.idx()] = true;
        }
    }
    let mut route_map = vec![None; routes.len()];
    let mut new_routes = Vec::new();
    for (r, route) in routes.into_iter().enumerate() {
        if route_used[r] {
            route_map[r] = Some(RouteIdx::new(new_routes.len()));
            new_routes.push(route);
        } else {
            warnings.push("route_without_trips", || {
                format!("route `{}` has no trips; dropped", route.id)
            });
        }
    }
    (route_map, new_routes)
}

/// The kept trips grouped by [`GroupKey`], groups in the order of their first trip.
fn group_trips(
    trip_specs: &[TripSpec],
    keep_trip: &[bool],
    is_template: &[bool],
) -> Vec<(GroupKey, Vec<TripIdx>)> {
    let mut group_of: HashMap<GroupKey, usize> = HashMap::new();
    let mut groups: Vec<(GroupKey, Vec<TripIdx>)> = Vec::new();
    for (t, spec) in trip_specs.iter().enumerate() {
        if !keep_trip[t] {
            continue;
        }
        let fl: Vec<u8> = spec
            .stop_times
            .iter()
            .map(|st| (st.pickup as u8 * flags::PICKUP) | (st.drop_off as u8 * flags::DROP_OFF))
            .collect();
        let key: GroupKey = (
            spec.route,
            spec.stop_times.iter().map(|s| s.stop).collect(),
            fl,
            is_template[t],
        );
        let g = *group_of.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(TripIdx::new(t));
    }
    groups
}

impl Timetable {
    /// A timetable of these stops and routes with no patterns, trips or footpaths yet.
    fn empty(
        cfg: &BuildConfig,
        agencies: Vec<Agency>,
        stops: Vec<Stop>,
        stop_by_id: HashMap<String, StopIdx>,
        routes: Vec<Route>,
        services: Vec<ServiceDays>,
    ) -> Timetable {
        let route_by_id = routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), RouteIdx::new(i)))
            .collect();
        let mut station_children: HashMap<String, Vec<StopIdx>> = HashMap::new();
        for (i, s) in stops.iter().enumerate() {
            if let Some(p) = &s.parent_station {
                station_children
                    .entry(p.clone())
                    .or_default()
                    .push(StopIdx::new(i));
            }
        }
        Timetable {
            feeds: Vec::new(),
            agencies,
            stop_wheelchair: stops.iter().map(|s| s.wheelchair).collect(),
            stop_index: PointIndex::new(&stops.iter().map(|s| s.coord).collect::<Vec<_>>()),
            station_children,
            stops,
            stop_by_id,
            routes,
            route_by_id,
            trips: Vec::new(),
            trip_by_id: HashMap::new(),
            services,
            patterns: Vec::new(),
            pattern_stops: Vec::new(),
            pattern_flags: Vec::new(),
            pattern_trips: Vec::new(),
            pattern_trip_service: Vec::new(),
            pattern_trip_wheelchair: Vec::new(),
            departures: Vec::new(),
            arrivals: Vec::new(),
            windows: Vec::new(),
            stop_patterns_start: Vec::new(),
            stop_patterns: Vec::new(),
            footpaths_start: Vec::new(),
            footpaths: Vec::new(),
            incoming_start: Vec::new(),
            incoming: Vec::new(),
            same_stop: Vec::new(),
            shapes: Vec::new(),
            fares: Vec::new(),
            fare_rules: Vec::new(),
            max_time: 0,
            search_names: Default::default(),
            footpath_config: cfg.footpaths,
            transfers: Vec::new(),
            walked: None,
        }
    }
}

/// Frequency templates of one group: those with identical offsets share a pattern (their
/// runs never overtake), with all their windows.
fn lay_out_templates(
    tt: &mut Timetable,
    key: &GroupKey,
    members: Vec<TripIdx>,
    trip_specs: &[TripSpec],
    windows_of: &[Vec<FreqSpec>],
    trip_new: &mut [Option<(PatternIdx, TripKind)>],
) {
    let (route, stop_seq, fl, _) = key;
    let mut by_offsets: Vec<(Offsets, Vec<TripIdx>)> = Vec::new();
    for t in members {
        let st = &trip_specs[t.idx()].stop_times;
        let base = st[0].departure;
        let offs: Vec<(Secs, Secs)> = st
            .iter()
            .map(|s| (s.arrival - base, s.departure - base))
            .collect();
        match by_offsets.iter_mut().find(|(o, _)| *o == offs) {
            Some((_, v)) => v.push(t),
            None => by_offsets.push((offs, vec![t])),
        }
    }
    for (offs, templates) in by_offsets {
        let p = PatternIdx::new(tt.patterns.len());
        let mut wins: Vec<FreqWindow> = templates
            .iter()
            .flat_map(|&t| windows_of[t.idx()].iter())
            .map(|f| FreqWindow {
                start: f.start,
                end: f.end,
                headway: f.headway,
                exact: f.exact,
                trip: f.trip,
                service: trip_specs[f.trip.idx()].service,
            })
            .collect();
        wins.sort_by_key(|w| (w.start, w.end, w.trip));
        let duration = offs.last().map_or(0, |o| o.0);
        for w in &wins {
            tt.max_time = tt.max_time.max(w.end + duration);
        }
        let times = Times {
            arr: &[offs.iter().map(|o| o.0).collect()],
            dep: &[offs.iter().map(|o| o.1).collect()],
        };
        push_pattern(
            tt,
            *route,
            stop_seq,
            fl,
            &[templates[0]],
            times,
            trip_specs,
            wins,
        );
        for t in templates {
            trip_new[t.idx()] = Some((p, TripKind::Frequency));
        }
    }
}

/// Scheduled trips of one group, sorted by departure and split first-fit into patterns whose
/// trips never overtake one another.
fn lay_out_scheduled(
    tt: &mut Timetable,
    key: &GroupKey,
    mut members: Vec<TripIdx>,
    trip_specs: &[TripSpec],
    trip_new: &mut [Option<(PatternIdx, TripKind)>],
) {
    let (route, stop_seq, fl, _) = key;
    members.sort_by(|&a, &b| {
        let (sa, sb) = (
            &trip_specs[a.idx()].stop_times,
            &trip_specs[b.idx()].stop_times,
        );
        sa.iter()
            .map(|s| (s.departure, s.arrival))
            .cmp(sb.iter().map(|s| (s.departure, s.arrival)))
            .then(a.cmp(&b))
    });
    let mut subs: Vec<Vec<TripIdx>> = Vec::new();
    for t in members {
        let st = &trip_specs[t.idx()].stop_times;
        let fits = |sub: &Vec<TripIdx>| {
            let last = &trip_specs[sub.last().expect("non-empty").idx()].stop_times;
            last.iter()
                .zip(st)
                .all(|(l, s)| l.departure <= s.departure && l.arrival <= s.arrival)
        };
        match subs.iter_mut().find(|s| fits(s)) {
            Some(sub) => sub.push(t),
            None => subs.push(vec![t]),
        }
    }
    let times_of = |sub: &[TripIdx], f: fn(&StopTimeSpec) -> Secs| -> Vec<Vec<Secs>> {
        sub.iter()
            .map(|t| trip_specs[t.idx()].stop_times.iter().map(f).collect())
            .collect()
    };
    for sub in subs {
        let p = PatternIdx::new(tt.patterns.len());
        let arr = times_of(&sub, |s| s.arrival);
        let dep = times_of(&sub, |s| s.departure);
        for a in &arr {
            tt.max_time = tt.max_time.max(*a.last().expect("two stop times"));
        }
        let times = Times {
            arr: &arr,
            dep: &dep,
        };
        push_pattern(
            tt,
            *route,
            stop_seq,
            fl,
            &sub,
            times,
            trip_specs,
            Vec::new(),
        );
        for (col, t) in sub.into_iter().enumerate() {
            trip_new[t.idx()] = Some((p, TripKind::Scheduled { col: col as u32 }));
        }
    }
}

/// The trips that have a pattern, renumbered densely (a dropped template's slot would point
/// at no pattern), with the patterns, windows and routes renumbered to match.
fn number_trips(
    tt: &mut Timetable,
    trip_specs: Vec<TripSpec>,
    trip_new: &[Option<(PatternIdx, TripKind)>],
    route_map: &[Option<RouteIdx>],
) {
    let mut trip_map = vec![None; trip_specs.len()];
    for (t, spec) in trip_specs.into_iter().enumerate() {
        let Some((pattern, kind)) = trip_new[t] else {
            continue;
        };
        let idx = TripIdx::new(tt.trips.len());
        trip_map[t] = Some(idx);
        tt.trip_by_id.insert(spec.id.clone(), idx);
        tt.trips.push(Trip {
            id: spec.id,
            route: route_map[spec.route.idx()].expect("route of a kept trip is kept"),
            service: spec.service,
            headsign: spec.headsign,
            short_name: spec.short_name,
            direction: spec.direction,
            block_id: spec.block_id,
            shape: spec.shape,
            wheelchair: spec.wheelchair,
            pattern,
            kind,
        });
    }
    for t in &mut tt.pattern_trips {
        *t = trip_map[t.idx()].expect("pattern trips are kept");
    }
    for w in &mut tt.windows {
        w.trip = trip_map[w.trip.idx()].expect("window trips are kept");
    }
    for p in &mut tt.patterns {
        p.route = route_map[p.route.idx()].expect("pattern routes are kept");
    }
}

/// Stop → (pattern, position) lists, in compressed rows.
fn index_stop_patterns(tt: &mut Timetable) {
    let n_stops = tt.stops.len();
    let mut count = vec![0u32; n_stops + 1];
    for &s in &tt.pattern_stops {
        count[s.idx() + 1] += 1;
    }
    for i in 0..n_stops {
        count[i + 1] += count[i];
    }
    let mut fill = count.clone();
    let mut sp = vec![(PatternIdx(0), 0u32); tt.pattern_stops.len()];
    for (p, pt) in tt.patterns.iter().enumerate() {
        for pos in 0..pt.n_stops {
            let s = tt.pattern_stops[(pt.stops_start + pos) as usize];
            sp[fill[s.idx()] as usize] = (PatternIdx::new(p), pos);
            fill[s.idx()] += 1;
        }
    }
    tt.stop_patterns_start = count;
    tt.stop_patterns = sp;
}

/// A feed's validity: the first and last days any of its trips runs.
fn service_span(tt: &Timetable, feed: FeedIdx) -> Option<(Day, Day)> {
    let mut span: Option<(Day, Day)> = None;
    let mut seen = vec![false; tt.services.len()];
    for t in &tt.trips {
        if tt.agencies[tt.routes[t.route.idx()].agency.idx()].feed != feed || seen[t.service.idx()]
        {
            continue;
        }
        seen[t.service.idx()] = true;
        if let Some((a, b)) = tt.services[t.service.idx()].span() {
            span = Some(span.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
    }
    span
}

/// Arrival and departure times of a pattern's trips, one row per trip.
#[derive(Clone, Copy)]
struct Times<'a> {
    arr: &'a [Vec<Secs>],
    dep: &'a [Vec<Secs>],
}

/// (arrival, departure) offsets from a template's first departure, per stop.
type Offsets = Vec<(Secs, Secs)>;

#[allow(clippy::too_many_arguments)]
fn push_pattern(
    tt: &mut Timetable,
    route: RouteIdx,
    stops: &[StopIdx],
    fl: &[u8],
    trips: &[TripIdx],
    times: Times<'_>,
    specs: &[TripSpec],
    windows: Vec<FreqWindow>,
) {
    let pt = Pattern {
        route,
        stops_start: tt.pattern_stops.len() as u32,
        n_stops: stops.len() as u32,
        trips_start: tt.pattern_trips.len() as u32,
        n_trips: trips.len() as u32,
        times_start: tt.departures.len() as u32,
        windows_start: tt.windows.len() as u32,
        n_windows: windows.len() as u32,
    };
    tt.pattern_stops.extend_from_slice(stops);
    tt.pattern_flags.extend_from_slice(fl);
    for &t in trips {
        tt.pattern_trips.push(t);
        tt.pattern_trip_service.push(specs[t.idx()].service);
        tt.pattern_trip_wheelchair.push(specs[t.idx()].wheelchair);
    }
    for pos in 0..stops.len() {
        for col in 0..trips.len() {
            tt.departures.push(times.dep[col][pos]);
            tt.arrivals.push(times.arr[col][pos]);
        }
    }
    tt.windows.extend(windows);
    tt.patterns.push(pt);
}

#[cfg(test)]
mod tests {
    use crate::text::parse;
    use crate::*;

    fn h(hh: u32, mm: u32) -> Secs {
        hh * 3600 + mm * 60
    }

    #[test]
    fn overtaking_trips_go_to_separate_patterns() {
        // The 08:05 express overtakes the 08:00 local between B and C.
        let tt = parse(
            "route R: A 08:00 B 08:10 C 08:30\n\
             route R: A 08:05 B 08:12 C 08:20\n\
             route R: A 08:20 B 08:30 C 08:50\n",
        )
        .unwrap();
        assert_eq!(tt.patterns().len(), 2);
        for p in 0..2 {
            let p = PatternIdx(p);
            let n = tt.pattern(p).n_trips();
            for pos in 0..3 {
                let d = tt.departures(p, pos);
                let a = tt.arrivals(p, pos);
                assert!(
                    d.windows(2).all(|w| w[0] <= w[1]) && a.windows(2).all(|w| w[0] <= w[1]),
                    "FIFO in every column"
                );
                assert_eq!(d.len(), n);
            }
        }
        let total: usize = tt.patterns().iter().map(Pattern::n_trips).sum();
        assert_eq!(total, 3);
        assert_eq!(tt.departures(PatternIdx(0), 0), &[h(8, 0), h(8, 20)]);
    }

    #[test]
    fn pickup_rules_and_routes_split_patterns() {
        let tt = parse(
            "route R: A 08:00 B 08:10\n\
             route R: A[in] 09:00 B 09:10\n\
             route S: A 08:00 B 08:10\n",
        )
        .unwrap();
        assert_eq!(tt.patterns().len(), 3);
        let p = tt.stop_patterns(tt.stop_by_id("A").unwrap());
        assert_eq!(p.len(), 3);
        assert!(p.iter().all(|&(_, pos)| pos == 0));
        let flags1 = tt.pattern_flags(PatternIdx(1));
        assert_eq!(flags1[0], flags::PICKUP);
    }

    #[test]
    fn frequency_templates_are_stored_once() {
        let tt = parse(
            "freq F every 5m from 06:00 to 07:00: A 0:00 B 0:04 C 0:09\n\
             freq F every 10m from 07:00 to 09:00: A 0:00 B 0:04 C 0:09\n\
             freq F every 10m from 07:00 to 09:00: A 0:00 B 0:06 C 0:12\n\
             route F: A 06:02 B 06:06 C 06:11\n",
        )
        .unwrap();
        // Two offset profiles, plus the scheduled trip: three patterns.
        assert_eq!(tt.patterns().len(), 3);
        let p0 = PatternIdx(0);
        assert!(tt.pattern(p0).is_frequency());
        assert_eq!(tt.windows(p0).len(), 2);
        assert_eq!(tt.departures(p0, 2), &[9 * 60]);
        let w = tt.windows(p0)[0];
        assert_eq!(w.runs(), 12);
        assert_eq!(w.next_start(h(6, 1)), Some(h(6, 5)));
        assert_eq!(w.next_start(h(5, 0)), Some(h(6, 0)));
        assert_eq!(w.next_start(h(6, 55)), Some(h(6, 55)));
        assert_eq!(w.next_start(h(6, 56)), None);
        let day = Day::parse("20261123").unwrap();
        let st = tt.day_stats(day);
        assert_eq!(st.runs, 12 + 12 + 12 + 1);
        assert_eq!(st.stop_events, 3 * st.runs);
        assert_eq!(tt.trips().len(), 4);
    }

    #[test]
    fn latest_start_reverses_next_start() {
        for exact in [true, false] {
            let w = FreqWindow {
                start: h(6, 0),
                end: h(7, 0),
                headway: 600,
                exact,
                trip: TripIdx(0),
                service: ServiceIdx(0),
            };
            for latest in (h(5, 50)..h(7, 10)).step_by(37) {
                let got = w.latest_start(latest);
                // Brute force: the latest run start reachable from any ready time.
                let want = (h(5, 0)..h(7, 10))
                    .filter_map(|t0| w.next_start(t0))
                    .filter(|&s| s <= latest)
                    .max();
                assert_eq!(got, want, "exact={exact} latest={latest}");
                if let Some(s) = got {
                    assert_eq!(w.next_start(w.ready_for(s)), Some(s));
                }
            }
        }
    }

    #[test]
    fn inexact_frequencies_plan_the_worst_case_wait() {
        let w = FreqWindow {
            start: h(6, 0),
            end: h(7, 0),
            headway: 600,
            exact: false,
            trip: TripIdx(0),
            service: ServiceIdx(0),
        };
        assert_eq!(w.next_start(h(5, 50)), Some(h(6, 0)));
        assert_eq!(w.next_start(h(6, 1)), Some(h(6, 11)));
        assert_eq!(
            w.next_start(h(6, 50)),
            None,
            "a full headway after 06:50 is past the window"
        );
    }

    #[test]
    fn overnight_runs_count_on_the_next_day() {
        let tt = parse("route N days=20261122: A 23:50 B 24:20 C 25:00\n").unwrap();
        let st = tt.day_stats(Day::parse("20261123").unwrap());
        assert_eq!((st.runs, st.runs_from_previous_day), (0, 1));
        assert_eq!(tt.max_days_back(), 1);
        let st = tt.day_stats(Day::parse("20261122").unwrap());
        assert_eq!((st.runs, st.stop_events), (1, 3));
    }

    #[test]
    fn components_follow_rides_and_footpaths() {
        let tt = parse(
            "stop X -16.4,-71.6\nstop Y -16.4001,-71.6\n\
             route R: A 08:00 B 08:10\n\
             route S: X 08:00 C 08:10\n\
             route T: Y 09:00 D 09:10\n",
        )
        .unwrap();
        let comps = tt.components();
        let sizes: Vec<usize> = comps.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![4, 2], "X and Y are 11 m apart: one component");
    }
}
