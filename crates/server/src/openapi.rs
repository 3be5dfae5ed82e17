//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa), served at
//! `/openapi.json` and rendered for people at `/docs`.

use crate::{
    AppState, Problem, alerts, categories, cities, gtfs_rt, indicators, network, offline_api,
    open311, photos, places, plan, positions, questionnaires, reports, service, service_delivered,
    surveys, web,
};
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
        description = "Public-transit route planner for Arequipa and Trujillo: plans, stops, departures, routes. Errors are RFC 9457 `application/problem+json`, in the asker's language: `lang` (`es`, `en`, `qu`), else `Accept-Language`, else Spanish.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        plan::plan,
        network::stops_search,
        network::stops_near,
        network::departures,
        network::vehicles,
        positions::push,
        alerts::list,
        gtfs_rt::feed,
        offline_api::list,
        offline_api::bundle,
        service_delivered::officials,
        service_delivered::public,
        alerts::create,
        alerts::update,
        alerts::end,
        network::routes,
        network::route,
        web::network,
        places::places,
        places::reverse,
        places::map_info,
        places::tile,
        network::feeds,
        cities::list,
        service::healthz,
        service::metrics,
        service::reload,
        reports::categories,
        categories::put,
        categories::retire,
        reports::create_report,
        reports::report_status,
        reports::erase_report,
        reports::list_reports,
        reports::change_status,
        photos::add_photo,
        photos::list_photos,
        photos::photo,
        surveys::create_rating,
        surveys::create_rating_alias,
        questionnaires::list,
        questionnaires::one,
        questionnaires::answer,
        questionnaires::publish,
        questionnaires::retire,
        questionnaires::export,
        indicators::indicators,
        indicators::internal_indicators,
        open311::discovery,
        open311::discovery_xml,
        open311::services,
        open311::services_xml,
        open311::definition,
        open311::create,
        open311::create_xml,
        open311::list,
        open311::list_xml,
        open311::one,
    ),
    components(schemas(Problem)),
    modifiers(&AdminToken),
    tags(
        (name = "planner", description = "Trip planning"),
        (name = "network", description = "Stops, routes, departures and feeds"),
        (name = "service", description = "Health, metrics and administration"),
        (name = "realtime", description = "Bus operators' live positions"),
        (name = "offline", description = "Timetables for the phone to plan with no connection"),
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
    use app::release::{CATALOGUE, Dim, Domains, FAMILIES, GENDERS, PURPOSES, UNDECLARED, domain};
    let strs = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    let none = Domains {
        categories: Vec::new(),
        routes: Vec::new(),
        zones: Vec::new(),
        answers: Vec::new(),
        answer_cells: 0,
    };
    let mut indicators = strs(&CATALOGUE.iter().map(|t| t.id).collect::<Vec<_>>());
    indicators.extend(strs(&app::publish::DERIVED));
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
        ("prefer", strs(&["fastest", "safer"])),
        ("gender", strs(&GENDERS)),
        (
            "age_band",
            app::AgeBand::ALL
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
        ),
        ("hour_band", domain(Dim::HourBand, &none)),
        ("family", strs(&FAMILIES)),
        ("purpose", purposes),
        ("indicator", indicators),
        (
            "status",
            app::Status::ALL
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        ),
        ("category", categories.to_vec()),
    ]
}

/// What the request bodies' types cannot say, added to their generated schemas: the
/// configured categories and the closed words, the longest description, and "a place is a
/// point or a stop" (`anyOf`, `dependentRequired`).
fn refine_bodies(
    doc: &mut serde_json::Value,
    categories: &[String],
    actors: &[String],
    max_description: usize,
) {
    use serde_json::json;
    let genders: Vec<&str> = app::Gender::ALL.iter().map(|g| g.as_str()).collect();
    let ages: Vec<&str> = app::AgeBand::ALL.iter().map(|a| a.as_str()).collect();
    let statuses: Vec<&str> = app::Status::ALL.iter().map(|s| s.as_str()).collect();
    let words = |all: &[&str]| json!({ "type": "string", "enum": all });
    let place = |lat: &str, lon: &str, stop: &str| {
        (
            json!([{ "required": [lat, lon] }, { "required": [stop] }]),
            json!({ lat: [lon], lon: [lat] }),
        )
    };
    let Some(schemas) = doc.pointer_mut("/components/schemas") else {
        return;
    };
    let mut set = |schema: &str, field: &str, value: serde_json::Value| {
        if let Some(p) = schemas.pointer_mut(&format!(
            "/{schema}/properties/{}",
            field.replace('/', "~1")
        )) {
            *p = value;
        }
    };
    let text = |max: usize| json!({ "type": "string", "maxLength": max });
    set(
        "ReportBody",
        "category",
        json!({ "type": "string", "enum": categories }),
    );
    set("ReportBody", "description", text(max_description));
    set("ReportBody", "gender", words(&genders));
    set("ReportBody", "age_band", words(&ages));
    set("SurveyBody", "gender", words(&genders));
    set("SurveyBody", "age_band", words(&ages));
    set("SurveyAnswerBody", "gender", words(&genders));
    set("SurveyAnswerBody", "age_band", words(&ages));
    set("StatusChange", "status", words(&statuses));
    set(
        "Open311Form",
        "service_code",
        json!({ "type": "string", "enum": categories }),
    );
    set("Open311Form", "description", text(max_description));
    set("Open311Form", "attribute[gender]", words(&genders));
    set("Open311Form", "attribute[age_band]", words(&ages));
    let actors = json!({ "type": "string", "enum": actors });
    for field in ["actor_involved", "actor_victim"] {
        set("ReportBody", field, actors.clone());
        set(
            "Open311Form",
            &format!("attribute[{field}]"),
            actors.clone(),
        );
    }
    let (any, dependent) = place("lat", "lon", "stop_id");
    schemas["ReportBody"]["anyOf"] = any;
    schemas["ReportBody"]["dependentRequired"] = dependent;
    let (any, dependent) = place("lat", "long", "attribute[stop_id]");
    schemas["Open311Form"]["anyOf"] = any;
    schemas["Open311Form"]["dependentRequired"] = dependent;
    schemas["SurveyBody"]["anyOf"] =
        json!([{ "required": ["safety"] }, { "required": ["satisfaction"] }]);
    // Photos are raw bytes of an image of one of the accepted types.
    let binary = json!({ "schema": { "type": "string", "format": "binary" } });
    if let Some(body) =
        doc.pointer_mut("/paths/~1v1~1reports~1{reference}~1photos/post/requestBody")
    {
        body["content"] = app::photos::ACCEPTED
            .iter()
            .map(|t| ((*t).to_string(), binary.clone()))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    if let Some(ok) =
        doc.pointer_mut("/paths/~1v1~1reports~1{reference}~1photos~1{id}/get/responses/200")
    {
        ok["content"] = json!({ "image/jpeg": binary });
    }
}

/// A date, `YYYY-MM-DD` (one that exists: no 31 April; 29 February left to the handler), or
/// nothing.
const DATE: &str = r"^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])))?$";
/// A box: four decimal numbers, `west,south,east,north` (the point written `\x2E`: the
/// contract test reads "." as "any character").
const BBOX: &str = r"^-?[0-9]{1,3}(\x2E[0-9]{1,12})?(,-?[0-9]{1,3}(\x2E[0-9]{1,12})?){3}$";
/// When a trip starts or ends: `YYYY-MM-DDTHH:MM`, `HH:MM` (today), or nothing.
const TRIP_TIME: &str = r"^(?:(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))T)?(?:[01][0-9]|2[0-3]):[0-5][0-9])?$";

/// The pattern of a query parameter, declared once here for every operation that takes it
/// (utoipa's `pattern =` takes a literal only): dates (`from`/`to` described as
/// `YYYY-MM-DD…`), the times of a trip (`at`, `arrive_by`) and boxes (`bbox`).
/// An ISO week, `2026-W49` (the public's service delivered).
const WEEK: &str = "^[0-9]{4}-W[0-9]{2}$";

fn pattern_of(name: &str, description: &str) -> Option<&'static str> {
    match name {
        "at" | "arrive_by" => Some(TRIP_TIME),
        "bbox" => Some(BBOX),
        "from" | "to" if description.starts_with("YYYY-MM-DD") => Some(DATE),
        "week" => Some(WEEK),
        _ => None,
    }
}

/// The document served: the generated one with every query parameter's closed set of values
/// and the request bodies' schemas.
pub fn document_for(
    categories: &[String],
    actors: &[String],
    max_description: usize,
) -> serde_json::Value {
    let mut doc = serde_json::to_value(document()).unwrap_or_default();
    refine_bodies(&mut doc, categories, actors, max_description);
    let sets = closed_sets(categories);
    // The plan's consented profile takes the words a rider declares (no "undeclared").
    let words = |all: &[&'static str]| all.iter().map(|w| (*w).to_string()).collect::<Vec<_>>();
    let genders: Vec<&str> = app::Gender::ALL.iter().map(|g| g.as_str()).collect();
    let purposes: Vec<&str> = app::Purpose::ALL.iter().map(|p| p.as_str()).collect();
    let profile = [("gender", words(&genders)), ("purpose", words(&purposes))];
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for (path, op) in paths
            .iter_mut()
            .filter_map(|(k, p)| Some((k.clone(), p.as_object_mut()?)))
        {
            let sets: Vec<(&str, Vec<String>)> = if path == "/v1/plan" {
                profile
                    .iter()
                    .cloned()
                    .chain(sets.iter().cloned())
                    .collect()
            } else if path.starts_with("/gtfs-rt/") {
                // GTFS-Realtime out speaks protobuf, or JSON for people.
                std::iter::once(("format", words(&["protobuf", "json"])))
                    .chain(sets.iter().filter(|(n, _)| *n != "format").cloned())
                    .collect()
            } else {
                sets.clone()
            };
            for params in op
                .values_mut()
                .filter_map(|o| o.get_mut("parameters"))
                .filter_map(|p| p.as_array_mut())
            {
                for param in params.iter_mut() {
                    if param.get("in").and_then(|i| i.as_str()) != Some("query") {
                        continue;
                    }
                    let text = |k: &str| param.get(k).and_then(|n| n.as_str()).unwrap_or("");
                    let name = text("name").to_string();
                    let pattern = pattern_of(&name, text("description"));
                    if let Some((_, values)) = sets.iter().find(|(n, _)| *n == name) {
                        param["schema"] = serde_json::json!({ "type": "string", "enum": values });
                    }
                    if let Some(pattern) = pattern {
                        param["schema"]["pattern"] = pattern.into();
                    }
                }
            }
        }
    }
    exclude_nul(&mut doc);
    doc
}

/// Every free string in the document (parameters, bodies, answers) says it holds no NUL: no
/// text carries one (PostgreSQL cannot store or compare it), and a request with one in a field
/// is a 400 naming the field — now a request the contract also refuses.
fn exclude_nul(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let free = !["enum", "const", "pattern", "format"]
                .iter()
                .any(|k| map.contains_key(*k));
            if is_string && free {
                map.insert("pattern".into(), Value::String(NO_NUL.into()));
            }
            map.values_mut().for_each(exclude_nul);
        }
        Value::Array(items) => items.iter_mut().for_each(exclude_nul),
        _ => {}
    }
}

/// The pattern of a string without NUL (ECMA-262, as JSON Schema reads it).
pub const NO_NUL: &str = "^[^\\u0000]*$";

/// The document served with the default observatory settings.
pub fn default_document() -> serde_json::Value {
    let defaults = app::ObservatorySettings::default();
    let categories: Vec<String> = app::categories::seed(&defaults.categories)
        .leaves(true)
        .iter()
        .map(|c| c.code.clone())
        .collect();
    document_for(
        &categories,
        &defaults.road_actors,
        defaults.max_description_chars,
    )
}

/// `GET /openapi.json`.
pub async fn openapi_json(State(s): State<Arc<AppState>>) -> Response {
    let defaults = app::ObservatorySettings::default();
    let settings = s.app().observatory().map_or(&defaults, |o| &o.settings);
    // The categories live now (officials change them without a restart).
    let catalogue = s.app().observatory().map_or_else(
        || std::sync::Arc::new(app::categories::seed(&defaults.categories)),
        |o| o.catalogue(),
    );
    let categories: Vec<String> = catalogue
        .leaves(true)
        .iter()
        .map(|c| c.code.clone())
        .collect();
    Json(document_for(
        &categories,
        &settings.road_actors,
        settings.max_description_chars,
    ))
    .into_response()
}
