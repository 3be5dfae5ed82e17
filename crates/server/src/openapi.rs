//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa), served at
//! `/openapi.json` and rendered for people at `/docs`.

use crate::{Problem, handlers, obs, web};
use axum::Json;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "paradero",
        description = "Public-transit route planner for Arequipa and Trujillo: plans, stops, departures, routes. Errors are RFC 9457 `application/problem+json`; messages are in Spanish unless `lang=en`.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        handlers::plan,
        handlers::stops_search,
        handlers::stops_near,
        handlers::departures,
        handlers::routes,
        handlers::route,
        web::network,
        handlers::feeds,
        handlers::healthz,
        handlers::metrics,
        handlers::reload,
        obs::create_report,
        obs::report_status,
        obs::erase_report,
        obs::list_reports,
        obs::change_status,
        obs::create_survey,
        obs::indicators,
    ),
    components(schemas(Problem)),
    modifiers(&AdminToken),
    tags(
        (name = "planner", description = "Trip planning"),
        (name = "network", description = "Stops, routes, departures and feeds"),
        (name = "service", description = "Health, metrics and administration"),
        (name = "observatory", description = "Incident reports, surveys and the anonymised indicators; Open311 GeoReport v2 at /open311/v2/"),
    )
)]
struct ApiDoc;

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "admin_token",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
            c.add_security_scheme(
                "official_token",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> Response {
    Json(document()).into_response()
}
