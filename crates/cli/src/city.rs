//! A city as paradero serves it: the timetable of the configured feeds and, when feeds name
//! an OpenStreetMap extract (`osm = "…osm.pbf"`), its streets with the stops snapped and the
//! footpaths between stops measured along them.

use anyhow::Context;
use std::sync::Arc;
use std::time::Instant;

/// What loading gives.
#[derive(Debug)]
pub struct City {
    /// The timetable (footpaths along the streets when there are streets).
    pub timetable: timetable::Timetable,
    /// The streets, if an extract is configured.
    pub streets: Option<streets::Streets>,
    /// The feeds' warnings.
    pub warnings: timetable::Warnings,
    /// Seconds reading the feeds, and the extract.
    pub feeds_s: f64,
    /// Seconds reading the extract and building the streets and footpaths.
    pub streets_s: f64,
}

/// The extracts the configuration names (for the feeds loaded from it).
fn extracts(cfg: &config::Config, specs: &[gtfs::FeedSpec]) -> Vec<std::path::PathBuf> {
    cfg.feeds
        .iter()
        .filter(|f| specs.iter().any(|s| s.id == f.id && s.path == f.path))
        .filter_map(|f| f.osm.clone())
        .collect()
}

/// Loads the feeds and, if configured, the streets.
pub fn load(cfg: &config::Config, specs: &[gtfs::FeedSpec]) -> anyhow::Result<City> {
    let loaded = gtfs::load(specs, &crate::load_config(cfg)).context("loading feeds")?;
    let feeds_s = loaded.elapsed.as_secs_f64();
    let paths = extracts(cfg, specs);
    if paths.is_empty() {
        return Ok(City {
            timetable: loaded.timetable,
            streets: None,
            warnings: loaded.warnings,
            feeds_s,
            streets_s: 0.0,
        });
    }
    let t0 = Instant::now();
    let mut extract = streets::Extract::default();
    for p in &paths {
        let x = streets::read(p, cfg.walking.max_osm_mib)?;
        extract = extract.merge(x);
    }
    let tt = loaded.timetable;
    let coords: Vec<timetable::Coord> = tt.stops().iter().map(|s| s.coord).collect();
    let st = streets::Streets::build(
        &extract,
        &coords,
        streets::StreetsConfig {
            snap_m: cfg.walking.snap_m,
        },
    );
    drop(extract);
    let fc = *tt.footpath_config();
    let walked = st.footpaths(fc.walk_distance(fc.radius_m));
    let tt = tt.with_street_footpaths(&walked);
    let mut warnings = loaded.warnings;
    let unsnapped = st.unsnapped_stops();
    for (stop, _) in tt
        .stops()
        .iter()
        .zip(&st.stops.snaps)
        .filter(|(_, s)| s.is_none())
    {
        warnings.push("stop_off_streets", || {
            format!(
                "stop {} is more than {} m from every walkable street of the extract: it keeps straight-line walks",
                stop.id, cfg.walking.snap_m
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
        warnings,
        feeds_s,
        streets_s: t0.elapsed().as_secs_f64(),
    })
}

/// The dataset the app serves.
pub fn dataset(city: City) -> app::Dataset {
    app::Dataset {
        timetable: Arc::new(city.timetable),
        streets: city.streets.map(Arc::new),
        loaded_at: std::time::SystemTime::now(),
    }
}
