//! Walking on real streets through the HTTP API, on São Paulo's sample feed and the shipped
//! extract of central São Paulo.

use super::sao_paulo;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn get(uri: &str) -> (StatusCode, Value, usize) {
    let res = server::app(sao_paulo())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        bytes.len(),
    )
}

/// From Avenida Paulista near Consolação to Praça da Sé, a weekday of 2019 (the sample's
/// service ends in 2020).
const TRIP: &str = "/v1/plan?from=-23.5614,-46.6558&to=-23.5503,-46.6340&at=2019-11-20T08:00";

#[tokio::test]
async fn walk_legs_follow_the_streets_with_steps_in_the_riders_language() {
    for (lang, verb) in [("es", "Camina"), ("en", "Walk"), ("qu", "puriy")] {
        let (s, v, _) = get(&format!("{TRIP}&lang={lang}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let its = v["itineraries"].as_array().unwrap();
        assert!(!its.is_empty());
        let walks: Vec<&Value> = its
            .iter()
            .flat_map(|i| i["legs"].as_array().unwrap())
            .filter(|l| l["mode"] == "walk" && l["distance_m"].as_u64().unwrap() > 50)
            .collect();
        assert!(!walks.is_empty());
        for w in walks {
            let coords = w["geometry"]["coordinates"].as_array().unwrap();
            assert!(coords.len() > 2, "a street line, not a straight one: {w}");
            let steps = w["steps"].as_array().unwrap();
            assert!(!steps.is_empty(), "{w}");
            for st in steps {
                assert!(st["instruction"].as_str().unwrap().contains(verb), "{st}");
            }
        }
    }
    // Named streets appear in the steps.
    let (_, v, _) = get(TRIP).await;
    let text = v.to_string();
    assert!(
        text.contains("\"street\":\""),
        "no named street in any step"
    );
}

#[tokio::test]
async fn a_wheelchair_walk_takes_no_steps() {
    let (s, v, _) = get(&format!("{TRIP}&wheelchair=true")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for it in v["itineraries"].as_array().unwrap() {
        for l in it["legs"].as_array().unwrap() {
            for st in l["steps"].as_array().into_iter().flatten() {
                let words = st["instruction"].as_str().unwrap();
                assert!(!words.contains("escaleras"), "{words}");
            }
        }
    }
}

#[tokio::test]
async fn places_are_found_by_name_with_typos_and_by_a_tap() {
    let (s, v, _) = get("/v1/places?q=conjunto%20nacinal").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["places"][0]["name"], "Conjunto Nacional", "{v}");
    assert_eq!(v["places"][0]["type"], "mall");
    let (_, v, _) = get("/v1/places?q=av%20paulista%20y%20rua%20da%20consolacao").await;
    let top = &v["places"][0];
    assert_eq!(top["type"], "corner", "{v}");
    let (lat, lon) = (top["lat"].as_f64().unwrap(), top["lon"].as_f64().unwrap());
    let (s, r, _) = get(&format!("/v1/places/reverse?lat={lat}&lon={lon}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["type"], "corner");
    // Stops with a typo: a stop name of the sample feed, misspelt.
    let (_, v, _) = get("/v1/places?q=terminal%20bandera").await;
    assert!(v.to_string().contains("Bandeira"), "{v}");
    // Nothing named in the middle of the Atlantic.
    let (s, _, _) = get("/v1/places/reverse?lat=-24.5&lon=-45.0").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn street_tiles_are_small_and_carry_names_only_close_in() {
    let (s, info, _) = get("/v1/map").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(info["streets"], true);
    // City zoom (13) over the extract's middle, and a close one (17).
    let tile = |z: u32, lat: f64, lon: f64| {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n) as u32;
        let r = lat.to_radians();
        let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
        format!("/v1/tiles/{z}/{x}/{y}.json")
    };
    let (s, city, bytes) = get(&tile(13, -23.55, -46.64)).await;
    assert_eq!(s, StatusCode::OK);
    let lines = city["lines"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l.get("name").is_none()),
        "no names at city zoom"
    );
    assert!(
        lines.iter().all(|l| l["class"] != "footway"),
        "footpaths only close in"
    );
    assert!(bytes < 400_000, "{bytes} bytes before compression");
    let (_, close, _) = get(&tile(17, -23.5593, -46.6597)).await;
    assert!(
        close["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == "Avenida Paulista"),
        "{close}"
    );
}
