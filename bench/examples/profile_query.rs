//! Runs many Arequipa queries in a loop, for profilers (`valgrind --tool=callgrind`, perf).
//! `cargo run --release -p paradero-bench --example profile_query -- [n] [range]`

use paradero_bench::{load_feed, random_coordinate_queries};
use raptor::{Options, Request, Scratch};
use timetable::Day;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let range = args.next().is_some_and(|a| a == "range");
    let tt = load_feed("arequipa.zip");
    let qs = random_coordinate_queries(&tt, n, 0xA2E9);
    let day = Day::parse("20261123").expect("date");
    let opts = Options::default();
    let built = std::time::Instant::now();
    let mut sc = Scratch::new(&tt);
    let scratch_ms = built.elapsed().as_secs_f64() * 1e3;
    let mut total = 0;
    let started = std::time::Instant::now();
    for q in &qs {
        let r = Request {
            day,
            time: q.time,
            arrive_by: false,
            access: &q.access,
            egress: &q.egress,
        };
        total += if range {
            raptor::range(&tt, &mut sc, &r, 3600, &opts).len()
        } else {
            raptor::search(&tt, &mut sc, &r, &opts).len()
        };
    }
    println!(
        "{total} journeys, {} stops, scratch {scratch_ms:.1} ms, queries {:.1} ms",
        tt.stops().len(),
        started.elapsed().as_secs_f64() * 1e3
    );
}
