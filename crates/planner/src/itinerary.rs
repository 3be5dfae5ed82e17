//! Journeys dressed for people: names, times as local date-times, fares, CO₂.

use crate::PlannerConfig;
use raptor::{Journey, Leg, Place};
use serde::Serialize;
use timetable::{Coord, Day, PatternIdx, StopIdx, Timetable};

/// A stop as shown to riders.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StopRef {
    /// Namespaced id.
    pub id: String,
    /// Name (empty or `Innominada` for many OSM stops).
    pub name: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Time at the stop (local ISO date-time), where it applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// A GeoJSON LineString: `[lon, lat]` pairs.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineString {
    /// Always `LineString`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `[longitude, latitude]` pairs.
    pub coordinates: Vec<[f64; 2]>,
}

impl LineString {
    fn new(points: impl IntoIterator<Item = Coord>) -> LineString {
        LineString {
            kind: "LineString",
            coordinates: points.into_iter().map(|c| [c.lon(), c.lat()]).collect(),
        }
    }
}

/// One leg of an itinerary.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ItineraryLeg {
    /// On foot.
    Walk {
        /// From (`None`: the origin).
        from: Option<StopRef>,
        /// To (`None`: the destination).
        to: Option<StopRef>,
        /// Start, local ISO date-time.
        departure: String,
        /// End.
        arrival: String,
        /// Seconds.
        duration_s: i32,
        /// Metres.
        distance_m: u32,
        /// Along the streets when the city's map is loaded, else a straight line.
        geometry: LineString,
        /// Turn by turn, in the rider's language (empty without the city's map).
        steps: Vec<crate::WalkStep>,
    },
    /// On a vehicle.
    Ride {
        /// Namespaced GTFS route id.
        route_id: String,
        /// Route short name.
        route_short_name: String,
        /// Route long name.
        route_long_name: String,
        /// Route colour `RRGGBB`.
        route_color: Option<String>,
        /// Operator.
        agency: String,
        /// Destination sign (or the last stop's name).
        headsign: String,
        /// Namespaced trip id (the template for frequency runs).
        trip_id: String,
        /// Boarding stop and vehicle departure.
        board: StopRef,
        /// Alighting stop and vehicle arrival.
        alight: StopRef,
        /// Stops passed in between, with times.
        intermediate_stops: Vec<StopRef>,
        /// For frequency runs: seconds between vehicles.
        headway_s: Option<u32>,
        /// Whether the times are a live prediction (GTFS-Realtime, the operator's GPS):
        /// the bus is boarded when it is predicted to come.
        realtime: bool,
        /// When live: the timetable's departure from the boarding stop, local ISO (absent
        /// for a bus off the timetable).
        #[serde(skip_serializing_if = "Option::is_none")]
        scheduled_departure: Option<String>,
        /// When live: seconds later (positive) or earlier than the timetable at boarding.
        #[serde(skip_serializing_if = "Option::is_none")]
        delay_s: Option<i32>,
        /// Whether the times are estimates: a headway promise only (`exact_times = 0`; the
        /// departure shown is the worst case), or a feed whose times are estimated (its city
        /// publishes no timetable; `times = "estimated"`).
        approximate: bool,
        /// Seconds riding.
        duration_s: i32,
        /// Straight-line distance along the stops, metres.
        distance_m: u32,
        /// The route's shape between the two stops, or stop-to-stop lines without a shape.
        geometry: LineString,
        /// Service alerts for this route or its two stops, active when the bus is boarded,
        /// in the rider's language (absent when none).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        alerts: Vec<crate::ServiceAlert>,
    },
}

/// The index of the point of `points` nearest `c` from `start` on, by squared equirectangular
/// distance with longitudes scaled by `k` (the cosine of a latitude nearby): the same order as
/// great-circle distance at a city's scale, without trigonometry for every point of a long
/// shape. [`cut_shape`] cuts legs at these points.
pub fn nearest_point(points: &[Coord], c: Coord, start: usize, k: f64) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, p) in points.iter().enumerate().skip(start) {
        let (dy, dx) = (p.lat() - c.lat(), (p.lon() - c.lon()) * k);
        let d = dx * dx + dy * dy;
        if best.is_none_or(|(_, b)| d < b) {
            best = Some((i, d));
        }
    }
    best.map(|b| b.0)
}

/// The part of a shape between two stops: from the shape point nearest the first stop to the
/// one nearest the second, searching forward (routes can pass near a stop twice).
pub fn cut_shape(points: &[Coord], from: Coord, to: Coord) -> Option<Vec<Coord>> {
    let k = from.lat().to_radians().cos();
    let nearest = |c: Coord, start: usize| nearest_point(points, c, start, k);
    let a = nearest(from, 0)?;
    let b = nearest(to, a)?;
    // A shape far from the stops (more than 300 m) is not this trip's: fall back.
    if points[a].distance_m(from) > 300.0 || points[b].distance_m(to) > 300.0 || b <= a {
        return None;
    }
    let mut out = Vec::with_capacity(b - a + 3);
    out.push(from);
    out.extend_from_slice(&points[a..=b]);
    out.push(to);
    Some(out)
}

/// A fare for the whole itinerary (GTFS fares v1).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FareTotal {
    /// Amount.
    pub amount: f64,
    /// ISO 4217 currency.
    pub currency: String,
}

/// CO₂ of the itinerary by bus against the same trip by car, on one basis: per passenger
/// by bus (`planner.co2_bus_g_per_pkm`) over the distance the bus drives (along the route's
/// shape, else stop to stop), per car (`planner.co2_car_g_per_km`, one rider) over the road
/// distance from origin to destination (along the streets with the city's map, else the
/// straight line × the detour factor). Factors: UK DESNZ 2023 conversion factors, until
/// local ones are configured.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Co2 {
    /// Grams for the rider by bus.
    pub bus_g: f64,
    /// Grams by car over the road distance between origin and destination.
    pub car_g: f64,
    /// Whether the bus is clearly better: at least [`CO2_CLEARLY_LESS`] less than the car.
    /// When not (a long detour, a short trip), riders are not told the bus saves CO₂.
    pub bus_clearly_less: bool,
}

/// The share the bus must emit less than the car for a claim that it saves CO₂ (the factors
/// are averages: a difference smaller than this is within their uncertainty).
pub const CO2_CLEARLY_LESS: f64 = 0.2;

impl Co2 {
    /// The comparison for `bus_g` against `car_g`.
    pub fn new(bus_g: f64, car_g: f64) -> Co2 {
        Co2 {
            bus_g,
            car_g,
            bus_clearly_less: car_g > 0.0 && bus_g <= car_g * (1.0 - CO2_CLEARLY_LESS),
        }
    }
}

/// An itinerary.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Itinerary {
    /// Leave the origin, local ISO date-time.
    pub departure: String,
    /// Reach the destination.
    pub arrival: String,
    /// Seconds after midnight of the query date (for sorting; may be negative or > 86 400).
    pub departure_secs: i32,
    /// Same for the arrival.
    pub arrival_secs: i32,
    /// Total seconds.
    pub duration_s: i32,
    /// Seconds walking.
    pub walk_s: i32,
    /// Metres walking.
    pub walk_m: u32,
    /// Seconds waiting at stops.
    pub wait_s: i32,
    /// Changes of vehicle.
    pub transfers: u8,
    /// Why it is offered, best first: `fastest`, `fewest_transfers`, `cheapest`,
    /// `least_walking`, `walk_only` (see `choice`).
    pub labels: Vec<String>,
    /// Whether its times are estimates (any ride's are: see the legs' `approximate`): say
    /// "hacia las 12:14", never "a las".
    pub approximate: bool,
    /// Fare, when the feed gives fares for every ride.
    pub fare: Option<FareTotal>,
    /// CO₂ comparison.
    pub co2: Co2,
    /// Legs in order.
    pub legs: Vec<ItineraryLeg>,
    /// What the observatory's latest release says of walking and waiting on this trip
    /// (only where a release exists and the feature is on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safety: Option<crate::safety::SafetyInfo>,
}

/// `day` + seconds (may be negative or past midnight) as RFC 3339 with the local offset.
pub fn local_time(tz: chrono_tz::Tz, day: Day, secs: i32) -> String {
    crate::clock::rfc3339(tz, day, secs)
}

fn stop_ref(tt: &Timetable, s: StopIdx, time: Option<String>) -> StopRef {
    let st = tt.stop(s);
    StopRef {
        id: st.id.clone(),
        name: st.name.clone(),
        lat: st.coord.lat(),
        lon: st.coord.lon(),
        time,
    }
}

fn place_ref(tt: &Timetable, p: Place) -> Option<StopRef> {
    match p {
        Place::Stop(s) => Some(stop_ref(tt, s, None)),
        _ => None,
    }
}

/// What dressing journeys needs besides the journey.
pub(crate) struct Context<'a> {
    pub tt: &'a Timetable,
    pub cfg: &'a PlannerConfig,
    pub tz: chrono_tz::Tz,
    pub day: Day,
    pub origin: Coord,
    pub destination: Coord,
    /// Origin to destination by road, for the car comparison.
    pub road_km: f64,
    pub lang: i18n::Lang,
    pub wheelchair: bool,
    /// The real time the journeys were searched with.
    pub live: Option<realtime::LiveAt<'a>>,
}

/// A walk leg: along the streets when they are given (else a straight line).
#[allow(clippy::too_many_arguments)]
fn walk_leg(
    ctx: &Context<'_>,
    mut on: Option<&mut crate::OnStreets<'_>>,
    from: Option<StopRef>,
    to: Option<StopRef>,
    (a, b, end): (Coord, Coord, crate::walking::End),
    (departure, arrival): (i32, i32),
    distance_m: u32,
) -> ItineraryLeg {
    let to_words = match &to {
        Some(s) => crate::render::stop_display_name(ctx.lang, &s.name, &s.id),
        // The destination by what is there ("Mercaderes y San Juan"), when the map knows.
        None => on
            .as_deref_mut()
            .and_then(|o| crate::walking::name_at(o, b))
            .unwrap_or_else(|| i18n::t(ctx.lang, "walk.to.destination", &[])),
    };
    let dressed = on.and_then(|on| {
        crate::walking::dress(
            ctx.tt,
            on,
            ctx.lang,
            (a, b),
            end,
            distance_m,
            ctx.wheelchair,
            &to_words,
        )
    });
    let (geometry, steps) = match dressed {
        Some(d) => (LineString::new(d.points), d.steps),
        None => (LineString::new([a, b]), Vec::new()),
    };
    ItineraryLeg::Walk {
        from,
        to,
        departure: local_time(ctx.tz, ctx.day, departure),
        arrival: local_time(ctx.tz, ctx.day, arrival),
        duration_s: arrival - departure,
        distance_m,
        geometry,
        steps,
    }
}

pub(crate) fn walk_only(
    ctx: &Context<'_>,
    on: Option<&mut crate::OnStreets<'_>>,
    dep: i32,
    arr: i32,
    distance_m: u32,
) -> Itinerary {
    let leg = walk_leg(
        ctx,
        on,
        None,
        None,
        (ctx.origin, ctx.destination, crate::walking::End::Other),
        (dep, arr),
        distance_m,
    );
    Itinerary {
        departure: local_time(ctx.tz, ctx.day, dep),
        arrival: local_time(ctx.tz, ctx.day, arr),
        departure_secs: dep,
        arrival_secs: arr,
        duration_s: arr - dep,
        walk_s: arr - dep,
        walk_m: distance_m,
        wait_s: 0,
        transfers: 0,
        labels: Vec::new(),
        approximate: false,
        fare: Some(FareTotal {
            amount: 0.0,
            currency: String::new(),
        }),
        co2: Co2::new(0.0, 0.0),
        legs: vec![leg],
        safety: None,
    }
}

fn ride_leg(ctx: &Context<'_>, r: &raptor::Ride) -> (ItineraryLeg, f64) {
    let (tt, tz, day) = (ctx.tt, ctx.tz, ctx.day);
    let p = r.pattern;
    let trip = tt.trip(r.trip);
    let route = tt.route(trip.route);
    let stops = tt.pattern_stops(p);
    let (bp, ap) = (r.board_pos as usize, r.alight_pos as usize);
    let inter: Vec<StopRef> = (bp + 1..ap)
        .map(|i| {
            stop_ref(
                tt,
                stops[i],
                Some(local_time(tz, day, r.run.departure(tt, ctx.live, p, i))),
            )
        })
        .collect();
    let dist: f64 = (bp..ap)
        .map(|i| {
            tt.stop(stops[i])
                .coord
                .distance_m(tt.stop(stops[i + 1]).coord)
        })
        .sum();
    let window = r
        .run
        .frequency
        .then(|| tt.windows(p).get(r.run.index as usize).copied())
        .flatten();
    let live_run = r.run.live.and_then(|code| ctx.live?.pattern_run(p, code));
    let live = live_run.is_some_and(|l| (r.board_pos as usize) < l.run.horizon);
    // An unscheduled bus has nothing to be late for.
    let unscheduled = r.run.frequency && window.is_none();
    let scheduled =
        (live && !unscheduled).then(|| r.run.scheduled_departure(tt, p, r.board_pos as usize));
    let headsign = trip
        .headsign
        .clone()
        .unwrap_or_else(|| last_stop_name(tt, p));
    let leg = ItineraryLeg::Ride {
        route_id: route.id.clone(),
        route_short_name: route.short_name.clone(),
        route_long_name: route.long_name.clone(),
        route_color: route.color.clone(),
        agency: tt.agencies()[route.agency.idx()].name.clone(),
        headsign,
        trip_id: trip.id.clone(),
        board: stop_ref(tt, r.board_stop, Some(local_time(tz, day, r.departure))),
        alight: stop_ref(tt, r.alight_stop, Some(local_time(tz, day, r.arrival))),
        intermediate_stops: inter,
        headway_s: window.map(|w| w.headway),
        realtime: live,
        scheduled_departure: scheduled.map(|t| local_time(tz, day, t)),
        delay_s: scheduled.map(|t| r.departure - t),
        approximate: !live
            && (window.is_some_and(|w| !w.exact) || tt.route_times_estimated(trip.route)),
        duration_s: r.arrival - r.departure,
        distance_m: dist.round() as u32,
        geometry: {
            let (a, b) = (tt.stop(r.board_stop).coord, tt.stop(r.alight_stop).coord);
            let cut = trip
                .shape
                .and_then(|sh| cut_shape(&tt.shape(sh).points, a, b));
            LineString::new(
                cut.unwrap_or_else(|| stops[bp..=ap].iter().map(|&s| tt.stop(s).coord).collect()),
            )
        },
        alerts: ctx
            .live
            .map(|live| {
                crate::alerts::for_ride(
                    tt,
                    live,
                    trip.route,
                    (r.board_stop, r.alight_stop),
                    crate::clock::local_to_unix(tt, day, u32::try_from(r.departure).unwrap_or(0)),
                    ctx.lang,
                )
            })
            .unwrap_or_default(),
    };
    // CO₂ counts what the bus drives: along its geometry (the shape, where there is one).
    let driven = match &leg {
        ItineraryLeg::Ride { geometry, .. } => geometry
            .coordinates
            .windows(2)
            .filter_map(|w| {
                let a = Coord::new(w[0][1], w[0][0]).ok()?;
                let b = Coord::new(w[1][1], w[1][0]).ok()?;
                Some(a.distance_m(b))
            })
            .sum::<f64>()
            .max(dist),
        ItineraryLeg::Walk { .. } => dist,
    };
    (leg, driven)
}

/// Walks shorter than this are left out of an itinerary's legs (seconds).
pub const MIN_WALK_SHOWN_S: i32 = 60;

pub(crate) fn build(
    ctx: &Context<'_>,
    mut on: Option<&mut crate::OnStreets<'_>>,
    j: &Journey,
) -> Itinerary {
    let tt = ctx.tt;
    let mut legs = Vec::with_capacity(j.legs.len());
    let mut wait = 0;
    let mut last_arrival: Option<i32> = None;
    let mut ride_m = 0.0;
    for leg in &j.legs {
        match *leg {
            Leg::Walk {
                from,
                to,
                departure,
                arrival,
                distance_m,
                ..
            } => {
                let at = |p: Place, end: Coord| {
                    if let Place::Stop(s) = p {
                        tt.stop(s).coord
                    } else {
                        end
                    }
                };
                let end = match (from, to) {
                    (Place::Origin, Place::Stop(s)) => crate::walking::End::Access(s),
                    (Place::Stop(s), Place::Destination) => crate::walking::End::Egress(s),
                    (Place::Stop(a), Place::Stop(b)) => crate::walking::End::Between(a, b),
                    _ => crate::walking::End::Other,
                };
                let ends = (at(from, ctx.origin), at(to, ctx.destination), end);
                legs.push(walk_leg(
                    ctx,
                    on.as_deref_mut(),
                    place_ref(tt, from),
                    place_ref(tt, to),
                    ends,
                    (departure, arrival),
                    distance_m,
                ));
                last_arrival = Some(arrival);
            }
            Leg::Ride(r) => {
                wait += r.departure - last_arrival.unwrap_or(r.ready);
                let (leg, dist) = ride_leg(ctx, &r);
                ride_m += dist;
                legs.push(leg);
                last_arrival = Some(r.arrival);
            }
        }
    }
    // A walk under a minute (the two kerbs of one street, a stop next to the point asked
    // for) is not a step anyone needs told: "Camina 0 min (21 m)" in a third of the answers.
    // Its minutes still count in the totals; the leg before or after it shows where to be.
    if legs.len() > 1 {
        legs.retain(|l| !matches!(l, ItineraryLeg::Walk { duration_s, .. } if *duration_s < MIN_WALK_SHOWN_S));
    }
    let approximate = legs.iter().any(|l| {
        matches!(
            l,
            ItineraryLeg::Ride {
                approximate: true,
                ..
            }
        )
    });
    Itinerary {
        labels: Vec::new(),
        approximate,
        departure: local_time(ctx.tz, ctx.day, j.departure),
        arrival: local_time(ctx.tz, ctx.day, j.arrival),
        departure_secs: j.departure,
        arrival_secs: j.arrival,
        duration_s: j.arrival - j.departure,
        walk_s: j.walk_secs(),
        walk_m: j.walk_distance_m(),
        wait_s: wait,
        transfers: j.transfers(),
        fare: fare(tt, j),
        co2: Co2::new(
            (ctx.cfg.co2_bus_g_per_pkm * ride_m / 1000.0).round(),
            (ctx.cfg.co2_car_g_per_km * ctx.road_km).round(),
        ),
        legs,
        safety: None,
    }
}

fn last_stop_name(tt: &Timetable, p: PatternIdx) -> String {
    let stops = tt.pattern_stops(p);
    stops
        .last()
        .map(|&s| tt.stop(s).name.clone())
        .unwrap_or_default()
}

/// GTFS fares v1: for each ride the cheapest fare whose rules match its route and zones; a
/// ticket still valid (same fare, transfers left, within its transfer duration) covers the
/// next ride. `None` when any ride has no fare or currencies differ.
pub(crate) fn fare(tt: &Timetable, j: &Journey) -> Option<FareTotal> {
    if tt.fares().is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut currency: Option<&str> = None;
    // (fare, bought at, transfers used)
    let mut ticket: Option<(timetable::FareIdx, i32, u32)> = None;
    for r in j.rides() {
        let route = tt.trip(r.trip).route;
        let agency = tt.route(route).agency;
        let zone = |s: StopIdx| tt.stop(s).zone_id.as_deref();
        let stops = tt.pattern_stops(r.pattern);
        let passes = |z: &str| {
            stops[r.board_pos as usize..=r.alight_pos as usize]
                .iter()
                .any(|&s| zone(s) == Some(z))
        };
        let best = tt
            .fare_rules()
            .iter()
            .filter(|rule| rule.route.is_none_or(|x| x == route))
            .filter(|rule| {
                rule.origin_id
                    .as_deref()
                    .is_none_or(|z| zone(r.board_stop) == Some(z))
            })
            .filter(|rule| {
                rule.destination_id
                    .as_deref()
                    .is_none_or(|z| zone(r.alight_stop) == Some(z))
            })
            .filter(|rule| rule.contains_id.as_deref().is_none_or(passes))
            .map(|rule| rule.fare)
            .filter(|&f| tt.fares()[f.idx()].agency.is_none_or(|a| a == agency))
            .min_by(|a, b| {
                tt.fares()[a.idx()]
                    .price
                    .total_cmp(&tt.fares()[b.idx()].price)
            })?;
        let f = &tt.fares()[best.idx()];
        if let Some((held, bought, used)) = ticket
            && held == best
            && f.transfers.is_none_or(|n| used < n)
            && f.transfer_duration
                .is_none_or(|d| r.departure - bought <= d as i32)
        {
            ticket = Some((held, bought, used + 1));
            continue;
        }
        if currency.is_some_and(|c| c != f.currency) {
            return None;
        }
        currency = Some(&f.currency);
        total += f.price;
        ticket = Some((best, r.departure, 0));
    }
    Some(FareTotal {
        amount: total,
        currency: currency.unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_cut_between_stops() {
        let pts: Vec<Coord> = (0..10)
            .map(|i| Coord::new(-16.4, -71.5 + f64::from(i) * 0.001).unwrap())
            .collect();
        let cut = cut_shape(&pts, pts[2], pts[6]).unwrap();
        assert_eq!(cut.len(), 5 + 2);
        assert_eq!(cut[1], pts[2]);
        assert_eq!(cut[5], pts[6]);
        // Stops far from the shape, or in the wrong order: no cut.
        assert!(cut_shape(&pts, Coord::new(-16.5, -71.5).unwrap(), pts[6]).is_none());
        assert!(cut_shape(&pts, pts[6], pts[2]).is_none());
    }
}
