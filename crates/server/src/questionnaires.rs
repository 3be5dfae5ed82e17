//! Surveys as data over HTTP: the live surveys, answers to them, new versions and retirement
//! (admins), and the officials' CSV export.

use crate::bodies::{self, NonEmpty};
use crate::extract::{Admin, JsonBody, Observatory, Official, Query, Viewer};
use crate::reports::range;
use crate::{AppState, Problem};
use app::Channel;
use app::questionnaire::Given;
use app::questionnaires::{self as q, AnswerInput, Published, Recorded, SurveyView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// `GET /v1/surveys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyList {
    /// The live surveys, latest version of each.
    pub surveys: Vec<SurveyView>,
}

/// An answer to one question: option codes, one option code, a scale point, or a text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(
    untagged,
    expecting = "an option's code, a list of option codes, a scale point or a text"
)]
pub enum AnswerValue {
    /// Options chosen (multiple choice; or one, for the others).
    Options(Vec<String>),
    /// A point of a scale (`1.0` is `1`).
    Number(f64),
    /// One option code, or the text of a free-text question.
    Text(String),
}

/// `POST /v1/surveys/{code}/responses`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswerBody {
    /// The version answered (as `GET /v1/surveys` gave it); default: the latest.
    #[serde(default)]
    #[schema(value_type = Option<i32>, minimum = 1)]
    pub version: Option<f64>,
    /// Question code → answer. Questions not asked (their `show_if` unmet) are left out.
    pub answers: BTreeMap<String, AnswerValue>,
    /// Where the answer comes from: `web` (the riders' page) or `api` (default).
    #[serde(default)]
    pub channel: Option<bodies::BodyChannel>,
    /// The respondent's gender, if they wish.
    #[serde(default, deserialize_with = "bodies::present")]
    #[schema(value_type = String, nullable = false)]
    pub gender: Option<NonEmpty>,
    /// The respondent's age band, if they wish.
    #[serde(default, deserialize_with = "bodies::present")]
    #[schema(value_type = String, nullable = false)]
    pub age_band: Option<NonEmpty>,
}

fn given(v: AnswerValue) -> Given {
    match v {
        AnswerValue::Options(o) => Given::Options(o),
        // A whole number names an option (`4`, or `4.0` as JSON allows); anything else is
        // an option no survey has, answered 422 by the definition's check.
        AnswerValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Given::Number(n as i64),
        AnswerValue::Number(n) => Given::Text(n.to_string()),
        AnswerValue::Text(t) => Given::Text(t),
    }
}

#[utoipa::path(get, path = "/v1/surveys", tag = "observatory",
    summary = "The surveys riders can answer (profile, women's safety, accessibility, …), in the asker's language",
    params(("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses((status = 200, description = "The live surveys", body = SurveyList),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The observatory is off", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/surveys`.
pub async fn list(Query(p): Query, Observatory(app): Observatory) -> Result<Response, Problem> {
    let lang = p.lang;
    let surveys = app.questionnaires(lang).await?;
    Ok(Json(SurveyList { surveys }).into_response())
}

#[utoipa::path(get, path = "/v1/surveys/{code}", tag = "observatory",
    summary = "One survey: its latest version, or the version asked for",
    params(("code" = String, Path), ("version" = Option<i32>, Query, minimum = 1, maximum = 100000),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses((status = 200, description = "The survey", body = SurveyView),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such survey or version", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/surveys/{code}`.
pub async fn one(
    Path(code): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let version = match p.get("version") {
        None => None,
        Some(_) => Some(p.number("version", 1i32, 1..=100_000)?),
    };
    let (def, v) = app.questionnaire(&code, version, lang).await?;
    Ok(Json(q::view(&def, v, lang)).into_response())
}

#[utoipa::path(post, path = "/v1/surveys/{code}/responses", tag = "observatory",
    summary = "Answer a survey; checked against the version answered, stored only if all of it is valid",
    params(("code" = String, Path), ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    request_body(content = SurveyAnswerBody, content_type = "application/json"),
    responses((status = 201, description = "Recorded", body = Recorded),
        (status = 400, description = "Not such a body (a field of the wrong type, an unknown field, a gender or age band outside the list)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The answers do not fit the version answered: an unknown question or option, several options for a single-choice question, an exclusive option with others, a required question unanswered, a question its condition does not ask, text too long, nothing answered", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such survey (or version), or it is retired", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot take it now; nothing was stored", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/surveys/{code}/responses`.
pub async fn answer(
    Path(code): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    JsonBody(b): JsonBody<SurveyAnswerBody>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    // JSON's `2.0` is the integer 2; any other number names no version there is.
    let version = match b.version {
        None => None,
        Some(v) if v.fract() == 0.0 && (1.0..=f64::from(i32::MAX)).contains(&v) => Some(v as i32),
        Some(v) => {
            return Err(Problem::not_found(i18n::t(
                lang,
                "survey.unknown_version",
                &[("text", &code), ("version", &v)],
            )));
        }
    };
    let input = AnswerInput {
        version,
        answers: b.answers.into_iter().map(|(k, v)| (k, given(v))).collect(),
        gender: bodies::word(&b.gender),
        age_band: bodies::word(&b.age_band),
        channel: Some(match b.channel {
            Some(bodies::BodyChannel::Web) => Channel::Web,
            _ => Channel::Api,
        }),
        rider: None,
    };
    let recorded = app.answer_questionnaire(&code, &input, lang).await?;
    Ok((StatusCode::CREATED, Json(recorded)).into_response())
}

#[utoipa::path(put, path = "/v1/surveys/{code}", tag = "observatory",
    summary = "Publish a new version of a survey, or a new survey (admins); answers keep the version they answered",
    security(("admin_token" = [])),
    params(("code" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "A definition: `code`, `title`/`intro`/`outro` as `{es, en, qu}`, `questions` with `code`, `text`, `kind` (`single`, `multi`, `scale`, `text`), `options`, optional `required`, `show_if` `{question, any_of}`, `max_chars`"),
    responses((status = 201, description = "Published", body = Published),
        (status = 400, description = "Not a definition, or its code differs from the path's", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The definition fails its checks (the message says which)", body = Problem, content_type = "application/problem+json")))]
/// `PUT /v1/surveys/{code}` (admins).
pub async fn publish(
    Path(code): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Admin>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let lang = p.lang;
    bodies::require_json(&headers, lang)?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| Problem::bad_request(i18n::t(lang, "obs.bad_json", &[("error", &e)])))?;
    let published = app.publish_questionnaire(&who, &code, text, lang).await?;
    Ok((StatusCode::CREATED, Json(published)).into_response())
}

#[utoipa::path(delete, path = "/v1/surveys/{code}", tag = "observatory",
    summary = "Retire a survey (admins): no new answers; its versions and answers stay",
    security(("admin_token" = [])),
    params(("code" = String, Path)),
    responses((status = 204, description = "Retired"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live survey", body = Problem, content_type = "application/problem+json")))]
/// `DELETE /v1/surveys/{code}` (admins).
pub async fn retire(
    Path(code): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Admin>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    app.retire_questionnaire(&who, &code, lang).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/v1/surveys/{code}/export", tag = "observatory",
    summary = "The raw answers to a survey as CSV (officials: viewer or above): one line per option chosen, pseudonymous ids, free text only with `text=true`",
    security(("official_token" = [])),
    params(("code" = String, Path),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD (default: 30 days before `to`)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD (default: today)"),
        ("text" = Option<bool>, Query, description = "Include free-text answers")),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String),
        (status = 400, description = "Malformed date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such survey", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/surveys/{code}/export` (officials).
pub async fn export(
    State(s): State<Arc<AppState>>,
    Path(code): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Viewer>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let ds = s.dataset();
    let (from, to) = range(&ds.timetable, &p)?;
    let with_text = match p.get("text") {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(Problem::bad_request(i18n::t(
                lang,
                "obs.bad_value",
                &[
                    ("text", &other),
                    ("field", &"text"),
                    ("allowed", &"true, false"),
                ],
            )));
        }
    };
    let csv = app
        .export_questionnaire(&who, &code, (from, to), with_text, lang)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"encuesta-{code}.csv\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        csv,
    )
        .into_response())
}
