//! Finding places: what riders type ("mercado san camilo", "vilalba", "mercaderes y san juan")
//! and what they tap. Stops and routes come from the timetable; streets, corners and named
//! places from the city's OpenStreetMap extract when one is loaded. Both front doors search
//! through here.

use crate::Dataset;
use streets::extract::PlaceKind;
use streets::places::Kind;
use timetable::Coord;

/// What a place is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlaceType {
    /// A stop (or the stops of one name close together).
    Stop,
    /// A route's end.
    Route,
    /// A street.
    Street,
    /// Two streets that meet.
    Corner,
    /// A market.
    Market,
    /// A school.
    School,
    /// A university.
    University,
    /// A hospital or clinic.
    Hospital,
    /// A plaza or park.
    Plaza,
    /// A church.
    Church,
    /// A mall.
    Mall,
    /// A bus terminal or station.
    Terminal,
    /// A district or neighbourhood.
    Area,
    /// Another named place (a bank, a hotel, a police station).
    Other,
}

impl PlaceType {
    fn of(kind: Kind) -> PlaceType {
        match kind {
            Kind::Street => PlaceType::Street,
            Kind::Corner => PlaceType::Corner,
            Kind::Place(p) => match p {
                PlaceKind::Market => PlaceType::Market,
                PlaceKind::School => PlaceType::School,
                PlaceKind::University => PlaceType::University,
                PlaceKind::Hospital => PlaceType::Hospital,
                PlaceKind::Plaza => PlaceType::Plaza,
                PlaceKind::Church => PlaceType::Church,
                PlaceKind::Mall => PlaceType::Mall,
                PlaceKind::Terminal => PlaceType::Terminal,
                PlaceKind::Area => PlaceType::Area,
                PlaceKind::Other => PlaceType::Other,
            },
        }
    }
}

/// A place found.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    /// Its name ("Mercado San Camilo", "Mercaderes y San Juan de Dios").
    pub name: String,
    /// What it is.
    #[serde(rename = "type")]
    pub kind: PlaceType,
    /// Where (a stop place: its first stop).
    pub lat: f64,
    /// Where.
    pub lon: f64,
    /// The stops it stands for (stops and route ends); empty for places on the map.
    pub stops: Vec<String>,
    /// The route it was found through.
    pub route: Option<String>,
    /// How well it matches, 0–1.
    pub score: f64,
}

/// Results closer than this with the same name are one place (metres).
const SAME_PLACE_M: f64 = 120.0;

fn stop_places(ds: &Dataset, q: &str, limit: usize) -> Vec<Place> {
    let tt = &ds.timetable;
    let qw = streets::places::words(&streets::places::fold(q));
    planner::find_places(tt, q, limit)
        .into_iter()
        .map(|m| {
            let c = tt.stop(m.stops[0]).coord;
            let name_words = streets::places::words(&streets::places::fold(&m.name));
            // Found by the timetable's own search: at least a good match.
            let score = streets::places::score(&qw, &name_words).max(0.9);
            Place {
                name: m.name,
                kind: if m.route.is_some() {
                    PlaceType::Route
                } else {
                    PlaceType::Stop
                },
                lat: c.lat(),
                lon: c.lon(),
                stops: m.stops.iter().map(|&s| tt.stop(s).id.clone()).collect(),
                route: m.route.map(|r| tt.route(r).id.clone()),
                score,
            }
        })
        .collect()
}

fn map_places(st: &streets::Streets, q: &str, limit: usize) -> Vec<Place> {
    let place = |name: String, kind: Kind, at: Coord, score: f64| Place {
        name,
        kind: PlaceType::of(kind),
        lat: at.lat(),
        lon: at.lon(),
        stops: Vec::new(),
        route: None,
        score,
    };
    let mut out: Vec<Place> = st
        .places
        .corners_for(&st.graph, q, limit)
        .into_iter()
        .map(|(n, at, s)| place(n, Kind::Corner, at, s))
        .collect();
    out.extend(
        st.places
            .search(&st.graph, q, limit)
            .into_iter()
            // Named places rank a little above streets of the same score.
            .map(|f| {
                let bonus = if matches!(f.entry.kind, Kind::Place(_)) {
                    0.01
                } else {
                    0.0
                };
                place(
                    f.entry.name.clone(),
                    f.entry.kind,
                    f.entry.at,
                    f.score + bonus,
                )
            }),
    );
    out
}

/// The longest query searched, characters: longer text is cut there (an HTTP request that
/// sends more is refused). Every name is compared with every word asked for, with typos
/// forgiven, so the work per query grows with its length; no place name needs more.
pub const MAX_QUERY_CHARS: usize = 100;

/// The most words of a query searched; the rest are left out.
pub const MAX_QUERY_WORDS: usize = 8;

/// `query` cut to what is searched: [`MAX_QUERY_CHARS`] characters, [`MAX_QUERY_WORDS`] words.
fn bounded(query: &str) -> String {
    let cut: String = query.trim().chars().take(MAX_QUERY_CHARS).collect();
    // A word said twice asks nothing more ("avenida avenida …" cost 100 ms).
    let mut seen: Vec<String> = Vec::new();
    cut.split_whitespace()
        .filter(|w| {
            let f = planner::fold(w);
            let new = !seen.contains(&f);
            if new {
                seen.push(f);
            }
            new
        })
        .take(MAX_QUERY_WORDS)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Places matching `query`, best first, at most `limit` (queries under two letters find
/// nothing; only the first [`MAX_QUERY_CHARS`] characters and [`MAX_QUERY_WORDS`] words
/// are searched, so no query costs more than those do).
pub fn find(ds: &Dataset, query: &str, limit: usize) -> Vec<Place> {
    let q = bounded(query);
    let q = q.as_str();
    if q.chars().count() < 2 || limit == 0 {
        return Vec::new();
    }
    let mut all = stop_places(ds, q, limit);
    if let Some(st) = &ds.streets {
        all.extend(map_places(st, q, limit));
    }
    if let Some(dir) = &ds.places {
        let qw = streets::places::words(&streets::places::fold(q));
        all.extend(dir.search(&qw, limit).into_iter().map(|m| Place {
            name: m.entry.name.clone(),
            kind: PlaceType::of(m.entry.kind),
            lat: m.entry.at.lat(),
            lon: m.entry.at.lon(),
            stops: Vec::new(),
            route: None,
            // A place asked for by name ranks above the stops named after it.
            score: m.score + 0.05,
        }));
    }
    all.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out: Vec<Place> = Vec::with_capacity(limit);
    for p in all {
        let at = |p: &Place| Coord::new(p.lat, p.lon).ok();
        let dup = out.iter().any(|o| {
            o.name == p.name
                && o.kind == p.kind
                && at(o)
                    .zip(at(&p))
                    .is_some_and(|(a, b)| a.distance_m(b) <= SAME_PLACE_M)
        });
        if !dup {
            out.push(p);
        }
        if out.len() == limit {
            break;
        }
    }
    out
}

/// What a rider would call a tapped point: a corner, a named place or a street from the
/// city's extract, else a corner or place of its place list it is at or near ("Cerca de …",
/// in `lang`), else the nearest named stop within 150 m; `None` if nothing is named there.
pub fn reverse(ds: &Dataset, at: Coord, lang: i18n::Lang) -> Option<Place> {
    point_name(ds, at).map(|(mut place, near)| {
        if near {
            place.name = i18n::t(lang, "stop.near", &[("name", &place.name)]);
        }
        place
    })
}

/// The name of the place at or near `at` as [`reverse`] finds it, without saying "near" (the
/// bot says "cerca de …" of every point).
pub fn point_name(ds: &Dataset, at: Coord) -> Option<(Place, bool)> {
    if let Some(st) = &ds.streets
        && let Some((kind, name)) = st.places.reverse(&st.graph, &st.index, at)
    {
        return Some((
            Place {
                name,
                kind: PlaceType::of(kind),
                lat: at.lat(),
                lon: at.lon(),
                stops: Vec::new(),
                route: None,
                score: 1.0,
            },
            false,
        ));
    }
    if let Some(named) = ds.places.as_ref().and_then(|d| d.reverse(at)) {
        let near = named.near;
        return Some((
            Place {
                name: named.name,
                kind: PlaceType::of(named.kind),
                lat: at.lat(),
                lon: at.lon(),
                stops: Vec::new(),
                route: None,
                score: 1.0,
            },
            near,
        ));
    }
    let tt = &ds.timetable;
    tt.stop_index()
        .within(at, 150.0)
        .into_iter()
        .map(|(s, d)| (timetable::StopIdx(s), d))
        .filter(|(s, _)| !planner::unnamed(&tt.stop(*s).name))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| {
            let st = tt.stop(s);
            let place = Place {
                name: st.name.clone(),
                kind: PlaceType::Stop,
                lat: st.coord.lat(),
                lon: st.coord.lon(),
                stops: vec![st.id.clone()],
                route: None,
                score: 1.0,
            };
            (place, false)
        })
}
