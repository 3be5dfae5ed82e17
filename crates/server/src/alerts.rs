//! Service alerts: `GET /v1/alerts` (public: active now or later, officials' and the feeds'),
//! and officials' (editor role) `POST /v1/alerts`, `PUT` and `DELETE /v1/alerts/{id}`.

use crate::extract::{Editor, JsonBody, Observatory, Official, Query};
use crate::{AppState, Problem};
use app::alerts::{AlertIn, AlertList, AlertOut};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

#[utoipa::path(get, path = "/v1/alerts", tag = "network",
    summary = "Service alerts active now or later: those officials wrote (`source` = `paradero`) and the GTFS-Realtime feeds' (`source` = the feed), texts in Spanish, English and Quechua as written (plain text, never markup)",
    params(("lang" = Option<String>, Query, description = "`es`, `en` or `qu` (messages)")),
    responses((status = 200, description = "The alerts", body = AlertList),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be read now", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/alerts`.
pub async fn list(State(s): State<Arc<AppState>>, Query(p): Query) -> Result<Response, Problem> {
    let list = s.app().alerts(app::now_unix(), p.lang).await?;
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(list)).into_response())
}

#[utoipa::path(post, path = "/v1/alerts", tag = "network",
    summary = "Write a service alert (editors): cause, effect, periods, what it informs, texts in three languages (Spanish required); served at once, and told to chats subscribed to a route it informs",
    security(("official_token" = [])),
    request_body(content = AlertIn, content_type = "application/json"),
    responses((status = 201, description = "Written (and served)", body = AlertOut),
        (status = 400, description = "Not such a body (a field missing, of the wrong kind, unknown)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The observatory (which keeps alerts) is off", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No Spanish title, a period ending before it starts, an unknown route, stop or agency, a text too long, a bad link (the message says which)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot take it now (nothing written)", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/alerts`.
pub async fn create(
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Editor>,
    JsonBody(a): JsonBody<AlertIn>,
) -> Result<Response, Problem> {
    let out = app.create_alert(&who, &a, app::now_unix(), p.lang).await?;
    let location = format!("/v1/alerts/{}", out.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(out),
    )
        .into_response())
}

#[utoipa::path(put, path = "/v1/alerts/{id}", tag = "network",
    summary = "Change a service alert (editors): its next version, served at once and told to subscribers again; an ended alert is served again",
    security(("official_token" = [])),
    params(("id" = String, Path, description = "`AL-…`")),
    request_body(content = AlertIn, content_type = "application/json"),
    responses((status = 200, description = "Changed", body = AlertOut),
        (status = 400, description = "Not such a body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert, or the observatory is off", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "As for a new alert", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot take it now (nothing changed)", body = Problem, content_type = "application/problem+json")))]
/// `PUT /v1/alerts/{id}`.
pub async fn update(
    Path(id): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Editor>,
    JsonBody(a): JsonBody<AlertIn>,
) -> Result<Response, Problem> {
    let out = app
        .update_alert(&who, &id, &a, app::now_unix(), p.lang)
        .await?;
    Ok(Json(out).into_response())
}

#[utoipa::path(delete, path = "/v1/alerts/{id}", tag = "network",
    summary = "End a service alert now (editors): no longer served; kept on record",
    security(("official_token" = [])),
    params(("id" = String, Path, description = "`AL-…`")),
    responses((status = 204, description = "Ended"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such open alert, or the observatory is off", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot take it now (nothing changed)", body = Problem, content_type = "application/problem+json")))]
/// `DELETE /v1/alerts/{id}`.
pub async fn end(
    Path(id): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Editor>,
) -> Result<Response, Problem> {
    app.end_alert(&who, &id, app::now_unix(), p.lang).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
