//! Walking on the streets when the city's OpenStreetMap extract is loaded: walks from a point
//! to the stops around it measured along the streets, walk legs with the street line and
//! turn-by-turn steps in the rider's language, and the street distance the car comparison
//! uses. Without an extract, or for a point or stop far from every street, walks stay
//! straight lines × the detour factor.

use crate::{Endpoint, PlanError, PlannerConfig};
use i18n::{Lang, t};
use raptor::StopWalk;
use serde::Serialize;
use streets::{Search, Snap, Streets};
use timetable::footpaths::FootpathConfig;
use timetable::{Coord, StopIdx, Timetable};

/// The streets to walk on, with one thread's working memory.
#[derive(Debug)]
pub struct OnStreets<'a> {
    /// The city's streets (its stops snapped).
    pub streets: &'a Streets,
    /// Working memory, reused between queries.
    pub scratch: &'a mut StreetScratch,
}

/// One thread's working memory for walking on the streets: the trees of walks from the
/// origin and from the destination (the walks to and from the first and last stop are read
/// from them, not searched again), and a search for the other walk legs.
#[derive(Debug, Clone)]
pub struct StreetScratch {
    legs: Search,
    from: Search,
    to: Search,
    from_snap: Option<(Coord, Snap)>,
    to_snap: Option<(Coord, Snap)>,
    /// The last point named, and its name (every itinerary's last walk ends at the same
    /// destination).
    named: Option<(Coord, Option<String>)>,
}

impl StreetScratch {
    /// The search for walks other than to and from the ends.
    pub(crate) fn legs_search(&mut self) -> &mut Search {
        &mut self.legs
    }

    /// Working memory for `streets`.
    pub fn new(streets: &Streets) -> StreetScratch {
        let s = Search::new(&streets.graph);
        StreetScratch {
            legs: s.clone(),
            from: s.clone(),
            to: s,
            from_snap: None,
            to_snap: None,
            named: None,
        }
    }
}

/// Which end of a trip a walk leaves from or reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// From the origin to this stop.
    Access(StopIdx),
    /// From this stop to the destination.
    Egress(StopIdx),
    /// From one stop to another (a transfer).
    Between(StopIdx, StopIdx),
    /// Anything else (origin to destination).
    Other,
}

/// One step of a walk.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalkStep {
    /// What to do, in the rider's language ("Camina 120 m por Calle Mercaderes y gira a la
    /// derecha en Av. Independencia").
    pub instruction: String,
    /// The turn that starts the step: `depart`, `straight`, `slight_left`, `slight_right`,
    /// `left`, `right`, `sharp_left`, `sharp_right`, `uturn`.
    pub turn: &'static str,
    /// The street's name, when it has one.
    pub street: Option<String>,
    /// Metres.
    pub distance_m: u32,
    /// Where the step starts.
    pub lat: f64,
    /// Where the step starts.
    pub lon: f64,
}

/// A walk leg's line and steps.
pub(crate) struct Dressed {
    pub points: Vec<Coord>,
    pub steps: Vec<WalkStep>,
}

/// Walks from a point to the stops around it along the streets (within the access radius ×
/// the detour factor), plus straight lines to stops that did not snap; `None` to use the
/// straight-line model (the point is far from every street, or no stop is reached).
pub(crate) fn access(
    on: &mut OnStreets<'_>,
    cfg: &PlannerConfig,
    fc: &FootpathConfig,
    (at, origin): (Coord, bool),
    wheelchair: bool,
) -> Option<Vec<StopWalk>> {
    let bound = fc.walk_distance(cfg.access_radius_m);
    let sc = &mut *on.scratch;
    let (search, keep) = if origin {
        (&mut sc.from, &mut sc.from_snap)
    } else {
        (&mut sc.to, &mut sc.to_snap)
    };
    let (snap, found) = on.streets.stops_around(search, at, bound, wheelchair)?;
    *keep = Some((at, snap));
    let secs = |m: f64| (m / fc.walking_speed_m_s).ceil() as u32;
    let mut out: Vec<StopWalk> = found
        .into_iter()
        .map(|(s, m)| StopWalk {
            stop: StopIdx(s),
            duration: secs(f64::from(m)),
            distance_m: m,
        })
        .collect();
    for (s, d) in on.streets.off_streets_within(at, cfg.access_radius_m) {
        out.push(StopWalk {
            stop: StopIdx(s),
            duration: fc.walk_time(d),
            distance_m: fc.walk_distance(d).round() as u32,
        });
    }
    (!out.is_empty()).then_some(out)
}

/// The walks of an endpoint: along the streets where possible, else as today.
pub(crate) fn walks(
    tt: &Timetable,
    on: Option<&mut OnStreets<'_>>,
    cfg: &PlannerConfig,
    e: &Endpoint,
    which: &'static str,
    fc: &FootpathConfig,
    wheelchair: bool,
) -> Result<Vec<StopWalk>, PlanError> {
    if let Some(on) = on {
        // This end's tree is for this query only.
        if which == "origin" {
            on.scratch.from_snap = None;
        } else {
            on.scratch.to_snap = None;
        }
        if let Endpoint::Coord(c) = e
            && let Some(w) = access(on, cfg, fc, (*c, which == "origin"), wheelchair)
        {
            return Ok(w);
        }
    }
    crate::walks_at(tt, cfg, e, which, Some(fc.walking_speed_m_s))
}

/// What the map calls `at` ("Mercaderes y San Juan", a market, a street), remembered for the
/// last point asked.
pub(crate) fn name_at(on: &mut OnStreets<'_>, at: Coord) -> Option<String> {
    if let Some((c, n)) = &on.scratch.named
        && *c == at
    {
        return n.clone();
    }
    let st = on.streets;
    let n = st.places.reverse(&st.graph, &st.index, at).map(|(_, n)| n);
    on.scratch.named = Some((at, n.clone()));
    n
}

/// The words for a step's way: its name, or what it is.
fn way_words(lang: Lang, s: &streets::Step) -> String {
    if let Some(n) = &s.street {
        return n.clone();
    }
    let key = if s.crossing {
        "crossing"
    } else if s.stairs {
        "steps"
    } else {
        s.class.key()
    };
    t(lang, &format!("walk.way.{key}"), &[])
}

/// Steps as riders read them: each says how far along which street, and the turn into the
/// next; the last says where it ends.
pub(crate) fn instructions(lang: Lang, steps: &[streets::Step], to: &str) -> Vec<WalkStep> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let street = way_words(lang, s);
            let distance = s.distance_m.to_string();
            let instruction = match steps.get(i + 1) {
                Some(next) => format!(
                    "{} {}",
                    t(
                        lang,
                        "walk.step",
                        &[("distance", &distance), ("street", &street)]
                    ),
                    t(
                        lang,
                        &format!("walk.then.{}", next.turn.key()),
                        &[("street", &way_words(lang, next))]
                    )
                ),
                None => t(
                    lang,
                    "walk.step.last",
                    &[("distance", &distance), ("street", &street), ("to", &to)],
                ),
            };
            WalkStep {
                instruction,
                turn: s.turn.key(),
                street: s.street.clone(),
                distance_m: s.distance_m,
                lat: s.at.lat(),
                lon: s.at.lon(),
            }
        })
        .collect()
}

/// A walk leg along the streets from `a` to `b` (its line and steps); `None` keeps the
/// straight line.
#[allow(clippy::too_many_arguments)]
pub(crate) fn dress(
    tt: &Timetable,
    on: &mut OnStreets<'_>,
    lang: Lang,
    (a, b): (Coord, Coord),
    end: End,
    distance_m: u32,
    wheelchair: bool,
    to: &str,
) -> Option<Dressed> {
    let st = on.streets;
    let sc = &mut *on.scratch;
    // The walks to the first stop, from the last and between stops are read from the tables
    // of walks to stops (or, beyond them, from the trees of the access search).
    let from_tree = match end {
        End::Access(s) => sc.from_snap.map(|(at, snap)| {
            st.walk_to_stop(
                &sc.from,
                (at, &snap),
                (s.0, tt.stop(s).coord),
                wheelchair,
                false,
            )
        }),
        End::Egress(s) => sc.to_snap.map(|(at, snap)| {
            st.walk_to_stop(
                &sc.to,
                (at, &snap),
                (s.0, tt.stop(s).coord),
                wheelchair,
                true,
            )
        }),
        End::Between(x, y) => Some(st.walk_between_stops(
            (x.0, tt.stop(x).coord),
            (y.0, tt.stop(y).coord),
            wheelchair,
        )),
        End::Other => None,
    };
    let w = match from_tree.flatten() {
        Some(w) => w,
        None => {
            // Somewhat longer than the walk found, for rounding and the way to each street.
            let bound = f64::from(distance_m) * 1.2 + 100.0;
            st.walk(&mut sc.legs, a, b, bound, wheelchair)?
        }
    };
    let steps = instructions(lang, &w.steps, to);
    Some(Dressed {
        points: w.points,
        steps,
    })
}

/// The distance by road between origin and destination for the car comparison, km: the
/// straight line × the detour the city's streets impose (measured on its street graph when
/// loaded and both ends are on it: another city served beside it keeps its own), else × the
/// configured detour factor.
pub(crate) fn car_km(tt: &Timetable, on: Option<&OnStreets<'_>>, a: Coord, b: Coord) -> f64 {
    let detour = on
        .filter(|o| o.streets.snap(a, false).is_some() && o.streets.snap(b, false).is_some())
        .map_or(tt.footpath_config().detour_factor, |o| o.streets.detour);
    detour * a.distance_m(b) / 1000.0
}
