//! Live departures over HTTP: Caltrain's recorded GTFS-Realtime taken in, then
//! `/v1/stops/{id}/departures` says which departures are live, how late, and which real
//! time it read; the same stop without real time says none.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use server::{AppState, Settings, app};
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

fn caltrain() -> Arc<AppState> {
    let rt = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/rt");
    let spec = gtfs::FeedSpec {
        id: "ct".into(),
        path: rt.join("ct.zip"),
    };
    let tt = gtfs::load(&[spec], &gtfs::LoadConfig::default())
        .unwrap()
        .timetable;
    let ds = app::Dataset {
        timetable: Arc::new(tt),
        streets: None,
        places: None,
        loaded_at: std::time::SystemTime::now(),
    };
    AppState::new(
        app::App::new(ds, app::Settings::default()),
        Settings::default(),
    )
}

async fn departures(state: &Arc<AppState>) -> Value {
    let uri = "/v1/stops/ct:70012/departures?at=2023-11-07T17:05&limit=8";
    let res = app(Arc::clone(state))
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

#[tokio::test]
async fn departures_say_which_are_live_and_how_late() {
    let state = caltrain();
    let before = departures(&state).await;
    assert!(before["realtime"].is_null(), "{before}");
    assert!(
        before["departures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["realtime"] == false
                && d["delay_s"].is_null()
                && d["scheduled"] == d["departure"])
    );
    let rt = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/rt/ct-trip-updates.pb");
    state
        .app()
        .take_trip_updates("ct", &std::fs::read(rt).unwrap(), app::now_unix(), 0)
        .unwrap();
    let after = departures(&state).await;
    assert_eq!(after["realtime"]["generation"], 1, "{after}");
    assert!(after["realtime"]["age_s"].as_i64().unwrap() >= 0);
    let live: Vec<&Value> = after["departures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["realtime"] == true)
        .collect();
    assert!(!live.is_empty(), "{after}");
    for d in live {
        let delay = d["delay_s"].as_i64().unwrap();
        assert_eq!(d["departure"] == d["scheduled"], delay == 0, "{d}");
        assert_eq!(d["approximate"], false);
    }
}

#[tokio::test]
async fn vehicles_are_geojson_points_without_the_operators_codes() {
    let state = caltrain();
    let get = |uri: &'static str| {
        let state = Arc::clone(&state);
        async move {
            let res = app(state)
                .oneshot(Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let status = res.status();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&body).unwrap())
        }
    };
    let (s, v) = get("/v1/vehicles").await;
    assert_eq!(
        (s, v["features"].as_array().unwrap().len()),
        (StatusCode::OK, 0)
    );
    let vp = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/rt/ct-vehicle-positions.pb");
    state
        .app()
        .take_vehicle_positions("ct", &std::fs::read(vp).unwrap(), app::now_unix(), (0, 600))
        .unwrap();
    let (s, v) = get("/v1/vehicles?bbox=-122.6,37.2,-121.8,37.9").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["type"], "FeatureCollection");
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 14);
    for f in features {
        assert_eq!(f["geometry"]["type"], "Point");
        assert!(
            f["properties"]["route_id"]
                .as_str()
                .unwrap()
                .starts_with("ct:")
        );
        assert!(f["properties"].get("code").is_none(), "{f}");
    }
    // (query) → status: a malformed box, an unknown route.
    for (uri, status) in [
        ("/v1/vehicles?bbox=1,2,3", StatusCode::BAD_REQUEST),
        (
            "/v1/vehicles?bbox=10,0,-10,1",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/v1/vehicles?bbox=0,0,200,1",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/v1/vehicles?bbox=0,0,inf,1", StatusCode::BAD_REQUEST),
        ("/v1/vehicles?bbox=", StatusCode::BAD_REQUEST),
        ("/v1/vehicles?bbox=1e2,0,1,1", StatusCode::BAD_REQUEST),
        ("/v1/vehicles?bbox=1.,0,2,1", StatusCode::BAD_REQUEST),
        ("/v1/vehicles?bbox=0001,0,2,1", StatusCode::BAD_REQUEST),
        ("/v1/vehicles?bbox=a,b,c,d", StatusCode::BAD_REQUEST),
        ("/v1/vehicles?route=nope", StatusCode::NOT_FOUND),
    ] {
        let (s, v) = get(uri).await;
        assert_eq!(s, status, "{uri}: {v}");
        assert!(
            v["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{uri}: {v}"
        );
    }
}
