//! Plans on Arequipa with and without 500 live buses, in a loop, for profilers.
//! `cargo run --release -p paradero-bench --example profile_live -- [rounds]`
use std::hint::black_box;
fn main() {
    let paradero_bench::LivePlans {
        tt,
        day,
        live,
        queries,
    } = paradero_bench::arequipa_with_live_buses();
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
