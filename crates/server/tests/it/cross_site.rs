//! Requests other sites' pages can make a visitor's browser send: refused. CORS preflights
//! for what the API takes: answered for allowed origins.

use app::Obs;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use server::{AppState, Settings, app};
use std::sync::Arc;
use tower::ServiceExt;

struct Env {
    state: Arc<AppState>,
    obs: Arc<Obs>,
    _dir: tempfile::TempDir,
}

async fn env(cors_origins: &[&str]) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::open_at(&store::Location::Sqlite(dir.path().join("o.db")))
        .await
        .unwrap();
    let (state, obs) = super::with_store(
        store,
        Settings {
            cors_origins: cors_origins.iter().map(|s| s.to_string()).collect(),
            ..Settings::default()
        },
    );
    Env {
        state,
        obs,
        _dir: dir,
    }
}

impl Env {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "paradero.example");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = app(self.state.clone())
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn stored(&self) -> usize {
        self.obs
            .store()
            .reports(&store::ReportFilter {
                from: 0,
                to: i64::MAX,
                status: None,
                category: None,
                limit: 1000,
            })
            .await
            .unwrap()
            .len()
    }
}

const REPORT: &str = r#"{"category": "robo", "lat": -16.3989, "lon": -71.5369}"#;
const FORM: &str = "service_code=robo&lat=-16.3989&long=-71.5369&description=x";

#[tokio::test]
async fn json_endpoints_take_json_only() {
    let e = env(&[]).await;
    let evil = ("origin", "https://evil.example");
    for ctype in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let (s, h, body) = e
            .send(
                "POST",
                "/v1/reports",
                &[(header::CONTENT_TYPE.as_str(), ctype), evil],
                REPORT,
            )
            .await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ctype}: {body}");
        assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
        assert!(body.contains("application/json"), "{body}");
    }
    let (s, _, _) = e
        .send("POST", "/v1/surveys", &[evil], r#"{"safety": 1}"#)
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(e.stored().await, 0, "nothing stored");
    // With its media type (parameters allowed), from anywhere: a browser would have asked
    // first (a preflight), so this is not a page's forged request.
    let (s, _, body) = e
        .send(
            "POST",
            "/v1/reports",
            &[(
                header::CONTENT_TYPE.as_str(),
                "application/json; charset=utf-8",
            )],
            REPORT,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(e.stored().await, 1);
}

#[tokio::test]
async fn open311_forms_from_other_sites_are_refused() {
    let e = env(&["https://city.example"]).await;
    let form = (
        header::CONTENT_TYPE.as_str(),
        "application/x-www-form-urlencoded",
    );
    let uri = "/open311/v2/requests.json";
    let (s, _, body) = e
        .send(
            "POST",
            uri,
            &[form, ("origin", "https://evil.example")],
            FORM,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("evil.example"), "{body}");
    assert_eq!(e.stored().await, 0);
    // Clients that are not browsers send no Origin; our own page and allowed origins pass.
    for origin in [
        None,
        Some("https://paradero.example"),
        Some("https://city.example"),
    ] {
        let mut headers = vec![form];
        if let Some(o) = origin {
            headers.push(("origin", o));
        }
        let (s, _, body) = e.send("POST", uri, &headers, FORM).await;
        assert_eq!(s, StatusCode::CREATED, "{origin:?}: {body}");
    }
    assert_eq!(e.stored().await, 3);
}

#[tokio::test]
async fn preflights_for_deletes_tokens_and_keys_succeed_for_allowed_origins() {
    let e = env(&["https://city.example"]).await;
    let ask = |origin: &'static str, method: &'static str, headers: &'static str| {
        [
            ("origin", origin),
            ("access-control-request-method", method),
            ("access-control-request-headers", headers),
        ]
    };
    for (method, uri, headers) in [
        ("DELETE", "/v1/reports/R-ABC", "content-type"),
        ("POST", "/v1/reports", "content-type,idempotency-key"),
        (
            "POST",
            "/v1/reports/R-ABC/status",
            "authorization,content-type",
        ),
        ("GET", "/v1/reports", "authorization"),
    ] {
        let (s, h, _) = e
            .send(
                "OPTIONS",
                uri,
                &ask("https://city.example", method, headers),
                "",
            )
            .await;
        assert!(s.is_success(), "{method} {uri}: {s}");
        assert_eq!(
            h["access-control-allow-origin"], "https://city.example",
            "{method} {uri}"
        );
        let methods = h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .to_lowercase();
        assert!(methods.contains(&method.to_lowercase()), "{methods}");
        let allowed = h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase();
        for want in headers.split(',') {
            assert!(allowed.contains(want), "{want} not in {allowed}");
        }
    }
    // Another origin gets no permission.
    let (_, h, _) = e
        .send(
            "OPTIONS",
            "/v1/reports/R-ABC",
            &ask("https://evil.example", "DELETE", "content-type"),
            "",
        )
        .await;
    assert!(h.get("access-control-allow-origin").is_none());
}
