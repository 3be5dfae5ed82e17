//! The observatory over HTTP: trips recorded off the request path, incident reports (with
//! idempotency keys and a status workflow), surveys, officials' access, and the public,
//! suppressed indicators.
//!
//! Public answers never carry anything that identifies a reporter: a report's status page
//! shows its category, status and history, not its place, text or reporter. Raw reports need
//! an official's bearer token.

use crate::answers;
use crate::query::Params;
use crate::{AppState, Problem};
use app::reports::{Followed, ReportInput};
use app::{Obs, now_unix};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use serde_json::{Value, json};
use std::sync::Arc;
use store::{
    AgeBand, Channel, Gender, Official, Profile, Purpose, ReportFilter, Role, Status, StoreError,
};
use timetable::{Day, Timetable};

fn obs(s: &AppState, lang: Lang) -> Result<&Arc<Obs>, Problem> {
    Ok(s.app().require_observatory(lang)?)
}

use planner::clock::local_to_unix;

/// A closed-set word (`gender`, `status`, …): absent is `None`, unknown is a 400 that lists
/// the allowed values.
fn word<T: store::Word>(lang: Lang, field: &str, v: Option<&str>) -> Result<Option<T>, Problem> {
    Ok(app::word(lang, field, v)?)
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
    app::Error::from_store(e, lang).into()
}

/// What the reporter (or anyone with the reference) may see of a report.
fn public_report(
    reference: &str,
    r: &store::Report,
    events: &[store::ReportEvent],
) -> answers::ReportView {
    answers::ReportView {
        reference: reference.to_string(),
        category: r.category.clone(),
        status: r.status.as_str().to_string(),
        reported_at: r.reported_at,
        updated_at: r.updated_at,
        history: events
            .iter()
            .map(|e| answers::HistoryEntry {
                status: e.status.as_str().to_string(),
                at: e.at,
                note: e.note.clone(),
            })
            .collect(),
    }
}

#[utoipa::path(post, path = "/v1/reports", tag = "observatory",
    summary = "Report an incident (JSON); `Idempotency-Key` makes retries safe",
    description = "Body: `category` (see /open311/v2/services.json), `lat`+`lon` or `stop_id`, optional `route_id`, `occurred_at` (`YYYY-MM-DDTHH:MM` local, default now), `description`, `gender`, `age_band`. The answer's `reference` is a secret shown once: with it the reporter follows and erases the report. Likely duplicates are linked for officials only.",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–100 visible characters; a retry with the same key and body returns the first report", pattern = "^[!-~]{1,100}$")),
    request_body(content = Object, content_type = "application/json", description = "The report (fields above)"),
    responses(
        (status = 201, description = "Filed: `reference` is the reporter's secret", body = answers::ReportFiled),
        (status = 200, description = "A retry: the report stored the first time", body = answers::ReportFiled),
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
    let new = app::reports::validate(tt, &o.settings, &input, now, lang)?;
    let created = app::reports::file(o, &new, key.as_deref(), lang).await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    // Only the reporter's own secret: never another report's reference, nothing that says
    // whether another report exists nearby (likely duplicates are linked for officials).
    let body = answers::ReportFiled {
        status_url: format!("/v1/reports/{}", created.secret),
        reference: created.secret,
        status: created.status.as_str().to_string(),
        notice: i18n::t(lang, "obs.secret_notice", &[]),
    };
    Ok((status, Json(body)).into_response())
}

#[utoipa::path(get, path = "/v1/reports/{reference}", tag = "observatory",
    summary = "A report's status and history, for its reporter (by the secret reference) or for officials (by case id, with a token)",
    params(("reference" = String, Path, description = "The secret returned on creation (`R-` and 20 characters), or an official's case id (`C-…`)")),
    responses((status = 200, description = "Status and history (no place, text or reporter)", body = answers::ReportView),
        (status = 404, description = "No report with that reference", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this client", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/reports/{reference}`: status and history, nothing that identifies the reporter.
pub async fn report_status(
    State(s): State<Arc<AppState>>,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let lang = Params::parse(raw.as_deref())?.lang;
    let o = obs(&s, lang)?;
    let Followed {
        report: r,
        history: events,
    } = app::reports::follow(o, &reference, bearer(&headers), lang).await?;
    let body = public_report(&reference, &r, &events);
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
    let lang = Params::parse(raw.as_deref())?.lang;
    let o = obs(&s, lang)?;
    app::reports::erase(o, &reference, lang).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The bearer token of a request, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// The official behind the request's bearer token, if their role is at least `needed`.
pub async fn official(
    o: &Obs,
    headers: &HeaderMap,
    needed: Role,
    lang: Lang,
) -> Result<Official, Problem> {
    Ok(app::officials::authenticate(o, bearer(headers), needed, lang).await?)
}

#[utoipa::path(get, path = "/v1/reports", tag = "observatory",
    summary = "Raw reports with place and description (officials: viewer or above)",
    security(("official_token" = [])),
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD", pattern = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$"), ("to" = Option<String>, Query, description = "YYYY-MM-DD", pattern = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$"),
        ("status" = Option<String>, Query), ("category" = Option<String>, Query), ("limit" = Option<i64>, Query, description = "1–5000", minimum = 1, maximum = 5000)),
    responses((status = 200, description = "Raw reports, newest first", body = answers::ReportList),
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
    let who = official(o, &headers, Role::Viewer, lang).await?;
    let ds = s.dataset();
    let (from, to) = range(&ds.timetable, &p)?;
    let status = word::<Status>(lang, "status", p.get("status"))?;
    let limit = p.number("limit", 200i64, 1..=5000)?;
    let filter = ReportFilter {
        from,
        to,
        status,
        category: p.get("category").map(str::to_string),
        limit,
    };
    let reports = app::reports::list(o, &who, &filter, lang).await?;
    Ok(Json(answers::ReportList { reports }).into_response())
}

#[utoipa::path(post, path = "/v1/reports/{reference}/status", tag = "observatory",
    summary = "Move a report along open → acknowledged → in_progress → closed, with a note (editors)",
    security(("official_token" = [])),
    params(("reference" = String, Path)),
    responses((status = 200, description = "The report's public view with its history", body = answers::ReportView),
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
    let f = app::reports::change_status(o, &who, &reference, to, note, lang).await?;
    Ok(Json(public_report(&f.report.reference, &f.report, &f.history)).into_response())
}

#[utoipa::path(post, path = "/v1/surveys", tag = "observatory",
    summary = "Perceived safety and satisfaction (1–5) for a route and time",
    request_body(content = Object, content_type = "application/json", description = "`{route_id, safety, satisfaction, at, gender, age_band}`"),
    responses((status = 201, description = "Recorded", body = answers::SurveyRecorded),
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
    let at = m.get("at").map(|v| parse_when(tt, v, lang)).transpose()?;
    let input = app::surveys::SurveyInput {
        route_id: str_field(&m, "route_id"),
        safety,
        satisfaction,
        at,
        gender: str_field(&m, "gender"),
        age_band: str_field(&m, "age_band"),
        channel: Channel::Api,
        rider: None,
    };
    app::surveys::answer(o, tt, &input, lang).await?;
    Ok((
        StatusCode::CREATED,
        Json(answers::SurveyRecorded { status: "recorded" }),
    )
        .into_response())
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
        if app::releases::month_name(
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
        let periods = app::releases::closed_periods(m, chrono::NaiveDate::MAX);
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
    let releases = app::releases::parse(&stored).map_err(|e| {
        tracing::error!(error = %e, "a stored release does not read back");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            i18n::t(lang, "store.unavailable", &[]),
        )
        .retry_after(60)
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
    responses((status = 200, description = "Exact figures, not for publication", body = InternalFigures),
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
    let who = official(o, &headers, Role::Viewer, lang).await?;
    let ds = s.dataset();
    let tt = Arc::clone(&ds.timetable);
    let (from, to) = range(&tt, &p)?;
    let tables = app::internal::figures(o, &who, &tt, from, to, lang).await?;
    let body = InternalFigures {
        internal: true,
        notice: i18n::t(lang, "obs.internal_notice", &[]),
        from: planner::clock::local_datetime(&tt, from),
        to: planner::clock::local_datetime(&tt, to),
        indicators: tables
            .into_iter()
            .map(|t| InternalTable {
                title: i18n::t(lang, &format!("indicator.{}.title", t.id), &[]),
                id: t.id,
                dimensions: t.dimensions,
                measures: t.measures,
                rows: t
                    .rows
                    .into_iter()
                    .map(|r| InternalRow {
                        key: r.key,
                        count: r.count,
                        values: r.values,
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(([(header::CACHE_CONTROL, "private, no-store")], Json(body)).into_response())
}

/// `GET /v1/observatory/internal`: exact figures, for officials only.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InternalFigures {
    /// Always true: these figures are not for publication.
    pub internal: bool,
    /// What officials may and may not do with them.
    pub notice: String,
    /// First local date and time of the range.
    pub from: String,
    /// End of the range (exclusive), local.
    pub to: String,
    /// The tables.
    pub indicators: Vec<InternalTable>,
}

/// One table of exact figures.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InternalTable {
    /// Stable id.
    pub id: &'static str,
    /// Title, in the request's language.
    pub title: String,
    /// Names of its dimensions.
    pub dimensions: Vec<&'static str>,
    /// Names of its mean measures.
    pub measures: Vec<String>,
    /// Its non-empty cells.
    pub rows: Vec<InternalRow>,
}

/// One cell.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InternalRow {
    /// One value per dimension.
    pub key: Vec<String>,
    /// Records in the cell.
    pub count: i64,
    /// Per mean measure, the mean over the cell (null when empty).
    pub values: Vec<Option<f64>>,
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
