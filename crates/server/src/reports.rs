//! Incident reports over HTTP: file (with an idempotency key), follow and erase by the
//! reporter's secret, list and move along the workflow (officials).
//!
//! Public answers never carry anything that identifies a reporter: a report's status page
//! shows its category, status and history, not its place, text or reporter. Raw reports need
//! an official's bearer token.

use crate::bodies::{self, ReportBody, StatusChange};
use crate::extract::bearer;
use crate::extract::{self, Editor, JsonBody, Observatory, Query, Viewer};
use crate::query::Params;
use crate::{AppState, Problem, answers};
use app::now_unix;
use app::reports::{Followed, ReportInput};
use app::{Channel, ReportFilter, Status};
use app::{Day, Timetable};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use std::sync::Arc;

/// `2026-11-23T08:00` (local) or Unix seconds, as the JSON bodies give times.
pub(crate) fn when(tt: &Timetable, v: &serde_json::Value, lang: Lang) -> Result<i64, Problem> {
    if let Some(n) = v.as_i64() {
        return Ok(n);
    }
    // 1612 and 1612.0 are the same JSON number.
    if let Some(f) = v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15) {
        return Ok(f as i64);
    }
    let text = v.as_str().unwrap_or("");
    let bad = || Problem::bad_request(i18n::t(lang, "error.bad_time", &[("text", &text)]));
    // A date and a time to the minute ([`app::when::parse`]); what follows the minutes (seconds,
    // an offset) is not read: the time is the feed's local time.
    let (d, t) = text.split_once('T').ok_or_else(bad)?;
    let minutes = format!("{d}T{}", t.get(..5).unwrap_or(t));
    let (day, secs) = app::when::parse(&minutes, app::clock::now(tt).0, None).map_err(|_| bad())?;
    Ok(app::clock::local_to_unix(tt, day, secs))
}

/// What the reporter (or anyone with the reference) may see of a report.
pub(crate) fn public_report(
    reference: &str,
    r: &app::Report,
    events: &[app::ReportEvent],
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

/// `from`/`to` (dates, local) as Unix seconds; default: the last 30 days.
pub(crate) fn range(tt: &Timetable, p: &Params) -> Result<(i64, i64), Problem> {
    let lang = p.lang;
    let day = |k: &str| -> Result<Option<i64>, Problem> {
        p.get(k)
            .map(|d| {
                Day::parse(d)
                    .map(|d| app::clock::local_to_unix(tt, d, 0))
                    .ok_or_else(|| {
                        Problem::bad_request(i18n::t(lang, "error.bad_date", &[("text", &d)]))
                    })
            })
            .transpose()
    };
    let now = now_unix();
    let to = day("to")?.map_or(now + 1, |t| t + 86_400);
    let from = day("from")?.unwrap_or(to - 30 * 86_400);
    if from >= to {
        return Err(Problem::unprocessable(i18n::t(lang, "obs.bad_range", &[])));
    }
    Ok((from, to))
}

#[utoipa::path(post, path = "/v1/reports", tag = "observatory",
    summary = "Report an incident (JSON); `Idempotency-Key` makes retries safe",
    description = "The answer's `reference` is a secret shown once: with it the reporter follows and erases the report. Likely duplicates are linked for officials only.",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–100 visible characters; a retry with the same key and body returns the first report", pattern = "^[!-~]{1,100}$")),
    request_body(content = ReportBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Filed: `reference` is the reporter's secret", body = answers::ReportFiled),
        (status = 200, description = "A retry: the report stored the first time", body = answers::ReportFiled),
        (status = 400, description = "Malformed body or field; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Outside the network, unknown stop or route, future or too old, key reused; nothing stored", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/reports`: a JSON report; `Idempotency-Key` makes retries safe.
pub async fn create_report(
    State(s): State<Arc<AppState>>,
    Query(p): Query,
    _: Observatory,
    headers: HeaderMap,
    JsonBody(b): JsonBody<ReportBody>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let key = bodies::idempotency_key(&headers, lang)?;
    let ds = s.dataset();
    let tt = &ds.timetable;
    let occurred_at = b
        .occurred_at
        .as_ref()
        .map(|v| when(tt, v, lang))
        .transpose()?;
    let input = ReportInput {
        category: bodies::text(&b.category),
        lat: b.lat,
        lon: b.lon,
        stop_id: bodies::word(&b.stop_id),
        route_id: bodies::word(&b.route_id),
        occurred_at,
        description: bodies::text(&b.description),
        gender: bodies::word(&b.gender),
        age_band: bodies::word(&b.age_band),
        channel: match b.channel {
            Some(bodies::BodyChannel::Web) => Channel::Web,
            _ => Channel::Api,
        },
        rider: None,
        actor_involved: bodies::word(&b.actor_involved),
        actor_victim: bodies::word(&b.actor_victim),
    };
    let created = s.app().file_report(&input, key.as_deref(), lang).await?;
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

#[utoipa::path(get, path = "/v1/categories", tag = "observatory",
    summary = "The incident categories reports are filed under, as a tree of groups, labelled in the asker's language",
    params(("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses((status = 200, description = "Groups and their categories", body = app::categories::CategoryTree),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The observatory is off", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/categories`.
pub async fn categories(
    State(s): State<Arc<AppState>>,
    Query(p): Query,
) -> Result<Response, Problem> {
    let lang = p.lang;
    Ok(Json(s.app().categories(lang)?).into_response())
}

#[utoipa::path(get, path = "/v1/reports/{reference}", tag = "observatory",
    summary = "A report's status and history, for its reporter (by the secret reference) or for officials (by case id, with a token)",
    params(("reference" = String, Path, description = "The secret returned on creation (`R-` and 20 characters), or an official's case id (`C-…`)")),
    responses((status = 200, description = "Status and history (no place, text or reporter)", body = answers::ReportView),
        (status = 404, description = "No report with that reference", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this client", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/reports/{reference}`: status and history, nothing that identifies the reporter.
pub async fn report_status(
    Path(reference): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let Followed { report, history } = app
        .follow_report(&reference, bearer(&headers), lang)
        .await?;
    Ok(Json(public_report(&reference, &report, &history)).into_response())
}

#[utoipa::path(delete, path = "/v1/reports/{reference}", tag = "observatory",
    summary = "Right to erasure: the reporter deletes their report (and its history) with the secret reference",
    params(("reference" = String, Path, description = "The secret returned on creation")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No report with that reference", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this client", body = Problem, content_type = "application/problem+json")))]
/// `DELETE /v1/reports/{reference}`: only the holder of the secret (the reporter) may erase.
pub async fn erase_report(
    Path(reference): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
) -> Result<Response, Problem> {
    let lang = p.lang;
    app.erase_report(&reference, lang).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/v1/reports", tag = "observatory",
    summary = "Raw reports with place and description (officials: viewer or above)",
    security(("official_token" = [])),
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD"),
        ("status" = Option<String>, Query), ("category" = Option<String>, Query), ("limit" = Option<i64>, Query, description = "1–5000", minimum = 1, maximum = 5000)),
    responses((status = 200, description = "Raw reports, newest first", body = answers::ReportList),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed date, status, category or limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/reports` (officials): raw reports with place and description.
pub async fn list_reports(
    State(s): State<Arc<AppState>>,
    Query(p): Query,
    Observatory(app): Observatory,
    extract::Official(who, _): extract::Official<Viewer>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let ds = s.dataset();
    let (from, to) = range(&ds.timetable, &p)?;
    let filter = ReportFilter {
        from,
        to,
        status: app::word::<Status>(lang, "status", p.get("status"))?,
        category: p.get("category").map(str::to_string),
        limit: p.number("limit", 200i64, 1..=5000)?,
    };
    let reports = app.reports(&who, &filter, lang).await?;
    Ok(Json(answers::ReportList {
        reports: reports.iter().map(answers::RawReport::from).collect(),
    })
    .into_response())
}

#[utoipa::path(post, path = "/v1/reports/{reference}/status", tag = "observatory",
    summary = "Move a report along open → acknowledged → in_progress → closed, with a note (editors)",
    security(("official_token" = [])),
    params(("reference" = String, Path)),
    request_body(content = StatusChange, content_type = "application/json"),
    responses((status = 200, description = "The report's public view with its history", body = answers::ReportView),
        (status = 400, description = "Malformed body, or an unknown status", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The workflow does not allow that change", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/reports/{reference}/status` (editors): `{"status": "...", "note": "..."}`.
pub async fn change_status(
    Path(reference): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    extract::Official(who, _): extract::Official<Editor>,
    JsonBody(b): JsonBody<StatusChange>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    // A missing status is reported like a wrong one, with the allowed values.
    let given = bodies::text(&b.status).unwrap_or("-");
    let Some(to) = app::word::<Status>(lang, "status", Some(given))? else {
        return Err(Problem::bad_request(i18n::t(
            lang,
            "error.param_required",
            &[("key", &"status")],
        )));
    };
    let note = bodies::text(&b.note).unwrap_or("");
    let f = app.change_status(&who, &reference, to, note, lang).await?;
    Ok(Json(public_report(&f.report.reference, &f.report, &f.history)).into_response())
}
