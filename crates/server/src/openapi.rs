//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa), served at
//! `/openapi.json` and rendered for people at `/docs`.

use crate::{AppState, Problem, handlers, obs, open311, web};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
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
        obs::internal_indicators,
        open311::services,
        open311::create,
        open311::list,
        open311::one,
    ),
    components(schemas(Problem)),
    modifiers(&AdminToken),
    tags(
        (name = "planner", description = "Trip planning"),
        (name = "network", description = "Stops, routes, departures and feeds"),
        (name = "service", description = "Health, metrics and administration"),
        (name = "observatory", description = "Incident reports, surveys and the anonymised indicators"),
        (name = "open311", description = "Open311 GeoReport v2 for civic tools; errors are `[{code, description}]`"),
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

/// The document as generated from the annotations.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The closed sets of values query parameters accept, from the code's own constants (and the
/// configured incident categories), so that the document promises no value the handlers
/// refuse and the two cannot drift.
fn closed_sets(categories: &[String]) -> Vec<(&'static str, Vec<String>)> {
    use observatory::release::{
        CATALOGUE, Dim, Domains, FAMILIES, GENDERS, PURPOSES, UNDECLARED, domain,
    };
    let strs = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    let none = Domains {
        categories: Vec::new(),
        routes: Vec::new(),
        zones: Vec::new(),
    };
    let mut indicators = strs(&CATALOGUE.iter().map(|t| t.id).collect::<Vec<_>>());
    indicators.extend(strs(&observatory::publish::DERIVED));
    indicators.extend(strs(&["accessibility", "supply"]));
    let mut purposes = strs(&PURPOSES);
    if !purposes.iter().any(|p| p == UNDECLARED) {
        purposes.push(UNDECLARED.to_string());
    }
    vec![
        (
            "lang",
            i18n::Lang::ALL
                .iter()
                .map(|l| l.code().to_string())
                .collect(),
        ),
        (
            "wheelchair",
            strs(&["true", "false", "strict", "1", "0", "yes", "no"]),
        ),
        ("format", strs(&["json", "csv"])),
        ("gender", strs(&GENDERS)),
        ("hour_band", domain(Dim::HourBand, &none)),
        ("family", strs(&FAMILIES)),
        ("purpose", purposes),
        ("indicator", indicators),
        (
            "status",
            store::Status::ALL
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        ),
        ("category", categories.to_vec()),
    ]
}

/// Local `YYYY-MM-DDTHH:MM` (seconds allowed), as the JSON bodies take times.
const LOCAL_TIME: &str = r"^[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$";

/// The JSON bodies the observatory's POST handlers read, field by field as `obs.rs` parses
/// them: a field the handler treats as absent when empty has `minLength` 1; where a field is
/// "either … or …" the schema says so (`anyOf`, `dependentRequired`).
fn bodies(
    categories: &[String],
    max_description: usize,
) -> [(&'static str, &'static str, serde_json::Value); 3] {
    use serde_json::json;
    let words = |all: &[&str]| json!({ "type": "string", "enum": all });
    let genders: Vec<&str> = store::Gender::ALL.iter().map(|g| g.as_str()).collect();
    let ages: Vec<&str> = store::AgeBand::ALL.iter().map(|a| a.as_str()).collect();
    let when = json!({ "oneOf": [
        { "type": "string", "pattern": LOCAL_TIME, "description": "Local time `YYYY-MM-DDTHH:MM`" },
        { "type": "integer", "minimum": 0, "maximum": 4_102_444_800_u64, "description": "Unix seconds" }
    ]});
    let id = json!({ "type": "string", "minLength": 1 });
    let report = json!({
        "type": "object",
        "description": "An incident report. The place is `lat`+`lon` or a `stop_id`.",
        "required": ["category"],
        "properties": {
            "category": { "type": "string", "enum": categories },
            "lat": { "type": "number", "minimum": -90, "maximum": 90 },
            "lon": { "type": "number", "minimum": -180, "maximum": 180 },
            "stop_id": id,
            "route_id": id,
            "occurred_at": when,
            "description": { "type": "string", "maxLength": max_description },
            "gender": words(&genders),
            "age_band": words(&ages),
            "channel": { "type": "string", "enum": ["web", "api"] }
        },
        "anyOf": [{ "required": ["lat", "lon"] }, { "required": ["stop_id"] }],
        "dependentRequired": { "lat": ["lon"], "lon": ["lat"] }
    });
    let score = json!({ "type": "integer", "minimum": 1, "maximum": 5 });
    let survey = json!({
        "type": "object",
        "description": "A survey answer: at least one of `safety` and `satisfaction`.",
        "properties": {
            "route_id": id,
            "safety": score,
            "satisfaction": score,
            "at": when,
            "gender": words(&genders),
            "age_band": words(&ages)
        },
        "anyOf": [{ "required": ["safety"] }, { "required": ["satisfaction"] }]
    });
    // GeoReport's form: the same report, its fields named as Open311 names them.
    let form = json!({
        "type": "object",
        "description": "An incident report in GeoReport's fields. The place is `lat`+`long` or `attribute[stop_id]`.",
        "required": ["service_code"],
        "properties": {
            "service_code": { "type": "string", "enum": categories },
            "lat": { "type": "number", "minimum": -90, "maximum": 90 },
            "long": { "type": "number", "minimum": -180, "maximum": 180 },
            "attribute[stop_id]": id,
            "attribute[route_id]": id,
            "requested_datetime": { "type": "string", "format": "date-time" },
            "description": { "type": "string", "maxLength": max_description },
            "attribute[gender]": words(&genders),
            "attribute[age_band]": words(&ages),
            "email": { "type": "string", "description": "Accepted and never stored" },
            "first_name": { "type": "string", "description": "Accepted and never stored" },
            "last_name": { "type": "string", "description": "Accepted and never stored" },
            "phone": { "type": "string", "description": "Accepted and never stored" }
        },
        "anyOf": [{ "required": ["lat", "long"] }, { "required": ["attribute[stop_id]"] }],
        "dependentRequired": { "lat": ["long"], "long": ["lat"] }
    });
    [
        ("/v1/reports", "application~1json", report),
        ("/v1/surveys", "application~1json", survey),
        (
            "/open311/v2/requests.json",
            "application~1x-www-form-urlencoded",
            form,
        ),
    ]
}

/// The document served: the generated one with every query parameter's closed set of values
/// and the request bodies' schemas.
pub fn document_for(categories: &[String], max_description: usize) -> serde_json::Value {
    let mut doc = serde_json::to_value(document()).unwrap_or_default();
    for (path, ctype, schema) in bodies(categories, max_description) {
        if let Some(content) = doc.pointer_mut(&format!(
            "/paths/{}/post/requestBody/content/{ctype}",
            path.replace('/', "~1")
        )) {
            content["schema"] = schema;
        }
    }
    let sets = closed_sets(categories);
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for op in paths.values_mut().filter_map(|p| p.as_object_mut()) {
            for params in op
                .values_mut()
                .filter_map(|o| o.get_mut("parameters"))
                .filter_map(|p| p.as_array_mut())
            {
                for param in params.iter_mut() {
                    if param.get("in").and_then(|i| i.as_str()) != Some("query") {
                        continue;
                    }
                    let name = param.get("name").and_then(|n| n.as_str()).unwrap_or("");
                    if let Some((_, values)) = sets.iter().find(|(n, _)| *n == name) {
                        param["schema"] = serde_json::json!({ "type": "string", "enum": values });
                    }
                }
            }
        }
    }
    doc
}

/// The document served with the default observatory settings.
pub fn default_document() -> serde_json::Value {
    let defaults = app::ObservatorySettings::default();
    let categories: Vec<String> = defaults.categories.iter().map(|c| c.key.clone()).collect();
    document_for(&categories, defaults.max_description_chars)
}

/// `GET /openapi.json`.
pub async fn openapi_json(State(s): State<Arc<AppState>>) -> Response {
    let defaults = app::ObservatorySettings::default();
    let settings = s.app().observatory().map_or(&defaults, |o| &o.settings);
    let categories: Vec<String> = settings.categories.iter().map(|c| c.key.clone()).collect();
    Json(document_for(&categories, settings.max_description_chars)).into_response()
}
