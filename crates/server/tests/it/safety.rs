//! Safer trips through the HTTP API: raw reports never move the planner; a release does.

use super::observatory::{Backend, local, open_store};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Around Arequipa's Plaza de Armas, at night.
const HOT: (f64, f64) = (-16.3989, -71.5369);
const TRIP: &str = "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=2026-11-23T21:00";

async fn get(state: &std::sync::Arc<server::AppState>, uri: &str) -> Value {
    let res = server::app(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

#[tokio::test]
async fn raw_reports_without_a_release_do_not_move_the_planner_and_a_release_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(Backend::Sqlite, dir.path()).await;
    // Many thefts and harassment reports at night around the origin, last October.
    for i in 0..400 {
        let cat = ["robo", "acoso_verbal", "agresion_fisica"][i % 3];
        let lat = HOT.0 + 0.0004 * (i % 5) as f64;
        let r = store::NewReport {
            category: cat.into(),
            lat: Some(lat),
            lon: Some(HOT.1),
            stop_id: None,
            route_id: None,
            zone: observatory::zone::zone_of(lat, HOT.1, 500.0),
            occurred_at: local("2026-10-09", 22),
            occurred_at_given: true,
            local_hour: 22,
            description: None,
            gender: Some(store::Gender::Woman),
            age_band: None,
            channel: store::Channel::Web,
            rider: None,
            actors: store::RoadActors::default(),
        };
        store
            .create_report(&r, None, local("2026-10-09", 23) + i as i64)
            .await
            .unwrap();
    }
    // Riders' ratings of their safety: 4s and 5s by day, 1s and 2s at night (women, 600 each,
    // enough for the released means to be read).
    for i in 0..1_200u32 {
        let night = i % 2 == 1;
        let s = store::NewSurvey {
            answered_at: local("2026-10-12", if night { 22 } else { 9 }) + i64::from(i),
            local_hour: if night { 22 } else { 9 },
            route_id: None,
            safety: Some(if night {
                1 + (i % 4 == 1) as u8
            } else {
                4 + (i % 4 == 0) as u8
            }),
            satisfaction: None,
            gender: Some(store::Gender::Woman),
            age_band: None,
            channel: store::Channel::Web,
            rider: None,
        };
        store.add_survey(&s).await.unwrap();
    }
    let (state, obs) = super::with_store(store, server::Settings::default());
    let app = state.app().clone();
    let baseline = get(&state, TRIP).await;
    // No release: no surface, and asking for the safer trip changes nothing.
    app.refresh_risk().await;
    assert!(app.risk().is_none());
    let asked = get(&state, &format!("{TRIP}&prefer=safer")).await;
    assert_eq!(asked, baseline, "raw reports moved the planner");
    assert!(!asked.to_string().contains("\"safety\""));
    // October's release: the surface comes from it.
    let tt = state.dataset().timetable.clone();
    app::releases::release_periods(&obs, &tt, "2026-10", &[None], 0)
        .await
        .unwrap();
    app.refresh_risk().await;
    let risk = app.risk().expect("a surface from the release");
    assert!(
        risk.at(HOT.0, HOT.1, 2).relative > 1.5,
        "{:?}",
        risk.at(HOT.0, HOT.1, 2)
    );
    // The survey means of the same release: riders feel less safe at night than by day, so
    // risk at night weighs more, and night itineraries say so; raw answers are not read.
    let night = risk.perceived[2].expect("a clear night mean");
    let day = risk.perceived_day.expect("a clear mean over the day");
    assert!(night.mean + night.margin < day.mean, "{night:?} vs {day:?}");
    assert!(risk.feel(2) > 1.0, "{}", risk.feel(2));
    let after = get(&state, &format!("{TRIP}&prefer=safer")).await;
    let it = &after["itineraries"][0];
    assert!(it["safety"]["exposure_min"].as_f64().is_some(), "{after}");
    assert_eq!(it["safety"]["period"], "2026-10");
    assert!(
        it["safety"]["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("De 21 a 6 h, quienes viajan califican")),
        "{}",
        it["safety"]
    );
}
