//! Loading a feed into a ready timetable (files read, parsed, patterns laid out, footpaths
//! generated). Peak memory is measured by `paradero feed info` (see the README).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(20);
    for feed in ["arequipa.zip", "trujillo.zip"] {
        g.bench_function(feed, |b| {
            b.iter(|| black_box(paradero_bench::load_feed(feed)))
        });
    }
    g.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
