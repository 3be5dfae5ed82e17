//! What a second round of attacks broke at the HTTP door, each on both backends where a
//! database is involved: NUL bytes (which PostgreSQL cannot store) are a 400 naming the field;
//! control characters never make an Open311 XML answer unparseable; bearer schemes and media
//! types are case-insensitive; a place search is bounded; the lookups' 429 speaks Open311 and
//! the asker's language.

use super::observatory::Backend;
use super::surveys_as_data::{Env, both, env_on};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::app;
use tower::ServiceExt;

impl Env {
    /// A raw call as one client: any content type, status, type and text of the answer.
    async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, String, String) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut req = req.body(Body::from(body.to_string())).unwrap();
        req.extensions_mut().insert(ConnectInfo(
            "198.51.100.4:4000".parse::<std::net::SocketAddr>().unwrap(),
        ));
        let res = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let ctype = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, ctype, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn json(
        &self,
        method: &str,
        uri: &str,
        auth: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let auth = auth.map(|t| format!("Bearer {t}"));
        let mut h = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            h.push(("authorization", a.as_str()));
        }
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (s, _, text) = self.send(method, uri, &h, &body).await;
        (s, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// An official's raw token (the shared `token` gives the header's value).
    async fn raw_token(&self, name: &str, role: store::Role) -> String {
        self.obs
            .store()
            .create_official(name, role, 0)
            .await
            .unwrap()
    }
}

/// Every way a NUL reaches the server — a JSON field, a form field of Open311, a query
/// parameter of an official's filter, an id in the path, an admin's category name — is a 400
/// that names the field, in the asker's language: never a 503 from the database (PostgreSQL
/// cannot store or compare a NUL), the same answer on both backends, and nothing stored. A NUL
/// in a key the body's type ignores is ignored with that key.
async fn nul_bytes_never_reach_the_database(e: Env) {
    let admin = e.raw_token("ana", store::Role::Admin).await;
    let report = json!({"category": "robo", "lat": -16.3989, "lon": -71.5369,
                        "description": "me robaron\u{0} el celular"});
    let (s, v) = e.json("POST", "/v1/reports", None, report).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("`description`"),
        "{v}"
    );
    let (s, v) = e
        .json(
            "POST",
            "/v1/reports?lang=en",
            None,
            json!({"category": "robo\u{0}", "lat": -16.3989, "lon": -71.5369}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("`category`") && detail.contains("NUL character"),
        "{v}"
    );
    // An unknown key, with a NUL in its name or its value, is ignored as any unknown key is.
    let (s, v) = e
        .json(
            "POST",
            "/v1/reports",
            None,
            json!({"category": "robo", "lat": -16.3989, "lon": -71.5369,
                   "x\u{0}y": 1, "extra": ["a\u{0}b"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let form = |body: &'static str| {
        e.send(
            "POST",
            "/open311/v2/requests.json",
            &[("content-type", "application/x-www-form-urlencoded")],
            body,
        )
    };
    let (s, _, text) = form("service_code=robo&lat=-16.3989&long=-71.5369&description=a%00b").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("`description`"), "{text}");
    let (s, _, text) = form("service_code=robo&lat=-16.3989&long=-71.5369&x%00=1%002").await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    for (uri, field) in [
        ("/v1/reports?category=robo%00", "category"),
        ("/v1/observatory/internal?month=2026-11%00", "month"),
        (
            "/open311/v2/requests.json?service_request_id=R-%00",
            "service_request_id",
        ),
        ("/v1/reports/R-ABC%00DEF", "path"),
        ("/v1/stops?q=villa%00lba", "q"),
        ("/v1/reports/AQP%00/status", "path"),
        ("/v1/stops?q=a&la%00ng=en", "la\\0ng"),
        // Schemathesis: a bad `lang` is quoted back, and its NUL was in the answer.
        ("/v1/places/reverse?lat=1&lon=2&lang=x%00y", "lang"),
    ] {
        let (s, v) = e.json("GET", uri, Some(&admin), Value::Null).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
        // Open311 answers in its own format, `[{code, description}]`.
        let detail = v["detail"]
            .as_str()
            .or(v[0]["description"].as_str())
            .unwrap_or_default();
        assert!(detail.contains(&format!("`{field}`")), "{uri}: {v}");
        assert!(!detail.contains('\0'), "{uri}: {v}");
    }
    let (s, v) = e
        .json(
            "GET",
            "/v1/reports?category=robo%00&lang=qu",
            Some(&admin),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["detail"].as_str().unwrap().contains("qillqa"), "{v}");
    let (s, v) = e
        .json(
            "PUT",
            "/v1/categories/sin_boleto",
            Some(&admin),
            json!({"es": "Cobro\u{0} sin boleto", "group": "servicio", "family": "otro"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("`es`"), "{v}");
    // Stored: the two reports without a NUL, nothing else; no category was added.
    let stored = e
        .obs
        .store()
        .reports(&store::ReportFilter {
            from: 0,
            to: i64::MAX,
            status: None,
            category: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|r| r.category == "robo" && r.description.is_none())
    );
    let (_, _, services) = e.send("GET", "/open311/v2/services.json", &[], "").await;
    assert!(!services.contains("sin_boleto"), "{services}");
}

/// The OpenAPI document says what the door does: every free string (parameters, bodies,
/// answers) excludes NUL, so a client generated from it never sends what is refused.
#[test]
fn the_contract_excludes_nul_from_every_free_string() {
    let doc = server::openapi_document_json();
    let mut free = 0;
    fn walk(v: &Value, free: &mut usize, at: &str) {
        match v {
            Value::Object(m) => {
                if m.get("type") == Some(&json!("string"))
                    && !["enum", "const", "format"]
                        .iter()
                        .any(|k| m.contains_key(*k))
                {
                    // Its own pattern (a date, say) must exclude NUL too: only positive classes
                    // (no `.`, no negated class, no \\S…), or the one for free text.
                    let p = m.get("pattern").and_then(Value::as_str).unwrap_or("");
                    // (a negated class that names NUL is fine)
                    let p = &p.replace("[^\\u0000]", "").replace("[^\\s\\u0000]", "");
                    let positive = !p.is_empty()
                        && !["[^", ".", "\\S", "\\W", "\\D"]
                            .iter()
                            .any(|n| p.contains(n));
                    assert!(p == "^*$" || positive, "{at}: {p}");
                    *free += 1;
                }
                m.iter()
                    .for_each(|(k, v)| walk(v, free, &format!("{at}/{k}")));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, free, at)),
            _ => {}
        }
    }
    walk(&doc, &mut free, "");
    let report = &doc["components"]["schemas"]["ReportBody"]["properties"]["description"];
    assert_eq!(report["pattern"], json!("^[^\\u0000]*$"), "{report}");
    assert!(free > 50, "{free} free strings");
}

/// Control characters a reporter or an admin sends are stripped before they are stored, so
/// officials' `requests.xml` and the public `services.xml` stay parseable; line breaks stay.
async fn control_characters_never_break_open311_xml(e: Env) {
    let admin = e.raw_token("ana", store::Role::Admin).await;
    let (s, v) = e
        .json(
            "POST",
            "/v1/reports",
            None,
            json!({"category": "robo", "lat": -16.3989,
              "lon": -71.5369, "description": "Me\u{1}robaron\u{1b}[31m en\r\nel bus\u{7f}"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = e
        .json(
            "PUT",
            "/v1/categories/sin_boleto",
            Some(&admin),
            json!({"group": "servicio", "family": "otro", "es": "Cobro\u{7} sin\u{1}boleto",
                     "en": "Charged\u{8}", "qu": "Boleto\u{c}"}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let auth = format!("Bearer {admin}");
    for (uri, h) in [
        ("/open311/v2/services.xml", vec![]),
        (
            "/open311/v2/requests.xml",
            vec![("authorization", auth.as_str())],
        ),
    ] {
        let (s, _, xml) = e.send("GET", uri, &h, "").await;
        assert_eq!(s, StatusCode::OK, "{uri}: {xml}");
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(err) => panic!("{uri} is not well-formed XML: {err}\n{xml}"),
            }
        }
        assert!(
            !xml.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')),
            "{uri}: {xml:?}"
        );
    }
    let stored = e
        .obs
        .store()
        .reports(&store::ReportFilter {
            from: 0,
            to: i64::MAX,
            status: None,
            category: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(
        stored[0].description.as_deref(),
        Some("Merobaron[31m en\nel bus")
    );
    let (_, _, services) = e.send("GET", "/open311/v2/services.json", &[], "").await;
    assert!(services.contains("Cobro sinboleto"), "{services}");
}

both!(
    nul_bytes_never_reach_the_database,
    control_characters_never_break_open311_xml,
);

/// `bearer` is the same scheme as `Bearer` (RFC 9110), and a photo declared `IMAGE/JPEG` is a
/// JPEG; a PNG declared as a JPEG is refused with both types named.
#[tokio::test]
async fn schemes_and_media_types_are_case_insensitive() {
    let e = env_on(Backend::Sqlite).await;
    let viewer = e.raw_token("vera", store::Role::Viewer).await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {viewer}");
        let (s, _, text) = e
            .send("GET", "/v1/reports", &[("authorization", &auth)], "")
            .await;
        assert_eq!(s, StatusCode::OK, "{scheme}: {text}");
    }
    let (s, v) = e
        .json(
            "POST",
            "/v1/reports",
            None,
            json!({"category": "robo", "lat": -16.3989, "lon": -71.5369}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let secret = v["reference"].as_str().unwrap().to_string();
    let img = image::RgbImage::from_fn(16, 16, |x, y| image::Rgb([x as u8 * 9, y as u8 * 9, 50]));
    let encode = |fmt| {
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img.clone())
            .write_to(&mut std::io::Cursor::new(&mut out), fmt)
            .unwrap();
        out
    };
    let (jpeg, png) = (
        encode(image::ImageFormat::Jpeg),
        encode(image::ImageFormat::Png),
    );
    let upload = |ctype: &'static str, body: Vec<u8>| {
        let uri = format!("/v1/reports/{secret}/photos?lang=en");
        let state = e.state.clone();
        async move {
            let req = Request::builder()
                .method("POST")
                .uri(uri)
                .header("content-type", ctype)
                .body(Body::from(body))
                .unwrap();
            let res = app(state).oneshot(req).await.unwrap();
            let s = res.status();
            let b = res.into_body().collect().await.unwrap().to_bytes();
            (s, String::from_utf8_lossy(&b).into_owned())
        }
    };
    let (s, text) = upload("IMAGE/JPEG", jpeg).await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    let (s, text) = upload("image/jpeg", png).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{text}");
    assert!(
        text.contains("image/jpeg") && text.contains("image/png"),
        "{text}"
    );
}

/// A place search is bounded: over 100 characters is a 400 that says so (a 60,000-character
/// query took 5.6 s of a planning thread), and a long query within it answers.
#[tokio::test]
async fn place_searches_are_bounded() {
    let state = super::state();
    let call = |q: String| {
        let state = state.clone();
        async move {
            let res = app(state)
                .oneshot(
                    Request::get(format!("/v1/places?q={q}&lang=en"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let s = res.status();
            let b = res.into_body().collect().await.unwrap().to_bytes();
            (
                s,
                serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null),
            )
        }
    };
    let (s, v) = call("a".repeat(60_000)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("60000")
            || v["detail"].as_str().unwrap().contains("100"),
        "{v}"
    );
    let (s, v) = call("villalba+".repeat(11)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = call("villalba".into()).await;
    assert_eq!(s, StatusCode::OK);
    // The bot's door cuts what it searches instead: no query costs more than 100 characters.
    let ds = state.dataset();
    let long = format!("villalba {}", "x".repeat(50_000));
    let _ = app::places::find(&ds, &long, 5);
}

/// Over the lookups' limit, Open311 clients get GeoReport's error format (JSON or XML, by
/// the path), in the asker's language, with Retry-After; the JSON API gets a problem.
#[tokio::test]
async fn the_lookups_429_speaks_open311_and_the_askers_language() {
    let e = env_on(Backend::Sqlite).await;
    let mut last = (StatusCode::OK, String::new(), String::new());
    for _ in 0..40 {
        last = e
            .send(
                "GET",
                "/open311/v2/requests/R-NOPE2345.xml?lang=en",
                &[],
                "",
            )
            .await;
        if last.0 == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    let (s, ctype, text) = last;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(ctype.starts_with("text/xml"), "{ctype}");
    assert!(
        text.contains("<code>429</code>") && text.contains("Too many requests"),
        "{text}"
    );
    let (s, ctype, text) = e
        .send(
            "GET",
            "/open311/v2/requests/R-NOPE2345.json",
            &[("accept-language", "es-PE,es;q=0.9")],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(ctype.starts_with("application/json"), "{ctype}");
    assert!(
        text.contains("\"code\":429") && text.contains("Demasiadas solicitudes"),
        "{text}"
    );
    let (s, ctype, _) = e.send("GET", "/v1/reports/R-NOPE2345", &[], "").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(ctype, "application/problem+json");
}

/// API errors speak the asker's language: `lang` first, then `Accept-Language`, then Spanish —
/// the missing parameter, a bad number, an unknown route or endpoint, a bad `lang` itself.
#[tokio::test]
async fn api_errors_speak_the_askers_language() {
    let e = env_on(Backend::Sqlite).await;
    let cases = [
        ("/v1/plan?from=-16.39,-71.53", "`to`"),
        ("/v1/stops/near?lat=500&lon=1", "`lat`"),
        ("/v1/routes/no-such-route", "no-such-route"),
        ("/v1/nowhere", "/docs"),
        ("/v1/stops?q=a", "`q`"),
    ];
    for (uri, names) in cases {
        let mut seen = Vec::new();
        for (accept, query_lang) in [
            (None, None),
            (Some("en-GB,en;q=0.9"), None),
            (Some("qu-PE"), None),
            (Some("fr, qu;q=0.5"), None),
            (Some("en"), Some("es")),
        ] {
            let uri = match query_lang {
                Some(l) if uri.contains('?') => format!("{uri}&lang={l}"),
                Some(l) => format!("{uri}?lang={l}"),
                None => uri.to_string(),
            };
            let mut h = Vec::new();
            if let Some(a) = accept {
                h.push(("accept-language", a));
            }
            let (s, _, text) = e.send("GET", &uri, &h, "").await;
            assert!(s.is_client_error(), "{uri}: {s}");
            let v: Value = serde_json::from_str(&text).unwrap();
            let detail = v["detail"].as_str().unwrap().to_string();
            assert!(detail.contains(names), "{uri}: {detail}");
            seen.push(detail);
        }
        // Spanish by default; English and Quechua by the header (a first language not
        // spoken is skipped); the query's `lang` wins over the header.
        assert_ne!(seen[0], seen[1], "{uri}: English by Accept-Language");
        assert_ne!(seen[0], seen[2], "{uri}: Quechua by Accept-Language");
        assert_ne!(seen[1], seen[2], "{uri}");
        assert_eq!(seen[2], seen[3], "{uri}: the first language spoken");
        assert_eq!(seen[0], seen[4], "{uri}: lang=es over Accept-Language: en");
    }
    let (_, _, text) = e
        .send(
            "GET",
            "/v1/stops?q=ab&lang=xx",
            &[("accept-language", "en")],
            "",
        )
        .await;
    assert!(text.contains("We do not speak"), "{text}");
}
