//! The attacks of the [privacy] issue, through the public HTTP API (no token) on the real
//! app over a real SQLite store, each with a known victim record planted.
//!
//! Against references: a leak through likely duplicates, erasure by a stranger, a location
//! oracle. Against the statistics: filter differencing, marginal differencing, date-range
//! differencing, padding then erasing, survey-mean padding and the travel-time leak. With
//! noise, an attack "works" when its estimate of the victim's record is better than the
//! mechanism allows; over many trials (each a fresh release: fresh noise) we assert that
//! the estimate is exact no more often than the discrete Gaussian puts mass on zero (plus
//! three binomial standard deviations), and that its typical error is the noise's.

use app::{Obs, ObservatorySettings};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::{AppState, Settings, app};
use std::sync::Arc;
use tower::ServiceExt;

const ADMIN: &str = "operator-token-123";

struct Env {
    state: Arc<AppState>,
    obs: Arc<Obs>,
    _dir: tempfile::TempDir,
}

async fn env(settings: Settings) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::open_at(&store::Location::Sqlite(dir.path().join("o.db")))
        .await
        .unwrap();
    let obs = Obs::start(
        store,
        ObservatorySettings {
            // Reports within 500 m of a stop: fewer zones to release, the same mechanism.
            max_distance_m: 500.0,
            ..ObservatorySettings::default()
        },
    );
    let state = super::with_obs(
        obs.clone(),
        Settings {
            admin_token: Some(ADMIN.into()),
            ..settings
        },
    );
    Env {
        state,
        obs,
        _dir: dir,
    }
}

impl Env {
    async fn call(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let mut req = req
            .body(Body::from(body.map(|b| b.to_string()).unwrap_or_default()))
            .unwrap();
        // One client, as the rate limiter sees it.
        req.extensions_mut().insert(ConnectInfo(
            "203.0.113.7:5000".parse::<std::net::SocketAddr>().unwrap(),
        ));
        let res = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn report(category: &str, lat: f64, lon: f64) -> Value {
    json!({"category": category, "lat": lat, "lon": lon, "gender": "mujer",
           "description": "Me pasó en el paradero."})
}

/// What a creation answer says, without the caller's own (random) secret.
fn shape(v: &Value) -> Value {
    let mut v = v.clone();
    v["reference"] = json!("…");
    v["status_url"] = json!("…");
    v
}

#[tokio::test]
async fn no_answer_leaks_another_reference_or_whether_a_report_is_near() {
    let e = env(Settings::default()).await;
    let (_, victim) = e
        .call(
            "POST",
            "/v1/reports",
            Some(report("acoso_tocamientos", -16.3989, -71.5369)),
        )
        .await;
    let secret = victim["reference"].as_str().unwrap().to_string();
    // The old attack: a report of the same category at the same place and time. Then the
    // location oracle: probes around the point, near and far, each erased by its own secret.
    let mut shapes = std::collections::BTreeSet::new();
    for (dlat, dlon) in [
        (0.0, 0.0),
        (0.0009, 0.0),
        (0.0018, 0.0),
        (0.0, 0.003),
        (0.02, 0.02),
    ] {
        let (s, v) = e
            .call(
                "POST",
                "/v1/reports",
                Some(report(
                    "acoso_tocamientos",
                    -16.3989 + dlat,
                    -71.5369 + dlon,
                )),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let text = v.to_string();
        assert!(
            !text.contains(&secret),
            "another report's reference leaked: {text}"
        );
        assert!(v.get("duplicate_of").is_none(), "{v}");
        shapes.insert(shape(&v).to_string());
        let own = v["reference"].as_str().unwrap();
        let (s, _) = e.call("DELETE", &format!("/v1/reports/{own}"), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    assert_eq!(shapes.len(), 1, "answers differ near and far: {shapes:?}");
    // Officials still see the likely duplicate link (the erased probes took theirs away).
    let stored = e
        .obs
        .store()
        .report_by_secret(&secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.duplicate_of, None);
}

#[tokio::test]
async fn a_stranger_can_neither_follow_nor_erase_a_victims_report() {
    let e = env(Settings::default()).await;
    let (_, v) = e
        .call(
            "POST",
            "/v1/reports",
            Some(report("acoso_verbal", -16.3989, -71.5369)),
        )
        .await;
    let secret = v["reference"].as_str().unwrap().to_string();
    assert!(secret.len() >= 22, "at least 96 random bits: {secret}");
    let case = e
        .obs
        .store()
        .report_by_secret(&secret)
        .await
        .unwrap()
        .unwrap()
        .reference;
    // Guesses, the officials' case id (were it leaked), the old short format: all 404, and
    // the same answer as for a reference that never existed.
    for guess in [
        case.as_str(),
        "R-AAAAAAAAAAAAAAAAAAAA",
        "R-7F3K9Q2M",
        &secret[..secret.len() - 1],
    ] {
        let (s, v) = e
            .call("DELETE", &format!("/v1/reports/{guess}"), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{guess}: {v}");
        let (s, _) = e.call("GET", &format!("/v1/reports/{guess}"), None).await;
        assert!(
            s == StatusCode::NOT_FOUND || s == StatusCode::UNAUTHORIZED,
            "{guess}: {s}"
        );
    }
    assert!(
        e.obs.store().report(&case).await.unwrap().is_some(),
        "still there"
    );
    // Found or not, a lookup takes the same (minimum) time.
    for r in [secret.as_str(), "R-BBBBBBBBBBBBBBBBBBBB"] {
        let t = std::time::Instant::now();
        e.call("GET", &format!("/v1/reports/{r}"), None).await;
        assert!(t.elapsed() >= std::time::Duration::from_millis(110), "{r}");
    }
    // The reporter, and only she, erases it.
    let (s, _) = e
        .call("DELETE", &format!("/v1/reports/{secret}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(e.obs.store().report(&case).await.unwrap().is_none());
}

#[tokio::test]
async fn lookups_are_rate_limited_per_client() {
    let e = env(Settings {
        lookup_limit: server::RateLimit {
            per_minute: 6,
            burst: 2,
            trust_forwarded_for: false,
        },
        ..Settings::default()
    })
    .await;
    let mut codes = Vec::new();
    for i in 0..6 {
        let (s, _) = e
            .call("GET", &format!("/v1/reports/R-GUESS{i:015}"), None)
            .await;
        codes.push(s.as_u16());
    }
    assert!(codes.contains(&429), "{codes:?}");
    // Planning is not affected by the lookup allowance.
    let (s, _) = e.call("GET", "/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn metrics_do_not_time_reports_in_public() {
    let e = env(Settings::default()).await;
    for _ in 0..3 {
        e.call(
            "POST",
            "/v1/reports",
            Some(report("robo", -16.3989, -71.5369)),
        )
        .await;
        e.call("POST", "/v1/surveys", Some(json!({"safety": 3})))
            .await;
    }
    let get = |auth: Option<&str>| {
        let mut req = Request::builder().uri("/metrics");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, format!("Bearer {a}"));
        }
        app(e.state.clone()).oneshot(req.body(Body::empty()).unwrap())
    };
    let public = String::from_utf8(
        get(None)
            .await
            .unwrap()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for hidden in [
        "/v1/reports",
        "/v1/surveys",
        "trips_written",
        "trips_dropped",
    ] {
        assert!(
            !public.contains(hidden),
            "public /metrics shows {hidden}:\n{public}"
        );
    }
    let operator = String::from_utf8(
        get(Some(ADMIN))
            .await
            .unwrap()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(operator.contains("endpoint=\"/v1/reports\""), "{operator}");
}

// ---- the statistics ---------------------------------------------------------------------

const VICTIM: (f64, f64) = (-16.3989, -71.5369);
/// The attacker's known padding in the victim's cells.
const PADDING: i64 = 4;
const SURVEY_PADDING: i64 = 6;
const VICTIM_MINUTES: i64 = 47;

fn t(day: &str, hour: u32) -> i64 {
    super::observatory::local(day, hour)
}

fn new_report(
    category: &str,
    gender: store::Gender,
    lat: f64,
    lon: f64,
    hour: u8,
) -> store::NewReport {
    store::NewReport {
        category: category.into(),
        lat: Some(lat),
        lon: Some(lon),
        stop_id: None,
        route_id: None,
        zone: observatory::zone::zone_of(lat, lon, 500.0),
        occurred_at: t("2026-10-09", u32::from(hour)),
        occurred_at_given: true,
        local_hour: hour,
        description: None,
        gender: Some(gender),
        age_band: None,
        channel: store::Channel::Web,
        rider: None,
        actors: store::RoadActors::default(),
    }
}

/// October 2026: background, the victims (a woman's exhibitionism report at night, her
/// survey answer, a non-binary rider's one consented plan) and the attacker's padding.
async fn plant(st: &store::Store) {
    use store::Gender::*;
    let mut n = 0;
    let mut file = |at: i64| {
        n += 1;
        at + n
    };
    // Background: thefts and verbal harassment around, men and women, day and night.
    for i in 0..60 {
        let (cat, g) = if i % 2 == 0 {
            ("robo", Man)
        } else {
            ("acoso_verbal", Woman)
        };
        let r = new_report(cat, g, VICTIM.0 + 0.01 * f64::from(i % 3), VICTIM.1, 19);
        st.create_report(&r, None, file(t("2026-10-03", 12)))
            .await
            .unwrap();
    }
    // The victim, filed in week 2.
    let v = new_report("acoso_exhibicionismo", Woman, VICTIM.0, VICTIM.1, 22);
    st.create_report(&v, None, file(t("2026-10-09", 23)))
        .await
        .unwrap();
    // The attacker's padding: four more in her cells, same week.
    for _ in 0..PADDING {
        st.create_report(&v, None, file(t("2026-10-10", 23)))
            .await
            .unwrap();
    }
    // Surveys: background, the victim's (safety 1 at night), the attacker's six 5s.
    let survey = |safety: u8, hour: u8, g: store::Gender| store::NewSurvey {
        answered_at: 0,
        local_hour: hour,
        route_id: None,
        safety: Some(safety),
        satisfaction: None,
        gender: Some(g),
        age_band: None,
        channel: store::Channel::Web,
        rider: None,
    };
    for i in 0..30 {
        let mut s = survey(3, 8, if i % 2 == 0 { Woman } else { Man });
        s.answered_at = file(t("2026-10-05", 9));
        st.add_survey(&s).await.unwrap();
    }
    let mut s = survey(1, 22, Woman);
    s.answered_at = file(t("2026-10-09", 23));
    st.add_survey(&s).await.unwrap();
    for _ in 0..SURVEY_PADDING {
        let mut s = survey(5, 22, Woman);
        s.answered_at = file(t("2026-10-11", 23));
        st.add_survey(&s).await.unwrap();
    }
    // Trips: background, and the only non-binary rider's plan of 47 minutes.
    let trip = |g: store::Gender, minutes: i32, at: i64| store::TripRecord {
        planned_at: at,
        local_day: "2026-10-12".into(),
        local_hour: 8,
        channel: store::Channel::Web,
        origin_zone: "z:1:1".into(),
        dest_zone: "z:1:2".into(),
        best: Some(store::BestJourney {
            travel_s: minutes * 60,
            wait_s: 300,
            walk_s: 300,
            transfers: 1,
            routes: vec![],
        }),
        profile: Some(store::Profile {
            gender: Some(g),
            ..store::Profile::default()
        }),
        rider: None,
        safer: false,
    };
    let mut trips: Vec<store::TripRecord> = (0..200)
        .map(|i| {
            trip(
                if i % 2 == 0 { Woman } else { Man },
                30,
                file(t("2026-10-12", 8)),
            )
        })
        .collect();
    trips.push(trip(
        NonBinary,
        VICTIM_MINUTES as i32,
        file(t("2026-10-12", 8)),
    ));
    st.record_trips(&trips).await.unwrap();
}

/// A table of an answer by id, and a cell's count.
fn table<'a>(a: &'a Value, id: &str) -> &'a Value {
    a["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

fn rows(t: &Value) -> &Vec<Value> {
    t["rows"].as_array().unwrap()
}

fn count(t: &Value, key: &[&str]) -> i64 {
    rows(t)
        .iter()
        .find(|r| r["key"] == json!(key))
        .map_or(0, |r| r["count"].as_i64().unwrap())
}

/// The least error any estimate of one report can have: by the zCDP guarantee, everything
/// public about a person's reports of a month together is a Gaussian channel of at least
/// this deviation (the month's share of the reports' ρ, or all of it with the weeks).
fn least_deviation(with_weeks: bool) -> f64 {
    let b = observatory::privacy::Budget::default();
    let rho =
        b.rho_per_month * b.kind_shares[1] * if with_weeks { 1.0 } else { 1.0 - b.week_share };
    (f64::from(b.bounds.reports) / (2.0 * rho)).sqrt()
}

/// One attack's estimates over the trials, against the truth, with the least deviation the
/// mechanism allows an estimate.
#[derive(Default)]
struct Attack {
    estimates: Vec<Option<f64>>,
    sigma: f64,
}

impl Attack {
    fn judge(&self, name: &str, truth: f64) {
        let n = self.estimates.len() as f64;
        let exact = self
            .estimates
            .iter()
            .filter(|e| e.is_some_and(|e| (e - truth).abs() < 0.5))
            .count() as f64;
        // P(a discrete Gaussian of this deviation is 0), bounded above by the continuous
        // density at 0 (plus the rounding the estimate gets).
        let p0 = (1.0 / (self.sigma * (2.0 * std::f64::consts::PI).sqrt())).min(1.0);
        let allowed = n * p0 + 3.0 * (n * p0 * (1.0 - p0)).sqrt() + 2.0;
        assert!(
            exact <= allowed,
            "{name}: exact in {exact} of {n} trials, the mechanism allows {allowed:.1} (σ {:.2})",
            self.sigma
        );
        let mut errs: Vec<f64> = self
            .estimates
            .iter()
            .map(|e| e.map_or(f64::INFINITY, |e| (e - truth).abs()))
            .collect();
        errs.sort_by(f64::total_cmp);
        let median = errs[errs.len() / 2];
        assert!(
            median >= 0.4 * self.sigma,
            "{name}: median error {median:.2} is less than the noise allows (σ {:.2})",
            self.sigma
        );
    }
}

#[tokio::test]
async fn differencing_padding_and_leaks_learn_no_more_than_the_noise() {
    let e = env(Settings::default()).await;
    plant(e.obs.store()).await;
    let tt = e.state.dataset().timetable.clone();
    let zone = observatory::zone::zone_of(VICTIM.0, VICTIM.1, 500.0);
    let (mut filter, mut marginal, mut range, mut padding, mut survey, mut travel) = (
        Attack::default(),
        Attack::default(),
        Attack::default(),
        Attack::default(),
        Attack::default(),
        Attack::default(),
    );
    let trials = 30;
    for trial in 0..trials {
        // A fresh release of October: fresh noise (the weeks every third trial: they cost
        // five times as much to compute).
        let weeks = trial % 3 == 0;
        let periods: Vec<Option<u8>> = if weeks {
            vec![None, Some(1), Some(2), Some(3), Some(4), Some(5)]
        } else {
            vec![None]
        };
        for p in &periods {
            e.obs
                .delete_release("2026-10", p.unwrap_or(0))
                .await
                .unwrap();
        }
        app::releases::release_periods(&e.obs, &tt, "2026-10", &periods, 0)
            .await
            .unwrap();
        let (s, month) = e
            .call("GET", "/v1/observatory/indicators?month=2026-10", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{month}");
        // Filter differencing: the zone's total minus every other (part, family) cell of
        // the zone, minus the padding: the victim's night harassment there.
        let zt = count(table(&month, "incidents_by_zone"), &[&zone]);
        let risk = table(&month, "zone_risk");
        let others: i64 = rows(risk)
            .iter()
            .filter(|r| r["key"][0] == json!(zone) && r["key"] != json!([zone, "21-05", "acoso"]))
            .map(|r| r["count"].as_i64().unwrap())
            .sum();
        filter.estimates.push(Some((zt - others - PADDING) as f64));
        // Marginal differencing: the category over all bands minus the other genders.
        let by_hour = table(&month, "incidents_by_hour");
        let all: i64 = rows(by_hour)
            .iter()
            .filter(|r| r["key"][0] == "acoso_exhibicionismo")
            .map(|r| r["count"].as_i64().unwrap())
            .sum();
        let inc = table(&month, "incidents");
        let not_women: i64 = rows(inc)
            .iter()
            .filter(|r| r["key"][0] == "acoso_exhibicionismo" && r["key"][1] != "mujer")
            .map(|r| r["count"].as_i64().unwrap())
            .sum();
        marginal
            .estimates
            .push(Some((all - not_women - PADDING) as f64));
        // Padding, then erasing it after the release: the count minus the padding.
        padding.estimates.push(Some(
            (count(inc, &["acoso_exhibicionismo", "mujer"]) - PADDING) as f64,
        ));
        // Survey-mean padding: count × mean minus the six known 5s.
        let ps = table(&month, "perceived_safety");
        let cell = rows(ps)
            .iter()
            .find(|r| r["key"] == json!(["mujer", "21-23"]))
            .unwrap();
        survey.estimates.push(
            cell["values"][0]
                .as_f64()
                .map(|m| m * cell["count"].as_f64().unwrap() - (5 * SURVEY_PADDING) as f64),
        );

        // The travel-time leak: the only non-binary rider's mean minutes.
        let tt_rows = table(&month, "trip_times");
        let nb = rows(tt_rows)
            .iter()
            .find(|r| r["key"] == json!(["no_binario"]))
            .unwrap();
        travel.estimates.push(nb["values"][0].as_f64());

        // Date-range differencing: the month minus the other weeks.
        if weeks {
            let mut others = 0;
            for w in [1, 3, 4, 5] {
                let (_, wk) = e
                    .call(
                        "GET",
                        &format!(
                            "/v1/observatory/indicators?from=2026-10-{:02}&to=2026-10-{:02}",
                            (w - 1) * 7 + 1,
                            if w == 5 { 31 } else { w * 7 }
                        ),
                        None,
                    )
                    .await;
                assert_eq!(wk["periods"], json!([format!("2026-10-w{w}")]), "{wk}");
                others += count(table(&wk, "incidents"), &["acoso_exhibicionismo", "mujer"]);
            }
            let m = count(inc, &["acoso_exhibicionismo", "mujer"]);
            range.estimates.push(Some((m - others - PADDING) as f64));
        }
    }
    // The attacker's own padding, erased after the release, changes nothing public.
    let (_, before) = e
        .call("GET", "/v1/observatory/indicators?month=2026-10", None)
        .await;
    let padded = e
        .obs
        .store()
        .reports(&store::ReportFilter {
            from: 0,
            to: i64::MAX,
            status: None,
            category: Some("acoso_exhibicionismo".into()),
            limit: 100,
        })
        .await
        .unwrap();
    for r in padded.iter().skip(1) {
        e.obs.store().erase_report(&r.reference).await.unwrap();
    }
    let (_, after) = e
        .call("GET", "/v1/observatory/indicators?month=2026-10", None)
        .await;
    assert_eq!(before, after);
    for a in [&mut filter, &mut marginal, &mut padding] {
        a.sigma = least_deviation(false);
    }
    range.sigma = least_deviation(true);
    filter.judge("filter differencing", 1.0);
    marginal.judge("marginal differencing", 1.0);
    range.judge("date-range differencing", 1.0);
    padding.judge("padding then erasing", 1.0);
    // A single answer cannot be read off a noisy mean: the estimate of the victim's score
    // (1..5) is right no more often than a guess of one in five (σ 2: p ≈ 0.2), misses by
    // the noise, or the mean is not shown at all.
    survey.sigma = 2.0;
    survey.judge("survey-mean padding", 1.0);
    // One rider's minutes: the mean is withheld (the count is within its noise) or noisy.
    travel.sigma = 10.0;
    travel.judge("travel-time leak", VICTIM_MINUTES as f64);
}
