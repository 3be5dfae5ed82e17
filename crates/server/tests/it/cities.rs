//! Two cities on one server, as the shipped configuration serves them: Arequipa (its place
//! list, no streets) and Trujillo (on its streets). Each request stays within the city asked
//! for; a plan from one to the other is refused in the rider's language.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use server::{AppState, Settings};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// Both shipped cities, loaded as `config/paradero.toml` says (feeds, extract, place list,
/// cities).
fn two_cities() -> Arc<AppState> {
    static STATE: OnceLock<Arc<AppState>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let cfg = config::Config::load(Some(&root.join("config/paradero.toml"))).unwrap();
            let specs: Vec<gtfs::FeedSpec> = cfg
                .feeds
                .iter()
                .map(|f| gtfs::FeedSpec {
                    id: f.id.clone(),
                    path: f.path.clone(),
                })
                .collect();
            let extracts: Vec<_> = cfg.feeds.iter().filter_map(|f| f.osm.clone()).collect();
            let places: Vec<_> = cfg.feeds.iter().filter_map(|f| f.places.clone()).collect();
            assert_eq!(extracts.len(), 1, "Trujillo's extract is configured");
            let city = app::city::load(
                &specs,
                &gtfs::LoadConfig::default(),
                &extracts,
                app::city::StreetsLoad {
                    snap_m: cfg.walking.snap_m,
                    max_osm_mib: 64,
                    access_radius_m: cfg.planner.access_radius_m,
                },
            )
            .unwrap();
            let (city, _) = app::city::with_places(city, &places).unwrap();
            AppState::new(
                app::App::new(
                    app::city::dataset(city),
                    app::Settings::from_config(&cfg, None),
                ),
                Settings::default(),
            )
        })
        .clone()
}

async fn get(uri: &str) -> (StatusCode, Value, String) {
    let res = server::app(two_cities())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text,
    )
}

/// Arequipa's Plaza de Armas and a point near Trujillo's.
const AREQUIPA: &str = "-16.3989,-71.5369";
const AREQUIPA_2: &str = "-16.4250,-71.5200";
const TRUJILLO: &str = "-8.1116,-79.0288";
const TRUJILLO_2: &str = "-8.0900,-79.0400";

fn home(v: &Value, id: &str) -> [f64; 4] {
    let c = v["cities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no city {id}: {v}"));
    let h: Vec<f64> = c["home"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    [h[0], h[1], h[2], h[3]]
}

fn inside(h: [f64; 4], lon: f64, lat: f64) -> bool {
    (h[0]..=h[2]).contains(&lon) && (h[1]..=h[3]).contains(&lat)
}

#[tokio::test]
async fn both_cities_are_listed_each_with_its_home_view_and_streets() {
    let (s, v, _) = get("/v1/cities").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let cities = v["cities"].as_array().unwrap();
    assert_eq!(cities.len(), 2, "{v}");
    assert_eq!(cities[0]["id"], "arequipa");
    assert_eq!(cities[0]["name"], "Arequipa");
    assert_eq!(cities[0]["stops"], 6711);
    assert_eq!(cities[0]["streets"], false);
    assert_eq!(cities[1]["id"], "trujillo");
    assert_eq!(cities[1]["stops"], 4067);
    assert_eq!(cities[1]["streets"], true, "Trujillo walks on its streets");
    // Each home view holds its city's centre and not the other's.
    let (a, t) = (home(&v, "arequipa"), home(&v, "trujillo"));
    assert!(inside(a, -71.5369, -16.3989) && !inside(a, -79.0288, -8.1116));
    assert!(inside(t, -79.0288, -8.1116) && !inside(t, -71.5369, -16.3989));
}

#[tokio::test]
async fn a_plan_from_one_city_to_the_other_is_refused_in_the_riders_language() {
    for (lang, word) in [("es", "ciudad"), ("en", "city"), ("qu", "llaqta")] {
        for (from, to) in [(AREQUIPA, TRUJILLO), (TRUJILLO, AREQUIPA)] {
            let (s, v, _) = get(&format!(
                "/v1/plan?from={from}&to={to}&at=2026-11-23T08:00&lang={lang}"
            ))
            .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            let d = v["detail"].as_str().unwrap();
            assert!(
                d.contains("Arequipa") && d.contains("Trujillo") && d.contains(word),
                "{d}"
            );
        }
    }
    // By stop ids too.
    let (_, a, _) = get("/v1/stops/near?lat=-16.3989&lon=-71.5369&radius=500&limit=1").await;
    let (_, t, _) = get("/v1/stops/near?lat=-8.1116&lon=-79.0288&radius=500&limit=1").await;
    let (a, t) = (
        a["stops"][0]["id"].as_str().unwrap(),
        t["stops"][0]["id"].as_str().unwrap(),
    );
    let (s, v, _) = get(&format!("/v1/plan?from={a}&to={t}&at=2026-11-23T08:00")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn a_plan_within_a_city_is_served_and_trujillos_walks_follow_its_streets() {
    let (s, v, _) = get(&format!(
        "/v1/plan?from={TRUJILLO}&to={TRUJILLO_2}&at=2026-11-23T08:00&city=trujillo"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let its = v["itineraries"].as_array().unwrap();
    assert!(!its.is_empty(), "{v}");
    let street_walks = its
        .iter()
        .flat_map(|i| i["legs"].as_array().unwrap())
        .filter(|l| l["mode"] == "walk" && l["distance_m"].as_u64().unwrap_or(0) > 50)
        .filter(|l| l["geometry"]["coordinates"].as_array().unwrap().len() > 2)
        .count();
    assert!(street_walks > 0, "walks follow the streets: {v}");
    let (s, v, _) = get(&format!(
        "/v1/plan?from={AREQUIPA}&to={AREQUIPA_2}&at=2026-11-23T08:00&city=arequipa"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Both ends in Trujillo, but the rider is in Arequipa: told to change the city.
    let (s, v, _) = get(&format!(
        "/v1/plan?from={TRUJILLO}&to={TRUJILLO_2}&at=2026-11-23T08:00&city=arequipa"
    ))
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("cambia de ciudad"),
        "{v}"
    );
}

#[tokio::test]
async fn searches_maps_and_bundles_stay_within_the_city_asked_for() {
    let (_, cities, _) = get("/v1/cities").await;
    for (city, other) in [("arequipa", "trujillo"), ("trujillo", "arequipa")] {
        let (h, elsewhere) = (home(&cities, city), home(&cities, other));
        let (s, v, _) = get(&format!("/v1/places?q=plaza&limit=10&city={city}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let places = v["places"].as_array().unwrap();
        assert!(!places.is_empty(), "{city}: {v}");
        for p in places {
            // In the city (its streets reach past its stops: Huanchaco's plaza is Trujillo's).
            let (lon, lat) = (p["lon"].as_f64().unwrap(), p["lat"].as_f64().unwrap());
            assert!(!inside(elsewhere, lon, lat), "{city}: {p}");
            assert!((lat - (h[1] + h[3]) / 2.0).abs() < 1.0, "{city}: {p}");
        }
        let (s, v, _) = get(&format!("/v1/stops?q=av&limit=50&city={city}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let prefix = format!("{city}:");
        for st in v["stops"].as_array().unwrap() {
            assert!(st["id"].as_str().unwrap().starts_with(&prefix), "{st}");
        }
        for r in v["routes"].as_array().unwrap() {
            assert!(r["id"].as_str().unwrap().starts_with(&prefix), "{r}");
        }
        let (s, v, _) = get(&format!("/v1/network?city={city}")).await;
        assert_eq!(s, StatusCode::OK);
        let features = v["features"].as_array().unwrap();
        assert!(!features.is_empty());
        for f in features {
            assert!(
                f["properties"]["id"].as_str().unwrap().starts_with(&prefix),
                "{f}"
            );
        }
        let b: Vec<f64> = v["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert!(inside(h, (b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0), "{b:?}");
        let (s, v, _) = get(&format!("/v1/routes?city={city}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            v["routes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["id"].as_str().unwrap().starts_with(&prefix))
        );
        let (s, v, _) = get(&format!("/v1/offline?city={city}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let feeds: Vec<&str> = v["bundles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["feed"].as_str().unwrap())
            .collect();
        assert_eq!(feeds, [city]);
        // The page at the city's address opens on it.
        let (s, _, html) = get(&format!("/{city}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains(&format!("data-city=\"{city}\"")), "{city}");
        assert!(!html.contains(&format!("data-city=\"{other}\"")));
    }
    // Without a city, both networks.
    let (_, v, _) = get("/v1/stops?q=av&limit=100").await;
    let ids: Vec<&str> = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.iter().any(|i| i.starts_with("arequipa:"))
            && ids.iter().any(|i| i.starts_with("trujillo:")),
        "{ids:?}"
    );
}

#[tokio::test]
async fn an_unknown_city_is_a_not_found_naming_those_served_never_echoed_into_a_page() {
    for uri in [
        "/v1/places?q=plaza&city=lima",
        "/v1/stops?q=av&city=lima",
        "/v1/network?city=lima",
        "/v1/routes?city=lima",
        "/v1/offline?city=lima",
        "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&city=lima",
        "/lima",
    ] {
        let (s, v, _) = get(uri).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}: {v}");
        assert!(
            v["detail"].as_str().unwrap().contains("arequipa, trujillo"),
            "{uri}: {v}"
        );
    }
    // A city's address typed in capitals leads to it, with the query.
    let res = server::app(two_cities())
        .oneshot(
            Request::get("/Trujillo?lang=qu")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.headers()["location"], "/trujillo?lang=qu");
    for uri in [
        "/%3Cscript%3E",
        "/v1/network?city=%22%3E%3Cscript%3E",
        "/Lima",
    ] {
        let (s, _, body) = get(uri).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        assert!(!body.contains("<script>"), "{uri}: {body}");
    }
    // The server's own pages keep their addresses.
    for uri in ["/reportar", "/docs", "/observatorio"] {
        let (s, _, _) = get(uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
    }
}

#[tokio::test]
async fn each_feeds_validity_is_shown_and_measured() {
    let (s, v, _) = get("/v1/feeds").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for f in v["feeds"].as_array().unwrap() {
        // Both shipped feeds say they hold until 2100 (feed_info.txt).
        assert_eq!(f["feed_end_date"], "2100-01-01", "{f}");
        assert!(f["days_left"].as_i64().unwrap() > 20_000, "{f}");
        assert_eq!(f["expiring"], false, "{f}");
    }
    let (s, _, text) = get("/metrics").await;
    assert_eq!(s, StatusCode::OK);
    for feed in ["arequipa", "trujillo"] {
        assert!(
            text.contains(&format!("paradero_feed_expiring{{feed=\"{feed}\"}} 0")),
            "{text}"
        );
        assert!(text.contains(&format!("paradero_feed_days_left{{feed=\"{feed}\"}}")));
    }
}
