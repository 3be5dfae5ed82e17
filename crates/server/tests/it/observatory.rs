//! The observatory over HTTP, on a real SQLite store in a temp dir: reports, idempotency,
//! bad input, officials' access, trip recording from plans, surveys and the indicators.

use super::state;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::{AppState, Obs, Settings, app};
use std::sync::Arc;
use tower::ServiceExt;

struct Env {
    state: Arc<AppState>,
    obs: Arc<Obs>,
    _dir: tempfile::TempDir,
}

/// The database behind a test: SQLite in a temp dir, or a fresh database on the PostgreSQL
/// server `.ci/test` starts (`PARADERO_TEST_POSTGRES_URL`).
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub async fn open_store(backend: Backend, dir: &std::path::Path) -> store::Store {
    match backend {
        Backend::Sqlite => store::Store::open_at(&store::Location::Sqlite(dir.join("o.db")))
            .await
            .unwrap(),
        Backend::Postgres => {
            let base = std::env::var("PARADERO_TEST_POSTGRES_URL").expect(
                "PARADERO_TEST_POSTGRES_URL must point at a PostgreSQL server: run the tests \
                 with `bash .ci/test`, which starts one on loopback",
            );
            let name = format!("paradero_s{:016x}", rand::random::<u64>());
            let admin = store::Store::admin_connect(&base).await.unwrap();
            admin.create_database(&name).await.unwrap();
            let (prefix, _) = base.rsplit_once('/').unwrap();
            store::Store::open(&format!("{prefix}/{name}"))
                .await
                .unwrap()
        }
    }
}

/// Runs a test body on both backends.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::env_on(super::Backend::Sqlite).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(super::env_on(super::Backend::Postgres).await).await;
            }
        }
    )*};
}

async fn env_on(backend: Backend) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(backend, dir.path()).await;
    let (state, obs) = super::with_store(store, Settings::default());
    Env {
        state,
        obs,
        _dir: dir,
    }
}

impl Env {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, Value, String) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if !body.is_empty() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let res = app(self.state.clone())
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ctype = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status.is_client_error() && !uri.starts_with("/open311/") {
            assert_eq!(ctype, "application/problem+json", "{uri}: {text}");
        }
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        )
    }

    async fn reports_stored(&self) -> usize {
        self.obs
            .store
            .reports(&store::ReportFilter {
                from: 0,
                to: i64::MAX,
                status: None,
                category: None,
                limit: 10_000,
            })
            .await
            .unwrap()
            .len()
    }
}

fn report_body() -> Value {
    json!({
        "category": "acoso_tocamientos",
        "lat": -16.3989, "lon": -71.5369,
        "route_id": "arequipa:17658212",
        "description": "Un hombre me tocó cerca de la puerta.",
        "gender": "mujer", "age_band": "18_29"
    })
}

async fn a_report_is_stored_once_and_its_status_is_public_without_details(e: Env) {
    let body = report_body().to_string();
    let key = [("idempotency-key", "phone-42-1")];
    let (s, v, _) = e.call("POST", "/v1/reports", &key, &body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let reference = v["reference"].as_str().unwrap().to_string();
    assert_eq!(v["status"], "open");
    // The retry returns the same report.
    let (s, again, _) = e.call("POST", "/v1/reports", &key, &body).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["reference"], reference.as_str());
    assert_eq!(e.reports_stored().await, 1);
    // The same key for another report is refused.
    let mut other = report_body();
    other["category"] = json!("robo");
    let (s, v, _) = e
        .call("POST", "/v1/reports", &key, &other.to_string())
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(e.reports_stored().await, 1);
    // Anyone with the reference sees status and history — not the place, text or reporter.
    let (s, v, text) = e
        .call("GET", &format!("/v1/reports/{reference}"), &[], "")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "open");
    for secret in ["-16.39", "-71.53", "tocó", "mujer", "18_29"] {
        assert!(
            !text.contains(secret),
            "public status shows `{secret}`: {text}"
        );
    }
    let (s, _, _) = e.call("GET", "/v1/reports/R-NOPE2345", &[], "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Right to erasure, by the reference: gone, and the key no longer replays it.
    let (s, _, _) = e
        .call("DELETE", &format!("/v1/reports/{reference}"), &[], "")
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(e.reports_stored().await, 0);
    let (s, _, _) = e
        .call("GET", &format!("/v1/reports/{reference}"), &[], "")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = e
        .call("DELETE", &format!("/v1/reports/{reference}"), &[], "")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn bad_reports_are_clear_errors_and_store_nothing(e: Env) {
    let with = |k: &str, v: Value| {
        let mut b = report_body();
        if v.is_null() {
            b.as_object_mut().unwrap().remove(k);
        } else {
            b[k] = v;
        }
        b.to_string()
    };
    let long = "a".repeat(1001);
    // (body, headers, status, a word the message must contain)
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (with("category", json!("ovni")), vec![], 400, "ovni"),
        (with("category", Value::Null), vec![], 400, "categoría"),
        (with("lat", json!(-16.75)), vec![], 422, "km"),
        (with("lat", json!(95.0)), vec![], 400, "95"),
        (
            json!({"category": "robo", "description": "x"}).to_string(),
            vec![],
            400,
            "stop_id",
        ),
        (
            with("stop_id", json!("arequipa:nope")),
            vec![],
            422,
            "arequipa:nope",
        ),
        (with("route_id", json!("nope")), vec![], 422, "nope"),
        (with("description", json!(long)), vec![], 400, "1001"),
        (
            with("occurred_at", json!("2099-01-01T08:00")),
            vec![],
            422,
            "futuro",
        ),
        (
            with("occurred_at", json!("2020-01-01T08:00")),
            vec![],
            422,
            "año",
        ),
        (with("occurred_at", json!("ayer")), vec![], 400, "ayer"),
        (with("gender", json!("otro")), vec![], 400, "mujer"),
        ("{not json".into(), vec![], 400, "JSON"),
        ("[1, 2]".into(), vec![], 400, "JSON"),
        (
            report_body().to_string(),
            vec![("idempotency-key", "")],
            400,
            "Idempotency-Key",
        ),
    ];
    for (body, headers, status, needle) in cases {
        let (s, v, _) = e.call("POST", "/v1/reports", &headers, &body).await;
        assert_eq!(s.as_u16(), status, "{body}: {v}");
        let detail = v["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(needle),
            "{body}: `{detail}` lacks `{needle}`"
        );
    }
    assert_eq!(e.reports_stored().await, 0, "nothing stored");
    // English on request.
    let (_, v, _) = e
        .call(
            "POST",
            "/v1/reports?lang=en",
            &[],
            &with("category", json!("ovni")),
        )
        .await;
    assert!(v["detail"].as_str().unwrap().contains("We do not know"));
}

async fn officials_need_a_token_with_the_right_role(e: Env) {
    let (_, v, _) = e
        .call("POST", "/v1/reports", &[], &report_body().to_string())
        .await;
    let reference = v["reference"].as_str().unwrap().to_string();
    let viewer = e
        .obs
        .store
        .create_official("vera", store::Role::Viewer, 0)
        .await
        .unwrap();
    let editor = e
        .obs
        .store
        .create_official("eddy", store::Role::Editor, 0)
        .await
        .unwrap();
    let bearer = |t: &str| format!("Bearer {t}");
    let status_uri = format!("/v1/reports/{reference}/status");
    let change =
        json!({"status": "acknowledged", "note": "Lo revisamos con la empresa."}).to_string();
    // Without a token, with a wrong one, with too small a role.
    for (uri, method, body) in [
        ("/v1/reports", "GET", ""),
        (status_uri.as_str(), "POST", change.as_str()),
    ] {
        let (s, _, _) = e.call(method, uri, &[], body).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}");
        let (s, _, _) = e
            .call(method, uri, &[("authorization", "Bearer pdr_wrong")], body)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let (s, _, _) = e
        .call(
            "POST",
            &status_uri,
            &[("authorization", &bearer(&viewer))],
            &change,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A viewer reads raw reports; an editor moves them along.
    let (s, v, _) = e
        .call(
            "GET",
            "/v1/reports",
            &[("authorization", &bearer(&viewer))],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["reports"][0]["lat"], -16.3989);
    let (s, v, _) = e
        .call(
            "POST",
            &status_uri,
            &[("authorization", &bearer(&editor))],
            &change,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "acknowledged");
    assert_eq!(v["history"][0]["note"], "Lo revisamos con la empresa.");
    // Backwards is refused.
    let back = json!({"status": "open", "note": ""}).to_string();
    let (s, _, _) = e
        .call(
            "POST",
            &status_uri,
            &[("authorization", &bearer(&editor))],
            &back,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let bad = json!({"status": "done"}).to_string();
    let (s, _, _) = e
        .call(
            "POST",
            &status_uri,
            &[("authorization", &bearer(&editor))],
            &bad,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

async fn plans_are_recorded_anonymously_with_consented_profiles_only(e: Env) {
    let plan = "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=2026-11-23T08:00";
    let (s, _, _) = e.call("GET", plan, &[], "").await;
    assert_eq!(s, StatusCode::OK);
    let consented = format!("{plan}&consent=true&gender=mujer&purpose=cuidado&age_band=30_44");
    let (s, _, _) = e.call("GET", &consented, &[], "").await;
    assert_eq!(s, StatusCode::OK);
    // A profile without consent is not kept.
    let (s, _, _) = e
        .call("GET", &format!("{plan}&gender=hombre"), &[], "")
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v, _) = e
        .call("GET", &format!("{plan}&consent=true&gender=x"), &[], "")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    e.obs.flush().await;
    assert_eq!(e.obs.store.count_trips().await.unwrap(), 3);
    let groups = e
        .obs
        .store
        .trip_groups("0000-01-01", "9999-12-31")
        .await
        .unwrap();
    let women: i64 = groups
        .iter()
        .filter(|g| g.gender.as_deref() == Some("mujer"))
        .map(|g| g.trips)
        .sum();
    let men: i64 = groups
        .iter()
        .filter(|g| g.gender.as_deref() == Some("hombre"))
        .map(|g| g.trips)
        .sum();
    assert_eq!((women, men), (1, 0));
    assert!(
        groups
            .iter()
            .all(|g| g.local_hour == 8 && g.found == g.trips)
    );
}

async fn surveys_validate_their_scores(e: Env) {
    let ok =
        json!({"route_id": "arequipa:17658212", "safety": 2, "satisfaction": 4, "gender": "mujer"});
    let (s, v, _) = e.call("POST", "/v1/surveys", &[], &ok.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for (body, needle) in [
        (json!({"safety": 6}), "1 a 5"),
        (json!({"safety": "mucho"}), "1 a 5"),
        (json!({"route_id": "r"}), "safety"),
        (json!({"safety": 3, "route_id": "nope"}), "nope"),
    ] {
        let (s, v, _) = e.call("POST", "/v1/surveys", &[], &body.to_string()).await;
        assert!(s.is_client_error(), "{body}");
        assert!(
            v["detail"].as_str().unwrap().contains(needle),
            "{body}: {v}"
        );
    }
    let groups = e.obs.store.survey_groups(0, i64::MAX).await.unwrap();
    assert_eq!(groups.iter().map(|g| g.answers).sum::<i64>(), 1);
}

async fn indicators_are_suppressed_and_downloadable(e: Env) {
    // 12 women, 3 men and 9 riders without a profile plan at 8:00; women report 6
    // harassments and 5 overcrowded buses, a man 1 theft.
    let plan =
        "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=2026-11-23T08:00&consent=true";
    for i in 0..24 {
        let who = match i {
            0..12 => "&gender=mujer",
            12..15 => "&gender=hombre",
            _ => "",
        };
        let (s, _, _) = e.call("GET", &format!("{plan}{who}"), &[], "").await;
        assert_eq!(s, StatusCode::OK);
    }
    for i in 0..12 {
        let mut b = report_body();
        if i >= 7 {
            b["category"] = json!("sobrecarga");
        }
        if i == 6 {
            b["category"] = json!("robo");
            b["gender"] = json!("hombre");
        }
        let (s, _, _) = e.call("POST", "/v1/reports", &[], &b.to_string()).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    e.obs.flush().await;
    let (s, v, text) = e.call("GET", "/v1/observatory/indicators", &[], "").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ind = |id: &str| {
        v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    let trips = ind("trips");
    assert!(trips["title"].as_str().unwrap().starts_with("Viajes"));
    let row = |t: &Value, key: &[&str]| {
        t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == json!(key))
            .unwrap()
            .clone()
    };
    assert_eq!(row(&trips, &["mujer", "06-08", "*"])["count"], 12);
    let men = row(&trips, &["hombre", "06-08", "*"]);
    assert_eq!(men["count"], Value::Null);
    assert_eq!(men["suppressed"], true);
    // Without the undeclared riders withheld too, 24 − 12 − 9 would give the 3 men away.
    assert_eq!(row(&trips, &["sin_dato", "06-08", "*"])["suppressed"], true);
    assert_eq!(row(&trips, &["*", "*", "*"])["count"], 24);
    let inc = ind("incidents");
    assert_eq!(row(&inc, &["acoso_tocamientos", "mujer", "*"])["count"], 6);
    assert_eq!(row(&inc, &["robo", "hombre", "*"])["suppressed"], true);
    // 12 − 6 − 5 would give the theft away: the smallest other category is withheld too.
    assert_eq!(row(&inc, &["sobrecarga", "*", "*"])["suppressed"], true);
    assert_eq!(row(&inc, &["*", "*", "*"])["count"], 12);
    // Nothing public names a reporter or a point.
    for secret in ["tocó", "-16.3989", "R-"] {
        assert!(!text.contains(secret), "indicators show `{secret}`");
    }
    // CSV, by Accept or format=csv.
    let (s, _, csv) = e
        .call(
            "GET",
            "/v1/observatory/indicators",
            &[("accept", "text/csv")],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.starts_with("indicator,group,count,suppressed,measure,value\n"));
    assert!(csv.contains("trips,gender=mujer;hour_band=06-08;purpose=*,12,false,,"));
    let (_, _, csv2) = e
        .call("GET", "/v1/observatory/indicators?format=csv", &[], "")
        .await;
    assert_eq!(csv, csv2);
    // group_by and bad filters.
    let (s, v, _) = e
        .call("GET", "/v1/observatory/indicators?group_by=gender", &[], "")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["indicators"][0]["dimensions"], json!(["gender"]));
    // Incidents by category and zone (the grid cell of the reports' point).
    let (s, v, _) = e
        .call(
            "GET",
            "/v1/observatory/indicators?group_by=category,zone",
            &[],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let inc = &v["indicators"][2];
    assert_eq!(inc["dimensions"], json!(["category", "zone"]));
    let zone = observatory::zone::zone_of(-16.3989, -71.5369, 500.0);
    let cell = inc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == json!(["acoso_tocamientos", zone]))
        .unwrap();
    assert_eq!(cell["count"], 6);
    for (q, status) in [
        ("group_by=shoe_size", 400),
        ("category=ovni", 400),
        ("from=2026-12-01&to=2026-11-01", 400),
        ("from=ayer", 400),
    ] {
        let (s, v, _) = e
            .call("GET", &format!("/v1/observatory/indicators?{q}"), &[], "")
            .await;
        assert_eq!(s.as_u16(), status, "{q}: {v}");
    }
}

#[tokio::test]
async fn without_an_observatory_the_endpoints_say_so() {
    let (s, v) = {
        let res = app(state())
            .oneshot(
                Request::builder()
                    .uri("/v1/observatory/indicators")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let s = res.status();
        let b = res.into_body().collect().await.unwrap().to_bytes();
        (s, serde_json::from_slice::<Value>(&b).unwrap())
    };
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["detail"].as_str().unwrap().contains("observatorio"));
}

async fn open311_reads_and_writes_reports_without_exposing_reporters(e: Env) {
    let (s, v, _) = e.call("GET", "/open311/v2/services.json", &[], "").await;
    assert_eq!(s, StatusCode::OK);
    let services = v.as_array().unwrap();
    assert_eq!(services.len(), observatory::DEFAULT_CATEGORIES.len());
    let groping = services
        .iter()
        .find(|x| x["service_code"] == "acoso_tocamientos")
        .unwrap();
    assert_eq!(groping["service_name"], "Tocamientos indebidos");
    // A form post, as GeoReport clients send it; personal fields are ignored.
    let form = "service_code=robo&lat=-16.3989&long=-71.5369&description=Me+robaron+en+el+paradero\
                &email=ana%40example.org&first_name=Ana&requested_datetime=2026-11-20T08%3A15%3A00-05%3A00";
    let (s, v, _) = e.call("POST", "/open311/v2/requests.json", &[], form).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(v[0]["service_notice"].as_str().unwrap().contains(&id));
    let stored = e.obs.store.report(&id).await.unwrap().unwrap();
    assert_eq!(stored.channel, store::Channel::Open311);
    assert_eq!(
        stored.description.as_deref(),
        Some("Me robaron en el paradero")
    );
    // Public lookups by id: status, no place, no text.
    for uri in [
        format!("/open311/v2/requests/{id}.json"),
        format!("/open311/v2/requests.json?service_request_id={id}"),
    ] {
        let (s, v, text) = e.call("GET", &uri, &[], "").await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        assert_eq!(v[0]["status"], "open");
        assert_eq!(v[0]["service_code"], "robo");
        assert!(
            !text.contains("-16.39") && !text.contains("robaron") && !text.contains("Ana"),
            "{text}"
        );
    }
    let (s, v, _) = e
        .call("GET", "/open311/v2/requests/R-NOPE2345.json", &[], "")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v[0]["code"], 404);
    // Lists are for officials, with details.
    let (s, v, _) = e.call("GET", "/open311/v2/requests.json", &[], "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v[0]["code"], 401);
    let token = e
        .obs
        .store
        .create_official("ana", store::Role::Viewer, 0)
        .await
        .unwrap();
    let auth = format!("Bearer {token}");
    let (s, v, _) = e
        .call(
            "GET",
            "/open311/v2/requests.json?status=open&start_date=2026-01-01T00%3A00%3A00Z",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v[0]["lat"], -16.3989);
    // Malformed forms: GeoReport errors, nothing stored.
    for (form, needle) in [
        ("service_code=robo&lat=abc&long=-71.53", "abc"),
        ("lat=-16.39&long=-71.53", "categoría"),
        ("service_code=ovni&lat=-16.39&long=-71.53", "ovni"),
        (
            "service_code=robo&lat=-16.39&long=-71.53&requested_datetime=ayer",
            "ayer",
        ),
        ("service_code=robo", "stop_id"),
        ("service_code=robo&lat=%zz", "percent"),
    ] {
        let (s, v, _) = e.call("POST", "/open311/v2/requests.json", &[], form).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{form}: {v}");
        let d = v[0]["description"].as_str().unwrap();
        assert!(d.contains(needle), "{form}: {d}");
    }
    assert_eq!(e.reports_stored().await, 1);
}

both!(
    a_report_is_stored_once_and_its_status_is_public_without_details,
    bad_reports_are_clear_errors_and_store_nothing,
    officials_need_a_token_with_the_right_role,
    plans_are_recorded_anonymously_with_consented_profiles_only,
    surveys_validate_their_scores,
    indicators_are_suppressed_and_downloadable,
    open311_reads_and_writes_reports_without_exposing_reporters,
);
