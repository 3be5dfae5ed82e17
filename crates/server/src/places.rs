//! Places and the street map over HTTP: search by name (stops, routes, streets, corners,
//! named places), what a tapped point is called, and the street map's tiles.

use crate::extract::Query;
use crate::{AppState, Problem};
use app::Coord;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// `GET /v1/places`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Places {
    /// Best first.
    pub places: Vec<app::places::Place>,
}

#[utoipa::path(get, path = "/v1/places", tag = "network",
    summary = "Find a place by name: stops, routes, and (with the city's street map or place list) streets, corners (\"Mercaderes y San Juan\"), districts and named places",
    description = "Accents and case do not matter and small typos are forgiven (\"vilalba\" finds \"Villalba\").",
    params(("q" = String, Query, description = "What the rider typed (at most 100 characters)", min_length = 1, max_length = 100),
        ("limit" = Option<usize>, Query, description = "1–50, default 10", minimum = 1, maximum = 50),
        ("city" = Option<String>, Query, description = "A city's id (`/v1/cities`): places in it only"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`, for error messages")),
    responses((status = 200, description = "Places, best first (none when nothing matches)", body = Places),
        (status = 400, description = "`q` missing or over 100 characters, or a malformed `limit`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown city", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/places?q=`.
pub async fn places(State(s): State<Arc<AppState>>, Query(p): Query) -> Result<Response, Problem> {
    let q = p.need("q")?.to_string();
    let n = q.chars().count();
    if n > app::places::MAX_QUERY_CHARS {
        return Err(Problem::bad_request(i18n::t(
            p.lang,
            "place.query_too_long",
            &[("n", &n), ("max", &app::places::MAX_QUERY_CHARS)],
        )));
    }
    let limit = p.number("limit", 10usize, 1..=50)?;
    let ds = s.dataset();
    let Some(city) = crate::cities::chosen(&s, &ds, &p)? else {
        let found = s.app().find_places(ds, q, limit).await?;
        return Ok(Json(Places { places: found }).into_response());
    };
    // Searched over every city, then kept within the one asked for (a place is in the city
    // of the stop nearest to it).
    let views = s.app().cities_of(&ds);
    let tt = Arc::clone(&ds.timetable);
    let found = s.app().find_places(ds, q, 50).await?;
    let places = found
        .into_iter()
        .filter(|pl| {
            Coord::new(pl.lat, pl.lon).is_ok_and(|c| {
                app::cities::of_point(&views, &tt, c).is_some_and(|i| views[i].id == city.id)
            })
        })
        .take(limit)
        .collect();
    Ok(Json(Places { places }).into_response())
}

#[utoipa::path(get, path = "/v1/places/reverse", tag = "network",
    summary = "What a tapped point is called: the corner, named place or street there, else the corner or place it is near (\"Cerca de …\"), else the nearest named stop",
    params(("lat" = f64, Query, minimum = -90, maximum = 90), ("lon" = f64, Query, minimum = -180, maximum = 180),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`, for error messages")),
    responses((status = 200, description = "The place", body = app::places::Place),
        (status = 400, description = "A missing or malformed coordinate", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Nothing named there", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/places/reverse?lat=&lon=`.
pub async fn reverse(State(s): State<Arc<AppState>>, Query(p): Query) -> Result<Response, Problem> {
    let lat = p.number("lat", f64::NAN, -90.0..=90.0)?;
    let lon = p.number("lon", f64::NAN, -180.0..=180.0)?;
    let at = Coord::new(lat, lon)
        .map_err(|_| Problem::bad_request(i18n::t(p.lang, "error.need_point", &[])))?;
    let ds = s.dataset();
    match app::places::reverse(&ds, at, p.lang) {
        Some(place) => Ok(Json(place).into_response()),
        None => Err(Problem::not_found(i18n::t(p.lang, "place.unnamed", &[]))),
    }
}

#[utoipa::path(get, path = "/v1/map", tag = "network",
    summary = "Whether paradero serves a street map, and its extent",
    responses((status = 200, description = "The street map's description", body = app::map::MapInfo)))]
/// `GET /v1/map`.
pub async fn map_info(State(s): State<Arc<AppState>>) -> Response {
    let ds = s.dataset();
    Json(app::map::info(ds.streets.as_deref())).into_response()
}

/// Tiles by z/x/y.
type Tiles = HashMap<(u8, u32, u32), Bytes>;

/// Tiles already served, for the dataset (its address) they were cut from.
#[derive(Debug, Default)]
pub struct TileCache {
    inner: RwLock<(usize, Tiles)>,
}

/// Tiles kept (a city at every zoom it is browsed at is a few thousand).
const TILES_KEPT: usize = 8192;

impl TileCache {
    fn get(&self, ds: usize, key: (u8, u32, u32)) -> Option<Bytes> {
        let g = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (g.0 == ds).then(|| g.1.get(&key).cloned()).flatten()
    }

    fn put(&self, ds: usize, key: (u8, u32, u32), body: Bytes) {
        let mut g = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if g.0 != ds || g.1.len() >= TILES_KEPT {
            g.1.clear();
            g.0 = ds;
        }
        g.1.insert(key, body);
    }
}

#[utoipa::path(get, path = "/v1/tiles/{z}/{x}/{y}", tag = "network",
    summary = "A tile of the street map (roads by importance for the zoom, paths and names close in, parks, water)",
    params(("z" = u8, Path, minimum = 0, maximum = 19), ("x" = u32, Path), ("y" = u32, Path, description = "The row; the page asks for `{y}.json`, which is served the same")),
    responses((status = 200, description = "The tile", body = app::map::MapTile),
        (status = 400, description = "Not a tile address", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No street map is loaded, or no such tile", body = Problem, content_type = "application/problem+json")))]
/// `GET /v1/tiles/{z}/{x}/{y}.json`.
pub async fn tile(
    State(s): State<Arc<AppState>>,
    Path((z, x, file)): Path<(String, String, String)>,
) -> Result<Response, Problem> {
    let bad = || Problem::bad_request(i18n::t(crate::query::asked(), "error.bad_tile", &[]));
    let z: u8 = z.parse().map_err(|_| bad())?;
    let x: u32 = x.parse().map_err(|_| bad())?;
    let y: u32 = file
        .strip_suffix(".json")
        .unwrap_or(&file)
        .parse()
        .map_err(|_| bad())?;
    let ds = s.dataset();
    let Some(streets) = ds.streets.clone() else {
        return Err(Problem::not_found(i18n::t(
            crate::query::asked(),
            "error.no_street_map",
            &[],
        )));
    };
    let key = (z, x, y);
    let id = Arc::as_ptr(&ds) as usize;
    let body = match s.tiles.get(id, key) {
        Some(b) => b,
        None => {
            let built = tokio::task::spawn_blocking(move || {
                app::map::tile(&streets, z, x, y)
                    .map(|t| Bytes::from(serde_json::to_vec(&t).unwrap_or_default()))
            })
            .await
            .map_err(|_| {
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    i18n::t(crate::query::asked(), "error.tile_failed", &[]),
                )
            })?;
            let Some(b) = built else {
                return Err(Problem::not_found(i18n::t(
                    crate::query::asked(),
                    "error.no_such_tile",
                    &[],
                )));
            };
            s.tiles.put(id, key, b.clone());
            b
        }
    };
    let mut r = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(r)
}
