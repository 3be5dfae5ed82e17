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
