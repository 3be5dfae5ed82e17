//! Walking on streets at the size of a city of about a million people: a synthetic street
//! grid of 550 × 550 crossings 30 m apart (302,500 vertices, 16.5 km a side) under the bench's
//! synthetic transit city of 55 × 55 stop pairs 300 m apart (6,050 stops), the two covering
//! the same ground.
//!
//! 1. Extract to ready graph, snapped stops and street footpaths (median of 3), and the
//!    memory it takes (peak RSS over the process before it).
//! 2. Access/egress for a coordinate: the stops within 520 m along the streets (2,000 points).
//! 3. Plans between coordinates (2,000), straight-line walks against street walks on the same
//!    transit network: medians and their ratio.
//! 4. Street tiles at city zoom (12–14) over the grid and over São Paulo, gzipped: median and
//!    largest, in paradero's JSON and as Mapbox Vector Tiles (the `mvt` crate) for comparison.
//! 5. Reading the shipped São Paulo extract (a real .osm.pbf): time and throughput.
//!
//! Run: `cargo bench -p paradero-bench --bench streets` (`-- quick` for fewer queries).

use paradero_bench::*;
use std::io::Write;
use std::time::Instant;
use timetable::Coord;

/// Gzipped size, KB.
fn gz_kb(bytes: &[u8]) -> f64 {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip").len() as f64 / 1024.0
}

/// A tile as a Mapbox Vector Tile (the `mvt` crate): layers `roads` (class, name) and
/// `areas` (kind), the same integer units as paradero's JSON.
fn as_mvt(t: &app::map::MapTile) -> Vec<u8> {
    let extent = u32::try_from(t.extent).expect("extent");
    let mut tile = mvt::Tile::new(extent);
    let mut roads = tile.create_layer("roads");
    for l in &t.lines {
        let mut g = mvt::GeomEncoder::<f64>::new(mvt::GeomType::Linestring);
        for p in l.points.chunks_exact(2) {
            g.add_point(f64::from(p[0]), f64::from(p[1]))
                .expect("point");
        }
        let Ok(data) = g.encode() else { continue };
        let mut f = roads.into_feature(data);
        f.add_tag_string("class", l.class);
        if let Some(n) = &l.name {
            f.add_tag_string("name", n);
        }
        roads = f.into_layer();
    }
    tile.add_layer(roads).expect("layer");
    let mut areas = tile.create_layer("areas");
    for a in &t.areas {
        let mut pts: Vec<[i32; 2]> = a.ring.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
        if pts.len() > 1 && pts.first() == pts.last() {
            pts.pop();
        }
        let mut g = mvt::GeomEncoder::<f64>::new(mvt::GeomType::Polygon);
        for p in &pts {
            g.add_point(f64::from(p[0]), f64::from(p[1]))
                .expect("point");
        }
        let Ok(data) = g.encode() else { continue };
        let mut f = areas.into_feature(data);
        f.add_tag_string("kind", a.kind);
        areas = f.into_layer();
    }
    tile.add_layer(areas).expect("layer");
    tile.to_bytes().expect("mvt")
}

/// Every tile at zoom `z` over `(west, south, east, north)`: gzipped sizes of the JSON and of
/// the MVT, KB, and the milliseconds to cut one.
fn tile_sizes(
    st: &streets::Streets,
    z: u8,
    (w, s, e, n): (f64, f64, f64, f64),
) -> (Vec<f64>, Vec<f64>, f64) {
    let tile_of = |lon: f64, lat: f64| {
        let k = f64::from(1u32 << z);
        let r = lat.to_radians();
        (
            ((lon + 180.0) / 360.0 * k) as u32,
            ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * k) as u32,
        )
    };
    let ((x0, y0), (x1, y1)) = (tile_of(w, n), tile_of(e, s));
    let (mut json, mut mvt) = (Vec::new(), Vec::new());
    let mut cut = 0.0;
    for x in x0..=x1 {
        for y in y0..=y1 {
            let t0 = Instant::now();
            let tile = app::map::tile(st, z, x, y).expect("tile");
            cut += ms(t0.elapsed());
            json.push(gz_kb(&serde_json::to_vec(&tile).expect("json")));
            mvt.push(gz_kb(&as_mvt(&tile)));
        }
    }
    let cut_ms = cut / json.len().max(1) as f64;
    (json, mvt, cut_ms)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let n = if quick { 300 } else { 2000 };
    let city = street_city();
    let (tt, extract, lat_top, lat0) = (&city.tt, &city.extract, city.lat_top, city.lat0);
    let coords: Vec<Coord> = tt.stops().iter().map(|s| s.coord).collect();
    println!(
        "Synthetic city: {} stops; street grid of {} nodes, {} ways",
        tt.stops().len(),
        extract.nodes.len(),
        extract.ways.len()
    );

    // 1. Extract to ready graph and footpaths.
    let before = rss("VmRSS:");
    let mut times = Vec::new();
    let mut built = None;
    let mut peak = 0.0;
    for run in 0..3 {
        let t0 = Instant::now();
        let fc = *tt.footpath_config();
        let st = streets::Streets::build(extract, &coords, streets::StreetsConfig::default())
            .with_access_tables(
                fc.walk_distance(planner::PlannerConfig::default().access_radius_m),
            );
        let walked = st.footpaths(fc.walk_distance(fc.radius_m));
        let with = tt.clone().with_street_footpaths(&walked);
        times.push(t0.elapsed().as_secs_f64());
        if run == 0 {
            // One build's memory: the peak while the first (and only) one is made.
            peak = rss("VmHWM:") - before;
        }
        built = Some((st, with));
    }
    times.sort_by(f64::total_cmp);
    let (st, tt_streets) = built.expect("built");
    println!(
        "1. extract → graph ({} vertices, {} edges), snapped stops ({} off the streets), tables of walks to stops ({} entries, {:.0} MB), street footpaths ({}): median {:.2} s (runs {:.2?}); peak RSS of the first build {:.0} MB over the {:.0} MB before",
        st.graph.vertices.len(),
        st.graph.edges.len(),
        st.unsnapped_stops(),
        st.tables.iter().map(|t| t.len()).sum::<usize>(),
        st.tables.iter().map(|t| t.heap_bytes()).sum::<usize>() as f64 / 1e6,
        tt_streets.n_footpaths(),
        times[1],
        times,
        peak,
        before,
    );

    // 2. Access/egress for a coordinate.
    let mut rng = Rng(0xACCE55);
    let mut search = streets::Search::new(&st.graph);
    let mut t = Vec::new();
    let mut found = 0usize;
    for _ in 0..n {
        let p = city.point(&mut rng);
        let s = Instant::now();
        let near = st.stops_near(&mut search, p, 520.0, false);
        t.push(ms(s.elapsed()));
        found += near.map_or(0, |v| v.len());
    }
    let (med, p99) = median_p99(&mut t);
    println!(
        "2. access/egress from a coordinate (stops within 520 m along the streets): median {med:.3} ms, p99 {p99:.3} ms ({:.1} stops each)",
        found as f64 / n as f64
    );

    // 3. Plans between coordinates: straight lines against streets.
    let cfg = planner::PlannerConfig::default();
    let reqs = city.plans(n, 0x91A4);
    // Each query is planned both ways, one right after the other (the order alternating), so
    // that the machine's drift falls on both alike.
    let mut sc_straight = raptor::Scratch::new(tt);
    let mut sc_streets = raptor::Scratch::new(&tt_streets);
    let mut scratch = planner::StreetScratch::new(&st);
    let (mut t_straight, mut t_streets, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut its_straight, mut its_streets) = (0, 0);
    for (i, r) in reqs.iter().enumerate() {
        let mut straight = || {
            let s = Instant::now();
            its_straight += planner::plan_on(tt, None, &mut sc_straight, &cfg, r)
                .map_or(0, |p| p.itineraries.len());
            ms(s.elapsed())
        };
        let mut street = || {
            let s = Instant::now();
            let on = Some(planner::OnStreets {
                streets: &st,
                scratch: &mut scratch,
            });
            its_streets += planner::plan_on(&tt_streets, on, &mut sc_streets, &cfg, r)
                .map_or(0, |p| p.itineraries.len());
            ms(s.elapsed())
        };
        let (a, b) = if i % 2 == 0 {
            let a = straight();
            (a, street())
        } else {
            let b = street();
            (straight(), b)
        };
        t_straight.push(a);
        t_streets.push(b);
        ratios.push(b / a);
    }
    println!(
        "3. planner::plan between coordinates, {n} queries, 07:00–09:00 (each planned both ways in turn):"
    );
    let (sm, sp) = median_p99(&mut t_straight);
    println!(
        "   {:<48} median {sm:>7.3} ms   p99 {sp:>7.3} ms   ({its_straight} itineraries)",
        "straight-line walks (without an extract)"
    );
    let (tm, tp) = median_p99(&mut t_streets);
    println!(
        "   {:<48} median {tm:>7.3} ms   p99 {tp:>7.3} ms   ({its_streets} itineraries)",
        "walks on the streets (footpaths, access, legs)"
    );
    let (rm, _) = median_p99(&mut ratios);
    println!(
        "   ratio of the medians {:.2}; median of the per-query ratios {rm:.2}",
        tm / sm
    );

    // 4. Tiles at city zoom, in paradero's JSON and as Mapbox Vector Tiles, both gzipped.
    let report = |label: &str, st: &streets::Streets, z: u8, bounds: (f64, f64, f64, f64)| {
        let (mut json, mut mvt, cut_ms) = tile_sizes(st, z, bounds);
        let n = json.len();
        let jmax = json.iter().copied().fold(0.0, f64::max);
        let mmax = mvt.iter().copied().fold(0.0, f64::max);
        let (jmed, _) = median_p99(&mut json);
        let (mmed, _) = median_p99(&mut mvt);
        println!(
            "{label} zoom {z}: {n} tiles; JSON gzipped median {jmed:.2} KB, largest {jmax:.1} KB; MVT gzipped median {mmed:.2} KB, largest {mmax:.1} KB (MVT ÷ JSON of the largest {:.2}); {cut_ms:.1} ms to cut one",
            mmax / jmax
        );
    };
    for z in [12u8, 13, 14] {
        report(
            "4. synthetic tiles at",
            &st,
            z,
            (-71.6, lat0, -71.45, lat_top),
        );
    }

    // 4b. Tiles of a real city's streets: central São Paulo.
    let sp = streets::Streets::build(
        &streets::read(&feeds_dir().join("sao-paulo.osm.pbf"), 64).expect("extract"),
        &[],
        streets::StreetsConfig::default(),
    );
    if let Some(bounds) = sp.map.bounds() {
        for z in [12u8, 13, 14, 16] {
            report("4b. São Paulo tiles at", &sp, z, bounds);
        }
    }

    // 5. Reading a real extract.
    let path = feeds_dir().join("sao-paulo.osm.pbf");
    let mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);
    let mut t = Vec::new();
    let mut nodes = 0;
    for _ in 0..5 {
        let s = Instant::now();
        let x = streets::read(&path, 64).expect("the shipped extract reads");
        t.push(ms(s.elapsed()));
        nodes = x.nodes.len();
    }
    let (med, _) = median_p99(&mut t);
    println!(
        "5. reading sao-paulo.osm.pbf ({mb:.2} MB, {nodes} nodes): median {med:.1} ms, {:.0} MB/s, {:.1} M nodes/s",
        mb / (med / 1e3),
        nodes as f64 / (med / 1e3) / 1e6
    );
}
