//! Health, metrics, reload and the fallback for unknown paths.

use crate::{AppState, Problem, answers};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

#[utoipa::path(get, path = "/healthz", tag = "service",
    summary = "Liveness: the server answers and how many stops it serves",
    responses((status = 200, description = "The server answers", body = answers::Health)))]
pub async fn healthz(State(s): State<Arc<AppState>>) -> Response {
    let ds = s.dataset();
    Json(answers::Health {
        status: "ok",
        stops: ds.timetable.stops().len(),
    })
    .into_response()
}

#[utoipa::path(get, path = "/metrics", tag = "service",
    summary = "Prometheus metrics: requests and latency per endpoint template, routing time, feed age",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain")))]
pub async fn metrics(State(s): State<Arc<AppState>>, headers: axum::http::HeaderMap) -> Response {
    // Counters of the observatory's endpoints and of trip records time when people report,
    // answer surveys and plan: only for the operator (admin token), never in public.
    let who = if admin_ok(&s, &headers) {
        app::Audience::Operator
    } else {
        app::Audience::Public
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        s.app().render_metrics(who),
    )
        .into_response()
}

/// `POST /v1/admin/reload` with `Authorization: Bearer <admin token>`.
#[utoipa::path(post, path = "/v1/admin/reload", tag = "service",
    summary = "Reload the timetable without downtime (built aside, swapped atomically)",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Reloaded: counts of the new timetable", body = answers::Reloaded),
        (status = 401, description = "Missing or wrong admin token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Reloading over HTTP is disabled (no admin token configured; a request without any token gets 401 first)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The reload failed; the previous timetable keeps serving", body = Problem, content_type = "application/problem+json")))]
pub async fn reload(
    State(s): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> Result<Response, Problem> {
    // No credentials at all is a 401 whether or not reloading is enabled (as documented):
    // a client learns how to authenticate before it learns the server's configuration.
    if !headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Err(Problem::new(
            axum::http::StatusCode::UNAUTHORIZED,
            i18n::t(crate::query::asked(), "error.admin_token_needed", &[]),
        ));
    }
    let Some(token) = s.settings.admin_token.as_deref() else {
        return Err(Problem::not_found(i18n::t(
            crate::query::asked(),
            "error.reload_disabled",
            &[],
        )));
    };
    if !token_matches(token, &headers) {
        return Err(Problem::new(
            axum::http::StatusCode::UNAUTHORIZED,
            i18n::t(crate::query::asked(), "error.admin_token_needed", &[]),
        ));
    }
    match s.app().reload().await {
        Ok(ds) => Ok(Json(answers::Reloaded {
            status: "reloaded",
            stops: ds.timetable.stops().len(),
            routes: ds.timetable.routes().len(),
        })
        .into_response()),
        Err(e) => Err(Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            i18n::t(
                crate::query::asked(),
                "error.reload_failed",
                &[("text", &e)],
            ),
        )),
    }
}

/// Whether the request carries the configured admin token.
pub(crate) fn admin_ok(s: &AppState, headers: &axum::http::HeaderMap) -> bool {
    s.settings
        .admin_token
        .as_deref()
        .is_some_and(|t| token_matches(t, headers))
}

fn token_matches(token: &str, headers: &axum::http::HeaderMap) -> bool {
    let given = crate::extract::bearer(headers);
    // A constant-time comparison (the `subtle` crate), so timing does not reveal how much
    // of a guess was right.
    use subtle::ConstantTimeEq;
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes())))
}

/// Any path the API does not have.
pub async fn not_found() -> Problem {
    Problem::not_found(i18n::t(crate::query::asked(), "error.no_endpoint", &[]))
}
