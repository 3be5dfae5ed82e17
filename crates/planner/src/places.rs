//! Finding places by name: stops (accent- and case-insensitive, ranked) and routes, for the
//! HTTP search and the chatbot's "where from?". Most Arequipa stops are unnamed OSM nodes and
//! many named ones share a street's name, so stops with one name are grouped by proximity and
//! route names lead to their stops.

use timetable::{RouteIdx, StopIdx, Timetable};

/// Lower case without accents, for matching names as people type them.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            c => c,
        })
        .collect()
}

/// Whether a stop name says nothing (empty, or `Innominada` as OSM-derived feeds write it).
pub fn unnamed(name: &str) -> bool {
    name.is_empty() || name.eq_ignore_ascii_case("innominada")
}

/// Stops whose folded name matches the folded query `q`, best first: exact name, then
/// prefix, then contained; shorter names first.
pub fn search_stops(tt: &Timetable, q: &str) -> Vec<StopIdx> {
    let mut hits: Vec<(u8, StopIdx)> = Vec::new();
    for (i, (name, _)) in search_names(tt).iter().enumerate() {
        let name = name.as_str();
        let coded = tt.stops()[i].code.as_deref().is_some_and(|c| fold(c) == q);
        let rank = if coded || name == q {
            0
        } else if name.starts_with(q) {
            1
        } else if name.contains(q) {
            2
        } else {
            continue;
        };
        hits.push((rank, StopIdx::new(i)));
    }
    hits.sort_by_key(|&(r, s)| (r, tt.stop(s).name.len(), s));
    hits.into_iter().map(|(_, s)| s).collect()
}

/// The stops whose code (`stop_code`, painted at the stop) is `code`, ignoring case, accents
/// and spaces around it.
pub fn stops_by_code(tt: &Timetable, code: &str) -> Vec<StopIdx> {
    let code = fold(code.trim());
    if code.is_empty() {
        return Vec::new();
    }
    tt.stops()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.code.as_deref().is_some_and(|c| fold(c.trim()) == code))
        .map(|(i, _)| StopIdx::new(i))
        .collect()
}

/// The stops' names folded (as [`fold`]) and as words (as the place lists' search reads
/// names), made once per timetable.
fn search_names(tt: &Timetable) -> &[(String, Vec<String>)] {
    tt.stop_search_names(|name| {
        (
            fold(name),
            streets::places::words(&streets::places::fold(name)),
        )
    })
}

/// Routes whose short or long name contains the folded query `q`.
pub fn search_routes(tt: &Timetable, q: &str) -> Vec<RouteIdx> {
    tt.routes()
        .iter()
        .enumerate()
        .filter(|(_, r)| fold(&r.short_name).contains(q) || fold(&r.long_name).contains(q))
        .map(|(i, _)| RouteIdx::new(i))
        .collect()
}

/// The stops of a route in order: those of its pattern with the most stops.
pub fn route_stops(tt: &Timetable, r: RouteIdx) -> Vec<StopIdx> {
    (0..tt.patterns().len())
        .map(timetable::PatternIdx::new)
        .filter(|&p| tt.pattern(p).route == r)
        .max_by_key(|&p| tt.pattern_stops(p).len())
        .map(|p| tt.pattern_stops(p).to_vec())
        .unwrap_or_default()
}

/// Short names of the routes serving a stop, sorted, without repeats.
pub fn stop_routes(tt: &Timetable, s: StopIdx) -> Vec<String> {
    stop_route_names(tt, s)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// [`stop_routes`], borrowed from the timetable (no copies, for hot endpoints).
pub fn stop_route_names(tt: &Timetable, s: StopIdx) -> Vec<&str> {
    let mut routes: Vec<&str> = tt
        .stop_patterns(s)
        .iter()
        .map(|&(p, _)| tt.route(tt.pattern(p).route).short_name.as_str())
        .collect();
    routes.sort_unstable();
    routes.dedup();
    routes
}

/// A place a rider may have meant.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceMatch {
    /// Stop name (or the route's end it is).
    pub name: String,
    /// The stops of the place (one kerb or both, a few along a street).
    pub stops: Vec<StopIdx>,
    /// The route it was found through, if any.
    pub route: Option<RouteIdx>,
}

/// Named stops whose name is close to `query` despite typos ("vilalba" for "Villalba"), best
/// first: every word asked must be near a word of the name (see `streets::places::score`).
pub fn fuzzy_stops(tt: &Timetable, query: &str) -> Vec<StopIdx> {
    use streets::places::{fold, score, words};
    let q = words(&fold(query));
    let names = search_names(tt);
    let mut hits: Vec<(f64, StopIdx)> = tt
        .stops()
        .iter()
        .enumerate()
        .filter(|(_, st)| !unnamed(&st.name))
        .filter_map(|(i, _)| {
            let s = score(&q, &names[i].1);
            (s >= FUZZY_MIN).then_some((s, StopIdx::new(i)))
        })
        .collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0));
    hits.into_iter().map(|(_, s)| s).collect()
}

/// The least fuzzy score for a stop name to count as found.
const FUZZY_MIN: f64 = 0.8;

/// Stops of one name closer than this are one place.
const GROUP_M: f64 = 300.0;

/// Places matching a typed name, best first, at most `limit`: named stops grouped by name and
/// proximity, then the first and last stops of matching routes (terminals are places riders
/// know). Empty for queries under 2 characters.
pub fn find_places(tt: &Timetable, query: &str, limit: usize) -> Vec<PlaceMatch> {
    let q = fold(query.trim());
    if q.chars().count() < 2 {
        return Vec::new();
    }
    let mut out: Vec<PlaceMatch> = Vec::new();
    let mut hits = search_stops(tt, &q);
    if hits.is_empty() {
        hits = fuzzy_stops(tt, query);
    }
    for s in hits {
        let st = tt.stop(s);
        if unnamed(&st.name) {
            continue;
        }
        let near_same = out.iter().position(|p| {
            p.route.is_none()
                && p.name == st.name
                && p.stops
                    .iter()
                    .any(|&o| tt.stop(o).coord.distance_m(st.coord) <= GROUP_M)
        });
        match near_same {
            Some(i) => out[i].stops.push(s),
            None if out.len() < limit => out.push(PlaceMatch {
                name: st.name.clone(),
                stops: vec![s],
                route: None,
            }),
            None => {}
        }
    }
    for r in search_routes(tt, &q) {
        let stops = route_stops(tt, r);
        for s in [stops.first(), stops.last()].into_iter().flatten() {
            if out.len() >= limit {
                return out;
            }
            if out.iter().any(|p| p.stops.contains(s)) {
                continue;
            }
            out.push(PlaceMatch {
                name: tt.stop(*s).name.clone(),
                stops: vec![*s],
                route: Some(r),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Ramón CASTILLA Ñuñoa"), "ramon castilla nunoa");
    }
}
