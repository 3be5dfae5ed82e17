//! GTFS-Realtime out: `/gtfs-rt/trip-updates`, `/gtfs-rt/vehicle-positions`,
//! `/gtfs-rt/alerts` — full-dataset `FeedMessage`s in protobuf (`?format=json` for people),
//! served from the last snapshot built (`app::gtfs_rt`), with an ETag for conditional
//! requests; compressed by the router's layer when the client accepts it.

use crate::extract::Query;
use crate::{AppState, Problem};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

#[utoipa::path(get, path = "/gtfs-rt/{kind}", tag = "realtime",
    summary = "GTFS-Realtime out (full dataset): the runs live, the buses' positions or the service alerts, as any app reading GTFS-Realtime takes them; protobuf, or JSON with `format=json`",
    params(
        ("kind" = String, Path, description = "`trip-updates`, `vehicle-positions` or `alerts`"),
        ("feed" = Option<String>, Query, description = "One feed only (`arequipa`, `trujillo`), with that feed's own ids as in its static GTFS; without it every feed, ids namespaced as paradero's API gives them"),
        ("format" = Option<String>, Query, description = "`protobuf` (default) or `json`"),
        ("lang" = Option<String>, Query, description = "`es`, `en` or `qu` (messages)")),
    responses(
        (status = 200, description = "The feed: a GTFS-Realtime `FeedMessage`", content(
            (Vec<u8> = "application/x-protobuf"),
            (Object = "application/json"))),
        (status = 304, description = "Not changed since the ETag given in `If-None-Match`"),
        (status = 400, description = "A bad `format`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such feed kind, or no such `feed`", body = Problem, content_type = "application/problem+json")))]
/// `GET /gtfs-rt/{kind}`.
pub async fn feed(
    State(s): State<Arc<AppState>>,
    Path(kind): Path<String>,
    Query(p): Query,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let Some(k) = app::gtfs_rt::Kind::from_path(&kind) else {
        return Err(Problem::not_found(i18n::t(
            lang,
            "gtfs_rt.unknown_kind",
            &[("kind", &kind)],
        )));
    };
    let json = match p.get("format") {
        None | Some("protobuf") => false,
        Some("json") => true,
        Some(other) => {
            return Err(Problem::bad_request(i18n::t(
                lang,
                "obs.bad_value",
                &[
                    ("text", &other),
                    ("field", &"format"),
                    ("allowed", &"protobuf, json"),
                ],
            )));
        }
    };
    let snap = s.app().gtfs_rt(k, p.get("feed"), app::now_unix(), lang)?;
    let etag = if json {
        format!("{}-json\"", snap.etag.trim_end_matches('"'))
    } else {
        snap.etag.clone()
    };
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_string()),
    ];
    if crate::extract::if_none_match(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok(if json {
        (
            cache,
            [(header::CONTENT_TYPE, "application/json")],
            snap.json().to_vec(),
        )
            .into_response()
    } else {
        (
            cache,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            snap.bytes.clone(),
        )
            .into_response()
    })
}
