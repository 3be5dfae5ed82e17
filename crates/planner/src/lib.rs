//! The planning boundary: a [`PlanRequest`] in plain values, a [`Plan`] of [`Itinerary`]s out.
//!
//! It turns places into stops (a stop id, a station, or a coordinate with the stops within
//! walking distance), runs RAPTOR, and dresses journeys for people: walk and ride legs with
//! names, intermediate stops, waiting, GTFS fares v1 and a CO₂ comparison with the car.

pub mod alerts;
pub mod choice;
pub mod clock;
mod departures;
mod itinerary;
mod places;
mod render;
pub mod safety;
mod walking;
pub mod when;

pub use alerts::ServiceAlert;
pub use departures::{Departure, departures};
pub use itinerary::{
    Co2, FareTotal, Itinerary, ItineraryLeg, LineString, StopRef, cut_shape, local_time,
    nearest_point,
};
pub use places::{
    PlaceMatch, find_places, fold, route_stops, search_routes, search_stops, stop_route_names,
    stop_routes, stops_by_code, unnamed,
};
pub use render::{plan_notes, render_itinerary, render_option, render_text, stop_display_name};
pub use walking::{OnStreets, StreetScratch, WalkStep};

use raptor::{Options, Request, Scratch, StopWalk};
use rayon::prelude::*;
use timetable::{Coord, Day, Secs, StopIdx, Timetable};

/// Planner parameters: the `[planner]` section of the configuration.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlannerConfig {
    /// Stops within this straight-line distance of a coordinate are walked to, metres.
    pub access_radius_m: f64,
    /// With no stop within the access radius, the nearest stops up to this far are used;
    /// beyond, the place is outside the area the feed covers.
    pub max_access_m: f64,
    /// Origin and destination closer than this (walking distance) also get a walk-only option.
    pub max_direct_walk_m: f64,
    /// Grams of CO₂ per passenger-km by bus.
    pub co2_bus_g_per_pkm: f64,
    /// Grams of CO₂ per km for the same trip by car (one occupant).
    pub co2_car_g_per_km: f64,
    /// How many itineraries to return at most.
    pub max_itineraries: usize,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            access_radius_m: 400.0,
            max_access_m: 2_000.0,
            max_direct_walk_m: 1_500.0,
            // UK DESNZ 2023 conversion factors: average local bus 103 g/pkm, average car 168 g/km.
            co2_bus_g_per_pkm: 103.0,
            co2_car_g_per_km: 168.0,
            max_itineraries: 5,
        }
    }
}

/// The `wheelchair` parameter as every door takes it: absent or `false`, `true` (avoid what is
/// marked inaccessible) or `strict` (only what is marked accessible); `None` for anything else.
pub fn wheelchair_param(v: Option<&str>) -> Option<raptor::Wheelchair> {
    match v {
        None | Some("false" | "0" | "no") => Some(raptor::Wheelchair::Off),
        Some("true" | "1" | "yes") => Some(raptor::Wheelchair::Accessible),
        Some("strict") => Some(raptor::Wheelchair::Strict),
        Some(_) => None,
    }
}

/// Where a trip starts or ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Endpoint {
    /// One stop, or the stops of a station.
    Stops(Vec<StopIdx>),
    /// A point; walk to the stops around it.
    Coord(Coord),
}

/// Why a plan could not be made. Each is something the rider can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// No stop or station with that id.
    #[error("unknown stop `{0}`: give a stop id of the feed or coordinates lat,lon")]
    UnknownStop(String),
    /// Not a coordinate.
    #[error("`{0}` is not a valid coordinate: write lat,lon, e.g. -16.3989,-71.5350")]
    BadCoordinate(String),
    /// Too far from every stop.
    #[error("the {which} is outside the area the feed covers: the nearest stop is {:.1} km away", *nearest_m / 1000.0)]
    OutsideArea {
        /// "origin" or "destination".
        which: &'static str,
        /// Distance to the nearest stop, metres.
        nearest_m: f64,
    },
    /// No run operates on that day.
    #[error("there is no service on {0} in the loaded timetable")]
    NoService(Day),
    /// Origin and destination coincide.
    #[error("origin and destination are the same place")]
    SamePlace,
    /// Origin and destination are in different cities: each city's network is planned on its
    /// own.
    #[error(
        "the origin is in {from} and the destination in {to}: paradero plans trips within one city"
    )]
    DifferentCities {
        /// The origin's city, by name.
        from: String,
        /// The destination's city, by name.
        to: String,
    },
    /// A place lies in another city than the one the rider chose.
    #[error("that place is in {place}, not in {chosen}: change the city to plan there")]
    OtherCity {
        /// The place's city, by name.
        place: String,
        /// The city chosen, by name.
        chosen: String,
    },
}

impl PlanError {
    /// The same message in the rider's language, from the catalog.
    pub fn localized(&self, lang: i18n::Lang) -> String {
        use i18n::t;
        match self {
            PlanError::UnknownStop(id) => t(lang, "error.unknown_stop", &[("id", id)]),
            PlanError::BadCoordinate(text) => t(lang, "error.bad_coordinate", &[("text", text)]),
            PlanError::OutsideArea { which, nearest_m } => {
                let w = t(
                    lang,
                    if *which == "origin" {
                        "word.origin"
                    } else {
                        "word.destination"
                    },
                    &[],
                );
                t(
                    lang,
                    "error.outside_area",
                    &[("which", &w), ("km", &format!("{:.1}", nearest_m / 1000.0))],
                )
            }
            PlanError::NoService(day) => t(lang, "error.no_service", &[("date", day)]),
            PlanError::SamePlace => t(lang, "error.same_place", &[]),
            PlanError::DifferentCities { from, to } => t(
                lang,
                "error.different_cities",
                &[("from", from), ("to", to)],
            ),
            PlanError::OtherCity { place, chosen } => t(
                lang,
                "error.other_city",
                &[("place", place), ("chosen", chosen)],
            ),
        }
    }
}

/// Reads a place: `lat,lon`, a stop id (namespaced or bare) or a station id.
pub fn parse_endpoint(tt: &Timetable, text: &str) -> Result<Endpoint, PlanError> {
    let s = text.trim();
    let looks_numeric = s.split_once(',').is_some_and(|(a, b)| {
        let num = |x: &str| {
            !x.trim().is_empty()
                && x.trim()
                    .chars()
                    .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        };
        num(a) && num(b)
    });
    if looks_numeric || s.eq_ignore_ascii_case("nan,nan") {
        return Coord::parse(s)
            .map(Endpoint::Coord)
            .map_err(|_| PlanError::BadCoordinate(s.to_string()));
    }
    if let Some(stop) = tt.stop_by_id(s) {
        return Ok(Endpoint::Stops(vec![stop]));
    }
    let station = tt.station_stops(s);
    if !station.is_empty() {
        return Ok(Endpoint::Stops(station.to_vec()));
    }
    for f in tt.feeds() {
        let st = tt.station_stops(&format!("{}:{s}", f.id));
        if !st.is_empty() {
            return Ok(Endpoint::Stops(st.to_vec()));
        }
    }
    // The code painted at the stop (`stop_code`), as riders type it.
    let by_code = places::stops_by_code(tt, s);
    if !by_code.is_empty() {
        return Ok(Endpoint::Stops(by_code));
    }
    Err(PlanError::UnknownStop(s.to_string()))
}

/// A planning request.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// Origin.
    pub from: Endpoint,
    /// Destination.
    pub to: Endpoint,
    /// Service date (local to the feed).
    pub day: Day,
    /// Seconds after midnight: departure, or latest arrival with `arrive_by`.
    pub time: Secs,
    /// Arrive by `time` instead of leaving at it.
    pub arrive_by: bool,
    /// Range query: all options leaving within this many seconds (depart-at only).
    pub window_secs: Option<u32>,
    /// Routing options.
    pub options: Options,
    /// The rider's language, for the words in the answer (walking steps).
    pub lang: i18n::Lang,
    /// Also look for a safer trip (with a risk surface): less walking and waiting where and
    /// when incidents are many, for a few more minutes.
    pub safer: bool,
}

/// The answer to a [`PlanRequest`].
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    /// The service date asked for.
    pub date: String,
    /// Itineraries, by departure then arrival.
    pub itineraries: Vec<Itinerary>,
    /// With `safer`: the safer option, when it is not the fastest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safer: Option<safety::SaferOption>,
    /// When no bus runs at the time asked (the first option with a ride leaves
    /// [`QUIET_S`] or more later: the night, a holiday), that option's departure, local ISO
    /// date-time, so the answer can say "no buses now; the first leaves at 05:00 tomorrow".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_resumes: Option<String>,
    /// The real time the plan read (absent when nothing was live): live buses were boarded
    /// as this generation predicted them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime: Option<PlanLive>,
}

/// Which real time a plan read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanLive {
    /// The generation of what is live (it grows with every message or batch taken in).
    pub generation: u64,
    /// Seconds since the newest live message was taken in.
    pub age_s: i64,
}

/// A wait this long before the first ride means there is no service at the time asked.
pub const QUIET_S: i32 = 3600;

/// The departure of the first option with a ride, when it leaves [`QUIET_S`] or more after
/// `time` (depart-at plans only).
fn service_resumes(its: &[Itinerary], time: i32, arrive_by: bool) -> Option<String> {
    if arrive_by {
        return None;
    }
    its.iter()
        .filter(|it| {
            it.legs
                .iter()
                .any(|l| matches!(l, ItineraryLeg::Ride { .. }))
        })
        .min_by_key(|it| it.departure_secs)
        .filter(|it| it.departure_secs - time >= QUIET_S)
        .map(|it| it.departure.clone())
}

/// Walks between a place and the stops near it, at the timetable's walking speed.
pub fn walks(
    tt: &Timetable,
    cfg: &PlannerConfig,
    e: &Endpoint,
    which: &'static str,
) -> Result<Vec<StopWalk>, PlanError> {
    walks_at(tt, cfg, e, which, None)
}

/// Walks between a place and the stops near it, at `speed_m_s` if given.
pub fn walks_at(
    tt: &Timetable,
    cfg: &PlannerConfig,
    e: &Endpoint,
    which: &'static str,
    speed_m_s: Option<f64>,
) -> Result<Vec<StopWalk>, PlanError> {
    match e {
        Endpoint::Stops(s) => Ok(s
            .iter()
            .map(|&stop| StopWalk {
                stop,
                duration: 0,
                distance_m: 0,
            })
            .collect()),
        Endpoint::Coord(c) => {
            let mut fc = *tt.footpath_config();
            if let Some(v) = speed_m_s.filter(|v| v.is_finite() && *v > 0.0) {
                fc.walking_speed_m_s = v;
            }
            let to_walk = |(s, d): (u32, f64)| StopWalk {
                stop: StopIdx(s),
                duration: fc.walk_time(d),
                distance_m: fc.walk_distance(d).round() as u32,
            };
            let near = tt.stop_index().within(*c, cfg.access_radius_m);
            if !near.is_empty() {
                return Ok(near.into_iter().map(to_walk).collect());
            }
            let nearest = tt.stop_index().nearest(*c).map_or(f64::INFINITY, |n| n.1);
            if nearest > cfg.max_access_m {
                return Err(PlanError::OutsideArea {
                    which,
                    nearest_m: nearest,
                });
            }
            // Nothing within the usual radius: the stops just beyond the nearest one.
            Ok(tt
                .stop_index()
                .within(*c, nearest + 200.0)
                .into_iter()
                .map(to_walk)
                .collect())
        }
    }
}

fn endpoint_coord(tt: &Timetable, e: &Endpoint) -> Coord {
    match e {
        Endpoint::Coord(c) => *c,
        Endpoint::Stops(s) => tt.stop(s[0]).coord,
    }
}

/// Whether any run can be taken on `day` (its own service, or the previous day's past midnight).
pub fn has_service(tt: &Timetable, day: Day) -> bool {
    let back = tt.max_days_back();
    (0..tt.services().len()).any(|s| {
        let s = timetable::ServiceIdx::new(s);
        tt.service_active(s, day) || (1..=back).any(|k| tt.service_active(s, day.offset(-k)))
    })
}

/// Plans one trip, reusing `sc` (make one per thread with [`Scratch::new`]); walks are
/// straight lines × the detour factor.
pub fn plan(
    tt: &Timetable,
    sc: &mut Scratch,
    cfg: &PlannerConfig,
    req: &PlanRequest,
) -> Result<Plan, PlanError> {
    plan_on(tt, None, sc, cfg, req)
}

/// Plans one trip, walking on the streets when they are given.
pub fn plan_on(
    tt: &Timetable,
    on: Option<OnStreets<'_>>,
    sc: &mut Scratch,
    cfg: &PlannerConfig,
    req: &PlanRequest,
) -> Result<Plan, PlanError> {
    plan_with(tt, on, sc, cfg, req, None)
}

/// [`plan_on`]; with `exposure` (a rate per stop), the journeys are McRAPTOR's Pareto set over
/// arrival and exposure instead of RAPTOR's over arrival and rides (depart-at only).
fn plan_with(
    tt: &Timetable,
    mut on: Option<OnStreets<'_>>,
    sc: &mut Scratch,
    cfg: &PlannerConfig,
    req: &PlanRequest,
    exposure: Option<&[f64]>,
) -> Result<Plan, PlanError> {
    let mut fc = *tt.footpath_config();
    if let Some(v) = req
        .options
        .walking_speed_m_s
        .filter(|v| v.is_finite() && *v > 0.0)
    {
        fc.walking_speed_m_s = v;
    }
    let wheelchair = req.options.wheelchair != raptor::Wheelchair::Off;
    let access = walking::walks(tt, on.as_mut(), cfg, &req.from, "origin", &fc, wheelchair)?;
    let egress = walking::walks(
        tt,
        on.as_mut(),
        cfg,
        &req.to,
        "destination",
        &fc,
        wheelchair,
    )?;
    if req.from == req.to {
        return Err(PlanError::SamePlace);
    }
    if !has_service(tt, req.day) {
        return Err(PlanError::NoService(req.day));
    }
    let r = Request {
        day: req.day,
        time: req.time as i32,
        arrive_by: req.arrive_by,
        access: &access,
        egress: &egress,
    };
    let journeys = match (exposure, req.window_secs) {
        (Some(rate), _) if !req.arrive_by => {
            raptor::search_exposure(tt, sc, &r, &req.options, rate)
                .into_iter()
                .map(|(j, _)| j)
                .collect()
        }
        (_, Some(w)) if !req.arrive_by => raptor::range(tt, sc, &r, w, &req.options),
        _ => raptor::search(tt, sc, &r, &req.options),
    };
    let (from_c, to_c) = (endpoint_coord(tt, &req.from), endpoint_coord(tt, &req.to));
    let tz = clock::timezone(tt);
    let road_km = walking::car_km(tt, on.as_ref(), from_c, to_c);
    let ctx = itinerary::Context {
        tt,
        cfg,
        tz,
        day: req.day,
        origin: from_c,
        destination: to_c,
        road_km,
        lang: req.lang,
        wheelchair,
        live: req.options.live.as_ref().map(raptor::LiveView::at),
    };
    let mut its: Vec<Itinerary> = journeys
        .iter()
        .map(|j| itinerary::build(&ctx, on.as_mut(), j))
        .collect();
    // A walk-only option when the destination is close.
    let straight = from_c.distance_m(to_c);
    let walk_m = match on.as_mut() {
        // Measured on the streets only when the straight line says it may be short enough.
        Some(o) if straight <= cfg.max_direct_walk_m => {
            let st = o.streets;
            let found = st.walk(
                o.scratch.legs_search(),
                from_c,
                to_c,
                cfg.max_direct_walk_m,
                wheelchair,
            );
            match found {
                Some(w) => f64::from(w.distance_m),
                // Both on the streets but farther apart than the limit: no walk-only option.
                None if st.snap(from_c, wheelchair).is_some()
                    && st.snap(to_c, wheelchair).is_some() =>
                {
                    f64::INFINITY
                }
                None => fc.walk_distance(straight),
            }
        }
        _ => fc.walk_distance(straight),
    };
    if walk_m <= cfg.max_direct_walk_m {
        let secs = (walk_m / fc.walking_speed_m_s).ceil() as i32;
        let (dep, arr) = if req.arrive_by {
            (req.time as i32 - secs, req.time as i32)
        } else {
            (req.time as i32, req.time as i32 + secs)
        };
        its.push(itinerary::walk_only(
            &ctx,
            on.as_mut(),
            dep,
            arr,
            walk_m.round() as u32,
        ));
    }
    // The Pareto set over exposure is for choosing among: every option is kept.
    if exposure.is_none() {
        // No option worse than another on every count, none back onto the same route,
        // ordered and labelled by the rule in `choice`.
        its = choice::choose(its, req.arrive_by);
        its.truncate(cfg.max_itineraries.max(1) * if req.window_secs.is_some() { 4 } else { 1 });
    } else {
        its.sort_by(|a, b| choice::order(a, b, req.arrive_by));
    }
    let realtime = req.options.live.as_ref().and_then(|v| {
        let at = v.at();
        at.age_s().map(|age_s| PlanLive {
            generation: at.generation(),
            age_s,
        })
    });
    Ok(Plan {
        date: req.day.to_string(),
        service_resumes: service_resumes(&its, req.time as i32, req.arrive_by),
        itineraries: its,
        safer: None,
        realtime,
    })
}

/// The same streets and working memory, lent for one more call.
fn reborrow<'a>(o: &'a mut Option<OnStreets<'_>>) -> Option<OnStreets<'a>> {
    o.as_mut().map(|o| OnStreets {
        streets: o.streets,
        scratch: &mut *o.scratch,
    })
}

/// Plans one trip with everything the city has: its streets and, from the observatory's
/// latest release, its risk surface (safety notes on every itinerary; with `req.safer`, the
/// safer option beside the fastest). Without a surface it is [`plan_on`].
pub fn plan_full(
    tt: &Timetable,
    mut on: Option<OnStreets<'_>>,
    risk: Option<&safety::RiskSurface>,
    sc: &mut Scratch,
    cfg: &PlannerConfig,
    req: &PlanRequest,
) -> Result<Plan, PlanError> {
    let mut plan = plan_on(tt, reborrow(&mut on), sc, cfg, req)?;
    let Some(s) = risk else {
        return Ok(plan);
    };
    if req.safer
        && let Some(fastest) = safety::fastest(&plan, req.arrive_by).cloned()
    {
        let part = safety::day_part(u8::try_from((req.time / 3600) % 24).unwrap_or(0));
        let mut candidates = plan.itineraries.clone();
        let more = match s.config.search {
            safety::SaferSearch::Pareto if !req.arrive_by => {
                let rate = s.rates(part);
                plan_with(tt, reborrow(&mut on), sc, cfg, req, Some(&rate))
            }
            _ => {
                let mut alt = req.clone();
                alt.options.avoid_stops = Some(s.avoided(part));
                plan_on(tt, reborrow(&mut on), sc, cfg, &alt)
            }
        };
        if let Ok(p) = more {
            candidates.extend(p.itineraries);
        }
        plan.safer = safety::choose(s, req.lang, &fastest, candidates, req.arrive_by);
    }
    safety::annotate(s, req.lang, &mut plan);
    Ok(plan)
}

/// Plans many trips in parallel (one-to-many, many-to-many), each worker thread with its own
/// scratch. Results come back in request order.
pub fn plan_batch(
    tt: &Timetable,
    cfg: &PlannerConfig,
    reqs: &[PlanRequest],
) -> Vec<Result<Plan, PlanError>> {
    // Rayon may split the work many times: each split clones one scratch built here.
    let fresh = Scratch::new(tt);
    reqs.par_iter()
        .map_init(|| fresh.clone(), |sc, r| plan(tt, sc, cfg, r))
        .collect()
}
