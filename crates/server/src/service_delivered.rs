//! Whether the buses really came: `GET /v1/observatory/service` (officials, exact, by day
//! and hour or by hour over the period, with the planned trips beside) and `GET /v1/service`
//! (the public's weekly figures per route and hour band). JSON, or CSV with `format=csv`.

use crate::extract::{Observatory, Official, Query, Viewer};
use crate::query::Params;
use crate::{AppState, Problem};
use app::service::{By, ServiceReport};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The longest period one request may ask for, days.
const MAX_DAYS: i32 = 92;

fn day(p: &Params, key: &str) -> Result<Option<app::Day>, Problem> {
    p.get(key)
        .map(|v| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(app::Day::from_date)
                .map_err(|_| {
                    Problem::bad_request(i18n::t(p.lang, "error.bad_date", &[("text", &v)]))
                })
        })
        .transpose()
}

fn route(s: &AppState, p: &Params) -> Result<Option<app::RouteIdx>, Problem> {
    p.get("route")
        .map(|id| {
            s.dataset().timetable.route_by_id(id).ok_or_else(|| {
                Problem::not_found(i18n::t(p.lang, "error.no_route", &[("id", &id)]))
            })
        })
        .transpose()
}

fn csv_or_json(p: &Params, report: ServiceReport, name: &str) -> Result<Response, Problem> {
    match p.get("format") {
        None | Some("json") => {
            Ok(([(header::CACHE_CONTROL, "private, no-cache")], Json(report)).into_response())
        }
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{name}-{}-{}.csv\"",
                        report.from, report.to
                    ),
                ),
            ],
            report.to_csv(),
        )
            .into_response()),
        Some(other) => Err(Problem::bad_request(i18n::t(
            p.lang,
            "obs.bad_value",
            &[
                ("text", &other),
                ("field", &"format"),
                ("allowed", &"json, csv"),
            ],
        ))),
    }
}

#[utoipa::path(get, path = "/v1/observatory/service", tag = "observatory",
    summary = "Service delivered against service licensed, exact, for officials (viewer or above): per route, direction and hour (`by=hour`, the period's days together: the heat map) or per day and hour (`by=day`) — runs observed and promised, vehicles, headway regularity, excess waiting time, trip times, planned trips; worst routes first",
    security(("official_token" = [])),
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD, default 6 days before `to`"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD, default today"),
        ("route" = Option<String>, Query, description = "One route's id"),
        ("by" = Option<String>, Query, description = "`hour` (default) or `day`"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`")),
    responses((status = 200, description = "The figures (JSON, or CSV with `format=csv`)", content(
            (ServiceReport = "application/json"),
            (String = "text/csv"))),
        (status = 400, description = "A malformed date, `by` or `format`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an official (an operator's token)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown route, or the observatory is off", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`, or more than 92 days", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/observatory/service` (officials).
pub async fn officials(
    State(s): State<Arc<AppState>>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(_, _): Official<Viewer>,
) -> Result<Response, Problem> {
    let today = app::clock::now(&s.dataset().timetable).0;
    let to = day(&p, "to")?.unwrap_or(today);
    let from = day(&p, "from")?.unwrap_or(to.offset(-6));
    if from > to || to.0 - from.0 >= MAX_DAYS {
        return Err(Problem::unprocessable(i18n::t(
            p.lang,
            "service.bad_period",
            &[("max", &MAX_DAYS)],
        )));
    }
    let by = match p.get("by") {
        None | Some("hour") => By::Hour,
        Some("day") => By::DayHour,
        Some(other) => {
            return Err(Problem::bad_request(i18n::t(
                p.lang,
                "obs.bad_value",
                &[
                    ("text", &other),
                    ("field", &"by"),
                    ("allowed", &"hour, day"),
                ],
            )));
        }
    };
    let route = route(&s, &p)?;
    let report = app
        .service_delivered((from, to), route, by, true, p.lang)
        .await?;
    csv_or_json(&p, report, "servicio")
}

#[utoipa::path(get, path = "/v1/service", tag = "network",
    summary = "Service delivered, for everyone: one ISO week's figures per route, direction and hour band — runs observed and promised, headway regularity, excess waiting time, trip times (no vehicle is named)",
    params(("week" = Option<String>, Query, description = "ISO week `YYYY-Www`, default this week"),
        ("route" = Option<String>, Query, description = "One route's id"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`")),
    responses((status = 200, description = "The week's figures (JSON, or CSV with `format=csv`)", content(
            (ServiceReport = "application/json"),
            (String = "text/csv"))),
        (status = 400, description = "A malformed week or `format`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown route, or the observatory is off", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A week that year does not have (`W00`, `W54`)", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/service` (public, weekly).
pub async fn public(
    State(s): State<Arc<AppState>>,
    Query(p): Query,
    Observatory(app): Observatory,
) -> Result<Response, Problem> {
    let today = app::clock::now(&s.dataset().timetable).0;
    // Present but empty (`week=`) is malformed, not absent.
    let monday = match p.given("week") {
        None => today.offset(-(today.weekday() as i32)),
        Some(w) => {
            // Malformed is a 400; well formed but not a week of that year (W00, W54) a 422.
            let parts = w
                .split_once("-W")
                .filter(|_| w.len() == 8 && w.is_ascii())
                .and_then(|(y, n)| Some((y.parse::<i32>().ok()?, n.parse::<u32>().ok()?)));
            let bad = || i18n::t(p.lang, "service.bad_week", &[("text", &w)]);
            let Some((y, n)) = parts else {
                return Err(Problem::bad_request(bad()));
            };
            match chrono::NaiveDate::from_isoywd_opt(y, n, chrono::Weekday::Mon) {
                Some(d) => app::Day::from_date(d),
                None => return Err(Problem::unprocessable(bad())),
            }
        }
    };
    let route = route(&s, &p)?;
    let report = app
        .service_delivered((monday, monday.offset(6)), route, By::Band, false, p.lang)
        .await?;
    csv_or_json(&p, report, "servicio-semana")
}
