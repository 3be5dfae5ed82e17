//! `POST /v1/realtime/positions`: bus operators push their fleet's GPS (JSON, or a
//! GTFS-Realtime VehiclePositions message), with an operator's token.

use crate::extract::{Official, Operator};
use crate::{AppState, Problem, bodies, query};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::sync::Arc;

/// Bytes a position may take in a request, generously (a JSON position is about 150).
const BYTES_PER_POSITION: usize = 512;

/// The route, with a body limit made for `operators.max_batch` positions.
pub fn routes(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let max = state.app().settings().operators.max_batch;
    Router::new().route(
        "/v1/realtime/positions",
        post(push).layer(tower_http::limit::RequestBodyLimitLayer::new(
            max.saturating_mul(BYTES_PER_POSITION).saturating_add(4096),
        )),
    )
}

#[utoipa::path(post, path = "/v1/realtime/positions", tag = "realtime",
    summary = "A bus operator's GPS positions (JSON, or a GTFS-Realtime VehiclePositions message as application/x-protobuf), for its own agencies' routes",
    security(("official_token" = [])),
    request_body(content(
        (app::positions::PositionsIn = "application/json"),
        (Vec<u8> = "application/x-protobuf"))),
    responses(
        (status = 200, description = "Taken: how many positions moved their buses, and why the others were dropped", body = app::positions::PositionsTaken),
        (status = 400, description = "The body is not the JSON described, or not GTFS-Realtime", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No token, or an unknown one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token is not an operator's, or a position names a route of another agency (nothing taken)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The observatory (which holds the tokens) is off", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More positions (or bytes) than `operators.max_batch` allows (nothing taken)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor protobuf", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot take the batch now (nothing taken; send it again)", body = Problem, content_type = "application/problem+json")))]
/// Where operators' buses are.
pub async fn push(
    State(s): State<Arc<AppState>>,
    Official(who, _): Official<Operator>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let lang = query::asked();
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let now = app::now_unix();
    let taken = match essence.as_str() {
        "application/json" => {
            let batch: app::positions::PositionsIn = bodies::json(&body, lang)?;
            s.app()
                .take_positions(&who, batch.positions, now, lang)
                .await?
        }
        "application/x-protobuf" | "application/protobuf" | "application/octet-stream" => {
            s.app()
                .take_positions_protobuf(&who, &body, now, lang)
                .await?
        }
        _ => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                i18n::t(
                    lang,
                    "error.positions_media",
                    &[("given", &if ctype.is_empty() { "-" } else { ctype })],
                ),
            ));
        }
    };
    Ok(Json(taken).into_response())
}
