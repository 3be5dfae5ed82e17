//! A city's place list: the named places, streets and street corners riders search for, read
//! from a JSON file such as the Arequipa Bus app's own offline search data (`pois`, `streets`,
//! `streetJunctions`, described by its `_fields`). It needs no street network: a city without
//! an OpenStreetMap extract still finds "mercado san camilo", "mall aventura" or "yanahuara",
//! and a tapped point still gets a name.
//!
//! Search reuses the gazetteer's matching ([`crate::places::score`]: accents and case folded,
//! small typos forgiven), over every name of an entry (its other names too), and ranks by that
//! score plus a small weight for what riders travel to (districts, plazas, hospitals, markets,
//! universities, malls, terminals) over the thousand kindergartens. Reverse geocoding gives
//! the nearest corner (within 60 m) or typed place (within 80 m), else the nearest corner
//! within [`NEAR_M`] as a place the point is near.

use crate::extract::PlaceKind;
use crate::graph::planar;
use crate::places::{Kind, fold, score, words};
use rstar::primitives::GeomWithData;
use rstar::{PointDistance, RTree};
use serde_json::Value;
use timetable::Coord;

/// How far a point may be from the corner it is said to be near, metres.
pub const NEAR_M: f64 = 250.0;

/// Why a place list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Missing, unreadable, not a regular file, or larger than allowed.
    #[error("cannot read the place list {path}: {why}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// Not the expected JSON.
    #[error("the place list {path} is not a place list: {why}")]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong, where.
        why: String,
    },
}

/// One searchable name.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// As written ("Mercado San Camilo", "Mercaderes y Jerusalén").
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Where.
    pub at: Coord,
    /// The folded words of each of its names, the main one first.
    names: Vec<Vec<String>>,
    /// Added to a match's score: what riders travel to ranks first.
    weight: f64,
}

/// A match.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'a> {
    /// The entry.
    pub entry: &'a Listed,
    /// Text score plus the entry's weight.
    pub score: f64,
}

/// What a point is called.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    /// What it is.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// Metres from the point.
    pub distance_m: f64,
    /// The point is near it rather than at it (farther than a corner's 60 m or a place's
    /// 80 m).
    pub near: bool,
}

type Point = GeomWithData<[f64; 2], u32>;

/// A city's place list, searchable and reverse-geocodable.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    entries: Vec<Listed>,
    /// Every distinct folded word of every name, once: a query scores each word against
    /// these (Jaro–Winkler is the cost), then each entry by looking its words up.
    vocabulary: Vec<String>,
    /// Per entry, per name, its words as indices into `vocabulary`.
    coded: Vec<Vec<Vec<u32>>>,
    /// Corners and typed places (not districts, which are areas), for reverse geocoding.
    tapped: RTree<Point>,
    cos_lat0: f64,
}

/// `places::score` of a name whose words are `name` (vocabulary indices), from each query
/// word's score against each vocabulary word (`per_word[q][w]`, a one-word score: 1, 0.95,
/// Jaro–Winkler × 0.95 or 0).
fn coded_score(per_word: &[Vec<f64>], name: &[u32]) -> f64 {
    if per_word.is_empty() || name.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    for q in per_word {
        // A one-word score is the match less nothing (no extra words): the best match.
        let best = name.iter().map(|&w| q[w as usize]).fold(0.0, f64::max);
        if best <= 0.01 {
            return 0.0;
        }
        total += best;
    }
    let extra = name.len().saturating_sub(per_word.len()) as f64;
    (total / per_word.len() as f64 - 0.02 * extra).max(0.01)
}

/// The kind of a `pois` entry from its OSM type (`amenity:hospital`); `None` for what is not a
/// destination of its own (a bus platform: the feed's stops are those).
fn kind_of(osm: Option<&str>, name: &str) -> Option<PlaceKind> {
    let folded = fold(name);
    if folded.starts_with("plaza ") || folded.starts_with("parque ") {
        return Some(PlaceKind::Plaza);
    }
    let Some(osm) = osm else {
        return Some(PlaceKind::Area);
    };
    let (k, v) = osm.split_once(':').unwrap_or((osm, ""));
    Some(match (k, v) {
        ("public_transport", _) | ("highway", "bus_stop") => return None,
        ("amenity", "marketplace") | ("shop", "supermarket") => PlaceKind::Market,
        ("amenity", "school" | "kindergarten" | "college") => PlaceKind::School,
        ("amenity", "university") => PlaceKind::University,
        ("amenity", "hospital" | "clinic") => PlaceKind::Hospital,
        ("place", "square") | ("leisure", "park") => PlaceKind::Plaza,
        ("amenity", "place_of_worship") => PlaceKind::Church,
        ("shop", "mall" | "department_store") => PlaceKind::Mall,
        ("amenity", "bus_station") => PlaceKind::Terminal,
        ("place", _) => PlaceKind::Area,
        _ => PlaceKind::Other,
    })
}

fn weight_of(kind: Kind) -> f64 {
    match kind {
        Kind::Place(
            PlaceKind::Area
            | PlaceKind::Plaza
            | PlaceKind::Hospital
            | PlaceKind::Market
            | PlaceKind::University
            | PlaceKind::Mall
            | PlaceKind::Terminal,
        ) => 0.05,
        Kind::Place(PlaceKind::Church) => 0.03,
        Kind::Street => 0.02,
        Kind::Place(PlaceKind::School | PlaceKind::Other) | Kind::Corner => 0.0,
    }
}

/// `[lon, lat]` as a coordinate.
fn lon_lat(v: &Value) -> Option<Coord> {
    let a = v.as_array()?;
    Coord::new(a.get(1)?.as_f64()?, a.first()?.as_f64()?).ok()
}

fn texts(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Every name the entry goes by, as folded words: the main one, the others, the localized ones.
fn name_words(main: &str, others: &[String]) -> Vec<Vec<String>> {
    let mut out = vec![words(&fold(main))];
    for o in others {
        let w = words(&fold(o));
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

impl Directory {
    /// Reads the place list at `path` (at most `max_mib`).
    pub fn read(path: &std::path::Path, max_mib: u64) -> Result<Directory, DirectoryError> {
        let shown = path.display().to_string();
        let io = |why: String| DirectoryError::Io {
            path: shown.clone(),
            why,
        };
        let meta = std::fs::metadata(path).map_err(|e| io(e.to_string()))?;
        if !meta.is_file() {
            return Err(io(
                "not a regular file (a device, a named pipe or a socket)".into(),
            ));
        }
        if meta.len() > max_mib.saturating_mul(1 << 20) {
            return Err(io(format!(
                "{} MiB, more than the {max_mib} MiB allowed",
                meta.len() >> 20
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| io(e.to_string()))?;
        Directory::parse(&text).map_err(|why| DirectoryError::Malformed { path: shown, why })
    }

    /// Reads a place list from its JSON text; entries without a name or a valid point are
    /// left out, a file of the wrong shape is an error saying where.
    pub fn parse(json: &str) -> Result<Directory, String> {
        let v: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let obj = v.as_object().ok_or("the top level is not an object")?;
        let mut entries: Vec<Listed> = Vec::new();
        let pois = obj.get("pois").and_then(Value::as_array);
        let streets = obj.get("streets").and_then(Value::as_object);
        if pois.is_none() && streets.is_none() {
            return Err("it has neither `pois` nor `streets`".into());
        }
        for p in pois.into_iter().flatten() {
            // [name, alternativeNames, localizedNames, [lon, lat], address, type]
            let Some(a) = p.as_array() else { continue };
            let Some(name) = a.first().and_then(Value::as_str).map(str::trim) else {
                continue;
            };
            let Some(at) = a.get(3).and_then(lon_lat) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            let Some(kind) = kind_of(a.get(5).and_then(Value::as_str), name) else {
                continue;
            };
            let mut others = texts(a.get(1));
            if let Some(loc) = a.get(2).and_then(Value::as_object) {
                others.extend(loc.values().filter_map(Value::as_str).map(str::to_string));
            }
            let kind = Kind::Place(kind);
            entries.push(Listed {
                names: name_words(name, &others),
                name: name.to_string(),
                kind,
                at,
                weight: weight_of(kind),
            });
        }
        // Streets: id → [name, alternativeNames, [lon, lat], district].
        let mut street_names: std::collections::HashMap<&str, &str> = Default::default();
        for (id, s) in streets.into_iter().flatten() {
            let Some(a) = s.as_array() else { continue };
            let Some(name) = a.first().and_then(Value::as_str).map(str::trim) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            street_names.insert(id.as_str(), name);
            let Some(at) = a.get(2).and_then(lon_lat) else {
                continue;
            };
            entries.push(Listed {
                names: name_words(name, &texts(a.get(1))),
                name: name.to_string(),
                kind: Kind::Street,
                at,
                weight: weight_of(Kind::Street),
            });
        }
        // Corners: street id → [[other street id, [lon, lat]], …], each pair once.
        let mut seen = std::collections::HashSet::new();
        if let Some(j) = obj.get("streetJunctions").and_then(Value::as_object) {
            for (a_id, list) in j {
                let Some(a_name) = street_names.get(a_id.as_str()) else {
                    continue;
                };
                for pair in list.as_array().into_iter().flatten() {
                    let Some(p) = pair.as_array() else { continue };
                    let Some(b_id) = p.first().and_then(Value::as_str) else {
                        continue;
                    };
                    let (Some(b_name), Some(at)) =
                        (street_names.get(b_id), p.get(1).and_then(lon_lat))
                    else {
                        continue;
                    };
                    if a_name == b_name {
                        continue;
                    }
                    let key = if a_id.as_str() < b_id {
                        (a_id.as_str(), b_id, at.lat().to_bits(), at.lon().to_bits())
                    } else {
                        (b_id, a_id.as_str(), at.lat().to_bits(), at.lon().to_bits())
                    };
                    if !seen.insert(key) {
                        continue;
                    }
                    let name = format!("{a_name} y {b_name}");
                    entries.push(Listed {
                        names: vec![words(&fold(&name))],
                        name,
                        kind: Kind::Corner,
                        at,
                        weight: weight_of(Kind::Corner),
                    });
                }
            }
        }
        Ok(Directory::of(entries))
    }

    /// One directory of the names of several (several feeds' place lists).
    pub fn merged(lists: Vec<Directory>) -> Directory {
        let mut lists = lists;
        if lists.len() == 1 {
            return lists.remove(0);
        }
        let entries: Vec<Listed> = lists.into_iter().flat_map(|d| d.entries).collect();
        Directory::of(entries)
    }

    fn of(entries: Vec<Listed>) -> Directory {
        let cos_lat0 = entries
            .first()
            .map_or(1.0, |e| e.at.lat().to_radians().cos());
        let tapped = RTree::bulk_load(
            entries
                .iter()
                .enumerate()
                .filter(|(_, e)| !matches!(e.kind, Kind::Street | Kind::Place(PlaceKind::Area)))
                .map(|(i, e)| Point::new(planar(e.at, cos_lat0), i as u32))
                .collect(),
        );
        let mut index: std::collections::HashMap<&str, u32> = Default::default();
        let mut vocabulary: Vec<String> = Vec::new();
        let coded: Vec<Vec<Vec<u32>>> = entries
            .iter()
            .map(|e| {
                e.names
                    .iter()
                    .map(|n| {
                        n.iter()
                            .map(|w| {
                                *index.entry(w.as_str()).or_insert_with(|| {
                                    vocabulary.push(w.clone());
                                    (vocabulary.len() - 1) as u32
                                })
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        drop(index);
        Directory {
            entries,
            vocabulary,
            coded,
            tapped,
            cos_lat0,
        }
    }

    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best matches for `query` (folded into words), at most `limit`.
    pub fn search(&self, query_words: &[String], limit: usize) -> Vec<Match<'_>> {
        if query_words.is_empty() || limit == 0 {
            return Vec::new();
        }
        // How well each query word matches each word of the vocabulary (the per-word part of
        // `places::score`, computed once per distinct word instead of once per entry).
        let per_word: Vec<Vec<f64>> = query_words
            .iter()
            .map(|q| {
                self.vocabulary
                    .iter()
                    .map(|n| score(std::slice::from_ref(q), std::slice::from_ref(n)))
                    .collect()
            })
            .collect();
        let mut found: Vec<Match<'_>> = self
            .entries
            .iter()
            .zip(&self.coded)
            .filter_map(|(e, names)| {
                let s = names
                    .iter()
                    .map(|n| coded_score(&per_word, n))
                    .fold(0.0, f64::max);
                (s > 0.0).then_some(Match {
                    entry: e,
                    score: s + e.weight,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.entry.name.cmp(&b.entry.name))
        });
        found.truncate(limit);
        found
    }

    /// What a rider would call the point `at`: the nearest corner within 60 m or typed place
    /// within 80 m (a place counts 25 m nearer, as the gazetteer's does), else the nearest
    /// corner or place within [`NEAR_M`], marked `near`.
    pub fn reverse(&self, at: Coord) -> Option<Named> {
        let p = planar(at, self.cos_lat0);
        let candidates = self
            .tapped
            .locate_within_distance(p, NEAR_M * NEAR_M)
            .map(|pt| (&self.entries[pt.data as usize], pt.distance_2(&p).sqrt()));
        let mut at_best: Option<(f64, &Listed, f64)> = None;
        let mut near_best: Option<(f64, &Listed)> = None;
        for (e, d) in candidates {
            let is_corner = e.kind == Kind::Corner;
            let within = if is_corner { 60.0 } else { 80.0 };
            // Generic places (a bank) are what people call a point only when at them.
            let other = e.kind == Kind::Place(PlaceKind::Other);
            if d <= within {
                let rank = if is_corner { d } else { d - 25.0 };
                if at_best.is_none_or(|(r, b, _)| (rank, &e.name) < (r, &b.name)) {
                    at_best = Some((rank, e, d));
                }
            } else if !other && near_best.is_none_or(|(nd, b)| (d, &e.name) < (nd, &b.name)) {
                near_best = Some((d, e));
            }
        }
        if let Some((_, e, d)) = at_best {
            return Some(Named {
                kind: e.kind,
                name: e.name.clone(),
                distance_m: d,
                near: false,
            });
        }
        near_best.map(|(d, e)| Named {
            kind: e.kind,
            name: e.name.clone(),
            distance_m: d,
            near: true,
        })
    }

    /// The corners within `max_m` of `at`, nearest first.
    pub fn corners_near(&self, at: Coord, max_m: f64) -> Vec<Named> {
        let p = planar(at, self.cos_lat0);
        self.tapped
            .nearest_neighbor_iter_with_distance_2(p)
            .take_while(|(_, d2)| *d2 <= max_m * max_m)
            .map(|(pt, d2)| (&self.entries[pt.data as usize], d2.sqrt()))
            .filter(|(e, _)| e.kind == Kind::Corner)
            .map(|(e, d)| Named {
                kind: e.kind,
                name: e.name.clone(),
                distance_m: d,
                near: d > 60.0,
            })
            .collect()
    }

    /// The nearest named place, street or corner within `max_m` (generic places such as a
    /// bank left out), for points farther than [`NEAR_M`] from everything: outskirts.
    pub fn nearest(&self, at: Coord, max_m: f64) -> Option<Named> {
        let p = planar(at, self.cos_lat0);
        self.tapped
            .nearest_neighbor_iter_with_distance_2(p)
            .take_while(|(_, d2)| *d2 <= max_m * max_m)
            .map(|(pt, d2)| (&self.entries[pt.data as usize], d2.sqrt()))
            .find(|(e, _)| e.kind != Kind::Place(PlaceKind::Other))
            .map(|(e, d)| Named {
                kind: e.kind,
                name: e.name.clone(),
                distance_m: d,
                near: true,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search by vocabulary scores every entry exactly as `places::score` does on its
    /// words (the shipped place list, queries with typos, several words, no match).
    #[test]
    fn searching_by_vocabulary_scores_as_the_plain_score() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../feeds/arequipa-places.json");
        let d = Directory::read(&path, 64).unwrap();
        assert!(d.vocabulary.len() < d.entries.len(), "words are shared");
        for q in [
            "mercado san camilo",
            "mercaderes y san juan",
            "hospital goyeneche",
            "univ san agustin",
            "yanawara",
            "avenida ejercito cruz verde",
            "zzqxw",
        ] {
            let qw = words(&fold(q));
            let plain: Vec<(String, f64)> = {
                let mut v: Vec<(String, f64)> = d
                    .entries
                    .iter()
                    .filter_map(|e| {
                        let s = e.names.iter().map(|n| score(&qw, n)).fold(0.0, f64::max);
                        (s > 0.0).then(|| (e.name.clone(), s + e.weight))
                    })
                    .collect();
                v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                v.truncate(10);
                v
            };
            let coded: Vec<(String, f64)> = d
                .search(&qw, 10)
                .into_iter()
                .map(|m| (m.entry.name.clone(), m.score))
                .collect();
            assert_eq!(coded, plain, "{q}");
        }
    }

    const SAMPLE: &str = r#"{
      "_fields": {},
      "pois": [
        ["Plaza de Armas", [], {}, [-71.53697, -16.39883], null, "tourism:attraction"],
        ["Mercado San Camilo", [], {}, [-71.53500, -16.40309], null, "amenity:marketplace"],
        ["San Camilo", [], {}, [-71.53639, -16.40200], null, "public_transport:platform"],
        ["Yanahuara", ["Yanawara"], {}, [-71.54226, -16.38704], null, null],
        ["Banco X", [], {}, [-71.53000, -16.41000], null, "amenity:bank"],
        ["", [], {}, [-71.5, -16.4], null, null],
        ["Sin punto", [], {}, [999, 999], null, null]
      ],
      "streets": {
        "s1": ["Calle Mercaderes", [], [-71.5350, -16.3995], "Cercado"],
        "s2": ["Calle Jerusalén", [], [-71.5360, -16.3980], "Cercado"]
      },
      "streetJunctions": {
        "s1": [["s2", [-71.53550, -16.39950]]],
        "s2": [["s1", [-71.53550, -16.39950]]]
      }
    }"#;

    fn q(s: &str) -> Vec<String> {
        words(&fold(s))
    }

    #[test]
    fn places_streets_and_corners_are_found_with_typos() {
        let d = Directory::parse(SAMPLE).unwrap();
        // Two places (a platform is a stop, not a place), a bank, two streets, one corner.
        assert_eq!(d.len(), 7, "{:?}", d.entries);
        let top = |s: &str| d.search(&q(s), 3).first().map(|m| m.entry.name.clone());
        assert_eq!(top("plaza de armas").as_deref(), Some("Plaza de Armas"));
        assert_eq!(
            top("mercado san camlo").as_deref(),
            Some("Mercado San Camilo")
        );
        assert_eq!(top("yanawara").as_deref(), Some("Yanahuara"));
        assert_eq!(
            top("mercaderes y jerusalen").as_deref(),
            Some("Calle Mercaderes y Calle Jerusalén")
        );
        assert!(d.search(&q("zzzz"), 3).is_empty());
    }

    #[test]
    fn a_tapped_point_is_named_by_its_corner_or_place_or_what_it_is_near() {
        let d = Directory::parse(SAMPLE).unwrap();
        let at = |lat, lon| d.reverse(Coord::new(lat, lon).unwrap());
        let plaza = at(-16.39885, -71.53690).unwrap();
        assert_eq!((plaza.name.as_str(), plaza.near), ("Plaza de Armas", false));
        let corner = at(-16.39960, -71.53552).unwrap();
        assert_eq!(corner.name, "Calle Mercaderes y Calle Jerusalén");
        // 150 m from the market: near it.
        let near = at(-16.40444, -71.53500).unwrap();
        assert!(near.near && near.name == "Mercado San Camilo", "{near:?}");
        // Next to the bank only: nothing a rider would call it.
        assert_eq!(at(-16.41200, -71.53000), None);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(Directory::parse("[]").unwrap_err().contains("object"));
        assert!(Directory::parse("{}").unwrap_err().contains("pois"));
        assert!(Directory::parse("{\"pois\": 3").is_err());
        assert!(
            Directory::parse(r#"{"pois": [3, [1], ["x", [], {}, "no"]]}"#)
                .unwrap()
                .is_empty()
        );
    }
}
