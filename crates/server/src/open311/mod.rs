//! Open311 GeoReport v2, so existing civic tools can read and write reports.
//!
//! Differences from a plain GeoReport server, all for privacy: personal fields (`email`,
//! `first_name`, `last_name`, `phone`, `device_id`, `account_id`) are accepted and ignored,
//! never stored; without an official's token, `GET requests.json` answers only for the ids
//! asked for (`service_request_id=`), and public answers carry no coordinates, address or
//! description. Errors use GeoReport's format, `[{"code": …, "description": …}]`, with the
//! HTTP status of the problem. Every answer comes as JSON (`.json`) or XML (`.xml`), as the
//! specification has it; `discovery` says where the endpoint is, and `services/{code}` defines
//! the extra attributes a report takes.

use crate::answers;
use crate::bodies::{self, Open311Form};
use crate::extract::bearer;
use crate::query::Params;
use crate::{AppState, Problem};
use app::reports::ReportInput;
use app::{App, Channel, Role};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use serde::Serialize;
use std::sync::Arc;

/// The two formats of GeoReport v2, chosen by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

impl Format {
    /// `name.json` or `name.xml`: the name and the format (no extension: JSON).
    fn split(file: &str) -> (&str, Format) {
        if let Some(n) = file.strip_suffix(".xml") {
            (n, Format::Xml)
        } else {
            (file.strip_suffix(".json").unwrap_or(file), Format::Json)
        }
    }
}

/// An XML answer: `<?xml …?>` and `value` under `root`.
fn xml<T: Serialize>(status: StatusCode, root: &str, value: &T) -> Response {
    match quick_xml::se::to_string_with_root(root, value) {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}",
                xml_chars(&body)
            ),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "an Open311 answer could not be written as XML");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors><error><code>500</code><description>the answer could not be written</description></error></errors>",
            )
                .into_response()
        }
    }
}

/// `text` with every character XML 1.0 cannot carry (C0 controls other than tab, line feed
/// and carriage return; U+FFFE, U+FFFF) replaced by U+FFFD. The doors strip control
/// characters from what they store; this keeps an answer parseable whatever was stored
/// before that, or comes from elsewhere.
fn xml_chars(text: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if text.chars().all(allowed) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
            .collect(),
    )
}

/// XML shapes: GeoReport names each element of a list.
mod shapes {
    use crate::answers;
    use serde::Serialize;

    #[derive(Serialize)]
    pub struct Services<'a> {
        pub service: &'a [answers::Service],
    }
    #[derive(Serialize)]
    pub struct Requests<'a, T> {
        pub request: &'a [T],
    }
    #[derive(Serialize)]
    pub struct Errors<'a> {
        pub error: &'a [answers::Open311Error],
    }
    #[derive(Serialize)]
    pub struct Discovery<'a> {
        pub changeset: &'a str,
        pub contact: &'a str,
        pub key_service: &'a str,
        pub endpoints: Endpoints<'a>,
    }
    #[derive(Serialize)]
    pub struct Endpoints<'a> {
        pub endpoint: Vec<Endpoint<'a>>,
    }
    #[derive(Serialize)]
    pub struct Endpoint<'a> {
        pub specification: &'a str,
        pub url: &'a str,
        pub changeset: &'a str,
        #[serde(rename = "type")]
        pub kind: &'a str,
        pub formats: Formats<'a>,
    }
    #[derive(Serialize)]
    pub struct Formats<'a> {
        pub format: &'a [&'static str],
    }
    #[derive(Serialize)]
    pub struct Definition<'a> {
        pub service_code: &'a str,
        pub attributes: Attributes<'a>,
    }
    #[derive(Serialize)]
    pub struct Attributes<'a> {
        pub attribute: Vec<Attribute<'a>>,
    }
    #[derive(Serialize)]
    pub struct Attribute<'a> {
        pub variable: bool,
        pub code: &'a str,
        pub datatype: &'a str,
        pub required: bool,
        pub datatype_description: &'a str,
        pub order: u32,
        pub description: &'a str,
        pub values: Values<'a>,
    }
    #[derive(Serialize)]
    pub struct Values<'a> {
        pub value: &'a [answers::AttributeValue],
    }
}

/// A GeoReport error answer in the format of `path`'s last segment (`….xml` or JSON).
pub(crate) fn error_for_path(path: &str, p: Problem) -> Response {
    let file = path.rsplit('/').next().unwrap_or("");
    error_as(Format::split(file).1, p)
}

/// A GeoReport error answer in `fmt`.
fn error_as(fmt: Format, p: Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
    let errors = [answers::Open311Error {
        code: p.status,
        description: p.detail,
    }];
    let mut r = match fmt {
        Format::Json => (status, Json(errors)).into_response(),
        Format::Xml => xml(status, "errors", &shapes::Errors { error: &errors }),
    };
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

mod discovery;
mod requests;
mod services;
pub use discovery::*;
pub use requests::*;
pub use services::*;
