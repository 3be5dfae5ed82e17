//! The HTTP API through `app().oneshot(…)`: every endpoint, its errors, and RFC 9457 bodies.

use app::Dataset;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use server::{AppState, Settings, app};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

mod attacks;
mod categories_as_data;
mod cities;
mod contract;
mod cross_site;
mod faults;
mod hardening;
mod live;
mod observatory;
mod offline;
mod photos;
mod places;
mod safety;
mod streets;
mod surveys_as_data;

pub fn state() -> Arc<AppState> {
    static STATE: OnceLock<Arc<AppState>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let feed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/arequipa.zip");
            let tt = gtfs::load(
                &[gtfs::FeedSpec::from_path(feed)],
                &gtfs::LoadConfig::default(),
            )
            .unwrap()
            .timetable;
            AppState::new(
                app::App::new(
                    Dataset {
                        timetable: Arc::new(tt),
                        streets: None,
                        places: None,
                        loaded_at: std::time::SystemTime::now(),
                    },
                    app::Settings::default(),
                ),
                Settings::default(),
            )
        })
        .clone()
}

/// São Paulo's sample feed with the shipped extract of central São Paulo: walks follow the
/// streets, places are found on them, the map has tiles.
pub fn sao_paulo() -> Arc<AppState> {
    static STATE: OnceLock<Arc<AppState>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let feeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds");
            let city = app::city::load(
                &[gtfs::FeedSpec {
                    id: "sp".into(),
                    path: feeds.join("sao-paulo.zip"),
                }],
                &gtfs::LoadConfig::default(),
                &[feeds.join("sao-paulo.osm.pbf")],
                app::city::StreetsLoad {
                    snap_m: 100.0,
                    max_osm_mib: 64,
                    access_radius_m: planner::PlannerConfig::default().access_radius_m,
                },
            )
            .unwrap();
            AppState::new(
                app::App::new(app::city::dataset(city), app::Settings::default()),
                Settings::default(),
            )
        })
        .clone()
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A fresh state over the shared timetable with the observatory on `store`.
pub fn with_store(store: store::Store, settings: Settings) -> (Arc<AppState>, Arc<app::Obs>) {
    let obs = app::Obs::start(store, app::ObservatorySettings::default());
    let state = with_obs(obs.clone(), settings);
    (state, obs)
}

/// A fresh state over the shared timetable with other HTTP settings.
pub fn with_settings(settings: Settings) -> Arc<AppState> {
    with_app(app::Settings::default(), settings)
}

/// A fresh state over the shared timetable with the observatory `obs`.
pub fn with_obs(obs: Arc<app::Obs>, settings: Settings) -> Arc<AppState> {
    with_app(
        app::Settings {
            observatory: Some(obs),
            ..app::Settings::default()
        },
        settings,
    )
}

/// A fresh state over the shared timetable with application and HTTP settings.
pub fn with_app(app_settings: app::Settings, settings: Settings) -> Arc<AppState> {
    AppState::new(
        app::App::new(
            Dataset {
                timetable: state().dataset().timetable.clone(),
                streets: None,
                places: None,
                loaded_at: std::time::SystemTime::now(),
            },
            app_settings,
        ),
        settings,
    )
}

async fn get(uri: &str) -> (StatusCode, String, Value) {
    let res = app(state())
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, ctype, json)
}

const FROM: &str = "-16.3989,-71.5369";
const TO: &str = "-16.4250,-71.5200";

#[tokio::test]
async fn health_and_feeds() {
    let (s, _, v) = get("/healthz").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "ok");
    let (s, _, v) = get("/v1/feeds").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["feeds"][0]["id"], "arequipa");
    assert_eq!(v["feeds"][0]["stops"], 6711);
    assert_eq!(v["feeds"][0]["routes"], 192);
    assert_eq!(v["feeds"][0]["timezone"], "America/Lima");
}

#[tokio::test]
async fn plan_depart_arrive_and_window() {
    let (s, ctype, v) = get(&format!("/v1/plan?from={FROM}&to={TO}&at=2026-11-23T08:00")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(ctype.starts_with("application/json"));
    let its = v["itineraries"].as_array().unwrap();
    assert!(!its.is_empty());
    assert!(
        its.iter()
            .all(|it| it["departure"].as_str().unwrap() >= "2026-11-23T08:00:00-05:00")
    );
    assert!(its.iter().any(|it| {
        it["legs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["mode"] == "ride")
    }));
    let (s, _, v) = get(&format!(
        "/v1/plan?from={FROM}&to={TO}&arrive_by=2026-11-23T09:00&lang=en"
    ))
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v["itineraries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|it| it["arrival"].as_str().unwrap() <= "2026-11-23T09:00:00-05:00")
    );
    let (s, _, w) = get(&format!("/v1/plan?from={FROM}&to={TO}&at=2026-11-23T08:00&window=30m&wheelchair=false&max_transfers=3")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(w["itineraries"].as_array().unwrap().len() > its.len());
}

#[tokio::test]
async fn plan_errors_are_problems() {
    let cases = [
        ("/v1/plan", 400, "`from`"),
        (&format!("/v1/plan?from={FROM}") as &str, 400, "`to`"),
        (&format!("/v1/plan?from=95,1&to={TO}"), 400, "95,1"),
        (&format!("/v1/plan?from=nope&to={TO}"), 404, "nope"),
        (
            &format!("/v1/plan?from=-12.05,-77.04&to={TO}"),
            422,
            "749.7 km",
        ),
        (
            &format!("/v1/plan?from={FROM}&to={FROM}"),
            422,
            "mismo lugar",
        ),
        (
            &format!("/v1/plan?from={FROM}&to={TO}&at=2026-13-01T08:00"),
            400,
            "2026-13-01",
        ),
        (
            &format!("/v1/plan?from={FROM}&to={TO}&at=25:00"),
            400,
            "25:00",
        ),
        (
            &format!("/v1/plan?from={FROM}&to={TO}&at=08:00&arrive_by=09:00"),
            422,
            "`arrive_by`, no ambos",
        ),
        (
            &format!("/v1/plan?from={FROM}&to={TO}&window=forever"),
            400,
            "forever",
        ),
        (
            &format!("/v1/plan?from={FROM}&to={TO}&max_transfers=99"),
            400,
            "max_transfers",
        ),
        (
            &format!("/v1/plan?from={FROM}&to={TO}&wheelchair=maybe"),
            400,
            "maybe",
        ),
        (&format!("/v1/plan?from={FROM}&to={TO}&lang=fr"), 400, "fr"),
        ("/v1/plan?from=%zz", 400, "from=%zz"),
        ("/v1/nothing", 404, "/docs"),
    ];
    for (uri, status, needle) in cases {
        let (s, ctype, v) = get(uri).await;
        assert_eq!(s.as_u16(), status, "{uri}: {v}");
        assert_eq!(ctype, "application/problem+json", "{uri}");
        assert_eq!(v["status"], status);
        assert!(v["detail"].as_str().unwrap().contains(needle), "{uri}: {v}");
    }
}

#[tokio::test]
async fn stops_near_search_and_departures() {
    let (s, _, v) = get("/v1/stops/near?lat=-16.3989&lon=-71.5369&radius=300").await;
    assert_eq!(s, StatusCode::OK);
    let stops = v["stops"].as_array().unwrap();
    assert!(!stops.is_empty());
    let d: Vec<f64> = stops
        .iter()
        .map(|s| s["distance_m"].as_f64().unwrap())
        .collect();
    assert!(
        d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|&x| x <= 300.0),
        "nearest first, within the radius"
    );
    for bad in [
        "/v1/stops/near",
        "/v1/stops/near?lat=abc&lon=1",
        "/v1/stops/near?lat=-16.4&lon=-71.5&radius=99999",
    ] {
        assert_eq!(get(bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Accent- and case-insensitive.
    let (s, _, v) = get("/v1/stops?q=CALLE%20VILLALBA").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v["stops"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Calle Villalba"),
        "{v}"
    );
    let (_, _, v) = get("/v1/stops?q=pachacutec").await;
    assert!(
        !v["routes"].as_array().unwrap().is_empty(),
        "route names lead to their stops"
    );
    assert_eq!(get("/v1/stops?q=a").await.0, StatusCode::BAD_REQUEST);
    let id = stops[0]["id"].as_str().unwrap().to_string();
    let (s, _, v) = get(&format!(
        "/v1/stops/{id}/departures?at=2026-11-23T08:00&limit=5"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let deps = v["departures"].as_array().unwrap();
    assert!(!deps.is_empty() && deps.len() <= 5);
    // RFC 3339 with the feed's offset, as OpenTripPlanner and MOTIS write times.
    for d in deps {
        let t = d["departure"].as_str().unwrap();
        assert!(t.starts_with("2026-11-23T") && t.ends_with("-05:00"), "{t}");
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{t}");
    }
    assert!(
        deps.iter()
            .all(|d| d["wait_min"].as_i64().unwrap() >= 0 && d["headway_s"].as_u64().is_some())
    );
    assert_eq!(
        get("/v1/stops/nope/departures").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("/v1/stops/{id}/departures?limit=0")).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn routes_with_geometry() {
    let (s, _, v) = get("/v1/routes").await;
    assert_eq!(s, StatusCode::OK);
    let routes = v["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 192);
    let id = routes[0]["id"].as_str().unwrap();
    let (s, _, r) = get(&format!("/v1/routes/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["geometry"]["type"], "LineString");
    assert!(r["geometry"]["coordinates"].as_array().unwrap().len() > 10);
    assert!(!r["stops"].as_array().unwrap().is_empty());
    assert_eq!(get("/v1/routes/nope").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn swapping_the_timetable_is_atomic() {
    // A tiny timetable swapped in; a fresh state so other tests keep Arequipa.
    let st = with_settings(Settings::default());
    let tiny = timetable::text::parse("route R: A 08:00 B 08:10\n").unwrap();
    let before = st.dataset();
    st.app().swap(Dataset {
        timetable: Arc::new(tiny),
        streets: None,
        places: None,
        loaded_at: std::time::SystemTime::now(),
    });
    assert_eq!(
        before.timetable.stops().len(),
        6711,
        "a request holding the old dataset keeps it"
    );
    let res = app(st)
        .oneshot(
            Request::builder()
                .uri("/healthz")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let v: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["stops"], 2);
}

#[tokio::test]
async fn plan_legs_carry_geometry_along_the_route() {
    let (_, _, v) = get(&format!("/v1/plan?from={FROM}&to={TO}&at=2026-11-23T08:00")).await;
    for it in v["itineraries"].as_array().unwrap() {
        for leg in it["legs"].as_array().unwrap() {
            let coords = leg["geometry"]["coordinates"].as_array().unwrap();
            assert_eq!(leg["geometry"]["type"], "LineString");
            assert!(coords.len() >= 2);
            if leg["mode"] == "ride" {
                // The line starts at the boarding stop and ends at the alighting stop.
                let first = &coords[0];
                let last = &coords[coords.len() - 1];
                assert_eq!(
                    (first[0].as_f64(), first[1].as_f64()),
                    (leg["board"]["lon"].as_f64(), leg["board"]["lat"].as_f64())
                );
                assert_eq!(
                    (last[0].as_f64(), last[1].as_f64()),
                    (leg["alight"]["lon"].as_f64(), leg["alight"]["lat"].as_f64())
                );
                assert!(coords.len() > 2, "cut from the shape, not a straight line");
            }
        }
    }
}

#[tokio::test]
async fn metrics_count_requests_per_endpoint_template() {
    let st = with_settings(Settings::default());
    for uri in [
        "/healthz",
        "/healthz",
        "/v1/stops/nope/departures",
        &format!("/v1/plan?from={FROM}&to={TO}&at=2026-11-23T08:00"),
    ] {
        app(st.clone())
            .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
    }
    let res = app(st)
        .oneshot(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(
        text.contains("paradero_http_requests_total{endpoint=\"/healthz\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(
        text.contains(
            "paradero_http_requests_total{endpoint=\"/v1/stops/{id}/departures\",status=\"404\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("paradero_http_request_duration_seconds_count{endpoint=\"/v1/plan\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("paradero_routing_duration_seconds_count 1"),
        "{text}"
    );
    assert!(text.contains("paradero_feed_loaded_timestamp_seconds "));
    assert!(
        !text.contains("nope") && !text.contains("-16.39"),
        "no ids or coordinates from requests in metrics"
    );
}

#[tokio::test]
async fn reload_needs_the_admin_token_and_swaps_the_timetable() {
    let tiny = || timetable::text::parse("route R: A 08:00 B 08:10\n").unwrap();
    let st = with_app(
        app::Settings {
            loader: Some(Arc::new(move || {
                Ok(Dataset {
                    timetable: Arc::new(tiny()),
                    streets: None,
                    places: None,
                    loaded_at: std::time::SystemTime::now(),
                })
            })),
            ..app::Settings::default()
        },
        Settings {
            admin_token: Some("s3cret".into()),
            ..Settings::default()
        },
    );
    let post = |auth: Option<&str>| {
        let mut b = Request::builder().method("POST").uri("/v1/admin/reload");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Body::empty()).unwrap()
    };
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("s3cret"),
        Some("Bearer s3cre"),
    ] {
        let res = app(st.clone()).oneshot(post(auth)).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
    }
    assert_eq!(
        st.dataset().timetable.stops().len(),
        6711,
        "nothing reloaded without the token"
    );
    let res = app(st.clone())
        .oneshot(post(Some("Bearer s3cret")))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(st.dataset().timetable.stops().len(), 2);
    // A failing loader keeps the old timetable.
    let st = with_app(
        app::Settings {
            loader: Some(Arc::new(|| Err("feed missing".to_string()))),
            ..app::Settings::default()
        },
        Settings {
            admin_token: Some("t".into()),
            ..Settings::default()
        },
    );
    let res = app(st.clone())
        .oneshot(
            Request::builder()
                .method("POST")
                .uri("/v1/admin/reload")
                .header(header::AUTHORIZATION, "Bearer t")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(st.dataset().timetable.stops().len(), 6711);
    // Without a configured token the endpoint does not exist.
    assert_eq!(
        app(state())
            .oneshot(post(Some("Bearer x")))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cors_only_for_configured_origins() {
    let ask = |st: Arc<AppState>| async move {
        let req = Request::builder()
            .uri("/healthz")
            .header(header::ORIGIN, "https://example.org")
            .body(Body::empty())
            .unwrap();
        app(st)
            .oneshot(req)
            .await
            .unwrap()
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(ask(state()).await, None, "no CORS by default");
    let allowed = with_settings(Settings {
        cors_origins: vec!["https://example.org".into()],
        ..Settings::default()
    });
    assert_eq!(ask(allowed).await.as_deref(), Some("https://example.org"));
    let other = with_settings(Settings {
        cors_origins: vec!["https://other.org".into()],
        ..Settings::default()
    });
    assert_eq!(ask(other).await, None);
    let any = with_settings(Settings {
        cors_origins: vec!["*".into()],
        ..Settings::default()
    });
    assert_eq!(ask(any).await.as_deref(), Some("*"));
}

#[tokio::test]
async fn rate_limit_per_client_address() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let st = with_settings(Settings {
        rate_limit: server::RateLimit {
            per_minute: 60,
            burst: 2,
            trust_forwarded_for: false,
        },
        ..Settings::default()
    });
    let ask = |peer: &str, forwarded: Option<&str>| {
        let st = st.clone();
        let peer: SocketAddr = peer.parse().unwrap();
        let forwarded = forwarded.map(str::to_string);
        async move {
            let mut req = Request::builder().uri("/v1/stops/near?lat=-16.3964&lon=-71.5385");
            if let Some(f) = forwarded {
                req = req.header("x-forwarded-for", f);
            }
            let mut req = req.body(Body::empty()).unwrap();
            req.extensions_mut().insert(ConnectInfo(peer));
            app(st).oneshot(req).await.unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(ask("10.1.1.1:5000", None).await.status(), StatusCode::OK);
    }
    let refused = ask("10.1.1.1:5001", None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        refused.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    // Another address is unaffected; X-Forwarded-For is ignored unless trusted.
    assert_eq!(ask("10.1.1.2:5000", None).await.status(), StatusCode::OK);
    assert_eq!(
        ask("10.1.1.1:5002", Some("192.0.2.7")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn rate_limit_behind_a_trusted_proxy() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let st = with_settings(Settings {
        rate_limit: server::RateLimit {
            per_minute: 60,
            burst: 0,
            trust_forwarded_for: true,
        },
        ..Settings::default()
    });
    let ask = |forwarded: &str| {
        let st = st.clone();
        let forwarded = forwarded.to_string();
        async move {
            let mut req = Request::builder()
                .uri("/healthz")
                .header("x-forwarded-for", forwarded)
                .body(Body::empty())
                .unwrap();
            let proxy: SocketAddr = "127.0.0.1:9000".parse().unwrap();
            req.extensions_mut().insert(ConnectInfo(proxy));
            app(st).oneshot(req).await.unwrap().status()
        }
    };
    // The proxy appends the address it saw; a client cannot escape by prepending others.
    assert_eq!(ask("203.0.113.5").await, StatusCode::OK);
    assert_eq!(
        ask("1.2.3.4, 203.0.113.5").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(ask("203.0.113.6").await, StatusCode::OK);
}

/// Whole plan answers compared with files in `tests/golden/`; `PARADERO_BLESS=1` rewrites them.
#[tokio::test]
async fn golden_plans() {
    let cases = [
        ("plan-centre-south-0800", format!("/v1/plan?from={FROM}&to={TO}&at=2026-11-23T08:00")),
        ("plan-centre-south-arrive-0900-en", format!("/v1/plan?from={FROM}&to={TO}&arrive_by=2026-11-23T09:00&lang=en")),
        ("plan-stop-to-coordinate-wheelchair", "/v1/plan?from=arequipa:1252917034&to=-16.4100,-71.5300&at=2026-11-23T17:30&wheelchair=true".to_string()),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("PARADERO_BLESS").is_some();
    for (name, uri) in cases {
        let (status, _, v) = get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{name}: {v}");
        let got = serde_json::to_string_pretty(&v).unwrap() + "\n";
        let file = dir.join(format!("{name}.json"));
        if bless {
            std::fs::write(&file, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&file)
            .unwrap_or_else(|_| panic!("{} missing: run with PARADERO_BLESS=1", file.display()));
        assert!(
            got == want,
            "{name} differs from {} (PARADERO_BLESS=1 to accept)",
            file.display()
        );
    }
}

async fn get_raw(
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app(state())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let h = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, h, bytes)
}

#[tokio::test]
async fn riders_page_in_the_riders_language_with_its_assets() {
    let (s, h, body) = get_raw("/", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(h.contains_key(header::CONTENT_SECURITY_POLICY));
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("<html lang=\"es\">"));
    assert!(page.contains(&i18n::t(i18n::Lang::Es, "web.search", &[])));
    assert!(!page.contains("{{"), "an unfilled placeholder");
    // English by Accept-Language or ?lang=; ?lang= wins.
    let (_, _, en) = get_raw("/", &[("accept-language", "en-GB,en;q=0.9")]).await;
    let en = String::from_utf8(en).unwrap();
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains(&i18n::t(i18n::Lang::En, "web.search", &[])));
    let (_, _, es) = get_raw("/?lang=es", &[("accept-language", "en")]).await;
    assert!(
        String::from_utf8(es)
            .unwrap()
            .contains("<html lang=\"es\">")
    );
    // Every asset the page names is served, with a long cache life; nothing from elsewhere.
    let assets: Vec<&str> = page
        .split(['"', '\''])
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(assets.len() >= 4, "{assets:?}");
    for a in assets {
        let (s, h, body) = get_raw(a, &[]).await;
        assert_eq!(s, StatusCode::OK, "{a}");
        assert!(!body.is_empty(), "{a}");
        assert!(
            h[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external resources"
    );
    let (s, _, _) = get_raw("/assets/nope.js", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn network_map_covers_every_route_compactly() {
    let (s, h, body) = get_raw("/v1/network", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/geo+json");
    let v: Value = serde_json::from_slice(&body).unwrap();
    let tt = state().dataset().timetable.clone();
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), tt.routes().len(), "one feature per route");
    let bbox: Vec<f64> = serde_json::from_value(v["bbox"].clone()).unwrap();
    let mut points = 0;
    for f in features {
        for line in f["geometry"]["coordinates"].as_array().unwrap() {
            for p in line.as_array().unwrap() {
                let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                assert!(lon >= bbox[0] - 0.05 && lon <= bbox[2] + 0.05, "{lon}");
                assert!(lat >= bbox[1] - 0.05 && lat <= bbox[3] + 0.05, "{lat}");
                points += 1;
            }
        }
    }
    let shape_points: usize = tt.shapes().iter().map(|s| s.points.len()).sum();
    assert!(
        points * 2 < shape_points,
        "{points} of {shape_points} points kept"
    );
    // Built once per timetable: a second answer is the same bytes.
    let (_, _, again) = get_raw("/v1/network", &[]).await;
    assert_eq!(again, body);
}

#[tokio::test]
async fn openapi_document_lists_every_api_route() {
    let (s, _, body) = get_raw("/openapi.json", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/plan",
        "/v1/stops",
        "/v1/stops/near",
        "/v1/stops/{id}/departures",
        "/v1/routes",
        "/v1/routes/{id}",
        "/v1/network",
        "/v1/feeds",
        "/healthz",
        "/metrics",
        "/v1/admin/reload",
        "/v1/reports",
        "/v1/reports/{reference}",
        "/v1/reports/{reference}/status",
        "/v1/surveys",
        "/v1/ratings",
        "/v1/observatory/indicators",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    // Every documented GET answers something other than 404-for-no-such-endpoint and 500.
    for (path, item) in paths {
        if item.get("get").is_none() {
            continue;
        }
        let uri = path
            .replace("{id}", "nope")
            .replace("{reference}", "R-NOPE2345")
            .replace("/v1/stops/near", "/v1/stops/near?lat=-16.4&lon=-71.53");
        let (s, _, body) = get_raw(&uri, &[]).await;
        assert!(s.as_u16() < 500, "{uri}: {s}");
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("no such endpoint"),
            "{uri} is documented but not routed"
        );
    }
    let plan = &paths["/v1/plan"]["get"];
    let names: Vec<&str> = plan["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for n in [
        "from",
        "to",
        "at",
        "arrive_by",
        "window",
        "wheelchair",
        "max_transfers",
        "max_walk_m",
        "lang",
    ] {
        assert!(names.contains(&n), "/v1/plan lacks {n}");
    }
    let (s, h, _) = get_raw("/docs", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
}

/// The document promises no value the handlers refuse: every GET with examples for its
/// required parameters is asked with each documented enum value and at each documented bound of
/// every other query parameter, and none of them is answered 400.
#[tokio::test]
async fn every_value_the_document_allows_is_accepted() {
    let (_, _, body) = get_raw("/openapi.json", &[]).await;
    let doc: Value = serde_json::from_slice(&body).unwrap();
    let enc = |v: &str| v.replace(':', "%3A").replace(',', "%2C");
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(params) = item["get"]["parameters"].as_array() else {
            continue;
        };
        let example = |p: &Value| -> Option<String> {
            let e = p.get("example")?;
            Some(e.as_str().map_or_else(|| e.to_string(), str::to_string))
        };
        let mut uri = path.clone();
        let mut base = Vec::new();
        let mut complete = true;
        for p in params.iter().filter(|p| p["required"] == true) {
            let name = p["name"].as_str().unwrap();
            match (p["in"].as_str(), example(p)) {
                (Some("path"), Some(e)) => uri = uri.replace(&format!("{{{name}}}"), &enc(&e)),
                (Some("query"), Some(e)) => base.push(format!("{name}={}", enc(&e))),
                _ => complete = false,
            }
        }
        if !complete {
            continue;
        }
        for p in params
            .iter()
            .filter(|p| p["required"] != true && p["in"] == "query")
        {
            let name = p["name"].as_str().unwrap();
            let schema = &p["schema"];
            let mut values: Vec<String> = schema["enum"]
                .as_array()
                .map(|v| v.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            for bound in ["minimum", "maximum"] {
                if let Some(b) = schema[bound].as_f64() {
                    values.push(if b.fract() == 0.0 {
                        format!("{}", b as i64)
                    } else {
                        b.to_string()
                    });
                }
            }
            for v in values {
                let mut q = base.clone();
                q.push(format!("{name}={}", enc(&v)));
                let full = format!("{uri}?{}", q.join("&"));
                let (s, _, body) = get_raw(&full, &[]).await;
                assert_ne!(
                    s,
                    StatusCode::BAD_REQUEST,
                    "{full}: the document allows {name}={v}, the handler refused it: {}",
                    String::from_utf8_lossy(&body)
                );
                tried += 1;
            }
        }
    }
    assert!(tried >= 20, "only {tried} documented values tried");
}

#[tokio::test]
async fn reload_without_any_token_is_401_as_documented() {
    let req = Request::builder()
        .method("POST")
        .uri("/v1/admin/reload")
        .body(Body::empty())
        .unwrap();
    let res = app(state()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
