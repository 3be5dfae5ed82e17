//! Survey answers over HTTP.

use crate::bodies::{self, SurveyBody};
use crate::extract::{JsonBody, Observatory, Query};
use crate::reports::when;
use crate::{AppState, Problem, answers};
use app::Channel;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use std::sync::Arc;

/// A score as the use case takes it (which checks 1–5); anything but a whole number is refused
/// here with the same message.
fn score(v: Option<bodies::Score>, field: &str, lang: Lang) -> Result<Option<u8>, Problem> {
    let bad = |text: &dyn std::fmt::Display| {
        Problem::bad_request(i18n::t(
            lang,
            "obs.bad_score",
            &[("field", &field), ("text", text)],
        ))
    };
    match v {
        None => Ok(None),
        Some(bodies::Score::Whole(n)) => u8::try_from(n).map(Some).map_err(|_| bad(&n)),
        Some(bodies::Score::Other(text)) => Err(bad(&text)),
    }
}

#[utoipa::path(post, path = "/v1/ratings", tag = "observatory",
    summary = "Rate a ride: perceived safety and satisfaction (1–5) for a route and time",
    request_body(content = SurveyBody, content_type = "application/json"),
    responses((status = 201, description = "Recorded", body = answers::SurveyRecorded),
        (status = 400, description = "Scores outside 1–5 or missing", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown route, or a time in the future or more than a year ago", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/ratings`: `{"route_id", "safety": 1-5, "satisfaction": 1-5, "at", "gender", "age_band"}`.
pub async fn create_rating(
    s: State<Arc<AppState>>,
    Query(p): Query,
    Observatory(app): Observatory,
    JsonBody(b): JsonBody<SurveyBody>,
) -> Result<Response, Problem> {
    rate(s, p.lang, &app, b).await
}

#[utoipa::path(post, path = "/v1/surveys", tag = "observatory",
    summary = "Rate a ride (the former name of `POST /v1/ratings`, kept for existing clients)",
    description = "The same as `POST /v1/ratings`. \"Surveys\" are the questionnaires (`/v1/surveys/{code}`); a rating of a ride is a rating.",
    request_body(content = SurveyBody, content_type = "application/json"),
    responses((status = 201, description = "Recorded", body = answers::SurveyRecorded),
        (status = 400, description = "Scores outside 1–5 or missing", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown route, or a time in the future or more than a year ago", body = Problem, content_type = "application/problem+json")))]
/// `POST /v1/surveys`: the former name of `POST /v1/ratings`.
pub async fn create_rating_alias(
    s: State<Arc<AppState>>,
    Query(p): Query,
    Observatory(app): Observatory,
    JsonBody(b): JsonBody<SurveyBody>,
) -> Result<Response, Problem> {
    rate(s, p.lang, &app, b).await
}

/// A rating, read and checked by the extractors, recorded.
async fn rate(
    State(s): State<Arc<AppState>>,
    lang: i18n::Lang,
    app: &app::App,
    b: SurveyBody,
) -> Result<Response, Problem> {
    let ds = s.dataset();
    let tt = &ds.timetable;
    let input = app::ratings::RatingInput {
        route_id: bodies::word(&b.route_id),
        safety: score(b.safety, "safety", lang)?,
        satisfaction: score(b.satisfaction, "satisfaction", lang)?,
        at: b.at.as_ref().map(|v| when(tt, v, lang)).transpose()?,
        gender: bodies::word(&b.gender),
        age_band: bodies::word(&b.age_band),
        channel: Channel::Api,
        rider: None,
    };
    app.rate_ride(&input, lang).await?;
    let recorded = answers::SurveyRecorded { status: "recorded" };
    Ok((StatusCode::CREATED, Json(recorded)).into_response())
}
