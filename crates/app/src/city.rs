//! Loading a city as paradero serves it: the timetable of its GTFS feeds and, when an
//! OpenStreetMap extract is given, its streets with the stops snapped and the footpaths
//! between stops measured along them. Used at start-up and by reloads.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Why a city could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CityError {
    /// A feed.
    #[error(transparent)]
    Feed(#[from] gtfs::GtfsError),
    /// An extract.
    #[error(transparent)]
    Streets(#[from] streets::ReadError),
    /// The extracts decode, but hold no street anyone can walk: the wrong file, or one cut
    /// outside the city. Refused at start and on reload (which keeps the streets it had).
    #[error(
        "the OpenStreetMap extract {0} holds no walkable street: is it the right file, cut around the city's area?"
    )]
    NoStreets(String),
    /// A place list.
    #[error(transparent)]
    Places(#[from] streets::directory::DirectoryError),
}

/// How the streets are read and met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreetsLoad {
    /// Stops and points farther than this from every street keep straight lines, metres.
    pub snap_m: f64,
    /// Largest extract read, MiB.
    pub max_osm_mib: u64,
    /// The planner's access radius, metres in a straight line: the walks to every stop up
    /// to this × the detour factor are tabled at load, so a query searches nothing.
    pub access_radius_m: f64,
}

/// What loading gives.
#[derive(Debug)]
pub struct City {
    /// The timetable (footpaths along the streets when there are streets).
    pub timetable: timetable::Timetable,
    /// The streets, if an extract is configured.
    pub streets: Option<streets::Streets>,
    /// The place lists of its feeds (`places = "…"`), if any.
    pub places: Option<streets::Directory>,
    /// The feeds' warnings.
    pub warnings: timetable::Warnings,
    /// Seconds reading the feeds, and the extract.
    pub feeds_s: f64,
    /// Seconds reading the extract and building the streets and footpaths.
    pub streets_s: f64,
}

/// Loads the feeds and, if `extracts` name any, the streets.
pub fn load(
    specs: &[gtfs::FeedSpec],
    cfg: &gtfs::LoadConfig,
    extracts: &[PathBuf],
    how: StreetsLoad,
) -> Result<City, CityError> {
    load_for(specs, cfg, extracts, how, None)
}

/// [`load`], where the extracts cover the feeds named in `on_streets` only (another city's
/// stops, far from these streets, are not warned about).
pub fn load_for(
    specs: &[gtfs::FeedSpec],
    cfg: &gtfs::LoadConfig,
    extracts: &[PathBuf],
    how: StreetsLoad,
    on_streets: Option<&[String]>,
) -> Result<City, CityError> {
    let loaded = gtfs::load(specs, cfg)?;
    let feeds_s = loaded.elapsed.as_secs_f64();
    if extracts.is_empty() {
        return Ok(City {
            timetable: loaded.timetable,
            streets: None,
            places: None,
            warnings: loaded.warnings,
            feeds_s,
            streets_s: 0.0,
        });
    }
    let t0 = Instant::now();
    let mut extract = streets::Extract::default();
    for p in extracts {
        let x = streets::read(p, how.max_osm_mib)?;
        extract = extract.merge(x);
    }
    let tt = loaded.timetable;
    let coords: Vec<timetable::Coord> = tt.stops().iter().map(|s| s.coord).collect();
    let st = streets::Streets::build(
        &extract,
        &coords,
        streets::StreetsConfig { snap_m: how.snap_m },
    );
    drop(extract);
    if st.graph.edges.is_empty() {
        let names: Vec<String> = extracts.iter().map(|p| p.display().to_string()).collect();
        return Err(CityError::NoStreets(names.join(", ")));
    }
    let fc = *tt.footpath_config();
    let st = st.with_access_tables(fc.walk_distance(how.access_radius_m));
    let walked = st.footpaths(fc.walk_distance(fc.radius_m));
    let tt = tt.with_street_footpaths(&walked);
    let mut warnings = loaded.warnings;
    let unsnapped = st.unsnapped_stops();
    let covered = |stop: &timetable::Stop| {
        on_streets.is_none_or(|ids| ids.contains(&tt.feeds()[stop.feed.idx()].id))
    };
    for (stop, _) in tt
        .stops()
        .iter()
        .zip(&st.stops.snaps)
        .filter(|(stop, s)| s.is_none() && covered(stop))
    {
        warnings.push("stop_off_streets", || {
            format!(
                "stop {} is more than {} m from every walkable street of the extract: it keeps straight-line walks",
                stop.id, how.snap_m
            )
        });
    }
    tracing::info!(
        vertices = st.graph.vertices.len(),
        edges = st.graph.edges.len(),
        unsnapped_stops = unsnapped,
        places = st.places.entries.len(),
        build_s = t0.elapsed().as_secs_f64(),
        "streets ready"
    );
    Ok(City {
        timetable: tt,
        streets: Some(st),
        places: None,
        warnings,
        feeds_s,
        streets_s: t0.elapsed().as_secs_f64(),
    })
}

/// Largest place list read, MiB.
pub const MAX_PLACES_MIB: u64 = 256;

/// Arequipa as this repository ships it in `feeds` (`arequipa.zip` and the Arequipa Bus
/// app's place list `arequipa-places.json`, no street extract): the city the tests, the
/// benchmarks and the README's server start from. Returns it with the stops the list named.
pub fn shipped_arequipa(feeds: &std::path::Path) -> Result<(City, usize), CityError> {
    let city = load(
        &[gtfs::FeedSpec {
            id: "arequipa".into(),
            path: feeds.join("arequipa.zip"),
        }],
        &gtfs::LoadConfig::default(),
        &[],
        StreetsLoad {
            snap_m: 0.0,
            max_osm_mib: 0,
            access_radius_m: 0.0,
        },
    )?;
    with_places(city, &[feeds.join("arequipa-places.json")])
}

/// `city` with the place lists at `paths` (several are merged): searched and used to name
/// points, and to name the stops its feeds leave unnamed (empty or `Innominada`) from the
/// corner or place they are at or near (within 250 m), else from the nearest stop within
/// 400 m with a name of its own ("Cerca de …"). Returns how many stops were named.
pub fn with_places(mut city: City, paths: &[PathBuf]) -> Result<(City, usize), CityError> {
    if paths.is_empty() {
        return Ok((city, 0));
    }
    let mut lists = Vec::new();
    for p in paths {
        lists.push(streets::Directory::read(p, MAX_PLACES_MIB)?);
    }
    let dir = streets::Directory::merged(lists);
    let stops = city.timetable.stops();
    // First the corner or place each unnamed stop is at or near: (name, whether only near).
    let placed: Vec<Option<(String, bool)>> = stops
        .iter()
        .map(|s| {
            if !planner::unnamed(&s.name) {
                return None;
            }
            dir.reverse(s.coord).map(|named| (named.name, named.near))
        })
        .collect();
    // Then the stops still unnamed, after the nearest stop within 400 m that has a name of
    // its own or of the corner or place it is at (never one that is itself only "near").
    let own = |i: usize| -> Option<&str> {
        match &placed[i] {
            Some((n, false)) => Some(n.as_str()),
            Some((_, true)) => None,
            None => Some(stops[i].name.as_str()).filter(|n| !planner::unnamed(n)),
        }
    };
    let near = |name: &str| i18n::t(i18n::Lang::Es, "stop.near", &[("name", &name)]);
    let tt = &city.timetable;
    let names: Vec<Option<String>> = (0..stops.len())
        .map(|i| match &placed[i] {
            Some((n, false)) => Some(n.clone()),
            Some((n, true)) => Some(near(n)),
            None if !planner::unnamed(&stops[i].name) => None,
            None => tt
                .stop_index()
                .within(stops[i].coord, 400.0)
                .into_iter()
                .filter_map(|(s, d)| own(s as usize).map(|n| (d, n)))
                .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)))
                .map(|(_, name)| near(name))
                // Outskirts: the nearest place, street or corner within 1.5 km; else the
                // routes that stop there — a rider never reads "Innominada".
                .or_else(|| dir.nearest(stops[i].coord, 1500.0).map(|n| near(&n.name)))
                .or_else(|| {
                    let routes = routes_at(tt, timetable::StopIdx(i as u32));
                    (!routes.is_empty())
                        .then(|| i18n::t(i18n::Lang::Es, "stop.of_routes", &[("routes", &routes)]))
                }),
        })
        .collect();
    let names = told_apart(tt, &dir, names);
    let n = (0..stops.len())
        .filter(|&i| planner::unnamed(&stops[i].name) && names[i].is_some())
        .count();
    city.timetable = city.timetable.with_stop_names(names);
    city.places = Some(dir);
    Ok((city, n))
}

/// The short names of the routes that stop at `s`, sorted, joined with ", ".
fn routes_at(tt: &timetable::Timetable, s: timetable::StopIdx) -> String {
    let mut names: Vec<&str> = tt
        .stop_patterns(s)
        .iter()
        .map(|&(p, _)| tt.route(tt.pattern(p).route).short_name.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// Stops farther apart than this that share a name are told apart (two kerbs of one corner,
/// closer, are one place to a rider).
pub const SAME_PLACE_M: f64 = 60.0;

/// `names` (a new name per stop, or `None` to keep the feed's) with the stops that would share
/// a name told apart: by the corner each is at ("Calle Villalba y Calle Cruz Verde"), then by
/// where its buses go ("Calle Villalba, hacia Avenida Venezuela"). Stops within
/// [`SAME_PLACE_M`] of each other may keep one name.
fn told_apart(
    tt: &timetable::Timetable,
    dir: &streets::Directory,
    mut names: Vec<Option<String>>,
) -> Vec<Option<String>> {
    use std::collections::HashMap;
    let stops = tt.stops();
    let current = |names: &[Option<String>], i: usize| -> String {
        names[i].clone().unwrap_or_else(|| stops[i].name.clone())
    };
    // Terminals keep their name: it is the headsign of the routes that end there (a sign
    // reads "Avenida Venezuela", not "Avenida Venezuela, cerca de …").
    let mut terminal = vec![false; stops.len()];
    for p in 0..tt.patterns().len() {
        if let Some(last) = tt.pattern_stops(timetable::PatternIdx::new(p)).last() {
            terminal[last.idx()] = true;
        }
    }
    // Groups of stops sharing a name, with some pair farther apart than one place.
    let groups = |names: &[Option<String>]| -> Vec<Vec<usize>> {
        let mut by: HashMap<String, Vec<usize>> = HashMap::new();
        for i in (0..stops.len()).filter(|&i| !terminal[i]) {
            let n = current(names, i);
            if !planner::unnamed(&n) {
                by.entry(n).or_default().push(i);
            }
        }
        let mut out: Vec<Vec<usize>> = by
            .into_values()
            .filter(|g| {
                g.iter().any(|&a| {
                    g.iter()
                        .any(|&b| stops[a].coord.distance_m(stops[b].coord) > SAME_PLACE_M)
                })
            })
            .collect();
        out.sort();
        out
    };
    // First the cross street: the corner each is at ("Calle Villalba y Calle Cruz Verde"),
    // else the nearest corner of its street within 250 m ("Avenida Ejército, cerca de Calle
    // Cruz Verde").
    let original: Vec<String> = (0..stops.len()).map(|i| current(&names, i)).collect();
    for g in groups(&names) {
        for i in g {
            let own = &original[i];
            let folded = planner::fold(own);
            let corners = dir.corners_near(stops[i].coord, streets::directory::NEAR_M);
            let on_street = corners
                .iter()
                .find(|c| planner::fold(&c.name).contains(&folded))
                .or(corners.first());
            let Some(c) = on_street else {
                // No corner near (a highway in the outskirts): the nearest place within 1 km.
                if let Some(p) = dir.nearest(stops[i].coord, 1000.0).filter(|p| {
                    let f = planner::fold(&p.name);
                    !f.contains(&folded) && !folded.contains(&f)
                }) {
                    names[i] = Some(i18n::t(
                        i18n::Lang::Es,
                        "stop.near_cross",
                        &[("name", own), ("cross", &p.name)],
                    ));
                }
                continue;
            };
            names[i] = Some(if !c.near {
                c.name.clone()
            } else {
                // The other street of the corner, when the stop is on one of its two.
                let cross = c
                    .name
                    .split(" y ")
                    .find(|part| {
                        !planner::fold(part).contains(&folded)
                            && !folded.contains(&planner::fold(part))
                    })
                    .unwrap_or(&c.name);
                i18n::t(
                    i18n::Lang::Es,
                    "stop.near_cross",
                    &[("name", own), ("cross", &cross)],
                )
            });
        }
    }
    let near_prefix = i18n::t(i18n::Lang::Es, "stop.near", &[("name", &"")]);
    // Then where the buses go, for those still sharing a name (by the feed's names of the
    // last stops, so that no name is built on another built one).
    for g in groups(&names) {
        for i in g {
            let own = current(&names, i);
            let towards = tt
                .stop_patterns(timetable::StopIdx(i as u32))
                .iter()
                .filter_map(|&(p, pos)| {
                    let ps = tt.pattern_stops(p);
                    (pos as usize + 1 < ps.len()).then(|| ps[ps.len() - 1])
                })
                .map(|last| original[last.idx()].clone())
                .filter(|n| !planner::unnamed(n) && *n != own)
                // A destination riders know by its own name, not one that is only "near".
                .min_by_key(|n| n.starts_with(&near_prefix));
            if let Some(to) = towards {
                names[i] = Some(i18n::t(
                    i18n::Lang::Es,
                    "stop.towards",
                    &[("name", &own), ("towards", &to)],
                ));
            }
        }
    }
    names
}

/// The dataset the app serves.
pub fn dataset(city: City) -> crate::Dataset {
    crate::Dataset {
        timetable: Arc::new(city.timetable),
        streets: city.streets.map(Arc::new),
        places: city.places.map(Arc::new),
        loaded_at: std::time::SystemTime::now(),
    }
}
