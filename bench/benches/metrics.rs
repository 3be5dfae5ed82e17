//! What recording one request in the HTTP metrics costs: one thread, and two threads
//! recording at once (the server's two cores), plus rendering `/metrics`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const ENDPOINTS: [&str; 4] = ["/v1/plan", "/v1/stops/near", "/v1/stops", "/v1/reports"];

fn metrics(c: &mut Criterion) {
    let m = app::Metrics::default();
    let mut i = 0usize;
    c.bench_function("metrics_observe_request", |b| {
        b.iter(|| {
            i += 1;
            server::metrics::observe_request(&m, black_box(ENDPOINTS[i % 4]), 200, 0.002);
        })
    });
    c.bench_function("metrics_observe_request_two_threads", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for t in 0..2 {
                    let m = &m;
                    s.spawn(move || {
                        for k in 0..iters {
                            let e = ENDPOINTS[(k as usize + t) % 4];
                            server::metrics::observe_request(m, black_box(e), 200, 0.002);
                        }
                    });
                }
            });
            // Per request: two threads did `iters` each.
            start.elapsed() / 2
        })
    });
    c.bench_function("metrics_render", |b| {
        b.iter(|| black_box(m.render(app::Audience::Operator).len()))
    });
}

criterion_group!(benches, metrics);
criterion_main!(benches);
