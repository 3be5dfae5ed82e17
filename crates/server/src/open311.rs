//! Open311 GeoReport v2, so existing civic tools can read and write reports.
//!
//! Differences from a plain GeoReport server, all for privacy: personal fields (`email`,
//! `first_name`, `last_name`, `phone`, `device_id`, `account_id`) are accepted and ignored,
//! never stored; without an official's token, `GET requests.json` answers only for the ids
//! asked for (`service_request_id=`), and public answers carry no coordinates, address or
//! description. Errors use GeoReport's format, `[{"code": …, "description": …}]`, with the
//! HTTP status of the problem.

use crate::answers;
use crate::bodies::{self, Open311Form};
use crate::query::Params;
use crate::reports::official;
use crate::{AppState, Problem};
use app::reports::ReportInput;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use std::sync::Arc;
use store::{Channel, Role};

/// A GeoReport error answer.
fn error(p: Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = (
        status,
        Json([answers::Open311Error {
            code: p.status,
            description: p.detail,
        }]),
    )
        .into_response();
    if let Some(secs) = p.retry_after_s {
        r.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, secs.into());
    }
    r
}

/// A form's field, trimmed; empty is absent, as GeoReport clients send them.
fn field(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn lang_of(p: &Params) -> Lang {
    p.lang
}

#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311",
    summary = "Open311 GeoReport v2: the incident categories",
    params(("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses(
        (status = 200, description = "The categories", body = Vec<answers::Service>),
        (status = 400, description = "Malformed query", body = Vec<answers::Open311Error>),
        (status = 404, description = "The observatory is off", body = Vec<answers::Open311Error>)))]
/// `GET /open311/v2/services.json`: the incident categories.
pub async fn services(State(s): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let p = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let Some(o) = s.app().observatory() else {
        return error(Problem::not_found(i18n::t(
            lang_of(&p),
            "obs.unavailable",
            &[],
        )));
    };
    let list: Vec<answers::Service> = o
        .settings
        .categories
        .iter()
        .map(|c| answers::Service {
            service_code: c.key.clone(),
            service_name: i18n::t(p.lang, &format!("category.{}", c.key), &[]),
            description: i18n::t(p.lang, &format!("category.{}", c.key), &[]),
            metadata: false,
            kind: "realtime",
            keywords: if c.harassment { "acoso" } else { "" },
            group: if c.harassment { "acoso" } else { "servicio" },
        })
        .collect();
    Json(list).into_response()
}

/// ISO 8601 with an offset (`2026-11-23T08:00:00-05:00`), as GeoReport sends it.
fn parse_datetime(v: &str, lang: Lang) -> Result<i64, Problem> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|d| d.timestamp())
        .map_err(|_| Problem::bad_request(i18n::t(lang, "error.bad_time", &[("text", &v)])))
}

#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311",
    summary = "Open311 GeoReport v2: report an incident (form-encoded)",
    description = "Fields: `service_code`, `lat`+`long` or `attribute[stop_id]`, optional `attribute[route_id]`, `requested_datetime` (ISO 8601 with offset), `description`, `attribute[gender]`, `attribute[age_band]`. Personal fields (`email`, `first_name`, `last_name`, `phone`, `device_id`, `account_id`) are accepted and never stored. The answer's `service_request_id` is the reporter's secret.",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–100 visible characters; a retry with the same key and body returns the first report", pattern = "^[!-~]{1,100}$")),
    request_body(content = Open311Form, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Filed", body = Vec<answers::ServiceRequestFiled>),
        (status = 200, description = "A retry: the report stored the first time", body = Vec<answers::ServiceRequestFiled>),
        (status = 400, description = "Malformed form or field; nothing stored", body = Vec<answers::Open311Error>),
        (status = 403, description = "Sent by a page of another site", body = Vec<answers::Open311Error>),
        (status = 422, description = "Outside the network, unknown stop or route, future or too old, key reused; nothing stored", body = Vec<answers::Open311Error>),
        (status = 503, description = "The store cannot take it now; see `Retry-After`", body = Vec<answers::Open311Error>)))]
/// `POST /open311/v2/requests.json` (form-encoded): creates a report.
pub async fn create(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match create_inner(&s, raw.as_deref(), &headers, &body).await {
        Ok(r) => r,
        Err(p) => error(p),
    }
}

async fn create_inner(
    s: &AppState,
    raw: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Problem> {
    let q = Params::parse(raw)?;
    let lang = q.lang;
    // GeoReport posts a form, which any page can make a browser send: a request from a page
    // of another site (its `Origin`) is refused unless that origin is allowed.
    crate::cross_site_check(&s.settings.cors_origins, headers, lang)?;
    let o = s.app().require_observatory(lang)?;
    let text = std::str::from_utf8(body).map_err(|_| {
        Problem::bad_request("the form is not UTF-8 text (application/x-www-form-urlencoded)")
    })?;
    let f: Open311Form = bodies::form(text, lang)?;
    let num = |v: &Option<String>| -> Result<Option<f64>, Problem> {
        field(v)
            .map(|t| {
                t.parse::<f64>().map_err(|_| {
                    Problem::bad_request(i18n::t(lang, "error.bad_coordinate", &[("text", &t)]))
                })
            })
            .transpose()
    };
    let occurred = field(&f.requested_datetime)
        .map(|v| parse_datetime(v, lang))
        .transpose()?;
    let ds = s.dataset();
    // Personal fields (email, names, phone) are read and dropped here: never stored.
    let input = ReportInput {
        category: field(&f.service_code),
        lat: num(&f.lat)?,
        lon: num(&f.long)?,
        stop_id: field(&f.stop_id),
        route_id: field(&f.route_id),
        occurred_at: occurred,
        description: field(&f.description),
        gender: field(&f.gender),
        age_band: field(&f.age_band),
        channel: Channel::Open311,
        rider: None,
    };
    let now = app::now_unix();
    let new = app::reports::validate(&ds.timetable, &o.settings, &input, now, lang)?;
    let key = crate::bodies::idempotency_key(headers, lang)?;
    let created = app::reports::file(o, &new, key.as_deref(), lang).await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        // The id is the reporter's secret: with it they (and only they) follow the report.
        Json([answers::ServiceRequestFiled {
            service_notice: i18n::t(lang, "open311.notice", &[("reference", &created.secret)]),
            service_request_id: created.secret,
        }]),
    )
        .into_response())
}

fn status_word(st: store::Status) -> &'static str {
    if st == store::Status::Closed {
        "closed"
    } else {
        "open"
    }
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(String::new, |d| d.to_rfc3339())
}

/// A report in GeoReport's shape; with `full`, the officials' details too.
fn request_json(
    r: &store::Report,
    events: &[store::ReportEvent],
    lang: Lang,
    full: bool,
) -> answers::ServiceRequest {
    let officials = |v| full.then_some(v);
    answers::ServiceRequest {
        service_request_id: r.reference.clone(),
        status: status_word(r.status),
        status_notes: events.last().map(|e| e.note.clone()),
        service_code: r.category.clone(),
        service_name: i18n::t(lang, &format!("category.{}", r.category), &[]),
        requested_datetime: iso(r.occurred_at),
        updated_datetime: iso(r.updated_at),
        lat: officials(r.lat),
        long: officials(r.lon),
        description: full.then(|| r.description.clone()),
        agency_responsible: full.then(|| r.route_id.clone()),
    }
}

/// The reports with these ids, in GeoReport's shape (unknown ids are left out). Anyone may
/// ask by the secret id the reporter was given; an official (viewer's token) asks by case id
/// and sees the details. Public lookups take the same time found or not.
async fn by_ids(
    o: &app::Obs,
    ids: &[&str],
    headers: &HeaderMap,
    lang: Lang,
) -> Result<Vec<answers::ServiceRequest>, Problem> {
    let started = std::time::Instant::now();
    let problem = |e: store::StoreError| Problem::from(app::Error::from_store(&e, lang));
    let full = headers.contains_key(axum::http::header::AUTHORIZATION)
        && official(o, headers, Role::Viewer, lang).await.is_ok();
    let mut out = Vec::new();
    for &id in ids {
        let found = if full {
            o.store.report(id).await
        } else {
            o.store.report_by_secret(id).await
        }
        .map_err(problem)?;
        let ev = o
            .store
            .report_events(found.as_ref().map_or("", |r| r.reference.as_str()))
            .await
            .map_err(problem)?;
        if let Some(r) = found {
            let mut v = request_json(&r, &ev, lang, full);
            if !full {
                v.service_request_id = id.to_string();
            }
            out.push(v);
        }
    }
    if !full {
        tokio::time::sleep_until((started + std::time::Duration::from_millis(120)).into()).await;
    }
    Ok(out)
}

#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "open311",
    summary = "Open311 GeoReport v2: reports by the ids their reporters hold (anyone), or filtered lists (officials)",
    params(
        ("service_request_id" = Option<String>, Query, description = "Up to 10 ids, comma-separated: anyone may ask by the secret id a reporter was given"),
        ("start_date" = Option<String>, Query, description = "Officials: from (ISO 8601 with offset); default 90 days ago", format = DateTime),
        ("end_date" = Option<String>, Query, description = "Officials: to (ISO 8601 with offset)", format = DateTime),
        ("service_code" = Option<String>, Query, description = "Officials: one category"),
        ("status" = Option<String>, Query, description = "Officials: `open` or `closed` (GeoReport's two states; others match nothing)"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    security((), ("official_token" = [])),
    responses(
        (status = 200, description = "The reports found (unknown ids are left out); details only for officials", body = Vec<answers::ServiceRequest>),
        (status = 400, description = "Malformed date or query", body = Vec<answers::Open311Error>),
        (status = 401, description = "A list without ids needs an official's token", body = Vec<answers::Open311Error>),
        (status = 429, description = "Too many lookups from this client", body = Vec<answers::Open311Error>)))]
/// `GET /open311/v2/requests.json`: by ids for anyone, filtered lists for officials.
pub async fn list(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    match list_inner(&s, raw.as_deref(), &headers).await {
        Ok(r) => r,
        Err(p) => error(p),
    }
}

async fn list_inner(
    s: &AppState,
    raw: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, Problem> {
    let q = Params::parse(raw)?;
    let lang = q.lang;
    let o = s.app().require_observatory(lang)?;
    let problem = |e: store::StoreError| Problem::from(app::Error::from_store(&e, lang));
    // Dates are checked whatever else is asked: present means a date (empty is not one).
    let date = |k: &str| q.given(k).map(|v| parse_datetime(v, lang)).transpose();
    let (start, end) = (date("start_date")?, date("end_date")?);
    if let Some(ids) = q.get("service_request_id") {
        let ids: Vec<&str> = ids
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .take(10)
            .collect();
        return Ok(Json(by_ids(o, &ids, headers, lang).await?).into_response());
    }
    // Lists of individual reports are for officials only.
    official(o, headers, Role::Viewer, lang).await?;
    let from = start.unwrap_or(app::now_unix() - 90 * 86_400);
    let to = end.unwrap_or(i64::MAX);
    let reports = o
        .store
        .reports(&store::ReportFilter {
            from,
            to,
            status: None,
            category: q.get("service_code").map(str::to_string),
            limit: 1000,
        })
        .await
        .map_err(problem)?;
    let want = q.get("status");
    let mut out = Vec::new();
    for r in reports
        .iter()
        .filter(|r| want.is_none_or(|w| w == status_word(r.status)))
    {
        let ev = o.store.report_events(&r.reference).await.map_err(problem)?;
        out.push(request_json(r, &ev, lang, true));
    }
    Ok(Json(out).into_response())
}

#[utoipa::path(get, path = "/open311/v2/requests/{file}", tag = "open311",
    summary = "Open311 GeoReport v2: one report by the id its reporter holds (`{id}.json`)",
    params(
        ("file" = String, Path, description = "`{service_request_id}.json`"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses(
        (status = 200, description = "The report", body = Vec<answers::ServiceRequest>),
        (status = 400, description = "Malformed query (an unknown `lang`)", body = Vec<answers::Open311Error>),
        (status = 404, description = "No report with that id", body = Vec<answers::Open311Error>),
        (status = 429, description = "Too many lookups from this client", body = Vec<answers::Open311Error>)))]
/// `GET /open311/v2/requests/{id}.json`.
pub async fn one(
    State(s): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = match Params::parse(raw.as_deref()) {
        Ok(p) => p.lang,
        Err(e) => return error(e),
    };
    let id = file.strip_suffix(".json").unwrap_or(&file);
    let Some(o) = s.app().observatory() else {
        return error(Problem::not_found(i18n::t(lang, "obs.unavailable", &[])));
    };
    match by_ids(o, &[id], &headers, lang).await {
        Ok(found) if found.is_empty() => error(Problem::not_found(i18n::t(
            lang,
            "obs.unknown_report",
            &[("text", &id)],
        ))),
        Ok(found) => Json(found).into_response(),
        Err(p) => error(p),
    }
}
