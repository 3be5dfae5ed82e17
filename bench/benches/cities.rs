//! Two cities on one server, as `config/paradero.toml` ships them: Arequipa (feed and place
//! list) and Trujillo (feed and its OpenStreetMap extract), with a third synthetic city of
//! about 20,000 stops beside them.
//!
//! 1. Loading both cities as `paradero serve` does (feeds, Trujillo's streets and street
//!    footpaths, Arequipa's place list): median of 5, and the process's peak RSS.
//! 2. The same with the synthetic city added (its stops laid out far from both).
//! 3. Plans in Trujillo between coordinates (1,000), straight-line walks against walks on its
//!    streets, each query both ways in turn: medians and their ratio (the budget: 1.2×).
//!
//! Run: `cargo bench -p paradero-bench --bench cities` (`-- quick` for fewer queries). The
//! start-up of the real binary is `bash bench/load/cities.sh`.

use paradero_bench::*;
use std::path::PathBuf;
use std::time::Instant;

fn specs(ids: &[&str]) -> Vec<gtfs::FeedSpec> {
    ids.iter()
        .map(|id| gtfs::FeedSpec {
            id: id.to_string(),
            path: feeds_dir().join(format!("{id}.zip")),
        })
        .collect()
}

fn how() -> app::city::StreetsLoad {
    app::city::StreetsLoad {
        snap_m: 100.0,
        max_osm_mib: 2048,
        access_radius_m: planner::PlannerConfig::default().access_radius_m,
    }
}

fn load_both(extra: Option<&std::path::Path>) -> (app::city::City, f64) {
    let t0 = Instant::now();
    let mut s = specs(&["arequipa", "trujillo"]);
    if let Some(p) = extra {
        s.push(gtfs::FeedSpec {
            id: "synthetic".into(),
            path: p.to_path_buf(),
        });
    }
    let city = app::city::load(
        &s,
        &gtfs::LoadConfig::default(),
        &[feeds_dir().join("trujillo.osm.pbf")],
        how(),
    )
    .expect("both cities load");
    let (city, _) =
        app::city::with_places(city, &[feeds_dir().join("arequipa-places.json")]).expect("places");
    (city, t0.elapsed().as_secs_f64())
}

/// A GTFS folder of a synthetic city of about 20,000 stops (a grid of lines, every 10
/// minutes), far from Peru's cities.
fn synthetic_feed(dir: &std::path::Path) -> PathBuf {
    use std::fmt::Write;
    let g = 100; // 100 × 100 grid × 2 kerbs = 20,000 stops
    let (mut stops, mut times, mut trips, mut freq) =
        (String::new(), String::new(), String::new(), String::new());
    stops.push_str("stop_id,stop_name,stop_lat,stop_lon\n");
    for i in 0..g {
        for j in 0..g {
            for k in 0..2 {
                let _ = writeln!(
                    stops,
                    "s{i}_{j}_{k},S {i} {j},{:.6},{:.6}",
                    -30.0 - i as f64 * 0.003 - k as f64 * 0.0002,
                    -60.0 + j as f64 * 0.003
                );
            }
        }
    }
    let mut routes = String::from("route_id,route_short_name,route_type\n");
    trips.push_str("route_id,service_id,trip_id\n");
    times.push_str("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n");
    freq.push_str("trip_id,start_time,end_time,headway_secs,exact_times\n");
    for line in 0..2 * g {
        let _ = writeln!(routes, "r{line},{line},3");
        let _ = writeln!(trips, "r{line},all,t{line}");
        let _ = writeln!(freq, "t{line},05:00:00,22:00:00,600,1");
        for n in 0..g {
            let (i, j) = if line < g { (line, n) } else { (n, line - g) };
            let t = n * 60;
            let hms = format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
            let _ = writeln!(times, "t{line},{hms},{hms},s{i}_{j}_{},{n}", line % 2);
        }
    }
    let files = [
        ("agency.txt", "agency_name,agency_url,agency_timezone\nS,https://x,America/Lima\n".to_string()),
        ("calendar.txt", "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nall,1,1,1,1,1,1,1,20260101,20271231\n".to_string()),
        ("stops.txt", stops),
        ("routes.txt", routes),
        ("trips.txt", trips),
        ("stop_times.txt", times),
        ("frequencies.txt", freq),
    ];
    for (name, body) in files {
        std::fs::write(dir.join(name), body).expect("write");
    }
    dir.to_path_buf()
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let n = if quick { 200 } else { 1000 };

    // 1. Both cities.
    let before = rss("VmRSS:");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let (city, s) = load_both(None);
        times.push(s);
        last = Some(city);
    }
    let peak = rss("VmHWM:");
    times.sort_by(f64::total_cmp);
    let city = last.expect("loaded");
    println!(
        "1. Arequipa + Trujillo + Trujillo's streets + Arequipa's places: {} stops, median load {:.2} s (runs {:.2?}); peak RSS {peak:.0} MB (before {before:.0} MB)",
        city.timetable.stops().len(),
        times[2],
        times
    );
    drop(city);

    // 2. With a third, synthetic city of 20,000 stops.
    let dir = tempfile::tempdir().expect("tmp");
    let feed = synthetic_feed(dir.path());
    let mut times = Vec::new();
    let mut stops = 0;
    for _ in 0..3 {
        let (city, s) = load_both(Some(&feed));
        times.push(s);
        stops = city.timetable.stops().len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "2. the same with a synthetic third city: {stops} stops, median load {:.2} s (runs {:.2?}); peak RSS {:.0} MB",
        times[1],
        times,
        rss("VmHWM:")
    );

    // 3. Plans in Trujillo: straight lines against its streets.
    let straight = app::city::load(
        &specs(&["trujillo"]),
        &gtfs::LoadConfig::default(),
        &[],
        how(),
    )
    .expect("Trujillo")
    .timetable;
    let trujillo = app::city::load(
        &specs(&["trujillo"]),
        &gtfs::LoadConfig::default(),
        &[feeds_dir().join("trujillo.osm.pbf")],
        how(),
    )
    .expect("Trujillo");
    let st = trujillo.streets.as_ref().expect("streets");
    let tt = &trujillo.timetable;
    let cfg = planner::PlannerConfig::default();
    let mut rng = Rng(0x7121);
    let day = timetable::Day::parse("20261123").expect("day");
    let reqs: Vec<planner::PlanRequest> = (0..n)
        .map(|_| planner::PlanRequest {
            from: planner::Endpoint::Coord(point_near_a_stop(&straight, &mut rng)),
            to: planner::Endpoint::Coord(point_near_a_stop(&straight, &mut rng)),
            day,
            time: 7 * 3600 + rng.below(2 * 3600) as u32,
            arrive_by: false,
            window_secs: None,
            options: raptor::Options::default(),
            lang: i18n::Lang::Es,
            safer: false,
        })
        .collect();
    let mut sc_straight = raptor::Scratch::new(&straight);
    let mut sc_streets = raptor::Scratch::new(tt);
    let mut scratch = planner::StreetScratch::new(st);
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ia, mut ib) = (0, 0);
    for (i, r) in reqs.iter().enumerate() {
        let mut a = || {
            let s = Instant::now();
            ia += planner::plan_on(&straight, None, &mut sc_straight, &cfg, r)
                .map_or(0, |p| p.itineraries.len());
            s.elapsed().as_secs_f64() * 1e3
        };
        let mut b = || {
            let s = Instant::now();
            let on = Some(planner::OnStreets {
                streets: st,
                scratch: &mut scratch,
            });
            ib += planner::plan_on(tt, on, &mut sc_streets, &cfg, r)
                .map_or(0, |p| p.itineraries.len());
            s.elapsed().as_secs_f64() * 1e3
        };
        let (x, y) = if i % 2 == 0 {
            let x = a();
            (x, b())
        } else {
            let y = b();
            (a(), y)
        };
        ta.push(x);
        tb.push(y);
        ratios.push(y / x);
    }
    let (am, ap) = median_p99(&mut ta);
    let (bm, bp) = median_p99(&mut tb);
    let (rm, _) = median_p99(&mut ratios);
    println!("3. Trujillo, {n} plans between coordinates, 07:00–09:00 (each both ways in turn):");
    println!("   straight-line walks     median {am:.3} ms  p99 {ap:.3} ms  ({ia} itineraries)");
    println!("   walks on its streets    median {bm:.3} ms  p99 {bp:.3} ms  ({ib} itineraries)");
    println!(
        "   ratio of the medians {:.2} (budget 1.2); median of the per-query ratios {rm:.2}",
        bm / am
    );
}
