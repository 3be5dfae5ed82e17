//! The observatory's figures over HTTP: the public indicators (cells of stored releases, JSON
//! or CSV) and the officials' exact internal figures.

use crate::extract::{Observatory, Official, Query, Viewer};
use crate::query::Params;
use crate::reports::range;
use crate::{AppState, Problem, answers};
use app::indicators::{FILTERS, IndicatorQuery, Indicators};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use i18n::Lang;
use std::sync::Arc;

/// `month=YYYY-MM`, `from`/`to` dates and the cell filters of a request.
fn query(p: &Params) -> Result<IndicatorQuery, Problem> {
    let lang = p.lang;
    let month = p
        .get("month")
        .map(|m| {
            NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .ok()
                .filter(|d| app::releases::month_name(*d) == m)
                .ok_or_else(|| {
                    Problem::bad_request(i18n::t(lang, "obs.bad_month", &[("text", &m)]))
                })
        })
        .transpose()?;
    let day = |k: &str| {
        p.get(k)
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    Problem::bad_request(i18n::t(lang, "error.bad_date", &[("text", &d)]))
                })
            })
            .transpose()
    };
    Ok(IndicatorQuery {
        month,
        from: day("from")?,
        to: day("to")?,
        filters: FILTERS
            .iter()
            .filter_map(|(k, _)| p.get(k).map(|v| (k.to_string(), v.to_string())))
            .collect(),
        indicator: p.get("indicator").map(str::to_string),
    })
}

fn wants_csv(p: &Params, headers: &HeaderMap) -> bool {
    p.get("format") == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"))
}

fn csv(ans: &Indicators) -> Response {
    let name = format!("indicadores-{}-{}.csv", ans.from, ans.to);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        app::indicators::to_csv(&ans.answer),
    )
        .into_response()
}

#[utoipa::path(get, path = "/v1/observatory/indicators", tag = "observatory",
    summary = "The public statistics: released tables, protected with differential privacy, each number with its 95 % margin of error",
    description = "Answers are cells of releases computed once per closed period (weeks 1–7, 8–14, 15–21, 22–28, 29–end of a month, and months) and stored; nothing is computed from records at request time. A range is the sum of the released periods it covers.",
    params(("month" = Option<String>, Query, description = "YYYY-MM: its release, or its closed weeks while it runs", pattern = r"^(?:[0-9]{4}-(?:0[1-9]|1[0-2]))?$"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD: released periods inside from..to"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD"),
        ("route" = Option<String>, Query), ("category" = Option<String>, Query), ("zone" = Option<String>, Query),
        ("gender" = Option<String>, Query), ("hour_band" = Option<String>, Query), ("family" = Option<String>, Query),
        ("purpose" = Option<String>, Query),
        ("preference" = Option<String>, Query, description = "`fastest` or `safer`: what riders asked the planner for"),
        ("indicator" = Option<String>, Query, description = "One indicator only"),
        ("format" = Option<String>, Query, description = "`csv` (or `Accept: text/csv`)")),
    responses((status = 200, description = "The released tables", content(
            (Indicators = "application/json"),
            (String = "text/csv"))),
        (status = 400, description = "Unknown category, bad dates or month", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No release covers the range yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/observatory/indicators?month=|from=&to=&route=&category=&…&format=csv`.
pub async fn indicators(
    Query(p): Query,
    Observatory(app): Observatory,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let q = query(&p)?;
    let ans = app.indicators(&q, lang).await?;
    if wants_csv(&p, &headers) {
        return Ok(csv(&ans));
    }
    Ok(Json(ans).into_response())
}

fn internal_body(
    lang: Lang,
    tt: &app::Timetable,
    from: i64,
    to: i64,
    tables: Vec<app::internal::InternalTable>,
) -> answers::InternalFigures {
    answers::InternalFigures {
        internal: true,
        notice: i18n::t(lang, "obs.internal_notice", &[]),
        from: app::clock::local_datetime(tt, from),
        to: app::clock::local_datetime(tt, to),
        indicators: tables
            .into_iter()
            .map(|t| answers::InternalTable {
                title: i18n::t(lang, &format!("indicator.{}.title", t.id), &[]),
                id: t.id,
                dimensions: t.dimensions,
                measures: t.measures,
                rows: t
                    .rows
                    .into_iter()
                    .map(|r| answers::InternalRow {
                        key: r.key,
                        count: r.count,
                        values: r.values,
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/v1/observatory/internal", tag = "observatory",
    summary = "Exact figures for officials (viewer or above): INTERNAL, never for publication",
    security(("official_token" = [])),
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD, default 30 days before `to`"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD, default today")),
    responses((status = 200, description = "Exact figures, not for publication", body = answers::InternalFigures),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed date, status, category or limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/observatory/internal` (officials): the catalogue's tables, exact, every record.
pub async fn internal_indicators(
    State(s): State<Arc<AppState>>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Viewer>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let tt = Arc::clone(&s.dataset().timetable);
    let (from, to) = range(&tt, &p)?;
    let tables = app.internal_figures(&who, (from, to), lang).await?;
    let body = internal_body(lang, &tt, from, to, tables);
    Ok(([(header::CACHE_CONTROL, "private, no-store")], Json(body)).into_response())
}
