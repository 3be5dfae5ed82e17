//! `GET /v1/cities`, and the `city` parameter every search, plan and map request may carry.

use crate::query::Params;
use crate::{AppState, Problem};
use app::Dataset;
use app::cities::CityView;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `GET /v1/cities`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Cities {
    /// The cities served, as configured.
    pub cities: Vec<CityView>,
}

#[utoipa::path(get, path = "/v1/cities", tag = "network",
    summary = "The cities served: each with its feeds, its map's home view and languages",
    description = "Riders choose one (the page's `/{id}`, the bot's `/ciudad`); `city=` on searches, plans, the network map and the offline bundles keeps the answer within it.",
    responses((status = 200, description = "The cities", body = Cities)))]
pub async fn list(State(s): State<Arc<AppState>>) -> Response {
    let ds = s.dataset();
    let cities = s.app().cities_of(&ds).as_ref().clone();
    Json(Cities { cities }).into_response()
}

/// The city a request asked for (`city=`), if any; an unknown one is a 404 naming those
/// served.
pub fn chosen(s: &AppState, ds: &Arc<Dataset>, p: &Params) -> Result<Option<CityView>, Problem> {
    let Some(id) = p.get("city") else {
        return Ok(None);
    };
    let views = s.app().cities_of(ds);
    let (_, c) = app::cities::find(&views, id, p.lang)?;
    Ok(Some(c.clone()))
}
