//! What a use case can answer instead of a result: a kind a front door maps to its own terms
//! (an HTTP status, a chat message) and a message already in the asker's language.

use i18n::Lang;
use store::StoreError;

/// Why a use case did not do what was asked. Every variant carries a message for a person,
/// translated into the language of the request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input is malformed (a field missing, out of range, of the wrong kind); nothing
    /// was changed.
    #[error("{0}")]
    Invalid(String),
    /// The input is well formed but cannot be served (an unknown stop, a time in the future,
    /// a reused idempotency key); nothing was changed.
    #[error("{0}")]
    Unprocessable(String),
    /// What was asked for does not exist (or the asker may not learn that it does).
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with the current state (a status the workflow does not allow).
    #[error("{0}")]
    Conflict(String),
    /// The upload is larger than allowed (bytes or pixels); nothing was stored.
    #[error("{0}")]
    TooLarge(String),
    /// The upload is not of a kind accepted (a photo that is not JPEG, PNG or WebP).
    #[error("{0}")]
    UnsupportedMedia(String),
    /// No credential, or an unknown one.
    #[error("{0}")]
    Unauthorized(String),
    /// A credential whose role is too low.
    #[error("{0}")]
    Forbidden(String),
    /// The request was fine but cannot be taken now (store down, disk full, shutting down);
    /// nothing was changed and the same request may be retried after `retry_after_s`.
    #[error("{detail}")]
    Unavailable {
        /// For a person.
        detail: String,
        /// Seconds to wait before retrying, when known.
        retry_after_s: Option<u32>,
    },
    /// No plan could be made for what was asked (an unknown stop, a place outside the
    /// network, no service that day): the planner's reason, for the door to map.
    #[error("{detail}")]
    Plan {
        /// Why.
        error: planner::PlanError,
        /// For a person.
        detail: String,
    },
    /// A fault of ours (a worker stopped unexpectedly).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The message for a person.
    pub fn detail(&self) -> &str {
        match self {
            Error::Invalid(d)
            | Error::Unprocessable(d)
            | Error::NotFound(d)
            | Error::Conflict(d)
            | Error::TooLarge(d)
            | Error::UnsupportedMedia(d)
            | Error::Unauthorized(d)
            | Error::Forbidden(d)
            | Error::Internal(d)
            | Error::Unavailable { detail: d, .. }
            | Error::Plan { detail: d, .. } => d,
        }
    }

    /// The planner's reason for not planning, in the asker's language.
    pub fn plan(error: planner::PlanError, lang: Lang) -> Error {
        Error::Plan {
            detail: error.localized(lang),
            error,
        }
    }

    /// The store's failure, in the asker's language; faults are logged here, once.
    pub fn from_store(e: &StoreError, lang: Lang) -> Error {
        let unavailable = |key: &str, secs: u32| Error::Unavailable {
            detail: i18n::t(lang, key, &[]),
            retry_after_s: Some(secs),
        };
        match e {
            StoreError::KeyReused => Error::Unprocessable(i18n::t(lang, "obs.key_reused", &[])),
            StoreError::UnknownReport(r) => {
                Error::NotFound(i18n::t(lang, "obs.unknown_report", &[("text", r)]))
            }
            StoreError::BadTransition { from, to } => Error::Conflict(i18n::t(
                lang,
                "obs.bad_transition",
                &[("from", from), ("to", to)],
            )),
            StoreError::DiskFull => {
                tracing::error!("store: no space left on the data volume");
                unavailable("store.disk_full", 30)
            }
            StoreError::ReadOnly => {
                tracing::error!("store: the data volume is read-only");
                unavailable("store.read_only", 60)
            }
            other => {
                tracing::error!(error = %other, "store");
                unavailable("store.unavailable", 5)
            }
        }
    }
}
