//! Plans on Arequipa with and without 500 live buses, in a loop, for profilers.
//! `cargo run --release -p paradero-bench --example profile_live -- [rounds] [live|plain]`
use std::hint::black_box;
use timetable::Day;
fn main() {
    use paradero_bench::{load_feed, random_coordinate_queries};
    use realtime::fleet::{Fleet, Lines, Ping, Simulation};
    let tt = load_feed("arequipa.zip");
    let day = Day::parse("20261123").unwrap();
    let t0 = realtime::service_day_start("America/Lima".parse().unwrap(), day) + 8 * 3600;
    let lines = Lines::new(&tt);
    let on: Vec<u32> = lines.iter().map(|(i, _)| i).collect();
    let mut sim = Simulation::new(&lines, &on, 500, 20.0, 5);
    let mut fleet = Fleet::default();
    for k in 0..2 {
        for p in sim.step(&lines, 5.0) {
            let _ = fleet.observe(
                &lines,
                &Ping {
                    vehicle: p.vehicle,
                    routes: vec![p.route],
                    direction: None,
                    coord: p.coord,
                    at: t0 + 5 * k,
                    speed_mps: Some(p.speed_kmh / 3.6),
                    heading: Some(p.heading),
                },
                t0 + 5,
                120,
            );
        }
    }
    let (vehicles, overlay) = fleet.live(&tt, &lines, t0 + 5, 120);
    eprintln!("{} live buses, {} live runs", vehicles.len(), overlay.len());
    let live = raptor::LiveView {
        live: std::sync::Arc::new(realtime::Live::default().with_source(
            "operators",
            std::sync::Arc::new(overlay),
            std::sync::Arc::new(vehicles),
            t0 + 5,
            120,
        )),
        now: t0 + 5,
    };
    let mut queries = random_coordinate_queries(&tt, 500, 0x11FE);
    for (i, q) in queries.iter_mut().enumerate() {
        q.time = 8 * 3600 + (i as i32 * 37) % 1800;
    }
    let mut sc = raptor::Scratch::new(&tt);
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let plain = raptor::Options::default();
    let with = raptor::Options {
        live: Some(live.clone()),
        ..raptor::Options::default()
    };
    // Rounds of all queries, alternating without and with: the ratio of each pair, so that
    // the machine's drift cancels.
    let mut round = |opts: &raptor::Options| {
        let started = std::time::Instant::now();
        for q in &queries {
            let req = raptor::Request {
                day,
                time: q.time,
                arrive_by: false,
                access: &q.access,
                egress: &q.egress,
            };
            black_box(raptor::search(&tt, &mut sc, &req, opts));
        }
        started.elapsed().as_secs_f64() * 1e6 / queries.len() as f64
    };
    let mut pairs: Vec<(f64, f64)> = (0..rounds).map(|_| (round(&plain), round(&with))).collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio = median(pairs.iter().map(|(a, b)| b / a).collect());
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "without: {:.1} µs, with 500 live buses: {:.1} µs a query (medians of {rounds} rounds); \
         median ratio of the pairs {ratio:.3}",
        median(pairs.iter().map(|p| p.0).collect()),
        median(pairs.iter().map(|p| p.1).collect()),
    );
}
