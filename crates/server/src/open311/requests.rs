//! `requests`: filing a report, listing and reading reports (by their ids, or all of them for officials).

use super::*;

/// ISO 8601 with an offset (`2026-11-23T08:00:00-05:00`), as GeoReport sends it.
fn parse_datetime(v: &str, lang: Lang) -> Result<i64, Problem> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|d| d.timestamp())
        .map_err(|_| Problem::bad_request(i18n::t(lang, "error.bad_time", &[("text", &v)])))
}

#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311",
    summary = "Open311 GeoReport v2: report an incident (form-encoded)",
    description = "Fields: `service_code`, `lat`+`long` or `attribute[stop_id]`, optional `attribute[route_id]`, `requested_datetime` (ISO 8601 with offset), `description`, `attribute[gender]`, `attribute[age_band]`, `attribute[actor_involved]`, `attribute[actor_victim]`. Personal fields (`email`, `first_name`, `last_name`, `phone`, `device_id`, `account_id`) are accepted and never stored. The answer's `service_request_id` is the reporter's secret.",
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
    create_in(&s, raw.as_deref(), &headers, &body, Format::Json).await
}

#[utoipa::path(post, path = "/open311/v2/requests.xml", tag = "open311",
    summary = "Open311 GeoReport v2: report an incident (form-encoded), answered as XML",
    description = "As `POST /open311/v2/requests.json`.",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–100 visible characters; a retry with the same key and body returns the first report", pattern = "^[!-~]{1,100}$")),
    request_body(content = Open311Form, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Filed: `<service_requests><request>…`", body = String, content_type = "text/xml"),
        (status = 200, description = "A retry: the report stored the first time", body = String, content_type = "text/xml"),
        (status = 400, description = "Malformed form or field; nothing stored", body = String, content_type = "text/xml"),
        (status = 403, description = "Sent by a page of another site", body = String, content_type = "text/xml"),
        (status = 422, description = "Outside the network, unknown stop or route, future or too old, key reused; nothing stored", body = String, content_type = "text/xml"),
        (status = 503, description = "The store cannot take it now; see `Retry-After`", body = String, content_type = "text/xml")))]
/// `POST /open311/v2/requests.xml`.
pub async fn create_xml(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    create_in(&s, raw.as_deref(), &headers, &body, Format::Xml).await
}

async fn create_in(
    s: &AppState,
    raw: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    fmt: Format,
) -> Response {
    match create_inner(s, raw, headers, body).await {
        Ok((status, filed)) => match fmt {
            Format::Json => (status, Json(filed)).into_response(),
            Format::Xml => xml(
                status,
                "service_requests",
                &shapes::Requests { request: &filed },
            ),
        },
        Err(p) => error_as(fmt, p),
    }
}

async fn create_inner(
    s: &AppState,
    raw: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(StatusCode, [answers::ServiceRequestFiled; 1]), Problem> {
    let q = Params::parse(raw)?;
    let lang = q.lang;
    // GeoReport posts a form, which any page can make a browser send: a request from a page
    // of another site (its `Origin`) is refused unless that origin is allowed.
    crate::cross_site_check(&s.settings.cors_origins, headers, lang)?;
    // The observatory off is a 404 before the form is read.
    s.app().require_observatory(lang)?;
    let text = std::str::from_utf8(body)
        .map_err(|_| Problem::bad_request(i18n::t(lang, "error.form_not_utf8", &[])))?;
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
        actor_involved: field(&f.actor_involved),
        actor_victim: field(&f.actor_victim),
    };
    let key = crate::bodies::idempotency_key(headers, lang)?;
    let created = s.app().file_report(&input, key.as_deref(), lang).await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        // The id is the reporter's secret: with it they (and only they) follow the report.
        [answers::ServiceRequestFiled {
            service_notice: i18n::t(lang, "open311.notice", &[("reference", &created.secret)]),
            service_request_id: created.secret,
        }],
    ))
}

fn status_word(st: app::Status) -> &'static str {
    if st == app::Status::Closed {
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
    r: &app::Report,
    events: &[app::ReportEvent],
    lang: Lang,
    full: bool,
    agency: &str,
    media: Option<String>,
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
        agency_responsible: agency.to_string(),
        media_url: media.filter(|_| full),
    }
}

/// Where officials read a report's first photo, if it has any.
async fn media_of(
    app: &App,
    who: &app::Official,
    case: &str,
    lang: Lang,
) -> Result<Option<String>, Problem> {
    Ok(app
        .photos(who, &[case.to_string()], lang)
        .await?
        .first()
        .map(|p| crate::photos::photo_path(&p.case, &p.id)))
}

/// The reports with these ids, in GeoReport's shape (unknown ids are left out). Anyone may
/// ask by the secret id the reporter was given; an official (viewer's token) asks by case id
/// and sees the details. Public lookups take the same time found or not
/// ([`App::follow_reports`]).
async fn by_ids(
    app: &App,
    ids: &[&str],
    headers: &HeaderMap,
    lang: Lang,
    agency: &str,
) -> Result<Vec<answers::ServiceRequest>, Problem> {
    let who = if headers.contains_key(axum::http::header::AUTHORIZATION) {
        app.authenticate(bearer(headers), Role::Viewer, lang)
            .await
            .ok()
    } else {
        None
    };
    let mut out = Vec::new();
    for (id, f) in app.follow_reports(ids, who.as_ref(), lang).await? {
        let media = match &who {
            Some(who) => media_of(app, who, &f.report.reference, lang).await?,
            None => None,
        };
        let mut v = request_json(&f.report, &f.history, lang, who.is_some(), agency, media);
        if who.is_none() {
            v.service_request_id = id;
        }
        out.push(v);
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
        ("status" = Option<String>, Query, description = "Officials: `open` or `closed` (GeoReport's two states; paradero's `acknowledged` and `in_progress` are accepted and match nothing)"),
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
    list_in(&s, raw.as_deref(), &headers, Format::Json).await
}

#[utoipa::path(get, path = "/open311/v2/requests.xml", tag = "open311",
    summary = "Open311 GeoReport v2: reports by id (anyone) or filtered (officials), as XML",
    description = "As `GET /open311/v2/requests.json`.",
    params(
        ("service_request_id" = Option<String>, Query, description = "Up to 10 ids, comma-separated"),
        ("start_date" = Option<String>, Query, description = "Officials: from (ISO 8601 with offset)", format = DateTime),
        ("end_date" = Option<String>, Query, description = "Officials: to (ISO 8601 with offset)", format = DateTime),
        ("service_code" = Option<String>, Query, description = "Officials: one category"),
        ("status" = Option<String>, Query, description = "Officials: `open` or `closed`"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    security((), ("official_token" = [])),
    responses(
        (status = 200, description = "`<service_requests><request>…`", body = String, content_type = "text/xml"),
        (status = 400, description = "Malformed date or query", body = String, content_type = "text/xml"),
        (status = 401, description = "A list without ids needs an official's token", body = String, content_type = "text/xml"),
        (status = 429, description = "Too many lookups from this client", body = String, content_type = "text/xml")))]
/// `GET /open311/v2/requests.xml`.
pub async fn list_xml(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    list_in(&s, raw.as_deref(), &headers, Format::Xml).await
}

async fn list_in(s: &AppState, raw: Option<&str>, headers: &HeaderMap, fmt: Format) -> Response {
    match list_inner(s, raw, headers).await {
        Ok(list) => requests(fmt, &list),
        Err(p) => error_as(fmt, p),
    }
}

/// Requests in `fmt`.
fn requests(fmt: Format, list: &[answers::ServiceRequest]) -> Response {
    match fmt {
        Format::Json => Json(list).into_response(),
        Format::Xml => xml(
            StatusCode::OK,
            "service_requests",
            &shapes::Requests { request: list },
        ),
    }
}

async fn list_inner(
    s: &AppState,
    raw: Option<&str>,
    headers: &HeaderMap,
) -> Result<Vec<answers::ServiceRequest>, Problem> {
    let q = Params::parse(raw)?;
    let lang = q.lang;
    let app = s.app();
    app.require_observatory(lang)?;
    // Dates are checked whatever else is asked: present means a date (empty is not one).
    let date = |k: &str| q.given(k).map(|v| parse_datetime(v, lang)).transpose();
    let (start, end) = (date("start_date")?, date("end_date")?);
    // So is the status, whatever else is asked.
    if let Some(v) = q.given("status")
        && !app::Status::ALL.iter().any(|st| st.as_str() == v)
    {
        return Err(Problem::bad_request(i18n::t(
            q.lang,
            "error.open311_status",
            &[("value", &v)],
        )));
    }
    if let Some(ids) = q.get("service_request_id") {
        let ids: Vec<&str> = ids
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .take(10)
            .collect();
        return by_ids(app, &ids, headers, lang, &s.settings.open311_agency).await;
    }
    // Lists of individual reports are for officials only.
    let who = app
        .authenticate(bearer(headers), Role::Viewer, lang)
        .await?;
    let from = start.unwrap_or(app::now_unix() - 90 * 86_400);
    let to = end.unwrap_or(i64::MAX);
    let filter = app::ReportFilter {
        from,
        to,
        status: None,
        category: q.get("service_code").map(str::to_string),
        limit: 1000,
    };
    let want = q.get("status");
    let mut out = Vec::new();
    for f in app
        .followed_reports(&who, &filter, lang)
        .await?
        .iter()
        .filter(|f| want.is_none_or(|w| w == status_word(f.report.status)))
    {
        let media = media_of(app, &who, &f.report.reference, lang).await?;
        out.push(request_json(
            &f.report,
            &f.history,
            lang,
            true,
            &s.settings.open311_agency,
            media,
        ));
    }
    Ok(out)
}

#[utoipa::path(get, path = "/open311/v2/requests/{file}", tag = "open311",
    summary = "Open311 GeoReport v2: one report by the id its reporter holds (`{id}.json` or `{id}.xml`)",
    params(
        ("file" = String, Path, description = "`{service_request_id}.json` or `{service_request_id}.xml`"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses(
        (status = 200, description = "The report", content(
            (Vec<answers::ServiceRequest> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "Malformed query (an unknown `lang`)", content(
            (Vec<answers::Open311Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "No report with that id", content(
            (Vec<answers::Open311Error> = "application/json"), (String = "text/xml"))),
        (status = 429, description = "Too many lookups from this client", content(
            (Vec<answers::Open311Error> = "application/json"), (String = "text/xml")))))]
/// `GET /open311/v2/requests/{id}.json|xml`.
pub async fn one(
    State(s): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (id, fmt) = Format::split(&file);
    let lang = match Params::parse(raw.as_deref()) {
        Ok(p) => p.lang,
        Err(e) => return error_as(fmt, e),
    };
    if let Err(e) = s.app().require_observatory(lang) {
        return error_as(fmt, e.into());
    }
    match by_ids(s.app(), &[id], &headers, lang, &s.settings.open311_agency).await {
        Ok(found) if found.is_empty() => error_as(
            fmt,
            Problem::not_found(i18n::t(lang, "obs.unknown_report", &[("text", &id)])),
        ),
        Ok(found) => requests(fmt, &found),
        Err(p) => error_as(fmt, p),
    }
}
