//! Photos on reports over HTTP: the reporter adds them with her secret (the raw image as the
//! body), officials list and read them. Uploads have their own body limit and a longer
//! deadline than the JSON API (a phone on a slow network), and are re-encoded by the
//! application before anything is stored.

use crate::extract::{Observatory, Official, Query, Viewer};
use crate::{AppState, Problem, ratelimit};
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// How long an upload may take.
pub const UPLOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// The photo routes, with their own limits (merged beside the JSON API's).
pub fn routes(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/v1/reports/{reference}/photos",
            post(add_photo)
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    ratelimit::limit_lookups,
                ))
                .get(list_photos),
        )
        .route("/v1/reports/{reference}/photos/{id}", get(photo))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            UPLOAD_DEADLINE,
        ))
}

/// A photo added.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoAdded {
    /// Its id (officials read it at `/v1/reports/{case}/photos/{id}`).
    pub id: String,
    /// Pixels kept (after turning upright and scaling down).
    pub width: u32,
    /// Pixels kept.
    pub height: u32,
    /// Bytes kept (a fresh JPEG without metadata).
    pub bytes: u64,
}

/// A report's photos (officials).
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoList {
    /// Oldest first.
    pub photos: Vec<PhotoInfo>,
}

/// A photo as officials see it listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoInfo {
    /// Id.
    pub id: String,
    /// Where to read it (with the token).
    pub url: String,
    /// `image/jpeg`.
    pub content_type: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Bytes.
    pub bytes: u64,
    /// When it was added (Unix seconds).
    pub added_at: i64,
}

/// Where officials read a photo.
pub fn photo_path(case: &str, id: &str) -> String {
    format!("/v1/reports/{case}/photos/{id}")
}

#[utoipa::path(post, path = "/v1/reports/{reference}/photos", tag = "observatory",
    summary = "Add a photo to a report, with the reporter's secret; it is re-encoded without any metadata (EXIF, GPS)",
    description = "The body is the image itself (JPEG, PNG or WebP, at most 8 MB and 40 megapixels). What is kept is a fresh JPEG, upright, at most 1600 px on its longest side: no EXIF, GPS position or camera data survives. Only officials see photos; they are erased with the report.",
    params(("reference" = String, Path, description = "The reporter's secret (`R-` and 20 characters)")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, description = "Stored", body = PhotoAdded),
        (status = 400, description = "Empty body", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No report with that secret", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The report has as many photos as it may", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many bytes or pixels", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a JPEG, PNG or WebP image", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The image cannot be decoded", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this client", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable or full; nothing stored", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/reports/{reference}/photos`: the image as the body.
pub async fn add_photo(
    State(_s): State<Arc<AppState>>,
    Path(reference): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let limits = app.photo_limits();
    let declared = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?"));
    // Refused before reading a byte when the client says what it sends.
    app::photos::check_declared(declared, lang)?;
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > limits.max_bytes as u64) {
        return Err(app::photos::too_big(lang, &limits).into());
    }
    let bytes = match axum::body::to_bytes(body, limits.max_bytes).await {
        Ok(b) => b.to_vec(),
        Err(e) => {
            use std::error::Error as _;
            let over = e
                .source()
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            return Err(if over {
                app::photos::too_big(lang, &limits).into()
            } else {
                Problem::bad_request(i18n::t(lang, "photo.empty", &[]))
            });
        }
    };
    let added = app.add_photo(&reference, declared, bytes, lang).await?;
    Ok((
        StatusCode::CREATED,
        Json(PhotoAdded {
            id: added.id,
            width: added.width,
            height: added.height,
            bytes: added.bytes,
        }),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/reports/{reference}/photos", tag = "observatory",
    summary = "A report's photos (officials: viewer or above)",
    security(("official_token" = [])),
    params(("reference" = String, Path, description = "The case id (`C-…`)")),
    responses((status = 200, description = "Its photos, oldest first", body = PhotoList),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/reports/{case}/photos` (officials).
pub async fn list_photos(
    Path(case): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Viewer>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let photos = app.photos(&who, std::slice::from_ref(&case), lang).await?;
    let mut r = Json(PhotoList {
        photos: photos
            .into_iter()
            .map(|p| PhotoInfo {
                url: photo_path(&p.case, &p.id),
                id: p.id,
                content_type: p.content_type,
                width: p.width,
                height: p.height,
                bytes: p.bytes,
                added_at: p.added_at,
            })
            .collect(),
    })
    .into_response();
    private(&mut r);
    Ok(r)
}

#[utoipa::path(get, path = "/v1/reports/{reference}/photos/{id}", tag = "observatory",
    summary = "One photo of a report (officials: viewer or above)",
    security(("official_token" = [])),
    params(("reference" = String, Path, description = "The case id (`C-…`)"), ("id" = String, Path)),
    responses((status = 200, description = "The image", content_type = "image/jpeg", body = Vec<u8>),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such photo on that report", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/reports/{case}/photos/{id}` (officials).
pub async fn photo(
    Path((case, id)): Path<(String, String)>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Viewer>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let (meta, bytes) = app.photo(&who, &case, &id, lang).await?;
    let mut r = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(&meta.content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    private(&mut r);
    Ok(r)
}

/// Never kept by a cache; never sniffed as anything but what it says.
fn private(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}
