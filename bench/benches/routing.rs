//! Criterion benches of routing on the Arequipa feed: random coordinate origin/destination
//! pairs, departures 06:00–20:00. Medians here; percentiles in `cargo bench --bench report`.

use criterion::{Criterion, criterion_group, criterion_main};
use paradero_bench::{load_feed, random_coordinate_queries};
use raptor::{Options, Request, Scratch};
use std::hint::black_box;
use timetable::Day;

fn routing(c: &mut Criterion) {
    let tt = load_feed("arequipa.zip");
    let queries = random_coordinate_queries(&tt, 500, 0xA2E9_u64);
    let day = Day::parse("20261123").expect("date");
    let opts = Options::default();
    let mut sc = Scratch::new(&tt);
    let mut g = c.benchmark_group("arequipa");
    let mut i = 0;
    g.bench_function("pareto_query", |b| {
        b.iter(|| {
            let q = &queries[i % queries.len()];
            i += 1;
            let req = Request {
                day,
                time: q.time,
                arrive_by: false,
                access: &q.access,
                egress: &q.egress,
            };
            black_box(raptor::search(&tt, &mut sc, &req, &opts))
        })
    });
    g.bench_function("arrive_by_query", |b| {
        b.iter(|| {
            let q = &queries[i % queries.len()];
            i += 1;
            let req = Request {
                day,
                time: q.time + 3600,
                arrive_by: true,
                access: &q.access,
                egress: &q.egress,
            };
            black_box(raptor::search(&tt, &mut sc, &req, &opts))
        })
    });
    g.sample_size(30);
    g.bench_function("range_query_60min", |b| {
        b.iter(|| {
            let q = &queries[i % queries.len()];
            i += 1;
            let req = Request {
                day,
                time: q.time,
                arrive_by: false,
                access: &q.access,
                egress: &q.egress,
            };
            black_box(raptor::range(&tt, &mut sc, &req, 3600, &opts))
        })
    });
    g.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
