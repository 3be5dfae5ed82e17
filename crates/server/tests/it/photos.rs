//! Photos on reports: only re-encoded images without metadata are kept, only officials see
//! them, bad uploads are clear errors that store nothing, and erasing a report erases them.

use super::observatory::{Backend, open_store};
use app::Obs;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::{AppState, Settings, app};
use std::io::Cursor;
use std::sync::Arc;
use tower::ServiceExt;

struct Env {
    state: Arc<AppState>,
    obs: Arc<Obs>,
    dir: tempfile::TempDir,
}

async fn env_with(backend: Backend, photos: app::photos::PhotoSettings) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(backend, dir.path()).await;
    let obs = Obs::start(
        store,
        app::ObservatorySettings {
            photos,
            ..app::ObservatorySettings::default()
        },
    );
    let state = super::with_obs(obs.clone(), Settings::default());
    Env { state, obs, dir }
}

impl Env {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, String, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = app(self.state.clone())
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ctype = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, ctype, bytes)
    }

    async fn json(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let (s, ctype, bytes) = self.send(method, uri, headers, body).await;
        if s.is_client_error() || s.is_server_error() {
            assert_eq!(ctype, "application/problem+json", "{uri}: {s}");
        }
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Files a report; returns (secret, case id).
    async fn report(&self) -> (String, String) {
        let body = json!({
            "category": "acoso_tocamientos",
            "lat": -16.3989, "lon": -71.5369,
            "description": "Me tocaron en el bus.",
        })
        .to_string();
        let (s, v) = self
            .json(
                "POST",
                "/v1/reports",
                &[("content-type", "application/json")],
                body.into_bytes(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let secret = v["reference"].as_str().unwrap().to_string();
        let case = self
            .obs
            .store()
            .report_by_secret(&secret)
            .await
            .unwrap()
            .unwrap()
            .reference;
        (secret, case)
    }

    async fn photos_stored(&self, case: &str) -> usize {
        self.obs
            .store()
            .photos_of(&[case.to_string()])
            .await
            .unwrap()
            .len()
    }
}

/// A JPEG the way phones write them: an EXIF block with the GPS position where the photo was
/// taken (16° 23' 56.24" S), then the image.
fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 90]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&img)
        .unwrap();
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    // IFD0: one entry, GPSInfo (0x8825) pointing at the GPS IFD at offset 26.
    tiff.extend([0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    // GPS IFD: GPSLatitudeRef "S", GPSLatitude at offset 56 (three rationals).
    tiff.extend([0, 2]);
    tiff.extend([0, 1, 0, 2, 0, 0, 0, 2, b'S', 0, 0, 0]);
    tiff.extend([0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56]);
    tiff.extend([0, 0, 0, 0]);
    for (n, d) in [(16u32, 1u32), (23, 1), (5624, 100)] {
        tiff.extend(n.to_be_bytes());
        tiff.extend(d.to_be_bytes());
    }
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend(&tiff);
    let len = u16::try_from(app1.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(len.to_be_bytes());
    out.extend(&app1);
    out.extend(&jpeg[2..]);
    out
}

fn exif_of(bytes: &[u8]) -> Option<Vec<u8>> {
    use image::ImageDecoder;
    let mut d = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .into_decoder()
        .unwrap();
    d.exif_metadata().unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

async fn a_photo_loses_its_gps_position_and_only_officials_see_it(e: Env) {
    let (secret, case) = e.report().await;
    let photo = jpeg_with_gps(64, 48);
    // The fixture really carries the position (so the test can fail).
    let exif = exif_of(&photo).expect("the fixture has EXIF");
    assert!(
        contains(&exif, &5624u32.to_be_bytes()),
        "the fixture has GPS"
    );
    let (s, v) = e
        .json(
            "POST",
            &format!("/v1/reports/{secret}/photos"),
            &[("content-type", "image/jpeg")],
            photo.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(64), Some(48))
    );
    let id = v["id"].as_str().unwrap().to_string();
    // Not for the public, nor for the reporter's secret.
    let one = format!("/v1/reports/{case}/photos/{id}");
    for uri in [one.as_str(), &format!("/v1/reports/{case}/photos")] {
        let (s, _) = e.json("GET", uri, &[], Vec::new()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let (s, _) = e
        .json(
            "GET",
            &format!("/v1/reports/{secret}/photos/{id}"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let token = e
        .obs
        .store()
        .create_official("vera", store::Role::Viewer, 0)
        .await
        .unwrap();
    let auth = format!("Bearer {token}");
    let (s, v) = e
        .json(
            "GET",
            &format!("/v1/reports/{case}/photos"),
            &[("authorization", &auth)],
            Vec::new(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["photos"][0]["url"], one.as_str());
    let (s, ctype, kept) = e
        .send("GET", &one, &[("authorization", &auth)], Vec::new())
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ctype, "image/jpeg");
    // A fresh JPEG: the same picture, no EXIF, no trace of the position.
    let decoded = image::load_from_memory(&kept).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (64, 48));
    assert_eq!(exif_of(&kept), None);
    assert!(!contains(&kept, b"Exif"));
    assert!(!contains(&kept, &5624u32.to_be_bytes()));
    assert_ne!(kept, photo);
    // Open311 points officials at it (`media_url`), and nobody else.
    let (s, v) = e
        .json(
            "GET",
            &format!("/open311/v2/requests.json?service_request_id={case}"),
            &[("authorization", &auth)],
            Vec::new(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v[0]["media_url"], one.as_str(), "{v}");
    let (s, _, text) = e
        .send(
            "GET",
            &format!("/open311/v2/requests.json?service_request_id={secret}"),
            &[],
            Vec::new(),
        )
        .await;
    let text = String::from_utf8(text).unwrap();
    assert_eq!(s, StatusCode::OK, "{text}");
    assert!(
        text.contains("service_request_id") && !text.contains("media_url"),
        "{text}"
    );
    // A PNG is accepted and kept as a JPEG too.
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(30, 20))
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (s, v) = e
        .json(
            "POST",
            &format!("/v1/reports/{secret}/photos"),
            &[("content-type", "image/png")],
            png,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(e.photos_stored(&case).await, 2);
    // Erasing the report erases its photos (rows, and files when kept in files).
    let (s, _) = e
        .json("DELETE", &format!("/v1/reports/{secret}"), &[], Vec::new())
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(e.photos_stored(&case).await, 0);
    let (s, _) = e
        .json("GET", &one, &[("authorization", &auth)], Vec::new())
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    if let store::PhotoStorage::Files(dir) = e.obs.store().photo_storage() {
        let left: Vec<_> = std::fs::read_dir(dir).map_or(Vec::new(), |d| d.collect());
        assert!(left.is_empty(), "photo files left after erasure: {left:?}");
    }
}

async fn bad_photos_are_clear_errors_and_store_nothing(e: Env) {
    let (secret, case) = e.report().await;
    let uri = format!("/v1/reports/{secret}/photos");
    let good = jpeg_with_gps(40, 30);
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 3);
    let big = vec![0xFFu8; 8 * 1024 * 1024 + 1];
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "text/plain",
            b"hola".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JPEG",
        ),
        (
            "image/jpeg",
            b"not an image at all".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JPEG",
        ),
        (
            "image/gif",
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JPEG",
        ),
        (
            "image/jpeg",
            truncated,
            StatusCode::UNPROCESSABLE_ENTITY,
            "leer",
        ),
        ("image/jpeg", Vec::new(), StatusCode::BAD_REQUEST, "vacío"),
        ("image/jpeg", big, StatusCode::PAYLOAD_TOO_LARGE, "8 MB"),
    ];
    for (ctype, body, status, word) in cases {
        let (s, v) = e.json("POST", &uri, &[("content-type", ctype)], body).await;
        assert_eq!(s, status, "{ctype}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(word), "{ctype}: {v}");
    }
    assert_eq!(e.photos_stored(&case).await, 0);
    // An unknown secret: nothing is learnt, nothing stored.
    let (s, _) = e
        .json(
            "POST",
            "/v1/reports/R-23456789ABCDEFGHJKMN/photos",
            &[("content-type", "image/jpeg")],
            good.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // At most three per report.
    for i in 0..4 {
        let (s, v) = e
            .json(
                "POST",
                &uri,
                &[("content-type", "image/jpeg")],
                good.clone(),
            )
            .await;
        let want = if i < 3 {
            StatusCode::CREATED
        } else {
            StatusCode::CONFLICT
        };
        assert_eq!(s, want, "photo {i}: {v}");
    }
    assert_eq!(e.photos_stored(&case).await, 3);
    if let store::PhotoStorage::Files(dir) = e.obs.store().photo_storage() {
        // Only the three kept: refused uploads left no file behind.
        assert_eq!(std::fs::read_dir(dir).unwrap().count(), 3);
    }
}

async fn sqlite(f: impl AsyncFnOnce(Env)) {
    f(env_with(Backend::Sqlite, app::photos::PhotoSettings::default()).await).await;
}

#[tokio::test]
async fn photos_on_sqlite_are_files_without_metadata() {
    sqlite(a_photo_loses_its_gps_position_and_only_officials_see_it).await;
    sqlite(bad_photos_are_clear_errors_and_store_nothing).await;
}

#[tokio::test]
async fn photos_on_postgres_are_rows_without_metadata() {
    a_photo_loses_its_gps_position_and_only_officials_see_it(
        env_with(Backend::Postgres, app::photos::PhotoSettings::default()).await,
    )
    .await;
    bad_photos_are_clear_errors_and_store_nothing(
        env_with(Backend::Postgres, app::photos::PhotoSettings::default()).await,
    )
    .await;
}

#[tokio::test]
async fn a_photo_over_the_pixel_limit_is_refused_before_decoding() {
    let e = env_with(
        Backend::Sqlite,
        app::photos::PhotoSettings {
            max_pixels: 1000,
            ..app::photos::PhotoSettings::default()
        },
    )
    .await;
    let (secret, case) = e.report().await;
    let (s, v) = e
        .json(
            "POST",
            &format!("/v1/reports/{secret}/photos"),
            &[("content-type", "image/jpeg")],
            jpeg_with_gps(64, 48),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(e.photos_stored(&case).await, 0);
    let _ = &e.dir;
}

#[tokio::test]
async fn a_full_disk_refuses_the_photo_and_keeps_nothing() {
    // The photo folder is a file: writing into it fails like a broken volume would.
    let e = env_with(Backend::Sqlite, app::photos::PhotoSettings::default()).await;
    let blocked = e.dir.path().join("blocked");
    std::fs::write(&blocked, b"").unwrap();
    let store = e
        .obs
        .store()
        .clone()
        .with_photo_storage(store::PhotoStorage::Files(blocked.join("photos")));
    let obs = Obs::start(store, app::ObservatorySettings::default());
    let state = super::with_obs(obs.clone(), Settings::default());
    let e2 = Env {
        state,
        obs,
        dir: tempfile::tempdir().unwrap(),
    };
    let (secret, case) = e2.report().await;
    let (s, v) = e2
        .json(
            "POST",
            &format!("/v1/reports/{secret}/photos"),
            &[("content-type", "image/jpeg")],
            jpeg_with_gps(20, 20),
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(e2.photos_stored(&case).await, 0);
}
