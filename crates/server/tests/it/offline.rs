//! The phone's timetables as the page fetches them: listed with version and size, served with
//! an ETag, read back into the same timetable; a new dataset, a new version.

use super::*;
use axum::http::HeaderMap;

async fn fetch(
    st: &Arc<AppState>,
    uri: &str,
    h: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(uri);
    for (k, v) in h {
        req = req.header(*k, *v);
    }
    let res = app(Arc::clone(st))
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (
        status,
        headers,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test]
async fn bundles_are_listed_served_and_renewed_with_the_feed() {
    let st = with_settings(Settings::default());
    let (s, _, body) = fetch(&st, "/v1/offline", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let list: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list["format"], ::offline::FORMAT);
    let b = &list["bundles"][0];
    assert_eq!(b["feed"], "arequipa");
    let version = b["version"].as_str().unwrap().to_string();
    let (s, h, bytes) = fetch(&st, "/v1/offline/arequipa", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["etag"], format!("\"{version}\""));
    assert_eq!(b["bytes"], bytes.len());
    // What the page is told it costs is what gzip sends.
    let (_, hz, gz) = fetch(&st, "/v1/offline/arequipa", &[("accept-encoding", "gzip")]).await;
    assert_eq!(hz["content-encoding"], "gzip");
    let told = b["gzip_bytes"].as_u64().unwrap() as f64;
    assert!(
        (gz.len() as f64 - told).abs() < 0.05 * told,
        "{} sent, {told} told",
        gz.len()
    );
    let back = ::offline::import(&bytes).expect("the served bundle reads back");
    assert_eq!(
        back.timetable.stops().len(),
        st.dataset().timetable.stops().len()
    );
    assert_eq!(::offline::checksum(&bytes).unwrap(), version);
    // Unchanged: 304, nothing sent.
    let etag = format!("\"{version}\"");
    let (s, _, body) = fetch(&st, "/v1/offline/arequipa", &[("if-none-match", &etag)]).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    // An unknown feed: a 404 that says so, in the asker's language.
    let (s, h, body) = fetch(&st, "/v1/offline/lima?lang=en", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(h["content-type"], "application/problem+json");
    assert!(String::from_utf8_lossy(&body).contains("“lima”"));
    // A new dataset (a reload): a new version; the old ETag gets the new bundle.
    let tiny = timetable::text::parse("route R: A 08:00 B 08:10\n").unwrap();
    let feed = tiny.feeds()[0].id.clone();
    st.app().swap(Dataset {
        timetable: Arc::new(tiny),
        streets: None,
        places: None,
        loaded_at: std::time::SystemTime::now(),
    });
    let (_, _, body) = fetch(&st, "/v1/offline", &[]).await;
    let list: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list["bundles"][0]["feed"], feed.as_str());
    assert_ne!(list["bundles"][0]["version"], version.as_str());
    let (s, _, bytes) = fetch(
        &st,
        &format!("/v1/offline/{feed}"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        ::offline::import(&bytes).unwrap().timetable.stops().len(),
        2
    );
}

/// A city on streets: the phone's timetable walks between stops along them as the server's.
#[tokio::test]
async fn a_city_on_streets_keeps_its_street_walks_on_the_phone() {
    let st = sao_paulo();
    let ds = st.dataset();
    assert!(ds.timetable.walked().is_some());
    let feed = ds.timetable.feeds()[0].id.clone();
    let (s, _, bytes) = fetch(&st, &format!("/v1/offline/{feed}"), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let back = ::offline::import(&bytes).unwrap().timetable;
    assert_eq!(back.n_footpaths(), ds.timetable.n_footpaths());
    let mut differing = 0;
    for (i, stop) in ds.timetable.stops().iter().enumerate() {
        let phone = back.stop_by_id(&stop.id).unwrap();
        let a: Vec<_> = ds
            .timetable
            .footpaths(timetable::StopIdx::new(i))
            .iter()
            .map(|f| (ds.timetable.stop(f.to).id.clone(), f.duration, f.distance_m))
            .collect();
        let b: Vec<_> = back
            .footpaths(phone)
            .iter()
            .map(|f| (back.stop(f.to).id.clone(), f.duration, f.distance_m))
            .collect();
        differing += usize::from(a != b);
    }
    assert_eq!(differing, 0);
}
