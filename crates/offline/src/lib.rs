//! A feed's timetable as the phone keeps it, for planning with no connection.
//!
//! [`export`] writes what rebuilds one feed's timetable exactly as the server routes over it —
//! stops with the names riders see, routes, service days, stop patterns with their trips'
//! times or frequency templates and windows, `transfers.txt` rules, the street walks between
//! stops when the city has streets, fares, shapes for drawing — and the planner settings the
//! server plans with. [`import`] reads it back through the same [`TimetableBuilder`], so the
//! phone's router (the `phone` crate, WebAssembly) answers as the server does without live data.
//!
//! Layout: `PRDROTT\0`, the format version (u16, little-endian), the SHA-256 of the payload, then
//! the payload (serde in postcard's varint encoding; times and days delta-coded). A truncated,
//! tampered or newer bundle is refused with the reason before anything is decoded.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use timetable::footpaths::{FootpathConfig, TransferKind, TransferSpec, Walked};
use timetable::{
    Accessibility, Agency, AgencyIdx, BuildConfig, Coord, Day, Fare, FareIdx, FareRule, Feed,
    FeedIdx, Route, RouteIdx, ServiceDays, ServiceIdx, Shape, ShapeIdx, Stop, StopIdx,
    StopTimeSpec, Timetable, TimetableBuilder, TripKind, TripSpec, Warnings, flags,
};

/// First bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"PRDROTT\0";
/// The layout this build writes and reads; a bundle of another is refused (the page fetches
/// a new one). 2: stops carry the code painted at them (`stop_code`).
pub const FORMAT: u16 = 2;
const HEADER: usize = 8 + 2 + 32;
/// Shapes on the phone are drawn, not measured to the metre: points within this of the line
/// through their neighbours are left out. (A leg's CO₂, measured along its shape, may then
/// differ from the server's by a fraction of a percent; journeys and times do not.)
pub const SHAPE_TOLERANCE_M: f64 = 2.0;
const E7: f64 = 1e7;
const E6: f64 = 1e6;

/// Ids are namespaced by the feed (`arequipa:5555040128`); the bundle stores them without the
/// namespace (a `\0` first marks one that had none).
fn short_id(prefix: &str, id: &str) -> String {
    match id.strip_prefix(prefix) {
        Some(rest) => rest.to_string(),
        None => format!("\0{id}"),
    }
}

fn long_id(prefix: &str, id: String) -> String {
    match id.strip_prefix('\0') {
        Some(rest) => rest.to_string(),
        None => format!("{prefix}{id}"),
    }
}

/// The 1e-7-degree grid value of `x`, if it reads back as exactly `x`.
fn on_grid(x: f64) -> Option<i64> {
    let k = (x * E7).round();
    (k.abs() < 1e15 && k / E7 == x).then_some(k as i64)
}

/// A shape for the phone: simplified between the points the planner cuts legs at (the points
/// nearest the stops of the trips drawn on it, kept), in 1e-6 degrees, delta-coded.
fn simplified(points: &[Coord], stops: &[Vec<Coord>]) -> Vec<(i32, i32)> {
    use simplify_polyline::{Point, simplify};
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let mut pinned = vec![false; points.len()];
    pinned[0] = true;
    pinned[points.len() - 1] = true;
    for seq in stops {
        let mut before: Vec<usize> = Vec::new();
        for &c in seq {
            if let Some(i) = planner::nearest_point(points, c, 0, c.lat().to_radians().cos()) {
                pinned[i] = true;
            }
            // Where a leg boarded a few stops back ends (searching on from the boarding point).
            for &a in before.iter().rev().take(4) {
                if let Some(i) = planner::nearest_point(points, c, a, c.lat().to_radians().cos()) {
                    pinned[i] = true;
                }
            }
            if let Some(a) = planner::nearest_point(points, c, 0, c.lat().to_radians().cos()) {
                before.push(a);
            }
        }
    }
    let k = first.lat().to_radians().cos() * 111_320.0;
    let metres: Vec<Point<2, f64>> = points
        .iter()
        .map(|c| Point {
            vec: [c.lon() * k, c.lat() * 111_320.0],
        })
        .collect();
    let mut kept_idx = vec![0usize];
    let mut from = 0;
    for to in 1..points.len() {
        if !pinned[to] {
            continue;
        }
        let piece = &metres[from..=to];
        let kept = simplify(piece, SHAPE_TOLERANCE_M, true);
        let mut i = 0;
        for p in kept.iter().skip(1) {
            while i < piece.len() && piece[i] != *p {
                i += 1;
            }
            kept_idx.push(from + i.min(piece.len() - 1));
        }
        from = to;
    }
    kept_idx.dedup();
    let mut out = Vec::with_capacity(kept_idx.len());
    let mut prev = (0i32, 0i32);
    for i in kept_idx {
        let c = points[i];
        let q = ((c.lat() * E6).round() as i32, (c.lon() * E6).round() as i32);
        out.push((q.0.wrapping_sub(prev.0), q.1.wrapping_sub(prev.1)));
        prev = q;
    }
    out
}

/// Why a bundle was refused. Each says what to do: fetch the bundle again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Shorter than its header, or not a bundle at all.
    #[error("not a paradero timetable bundle (it does not start as one): download it again")]
    NotABundle,
    /// Written by another version of paradero.
    #[error(
        "timetable bundle of format {found}, this page reads format {expected}: download it again"
    )]
    Format {
        /// The bundle's.
        found: u16,
        /// This build's.
        expected: u16,
    },
    /// The payload is not what was written: cut short or changed.
    #[error(
        "the timetable bundle is damaged (its checksum does not match: cut short or altered): download it again"
    )]
    Checksum,
    /// The checksum matches but the contents do not make a timetable.
    #[error("the timetable bundle cannot be read ({0}): download it again")]
    Invalid(String),
}

/// What a bundle says about itself (shown to riders: "horarios guardados el 6/12").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// The feed's id (`arequipa`).
    pub feed: String,
    /// `feed_info.txt`'s version, if any.
    pub feed_version: Option<String>,
    /// When the server loaded the feed it was written from, Unix seconds.
    pub loaded_unix: i64,
    /// First and last service day, `YYYY-MM-DD`.
    pub service_from: Option<String>,
    /// Last service day.
    pub service_to: Option<String>,
}

/// The planner's settings the server plans with, carried so the phone plans the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// `[planner]`.
    pub planner: planner::PlannerConfig,
    /// Most transfers.
    pub max_transfers: u8,
    /// Minimum change time, seconds.
    pub transfer_slack: u32,
    /// Walking speed override.
    pub walking_speed_m_s: Option<f64>,
    /// Longest walk per leg, metres.
    pub max_walk_leg_m: u32,
    /// Longest walking in all, metres.
    pub max_walk_total_m: u32,
    /// Route types not ridden.
    pub excluded_route_types: Vec<u16>,
    /// Agencies not ridden, by id.
    pub excluded_agencies: Vec<String>,
}

impl Settings {
    /// The settings of a server: its planner configuration and routing options.
    pub fn of(tt: &Timetable, planner: &planner::PlannerConfig, o: &raptor::Options) -> Settings {
        Settings {
            planner: planner.clone(),
            max_transfers: o.max_transfers,
            transfer_slack: o.transfer_slack,
            walking_speed_m_s: o.walking_speed_m_s,
            max_walk_leg_m: o.max_walk_leg_m,
            max_walk_total_m: o.max_walk_total_m,
            excluded_route_types: o.excluded_route_types.clone(),
            excluded_agencies: o
                .excluded_agencies
                .iter()
                .map(|a| tt.agencies()[a.idx()].id.clone())
                .collect(),
        }
    }

    /// Routing options for `tt` (the phone's timetable).
    pub fn options(&self, tt: &Timetable) -> raptor::Options {
        raptor::Options {
            max_transfers: self.max_transfers,
            transfer_slack: self.transfer_slack,
            walking_speed_m_s: self.walking_speed_m_s,
            max_walk_leg_m: self.max_walk_leg_m,
            max_walk_total_m: self.max_walk_total_m,
            excluded_route_types: self.excluded_route_types.clone(),
            excluded_agencies: tt
                .agencies()
                .iter()
                .enumerate()
                .filter(|(_, a)| self.excluded_agencies.contains(&a.id))
                .map(|(i, _)| AgencyIdx::new(i))
                .collect(),
            ..raptor::Options::default()
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Payload {
    meta: Meta,
    settings: Settings,
    feed: FeedB,
    footpaths: (f64, f64, f64),
    agencies: Vec<(String, String, String, String)>,
    stops: Vec<StopB>,
    /// Stops' coordinates in 1e-7 degrees, each from the previous stop's (lat, lon); a
    /// coordinate with more decimals than that is in `exact`.
    coords: Vec<(i64, i64)>,
    /// Stops whose coordinates the 1e-7 grid would change: (stop, lat, lon), exact.
    exact: Vec<(u32, f64, f64)>,
    routes: Vec<RouteB>,
    /// Per service, its first day and then the lengths of its runs of days on and off, in
    /// turn (a service every day for a century is two numbers).
    services: Vec<(i32, Vec<u32>)>,
    shapes: Vec<ShapeB>,
    /// Stop sequences with their pickup/drop-off flags, shared by trips.
    sequences: Vec<Sequence>,
    trips: Vec<TripB>,
    transfers: Vec<(u32, u32, u8, u32)>,
    walked: Option<Vec<Option<Vec<WalkB>>>>,
    fares: Vec<FareB>,
    fare_rules: Vec<FareRuleB>,
}

/// A stop sequence (stops, pickup/drop-off flags), shared by the trips that follow it.
type Sequence = (Vec<u32>, Vec<u8>);

/// A street walk: to stop, metres, step-free.
type WalkB = (u32, u32, bool);

#[derive(Serialize, Deserialize)]
struct FeedB {
    id: String,
    timezone: String,
    publisher: Option<String>,
    version: Option<String>,
    estimated_times: bool,
}

#[derive(Serialize, Deserialize)]
struct StopB {
    id: String,
    name: String,
    parent_station: Option<String>,
    zone_id: Option<String>,
    code: Option<String>,
    wheelchair: u8,
}

#[derive(Serialize, Deserialize)]
struct RouteB {
    id: String,
    agency: u32,
    short_name: String,
    long_name: String,
    route_type: u16,
    color: Option<String>,
    text_color: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ShapeB {
    id: String,
    /// Points simplified for drawing (within [`SHAPE_TOLERANCE_M`]), in 1e-6 degrees, each
    /// from the previous.
    points: Vec<(i32, i32)>,
    dist: Option<Vec<f32>>,
}

#[derive(Serialize, Deserialize)]
struct TripB {
    id: String,
    route: u32,
    service: u32,
    headsign: Option<String>,
    short_name: Option<String>,
    direction: Option<u8>,
    block_id: Option<String>,
    shape: Option<u32>,
    wheelchair: u8,
    sequence: u32,
    /// First departure, then per stop (arrival − previous departure, departure − arrival).
    first: u32,
    times: Vec<(u32, u32)>,
    /// Frequency windows: start, end, headway, exact.
    windows: Vec<(u32, u32, u32, bool)>,
}

#[derive(Serialize, Deserialize)]
struct FareB {
    id: String,
    price: f64,
    currency: String,
    payment_method: u8,
    transfers: Option<u32>,
    transfer_duration: Option<u32>,
    agency: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct FareRuleB {
    fare: u32,
    route: Option<u32>,
    origin_id: Option<String>,
    destination_id: Option<String>,
    contains_id: Option<String>,
}

fn access_code(a: Accessibility) -> u8 {
    match a {
        Accessibility::Unknown => 0,
        Accessibility::Yes => 1,
        Accessibility::No => 2,
    }
}

/// The bundle of feed `feed` of `tt` (every feed's when `tt` holds one), with the server's
/// planner `settings`, with what it says of itself. `None` if no loaded feed has that id.
pub fn export(
    tt: &Timetable,
    feed: &str,
    settings: Settings,
    loaded_unix: i64,
) -> Option<(Vec<u8>, Meta)> {
    let fi = tt.feeds().iter().position(|f| f.id == feed)?;
    let f = &tt.feeds()[fi];
    let prefix = format!("{}:", f.id);
    let short = |id: &str| short_id(&prefix, id);
    let in_feed = |fx: FeedIdx| fx.idx() == fi;
    // Old index → new index, for everything renumbered by leaving other feeds out.
    let mut agency_new = vec![u32::MAX; tt.agencies().len()];
    let mut agencies = Vec::new();
    for (i, a) in tt.agencies().iter().enumerate() {
        if in_feed(a.feed) {
            agency_new[i] = agencies.len() as u32;
            agencies.push((
                short(&a.id),
                a.name.clone(),
                a.url.clone(),
                a.timezone.clone(),
            ));
        }
    }
    let mut stop_new = vec![u32::MAX; tt.stops().len()];
    let mut stops = Vec::new();
    let (mut coords, mut exact, mut prev) = (Vec::new(), Vec::new(), (0i64, 0i64));
    for (i, s) in tt.stops().iter().enumerate() {
        if in_feed(s.feed) {
            let n = stops.len() as u32;
            stop_new[i] = n;
            let (lat, lon) = (s.coord.lat(), s.coord.lon());
            let q = match (on_grid(lat), on_grid(lon)) {
                (Some(a), Some(b)) => (a, b),
                _ => {
                    exact.push((n, lat, lon));
                    prev
                }
            };
            coords.push((q.0 - prev.0, q.1 - prev.1));
            prev = q;
            stops.push(StopB {
                id: short(&s.id),
                name: s.name.clone(),
                parent_station: s.parent_station.as_deref().map(short),
                zone_id: s.zone_id.clone(),
                code: s.code.clone(),
                wheelchair: access_code(s.wheelchair),
            });
        }
    }
    let mut route_new = vec![u32::MAX; tt.routes().len()];
    let mut routes = Vec::new();
    for (i, r) in tt.routes().iter().enumerate() {
        let a = agency_new[r.agency.idx()];
        if a != u32::MAX {
            route_new[i] = routes.len() as u32;
            routes.push(RouteB {
                id: short(&r.id),
                agency: a,
                short_name: r.short_name.clone(),
                long_name: r.long_name.clone(),
                route_type: r.route_type,
                color: r.color.clone(),
                text_color: r.text_color.clone(),
            });
        }
    }
    let services = service_runs(tt);
    let (shapes, sequences, trips) = trips_of(tt, &prefix, &route_new, &stop_new);
    let transfers = transfer_rows(tt, &stop_new);
    let walked = street_walks(tt, &stop_new);
    let (fares, fare_rules) = fares_of(tt, &prefix, &agency_new, &route_new);
    let fc = tt.footpath_config();
    let iso = |d: Day| d.to_string();
    let payload = Payload {
        meta: Meta {
            feed: f.id.clone(),
            feed_version: f.version.clone(),
            loaded_unix,
            service_from: f.service_span.map(|s| iso(s.0)),
            service_to: f.service_span.map(|s| iso(s.1)),
        },
        settings,
        feed: FeedB {
            id: f.id.clone(),
            timezone: f.timezone.clone(),
            publisher: f.publisher.clone(),
            version: f.version.clone(),
            estimated_times: f.estimated_times,
        },
        footpaths: (fc.radius_m, fc.detour_factor, fc.walking_speed_m_s),
        agencies,
        stops,
        coords,
        exact,
        routes,
        services,
        shapes,
        sequences,
        trips,
        transfers,
        walked,
        fares,
        fare_rules,
    };
    let meta = payload.meta.clone();
    let body = postcard::to_allocvec(&payload).ok()?;
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&body));
    out.extend_from_slice(&body);
    Some((out, meta))
}

/// Each service as its first day and the lengths of its runs of days on and off, in turn.
fn service_runs(tt: &Timetable) -> Vec<(i32, Vec<u32>)> {
    tt.services()
        .iter()
        .map(|s| {
            let mut days = s.iter();
            let Some(first) = days.next() else {
                return (0, Vec::new());
            };
            let (mut runs, mut last, mut run) = (Vec::new(), first.0, 1u32);
            for d in days {
                if d.0 == last + 1 {
                    run += 1;
                } else {
                    runs.push(run);
                    runs.push((d.0 - last - 1) as u32);
                    run = 1;
                }
                last = d.0;
            }
            runs.push(run);
            (first.0, runs)
        })
        .collect()
}

/// The feed's trips with the stop sequences and shapes they use, renumbered for the bundle.
fn trips_of(
    tt: &Timetable,
    prefix: &str,
    route_new: &[u32],
    stop_new: &[u32],
) -> (Vec<ShapeB>, Vec<Sequence>, Vec<TripB>) {
    let short = |id: &str| short_id(prefix, id);
    let mut shape_new = vec![u32::MAX; tt.shapes().len()];
    let mut shapes = Vec::new();
    let mut sequences: Vec<(Vec<u32>, Vec<u8>)> = Vec::new();
    let mut sequence_of = std::collections::HashMap::new();
    let mut trips = Vec::new();
    for t in tt.trips() {
        let ri = route_new[t.route.idx()];
        if ri == u32::MAX {
            continue;
        }
        let shape = t.shape.map(|sh| {
            if shape_new[sh.idx()] == u32::MAX {
                shape_new[sh.idx()] = shapes.len() as u32;
                let s = tt.shape(sh);
                let drawn: Vec<Vec<Coord>> = tt
                    .trips()
                    .iter()
                    .filter(|x| x.shape == Some(sh))
                    .map(|x| {
                        tt.pattern_stops(x.pattern)
                            .iter()
                            .map(|&st| tt.stop(st).coord)
                            .collect()
                    })
                    .collect();
                let points = simplified(&s.points, &drawn);
                shapes.push(ShapeB {
                    id: short(&s.id),
                    // Distances along the shape belong to its points: with points left out,
                    // they would no longer match.
                    dist: s.dist.as_ref().filter(|d| d.len() == points.len()).cloned(),
                    points,
                });
            }
            shape_new[sh.idx()]
        });
        let p = t.pattern;
        let seq: Vec<u32> = tt
            .pattern_stops(p)
            .iter()
            .map(|s| stop_new[s.idx()])
            .collect();
        let key = (seq, tt.pattern_flags(p).to_vec());
        let n = sequences.len() as u32;
        let sequence = *sequence_of.entry(key.clone()).or_insert_with(|| {
            sequences.push(key);
            n
        });
        let col = match t.kind {
            TripKind::Scheduled { col } => col as usize,
            TripKind::Frequency => 0,
        };
        let mut times = Vec::with_capacity(tt.pattern(p).n_stops());
        let first = tt.departure(p, 0, col);
        let mut prev = first;
        for pos in 0..tt.pattern(p).n_stops() {
            let (a, d) = (tt.arrival(p, pos, col), tt.departure(p, pos, col));
            // Wrapping: exact round trip whatever the feed's times.
            times.push((a.wrapping_sub(prev), d.wrapping_sub(a)));
            prev = d;
        }
        let windows = match t.kind {
            TripKind::Frequency => tt
                .windows(p)
                .iter()
                .filter(|w| tt.trip(w.trip).id == t.id)
                .map(|w| (w.start, w.end, w.headway, w.exact))
                .collect(),
            TripKind::Scheduled { .. } => Vec::new(),
        };
        trips.push(TripB {
            id: short(&t.id),
            route: ri,
            service: t.service.0,
            headsign: t.headsign.clone(),
            short_name: t.short_name.clone(),
            direction: t.direction,
            block_id: t.block_id.clone(),
            shape,
            wheelchair: access_code(t.wheelchair),
            sequence,
            first,
            times,
            windows,
        });
    }
    (shapes, sequences, trips)
}

/// The `transfers.txt` rules between the feed's stops.
fn transfer_rows(tt: &Timetable, stop_new: &[u32]) -> Vec<(u32, u32, u8, u32)> {
    tt.transfer_rules()
        .iter()
        .filter(|r| stop_new[r.from.idx()] != u32::MAX && stop_new[r.to.idx()] != u32::MAX)
        .map(|r| {
            let (k, secs) = match r.kind {
                TransferKind::Recommended => (0, 0),
                TransferKind::Timed => (1, 0),
                TransferKind::MinTime(s) => (2, s),
                TransferKind::Forbidden => (3, 0),
            };
            (stop_new[r.from.idx()], stop_new[r.to.idx()], k, secs)
        })
        .collect()
}

/// The street walks from and to the feed's stops, if the footpaths were measured on streets.
fn street_walks(tt: &Timetable, stop_new: &[u32]) -> Option<Vec<Option<Vec<WalkB>>>> {
    tt.walked().map(|w| {
        w.iter()
            .enumerate()
            .filter(|(i, _)| stop_new[*i] != u32::MAX)
            .map(|(_, list)| {
                list.as_ref().map(|l| {
                    l.iter()
                        .filter(|x| stop_new[x.to.idx()] != u32::MAX)
                        .map(|x| (stop_new[x.to.idx()], x.distance_m, x.step_free))
                        .collect()
                })
            })
            .collect()
    })
}

/// The fares of the feed's agencies (and, with one feed, those of no agency) and their rules.
fn fares_of(
    tt: &Timetable,
    prefix: &str,
    agency_new: &[u32],
    route_new: &[u32],
) -> (Vec<FareB>, Vec<FareRuleB>) {
    let short = |id: &str| short_id(prefix, id);
    let mut fare_new = vec![u32::MAX; tt.fares().len()];
    let mut fares = Vec::new();
    for (i, fa) in tt.fares().iter().enumerate() {
        let agency = fa.agency.map(|a| agency_new[a.idx()]);
        if agency == Some(u32::MAX) || (agency.is_none() && tt.feeds().len() > 1) {
            continue;
        }
        fare_new[i] = fares.len() as u32;
        fares.push(FareB {
            id: short(&fa.id),
            price: fa.price,
            currency: fa.currency.clone(),
            payment_method: fa.payment_method,
            transfers: fa.transfers,
            transfer_duration: fa.transfer_duration,
            agency,
        });
    }
    let fare_rules = tt
        .fare_rules()
        .iter()
        .filter(|r| fare_new[r.fare.idx()] != u32::MAX)
        .filter(|r| r.route.is_none_or(|x| route_new[x.idx()] != u32::MAX))
        .map(|r| FareRuleB {
            fare: fare_new[r.fare.idx()],
            route: r.route.map(|x| route_new[x.idx()]),
            origin_id: r.origin_id.clone(),
            destination_id: r.destination_id.clone(),
            contains_id: r.contains_id.clone(),
        })
        .collect();
    (fares, fare_rules)
}

/// The SHA-256 of a bundle's payload, hex (its version: the ETag and what the page compares).
pub fn checksum(bundle: &[u8]) -> Option<String> {
    let sum = bundle.get(10..HEADER)?;
    Some(sum.iter().map(|b| format!("{b:02x}")).collect())
}

/// A bundle read back: the timetable, the settings to plan with, and what it says of itself.
#[derive(Debug)]
pub struct Imported {
    /// The feed's timetable, as the server had it.
    pub timetable: Timetable,
    /// How the server plans.
    pub settings: Settings,
    /// Feed, version, when it was written.
    pub meta: Meta,
}

/// Reads a bundle, refusing a damaged or foreign one with the reason.
pub fn import(bytes: &[u8]) -> Result<Imported, BundleError> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(BundleError::NotABundle);
    }
    let found = u16::from_le_bytes([bytes[8], bytes[9]]);
    if found != FORMAT {
        return Err(BundleError::Format {
            found,
            expected: FORMAT,
        });
    }
    let body = &bytes[HEADER..];
    if Sha256::digest(body).as_slice() != &bytes[10..HEADER] {
        return Err(BundleError::Checksum);
    }
    let p: Payload = postcard::from_bytes(body).map_err(|e| BundleError::Invalid(e.to_string()))?;
    rebuild(p)
}

fn invalid(what: &str) -> BundleError {
    BundleError::Invalid(what.to_string())
}

fn access(code: u8) -> Result<Accessibility, BundleError> {
    Accessibility::from_gtfs(code.into()).ok_or_else(|| invalid("accessibility code"))
}

fn rejected(e: timetable::builder::Rejected) -> BundleError {
    BundleError::Invalid(e.to_string())
}

/// `i` as an index into something of `n`, or the bundle is invalid (`what` says where).
fn within(i: u32, n: usize, what: &str) -> Result<usize, BundleError> {
    if (i as usize) < n {
        Ok(i as usize)
    } else {
        Err(invalid(what))
    }
}

/// The street walks read back, every stop index checked.
fn walks_back(
    w: Vec<Option<Vec<WalkB>>>,
    n_stops: usize,
) -> Result<Vec<Option<Vec<Walked>>>, BundleError> {
    if w.len() != n_stops {
        return Err(invalid("street walks"));
    }
    w.into_iter()
        .map(|list| {
            list.map(|l| {
                l.into_iter()
                    .map(|(to, distance_m, step_free)| {
                        Ok(Walked {
                            to: StopIdx::new(within(to, n_stops, "street walk")?),
                            distance_m,
                            step_free,
                        })
                    })
                    .collect::<Result<Vec<_>, BundleError>>()
            })
            .transpose()
        })
        .collect::<Result<Vec<_>, _>>()
}

/// Adds the fares and their rules, every index checked.
fn add_fares(
    b: &mut TimetableBuilder,
    long: &dyn Fn(String) -> String,
    fares: Vec<FareB>,
    fare_rules: Vec<FareRuleB>,
    n_agencies: usize,
    n_routes: usize,
) -> Result<(), BundleError> {
    for fa in fares {
        let agency = match fa.agency {
            Some(a) => Some(AgencyIdx::new(within(a, n_agencies, "fare agency")?)),
            None => None,
        };
        b.add_fare(Fare {
            id: long(fa.id),
            price: fa.price,
            currency: fa.currency,
            payment_method: fa.payment_method,
            transfers: fa.transfers,
            transfer_duration: fa.transfer_duration,
            agency,
        })
        .map_err(rejected)?;
    }
    let n_fares = b.fares_len();
    for r in fare_rules {
        let route = match r.route {
            Some(x) => Some(RouteIdx::new(within(x, n_routes, "fare rule route")?)),
            None => None,
        };
        b.add_fare_rule(FareRule {
            fare: FareIdx::new(within(r.fare, n_fares, "fare rule fare")?),
            route,
            origin_id: r.origin_id,
            destination_id: r.destination_id,
            contains_id: r.contains_id,
        });
    }
    Ok(())
}

/// Adds the trips (with their frequency windows) over their stop sequences, every index and
/// count checked; `counts` are the stops, routes, services and shapes added before.
fn add_trips(
    b: &mut TimetableBuilder,
    long: &dyn Fn(String) -> String,
    trips: Vec<TripB>,
    sequences: &[Sequence],
    (n_stops, n_routes, n_services, n_shapes): (usize, usize, usize, usize),
) -> Result<(), BundleError> {
    for t in trips {
        let (stops, fl) = sequences
            .get(t.sequence as usize)
            .ok_or_else(|| invalid("trip stop sequence"))?;
        if stops.len() != t.times.len() || fl.len() != stops.len() || stops.is_empty() {
            return Err(invalid("trip times"));
        }
        let mut prev = t.first;
        let mut stop_times = Vec::with_capacity(stops.len());
        for ((&s, &f), &(da, dd)) in stops.iter().zip(fl).zip(&t.times) {
            let arrival = prev.wrapping_add(da);
            let departure = arrival.wrapping_add(dd);
            prev = departure;
            stop_times.push(StopTimeSpec {
                stop: StopIdx::new(within(s, n_stops, "trip stop")?),
                arrival,
                departure,
                pickup: f & flags::PICKUP != 0,
                drop_off: f & flags::DROP_OFF != 0,
            });
        }
        let shape = match t.shape {
            Some(s) => Some(ShapeIdx::new(within(s, n_shapes, "trip shape")?)),
            None => None,
        };
        let trip = b
            .add_trip(TripSpec {
                id: long(t.id),
                route: RouteIdx::new(within(t.route, n_routes, "trip route")?),
                service: ServiceIdx(within(t.service, n_services, "trip service")? as u32),
                headsign: t.headsign,
                short_name: t.short_name,
                direction: t.direction,
                block_id: t.block_id,
                shape,
                wheelchair: access(t.wheelchair)?,
                stop_times,
            })
            .map_err(rejected)?;
        for (start, end, headway, exact) in t.windows {
            b.add_frequency(trip, start, end, headway, exact)
                .map_err(rejected)?;
        }
    }
    Ok(())
}

/// The walking settings the server built with, if they make sense.
fn build_config(
    (radius_m, detour_factor, walking_speed_m_s): (f64, f64, f64),
) -> Result<BuildConfig, BundleError> {
    let ok = |x: f64| x.is_finite() && x >= 0.0;
    if !(ok(radius_m) && ok(detour_factor) && ok(walking_speed_m_s) && walking_speed_m_s > 0.0) {
        return Err(invalid("walking settings"));
    }
    Ok(BuildConfig {
        footpaths: FootpathConfig {
            radius_m,
            detour_factor,
            walking_speed_m_s,
        },
    })
}

fn rebuild(p: Payload) -> Result<Imported, BundleError> {
    let (n_stops, n_routes, n_services, n_shapes, n_agencies) = (
        p.stops.len(),
        p.routes.len(),
        p.services.len(),
        p.shapes.len(),
        p.agencies.len(),
    );
    let prefix = format!("{}:", p.feed.id);
    let long = |id: String| long_id(&prefix, id);
    let mut b = TimetableBuilder::new();
    let feed = b.add_feed(Feed {
        id: p.feed.id.clone(),
        timezone: p.feed.timezone.clone(),
        publisher: p.feed.publisher.clone(),
        version: p.feed.version.clone(),
        service_span: None,
        valid_until: None,
        estimated_times: false,
    });
    for (id, name, url, timezone) in p.agencies {
        b.add_agency(Agency {
            feed,
            id: long(id),
            name,
            url,
            timezone,
        })
        .map_err(rejected)?;
    }
    if p.coords.len() != n_stops {
        return Err(invalid("stop coordinates"));
    }
    let mut exact = p.exact.iter().peekable();
    let mut at = (0i64, 0i64);
    for (i, (s, d)) in p.stops.into_iter().zip(&p.coords).enumerate() {
        let (la, lo) = match exact.peek() {
            Some(&&(k, la, lo)) if k as usize == i => {
                exact.next();
                (la, lo)
            }
            _ => {
                at = (
                    at.0.checked_add(d.0)
                        .ok_or_else(|| invalid("stop coordinate"))?,
                    at.1.checked_add(d.1)
                        .ok_or_else(|| invalid("stop coordinate"))?,
                );
                (at.0 as f64 / E7, at.1 as f64 / E7)
            }
        };
        let coord = Coord::new(la, lo).map_err(|_| invalid("stop coordinate"))?;
        b.add_stop(Stop {
            feed,
            id: long(s.id),
            name: s.name,
            coord,
            parent_station: s.parent_station.map(long),
            zone_id: s.zone_id,
            code: s.code,
            wheelchair: access(s.wheelchair)?,
        })
        .map_err(rejected)?;
    }
    for r in p.routes {
        b.add_route(Route {
            id: long(r.id),
            agency: AgencyIdx::new(within(r.agency, n_agencies, "route agency")?),
            short_name: r.short_name,
            long_name: r.long_name,
            route_type: r.route_type,
            color: r.color,
            text_color: r.text_color,
        })
        .map_err(rejected)?;
    }
    for (first, runs) in p.services {
        let (mut d, mut all) = (first, Vec::new());
        for (k, &run) in runs.iter().enumerate() {
            let end = i32::try_from(run)
                .ok()
                .and_then(|r| d.checked_add(r))
                .filter(|&e| e - first <= 200 * 366)
                .ok_or_else(|| invalid("service days"))?;
            if k % 2 == 0 {
                all.extend((d..end).map(Day));
            }
            d = end;
        }
        b.add_service(ServiceDays::from_days(all));
    }
    for s in p.shapes {
        let mut at = (0i32, 0i32);
        let points = s
            .points
            .iter()
            .map(|&(dla, dlo)| {
                at = (at.0.wrapping_add(dla), at.1.wrapping_add(dlo));
                Coord::new(f64::from(at.0) / E6, f64::from(at.1) / E6)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| invalid("shape coordinate"))?;
        if s.dist.as_ref().is_some_and(|d| d.len() != points.len()) {
            return Err(invalid("shape distances"));
        }
        b.add_shape(Shape {
            id: long(s.id),
            points,
            dist: s.dist,
        })
        .map_err(rejected)?;
    }
    let counts = (n_stops, n_routes, n_services, n_shapes);
    add_trips(&mut b, &long, p.trips, &p.sequences, counts)?;
    for (from, to, k, secs) in p.transfers {
        let kind = match k {
            0 => TransferKind::Recommended,
            1 => TransferKind::Timed,
            2 => TransferKind::MinTime(secs),
            3 => TransferKind::Forbidden,
            _ => return Err(invalid("transfer type")),
        };
        b.add_transfer(TransferSpec {
            from: StopIdx::new(within(from, n_stops, "transfer stop")?),
            to: StopIdx::new(within(to, n_stops, "transfer stop")?),
            kind,
        });
    }
    add_fares(&mut b, &long, p.fares, p.fare_rules, n_agencies, n_routes)?;
    let cfg = build_config(p.footpaths)?;
    let mut warnings = Warnings::default();
    let mut tt = b.build(&cfg, &mut warnings);
    if let Some(w) = p.walked {
        tt = tt.with_street_footpaths(&walks_back(w, n_stops)?);
    }
    if p.feed.estimated_times {
        tt = tt.with_estimated_times(std::slice::from_ref(&p.feed.id));
    }
    Ok(Imported {
        timetable: tt,
        settings: p.settings,
        meta: p.meta,
    })
}
