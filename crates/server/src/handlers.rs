//! Endpoint handlers.

use crate::answers;
use crate::query::Params;
use crate::{AppState, Problem};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use planner::{PlanError, PlanRequest};
use raptor::Wheelchair;
use std::sync::Arc;
use timetable::{Coord, Day, Secs, StopIdx, Timetable};

type Answer = Result<Response, Problem>;

use planner::clock::now;

/// `2026-11-23T08:00`, `08:00` (today) or absent (now).
fn when(p: &Params, key: &str, tt: &Timetable) -> Result<Option<(Day, Secs)>, Problem> {
    let Some(v) = p.get(key) else { return Ok(None) };
    let bad = |k: &str, text: &str| Problem::bad_request(i18n::t(p.lang, k, &[("text", &text)]));
    let (day, time) = match v.split_once('T') {
        Some((d, t)) => (Day::parse(d).ok_or_else(|| bad("error.bad_date", d))?, t),
        None => (now(tt).0, v),
    };
    match timetable::time::parse_clock(time) {
        Ok(s) if s < timetable::DAY => Ok(Some((day, s))),
        _ => Err(bad("error.bad_time", v)),
    }
}

fn plan_problem(e: &PlanError, lang: Lang) -> Problem {
    let detail = e.localized(lang);
    match e {
        PlanError::BadCoordinate(_) => Problem::bad_request(detail),
        PlanError::UnknownStop(_) => Problem::not_found(detail),
        PlanError::OutsideArea { .. } | PlanError::NoService(_) | PlanError::SamePlace => {
            Problem::unprocessable(detail)
        }
    }
}

fn params(raw: Option<String>) -> Result<Params, Problem> {
    Params::parse(raw.as_deref())
}

#[utoipa::path(get, path = "/healthz", tag = "service",
    summary = "Liveness: the server answers and how many stops it serves",
    responses((status = 200, description = "The server answers", body = answers::Health)))]
pub async fn healthz(State(s): State<Arc<AppState>>) -> Response {
    let ds = s.dataset();
    Json(answers::Health {
        status: "ok",
        stops: ds.timetable.stops().len(),
    })
    .into_response()
}

#[utoipa::path(get, path = "/metrics", tag = "service",
    summary = "Prometheus metrics: requests and latency per endpoint template, routing time, feed age",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain")))]
pub async fn metrics(State(s): State<Arc<AppState>>, headers: axum::http::HeaderMap) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    // Counters of the observatory's endpoints and of trip records time when people report,
    // answer surveys and plan: only for the operator (admin token), never in public.
    let operator = admin_ok(&s, &headers);
    let process = crate::metrics::Process {
        feed_loaded_unix: s
            .dataset()
            .loaded_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
        routing: Some(s.app().routing_times().read()),
        trips: s.app().observatory().filter(|_| operator).map(|o| {
            let c = o.trip_counters();
            crate::metrics::TripFigures {
                written: c.written.load(Relaxed),
                dropped: c.dropped.load(Relaxed),
                failed_writes: c.failed_writes.load(Relaxed),
            }
        }),
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        s.metrics.render(&process, operator),
    )
        .into_response()
}

/// `POST /v1/admin/reload` with `Authorization: Bearer <admin token>`.
#[utoipa::path(post, path = "/v1/admin/reload", tag = "service",
    summary = "Reload the timetable without downtime (built aside, swapped atomically)",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Reloaded: counts of the new timetable", body = Object),
        (status = 401, description = "Missing or wrong admin token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Reloading over HTTP is disabled (no admin token configured; a request without any token gets 401 first)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The reload failed; the previous timetable keeps serving", body = Problem, content_type = "application/problem+json")))]
pub async fn reload(State(s): State<Arc<AppState>>, headers: axum::http::HeaderMap) -> Answer {
    // No credentials at all is a 401 whether or not reloading is enabled (as documented):
    // a client learns how to authenticate before it learns the server's configuration.
    if !headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Err(Problem::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "send the admin token as `Authorization: Bearer <token>`",
        ));
    }
    let Some(token) = s.settings.admin_token.as_deref() else {
        return Err(Problem::not_found(
            "reloading over HTTP is disabled: set server.admin_token (or send SIGHUP)",
        ));
    };
    if !token_matches(token, &headers) {
        return Err(Problem::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "send the admin token as `Authorization: Bearer <token>`",
        ));
    }
    match s.app().reload().await {
        Ok(ds) => Ok(Json(answers::Reloaded {
            status: "reloaded",
            stops: ds.timetable.stops().len(),
            routes: ds.timetable.routes().len(),
        })
        .into_response()),
        Err(e) => Err(Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("reload failed, still serving the previous timetable: {e}"),
        )),
    }
}

/// Whether the request carries the configured admin token.
pub(crate) fn admin_ok(s: &AppState, headers: &axum::http::HeaderMap) -> bool {
    s.settings
        .admin_token
        .as_deref()
        .is_some_and(|t| token_matches(t, headers))
}

fn token_matches(token: &str, headers: &axum::http::HeaderMap) -> bool {
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // A constant-time comparison (the `subtle` crate), so timing does not reveal how much
    // of a guess was right.
    use subtle::ConstantTimeEq;
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes())))
}

pub async fn not_found() -> Problem {
    Problem::not_found(
        "no such endpoint: see /docs (or /openapi.json) for the API; the riders' page is /",
    )
}

#[utoipa::path(get, path = "/v1/feeds", tag = "network",
    summary = "Loaded feeds with their validity, counts and load time",
    responses((status = 200, description = "The feeds loaded", body = answers::Feeds)))]
pub async fn feeds(State(s): State<Arc<AppState>>) -> Response {
    let ds = s.dataset();
    let tt = &ds.timetable;
    let loaded: chrono::DateTime<chrono::Utc> = ds.loaded_at.into();
    let feeds = tt
        .feeds()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let fi = timetable::FeedIdx::new(i);
            answers::Feed {
                id: f.id.clone(),
                timezone: f.timezone.clone(),
                publisher: f.publisher.clone(),
                version: f.version.clone(),
                valid_from: f.service_span.map(|x| x.0.to_string()),
                valid_to: f.service_span.map(|x| x.1.to_string()),
                stops: tt.stops().iter().filter(|s| s.feed == fi).count(),
                routes: tt
                    .routes()
                    .iter()
                    .filter(|r| tt.agencies()[r.agency.idx()].feed == fi)
                    .count(),
                loaded_at: loaded.to_rfc3339(),
            }
        })
        .collect();
    Json(answers::Feeds { feeds }).into_response()
}

#[utoipa::path(get, path = "/v1/plan", tag = "planner",
    summary = "Plan a trip: the Pareto set over arrival time and transfers",
    description = "Itineraries with walk and ride legs, each leg with a GeoJSON LineString (cut from shapes.txt, or straight stop-to-stop lines), waiting, walking, fare (GTFS fares v1) and a CO₂ comparison with the same trip by car. With `window`, every Pareto-optimal journey departing within the window (rRAPTOR).",
    params(
        ("from" = String, Query, description = "Origin: a stop id (`arequipa:1264347406`) or `lat,lon`", example = "-16.3989,-71.5369", min_length = 1),
        ("to" = String, Query, description = "Destination: a stop id or `lat,lon`", example = "-16.4250,-71.5200", min_length = 1),
        ("at" = Option<String>, Query, description = "Depart at `YYYY-MM-DDTHH:MM` or `HH:MM` (today), local to the feed; default now", example = "2026-11-23T08:00", pattern = "^(?:(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))T)?(?:[01][0-9]|2[0-3]):[0-5][0-9])?$"),
        ("arrive_by" = Option<String>, Query, description = "Arrive by this time instead (latest departure; a backward search); not with `at`", pattern = "^(?:(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))T)?(?:[01][0-9]|2[0-3]):[0-5][0-9])?$"),
        ("window" = Option<String>, Query, description = "Range query: all options departing within e.g. `60m` (at most 6h: seconds, `m`/`min` or `h`)", pattern = r"^(?:(?:[0-9]{1,4}|1[0-9]{4}|2[01][0-9]{3}|21600)s?|(?:[0-9]{1,2}|[12][0-9]{2}|3[0-5][0-9]|360)(?:m|min)|[0-6]h)?$"),
        ("wheelchair" = Option<String>, Query, description = "`true` (avoid stops and runs marked inaccessible), `strict` (only those marked accessible) or `false`"),
        ("max_transfers" = Option<u8>, Query, description = "0–15", minimum = 0, maximum = 15),
        ("max_walk_m" = Option<u32>, Query, description = "Longest walk per leg, metres (0–5000)", minimum = 0, maximum = 5000),
        ("lang" = Option<String>, Query, description = "`es` (default) or `en`, for error messages")),
    responses(
        (status = 200, description = "The itineraries found (none when nothing runs in time)", body = planner::Plan),
        (status = 400, description = "Malformed input (a coordinate, time, window or option that cannot be read)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown stop id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Valid but impossible: no service that day, a point far outside the network, origin = destination, both `at` and `arrive_by`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub async fn plan(State(s): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Answer {
    let p = params(raw)?;
    let ds = s.dataset();
    let tt = Arc::clone(&ds.timetable);
    let lang = p.lang;
    let from = planner::parse_endpoint(&tt, p.need("from")?).map_err(|e| plan_problem(&e, lang))?;
    let to = planner::parse_endpoint(&tt, p.need("to")?).map_err(|e| plan_problem(&e, lang))?;
    let (at, by) = (when(&p, "at", &tt)?, when(&p, "arrive_by", &tt)?);
    if at.is_some() && by.is_some() {
        // Each is well-formed; together they contradict each other: 422, as documented.
        return Err(Problem::unprocessable("give `at` or `arrive_by`, not both"));
    }
    let (day, time) = by.or(at).unwrap_or_else(|| now(&tt));
    let window_secs = match p.get("window") {
        None => None,
        Some(w) => match timetable::text::parse_duration(w) {
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
    options.wheelchair = match p.get("wheelchair") {
        None | Some("false" | "0" | "no") => Wheelchair::Off,
        Some("true" | "1" | "yes") => Wheelchair::Accessible,
        Some("strict") => Wheelchair::Strict,
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "`wheelchair` must be true, false or strict, not `{other}`"
            )));
        }
    };
    options.max_transfers = p.number("max_transfers", options.max_transfers, 0..=15)?;
    options.max_walk_leg_m = p.number("max_walk_m", options.max_walk_leg_m, 0..=5_000)?;
    // Consent and profile are checked before routing: a bad value is a 400, not a lost record.
    let profile = crate::obs::profile_from(&p)?;
    let channel = match p.get("channel") {
        Some("web") => store::Channel::Web,
        _ => store::Channel::Api,
    };
    let endpoints = s.app().observatory().map(|_| (from.clone(), to.clone()));
    let req = PlanRequest {
        from,
        to,
        day,
        time,
        arrive_by: by.is_some(),
        window_secs,
        options,
    };
    let result = s.app().plan(Arc::clone(&tt), req).await?;
    if let (Some(o), Some((from, to))) = (s.app().observatory(), &endpoints) {
        // Off the request path: queued for the batch writer. Impossible requests (no service,
        // outside the area) are recorded too: they are unmet demand.
        if !matches!(
            result,
            Err(PlanError::BadCoordinate(_) | PlanError::UnknownStop(_))
        ) {
            o.record(app::trips::trip_record(
                &ds.timetable,
                &o.settings,
                from,
                to,
                time,
                result.as_ref().ok(),
                channel,
                profile,
                None,
            ));
        }
    }
    let plan = result.map_err(|e| plan_problem(&e, lang))?;
    Ok(Json(plan).into_response())
}

fn stop_json(tt: &Timetable, s: StopIdx) -> answers::Stop {
    let st = tt.stop(s);
    answers::Stop {
        id: st.id.clone(),
        name: st.name.clone(),
        lat: st.coord.lat(),
        lon: st.coord.lon(),
        routes: planner::stop_routes(tt, s),
    }
}

#[utoipa::path(get, path = "/v1/stops", tag = "network",
    summary = "Search stops by name (accent- and case-insensitive, ranked) and routes by name",
    description = "Most Arequipa stops are unnamed OpenStreetMap nodes, so routes whose names match are returned too, with their stops in order.",
    params(
        ("q" = String, Query, description = "At least 2 characters", example = "villalba", pattern = r"\S.*\S"),
        ("limit" = Option<usize>, Query, description = "1–100, default 20", minimum = 1, maximum = 100)),
    responses(
        (status = 200, description = "Stops and routes whose names match", body = answers::StopSearch),
        (status = 400, description = "Missing or too short `q`, bad `limit`", body = Problem, content_type = "application/problem+json")))]
pub async fn stops_search(State(s): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Answer {
    let p = params(raw)?;
    let q = planner::fold(p.need("q")?);
    if q.chars().count() < 2 {
        return Err(Problem::bad_request("`q` needs at least 2 characters"));
    }
    let limit = p.number("limit", 20usize, 1..=100)?;
    let ds = s.dataset();
    let tt = &ds.timetable;
    let stops = planner::search_stops(tt, &q)
        .into_iter()
        .take(limit)
        .map(|s| stop_json(tt, s))
        .collect();
    // Most Arequipa stops are unnamed: routes whose names match lead to their stops.
    let routes = planner::search_routes(tt, &q)
        .into_iter()
        .take(limit)
        .map(|i| {
            let r = tt.route(i);
            answers::RouteMatch {
                id: r.id.clone(),
                short_name: r.short_name.clone(),
                long_name: r.long_name.clone(),
                stops: route_stops(tt, i)
                    .iter()
                    .map(|&s| tt.stop(s).id.clone())
                    .collect(),
            }
        })
        .collect();
    Ok(Json(answers::StopSearch { stops, routes }).into_response())
}

#[utoipa::path(get, path = "/v1/stops/near", tag = "network",
    summary = "Nearest stops to a point, with distance and walking time",
    params(
        ("lat" = f64, Query, description = "Latitude", example = -16.3964, minimum = -90, maximum = 90),
        ("lon" = f64, Query, description = "Longitude", example = -71.5385, minimum = -180, maximum = 180),
        ("radius" = Option<f64>, Query, description = "Metres, 1–2000, default 300", minimum = 1, maximum = 2000),
        ("limit" = Option<usize>, Query, description = "1–200, default 20", minimum = 1, maximum = 200)),
    responses(
        (status = 200, description = "Stops within the radius, nearest first", body = answers::NearStops),
        (status = 400, description = "Missing or malformed point, radius or limit", body = Problem, content_type = "application/problem+json")))]
pub async fn stops_near(State(s): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Answer {
    let p = params(raw)?;
    let lat = p.number("lat", f64::NAN, -90.0..=90.0)?;
    let lon = p.number("lon", f64::NAN, -180.0..=180.0)?;
    let at = Coord::new(lat, lon).map_err(|_| {
        Problem::bad_request(
            "`lat` and `lon` are required: a point such as lat=-16.3989&lon=-71.5369",
        )
    })?;
    let radius = p.number("radius", 300.0, 1.0..=2_000.0)?;
    let limit = p.number("limit", 20usize, 1..=200)?;
    let ds = s.dataset();
    let tt = &ds.timetable;
    let fc = tt.footpath_config();
    let stops: Vec<answers::NearStop<'_>> = tt
        .stop_index()
        .within(at, radius)
        .into_iter()
        .take(limit)
        .map(|(i, d)| {
            let st = tt.stop(StopIdx(i));
            answers::NearStop {
                id: &st.id,
                name: &st.name,
                lat: st.coord.lat(),
                lon: st.coord.lon(),
                routes: planner::stop_route_names(tt, StopIdx(i)),
                distance_m: d.round(),
                walk_s: fc.walk_time(d),
            }
        })
        .collect();
    Ok(Json(answers::NearStops { stops }).into_response())
}

#[utoipa::path(get, path = "/v1/stops/{id}/departures", tag = "network",
    summary = "Next departures at a stop, frequency routes included",
    params(
        ("id" = String, Path, description = "Stop id", example = "arequipa:1264347406"),
        ("at" = Option<String>, Query, description = "`YYYY-MM-DDTHH:MM` or `HH:MM`; default now", pattern = "^(?:(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))T)?(?:[01][0-9]|2[0-3]):[0-5][0-9])?$"),
        ("limit" = Option<usize>, Query, description = "1–50, default 10", minimum = 1, maximum = 50),
        ("lang" = Option<String>, Query, description = "`es` or `en`")),
    responses(
        (status = 200, description = "The stop and its next departures", body = answers::Departures),
        (status = 400, description = "Malformed time or limit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown stop", body = Problem, content_type = "application/problem+json")))]
pub async fn departures(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let p = params(raw)?;
    let ds = s.dataset();
    let tt = &ds.timetable;
    let stop = tt
        .stop_by_id(&id)
        .ok_or_else(|| Problem::not_found(i18n::t(p.lang, "error.unknown_stop", &[("id", &id)])))?;
    let (day, time) = when(&p, "at", tt)?.unwrap_or_else(|| now(tt));
    let limit = p.number("limit", 10usize, 1..=50)?;
    let deps = planner::departures(tt, stop, day, time as i32, limit);
    Ok(Json(answers::Departures {
        stop: stop_json(tt, stop),
        departures: deps,
    })
    .into_response())
}

use planner::route_stops;

fn route_json(tt: &Timetable, r: timetable::RouteIdx) -> answers::Route {
    let route = tt.route(r);
    answers::Route {
        id: route.id.clone(),
        short_name: route.short_name.clone(),
        long_name: route.long_name.clone(),
        color: route.color.clone(),
        text_color: route.text_color.clone(),
        route_type: route.route_type,
        agency: tt.agencies()[route.agency.idx()].name.clone(),
    }
}

fn route_detail(tt: &Timetable, r: timetable::RouteIdx) -> answers::RouteDetail {
    let stops = route_stops(tt, r);
    let shape = tt
        .trips()
        .iter()
        .filter(|t| t.route == r)
        .find_map(|t| t.shape);
    let coordinates: Vec<[f64; 2]> = match shape {
        Some(sh) => tt
            .shape(sh)
            .points
            .iter()
            .map(|c| [c.lon(), c.lat()])
            .collect(),
        None => stops
            .iter()
            .map(|&s| [tt.stop(s).coord.lon(), tt.stop(s).coord.lat()])
            .collect(),
    };
    answers::RouteDetail {
        route: route_json(tt, r),
        stops: stops.iter().map(|&s| stop_json(tt, s)).collect(),
        geometry: planner::LineString {
            kind: "LineString",
            coordinates,
        },
    }
}

#[utoipa::path(get, path = "/v1/routes", tag = "network",
    summary = "All routes with colour, agency and type",
    responses((status = 200, description = "Every route", body = answers::Routes)))]
pub async fn routes(State(s): State<Arc<AppState>>) -> Response {
    let ds = s.dataset();
    let tt = &ds.timetable;
    let routes = (0..tt.routes().len())
        .map(|i| route_json(tt, timetable::RouteIdx::new(i)))
        .collect();
    Json(answers::Routes { routes }).into_response()
}

#[utoipa::path(get, path = "/v1/routes/{id}", tag = "network",
    summary = "One route with its stops in order and its geometry (GeoJSON LineString)",
    params(("id" = String, Path, description = "Route id, with or without the feed prefix")),
    responses(
        (status = 200, description = "The route, its stops and its geometry", body = answers::RouteDetail),
        (status = 404, description = "Unknown route", body = Problem, content_type = "application/problem+json")))]
pub async fn route(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> Answer {
    let ds = s.dataset();
    let tt = &ds.timetable;
    let r = tt
        .route_by_id(&id)
        .or_else(|| {
            tt.feeds()
                .iter()
                .find_map(|f| tt.route_by_id(&format!("{}:{id}", f.id)))
        })
        .ok_or_else(|| {
            Problem::not_found(format!("no route `{id}`: see /v1/routes for the ids"))
        })?;
    Ok(Json(route_detail(tt, r)).into_response())
}
