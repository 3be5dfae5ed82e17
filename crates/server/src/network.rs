//! The network: feeds, stops (search, near a point, departures) and routes.

use crate::extract::Query;
use crate::plan::when;
use crate::{AppState, Problem, answers};
use app::clock::now;
use app::route_stops;
use app::{Coord, StopIdx, Timetable};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

type Answer = Result<Response, Problem>;

#[utoipa::path(get, path = "/v1/feeds", tag = "network",
    summary = "Loaded feeds with their validity, counts and load time",
    responses((status = 200, description = "The feeds loaded", body = answers::Feeds)))]
pub async fn feeds(State(s): State<Arc<AppState>>) -> Response {
    let ds = s.dataset();
    let tt = &ds.timetable;
    let loaded: chrono::DateTime<chrono::Utc> = ds.loaded_at.into();
    let validity = app::cities::validity(tt, now(tt).0);
    let feeds = tt
        .feeds()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let fi = app::FeedIdx::new(i);
            answers::Feed {
                id: f.id.clone(),
                timezone: f.timezone.clone(),
                publisher: f.publisher.clone(),
                version: f.version.clone(),
                valid_from: f.service_span.map(|x| x.0.to_string()),
                valid_to: f.service_span.map(|x| x.1.to_string()),
                feed_end_date: f.valid_until.map(|d| d.to_string()),
                days_left: validity[i].days_left,
                expiring: validity[i].expiring(),
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

fn stop_json(tt: &Timetable, s: StopIdx) -> answers::Stop {
    let st = tt.stop(s);
    answers::Stop {
        id: st.id.clone(),
        name: st.name.clone(),
        code: st.code.clone(),
        lat: st.coord.lat(),
        lon: st.coord.lon(),
        routes: app::stop_routes(tt, s),
    }
}

#[utoipa::path(get, path = "/v1/stops", tag = "network",
    summary = "Search stops by name (accent- and case-insensitive, ranked) and routes by name",
    description = "Most Arequipa stops are unnamed OpenStreetMap nodes, so routes whose names match are returned too, with their stops in order.",
    params(
        ("q" = String, Query, description = "At least 2 characters besides spaces; no NUL", example = "villalba", pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*[^\s\u0000][^\u0000]*$"),
        ("limit" = Option<usize>, Query, description = "1–100, default 20", minimum = 1, maximum = 100),
        ("city" = Option<String>, Query, description = "A city's id (`/v1/cities`): its stops and routes only")),
    responses(
        (status = 200, description = "Stops and routes whose names match", body = answers::StopSearch),
        (status = 400, description = "Missing or too short `q`, bad `limit`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown city", body = Problem, content_type = "application/problem+json")))]
pub async fn stops_search(State(s): State<Arc<AppState>>, Query(p): Query) -> Answer {
    let q = app::fold(p.need("q")?);
    if q.chars().count() < 2 {
        return Err(Problem::bad_request(i18n::t(p.lang, "error.q_short", &[])));
    }
    let limit = p.number("limit", 20usize, 1..=100)?;
    let ds = s.dataset();
    let city = crate::cities::chosen(&s, &ds, &p)?;
    let tt = &ds.timetable;
    let in_city = |feed: app::FeedIdx| city.as_ref().is_none_or(|c| c.has_feed(feed));
    let stops = app::search_stops(tt, &q)
        .into_iter()
        .filter(|&s| in_city(tt.stop(s).feed))
        .take(limit)
        .map(|s| stop_json(tt, s))
        .collect();
    // Most Arequipa stops are unnamed: routes whose names match lead to their stops.
    let routes = app::search_routes(tt, &q)
        .into_iter()
        .filter(|&r| in_city(tt.agencies()[tt.route(r).agency.idx()].feed))
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
pub async fn stops_near(State(s): State<Arc<AppState>>, Query(p): Query) -> Answer {
    let lat = p.number("lat", f64::NAN, -90.0..=90.0)?;
    let lon = p.number("lon", f64::NAN, -180.0..=180.0)?;
    let at = Coord::new(lat, lon)
        .map_err(|_| Problem::bad_request(i18n::t(p.lang, "error.need_point", &[])))?;
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
                code: st.code.as_deref(),
                lat: st.coord.lat(),
                lon: st.coord.lon(),
                routes: app::stop_route_names(tt, StopIdx(i)),
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
        ("at" = Option<String>, Query, description = "`YYYY-MM-DDTHH:MM` or `HH:MM`; default now"),
        ("limit" = Option<usize>, Query, description = "1–50, default 10", minimum = 1, maximum = 50),
        ("lang" = Option<String>, Query, description = "`es` or `en`")),
    responses(
        (status = 200, description = "The stop and its next departures", body = answers::Departures),
        (status = 400, description = "Malformed time or limit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown stop", body = Problem, content_type = "application/problem+json")))]
pub async fn departures(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(p): Query,
) -> Answer {
    let ds = s.dataset();
    let tt = &ds.timetable;
    let stop = tt
        .stop_by_id(&id)
        .ok_or_else(|| Problem::not_found(i18n::t(p.lang, "error.unknown_stop", &[("id", &id)])))?;
    let (day, time) = when(&p, "at", tt)?.unwrap_or_else(|| now(tt));
    let limit = p.number("limit", 10usize, 1..=50)?;
    let now = app::now_unix();
    let found = s
        .app()
        .departures(&ds, stop, (day, time as i32), limit, now);
    Ok(Json(answers::Departures {
        stop: stop_json(tt, stop),
        departures: found.departures,
        realtime: found.live,
        alerts: s.app().alerts_at(&ds, stop, now, p.lang),
    })
    .into_response())
}

fn route_json(tt: &Timetable, r: app::RouteIdx) -> answers::Route {
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

fn route_detail(tt: &Timetable, r: app::RouteIdx) -> answers::RouteDetail {
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
        geometry: app::LineString {
            kind: "LineString",
            coordinates,
        },
    }
}

#[utoipa::path(get, path = "/v1/routes", tag = "network",
    summary = "All routes (a city's with `city`) with colour, agency and type",
    params(("city" = Option<String>, Query, description = "A city's id (`/v1/cities`): its routes only"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`, for error messages")),
    responses((status = 200, description = "Every route", body = answers::Routes),
        (status = 400, description = "A malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown city", body = Problem, content_type = "application/problem+json")))]
pub async fn routes(State(s): State<Arc<AppState>>, Query(p): Query) -> Answer {
    let ds = s.dataset();
    let city = crate::cities::chosen(&s, &ds, &p)?;
    let tt = &ds.timetable;
    let routes = (0..tt.routes().len())
        .map(app::RouteIdx::new)
        .filter(|&r| {
            city.as_ref()
                .is_none_or(|c| c.has_feed(tt.agencies()[tt.route(r).agency.idx()].feed))
        })
        .map(|r| route_json(tt, r))
        .collect();
    Ok(Json(answers::Routes { routes }).into_response())
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
            Problem::not_found(i18n::t(
                crate::query::asked(),
                "error.no_route",
                &[("id", &id)],
            ))
        })?;
    Ok(Json(route_detail(tt, r)).into_response())
}

#[utoipa::path(get, path = "/v1/vehicles", tag = "network",
    summary = "Live vehicles (GTFS-Realtime VehiclePositions) as GeoJSON points; an official's token also shows each vehicle's code",
    params(
        ("route" = Option<String>, Query, description = "A route id: its vehicles only"),
        ("bbox" = Option<String>, Query, description = "`west,south,east,north` in degrees: the vehicles inside only", example = "-122.6,37.2,-121.8,37.9"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses(
        (status = 200, description = "The vehicles seen recently enough (none without real time)", body = answers::Vehicles),
        (status = 400, description = "`bbox` is not four numbers", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`bbox` is off the Earth, or west of it is east (or south north)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown route", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/vehicles?route=&bbox=`: where the buses are.
pub async fn vehicles(
    State(s): State<Arc<AppState>>,
    Query(p): Query,
    headers: axum::http::HeaderMap,
) -> Answer {
    let lang = p.lang;
    let ds = s.dataset();
    let tt = &ds.timetable;
    let route =
        match p.get("route") {
            None => None,
            Some(id) => Some(tt.route_by_id(id).ok_or_else(|| {
                Problem::not_found(i18n::t(lang, "error.no_route", &[("id", &id)]))
            })?),
        };
    // Present but empty is a malformed box, not no box.
    let bbox = p.given("bbox").map(|b| bbox(b, lang)).transpose()?;
    // An official (a valid viewer's token) also sees the operators' codes; anyone else the
    // same vehicles without them.
    let token = crate::extract::bearer(&headers);
    let official = match token {
        Some(_) if s.app().observatory().is_some() => s
            .app()
            .authenticate(token, app::Role::Viewer, lang)
            .await
            .is_ok(),
        _ => false,
    };
    let filter = app::VehicleFilter {
        route,
        bbox,
        official,
    };
    let now = app::now_unix();
    let found = s.app().vehicles(&ds, filter, now);
    let features = found
        .into_iter()
        .map(|v| answers::VehicleFeature {
            kind: "Feature",
            geometry: answers::Point {
                kind: "Point",
                coordinates: [v.lon, v.lat],
            },
            properties: v,
        })
        .collect();
    Ok(Json(answers::Vehicles {
        kind: "FeatureCollection",
        features,
        realtime: s.app().live_info(&ds, now),
    })
    .into_response())
}

/// `west,south,east,north`: four numbers (else 400), a box on the Earth with west ≤ east and
/// south ≤ north (else 422: well formed, impossible).
fn bbox(text: &str, lang: i18n::Lang) -> Result<[f64; 4], Problem> {
    let bad = || Problem::bad_request(i18n::t(lang, "error.bad_bbox", &[("text", &text)]));
    // Exactly what the document's pattern allows: `-`, 1–3 digits, a point and 1–12 digits.
    let number = |x: &str| {
        let x = x.strip_prefix('-').unwrap_or(x);
        let (int, frac) = x.split_once('.').unwrap_or((x, "1"));
        let digits = |d: &str, max: usize| {
            (1..=max).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit())
        };
        digits(int, 3) && digits(frac, 12)
    };
    if !text.split(',').all(number) {
        return Err(bad());
    }
    let n: Vec<f64> = text
        .split(',')
        .map(str::parse::<f64>)
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let [w, s, e, n] = <[f64; 4]>::try_from(n).map_err(|_| bad())?;
    let lon = -180.0..=180.0;
    let lat = -90.0..=90.0;
    let on_earth = lon.contains(&w) && lon.contains(&e) && lat.contains(&s) && lat.contains(&n);
    if !on_earth || w > e || s > n {
        return Err(Problem::unprocessable(i18n::t(
            lang,
            "error.bbox_impossible",
            &[("text", &text)],
        )));
    }
    Ok([w, s, e, n])
}
