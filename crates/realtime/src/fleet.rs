//! Buses known only by where they are: the operators' GPS (a vehicle code, its route, maybe a
//! direction, a position and a time — no trip id), made into live runs.
//!
//! Each position is projected onto the lines of its route (one per pattern: the shape of the
//! pattern's first trip, or its stops in order when the feed has no shape). The line is the
//! one the vehicle was on (progress forward along it), else the one whose direction of travel
//! agrees with the heading, else the nearest. The vehicle is then attached to the run it is
//! serving: the frequency window its implied start falls in, the scheduled trip whose start is
//! nearest (within [`ATTACH_S`]), or an *unscheduled* run of the pattern when none matches —
//! how combis run. Arrivals at the stops ahead blend the observed speed with the timetable's
//! segment times; past [`HORIZON_S`] of scheduled travel they are the timetable's, and say so.
//!
//! A position from the future, older than the timeout, out of order, farther than
//! [`OFF_ROUTE_M`] from every line of its route, or implying a jump faster than
//! [`MAX_SPEED_MPS`] is dropped with its reason ([`Dropped`]); it never moves the vehicle.

use crate::{ExtraRun, LiveRun, Overlay, Vehicle, clamp, local_day, service_day_start};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use timetable::{Coord, Day, PatternIdx, RouteIdx, Secs, Timetable, TripIdx, TripKind};

/// A position farther than this from every line of its route is not on it (GPS noise is
/// ±20 m; a detour of a block is still the route).
pub const OFF_ROUTE_M: f64 = 150.0;
/// Faster than this between two positions is a jump, not a bus (km/h 144).
pub const MAX_SPEED_MPS: f64 = 40.0;
/// A scheduled trip is the run a vehicle serves only if it started within this of the
/// vehicle's implied start.
pub const ATTACH_S: i64 = 15 * 60;
/// Predictions further ahead than this much scheduled travel are the timetable's.
pub const HORIZON_S: i64 = 30 * 60;
/// A position more than this ahead of "now" is from the future.
const FUTURE_S: i64 = 60;

/// One line a vehicle can be on: a pattern, drawn.
#[derive(Debug, Clone)]
pub struct Line {
    /// The pattern.
    pub pattern: PatternIdx,
    /// Its route.
    pub route: RouteIdx,
    /// 0 or 1, when the feed says.
    pub direction: Option<u8>,
    points: Vec<Coord>,
    /// Metres along the line at each point.
    cum: Vec<f64>,
    /// Metres along the line at each stop position.
    stop_at: Vec<f64>,
    /// Scheduled arrival and departure at each stop position, seconds after the run's start.
    offsets: Vec<(i64, i64)>,
}

impl Line {
    /// Length in metres.
    pub fn length_m(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    /// The point `m` metres along.
    pub fn point_at(&self, m: f64) -> Coord {
        let m = m.clamp(0.0, self.length_m());
        let i = self
            .cum
            .partition_point(|&c| c < m)
            .clamp(1, self.points.len() - 1);
        let (a, b) = (self.points[i - 1], self.points[i]);
        let seg = self.cum[i] - self.cum[i - 1];
        let f = if seg > 0.0 {
            (m - self.cum[i - 1]) / seg
        } else {
            0.0
        };
        Coord::new(
            a.lat() + (b.lat() - a.lat()) * f,
            a.lon() + (b.lon() - a.lon()) * f,
        )
        .unwrap_or(a)
    }

    /// The direction of travel `m` metres along, degrees clockwise from north.
    pub fn bearing_at(&self, m: f64) -> f64 {
        let i = self
            .cum
            .partition_point(|&c| c < m)
            .clamp(1, self.points.len() - 1);
        bearing(self.points[i - 1], self.points[i])
    }

    /// Seconds of scheduled travel from the start to `m` metres along.
    pub fn scheduled_at(&self, m: f64) -> i64 {
        let k = self.stop_at.partition_point(|&s| s <= m);
        if k == 0 {
            return 0;
        }
        if k == self.stop_at.len() {
            return self.offsets[k - 1].0;
        }
        let (a, b) = (self.stop_at[k - 1], self.stop_at[k]);
        let (from, to) = (self.offsets[k - 1].1, self.offsets[k].0);
        let f = if b > a { (m - a) / (b - a) } else { 0.0 };
        from + ((to - from) as f64 * f).round() as i64
    }

    /// Metres along the line at each stop position.
    pub fn stops_along(&self) -> &[f64] {
        &self.stop_at
    }

    /// Metres along after `secs` of scheduled travel from the start (stopped at a stop while
    /// the timetable dwells there); `None` past the end.
    pub fn along_after(&self, secs: i64) -> Option<f64> {
        if secs < 0 {
            return None;
        }
        // The stops reached by then; the bus is at the last of them or on its way on.
        let k = self.offsets.partition_point(|o| o.0 <= secs).max(1);
        let dep = self.offsets[k - 1].1;
        if secs <= dep {
            return Some(self.stop_at[k - 1]);
        }
        let next = self.offsets.get(k)?.0;
        let f = (secs - dep) as f64 / (next - dep).max(1) as f64;
        Some(self.stop_at[k - 1] + (self.stop_at[k] - self.stop_at[k - 1]) * f)
    }

    /// Scheduled (arrival, departure) at each stop position, seconds after the run's start.
    pub fn offsets(&self) -> &[(i64, i64)] {
        &self.offsets
    }

    /// The point nearest `at` on the part of the line between `from_m` and `to_m` metres
    /// along: (metres along, metres away).
    fn project(&self, at: Coord, from_m: f64, to_m: f64) -> Option<(f64, f64)> {
        let k = 111_194.93; // metres per degree of latitude on the mean sphere
        let kx = k * at.lat().to_radians().cos();
        let xy = |c: Coord| ((c.lon() - at.lon()) * kx, (c.lat() - at.lat()) * k);
        let mut best: Option<(f64, f64)> = None;
        let first = self.cum.partition_point(|&c| c < from_m).saturating_sub(1);
        for i in first.max(1)..self.points.len() {
            if self.cum[i - 1] > to_m {
                break;
            }
            let (ax, ay) = xy(self.points[i - 1]);
            let (bx, by) = xy(self.points[i]);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (px, py) = (ax + t * dx, ay + t * dy);
            let d = (px * px + py * py).sqrt();
            let along = self.cum[i - 1] + t * (self.cum[i] - self.cum[i - 1]);
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((along, d));
            }
        }
        best
    }
}

fn bearing(a: Coord, b: Coord) -> f64 {
    let (p1, p2) = (a.lat().to_radians(), b.lat().to_radians());
    let dl = (b.lon() - a.lon()).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// Every pattern of a timetable as a line, by route. Built once per timetable.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    lines: Vec<Line>,
    by_route: HashMap<RouteIdx, Vec<u32>>,
}

impl Lines {
    /// The lines of `tt`'s patterns.
    pub fn new(tt: &Timetable) -> Lines {
        let mut out = Lines::default();
        for (i, pat) in tt.patterns().iter().enumerate() {
            let p = PatternIdx::new(i);
            let Some(&trip) = tt.pattern_trips(p).first() else {
                continue;
            };
            let stops = tt.pattern_stops(p);
            let stop_coords: Vec<Coord> = stops.iter().map(|&s| tt.stop(s).coord).collect();
            let points = tt
                .trip(trip)
                .shape
                .map(|s| tt.shape(s).points.clone())
                .filter(|pts| pts.len() >= 2)
                .unwrap_or_else(|| stop_coords.clone());
            if points.len() < 2 {
                continue;
            }
            let mut cum = Vec::with_capacity(points.len());
            let mut m = 0.0;
            for (k, c) in points.iter().enumerate() {
                if k > 0 {
                    m += points[k - 1].distance_m(*c);
                }
                cum.push(m);
            }
            let start = i64::from(tt.departure(p, 0, 0));
            let offsets = (0..stops.len())
                .map(|k| {
                    (
                        i64::from(tt.arrival(p, k, 0)) - start,
                        i64::from(tt.departure(p, k, 0)) - start,
                    )
                })
                .collect();
            let mut line = Line {
                pattern: p,
                route: pat.route,
                direction: tt.trip(trip).direction,
                points,
                cum,
                stop_at: Vec::new(),
                offsets,
            };
            // Stops in order along the line: each at or after the one before.
            let mut from = 0.0;
            for c in &stop_coords {
                let along = line
                    .project(*c, from, f64::INFINITY)
                    .map_or(from, |(a, _)| a.max(from));
                line.stop_at.push(along);
                from = along;
            }
            out.by_route
                .entry(pat.route)
                .or_default()
                .push(out.lines.len() as u32);
            out.lines.push(line);
        }
        out
    }

    /// The lines of `route`.
    pub fn of_route(&self, route: RouteIdx) -> impl Iterator<Item = (u32, &Line)> {
        self.by_route
            .get(&route)
            .into_iter()
            .flatten()
            .map(|&i| (i, &self.lines[i as usize]))
    }

    /// Every line, numbered.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Line)> {
        self.lines.iter().enumerate().map(|(i, l)| (i as u32, l))
    }

    /// Line `i`.
    pub fn line(&self, i: u32) -> &Line {
        &self.lines[i as usize]
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// One position of a vehicle, as an operator sent it (its route already resolved to the
/// routes it may mean: a short name can name both directions).
#[derive(Debug, Clone, PartialEq)]
pub struct Ping {
    /// The operator's code for the vehicle.
    pub vehicle: String,
    /// The routes it may be on.
    pub routes: Vec<RouteIdx>,
    /// 0 or 1, when the operator says.
    pub direction: Option<u8>,
    /// Where.
    pub coord: Coord,
    /// When (Unix seconds).
    pub at: i64,
    /// Its speed, metres per second, when sent.
    pub speed_mps: Option<f64>,
    /// Heading, degrees clockwise from north, when sent.
    pub heading: Option<f32>,
}

/// Why a position was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dropped {
    /// Its time is more than a minute ahead of "now".
    FromTheFuture,
    /// Older than the vehicle timeout.
    TooOld,
    /// Not newer than the vehicle's last position.
    OutOfOrder,
    /// Farther than [`OFF_ROUTE_M`] from every line of its route.
    OffRoute,
    /// Implies moving faster than [`MAX_SPEED_MPS`] since the last position.
    Jump,
}

impl Dropped {
    /// The reason's name (metrics and answers).
    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::FromTheFuture => "from_the_future",
            Dropped::TooOld => "too_old",
            Dropped::OutOfOrder => "out_of_order",
            Dropped::OffRoute => "off_route",
            Dropped::Jump => "jump",
        }
    }
}

/// Where a vehicle was last placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Its line.
    pub line: u32,
    /// Metres along it.
    pub along_m: f64,
    /// Where it was (as sent).
    pub coord: Coord,
    /// When.
    pub at: i64,
    /// Observed speed along the line (metres per second), once two positions agree.
    pub speed_mps: Option<f64>,
    /// Heading as sent, or the line's.
    pub heading: Option<f32>,
    /// The last position dropped as a jump: when the next agrees with it, the vehicle really
    /// moved (a gap in its signal), and it is placed there.
    jumped_to: Option<(Coord, i64)>,
    /// Its run as predicted from this position, made the first time it is published and
    /// reused until the next position: a prediction depends only on the position and its
    /// time, so publishing the fleet again costs a lookup per unchanged vehicle.
    predicted: Cached,
}

/// A track's prediction, once made; a cache, so not part of what a track is (equal tracks
/// are equal whether or not theirs was made yet).
#[derive(Debug, Clone, Default)]
struct Cached(std::sync::OnceLock<Predicted>);

impl PartialEq for Cached {
    fn eq(&self, _: &Cached) -> bool {
        true
    }
}

/// A track's service day, the start of the run it serves (seconds of that day) and its run.
#[derive(Debug, Clone)]
struct Predicted {
    day: Day,
    started: i64,
    run: Arc<LiveRun>,
}

/// The vehicles being tracked, by code. Owned by one writer; what readers see is the
/// [`Overlay`] and vehicles [`Fleet::live`] makes of it.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    tracks: HashMap<String, Track>,
    /// Stops passed since the last [`Fleet::take_passed`].
    passed: Vec<Passage>,
}

/// A vehicle passing a stop of its line, between two of its positions (the time
/// interpolated along the line): what service delivered is measured from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The line.
    pub line: u32,
    /// The stop's position on it.
    pub pos: u32,
    /// When (Unix seconds).
    pub at: i64,
    /// The vehicle's code.
    pub vehicle: String,
}

impl Fleet {
    /// Places one position (see the module's rules); the vehicle keeps its last good place
    /// when it is dropped.
    pub fn observe(
        &mut self,
        lines: &Lines,
        ping: &Ping,
        now: i64,
        timeout_s: i64,
    ) -> Result<(), Dropped> {
        // Saturating: a hostile timestamp (i64::MIN, i64::MAX) is only very old or very new.
        if ping.at > now.saturating_add(FUTURE_S) {
            return Err(Dropped::FromTheFuture);
        }
        if now.saturating_sub(ping.at) > timeout_s {
            return Err(Dropped::TooOld);
        }
        let too_fast = |from: Coord, since: i64| {
            let d = from.distance_m(ping.coord);
            d > 200.0 && d / (ping.at - since).max(1) as f64 > MAX_SPEED_MPS
        };
        let mut prev = self.tracks.get(&ping.vehicle);
        if let Some(p) = prev {
            if ping.at <= p.at || p.jumped_to.is_some_and(|(_, t)| ping.at <= t) {
                return Err(Dropped::OutOfOrder);
            }
            if too_fast(p.coord, p.at) {
                let confirmed = p.jumped_to.is_some_and(|(c, t)| !too_fast(c, t));
                if !confirmed {
                    if let Some(p) = self.tracks.get_mut(&ping.vehicle) {
                        p.jumped_to = Some((ping.coord, ping.at));
                    }
                    return Err(Dropped::Jump);
                }
                prev = None; // placed afresh where it now is
            }
        }
        let (line, along) = place(lines, ping, prev).ok_or(Dropped::OffRoute)?;
        let speed = match prev {
            Some(p) if p.line == line && along >= p.along_m => {
                let v = (along - p.along_m) / (ping.at - p.at) as f64;
                Some(p.speed_mps.map_or(v, |old| 0.5 * old + 0.5 * v))
            }
            _ => ping.speed_mps,
        };
        let heading = ping
            .heading
            .or_else(|| Some(lines.line(line).bearing_at(along) as f32));
        // The stops passed since the last position on the same line, moving forward.
        if let Some(p) = prev.filter(|p| p.line == line && along > p.along_m) {
            let stops = lines.line(line).stops_along();
            let first = stops.partition_point(|&m| m <= p.along_m);
            let last = stops.partition_point(|&m| m <= along);
            let span = along - p.along_m;
            for (k, &m) in stops.iter().enumerate().take(last).skip(first) {
                let f = (m - p.along_m) / span;
                self.passed.push(Passage {
                    line,
                    pos: k as u32,
                    at: p.at + ((ping.at - p.at) as f64 * f).round() as i64,
                    vehicle: ping.vehicle.clone(),
                });
            }
        }
        self.tracks.insert(
            ping.vehicle.clone(),
            Track {
                line,
                along_m: along,
                coord: ping.coord,
                at: ping.at,
                speed_mps: speed,
                heading,
                jumped_to: None,
                predicted: Cached::default(),
            },
        );
        Ok(())
    }

    /// The stops passed since the last call, in the order seen.
    pub fn take_passed(&mut self) -> Vec<Passage> {
        std::mem::take(&mut self.passed)
    }

    /// Forgets vehicles last seen before `t`.
    pub fn forget_before(&mut self, t: i64) {
        self.tracks.retain(|_, tr| tr.at >= t);
    }

    /// How many vehicles are tracked.
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    /// Where vehicle `code` was last placed.
    pub fn track(&self, code: &str) -> Option<&Track> {
        self.tracks.get(code)
    }

    /// The vehicles seen within `timeout_s` of `now` and the runs they serve, predicted: each
    /// run live until `timeout_s` after its vehicle was last seen.
    pub fn live(
        &self,
        tt: &Timetable,
        lines: &Lines,
        now: i64,
        timeout_s: i64,
    ) -> (Vec<Vehicle>, Overlay) {
        let tz: chrono_tz::Tz = tt
            .feeds()
            .first()
            .and_then(|f| f.timezone.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        let mut overlay = Overlay {
            feed_time: now,
            ..Overlay::default()
        };
        let mut vehicles = Vec::new();
        let mut claimed: HashSet<TripIdx> = HashSet::new();
        // Furthest along first: it is the earlier run when two vehicles share a line.
        let mut order: Vec<(&String, &Track)> = self
            .tracks
            .iter()
            .filter(|(_, t)| now - t.at <= timeout_s)
            .collect();
        order.sort_by(|a, b| {
            (a.1.line, b.1.along_m, a.0)
                .partial_cmp(&(b.1.line, a.1.along_m, b.0))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        for (code, tr) in order {
            let line = lines.line(tr.line);
            let Predicted { day, started, run } = tr.predicted.0.get_or_init(|| {
                let day = local_day(tz, tr.at);
                let at = tr.at - service_day_start(tz, day);
                let mut run = predict(line, tr, at);
                run.vehicle = Some(code.clone());
                run.expires_at = Some(tr.at + timeout_s);
                Predicted {
                    day,
                    started: at - line.scheduled_at(tr.along_m),
                    run: Arc::new(run),
                }
            });
            let (day, started, run) = (*day, *started, run.clone());
            let served = attach(tt, line, day, started, &claimed);
            let trip = match served {
                Served::Scheduled(trip) => {
                    claimed.insert(trip);
                    overlay.runs.insert((trip, day), run);
                    Some(trip)
                }
                Served::Frequency { trip, start } | Served::Unscheduled { trip, start } => {
                    overlay
                        .extra
                        .entry((line.pattern, day))
                        .or_default()
                        .push(ExtraRun {
                            trip,
                            start,
                            unscheduled: matches!(served, Served::Unscheduled { .. }),
                            run,
                        });
                    Some(trip)
                }
            };
            overlay.applied.runs += 1;
            vehicles.push(Vehicle {
                code: Some(code.clone()),
                trip,
                route: Some(line.route),
                direction: line.direction,
                coord: tr.coord,
                bearing: tr.heading,
                seen_at: tr.at,
                run_start: match served {
                    Served::Scheduled(_) => None,
                    Served::Frequency { start, .. } | Served::Unscheduled { start, .. } => {
                        Some(start)
                    }
                },
                unscheduled: matches!(served, Served::Unscheduled { .. }),
            });
        }
        overlay.index(tt);
        (vehicles, overlay)
    }
}

/// The line and metres along it where `ping` lies, if it lies on its route.
fn place(lines: &Lines, ping: &Ping, prev: Option<&Track>) -> Option<(u32, f64)> {
    let mut best: Option<(u32, f64, f64)> = None; // line, along, score (lower is better)
    for &route in &ping.routes {
        for (i, line) in lines.of_route(route) {
            if ping
                .direction
                .is_some_and(|d| line.direction.is_some_and(|ld| ld != d))
            {
                continue;
            }
            // On the line it was on: forward from where it was (a loop passes a point twice).
            let same = prev.filter(|p| p.line == i);
            let window = same.map_or((0.0, f64::INFINITY), |p| {
                let dt = (ping.at - p.at).max(1) as f64;
                (p.along_m - 50.0, p.along_m + dt * MAX_SPEED_MPS + 50.0)
            });
            let Some((along, d)) = line
                .project(ping.coord, window.0, window.1)
                .filter(|(_, d)| *d <= OFF_ROUTE_M)
                .or_else(|| {
                    line.project(ping.coord, 0.0, f64::INFINITY)
                        .filter(|(_, d)| *d <= OFF_ROUTE_M)
                })
            else {
                continue;
            };
            let mut score = d;
            if same.is_some_and(|p| along >= p.along_m - 50.0) {
                score -= 1_000.0;
            }
            if ping
                .heading
                .is_some_and(|h| angle_between(f64::from(h), line.bearing_at(along)) > 90.0)
            {
                score += 500.0;
            }
            if best.is_none_or(|(_, _, s)| score < s) {
                best = Some((i, along, score));
            }
        }
    }
    best.map(|(i, along, _)| (i, along))
}

/// The run a vehicle serves.
#[derive(Debug, Clone, Copy)]
enum Served {
    Scheduled(TripIdx),
    Frequency { trip: TripIdx, start: Secs },
    Unscheduled { trip: TripIdx, start: Secs },
}

/// The run of `line`'s pattern on `day` that started at `started` (seconds of the service
/// day), as near as the timetable has one.
fn attach(
    tt: &Timetable,
    line: &Line,
    day: Day,
    started: i64,
    claimed: &HashSet<TripIdx>,
) -> Served {
    let p = line.pattern;
    let start = clamp(started);
    let template = tt.pattern_trips(p)[0];
    if tt.pattern(p).is_frequency() {
        for w in tt.windows(p) {
            if !tt.service_active(w.service, day) {
                continue;
            }
            let (s, e, h) = (
                i64::from(w.start),
                i64::from(w.end),
                i64::from(w.headway).max(1),
            );
            if started >= s - h && started < e {
                let start = if w.exact {
                    let k = ((started - s) as f64 / h as f64).round().max(0.0) as i64;
                    clamp((s + k * h).min(e - 1))
                } else {
                    start
                };
                return Served::Frequency {
                    trip: w.trip,
                    start,
                };
            }
        }
        return Served::Unscheduled {
            trip: template,
            start,
        };
    }
    let trips = tt.pattern_trips(p);
    let svc = tt.pattern_trip_services(p);
    let best = (0..trips.len())
        .filter(|&c| tt.service_active(svc[c], day) && !claimed.contains(&trips[c]))
        .filter(|&c| matches!(tt.trip(trips[c]).kind, TripKind::Scheduled { .. }))
        .map(|c| ((i64::from(tt.departure(p, 0, c)) - started).abs(), c))
        .filter(|(d, _)| *d <= ATTACH_S)
        .min();
    match best {
        Some((_, c)) => Served::Scheduled(trips[c]),
        None => Served::Unscheduled {
            trip: template,
            start,
        },
    }
}

/// The run of a vehicle at `tr` on `line`, its times seconds of the service day (`now` is
/// seconds of the service day too): stops passed keep the schedule's spacing before now,
/// stops ahead blend the observed speed with the timetable.
fn predict(line: &Line, tr: &Track, now: i64) -> LiveRun {
    let n = line.stop_at.len();
    let here = line.scheduled_at(tr.along_m);
    let mut run = LiveRun {
        arrivals: vec![0; n],
        departures: vec![0; n],
        skipped: vec![false; n],
        canceled: false,
        observed: vec![false; n],
        vehicle: None,
        horizon: n,
        expires_at: None,
    };
    let speed = tr.speed_mps.filter(|v| *v >= 1.0);
    let mut last = 0;
    for k in 0..n {
        let (arr_off, dep_off) = line.offsets[k];
        let (arr, dep) = if line.stop_at[k] <= tr.along_m {
            // Passed: the schedule's spacing, ending now.
            let back = (here - arr_off).max(0);
            (now - back, now - (here - dep_off).max(0))
        } else {
            let by_timetable = arr_off - here;
            if by_timetable > HORIZON_S && run.horizon == n {
                run.horizon = k;
            }
            let eta = match speed {
                Some(v) if by_timetable <= HORIZON_S => {
                    let by_speed = (line.stop_at[k] - tr.along_m) / v;
                    let w = 0.5 * (1.0 - by_timetable as f64 / HORIZON_S as f64).max(0.0);
                    ((1.0 - w) * by_timetable as f64 + w * by_speed).round() as i64
                }
                _ => by_timetable,
            };
            (now + eta, now + eta + (dep_off - arr_off))
        };
        let arr = arr.max(last);
        let dep = dep.max(arr);
        run.arrivals[k] = clamp(arr);
        run.departures[k] = clamp(dep);
        last = dep;
    }
    run
}

/// A fleet driven along lines, for tests, benches and demonstrations: `n` buses on the lines
/// given, each at its own speed, with GPS noise, gaps and a few bad positions.
#[derive(Debug, Clone)]
pub struct Simulation {
    buses: Vec<SimBus>,
    rng: rand::rngs::StdRng,
}

#[derive(Debug, Clone)]
struct SimBus {
    code: String,
    line: u32,
    along_m: f64,
    speed_mps: f64,
}

/// Buses driven along one line by a list of departures, each at the timetable's own pace and
/// exactly on it: to test what service delivered measures (half the frequency, bunching, a
/// gap), where [`Simulation`] drives a realistic, noisy fleet.
#[derive(Debug, Clone)]
pub struct OnTimetable {
    /// The line.
    pub line: u32,
    /// (vehicle code, Unix time it leaves the first stop).
    pub departures: Vec<(String, i64)>,
}

impl OnTimetable {
    /// Where the buses are at `t`: one ping per bus on the road.
    pub fn at(&self, lines: &Lines, t: i64) -> Vec<Ping> {
        let line = lines.line(self.line);
        self.departures
            .iter()
            .filter_map(|(code, d)| {
                let along = line.along_after(t - d)?;
                Some(Ping {
                    vehicle: code.clone(),
                    routes: vec![line.route],
                    direction: line.direction,
                    coord: line.point_at(along),
                    at: t,
                    speed_mps: None,
                    heading: Some(line.bearing_at(along) as f32),
                })
            })
            .collect()
    }
}

/// One simulated position, as an operator would send it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimPosition {
    /// Vehicle code.
    pub vehicle: String,
    /// Its route (namespaced id).
    pub route: RouteIdx,
    /// Where, with noise.
    pub coord: Coord,
    /// Heading of the line there.
    pub heading: f32,
    /// km/h.
    pub speed_kmh: f64,
    /// Whether this one was made bad on purpose (far off its route).
    pub bad: bool,
}

impl SimPosition {
    /// As a ping sent at `at` (Unix seconds), with its route, speed and heading.
    pub fn ping(self, at: i64) -> Ping {
        Ping {
            vehicle: self.vehicle,
            routes: vec![self.route],
            direction: None,
            coord: self.coord,
            at,
            speed_mps: Some(self.speed_kmh / 3.6),
            heading: Some(self.heading),
        }
    }
}

impl Simulation {
    /// `n` buses spread over the lines `on` (round robin), at `speed_kmh` ± 20 %, seeded.
    pub fn new(lines: &Lines, on: &[u32], n: usize, speed_kmh: f64, seed: u64) -> Simulation {
        let mut sim = Simulation {
            buses: Vec::with_capacity(n),
            rng: rand::SeedableRng::seed_from_u64(seed),
        };
        if on.is_empty() {
            return sim;
        }
        for i in 0..n {
            let line = on[i % on.len()];
            let len = lines.line(line).length_m();
            let along = sim.unit() * len * 0.8;
            let speed = speed_kmh / 3.6 * (0.8 + 0.4 * sim.unit());
            sim.buses.push(SimBus {
                code: format!("SIM-{i:04}"),
                line,
                along_m: along,
                speed_mps: speed,
            });
        }
        sim
    }

    /// A reproducible draw in [0, 1).
    fn unit(&mut self) -> f64 {
        rand::Rng::random::<f64>(&mut self.rng)
    }

    /// Moves every bus on by `dt_s` seconds and returns their positions: ±20 m of noise,
    /// about one in twenty silent (a gap), one in a hundred far off its route.
    pub fn step(&mut self, lines: &Lines, dt_s: f64) -> Vec<SimPosition> {
        let mut out = Vec::with_capacity(self.buses.len());
        for i in 0..self.buses.len() {
            let gap = self.unit() < 0.05;
            let bad = self.unit() < 0.01;
            let (nx, ny) = (self.unit() * 2.0 - 1.0, self.unit() * 2.0 - 1.0);
            let b = &mut self.buses[i];
            let line = lines.line(b.line);
            b.along_m += b.speed_mps * dt_s;
            if b.along_m >= line.length_m() {
                b.along_m = 0.0; // back to the start, as a bus at the terminus turns round
            }
            if gap {
                continue;
            }
            let at = line.point_at(b.along_m);
            let noise = if bad { 3_000.0 } else { 20.0 };
            let dlat = ny * noise / 111_194.93;
            let dlon = nx * noise / (111_194.93 * at.lat().to_radians().cos().max(0.01));
            let coord = Coord::new(at.lat() + dlat, at.lon() + dlon).unwrap_or(at);
            out.push(SimPosition {
                vehicle: b.code.clone(),
                route: line.route,
                coord,
                heading: line.bearing_at(b.along_m) as f32,
                speed_kmh: b.speed_mps * 3.6,
                bad,
            });
        }
        out
    }
}
