//! Photos on reports: the reporter adds them with her secret (re-encoded, scaled down, at
//! most three), officials read them, erasure takes them away.

use crate::{at_the_plaza, fresh};
use app::{Channel, Error, Role};
use i18n::Lang;
use std::io::Cursor;

/// A `w`×`h` image encoded as `format`.
fn image(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// The error's kind, or "ok".
fn kind<T: std::fmt::Debug>(r: &Result<T, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(Error::Invalid(_)) => "invalid",
        Err(Error::NotFound(_)) => "not found",
        Err(Error::Conflict(_)) => "conflict",
        Err(Error::UnsupportedMedia(_)) => "unsupported",
        Err(Error::TooLarge(_)) => "too large",
        Err(e) => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn a_reporter_adds_photos_officials_read_them_and_erasure_takes_them() {
    let f = fresh().await;
    let a = &f.app;
    let lang = Lang::Es;
    let secret = a
        .file_report(&at_the_plaza("robo", None, Channel::Api), None, lang)
        .await
        .unwrap()
        .secret;
    let png = image(2000, 1000, image::ImageFormat::Png);
    let jpeg = image(300, 200, image::ImageFormat::Jpeg);
    let too_big = vec![0u8; app::photos::PhotoSettings::default().max_bytes + 1];
    // (secret, declared type, bytes) → kind, in order: the fourth good photo is one too many.
    let cases: Vec<(&str, Option<&str>, Vec<u8>, &str)> = vec![
        (&secret, Some("image/png"), png.clone(), "ok"),
        (&secret, None, jpeg.clone(), "ok"),
        (&secret, Some("image/gif"), png.clone(), "unsupported"),
        (&secret, Some("image/jpeg"), png.clone(), "unsupported"),
        (
            &secret,
            Some("image/png"),
            b"not an image".to_vec(),
            "unsupported",
        ),
        (&secret, Some("image/png"), Vec::new(), "invalid"),
        (&secret, Some("image/png"), too_big, "too large"),
        (
            "R-AAAAAAAAAAAAAAAAAAAA",
            Some("image/png"),
            png.clone(),
            "not found",
        ),
        (&secret, Some("image/jpeg"), jpeg.clone(), "ok"),
        (&secret, Some("image/jpeg"), jpeg.clone(), "conflict"),
    ];
    let mut added = Vec::new();
    for (i, (secret, declared, bytes, expected)) in cases.into_iter().enumerate() {
        let got = a.add_photo(secret, declared, bytes, lang).await;
        assert_eq!(kind(&got), expected, "case {i}: {got:?}");
        added.extend(got.ok());
    }
    // Scaled down to the longest side kept, proportions kept.
    assert_eq!((added[0].width, added[0].height), (1600, 800));
    assert_eq!((added[1].width, added[1].height), (300, 200));

    let viewer = f.official("ana", Role::Viewer).await;
    let case = a
        .follow_report(&secret, None, lang)
        .await
        .unwrap()
        .report
        .reference;
    let listed = a
        .photos(&viewer, std::slice::from_ref(&case), lang)
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    let (meta, bytes) = a.photo(&viewer, &case, &added[0].id, lang).await.unwrap();
    assert_eq!(meta.id, added[0].id);
    // What is kept is a fresh JPEG of the size reported.
    assert_eq!(
        image::guess_format(&bytes).unwrap(),
        image::ImageFormat::Jpeg
    );
    let kept = image::load_from_memory(&bytes).unwrap();
    assert_eq!((kept.width(), kept.height()), (1600, 800));
    assert_eq!(bytes.len() as u64, added[0].bytes);
    assert_eq!(
        kind(&a.photo(&viewer, &case, "nope", lang).await),
        "not found"
    );

    // The reporter erases her report: its photos go with it.
    a.erase_report(&secret, lang).await.unwrap();
    assert!(a.photos(&viewer, &[case], lang).await.unwrap().is_empty());
}
