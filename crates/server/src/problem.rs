//! RFC 9457 problem details.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer: `application/problem+json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says the kind.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong and what to do, for a person.
    pub detail: String,
    /// Seconds to wait before retrying (sent as `Retry-After`, not in the body).
    #[serde(skip)]
    pub retry_after_s: Option<u32>,
}

impl Problem {
    /// A problem with `status` and a detail message.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            // A message may quote what the asker sent; a NUL in it stays out of the answer
            // (the document promises none in any string).
            detail: crate::query::without_nul(detail.into()),
            retry_after_s: None,
        }
    }
    /// The same problem, telling the client when to try again.
    pub fn retry_after(mut self, secs: u32) -> Problem {
        self.retry_after_s = Some(secs);
        self
    }
    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }
    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, detail)
    }
    /// 422.
    pub fn unprocessable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after_s {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

/// The HTTP status of each kind of application error.
impl From<app::Error> for Problem {
    fn from(e: app::Error) -> Problem {
        let status = match &e {
            app::Error::Invalid(_) => StatusCode::BAD_REQUEST,
            app::Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            app::Error::NotFound(_) => StatusCode::NOT_FOUND,
            app::Error::Conflict(_) => StatusCode::CONFLICT,
            app::Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            app::Error::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            app::Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            app::Error::Forbidden(_) => StatusCode::FORBIDDEN,
            app::Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            app::Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            app::Error::Plan { error, .. } => match error {
                app::PlanError::BadCoordinate(_) => StatusCode::BAD_REQUEST,
                app::PlanError::UnknownStop(_) => StatusCode::NOT_FOUND,
                app::PlanError::OutsideArea { .. }
                | app::PlanError::NoService(_)
                | app::PlanError::SamePlace
                | app::PlanError::DifferentCities { .. }
                | app::PlanError::OtherCity { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            },
        };
        let retry = match &e {
            app::Error::Unavailable { retry_after_s, .. } => *retry_after_s,
            _ => None,
        };
        let mut p = Problem::new(status, e.detail());
        p.retry_after_s = retry;
        p
    }
}
