//! What a handler takes from a request, each checked once, in the order of its arguments: the
//! query's parameters (a malformed one is a 400 naming it), the observatory (404 when it is
//! off), an official of a role (401 without a known token, 403 below the role) and a JSON body
//! (415 unless sent as JSON, 400 naming what is wrong). A handler reads extract → `app` →
//! answer.

use crate::query::{self, Params};
use crate::{AppState, Problem, bodies};
use app::{App, Role};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::sync::Arc;

/// The query string's parameters, with the language asked for.
pub struct Query(pub Params);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Params::parse(parts.uri.query()).map(Query)
    }
}

/// The application, for a use case of the observatory: its absence
/// (`observatory.enabled = false`) is a 404 saying so, before the body is read.
pub struct Observatory(pub Arc<App>);

impl FromRequestParts<Arc<AppState>> for Observatory {
    type Rejection = Problem;

    async fn from_request_parts(_: &mut Parts, s: &Arc<AppState>) -> Result<Self, Problem> {
        s.app().require_observatory(query::asked())?;
        Ok(Observatory(Arc::clone(s.app())))
    }
}

/// A role an [`Official`] must have at least.
pub trait Needs {
    /// The role.
    const ROLE: Role;
}

/// Pushes its fleet's positions (and reads nothing).
pub struct Operator;
/// Reads figures, reports and exports.
pub struct Viewer;
/// Also handles reports.
pub struct Editor;
/// Also manages categories, surveys and tokens.
pub struct Admin;

impl Needs for Operator {
    const ROLE: Role = Role::Operator;
}
impl Needs for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl Needs for Editor {
    const ROLE: Role = Role::Editor;
}
impl Needs for Admin {
    const ROLE: Role = Role::Admin;
}

/// The official behind the request's bearer token, with role `R` or above (the observatory
/// must be on).
pub struct Official<R>(pub app::Official, pub PhantomData<R>);

impl<R: Needs> FromRequestParts<Arc<AppState>> for Official<R> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<AppState>) -> Result<Self, Problem> {
        let lang = query::asked();
        let who = s
            .app()
            .authenticate(bearer(&parts.headers), R::ROLE, lang)
            .await?;
        Ok(Official(who, PhantomData))
    }
}

/// The bearer token of a request, if any. The scheme's name is case-insensitive (RFC 9110
/// §11.1): `Bearer`, `bearer` and `BEARER` are one scheme.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start_matches(' '))
}

/// A JSON object body read as `T`: 415 unless sent as `application/json`, 400 naming what
/// is wrong (unknown fields are ignored; a NUL in a field read is refused by name).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    // A body that cannot be read (too large, cut off) is answered as axum answers it.
    type Rejection = Response;

    async fn from_request(req: Request, s: &S) -> Result<Self, Response> {
        let lang = query::asked();
        bodies::require_json(req.headers(), lang).map_err(IntoResponse::into_response)?;
        let bytes = axum::body::Bytes::from_request(req, s)
            .await
            .map_err(IntoResponse::into_response)?;
        bodies::json(&bytes, lang)
            .map(JsonBody)
            .map_err(IntoResponse::into_response)
    }
}

/// Whether `If-None-Match` names `etag` (or `*`): the client has it, answer 304.
pub(crate) fn if_none_match(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    headers
        .get_all(axum::http::header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        })
}
