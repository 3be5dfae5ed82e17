//! `GET /v1/plan`: trips between stops or points, recorded (as zones and times) for the
//! observatory off the request path.

use crate::extract::Query;
use crate::query::Params;
use crate::{AppState, Problem};
use app::PlanRequest;
use app::clock::now;
use app::{AgeBand, Gender, Profile, Purpose};
use app::{Day, Secs, Timetable};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `2026-11-23T08:00`, `08:00` (today) or absent (now): [`app::when::parse`].
pub(crate) fn when(p: &Params, key: &str, tt: &Timetable) -> Result<Option<(Day, Secs)>, Problem> {
    let Some(v) = p.get(key) else { return Ok(None) };
    app::when::parse(v, now(tt).0, None)
        .map(Some)
        .map_err(|e| Problem::bad_request(e.localized(p.lang)))
}

/// The consented profile of a plan request (`consent=true` plus `gender`, `age_band`,
/// `purpose`, `disability`, `caregiver`); nothing is kept without consent.
pub fn profile_from(p: &Params) -> Result<Option<Profile>, Problem> {
    let lang = p.lang;
    let gender = app::word::<Gender>(lang, "gender", p.get("gender"))?;
    let age_band = app::word::<AgeBand>(lang, "age_band", p.get("age_band"))?;
    let purpose = app::word::<Purpose>(lang, "purpose", p.get("purpose"))?;
    let flag = |k: &str| matches!(p.get(k), Some("true" | "1" | "yes"));
    if !flag("consent") {
        return Ok(None);
    }
    Ok(Some(Profile {
        gender,
        age_band,
        disability: flag("disability"),
        caregiver: flag("caregiver"),
        purpose,
    }))
}

#[utoipa::path(get, path = "/v1/plan", tag = "planner",
    summary = "Plan a trip: the Pareto set over arrival time and transfers",
    description = "Itineraries with walk and ride legs, each leg with a GeoJSON LineString (cut from shapes.txt, or straight stop-to-stop lines), waiting, walking, fare (GTFS fares v1) and a CO₂ comparison with the same trip by car. With `window`, every Pareto-optimal journey departing within the window (rRAPTOR).",
    params(
        ("from" = String, Query, description = "Origin: a stop id (`arequipa:1264347406`) or `lat,lon`", example = "-16.3989,-71.5369", min_length = 1),
        ("to" = String, Query, description = "Destination: a stop id or `lat,lon`", example = "-16.4250,-71.5200", min_length = 1),
        ("at" = Option<String>, Query, description = "Depart at `YYYY-MM-DDTHH:MM` or `HH:MM` (today), local to the feed; default now", example = "2026-11-23T08:00"),
        ("arrive_by" = Option<String>, Query, description = "Arrive by this time instead (latest departure; a backward search); not with `at`"),
        ("window" = Option<String>, Query, description = "Range query: all options departing within e.g. `60m` (at most 6h: seconds, `m`/`min` or `h`)", pattern = r"^(?:(?:[0-9]{1,4}|1[0-9]{4}|2[01][0-9]{3}|21600)s?|(?:[0-9]{1,2}|[12][0-9]{2}|3[0-5][0-9]|360)(?:m|min)|[0-6]h)?$"),
        ("wheelchair" = Option<String>, Query, description = "`true` (avoid stops and runs marked inaccessible), `strict` (only those marked accessible) or `false`"),
        ("max_transfers" = Option<u8>, Query, description = "0–15", minimum = 0, maximum = 15),
        ("max_walk_m" = Option<u32>, Query, description = "Longest walk per leg, metres (0–5000)", minimum = 0, maximum = 5000),
        ("lang" = Option<String>, Query, description = "`es` (default) or `en`, for error messages"),
        ("consent" = Option<String>, Query, description = "`true`: the rider agrees that the profile below is kept with the trip's zones and hour for the observatory; without it, no profile is kept"),
        ("gender" = Option<String>, Query, description = "Consented profile: gender"),
        ("age_band" = Option<String>, Query, description = "Consented profile: age band"),
        ("purpose" = Option<String>, Query, description = "Consented profile: trip purpose (care trips included)"),
        ("disability" = Option<String>, Query, description = "Consented profile: `true` if the rider has a disability"),
        ("caregiver" = Option<String>, Query, description = "Consented profile: `true` if the rider travels caring for someone"),
        ("channel" = Option<String>, Query, description = "`web` when the riders' page asks; otherwise `api`"),
        ("city" = Option<String>, Query, description = "The rider's city (an id of `/v1/cities`): origin and destination must lie in it. Without it, they must lie in one city"),
        ("prefer" = Option<String>, Query, description = "`fastest` (default) or `safer`: also the safer trip, with less walking and waiting where and when the observatory's releases show more incidents, as `safer` beside the itineraries (when it differs)")),
    responses(
        (status = 200, description = "The itineraries found (none when nothing runs in time)", body = app::Plan),
        (status = 400, description = "Malformed input (a coordinate, time, window or option that cannot be read)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown stop id or city", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Valid but impossible: no service that day, a point far outside the network, origin = destination, origin and destination in different cities (or outside `city`), both `at` and `arrive_by`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub async fn plan(State(s): State<Arc<AppState>>, Query(p): Query) -> Result<Response, Problem> {
    let ds = s.dataset();
    let tt = Arc::clone(&ds.timetable);
    let lang = p.lang;
    let from = app::parse_endpoint(&tt, p.need("from")?).map_err(|e| app::Error::plan(e, lang))?;
    let to = app::parse_endpoint(&tt, p.need("to")?).map_err(|e| app::Error::plan(e, lang))?;
    let (at, by) = (when(&p, "at", &tt)?, when(&p, "arrive_by", &tt)?);
    if at.is_some() && by.is_some() {
        // Each is well-formed; together they contradict each other: 422, as documented.
        return Err(Problem::unprocessable(i18n::t(
            lang,
            "error.at_and_arrive_by",
            &[],
        )));
    }
    let (day, time) = by.or(at).unwrap_or_else(|| now(&tt));
    let window_secs = match p.get("window") {
        None => None,
        Some(w) => match app::parse_duration(w) {
            Ok(x) if x <= 6 * 3600 => Some(x).filter(|&x| x > 0),
            _ => {
                return Err(Problem::bad_request(i18n::t(
                    lang,
                    "error.bad_window",
                    &[("text", &w)],
                )));
            }
        },
    };
    let mut options = s.app().settings().routing.clone();
    options.wheelchair = app::wheelchair_param(p.get("wheelchair")).ok_or_else(|| {
        Problem::bad_request(i18n::t(
            lang,
            "error.wheelchair_param",
            &[("value", &p.get("wheelchair").unwrap_or(""))],
        ))
    })?;
    options.max_transfers = p.number("max_transfers", options.max_transfers, 0..=15)?;
    options.max_walk_leg_m = p.number("max_walk_m", options.max_walk_leg_m, 0..=5_000)?;
    // Consent and profile are checked before routing: a bad value is a 400, not a lost record.
    let safer = match p.get("prefer") {
        None | Some("fastest") => false,
        Some("safer") => true,
        Some(other) => {
            return Err(Problem::bad_request(i18n::t(
                lang,
                "obs.bad_value",
                &[
                    ("text", &other),
                    ("field", &"prefer"),
                    ("allowed", &"fastest, safer"),
                ],
            )));
        }
    };
    let profile = profile_from(&p)?;
    let channel = match p.get("channel") {
        Some("web") => app::Channel::Web,
        _ => app::Channel::Api,
    };
    let req = PlanRequest {
        from,
        to,
        day,
        time,
        arrive_by: by.is_some(),
        window_secs,
        options,
        lang,
        safer,
    };
    s.app().check_city(&ds, &req, p.get("city"))?;
    let asker = app::trips::Asker {
        channel,
        profile,
        rider: None,
    };
    let plan = s.app().plan_trip(Arc::clone(&ds), req, asker).await?;
    Ok(Json(plan).into_response())
}
