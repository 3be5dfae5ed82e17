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
//! 4. Street tiles at city zoom (12–14) over the grid, gzipped: median and largest.
//! 5. Reading the shipped São Paulo extract (a real .osm.pbf): time and throughput.
//!
//! Run: `cargo bench -p paradero-bench --bench streets` (`-- quick` for fewer queries).

use paradero_bench::*;
use std::io::Write;
use std::time::Instant;
use timetable::Coord;

fn rss(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let n = if quick { 300 } else { 2000 };
    let g = 55;
    let tt = synthetic_city(g, 0xC17E);
    let lat_top = -16.3;
    let lat0 = lat_top - 16.5 / 111.195;
    let extract = streets::synthetic::grid(550, 550, 30.0, lat0 - 0.001, -71.6 - 0.001);
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
        let st = streets::Streets::build(&extract, &coords, streets::StreetsConfig::default());
        let fc = *tt.footpath_config();
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
        "1. extract → graph ({} vertices, {} edges), snapped stops ({} off the streets), street footpaths ({}): median {:.2} s (runs {:.2?}); peak RSS of the first build {:.0} MB over the {:.0} MB before",
        st.graph.vertices.len(),
        st.graph.edges.len(),
        st.unsnapped_stops(),
        tt_streets.n_footpaths(),
        times[1],
        times,
        peak,
        before,
    );

    // 2. Access/egress for a coordinate.
    let mut rng = Rng(0xACCE55);
    let point = |rng: &mut Rng| {
        Coord::new(
            lat_top - 0.01 - rng.unit() * 0.13,
            -71.6 + 0.01 + rng.unit() * 0.13,
        )
        .expect("point")
    };
    let mut search = streets::Search::new(&st.graph);
    let mut t = Vec::new();
    let mut found = 0usize;
    for _ in 0..n {
        let p = point(&mut rng);
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
    let mut rng = Rng(0x91A4);
    let reqs: Vec<planner::PlanRequest> = (0..n)
        .map(|_| planner::PlanRequest {
            from: planner::Endpoint::Coord(point(&mut rng)),
            to: planner::Endpoint::Coord(point(&mut rng)),
            day: timetable::Day::parse("20261123").expect("day"),
            time: 7 * 3600 + rng.below(7200) as u32,
            arrive_by: false,
            window_secs: None,
            options: raptor::Options::default(),
            lang: i18n::Lang::Es,
            safer: false,
        })
        .collect();
    let run = |label: &str, tt: &timetable::Timetable, streets: bool| {
        let mut sc = raptor::Scratch::new(tt);
        let mut scratch = planner::StreetScratch::new(&st);
        let mut t = Vec::with_capacity(reqs.len());
        let mut its = 0;
        for r in &reqs {
            let s = Instant::now();
            let on = streets.then_some(planner::OnStreets {
                streets: &st,
                scratch: &mut scratch,
            });
            its += planner::plan_on(tt, on, &mut sc, &cfg, r).map_or(0, |p| p.itineraries.len());
            t.push(ms(s.elapsed()));
        }
        let (med, p99) = median_p99(&mut t);
        println!("   {label:<44} median {med:>7.3} ms   p99 {p99:>7.3} ms   ({its} itineraries)");
        med
    };
    println!("3. planner::plan between coordinates, {n} queries, 07:00–09:00:");
    let straight = run("straight-line walks (today)", &tt, false);
    let street = run(
        "walks on the streets (footpaths, access, legs)",
        &tt_streets,
        true,
    );
    println!("   ratio {:.2}", street / straight);

    // 4. Tiles at city zoom.
    for z in [12u8, 13, 14] {
        let (w, s, e, nn) = (-71.6, lat0, -71.45, lat_top);
        let tile_of = |lon: f64, lat: f64| {
            let k = f64::from(1u32 << z);
            let r = lat.to_radians();
            (
                ((lon + 180.0) / 360.0 * k) as u32,
                ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * k) as u32,
            )
        };
        let (x0, y0) = tile_of(w, nn);
        let (x1, y1) = tile_of(e, s);
        let mut sizes = Vec::new();
        let t0 = Instant::now();
        for x in x0..=x1 {
            for y in y0..=y1 {
                let tile = app::map::tile(&st, z, x, y).expect("tile");
                let json = serde_json::to_vec(&tile).expect("json");
                let mut gz =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                gz.write_all(&json).expect("gzip");
                sizes.push(gz.finish().expect("gzip").len() as f64 / 1024.0);
            }
        }
        let cut_ms = ms(t0.elapsed()) / sizes.len() as f64;
        let (med, _) = median_p99(&mut sizes);
        let max = sizes.iter().copied().fold(0.0, f64::max);
        println!(
            "4. tiles at zoom {z}: {} tiles, gzipped median {med:.1} KB, largest {max:.1} KB; {cut_ms:.1} ms to cut one",
            sizes.len()
        );
    }

    // 4b. Tiles of a real city's streets: central São Paulo.
    let sp = streets::Streets::build(
        &streets::read(&feeds_dir().join("sao-paulo.osm.pbf"), 64).expect("extract"),
        &[],
        streets::StreetsConfig::default(),
    );
    if let Some((w, s, e, nn)) = sp.map.bounds() {
        for z in [12u8, 13, 14, 16] {
            let tile_of = |lon: f64, lat: f64| {
                let k = f64::from(1u32 << z);
                let r = lat.to_radians();
                (
                    ((lon + 180.0) / 360.0 * k) as u32,
                    ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * k)
                        as u32,
                )
            };
            let ((x0, y0), (x1, y1)) = (tile_of(w, nn), tile_of(e, s));
            let mut sizes = Vec::new();
            for x in x0..=x1 {
                for y in y0..=y1 {
                    let tile = app::map::tile(&sp, z, x, y).expect("tile");
                    let json = serde_json::to_vec(&tile).expect("json");
                    let mut gz =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    gz.write_all(&json).expect("gzip");
                    sizes.push(gz.finish().expect("gzip").len() as f64 / 1024.0);
                }
            }
            let max = sizes.iter().copied().fold(0.0, f64::max);
            let (med, _) = median_p99(&mut sizes);
            println!(
                "4b. São Paulo tiles at zoom {z}: {} tiles, gzipped median {med:.1} KB, largest {max:.1} KB",
                sizes.len()
            );
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
