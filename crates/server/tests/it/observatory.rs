//! The observatory over HTTP, on a real SQLite store in a temp dir: reports, idempotency,
//! bad input, officials' access, trip recording from plans, surveys and the indicators.

use super::state;
use app::Obs;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::{AppState, Settings, app};
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
            .store()
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
        "gender": "mujer", "age_band": "18_35"
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
    for secret in ["-16.39", "-71.53", "tocó", "mujer", "18_35"] {
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
        (
            with("actor_involved", json!("marciano")),
            vec![],
            400,
            "marciano",
        ),
        (with("actor_victim", json!("")), vec![], 400, "actor_victim"),
        (with("actor_victim", json!("Peaton")), vec![], 400, "peaton"),
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
    let secret = v["reference"].as_str().unwrap().to_string();
    // Officials know a report by its case id, not by the reporter's secret.
    let reference = e
        .obs
        .store()
        .report_by_secret(&secret)
        .await
        .unwrap()
        .unwrap()
        .reference;
    let viewer = e
        .obs
        .store()
        .create_official("vera", store::Role::Viewer, 0)
        .await
        .unwrap();
    let editor = e
        .obs
        .store()
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
    let consented = format!("{plan}&consent=true&gender=mujer&purpose=cuidado&age_band=36_50");
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
    assert_eq!(e.obs.store().count_trips().await.unwrap(), 3);
    let groups = e
        .obs
        .store()
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
    let (s, v, _) = e.call("POST", "/v1/ratings", &[], &ok.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The former name still rates a ride (documented as such), and checks the same way.
    let (s, v, _) = e.call("POST", "/v1/surveys", &[], &ok.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let bad = json!({"safety": 6}).to_string();
    assert_eq!(
        e.call("POST", "/v1/surveys", &[], &bad).await.0,
        StatusCode::BAD_REQUEST
    );
    for (body, needle) in [
        (json!({"safety": 6}), "1 a 5"),
        (json!({"safety": "mucho"}), "1 a 5"),
        (json!({"route_id": "r"}), "safety"),
        (json!({"safety": 3, "route_id": "nope"}), "nope"),
    ] {
        let (s, v, _) = e.call("POST", "/v1/ratings", &[], &body.to_string()).await;
        assert!(s.is_client_error(), "{body}");
        assert!(
            v["detail"].as_str().unwrap().contains(needle),
            "{body}: {v}"
        );
    }
    let groups = e.obs.store().survey_groups(0, i64::MAX).await.unwrap();
    assert_eq!(groups.iter().map(|g| g.answers).sum::<i64>(), 2);
}

/// Unix time of a local day and hour in Arequipa.
pub fn local(day: &str, hour: u32) -> i64 {
    planner::clock::local_to_unix(
        &state().dataset().timetable,
        timetable::Day::parse(day).unwrap(),
        hour * 3600,
    )
}

/// Plants October 2026: 40 women and 10 men plan trips; women report 30 groping incidents
/// and men 12 thefts; 20 women answer a survey.
pub async fn plant_october(st: &store::Store) {
    let trips: Vec<store::TripRecord> = (0..50)
        .map(|i| store::TripRecord {
            planned_at: local("2026-10-10", 8) + i,
            local_day: "2026-10-10".into(),
            local_hour: 8,
            channel: store::Channel::Web,
            origin_zone: "z:1:1".into(),
            dest_zone: "z:1:2".into(),
            best: Some(store::BestJourney {
                travel_s: 1800,
                wait_s: 300,
                walk_s: 600,
                transfers: 1,
                routes: vec!["arequipa:17658212".into()],
            }),
            profile: Some(store::Profile {
                gender: Some(if i < 40 {
                    store::Gender::Woman
                } else {
                    store::Gender::Man
                }),
                ..store::Profile::default()
            }),
            rider: None,
            safer: false,
        })
        .collect();
    st.record_trips(&trips).await.unwrap();
    for i in 0..42 {
        let (cat, gender) = if i < 30 {
            ("acoso_tocamientos", store::Gender::Woman)
        } else {
            ("robo", store::Gender::Man)
        };
        let r = store::NewReport {
            category: cat.into(),
            lat: Some(-16.3989),
            lon: Some(-71.5369),
            stop_id: None,
            route_id: Some("arequipa:17658212".into()),
            zone: observatory::zone::zone_of(-16.3989, -71.5369, 500.0),
            occurred_at: local("2026-10-12", 19),
            occurred_at_given: true,
            local_hour: 19,
            description: Some("Un hombre me tocó cerca de la puerta.".into()),
            gender: Some(gender),
            age_band: None,
            channel: store::Channel::Web,
            rider: None,
            actors: store::RoadActors::default(),
        };
        st.create_report(&r, None, local("2026-10-12", 20) + i)
            .await
            .unwrap();
    }
    for i in 0..20 {
        st.add_survey(&store::NewSurvey {
            answered_at: local("2026-10-15", 9) + i,
            local_hour: 8,
            route_id: Some("arequipa:17658212".into()),
            safety: Some(2),
            satisfaction: Some(4),
            gender: Some(store::Gender::Woman),
            age_band: None,
            channel: store::Channel::Web,
            rider: None,
        })
        .await
        .unwrap();
    }
}

async fn public_numbers_are_released_with_margins_and_never_recomputed(e: Env) {
    plant_october(e.obs.store()).await;
    // Nothing is public before a release.
    let (s, v, _) = e
        .call("GET", "/v1/observatory/indicators?month=2026-10", &[], "")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let tt = e.state.dataset().timetable.clone();
    let done = app::releases::release_due(&e.obs, &tt, super::now_unix())
        .await
        .unwrap();
    assert!(done.contains(&"2026-10".to_string()), "{done:?}");
    assert!(done.contains(&"2026-10-w2".to_string()), "{done:?}");
    // Released once: a second run releases nothing more for October.
    let again = app::releases::release_due(&e.obs, &tt, super::now_unix())
        .await
        .unwrap();
    assert!(again.iter().all(|p| !p.starts_with("2026-10")), "{again:?}");
    let (s, v, text) = e
        .call("GET", "/v1/observatory/indicators?month=2026-10", &[], "")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["periods"], json!(["2026-10"]));
    let eps = v["privacy"]["epsilon_per_month"].as_f64().unwrap();
    assert!(eps > 0.5 && eps < 5.0, "{eps}");
    assert!(v["privacy"]["explanation"].as_str().unwrap().contains("ε"));
    let ind = |id: &str| {
        v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    let row = |t: &Value, key: &[&str]| {
        t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == json!(key))
            .unwrap_or_else(|| panic!("no {key:?} in {}", t["id"]))
            .clone()
    };
    // Within five noise deviations of the truth, with a margin, never negative; a table's
    // total is the sum of what it shows.
    let near = |t: &Value, key: &[&str], truth: f64| {
        let r = row(t, key);
        let sigma = t["sigma"].as_f64().unwrap();
        let c = r["count"].as_f64().unwrap();
        assert!(
            (c - truth).abs() <= 5.0 * sigma,
            "{key:?}: {c} vs {truth} (σ {sigma})"
        );
        assert!(r["margin"].as_f64().unwrap() > 0.0);
    };
    let inc = ind("incidents");
    near(&inc, &["acoso_tocamientos", "mujer"], 30.0);
    near(&inc, &["robo", "hombre"], 12.0);
    for t in v["indicators"].as_array().unwrap() {
        let Some(rows) = t["rows"].as_array() else {
            continue;
        };
        if t.get("sigma").is_none() {
            continue; // network facts (no people)
        }
        let sum: i64 = rows.iter().map(|r| r["count"].as_i64().unwrap()).sum();
        assert!(
            rows.iter().all(|r| r["count"].as_i64().unwrap() >= 0),
            "{}",
            t["id"]
        );
        // The total sums the cells' noisy values before each is clamped at zero (unbiased),
        // so it is never above the sum of the clamped cells shown.
        let total = t["total"].as_i64().unwrap();
        assert!((0..=sum).contains(&total), "{}: {total} vs {sum}", t["id"]);
    }
    near(&ind("trips"), &["mujer", "06-08"], 40.0);
    let safety = row(&ind("perceived_safety"), &["mujer", "06-08"]);
    assert!(safety["value_margins"].is_array(), "{safety}");
    // Nothing public names a reporter, a point or a report.
    for secret in ["tocó", "-16.3989", "R-", "C-"] {
        assert!(!text.contains(secret), "indicators show `{secret}`");
    }
    // New records and erasures change nothing public until the next release.
    for _ in 0..5 {
        e.call("POST", "/v1/reports", &[], &report_body().to_string())
            .await;
    }
    let first = e
        .obs
        .store()
        .reports(&store::ReportFilter {
            from: 0,
            to: i64::MAX,
            status: None,
            category: Some("robo".into()),
            limit: 1,
        })
        .await
        .unwrap();
    e.obs
        .store()
        .erase_report(&first[0].reference)
        .await
        .unwrap();
    let (_, _, text2) = e
        .call("GET", "/v1/observatory/indicators?month=2026-10", &[], "")
        .await;
    assert_eq!(
        text, text2,
        "the answer is the stored release, byte for byte"
    );
    // Filters pick cells of released tables; a range is the sum of the released periods.
    let (s, v, _) = e
        .call(
            "GET",
            "/v1/observatory/indicators?month=2026-10&category=robo",
            &[],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for t in v["indicators"].as_array().unwrap() {
        assert!(
            t["dimensions"]
                .as_array()
                .unwrap()
                .contains(&json!("category")),
            "{}",
            t["id"]
        );
    }
    let (s, v, _) = e
        .call(
            "GET",
            "/v1/observatory/indicators?from=2026-10-08&to=2026-10-21",
            &[],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["periods"], json!(["2026-10-w2", "2026-10-w3"]));
    // CSV, by Accept or format=csv, with the margins.
    let (s, _, csv) = e
        .call(
            "GET",
            "/v1/observatory/indicators?month=2026-10",
            &[("accept", "text/csv")],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.starts_with(
        "indicator,period_from,period_to,group,count,margin_95,within_margin,measure,value,value_margin_95,epsilon_per_month\n"
    ), "{csv}");
    assert!(csv.contains("incidents,2026-10-01,2026-10-31,category=robo;gender=hombre,"));
    let (_, _, csv2) = e
        .call(
            "GET",
            "/v1/observatory/indicators?month=2026-10&format=csv",
            &[],
            "",
        )
        .await;
    assert_eq!(csv, csv2);
    for (q, status) in [
        ("category=ovni", 400),
        ("from=2026-12-01&to=2026-11-01", 422),
        ("from=ayer", 400),
        ("month=2026-13", 400),
        ("month=2019-01", 404),
        ("indicator=nope&month=2026-10", 400),
    ] {
        let (s, v, _) = e
            .call("GET", &format!("/v1/observatory/indicators?{q}"), &[], "")
            .await;
        assert_eq!(s.as_u16(), status, "{q}: {v}");
    }
    // Officials see exact figures, labelled internal, only with a token.
    let (s, _, _) = e
        .call(
            "GET",
            "/v1/observatory/internal?from=2026-10-01&to=2026-10-31",
            &[],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let token = e
        .obs
        .store()
        .create_official("vera", store::Role::Viewer, 0)
        .await
        .unwrap();
    let (s, v, _) = e
        .call(
            "GET",
            "/v1/observatory/internal?from=2026-10-01&to=2026-10-31",
            &[("authorization", &format!("Bearer {token}"))],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["internal"], true);
    let inc = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "incidents")
        .unwrap();
    assert_eq!(row(inc, &["acoso_tocamientos", "mujer"])["count"], 30);
    assert_eq!(row(inc, &["robo", "hombre"])["count"], 11, "one was erased");
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
    // Every live category: paradero's and the Trujillo observatory's.
    let seed = app::categories::seed(&observatory::default_categories());
    assert_eq!(services.len(), seed.leaves(true).len());
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
    let stored = e.obs.store().report_by_secret(&id).await.unwrap().unwrap();
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
        .store()
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
        ("service_code=robo&lat=%zz", "lat=%zz"),
    ] {
        let (s, v, _) = e.call("POST", "/open311/v2/requests.json", &[], form).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{form}: {v}");
        let d = v[0]["description"].as_str().unwrap();
        assert!(d.contains(needle), "{form}: {d}");
    }
    assert_eq!(e.reports_stored().await, 1);
}

/// The element names of an XML document, in order; panics if it is not well formed (every
/// end tag matches its start).
fn xml_elements(text: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(text);
    r.config_mut().check_end_names = true;
    let mut names = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                names.push(e.name().into_inner().to_string());
            }
            Ok(Event::Eof) => return names,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML ({e}): {text}"),
        }
    }
}

/// The text of the first `<name>` element.
fn xml_text(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(text[start..end].to_string())
}

async fn open311_speaks_xml_and_describes_itself(e: Env) {
    // Discovery, as the specification's example has it.
    let (s, v, _) = e
        .call(
            "GET",
            "/open311/v2/discovery.json",
            &[
                ("host", "paradero.example.org"),
                ("x-forwarded-proto", "https"),
            ],
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for k in ["changeset", "contact", "key_service"] {
        assert!(v[k].as_str().is_some_and(|x| !x.is_empty()), "{k}: {v}");
    }
    let ep = &v["endpoints"][0];
    assert_eq!(ep["url"], "https://paradero.example.org/open311/v2");
    assert_eq!(ep["type"], "production");
    assert_eq!(
        ep["formats"],
        serde_json::json!(["text/xml", "application/json"])
    );
    // A hostile Host header is not echoed.
    let (_, v, _) = e
        .call(
            "GET",
            "/open311/v2/discovery.json",
            &[("host", "a b<c>")],
            "",
        )
        .await;
    assert_eq!(v["endpoints"][0]["url"], "/open311/v2");
    let (s, _, text) = e.call("GET", "/open311/v2/discovery.xml", &[], "").await;
    assert_eq!(s, StatusCode::OK);
    let names = xml_elements(&text);
    assert_eq!(names[0], "discovery", "{text}");
    assert!(
        names.contains(&"endpoint".to_string())
            && names.iter().filter(|n| *n == "format").count() == 2,
        "{text}"
    );

    // Services: metadata true, each defined with its attributes.
    let (_, v, _) = e.call("GET", "/open311/v2/services.json", &[], "").await;
    assert!(v.as_array().unwrap().iter().all(|x| x["metadata"] == true));
    let (s, _, text) = e
        .call("GET", "/open311/v2/services.xml?lang=en", &[], "")
        .await;
    assert_eq!(s, StatusCode::OK);
    let names = xml_elements(&text);
    assert_eq!(names[0], "services");
    assert_eq!(
        names.iter().filter(|n| *n == "service").count(),
        app::categories::seed(&observatory::default_categories())
            .leaves(true)
            .len()
    );
    assert!(
        text.contains(&i18n::t(i18n::Lang::En, "category.robo", &[])),
        "{text}"
    );
    let (s, v, _) = e
        .call("GET", "/open311/v2/services/robo.json", &[], "")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["service_code"], "robo");
    let codes: Vec<&str> = v["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "stop_id",
            "route_id",
            "gender",
            "age_band",
            "actor_involved",
            "actor_victim"
        ]
    );
    let gender = &v["attributes"][2];
    assert_eq!(gender["datatype"], "singlevaluelist");
    assert_eq!(gender["required"], false);
    assert!(
        gender["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["key"] == "mujer")
    );
    let (s, _, text) = e
        .call("GET", "/open311/v2/services/robo.xml", &[], "")
        .await;
    assert_eq!(s, StatusCode::OK);
    let names = xml_elements(&text);
    assert_eq!(names[0], "service_definition");
    assert_eq!(names.iter().filter(|n| *n == "attribute").count(), 6);
    let (s, v, _) = e
        .call("GET", "/open311/v2/services/ovni.json", &[], "")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v[0]["description"].as_str().unwrap().contains("ovni"));

    // A report filed and followed in XML; the agency responsible is the configured one.
    let form = "service_code=robo&lat=-16.3989&long=-71.5369&attribute%5Bgender%5D=mujer";
    let (s, _, text) = e.call("POST", "/open311/v2/requests.xml", &[], form).await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    assert_eq!(xml_elements(&text)[..2], ["service_requests", "request"]);
    let id = xml_text(&text, "service_request_id").expect("an id");
    for uri in [
        format!("/open311/v2/requests/{id}.xml"),
        format!("/open311/v2/requests.xml?service_request_id={id}"),
    ] {
        let (s, _, text) = e.call("GET", &uri, &[], "").await;
        assert_eq!(s, StatusCode::OK, "{uri}: {text}");
        xml_elements(&text);
        assert_eq!(xml_text(&text, "status").as_deref(), Some("open"), "{text}");
        assert_eq!(
            xml_text(&text, "agency_responsible").as_deref(),
            Some(Settings::default().open311_agency.as_str())
        );
        assert!(!text.contains("-16.39"), "{text}");
    }
    let (_, v, _) = e
        .call("GET", &format!("/open311/v2/requests/{id}.json"), &[], "")
        .await;
    assert_eq!(
        v[0]["agency_responsible"],
        Settings::default().open311_agency
    );
    // Errors in XML too, and a bad form stores nothing.
    let (s, _, text) = e
        .call(
            "POST",
            "/open311/v2/requests.xml",
            &[],
            "service_code=ovni&lat=-16.39&long=-71.53",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(xml_elements(&text)[..2], ["errors", "error"]);
    assert_eq!(xml_text(&text, "code").as_deref(), Some("400"));
    let (s, _, text) = e.call("GET", "/open311/v2/requests.xml", &[], "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(xml_text(&text, "code").as_deref(), Some("401"));
    assert_eq!(e.reports_stored().await, 1);
}

async fn road_actors_are_kept_for_officials_and_listed_for_reporters(e: Env) {
    // The tree riders choose from lists the actors, labelled in their language.
    let (s, tree, _) = e.call("GET", "/v1/categories?lang=en", &[], "").await;
    assert_eq!(s, StatusCode::OK);
    let actors: Vec<&str> = tree["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(
        actors.contains(&"conductor_mototaxi") && actors.contains(&"peaton"),
        "{tree}"
    );
    assert_eq!(tree["actors"][0]["label"], "Pedestrian");
    let mut body = report_body();
    body["category"] = json!("conduccion_peligrosa");
    body["actor_involved"] = json!("conductor_combi");
    body["actor_victim"] = json!("peaton");
    let (s, v, _) = e.call("POST", "/v1/reports", &[], &body.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let secret = v["reference"].as_str().unwrap().to_string();
    // Not in what the reporter's secret shows; officials see both.
    let (_, _, public) = e
        .call("GET", &format!("/v1/reports/{secret}"), &[], "")
        .await;
    assert!(
        !public.contains("combi") && !public.contains("peaton"),
        "{public}"
    );
    let token = e
        .obs
        .store()
        .create_official("ana", store::Role::Viewer, 0)
        .await
        .unwrap();
    let auth = format!("Bearer {token}");
    let (s, list, _) = e
        .call("GET", "/v1/reports", &[("authorization", &auth)], "")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        list["reports"][0]["actor_involved"], "conductor_combi",
        "{list}"
    );
    assert_eq!(list["reports"][0]["actor_victim"], "peaton");
    // Open311 clients are told the attribute and its values, and may send it.
    let (_, def, _) = e
        .call("GET", "/open311/v2/services/robo.json", &[], "")
        .await;
    let attr = def["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "actor_victim")
        .cloned()
        .unwrap_or_else(|| panic!("{def}"));
    assert!(
        attr["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "pasajero")
    );
}

both!(
    road_actors_are_kept_for_officials_and_listed_for_reporters,
    a_report_is_stored_once_and_its_status_is_public_without_details,
    bad_reports_are_clear_errors_and_store_nothing,
    officials_need_a_token_with_the_right_role,
    plans_are_recorded_anonymously_with_consented_profiles_only,
    surveys_validate_their_scores,
    public_numbers_are_released_with_margins_and_never_recomputed,
    open311_reads_and_writes_reports_without_exposing_reporters,
    open311_speaks_xml_and_describes_itself,
);
