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

/// `uri` with `headers`: status, headers, body.
async fn fetch(
    state: &Arc<AppState>,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut b = Request::get(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let res = app(Arc::clone(state))
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, h) = (res.status(), res.headers().clone());
    (
        status,
        h,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test]
async fn gtfs_realtime_out_gives_back_what_the_recorded_feed_said() {
    let state = caltrain();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/rt");
    let tu_in = std::fs::read(dir.join("ct-trip-updates.pb")).unwrap();
    let vp_in = std::fs::read(dir.join("ct-vehicle-positions.pb")).unwrap();
    let now = app::now_unix();
    // Nothing live yet: three valid, empty feeds.
    for kind in ["trip-updates", "vehicle-positions", "alerts"] {
        let (s, h, body) = fetch(&state, &format!("/gtfs-rt/{kind}"), &[]).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h["content-type"], "application/x-protobuf");
        let m = realtime::decode(&body).unwrap();
        assert!(m.entity.is_empty());
        assert!((m.header.timestamp.unwrap() as i64 - now).abs() < 60);
    }
    state.app().take_trip_updates("ct", &tu_in, now, 0).unwrap();
    state
        .app()
        .take_vehicle_positions("ct", &vp_in, now, (0, 600))
        .unwrap();

    // Trip updates, in the feed's own ids: every trip the recording predicted is there, with
    // the recording's own times at the stops it gave them for.
    let (s, h, body) = fetch(&state, "/gtfs-rt/trip-updates?feed=ct", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let out = realtime::decode(&body).unwrap();
    let input = realtime::decode(&tu_in).unwrap();
    let ds = state.dataset();
    let mut compared = 0;
    for e in &input.entity {
        let Some(tu) = &e.trip_update else { continue };
        let Some(trip_id) = tu.trip.trip_id.as_deref() else {
            continue;
        };
        if ds.timetable.trip_by_id(&format!("ct:{trip_id}")).is_none() {
            continue;
        }
        let ours = out
            .entity
            .iter()
            .filter_map(|e| e.trip_update.as_ref())
            .find(|u| u.trip.trip_id.as_deref() == Some(trip_id))
            .unwrap_or_else(|| panic!("trip {trip_id} is not re-published"));
        for stu in &tu.stop_time_update {
            let (Some(stop), Some(t)) = (
                stu.stop_id.as_deref(),
                stu.departure.as_ref().and_then(|d| d.time),
            ) else {
                continue;
            };
            let Some(mine) = ours
                .stop_time_update
                .iter()
                .find(|x| x.stop_id.as_deref() == Some(stop))
            else {
                continue;
            };
            assert_eq!(
                mine.departure.as_ref().and_then(|d| d.time),
                Some(t),
                "trip {trip_id} at {stop}"
            );
            compared += 1;
        }
        // Times never go back along the trip.
        let times: Vec<i64> = ours
            .stop_time_update
            .iter()
            .flat_map(|x| [x.arrival.as_ref(), x.departure.as_ref()])
            .flatten()
            .filter_map(|ev| ev.time)
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "trip {trip_id}: {times:?}"
        );
    }
    assert!(compared > 10, "only {compared} times compared");
    // Every id is the static feed's.
    for u in out.entity.iter().filter_map(|e| e.trip_update.as_ref()) {
        let t = u.trip.trip_id.as_deref().unwrap();
        assert!(ds.timetable.trip_by_id(&format!("ct:{t}")).is_some(), "{t}");
        for x in &u.stop_time_update {
            let s = x.stop_id.as_deref().unwrap();
            assert!(ds.timetable.stop_by_id(&format!("ct:{s}")).is_some(), "{s}");
        }
    }

    // Conditional GET: the same snapshot is 304; compressed when asked.
    let etag = h["etag"].to_str().unwrap().to_string();
    let (s, _, body) = fetch(
        &state,
        "/gtfs-rt/trip-updates?feed=ct",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!((s, body.len()), (StatusCode::NOT_MODIFIED, 0));
    let (s, h, _) = fetch(
        &state,
        "/gtfs-rt/trip-updates?feed=ct",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(
        (s, &h["content-encoding"]),
        (
            StatusCode::OK,
            &"gzip".parse::<axum::http::HeaderValue>().unwrap()
        )
    );

    // Vehicle positions: the recording's fourteen, namespaced without `feed`, no codes.
    let (_, _, body) = fetch(&state, "/gtfs-rt/vehicle-positions", &[]).await;
    let vp = realtime::decode(&body).unwrap();
    assert_eq!(vp.entity.len(), 14);
    for e in &vp.entity {
        let v = e.vehicle.as_ref().unwrap();
        assert!(
            v.trip
                .as_ref()
                .unwrap()
                .route_id
                .as_deref()
                .unwrap()
                .starts_with("ct:")
        );
        assert!(v.vehicle.is_none());
    }
    // JSON for people says the same.
    let (s, h, body) = fetch(&state, "/gtfs-rt/vehicle-positions?format=json", &[]).await;
    assert_eq!(
        (s, &h["content-type"]),
        (
            StatusCode::OK,
            &"application/json"
                .parse::<axum::http::HeaderValue>()
                .unwrap()
        )
    );
    let j: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(j["entity"].as_array().unwrap().len(), 14);
    assert_eq!(j["header"]["incrementality"], "FULL_DATASET");
    // A feed not served, a kind that is none, a format that is neither.
    for (uri, want) in [
        ("/gtfs-rt/alerts?feed=nope", StatusCode::NOT_FOUND),
        ("/gtfs-rt/positions", StatusCode::NOT_FOUND),
        ("/gtfs-rt/alerts?format=xml", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(fetch(&state, uri, &[]).await.0, want, "{uri}");
    }
}
