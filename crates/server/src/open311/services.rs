//! `services`: the incident categories, and each one's definition (its extra attributes).

use super::*;

#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311",
    summary = "Open311 GeoReport v2: the incident categories",
    params(("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses(
        (status = 200, description = "The categories", body = Vec<answers::Service>),
        (status = 400, description = "Malformed query", body = Vec<answers::Open311Error>),
        (status = 404, description = "The observatory is off", body = Vec<answers::Open311Error>)))]
/// `GET /open311/v2/services.json`: the incident categories.
pub async fn services(State(s): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    services_in(&s, raw.as_deref(), Format::Json)
}

#[utoipa::path(get, path = "/open311/v2/services.xml", tag = "open311",
    summary = "Open311 GeoReport v2: the incident categories, as XML",
    params(("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses(
        (status = 200, description = "`<services><service>…`", body = String, content_type = "text/xml"),
        (status = 400, description = "Malformed query", body = String, content_type = "text/xml"),
        (status = 404, description = "The observatory is off", body = String, content_type = "text/xml")))]
/// `GET /open311/v2/services.xml`.
pub async fn services_xml(State(s): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    services_in(&s, raw.as_deref(), Format::Xml)
}

fn services_in(s: &AppState, raw: Option<&str>, fmt: Format) -> Response {
    let p = match Params::parse(raw) {
        Ok(p) => p,
        Err(e) => return error_as(fmt, e),
    };
    let Some(o) = s.app().observatory() else {
        return error_as(
            fmt,
            Problem::not_found(i18n::t(lang_of(&p), "obs.unavailable", &[])),
        );
    };
    let cat = o.catalogue();
    let l = p.lang.code();
    let list: Vec<answers::Service> = cat
        .leaves(true)
        .into_iter()
        .map(|c| {
            let group = c.parent.clone().unwrap_or_default();
            let group_name = cat
                .group(&group)
                .map_or_else(String::new, |g| g.labels.get(l).to_string());
            answers::Service {
                service_code: c.code.clone(),
                service_name: c.labels.get(l).to_string(),
                description: format!("{group_name}: {}", c.labels.get(l)),
                metadata: true,
                kind: "realtime",
                keywords: if c.family == "acoso" { "acoso" } else { "" },
                group,
            }
        })
        .collect();
    match fmt {
        Format::Json => Json(list).into_response(),
        Format::Xml => xml(
            StatusCode::OK,
            "services",
            &shapes::Services { service: &list },
        ),
    }
}

/// The extra attributes every category takes, in `lang`.
fn attributes(lang: Lang, road_actors: &[String]) -> Vec<answers::ServiceAttribute> {
    let list = |prefix: &str, keys: &[&str]| -> Vec<answers::AttributeValue> {
        keys.iter()
            .map(|k| answers::AttributeValue {
                key: (*k).to_string(),
                name: i18n::t(lang, &format!("{prefix}{k}"), &[]),
            })
            .collect()
    };
    let genders: Vec<&str> = app::Gender::ALL.iter().map(|g| g.as_str()).collect();
    let ages: Vec<&str> = app::AgeBand::ALL.iter().map(|a| a.as_str()).collect();
    let actors: Vec<&str> = road_actors.iter().map(String::as_str).collect();
    [
        ("stop_id", "string", vec![]),
        ("route_id", "string", vec![]),
        ("gender", "singlevaluelist", list("gender.", &genders)),
        ("age_band", "singlevaluelist", list("age.", &ages)),
        ("actor_involved", "singlevaluelist", list("actor.", &actors)),
        ("actor_victim", "singlevaluelist", list("actor.", &actors)),
    ]
    .into_iter()
    .zip(1..)
    .map(
        |((code, datatype, values), order)| answers::ServiceAttribute {
            variable: true,
            code,
            datatype,
            required: false,
            datatype_description: i18n::t(lang, &format!("open311.attr.{code}.format"), &[]),
            order,
            description: i18n::t(lang, &format!("open311.attr.{code}"), &[]),
            values,
        },
    )
    .collect()
}

#[utoipa::path(get, path = "/open311/v2/services/{file}", tag = "open311",
    summary = "Open311 GeoReport v2: the extra attributes a category takes (`{service_code}.json` or `.xml`)",
    params(
        ("file" = String, Path, description = "`{service_code}.json` or `{service_code}.xml`"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`")),
    responses(
        (status = 200, description = "The definition", content(
            (answers::ServiceDefinition = "application/json"),
            (String = "text/xml"))),
        (status = 400, description = "Malformed query", content(
            (Vec<answers::Open311Error> = "application/json"),
            (String = "text/xml"))),
        (status = 404, description = "No such category, or the observatory is off", content(
            (Vec<answers::Open311Error> = "application/json"),
            (String = "text/xml")))))]
/// `GET /open311/v2/services/{service_code}.json|xml`.
pub async fn definition(
    State(s): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (code, fmt) = Format::split(&file);
    let lang = match Params::parse(raw.as_deref()) {
        Ok(p) => p.lang,
        Err(e) => return error_as(fmt, e),
    };
    let known = s
        .app()
        .observatory()
        .is_some_and(|o| o.catalogue().fileable(code));
    if !known {
        return error_as(
            fmt,
            Problem::not_found(i18n::t(lang, "obs.unknown_category", &[("text", &code)])),
        );
    }
    let actors = s
        .app()
        .observatory()
        .map(|o| o.settings.road_actors.clone())
        .unwrap_or_default();
    let attrs = attributes(lang, &actors);
    match fmt {
        Format::Json => Json(answers::ServiceDefinition {
            service_code: code.to_string(),
            attributes: attrs,
        })
        .into_response(),
        Format::Xml => xml(
            StatusCode::OK,
            "service_definition",
            &shapes::Definition {
                service_code: code,
                attributes: shapes::Attributes {
                    attribute: attrs
                        .iter()
                        .map(|a| shapes::Attribute {
                            variable: a.variable,
                            code: a.code,
                            datatype: a.datatype,
                            required: a.required,
                            datatype_description: &a.datatype_description,
                            order: a.order,
                            description: &a.description,
                            values: shapes::Values { value: &a.values },
                        })
                        .collect(),
                },
            },
        ),
    }
}
