//! The gazetteer: the names riders give places by — streets, street corners (two named
//! streets that meet) and named places (markets, schools, hospitals, plazas, churches, malls,
//! terminals) — with a typo-tolerant search and reverse geocoding ("Calle X y Calle Y").
//!
//! Search folds accents and case (`deunicode`), splits names into words, and scores each word
//! of the query against the best word of a name with Jaro–Winkler similarity (`strsim`), so
//! "vilalba" finds "Villalba" and "san camilo" finds "Mercado San Camilo". A corner is asked as
//! two streets ("mercaderes y san juan", "mercaderes con san juan", "mercaderes & san juan").

use crate::extract::{Extract, PlaceKind};
use crate::graph::{Graph, NO_NAME, planar};
use rstar::primitives::GeomWithData;
use rstar::{PointDistance, RTree};
use std::collections::HashMap;
use timetable::Coord;

/// Folds a text for matching: ASCII, lower case, punctuation as spaces.
pub fn fold(s: &str) -> String {
    deunicode::deunicode(s)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect()
}

/// Words too common to tell places apart.
const STOP_WORDS: [&str; 14] = [
    "de", "la", "el", "los", "las", "del", "y", "e", "da", "do", "dos", "das", "con", "a",
];

/// Abbreviations of street words in Peru and Brazil, and what they stand for.
const ABBREVIATIONS: [(&str, &str); 17] = [
    ("av", "avenida"),
    ("sn", "san"),
    ("avda", "avenida"),
    ("jr", "jiron"),
    ("ca", "calle"),
    ("cl", "calle"),
    ("r", "rua"),
    ("al", "alameda"),
    ("pje", "pasaje"),
    ("psje", "pasaje"),
    ("prol", "prolongacion"),
    ("urb", "urbanizacion"),
    ("pza", "plaza"),
    ("pca", "praca"),
    ("sta", "santa"),
    ("sto", "santo"),
    ("gral", "general"),
];

/// The words of a folded text that say something, abbreviations spelt out.
pub fn words(folded: &str) -> Vec<String> {
    folded
        .split_whitespace()
        .filter(|w| !STOP_WORDS.contains(w))
        .map(|w| {
            ABBREVIATIONS
                .iter()
                .find(|(a, _)| *a == w)
                .map_or(w, |(_, full)| full)
                .to_string()
        })
        .collect()
}

/// How well `query` words match `name` words, 0–1: every query word must find a close word
/// in the name (exact, a prefix of three letters or more, or Jaro–Winkler ≥ 0.88); the score
/// is their mean, less a little for each word of the name the query did not ask for.
pub fn score(query: &[String], name: &[String]) -> f64 {
    if query.is_empty() || name.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    for q in query {
        let best = name
            .iter()
            .map(|n| {
                if n == q {
                    1.0
                } else if q.len() >= 3 && n.starts_with(q.as_str()) {
                    0.95
                } else if q.len() >= 4 {
                    let s = strsim::jaro_winkler(q, n);
                    if s >= 0.88 { s * 0.95 } else { 0.0 }
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max);
        if best == 0.0 {
            return 0.0;
        }
        total += best;
    }
    let extra = name.len().saturating_sub(query.len()) as f64;
    (total / query.len() as f64 - 0.02 * extra).max(0.01)
}

/// What a gazetteer entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A street (one entry per stretch of one name).
    Street,
    /// Two streets that meet.
    Corner,
    /// A named place.
    Place(PlaceKind),
}

/// A gazetteer entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// As written in the extract ("Calle Mercaderes", "Mercaderes y San Juan de Dios").
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Where.
    pub at: Coord,
    words: Vec<String>,
}

/// A match, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct Found<'a> {
    /// The entry.
    pub entry: &'a Entry,
    /// 0–1.
    pub score: f64,
}

/// Streets of one name farther apart than this are different streets (metres).
const SAME_STREET_M: f64 = 1500.0;
/// Corners of the same two names closer than this are one corner (metres).
const SAME_CORNER_M: f64 = 150.0;

type Point = GeomWithData<[f64; 2], u32>;

/// Names riders search for, and the places they tap.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    /// Streets and named places (searched by name).
    pub entries: Vec<Entry>,
    /// Corners by their two street names (ids into the graph's names, smaller first).
    corners: HashMap<(u32, u32), Vec<Coord>>,
    /// Street names (the graph's), folded into words.
    street_words: Vec<Vec<String>>,
    /// Corners and places as points, for reverse geocoding.
    tapped: RTree<Point>,
    tapped_what: Vec<(Kind, String, Coord)>,
    cos_lat0: f64,
}

impl Gazetteer {
    /// Builds the gazetteer of an extract and its graph.
    pub fn build(x: &Extract, g: &Graph) -> Gazetteer {
        let cos_lat0 = g
            .vertices
            .first()
            .map_or(1.0, |c| c.lat().to_radians().cos());
        let street_words: Vec<Vec<String>> = g.names.iter().map(|n| words(&fold(n))).collect();
        let mut entries = streets(g);
        for p in &x.pois {
            let Some(pos) = p.pos else { continue };
            let Ok(at) = Coord::new(pos.lat(), pos.lon()) else {
                continue;
            };
            entries.push(Entry {
                words: words(&fold(&p.name)),
                name: p.name.clone(),
                kind: Kind::Place(p.kind),
                at,
            });
        }
        let corners = corners(g);
        let mut tapped_what: Vec<(Kind, String, Coord)> = Vec::new();
        for (&(a, b), list) in &corners {
            for &c in list {
                let name = format!("{} y {}", g.names[a as usize], g.names[b as usize]);
                tapped_what.push((Kind::Corner, name, c));
            }
        }
        for e in entries.iter().filter(|e| matches!(e.kind, Kind::Place(_))) {
            tapped_what.push((e.kind, e.name.clone(), e.at));
        }
        let tapped = RTree::bulk_load(
            tapped_what
                .iter()
                .enumerate()
                .map(|(i, (_, _, c))| Point::new(planar(*c, cos_lat0), i as u32))
                .collect(),
        );
        Gazetteer {
            entries,
            corners,
            street_words,
            tapped,
            tapped_what,
            cos_lat0,
        }
    }

    /// The best matches for `query`, at most `limit`: streets and places by name, and corners
    /// when the query names two streets.
    pub fn search(&self, g: &Graph, query: &str, limit: usize) -> Vec<Found<'_>> {
        let _ = g;
        let q = fold(query);
        let qw = words(&q);
        let mut found: Vec<Found<'_>> = self
            .entries
            .iter()
            .filter_map(|e| {
                let s = score(&qw, &e.words);
                (s > 0.0).then_some(Found { entry: e, score: s })
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        found.truncate(limit);
        found
    }

    /// Corners where two streets matching the two halves of `query` meet ("X y Y"), best
    /// first, as `(name, point, score)`.
    pub fn corners_for(&self, g: &Graph, query: &str, limit: usize) -> Vec<(String, Coord, f64)> {
        let q = format!(" {} ", fold(query));
        let Some((a, b)) = [" y ", " con ", " esquina ", " esq ", " and ", " e "]
            .iter()
            .find_map(|sep| q.split_once(sep))
        else {
            return Vec::new();
        };
        let best = |part: &str| -> Vec<(u32, f64)> {
            let w = words(part);
            let mut v: Vec<(u32, f64)> = self
                .street_words
                .iter()
                .enumerate()
                .map(|(i, n)| (i as u32, score(&w, n)))
                .filter(|(_, s)| *s > 0.0)
                .collect();
            v.sort_by(|x, y| y.1.total_cmp(&x.1));
            v.truncate(8);
            v
        };
        let (left, right) = (best(a), best(b));
        let mut out = Vec::new();
        for &(x, sx) in &left {
            for &(y, sy) in &right {
                let key = (x.min(y), x.max(y));
                for &c in self.corners.get(&key).into_iter().flatten() {
                    let name = format!("{} y {}", g.names[x as usize], g.names[y as usize]);
                    out.push((name, c, (sx + sy) / 2.0));
                }
            }
        }
        out.sort_by(|p, q| q.2.total_cmp(&p.2));
        out.truncate(limit);
        out
    }

    /// What a rider would call the point `at`: the nearest corner (within 60 m) or named
    /// place (within 80 m; a place counts 25 m nearer than a corner, since it is what people
    /// meet at), else the street (within 40 m).
    pub fn reverse(
        &self,
        g: &Graph,
        index: &crate::snap::EdgeIndex,
        at: Coord,
    ) -> Option<(Kind, String)> {
        let p = planar(at, self.cos_lat0);
        let best = self
            .tapped
            .locate_within_distance(p, 80.0 * 80.0)
            .map(|pt| {
                let d2 = pt.distance_2(&p);
                (&self.tapped_what[pt.data as usize], d2.sqrt())
            })
            .filter(|((k, _, _), d)| *k != Kind::Corner || *d <= 60.0)
            .map(|((k, n, _), d)| {
                let rank = if *k == Kind::Corner { d } else { d - 25.0 };
                (rank, *k, n)
            })
            // Ties by name, so the answer does not depend on the tree's order.
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.2.cmp(b.2)));
        if let Some((_, k, n)) = best {
            return Some((k, n.clone()));
        }
        let snap = index.snap(g, at, 40.0, false)?;
        g.name(snap.edge).map(|n| (Kind::Street, n.to_string()))
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.entries
            .iter()
            .map(|e| {
                size_of::<Entry>()
                    + e.name.len()
                    + e.words.iter().map(|w| w.len() + 24).sum::<usize>()
            })
            .sum::<usize>()
            + self.corners.len() * 64
            + self
                .tapped_what
                .iter()
                .map(|t| t.1.len() + 64)
                .sum::<usize>()
    }
}

/// One entry per stretch of each street name: the edges of a name grouped while they lie
/// within [`SAME_STREET_M`] of the group's first, each group at its middle edge.
fn streets(g: &Graph) -> Vec<Entry> {
    let mut by_name: Vec<Vec<u32>> = vec![Vec::new(); g.names.len()];
    for (i, e) in g.edges.iter().enumerate() {
        if e.name != NO_NAME {
            by_name[e.name as usize].push(i as u32);
        }
    }
    let middle = |e: u32| {
        let pts = g.geometry(e);
        pts[pts.len() / 2]
    };
    let mut out = Vec::new();
    for (n, edges) in by_name.iter().enumerate() {
        let mut groups: Vec<(Coord, Vec<Coord>)> = Vec::new();
        for &e in edges {
            let c = middle(e);
            match groups
                .iter_mut()
                .find(|(first, _)| first.distance_m(c) <= SAME_STREET_M)
            {
                Some((_, list)) => list.push(c),
                None => groups.push((c, vec![c])),
            }
        }
        let w = words(&fold(&g.names[n]));
        for (_, list) in groups {
            out.push(Entry {
                name: g.names[n].clone(),
                kind: Kind::Street,
                at: list[list.len() / 2],
                words: w.clone(),
            });
        }
    }
    out
}

/// Vertices where two differently named streets meet, by the pair of names.
fn corners(g: &Graph) -> HashMap<(u32, u32), Vec<Coord>> {
    let mut out: HashMap<(u32, u32), Vec<Coord>> = HashMap::new();
    let mut names: Vec<u32> = Vec::new();
    for v in 0..g.vertices.len() as u32 {
        names.clear();
        names.extend(
            g.incident(v)
                .iter()
                .map(|&e| g.edges[e as usize].name)
                .filter(|&n| n != NO_NAME),
        );
        names.sort_unstable();
        names.dedup();
        for i in 0..names.len() {
            for j in i + 1..names.len() {
                let c = g.vertices[v as usize];
                let list = out.entry((names[i], names[j])).or_default();
                if !list.iter().any(|o| o.distance_m(c) <= SAME_CORNER_M) {
                    list.push(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(&fold(s))
    }

    #[test]
    fn folding_drops_accents_case_and_punctuation() {
        assert_eq!(fold("Ramón CASTILLA, Ñuñoa"), "ramon castilla  nunoa");
        assert_eq!(fold("São Paulo"), "sao paulo");
    }

    #[test]
    fn typos_and_missing_words_still_match_and_rank() {
        assert!(score(&w("vilalba"), &w("Villalba")) > 0.8);
        assert!(score(&w("san camilo"), &w("Mercado San Camilo")) > 0.8);
        assert!(
            score(&w("mercado san camilo"), &w("Mercado San Camilo"))
                > score(&w("san camilo"), &w("Mercado San Camilo Nuevo Anexo"))
        );
        assert_eq!(score(&w("hospital"), &w("Mercado San Camilo")), 0.0);
        assert_eq!(
            score(&w("vi"), &w("Villalba")),
            0.0,
            "two letters are not a prefix match"
        );
        // Every word asked must be found.
        assert_eq!(score(&w("mercado lima"), &w("Mercado San Camilo")), 0.0);
    }
}
