//! Arequipa's places as riders type them: the shipped place list (the Arequipa Bus app's
//! search data) read as the feed's `places`, searched with typos, naming tapped points and the
//! stops the feed leaves unnamed.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use server::{AppState, Settings, app};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// Arequipa's feed with its place list, and how many stops the list named.
fn arequipa() -> &'static (Arc<AppState>, usize, usize) {
    static STATE: OnceLock<(Arc<AppState>, usize, usize)> = OnceLock::new();
    STATE.get_or_init(|| {
        let feeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds");
        let city = app::city::load(
            &[gtfs::FeedSpec {
                id: "arequipa".into(),
                path: feeds.join("arequipa.zip"),
            }],
            &gtfs::LoadConfig::default(),
            &[],
            app::city::StreetsLoad {
                snap_m: 100.0,
                max_osm_mib: 64,
                access_radius_m: 800.0,
            },
        )
        .unwrap();
        let unnamed_before = city
            .timetable
            .stops()
            .iter()
            .filter(|s| planner::unnamed(&s.name))
            .count();
        let (city, named) =
            app::city::with_places(city, &[feeds.join("arequipa-places.json")]).unwrap();
        let state = AppState::new(
            app::App::new(app::city::dataset(city), app::Settings::default()),
            Settings::default(),
        );
        (state, unnamed_before, named)
    })
}

async fn get(uri: &str) -> (StatusCode, Value) {
    let res = app(arequipa().0.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let s = res.status();
    let b = res.into_body().collect().await.unwrap().to_bytes();
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// What riders of Arequipa type (from the first-minute findings), with typos, and the place
/// that must come first — or be among the first three.
#[tokio::test]
async fn riders_find_arequipas_places_by_name_with_typos() {
    let cases: [(&str, &str, usize); 16] = [
        ("plaza de armas", "Plaza de Armas", 1),
        ("plaza de armaz", "Plaza de Armas", 1),
        ("mall aventura", "Mall Aventura Plaza", 1),
        ("mall aventrua", "Mall Aventura Plaza", 1),
        ("mercado san camilo", "Mercado San Camilo", 1),
        ("mercado sn camilo", "Mercado San Camilo", 1),
        ("yanahuara", "Yanahuara", 1),
        ("yanahura", "Yanahuara", 1),
        (
            "hospital honorio delgado",
            "Hospital Regional Honorio Delgado Espinoza",
            1,
        ),
        ("hospitl goyeneche", "Hospital Goyeneche", 1),
        ("universidad la salle", "Universidad La Salle", 1),
        (
            "universidad catolica san pablo",
            "Universidad Católica San Pablo",
            3,
        ),
        ("cayma", "Cayma", 1),
        (
            "ejercito y jerusalen",
            "Avenida Ejército y Calle Jerusalén",
            1,
        ),
        ("terminal terrestre", "Terminal Terrestre de Arequipa", 3),
        ("plaza yanahuara", "Plaza de Yanahuara", 1),
    ];
    let mut misses = Vec::new();
    for (q, want, within) in cases {
        let (s, v) = get(&format!("/v1/places?q={}&limit=5", q.replace(' ', "+"))).await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
        let names: Vec<&str> = v["places"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        if !names.iter().take(within).any(|n| *n == want) {
            misses.push(format!(
                "{q:?} → {names:?} (wanted {want:?} in the first {within})"
            ));
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
}

#[tokio::test]
async fn a_tapped_point_in_arequipa_has_a_name() {
    let (s, v) = get("/v1/places/reverse?lat=-16.3989&lon=-71.5369").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "Plaza de Armas");
    // Between places: near the closest one, said in the asker's language.
    let (s, v) = get("/v1/places/reverse?lat=-16.4250&lon=-71.5200&lang=en").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let name = v["name"].as_str().unwrap();
    assert!(!name.is_empty() && !name.contains("Innominada"), "{v}");
}

/// Stops the feed calls `Innominada` get the name of the corner or place they are at, or
/// "Cerca de …" one within 250 m; at least two in three of them.
#[test]
fn most_unnamed_stops_are_named_from_the_place_list() {
    let (state, before, named) = arequipa();
    assert_eq!(*before, 1461, "the shipped feed's unnamed stops");
    assert!(*named * 3 >= *before * 2, "{named} of {before} named");
    let tt = state.dataset().timetable.clone();
    let left = tt
        .stops()
        .iter()
        .filter(|s| planner::unnamed(&s.name))
        .count();
    assert_eq!(left, before - named);
    assert!(
        tt.stops()
            .iter()
            .any(|s| s.name.starts_with("Cerca de ") || s.name.contains(" y ")),
        "names from corners and places"
    );
}

/// What is left unnamed after the second pass (the nearest named stop within 400 m): at
/// most 15 %.
#[test]
fn few_stops_stay_unnamed() {
    let (state, before, named) = arequipa();
    let tt = state.dataset().timetable.clone();
    let left = tt
        .stops()
        .iter()
        .filter(|s| planner::unnamed(&s.name))
        .count();
    eprintln!("{named} of {before} unnamed stops named; {left} left");
    // Measured: 215 of 1,461 (outskirts more than 400 m from anything named).
    assert!(
        left * 100 <= *before * 15,
        "{left} of {before} still unnamed"
    );
    // A name is never "near" something that is itself only near.
    assert!(
        tt.stops()
            .iter()
            .all(|s| !s.name.starts_with("Cerca de Cerca de"))
    );
}

/// Over random trips across Arequipa: no walk under a minute is shown as a step ("Camina 0 min
/// (21 m)" was in 37 % of itineraries), and the legs left still chain in time.
#[tokio::test]
async fn no_walk_under_a_minute_is_a_step() {
    let mut seed = 0x2545_f491_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 10_000) as f64 / 10_000.0
    };
    let (mut itineraries, mut legs) = (0, 0);
    for _ in 0..120 {
        let (a, b) = (
            (-16.44 + next() * 0.08, -71.57 + next() * 0.08),
            (-16.44 + next() * 0.08, -71.57 + next() * 0.08),
        );
        let uri = format!(
            "/v1/plan?from={:.5},{:.5}&to={:.5},{:.5}&at=2026-11-23T08:00",
            a.0, a.1, b.0, b.1
        );
        let (s, v) = get(&uri).await;
        if s != StatusCode::OK {
            continue;
        }
        for it in v["itineraries"].as_array().unwrap() {
            itineraries += 1;
            let mut last_end = "";
            for l in it["legs"].as_array().unwrap() {
                legs += 1;
                if l["mode"] == "walk" && it["legs"].as_array().unwrap().len() > 1 {
                    assert!(l["duration_s"].as_i64().unwrap() >= 60, "{l}");
                }
                let start = l["departure"]
                    .as_str()
                    .or_else(|| l["board"]["time"].as_str())
                    .unwrap_or("");
                assert!(last_end <= start, "{uri}: legs out of order\n{it}");
                last_end = l["arrival"]
                    .as_str()
                    .or_else(|| l["alight"]["time"].as_str())
                    .unwrap_or("");
            }
        }
    }
    assert!(
        itineraries >= 20 && legs > itineraries,
        "{itineraries} itineraries, {legs} legs"
    );
}
