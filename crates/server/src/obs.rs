//! The observatory over HTTP: trips recorded off the request path, incident reports (with
//! idempotency keys and a status workflow), surveys, officials' access, and the public,
//! suppressed indicators.
//!
//! Public answers never carry anything that identifies a reporter: a report's status page
//! shows its category, status and history, not its place, text or reporter. Raw reports need
//! an official's bearer token.

use crate::query::Params;
use crate::{AppState, Problem};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use observatory::Category;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use store::{
    AgeBand, Channel, Gender, NewReport, NewSurvey, Official, Profile, Purpose, ReportFilter, Role,
    Status, Store, StoreError, TripRecord,
};
use timetable::{Coord, Day, Secs, Timetable};
use tokio::sync::{mpsc, oneshot};

/// Observatory parameters.
#[derive(Debug, Clone)]
pub struct ObservatorySettings {
    /// The privacy-loss budget of the public statistics.
    pub budget: observatory::privacy::Budget,
    /// Zone grid cell side, metres.
    pub zone_cell_m: f64,
    /// Longest description, characters.
    pub max_description_chars: usize,
    /// Incident categories.
    pub categories: Vec<Category>,
    /// A place farther than this from every stop is outside the area, metres.
    pub max_distance_m: f64,
}

impl Default for ObservatorySettings {
    fn default() -> Self {
        ObservatorySettings {
            budget: observatory::privacy::Budget::default(),
            zone_cell_m: 500.0,
            max_description_chars: 1000,
            categories: observatory::default_categories(),
            max_distance_m: 2000.0,
        }
    }
}

enum Msg {
    Trip(Box<TripRecord>),
    Flush(oneshot::Sender<()>),
}

/// The store, its settings, and the background writer of trip records.
#[derive(Debug)]
pub struct Obs {
    /// The database.
    pub store: Store,
    /// Parameters.
    pub settings: ObservatorySettings,
    tx: mpsc::Sender<Msg>,
    counters: Arc<TripCounters>,
}

/// What happened to trip records on their way to the store.
#[derive(Debug, Default)]
pub struct TripCounters {
    /// Dropped because the queue was full (the store was slower than the planner, or down).
    pub dropped: AtomicU64,
    /// Batches whose write failed and was retried.
    pub failed_writes: AtomicU64,
    /// Records written.
    pub written: AtomicU64,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

/// Trips buffered before the request path starts dropping them (counted) rather than wait.
const QUEUE: usize = 65_536;
/// Trips written per transaction.
const BATCH: usize = 512;
/// Waits between retries of a failed batch.
const RETRY_FIRST: std::time::Duration = std::time::Duration::from_millis(200);
const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(5);

impl Obs {
    /// Starts the trip writer on the current tokio runtime.
    pub fn start(store: Store, settings: ObservatorySettings) -> Arc<Obs> {
        let (tx, rx) = mpsc::channel::<Msg>(QUEUE);
        let counters = Arc::new(TripCounters::default());
        tokio::spawn(write_trips(store.clone(), rx, counters.clone()));
        Arc::new(Obs {
            store,
            settings,
            tx,
            counters,
        })
    }

    /// Queues a trip record; never waits (a full queue drops it and counts).
    pub fn record(&self, t: TripRecord) {
        if self.tx.try_send(Msg::Trip(Box::new(t))).is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until every trip queued so far is written, or `within` has passed (the store
    /// may be down); returns whether everything was written.
    pub async fn flush_within(&self, within: std::time::Duration) -> bool {
        let (done, wait) = oneshot::channel();
        tokio::time::timeout(within, async {
            self.tx.send(Msg::Flush(done)).await.is_ok() && wait.await.is_ok()
        })
        .await
        .unwrap_or(false)
    }

    /// Waits until every trip queued so far is written.
    pub async fn flush(&self) {
        let _ = self.flush_within(std::time::Duration::MAX).await;
    }

    /// Trip records dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// The trip writer's counters.
    pub fn trip_counters(&self) -> &TripCounters {
        &self.counters
    }
}

/// The trip writer: takes what is queued (up to a batch) and writes it in one transaction. A
/// failed batch is kept and retried with a growing pause, so a full disk or a database
/// restart loses nothing that fits in the queue; meanwhile new records wait in the queue and
/// only a full queue drops (and counts) them.
async fn write_trips(store: Store, mut rx: mpsc::Receiver<Msg>, counters: Arc<TripCounters>) {
    let mut batch: Vec<TripRecord> = Vec::with_capacity(BATCH);
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    let mut pause = RETRY_FIRST;
    loop {
        // Wait for work only when nothing is pending; then take whatever is queued.
        if batch.is_empty() {
            match rx.recv().await {
                Some(Msg::Trip(t)) => batch.push(*t),
                Some(Msg::Flush(done)) => flushes.push(done),
                None => return,
            }
        }
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(Msg::Trip(t)) => batch.push(*t),
                Ok(Msg::Flush(done)) => {
                    flushes.push(done);
                    // Trips queued after this flush may wait for the next batch.
                    break;
                }
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            if let Err(e) = store.record_trips(&batch).await {
                let failed = counters.failed_writes.fetch_add(1, Ordering::Relaxed);
                if failed.is_power_of_two() || failed == 0 {
                    tracing::error!(error = %e, trips = batch.len(), retry_in_ms = pause.as_millis() as u64,
                        "recording trips failed; keeping them and retrying");
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(RETRY_MAX);
                continue;
            }
            counters
                .written
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            batch.clear();
            pause = RETRY_FIRST;
        }
        for f in flushes.drain(..) {
            let _ = f.send(());
        }
    }
}

fn obs(s: &AppState, lang: Lang) -> Result<&Arc<Obs>, Problem> {
    s.settings
        .observatory
        .as_ref()
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, i18n::t(lang, "obs.unavailable", &[])))
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

use planner::clock::{local_to_unix, timezone as tz, unix_to_local};

/// A closed-set word (`gender`, `status`, …): absent is `None`, unknown is a 400 that lists
/// the allowed values.
fn word<T: store::Word>(lang: Lang, field: &str, v: Option<&str>) -> Result<Option<T>, Problem> {
    match v {
        None | Some("") => Ok(None),
        Some(x) => T::from_str(x).map(Some).map_err(|_| {
            let allowed: Vec<&str> = T::ALL.iter().map(|w| w.word()).collect();
            Problem::bad_request(i18n::t(
                lang,
                "obs.bad_value",
                &[
                    ("text", &x),
                    ("field", &field),
                    ("allowed", &allowed.join(", ")),
                ],
            ))
        }),
    }
}

/// The consented profile of a plan request (`consent=true` plus `gender`, `age_band`,
/// `purpose`, `disability`, `caregiver`); nothing is kept without consent.
pub fn profile_from(p: &Params) -> Result<Option<Profile>, Problem> {
    let lang = p.lang;
    let gender = word::<Gender>(lang, "gender", p.get("gender"))?;
    let age_band = word::<AgeBand>(lang, "age_band", p.get("age_band"))?;
    let purpose = word::<Purpose>(lang, "purpose", p.get("purpose"))?;
    let flag = |k: &str| matches!(p.get(k), Some("true" | "1" | "yes"));
    if !flag("consent") {
        return Ok(None);
    }
    Ok(Some(Profile {
        gender,
        age_band,
        disability: flag("disability"),
        caregiver: flag("caregiver"),
        purpose,
    }))
}

/// Where a plan starts or ends, as a zone.
pub fn zone_of_endpoint(tt: &Timetable, e: &planner::Endpoint, cell_m: f64) -> String {
    let c = match e {
        planner::Endpoint::Coord(c) => Some(*c),
        planner::Endpoint::Stops(s) => s.first().map(|&s| tt.stop(s).coord),
    };
    c.map_or_else(
        || "z:?".to_string(),
        |c| observatory::zone::zone_of(c.lat(), c.lon(), cell_m),
    )
}

/// The record of one plan served.
#[allow(clippy::too_many_arguments)]
pub fn trip_record(
    tt: &Timetable,
    o: &ObservatorySettings,
    from: &planner::Endpoint,
    to: &planner::Endpoint,
    time: Secs,
    plan: Option<&planner::Plan>,
    channel: Channel,
    profile: Option<Profile>,
    rider: Option<String>,
) -> TripRecord {
    let best = plan.and_then(|p| {
        p.itineraries
            .iter()
            .min_by_key(|i| (i.arrival_secs, i.transfers))
    });
    let planned_at = now_unix();
    TripRecord {
        planned_at,
        // Trips are counted on the day they were planned (ranges are about when riders asked),
        // at the hour they travel.
        local_day: unix_to_local(tt, planned_at).0,
        local_hour: u8::try_from((time / 3600) % 24).unwrap_or(0),
        channel,
        origin_zone: zone_of_endpoint(tt, from, o.zone_cell_m),
        dest_zone: zone_of_endpoint(tt, to, o.zone_cell_m),
        best: best.map(|b| store::BestJourney {
            travel_s: b.duration_s,
            wait_s: b.wait_s,
            walk_s: b.walk_s,
            transfers: i32::from(b.transfers),
            routes: b
                .legs
                .iter()
                .filter_map(|l| match l {
                    planner::ItineraryLeg::Ride { route_id, .. } => Some(route_id.clone()),
                    planner::ItineraryLeg::Walk { .. } => None,
                })
                .collect(),
        }),
        profile,
        rider,
    }
}

/// JSON endpoints take `application/json` only (415 otherwise): a page elsewhere can make a
/// browser POST `text/plain` or a form without asking (no CORS preflight), never JSON.
pub(crate) fn require_json(headers: &HeaderMap, lang: Lang) -> Result<(), Problem> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ctype.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        i18n::t(
            lang,
            "error.need_json",
            &[("given", &if ctype.is_empty() { "-" } else { ctype })],
        ),
    ))
}

fn body_json(body: &[u8], lang: Lang) -> Result<serde_json::Map<String, Value>, Problem> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Problem::bad_request(i18n::t(
            lang,
            "obs.bad_json",
            &[("error", &"expected an object")],
        ))),
        Err(e) => Err(Problem::bad_request(i18n::t(
            lang,
            "obs.bad_json",
            &[("error", &e)],
        ))),
    }
}

/// A documented field present with the wrong JSON type (null included) is a 400 naming it,
/// never silently treated as absent; so is an empty string where a value is needed, and a
/// closed field outside its set. Fields the API does not know are ignored.
fn check_fields(
    m: &serde_json::Map<String, Value>,
    strings: &[&str],
    needed: &[&str],
    numbers: &[&str],
    lang: Lang,
) -> Result<(), Problem> {
    let bad = |k: &str, want: &str| {
        Problem::bad_request(i18n::t(
            lang,
            "obs.bad_json",
            &[("error", &format!("`{k}` must be {want}"))],
        ))
    };
    for k in strings {
        match m.get(*k) {
            None => {}
            Some(Value::String(v)) if v.is_empty() && needed.contains(k) => {
                return Err(bad(k, "a non-empty string"));
            }
            Some(Value::String(_)) => {}
            Some(_) => return Err(bad(k, "a string")),
        }
    }
    for k in numbers {
        if m.get(*k).is_some_and(|v| !v.is_number()) {
            return Err(bad(k, "a number"));
        }
    }
    if let Some(c) = m.get("channel").and_then(Value::as_str)
        && !["web", "api"].contains(&c)
    {
        return Err(bad("channel", "`web` or `api`"));
    }
    Ok(())
}

fn str_field<'a>(m: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A report as submitted, checked against the timetable and the configuration.
#[derive(Debug)]
pub struct ReportInput<'a> {
    /// Category key.
    pub category: Option<&'a str>,
    /// Point.
    pub lat: Option<f64>,
    /// Point.
    pub lon: Option<f64>,
    /// Stop id.
    pub stop_id: Option<&'a str>,
    /// Route id.
    pub route_id: Option<&'a str>,
    /// When it happened, local `YYYY-MM-DDTHH:MM` or Unix seconds; `None`: now.
    pub occurred_at: Option<i64>,
    /// Free text.
    pub description: Option<&'a str>,
    /// Reporter's gender.
    pub gender: Option<&'a str>,
    /// Reporter's age band.
    pub age_band: Option<&'a str>,
    /// Channel.
    pub channel: Channel,
    /// Hashed rider handle.
    pub rider: Option<String>,
}

/// Validates a report; every problem is a 400 or 422 naming the field, and nothing is stored.
pub fn validate_report(
    tt: &Timetable,
    o: &ObservatorySettings,
    r: &ReportInput<'_>,
    now: i64,
    lang: Lang,
) -> Result<NewReport, Problem> {
    let cat = r.category.unwrap_or("");
    if !o.categories.iter().any(|c| c.key == cat) {
        return Err(Problem::bad_request(i18n::t(
            lang,
            "obs.unknown_category",
            &[("text", &cat)],
        )));
    }
    let stop = match r.stop_id {
        None => None,
        Some(id) => Some(tt.stop_by_id(id).ok_or_else(|| {
            Problem::unprocessable(i18n::t(lang, "error.unknown_stop", &[("id", &id)]))
        })?),
    };
    let point = match (r.lat, r.lon, stop) {
        (Some(lat), Some(lon), _) => Some(Coord::new(lat, lon).map_err(|_| {
            Problem::bad_request(i18n::t(
                lang,
                "error.bad_coordinate",
                &[("text", &format!("{lat},{lon}"))],
            ))
        })?),
        (None, None, Some(s)) => Some(tt.stop(s).coord),
        _ => None,
    };
    let Some(point) = point else {
        return Err(Problem::bad_request(i18n::t(lang, "obs.no_place", &[])));
    };
    let nearest = tt
        .stop_index()
        .nearest(point)
        .map_or(f64::INFINITY, |x| x.1);
    if nearest > o.max_distance_m {
        return Err(Problem::unprocessable(i18n::t(
            lang,
            "obs.outside_area",
            &[("km", &format!("{:.1}", nearest / 1000.0))],
        )));
    }
    let route = match r.route_id {
        None => None,
        Some(id) => Some(
            tt.route_by_id(id)
                .map(|ri| tt.route(ri).id.clone())
                .ok_or_else(|| {
                    Problem::unprocessable(i18n::t(lang, "obs.unknown_route", &[("text", &id)]))
                })?,
        ),
    };
    let occurred = r.occurred_at.unwrap_or(now);
    let (_, hour) = unix_to_local(tt, occurred);
    let shown = || {
        use chrono::TimeZone;
        tz(tt).timestamp_opt(occurred, 0).single().map_or_else(
            || occurred.to_string(),
            |d| d.format("%Y-%m-%d %H:%M").to_string(),
        )
    };
    if occurred > now + 300 {
        return Err(Problem::unprocessable(i18n::t(
            lang,
            "obs.future",
            &[("text", &shown())],
        )));
    }
    if occurred < now - 366 * 86_400 {
        return Err(Problem::unprocessable(i18n::t(
            lang,
            "obs.too_old",
            &[("text", &shown())],
        )));
    }
    let description = r.description.map(str::trim).filter(|d| !d.is_empty());
    if let Some(d) = description {
        let n = d.chars().count();
        if n > o.max_description_chars {
            return Err(Problem::bad_request(i18n::t(
                lang,
                "obs.description_too_long",
                &[("n", &n), ("max", &o.max_description_chars)],
            )));
        }
    }
    let gender = word::<Gender>(lang, "gender", r.gender)?;
    let age_band = word::<AgeBand>(lang, "age_band", r.age_band)?;
    Ok(NewReport {
        category: cat.to_string(),
        lat: Some(point.lat()),
        lon: Some(point.lon()),
        stop_id: stop.map(|s| tt.stop(s).id.clone()),
        route_id: route,
        zone: observatory::zone::zone_of(point.lat(), point.lon(), o.zone_cell_m),
        occurred_at: occurred,
        occurred_at_given: r.occurred_at.is_some(),
        local_hour: hour,
        description: description.map(str::to_string),
        gender,
        age_band,
        channel: r.channel,
        rider: r.rider.clone(),
    })
}

/// `2026-11-23T08:00` (local) or Unix seconds.
fn parse_when(tt: &Timetable, v: &Value, lang: Lang) -> Result<i64, Problem> {
    if let Some(n) = v.as_i64() {
        return Ok(n);
    }
    // 1612 and 1612.0 are the same JSON number.
    if let Some(f) = v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15) {
        return Ok(f as i64);
    }
    let text = v.as_str().unwrap_or("");
    let bad = || Problem::bad_request(i18n::t(lang, "error.bad_time", &[("text", &text)]));
    let (d, t) = text.split_once('T').ok_or_else(bad)?;
    let day = Day::parse(d).ok_or_else(bad)?;
    let secs = timetable::time::parse_clock(t.get(..5).unwrap_or(t)).map_err(|_| bad())?;
    Ok(local_to_unix(tt, day, secs))
}

pub(crate) fn idempotency_key(h: &HeaderMap, lang: Lang) -> Result<Option<String>, Problem> {
    match h.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let k = v.to_str().unwrap_or("");
            if k.is_empty() || k.len() > 100 || !k.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Problem::bad_request(i18n::t(lang, "obs.bad_key", &[])));
            }
            Ok(Some(k.to_string()))
        }
    }
}

pub(crate) fn store_problem(e: &StoreError, lang: Lang) -> Problem {
    match e {
        StoreError::KeyReused => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            i18n::t(lang, "obs.key_reused", &[]),
        ),
        StoreError::UnknownReport(r) => {
            Problem::not_found(i18n::t(lang, "obs.unknown_report", &[("text", r)]))
        }
        StoreError::BadTransition { from, to } => Problem::new(
            StatusCode::CONFLICT,
            i18n::t(lang, "obs.bad_transition", &[("from", from), ("to", to)]),
        ),
        StoreError::DiskFull => {
            tracing::error!("store: no space left on the data volume");
            unavailable(i18n::t(lang, "store.disk_full", &[]), 30)
        }
        StoreError::ReadOnly => {
            tracing::error!("store: the data volume is read-only");
            unavailable(i18n::t(lang, "store.read_only", &[]), 60)
        }
        other => {
            tracing::error!(error = %other, "store");
            unavailable(i18n::t(lang, "store.unavailable", &[]), 5)
        }
    }
}

/// 503 with `Retry-After`: the request was fine, the store could not take it now.
fn unavailable(detail: String, retry_after_s: u32) -> Problem {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail).retry_after(retry_after_s)
}

/// The public view of a report, with its history.
async fn public_answer(o: &Obs, r: &store::Report, lang: Lang) -> Result<Response, Problem> {
    let events = o
        .store
        .report_events(&r.reference)
        .await
        .map_err(|e| store_problem(&e, lang))?;
    Ok(Json(public_report(r, &events)).into_response())
}

/// What the reporter (or anyone with the reference) may see of a report.
fn public_report(r: &store::Report, events: &[store::ReportEvent]) -> Value {
    json!({
        "reference": r.reference,
        "category": r.category,
        "status": r.status,
        "reported_at": r.reported_at,
        "updated_at": r.updated_at,
        "history": events.iter().map(|e| json!({ "status": e.status, "at": e.at, "note": e.note })).collect::<Vec<_>>(),
    })
}

#[utoipa::path(post, path = "/v1/reports", tag = "observatory",
    summary = "Report an incident (JSON); `Idempotency-Key` makes retries safe",
    description = "Body: `category` (see /open311/v2/services.json), `lat`+`lon` or `stop_id`, optional `route_id`, `occurred_at` (`YYYY-MM-DDTHH:MM` local, default now), `description`, `gender`, `age_band`. The answer's `reference` is a secret shown once: with it the reporter follows and erases the report. Likely duplicates are linked for officials only.",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–100 visible characters; a retry with the same key and body returns the first report", pattern = "^[!-~]{1,100}$")),
    request_body(content = Object, content_type = "application/json", description = "The report (fields above)"),
    responses(
        (status = 201, description = "`{reference, status, status_url, notice}`: `reference` is the reporter's secret", body = Object),
        (status = 200, description = "A retry: the report stored the first time", body = Object),
        (status = 400, description = "Malformed body or field; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Outside the network, unknown stop or route, future or too old, key reused; nothing stored", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/reports`: a JSON report; `Idempotency-Key` makes retries safe.
pub async fn create_report(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let lang = Params::parse(raw.as_deref())?.lang;
    require_json(&headers, lang)?;
    let o = obs(&s, lang)?;
    let key = idempotency_key(&headers, lang)?;
    let m = body_json(&body, lang)?;
    check_fields(
        &m,
        &[
            "category",
            "stop_id",
            "route_id",
            "description",
            "gender",
            "age_band",
            "channel",
        ],
        &["stop_id", "route_id", "gender", "age_band", "channel"],
        &["lat", "lon"],
        lang,
    )?;
    let ds = s.dataset();
    let tt = &ds.timetable;
    let now = now_unix();
    let occurred = m
        .get("occurred_at")
        .map(|v| parse_when(tt, v, lang))
        .transpose()?;
    let num = |k: &str| m.get(k).and_then(Value::as_f64);
    let input = ReportInput {
        category: str_field(&m, "category"),
        lat: num("lat"),
        lon: num("lon"),
        stop_id: str_field(&m, "stop_id"),
        route_id: str_field(&m, "route_id"),
        occurred_at: occurred,
        description: str_field(&m, "description"),
        gender: str_field(&m, "gender"),
        age_band: str_field(&m, "age_band"),
        channel: if str_field(&m, "channel") == Some("web") {
            Channel::Web
        } else {
            Channel::Api
        },
        rider: None,
    };
    let new = validate_report(tt, &o.settings, &input, now, lang)?;
    let created = o
        .store
        .create_report(&new, key.as_deref(), now)
        .await
        .map_err(|e| store_problem(&e, lang))?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    // Only the reporter's own secret: never another report's reference, nothing that says
    // whether another report exists nearby (likely duplicates are linked for officials).
    let body = json!({
        "reference": created.secret,
        "status": created.report.status,
        "status_url": format!("/v1/reports/{}", created.secret),
        "notice": i18n::t(lang, "obs.secret_notice", &[]),
    });
    Ok((status, Json(body)).into_response())
}

/// Lookups by secret take at least this long, found or not, so that timing tells nothing.
const LOOKUP_FLOOR: std::time::Duration = std::time::Duration::from_millis(120);

/// Waits until `LOOKUP_FLOOR` has passed since `started`.
async fn floor(started: std::time::Instant) {
    tokio::time::sleep_until((started + LOOKUP_FLOOR).into()).await;
}

#[utoipa::path(get, path = "/v1/reports/{reference}", tag = "observatory",
    summary = "A report's status and history, for its reporter (by the secret reference) or for officials (by case id, with a token)",
    params(("reference" = String, Path, description = "The secret returned on creation (`R-` and 20 characters), or an official's case id (`C-…`)")),
    responses((status = 200, description = "`{reference, category, status, reported_at, updated_at, history}` (no place, text or reporter)", body = Object),
        (status = 404, description = "No report with that reference", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this client", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/reports/{reference}`: status and history, nothing that identifies the reporter.
pub async fn report_status(
    State(s): State<Arc<AppState>>,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let started = std::time::Instant::now();
    let lang = Params::parse(raw.as_deref())?.lang;
    let o = obs(&s, lang)?;
    let found = if reference.starts_with("C-") {
        official(o, &headers, Role::Viewer, lang).await?;
        o.store.report(&reference).await
    } else {
        o.store.report_by_secret(&reference).await
    }
    .map_err(|e| store_problem(&e, lang))?;
    // The same work whether or not it exists: the history query runs either way.
    let events = o
        .store
        .report_events(found.as_ref().map_or("", |r| r.reference.as_str()))
        .await
        .map_err(|e| store_problem(&e, lang))?;
    floor(started).await;
    let r = found.ok_or_else(|| {
        Problem::not_found(i18n::t(lang, "obs.unknown_report", &[("text", &reference)]))
    })?;
    let mut body = public_report(&r, &events);
    body["reference"] = json!(reference);
    Ok(Json(body).into_response())
}

#[utoipa::path(delete, path = "/v1/reports/{reference}", tag = "observatory",
    summary = "Right to erasure: the reporter deletes their report (and its history) with the secret reference",
    params(("reference" = String, Path, description = "The secret returned on creation")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No report with that reference", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this client", body = Problem, content_type = "application/problem+json")))]
/// `DELETE /v1/reports/{reference}`: only the holder of the secret (the reporter) may erase.
pub async fn erase_report(
    State(s): State<Arc<AppState>>,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let started = std::time::Instant::now();
    let lang = Params::parse(raw.as_deref())?.lang;
    let o = obs(&s, lang)?;
    let erased = o
        .store
        .erase_report_by_secret(&reference)
        .await
        .map_err(|e| store_problem(&e, lang))?;
    floor(started).await;
    if erased {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::not_found(i18n::t(
            lang,
            "obs.unknown_report",
            &[("text", &reference)],
        )))
    }
}

/// The official behind the request's bearer token, if their role is at least `needed`.
pub async fn official(
    o: &Obs,
    headers: &HeaderMap,
    needed: Role,
    lang: Lang,
) -> Result<Official, Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let unauthorized = || {
        let mut r = Problem::new(
            StatusCode::UNAUTHORIZED,
            i18n::t(lang, "obs.need_token", &[]),
        );
        r.title = "Unauthorized".into();
        r
    };
    let Some(token) = token else {
        return Err(unauthorized());
    };
    let who = o
        .store
        .authenticate(token)
        .await
        .map_err(|e| store_problem(&e, lang))?
        .ok_or_else(unauthorized)?;
    if who.role < needed {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            i18n::t(
                lang,
                "obs.wrong_role",
                &[("role", &who.role), ("needed", &needed)],
            ),
        ));
    }
    Ok(who)
}

#[utoipa::path(get, path = "/v1/reports", tag = "observatory",
    summary = "Raw reports with place and description (officials: viewer or above)",
    security(("official_token" = [])),
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD", pattern = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$"), ("to" = Option<String>, Query, description = "YYYY-MM-DD", pattern = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$"),
        ("status" = Option<String>, Query), ("category" = Option<String>, Query), ("limit" = Option<i64>, Query, description = "1–5000", minimum = 1, maximum = 5000)),
    responses((status = 200, description = "`{reports: [...]}`", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed date, status, category or limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/reports` (officials): raw reports with place and description.
pub async fn list_reports(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let p = Params::parse(raw.as_deref())?;
    let lang = p.lang;
    let o = obs(&s, lang)?;
    official(o, &headers, Role::Viewer, lang).await?;
    let ds = s.dataset();
    let (from, to) = range(&ds.timetable, &p)?;
    let status = word::<Status>(lang, "status", p.get("status"))?;
    let limit = p.number("limit", 200i64, 1..=5000)?;
    let reports = o
        .store
        .reports(&ReportFilter {
            from,
            to,
            status,
            category: p.get("category").map(str::to_string),
            limit,
        })
        .await
        .map_err(|e| store_problem(&e, lang))?;
    Ok(Json(json!({ "reports": reports })).into_response())
}

#[utoipa::path(post, path = "/v1/reports/{reference}/status", tag = "observatory",
    summary = "Move a report along open → acknowledged → in_progress → closed, with a note (editors)",
    security(("official_token" = [])),
    params(("reference" = String, Path)),
    responses((status = 200, description = "The report's public view with its history", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The workflow does not allow that change", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/reports/{reference}/status` (editors): `{"status": "...", "note": "..."}`.
pub async fn change_status(
    State(s): State<Arc<AppState>>,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let lang = Params::parse(raw.as_deref())?.lang;
    let o = obs(&s, lang)?;
    let who = official(o, &headers, Role::Editor, lang).await?;
    require_json(&headers, lang)?;
    let m = body_json(&body, lang)?;
    // A missing status is reported like a wrong one, with the allowed values.
    let Some(to) = word::<Status>(lang, "status", Some(str_field(&m, "status").unwrap_or("-")))?
    else {
        return Err(Problem::bad_request("`status` is required"));
    };
    let note = str_field(&m, "note").unwrap_or("");
    if note.chars().count() > o.settings.max_description_chars {
        return Err(Problem::bad_request(i18n::t(
            lang,
            "obs.description_too_long",
            &[
                ("n", &note.chars().count()),
                ("max", &o.settings.max_description_chars),
            ],
        )));
    }
    let r = o
        .store
        .change_status(&reference, to, note, &who.name, now_unix())
        .await
        .map_err(|e| store_problem(&e, lang))?;
    public_answer(o, &r, lang).await
}

#[utoipa::path(post, path = "/v1/surveys", tag = "observatory",
    summary = "Perceived safety and satisfaction (1–5) for a route and time",
    request_body(content = Object, content_type = "application/json", description = "`{route_id, safety, satisfaction, at, gender, age_band}`"),
    responses((status = 201, description = "Recorded", body = Object),
        (status = 400, description = "Scores outside 1–5 or missing", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown route, or a time in the future or more than a year ago", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/surveys`: `{"route_id", "safety": 1-5, "satisfaction": 1-5, "at", "gender", "age_band"}`.
pub async fn create_survey(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let lang = Params::parse(raw.as_deref())?.lang;
    require_json(&headers, lang)?;
    let o = obs(&s, lang)?;
    let m = body_json(&body, lang)?;
    check_fields(
        &m,
        &["route_id", "gender", "age_band"],
        &["route_id", "gender", "age_band"],
        &[],
        lang,
    )?;
    let ds = s.dataset();
    let tt = &ds.timetable;
    let score = |k: &str| -> Result<Option<u8>, Problem> {
        match m.get(k) {
            None => Ok(None),
            // 1 and 1.0 are the same JSON number.
            Some(v) => match v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64) {
                Some(n @ 1..=5) => Ok(Some(n as u8)),
                _ => Err(Problem::bad_request(i18n::t(
                    lang,
                    "obs.bad_score",
                    &[("field", &k), ("text", &v)],
                ))),
            },
        }
    };
    let (safety, satisfaction) = (score("safety")?, score("satisfaction")?);
    if safety.is_none() && satisfaction.is_none() {
        return Err(Problem::bad_request(i18n::t(lang, "obs.no_score", &[])));
    }
    let route = match str_field(&m, "route_id") {
        None => None,
        Some(id) => Some(
            tt.route_by_id(id)
                .map(|ri| tt.route(ri).id.clone())
                .ok_or_else(|| {
                    Problem::unprocessable(i18n::t(lang, "obs.unknown_route", &[("text", &id)]))
                })?,
        ),
    };
    let now = now_unix();
    let at = m
        .get("at")
        .map(|v| parse_when(tt, v, lang))
        .transpose()?
        .unwrap_or(now);
    if at > now + 300 {
        return Err(Problem::unprocessable(i18n::t(
            lang,
            "obs.future",
            &[("text", &at)],
        )));
    }
    // As for reports: an answer about a trip more than a year ago tells officials nothing.
    if at < now - 366 * 86_400 {
        return Err(Problem::unprocessable(i18n::t(
            lang,
            "obs.too_old",
            &[("text", &at)],
        )));
    }
    let survey = NewSurvey {
        answered_at: now,
        local_hour: unix_to_local(tt, at).1,
        route_id: route,
        safety,
        satisfaction,
        gender: word::<Gender>(lang, "gender", str_field(&m, "gender"))?,
        age_band: word::<AgeBand>(lang, "age_band", str_field(&m, "age_band"))?,
        channel: Channel::Api,
        rider: None,
    };
    o.store
        .add_survey(&survey)
        .await
        .map_err(|e| store_problem(&e, lang))?;
    Ok((StatusCode::CREATED, Json(json!({ "status": "recorded" }))).into_response())
}

/// `from`/`to` (dates, local) as Unix seconds; default: the last 30 days.
fn range(tt: &Timetable, p: &Params) -> Result<(i64, i64), Problem> {
    let lang = p.lang;
    let day = |k: &str| -> Result<Option<i64>, Problem> {
        match p.get(k) {
            None => Ok(None),
            Some(d) => Day::parse(d)
                .map(|d| Some(local_to_unix(tt, d, 0)))
                .ok_or_else(|| {
                    Problem::bad_request(i18n::t(lang, "error.bad_date", &[("text", &d)]))
                }),
        }
    };
    let now = now_unix();
    let to = day("to")?.map_or(now + 1, |t| t + 86_400);
    let from = day("from")?.unwrap_or(to - 30 * 86_400);
    if from >= to {
        return Err(Problem::unprocessable(i18n::t(lang, "obs.bad_range", &[])));
    }
    Ok((from, to))
}

/// Network facts from the timetable (no people in them): stops and runs marked accessible,
/// and runs per hour by route on a reference day.
fn network_tables(tt: &Timetable, day: Day) -> Vec<Value> {
    let stops = tt.stops().len();
    let stops_ok = tt
        .stops()
        .iter()
        .filter(|s| s.wheelchair == timetable::Accessibility::Yes)
        .count();
    let mut runs = 0usize;
    let mut runs_ok = 0usize;
    let mut per: std::collections::BTreeMap<String, (u64, std::collections::BTreeSet<u8>)> =
        Default::default();
    for (route, departure, wheelchair) in tt.runs_of_day(day) {
        runs += 1;
        if wheelchair == timetable::Accessibility::Yes {
            runs_ok += 1;
        }
        let e = per.entry(tt.route(route).id.clone()).or_default();
        e.0 += 1;
        e.1.insert(u8::try_from((departure / 3600) % 24).unwrap_or(0));
    }
    let share = |x: usize, n: usize| (n > 0).then(|| x as f64 / n as f64);
    vec![
        json!({
            "id": "accessibility", "dimensions": ["of"], "measures": ["share_accessible"],
            "rows": [
                {"key": ["stops"], "count": stops, "values": [share(stops_ok, stops)]},
                {"key": ["runs"], "count": runs, "values": [share(runs_ok, runs)]},
            ],
        }),
        json!({
            "id": "supply", "dimensions": ["route"], "measures": ["runs_per_hour"],
            "rows": per.iter().map(|(r, (n, hours))| json!({
                "key": [r], "count": n,
                "values": [*n as f64 / hours.len().max(1) as f64],
            })).collect::<Vec<_>>(),
        }),
    ]
}

/// Which released periods a request covers: `month=YYYY-MM` (its release, else its closed
/// weeks), `from`/`to` (released months inside the range, else released weeks inside it),
/// or by default the latest released month (before any, the running month's closed weeks).
fn choose_periods(
    all: &[(String, u8)],
    p: &Params,
    lang: Lang,
) -> Result<Vec<(String, u8)>, Problem> {
    let has = |m: &str, w: u8| all.iter().any(|(a, b)| a == m && *b == w);
    let month_or_weeks = |m: &str| -> Vec<(String, u8)> {
        if has(m, 0) {
            vec![(m.to_string(), 0)]
        } else {
            (1..=5)
                .filter(|w| has(m, *w))
                .map(|w| (m.to_string(), w))
                .collect()
        }
    };
    if let Some(m) = p.get("month") {
        if crate::releases::month_name(
            chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").map_err(|_| {
                Problem::bad_request(i18n::t(lang, "obs.bad_month", &[("text", &m)]))
            })?,
        ) != m
        {
            return Err(Problem::bad_request(i18n::t(
                lang,
                "obs.bad_month",
                &[("text", &m)],
            )));
        }
        return Ok(month_or_weeks(m));
    }
    let day = |k: &str| -> Result<Option<chrono::NaiveDate>, Problem> {
        p.get(k)
            .map(|d| {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    Problem::bad_request(i18n::t(lang, "error.bad_date", &[("text", &d)]))
                })
            })
            .transpose()
    };
    let (from, to) = (day("from")?, day("to")?);
    if from.is_none() && to.is_none() {
        // The latest whole month; before any month has closed, the running one's weeks.
        let latest = all.iter().find(|(_, w)| *w == 0).map(|(m, _)| m.clone());
        let running = all.iter().map(|(m, _)| m.clone()).max();
        return Ok(match (latest, running) {
            (Some(l), _) => vec![(l, 0)],
            (None, Some(r)) => month_or_weeks(&r),
            (None, None) => vec![],
        });
    }
    let from = from.unwrap_or(chrono::NaiveDate::MIN);
    let to = to.unwrap_or(chrono::NaiveDate::MAX);
    if from > to {
        return Err(Problem::unprocessable(i18n::t(lang, "obs.bad_range", &[])));
    }
    let months: std::collections::BTreeSet<&String> = all.iter().map(|(m, _)| m).collect();
    let mut out = Vec::new();
    for m in months {
        let periods = crate::releases::closed_periods(m, chrono::NaiveDate::MAX);
        let inside = |p: &observatory::publish::Period| {
            let f = chrono::NaiveDate::parse_from_str(&p.from, "%Y-%m-%d").ok();
            let t = chrono::NaiveDate::parse_from_str(&p.to, "%Y-%m-%d").ok();
            f.zip(t).is_some_and(|(f, t)| f >= from && t <= to)
        };
        let month = periods.iter().find(|p| p.week.is_none());
        if month.is_some_and(&inside) && has(m, 0) {
            out.push((m.clone(), 0));
            continue;
        }
        for p in periods.iter().filter(|p| p.week.is_some() && inside(p)) {
            let w = p.week.unwrap_or(0);
            if has(m, w) {
                out.push((m.clone(), w));
            }
        }
    }
    Ok(out)
}

/// Filters of a public request: cells of released tables (`route`, `category`, `zone`,
/// `gender`, `hour_band`, `family`, `purpose`).
fn filters(p: &Params, o: &Obs, lang: Lang) -> Result<observatory::publish::Filters, Problem> {
    use observatory::release::Dim;
    let mut out = Vec::new();
    for (key, dim) in [
        ("route", Dim::Route),
        ("category", Dim::Category),
        ("zone", Dim::Zone),
        ("gender", Dim::Gender),
        ("hour_band", Dim::HourBand),
        ("family", Dim::Family),
        ("purpose", Dim::Purpose),
    ] {
        if let Some(v) = p.get(key) {
            if key == "category" && !o.settings.categories.iter().any(|c| c.key == v) {
                return Err(Problem::bad_request(i18n::t(
                    lang,
                    "obs.unknown_category",
                    &[("text", &v)],
                )));
            }
            out.push((dim, v.to_string()));
        }
    }
    Ok(out)
}

fn labelled(lang: Lang, t: &observatory::publish::Table) -> Value {
    let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
    v["title"] = json!(i18n::t(lang, &format!("indicator.{}.title", t.id), &[]));
    v["definition"] = json!(i18n::t(
        lang,
        &format!("indicator.{}.definition", t.id),
        &[]
    ));
    v["margin"] = json!(observatory::publish::Z95 * t.sigma);
    v
}

#[utoipa::path(get, path = "/v1/observatory/indicators", tag = "observatory",
    summary = "The public statistics: released tables, protected with differential privacy, each number with its 95 % margin of error",
    description = "Answers are cells of releases computed once per closed period (weeks 1–7, 8–14, 15–21, 22–28, 29–end of a month, and months) and stored; nothing is computed from records at request time. A range is the sum of the released periods it covers.",
    params(("month" = Option<String>, Query, description = "YYYY-MM: its release, or its closed weeks while it runs", pattern = r"^(?:[0-9]{4}-(?:0[1-9]|1[0-2]))?$"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD: released periods inside from..to", pattern = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD", pattern = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$"),
        ("route" = Option<String>, Query), ("category" = Option<String>, Query), ("zone" = Option<String>, Query),
        ("gender" = Option<String>, Query), ("hour_band" = Option<String>, Query), ("family" = Option<String>, Query),
        ("indicator" = Option<String>, Query, description = "One indicator only"),
        ("format" = Option<String>, Query, description = "`csv` (or `Accept: text/csv`)")),
    responses((status = 200, description = "JSON `{from, to, periods, privacy, indicators: [{id, title, definition, dimensions, measures, sigma, margin, rows: [{key, count, margin, values, value_margins, within_margin}], total, total_margin}]}` or CSV", body = Object),
        (status = 400, description = "Unknown category, bad dates or month", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No release covers the range yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/observatory/indicators?month=|from=&to=&route=&category=&…&format=csv`.
pub async fn indicators(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let p = Params::parse(raw.as_deref())?;
    let lang = p.lang;
    let o = obs(&s, lang)?;
    let f = filters(&p, o, lang)?;
    let all = o
        .store
        .release_periods()
        .await
        .map_err(|e| store_problem(&e, lang))?;
    let chosen = choose_periods(&all, &p, lang)?;
    if chosen.is_empty() {
        return Err(Problem::not_found(i18n::t(lang, "obs.no_release", &[])));
    }
    let months: Vec<String> = chosen
        .iter()
        .map(|(m, _)| m.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let stored = o
        .store
        .releases_of(&months)
        .await
        .map_err(|e| store_problem(&e, lang))?;
    let stored: Vec<store::StoredRelease> = stored
        .into_iter()
        .filter(|r| chosen.contains(&(r.month.clone(), r.week)))
        .collect();
    let releases = crate::releases::parse(&stored).map_err(|e| {
        tracing::error!(error = %e, "a stored release does not read back");
        unavailable(i18n::t(lang, "store.unavailable", &[]), 60)
    })?;
    let refs: Vec<&observatory::publish::Release> = releases.iter().collect();
    let harassment: Vec<String> = o
        .settings
        .categories
        .iter()
        .filter(|c| c.harassment)
        .map(|c| c.key.clone())
        .collect();
    let mut ans = observatory::publish::answer(&refs, &f, &harassment);
    if let Some(one) = p.get("indicator") {
        ans.tables.retain(|t| t.id == one);
        if ans.tables.is_empty() && !["accessibility", "supply"].contains(&one) {
            let ids: Vec<&str> = observatory::release::CATALOGUE
                .iter()
                .map(|t| t.id)
                .collect();
            return Err(Problem::bad_request(i18n::t(
                lang,
                "obs.bad_value",
                &[
                    ("text", &one),
                    ("field", &"indicator"),
                    ("allowed", &ids.join(", ")),
                ],
            )));
        }
    }
    let csv = p.get("format") == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"));
    if csv {
        let name = format!("indicadores-{}-{}.csv", ans.from, ans.to);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            to_csv(&ans),
        )
            .into_response());
    }
    let ds = s.dataset();
    let mut tables: Vec<Value> = ans.tables.iter().map(|t| labelled(lang, t)).collect();
    if f.is_empty() {
        let day = Day::parse(&ans.to).unwrap_or_else(|| planner::clock::now(&ds.timetable).0);
        for mut t in network_tables(&ds.timetable, day) {
            let id = t["id"].as_str().unwrap_or("").to_string();
            if p.get("indicator").is_some_and(|one| one != id) {
                continue;
            }
            t["title"] = json!(i18n::t(lang, &format!("indicator.{id}.title"), &[]));
            t["definition"] = json!(i18n::t(lang, &format!("indicator.{id}.definition"), &[]));
            tables.push(t);
        }
    }
    Ok(Json(json!({
        "from": ans.from,
        "to": ans.to,
        "periods": ans.periods,
        "privacy": {
            "epsilon_per_month": ans.epsilon_per_month,
            "delta": ans.delta,
            "rho_per_month": ans.rho_per_month,
            "explanation": i18n::t(lang, "obs.privacy_explanation", &[
                ("epsilon", &format!("{:.1}", ans.epsilon_per_month)),
            ]),
        },
        "zone_cell_m": o.settings.zone_cell_m,
        "indicators": tables,
    }))
    .into_response())
}

#[utoipa::path(get, path = "/v1/observatory/internal", tag = "observatory",
    summary = "Exact figures for officials (viewer or above): INTERNAL, never for publication",
    security(("official_token" = [])),
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD, default 30 days before `to`", pattern = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD, default today", pattern = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$")),
    responses((status = 200, description = "`{internal: true, notice, from, to, indicators: [{id, dimensions, measures, rows: [{key, count, values}]}]}`", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed date, status, category or limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/observatory/internal` (officials): the catalogue's tables, exact, every record.
pub async fn internal_indicators(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let p = Params::parse(raw.as_deref())?;
    let lang = p.lang;
    let o = obs(&s, lang)?;
    official(o, &headers, Role::Viewer, lang).await?;
    let ds = s.dataset();
    let tt = Arc::clone(&ds.timetable);
    let (from, to) = range(&tt, &p)?;
    let records = crate::releases::exact_records(o, &tt, from, to)
        .await
        .map_err(|e| store_problem(&e, lang))?;
    let domains = crate::releases::domains(&tt, o);
    let exact = tokio::task::spawn_blocking(move || {
        observatory::release::tabulate(&records, &domains, None, 1..=31)
    })
    .await
    .map_err(|_| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "the tables stopped"))?;
    let tables: Vec<Value> = exact
        .iter()
        .map(|e| {
            let keys = cell_keys(&e.values);
            let counts = &e.measures[0];
            json!({
                "id": e.spec.id,
                "title": i18n::t(lang, &format!("indicator.{}.title", e.spec.id), &[]),
                "dimensions": e.spec.dims.iter().map(|d| d.name()).collect::<Vec<_>>(),
                "measures": e.spec.measures.iter().skip(1).map(|m| format!("{}_mean", m.name)).collect::<Vec<_>>(),
                "rows": keys.iter().enumerate().filter(|(i, _)| counts[*i] != 0).map(|(i, k)| json!({
                    "key": k,
                    "count": counts[i],
                    "values": e.measures.iter().skip(1).map(|m| (counts[i] > 0).then(|| m[i] as f64 / counts[i] as f64)).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "private, no-store")],
        Json(json!({
            "internal": true,
            "notice": i18n::t(lang, "obs.internal_notice", &[]),
            "from": planner::clock::local_datetime(&tt, from),
            "to": planner::clock::local_datetime(&tt, to),
            "indicators": tables,
        })),
    )
        .into_response())
}

fn cell_keys(values: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for vals in values {
        out = out
            .into_iter()
            .flat_map(|k: Vec<String>| {
                vals.iter().map(move |v| {
                    let mut k = k.clone();
                    k.push(v.clone());
                    k
                })
            })
            .collect();
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v:.4}"))
}

/// One CSV for all tables: each cell with its 95 % margin, and each derived value with its.
fn to_csv(a: &observatory::publish::Answer) -> String {
    let mut out = String::from(
        "indicator,period_from,period_to,group,count,margin_95,within_margin,measure,value,value_margin_95,epsilon_per_month\n",
    );
    for t in &a.tables {
        for r in &t.rows {
            let group: Vec<String> = t
                .dimensions
                .iter()
                .zip(&r.key)
                .map(|(d, v)| format!("{d}={v}"))
                .collect();
            let head = format!(
                "{},{},{},{},{},{:.1},{}",
                t.id,
                a.from,
                a.to,
                csv_field(&group.join(";")),
                r.count,
                r.margin,
                r.within_margin
            );
            if t.measures.is_empty() {
                out.push_str(&format!("{head},,,,{:.3}\n", a.epsilon_per_month));
            }
            for (i, m) in t.measures.iter().enumerate() {
                out.push_str(&format!(
                    "{head},{m},{},{},{:.3}\n",
                    num(r.values.get(i).copied().flatten()),
                    num(r.value_margins.get(i).copied().flatten()),
                    a.epsilon_per_month
                ));
            }
        }
    }
    out
}
