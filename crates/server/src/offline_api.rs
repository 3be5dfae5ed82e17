//! The phone's timetables: `GET /v1/offline` lists each feed's bundle (version, size on the
//! wire, dates), `GET /v1/offline/{feed}` serves it (ETag = its version; compressed by the
//! router's layer). The riders' page keeps it to plan with no connection.

use crate::extract::Query;
use crate::{AppState, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// One feed's bundle, as listed.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BundleInfo {
    /// The feed (`arequipa`).
    pub feed: String,
    /// The bundle's version (SHA-256 of its contents, hex): a new feed loaded, a new version.
    pub version: String,
    /// Where to fetch it.
    pub url: String,
    /// Its size, bytes.
    pub bytes: usize,
    /// Its size on the wire with gzip, bytes (what a rider's data plan pays).
    pub gzip_bytes: usize,
    /// When the server loaded the feed, UTC (`2026-12-06T14:03:00Z`).
    pub loaded: String,
    /// First service day, `YYYY-MM-DD`.
    pub service_from: Option<String>,
    /// Last service day.
    pub service_to: Option<String>,
}

/// The bundles of every feed served.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BundleList {
    /// The layout the bundles are written in (the page's router reads this one only).
    pub format: u16,
    /// One per feed.
    pub bundles: Vec<BundleInfo>,
}

#[utoipa::path(get, path = "/v1/offline", tag = "offline",
    summary = "The timetables a phone can keep to plan offline: one bundle per feed, its version and size",
    params(("lang" = Option<String>, Query, description = "`es`, `en` or `qu` (messages)"),
        ("city" = Option<String>, Query, description = "A city's id (`/v1/cities`): its feeds' bundles only")),
    responses(
        (status = 200, description = "The bundles", body = BundleList),
        (status = 400, description = "A bad `lang`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown city", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/offline`.
pub async fn list(State(s): State<Arc<AppState>>, Query(p): Query) -> Result<Response, Problem> {
    let ds = s.dataset();
    let city = crate::cities::chosen(&s, &ds, &p)?;
    let mut bundles = Vec::new();
    for f in ds
        .timetable
        .feeds()
        .iter()
        .filter(|f| city.as_ref().is_none_or(|c| c.feeds.contains(&f.id)))
    {
        let b = s
            .app()
            .offline_bundle(Arc::clone(&ds), &f.id, p.lang)
            .await?;
        let loaded = chrono::DateTime::from_timestamp(b.meta.loaded_unix, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        bundles.push(BundleInfo {
            feed: f.id.clone(),
            url: format!("/v1/offline/{}", f.id),
            version: b.version.clone(),
            bytes: b.bytes.len(),
            gzip_bytes: b.gzip_bytes,
            loaded,
            service_from: b.meta.service_from.clone(),
            service_to: b.meta.service_to.clone(),
        });
    }
    Ok((
        [(header::CACHE_CONTROL, "no-cache")],
        Json(BundleList {
            format: app::offline_bundle::FORMAT,
            bundles,
        }),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/offline/{feed}", tag = "offline",
    summary = "One feed's timetable bundle for the phone's router (binary: a header with format and SHA-256, then the timetable)",
    params(
        ("feed" = String, Path, description = "The feed (`arequipa`)"),
        ("lang" = Option<String>, Query, description = "`es`, `en` or `qu` (messages)")),
    responses(
        (status = 200, description = "The bundle", content((Vec<u8> = "application/octet-stream"))),
        (status = 304, description = "Not changed since the ETag given in `If-None-Match`"),
        (status = 400, description = "A bad `lang`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such feed", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/offline/{feed}`.
pub async fn bundle(
    State(s): State<Arc<AppState>>,
    Path(feed): Path<String>,
    Query(p): Query,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let ds = s.dataset();
    let b = s.app().offline_bundle(ds, &feed, p.lang).await?;
    let etag = format!("\"{}\"", b.version);
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_string()),
    ];
    if crate::extract::if_none_match(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        axum::body::Bytes::from_owner(Arc::clone(&b.bytes)),
    )
        .into_response())
}
