//! Place search on Arequipa as the riders' page sends it (`app::places::find` over the
//! shipped feed and its place list: 7,986 places, 2,026 streets, 1,985 corners, 6,711 stops,
//! 240 routes): common names, typos, corners, and the worst a query can be within the door's
//! 100 characters (long, repetitive, symbols, no match). The target: every query ≤ 50 ms.
//! Run: `cargo bench -p paradero-bench --bench places`; figures in bench/README.md.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

fn arequipa() -> app::Dataset {
    let feeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds");
    let (city, _) =
        app::city::shipped_arequipa(&feeds).expect("the shipped Arequipa feed and places");
    app::city::dataset(city)
}

fn places(c: &mut Criterion) {
    let ds = arequipa();
    let long = "avenida ".repeat(12);
    let symbols = "%$#@!*&^ ¿¡ ñáé ".repeat(6);
    let letters = "a b c d e f g h i j k l m n o p q r s t u v w x y z ".repeat(2);
    let queries: Vec<(&str, String)> = vec![
        ("plaza", "plaza de armas".into()),
        ("typo", "mercado san camiilo".into()),
        ("corner", "mercaderes y san juan".into()),
        ("district", "yanahuara".into()),
        ("two_letters", "av".into()),
        ("nothing", "zzqxw wqxzz".into()),
        ("long_100", long[..100.min(long.len())].to_string()),
        ("symbols", symbols.chars().take(100).collect()),
        ("many_words", letters.chars().take(100).collect()),
        // Eight long words unlike any name: every fuzzy comparison is made.
        (
            "eight_long_words",
            "qwertyuiop asdfghjklz xcvbnmqwer tyuiopasdf ghjklzxcvb nmqwertyui opasdfghjk lzxcvbnmqw"
                .into(),
        ),
    ];
    let mut g = c.benchmark_group("place_search");
    for (name, q) in &queries {
        g.bench_with_input(BenchmarkId::from_parameter(name), q, |b, q| {
            b.iter(|| black_box(app::places::find(&ds, black_box(q), 8)))
        });
    }
    g.finish();
}

criterion_group!(benches, places);
criterion_main!(benches);
