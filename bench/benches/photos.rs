//! What cleaning a photo costs: decode with limits, turn upright, scale down to the longest
//! side kept (1600 px), re-encode as a JPEG without metadata (`app::photos::clean`). Inputs
//! are synthetic photos the size phones send (12 and 2 megapixels, JPEG quality 90, with
//! texture so that they compress like pictures, not like flat colour); prints their sizes and
//! the size kept.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        // A gradient with a high-frequency pattern: roughly a photo's entropy.
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 24;
        image::Rgb([
            ((x * 255 / w) as u8).wrapping_add(n as u8 / 4),
            ((y * 255 / h) as u8).wrapping_add(n as u8 / 5),
            (n as u8) / 2 + 60,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .expect("encoding a synthetic photo");
    out
}

fn photos(c: &mut Criterion) {
    let settings = app::photos::PhotoSettings::default();
    let mut g = c.benchmark_group("photo_clean");
    g.sample_size(10);
    for (name, w, h) in [("12mp", 4000, 3000), ("2mp", 1600, 1200)] {
        let input = photo(w, h);
        let kept = app::photos::clean(&input, &settings, i18n::Lang::Es)
            .expect("a synthetic photo cleans");
        println!(
            "photo {name}: {} KB in, {}×{} px and {} KB kept",
            input.len() / 1024,
            kept.width,
            kept.height,
            kept.bytes.len() / 1024
        );
        g.bench_function(name, |b| {
            b.iter(|| {
                app::photos::clean(black_box(&input), &settings, i18n::Lang::Es)
                    .map(|p| p.bytes.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, photos);
criterion_main!(benches);
