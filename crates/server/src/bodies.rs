//! The request bodies the API reads, as types: deserialised by serde (with the path of a bad
//! field kept, so the 400 names it) and described in the OpenAPI document by utoipa from the
//! same definitions. What a type cannot say (one place *or* another, the configured
//! categories) is added to the document in `openapi.rs`.
//!
//! Rules the types keep, as the API always had them: a field present with the wrong JSON
//! type, `null` included, is a 400 naming it (never read as absent); an empty string where a
//! value is needed is a 400; fields the API does not know are ignored.

use crate::Problem;
use axum::http::{HeaderMap, StatusCode, header};
use i18n::Lang;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/reports`: an incident report. The place is `lat`+`lon` or a `stop_id`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportBody {
    /// Category key (see `/open311/v2/services.json`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true)]
    pub category: Option<String>,
    /// Latitude of the place.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    /// Longitude of the place.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    /// Or the stop where it happened.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false, min_length = 1)]
    pub stop_id: Option<NonEmpty>,
    /// The route concerned.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false, min_length = 1)]
    pub route_id: Option<NonEmpty>,
    /// When it happened: local `YYYY-MM-DDTHH:MM`, or Unix seconds; default now.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = when_schema)]
    pub occurred_at: Option<serde_json::Value>,
    /// What happened, in the reporter's words.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// The reporter's gender, if they wish.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false)]
    pub gender: Option<NonEmpty>,
    /// The reporter's age band, if they wish.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false)]
    pub age_band: Option<NonEmpty>,
    /// `web` for the riders' page; default `api`.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub channel: Option<BodyChannel>,
    /// Who was involved, a road actor (`GET /v1/categories` lists them: `conductor_bus`,
    /// `motociclista`, …), if the reporter says.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false)]
    pub actor_involved: Option<NonEmpty>,
    /// Who was the victim, a road actor (`peaton`, `pasajero`, …), if the reporter says.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false)]
    pub actor_victim: Option<NonEmpty>,
}

/// Where a JSON report comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BodyChannel {
    /// The riders' page.
    Web,
    /// Any other client.
    Api,
}

/// `POST /v1/surveys`: a survey answer, at least one of `safety` and `satisfaction`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SurveyBody {
    /// The route ridden.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false, min_length = 1)]
    pub route_id: Option<NonEmpty>,
    /// "¿Te sentiste segura/o?", 1–5.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = u8, nullable = false, minimum = 1, maximum = 5)]
    pub safety: Option<Score>,
    /// Satisfaction, 1–5.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = u8, nullable = false, minimum = 1, maximum = 5)]
    pub satisfaction: Option<Score>,
    /// When the trip was: local `YYYY-MM-DDTHH:MM`, or Unix seconds; default now.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = when_schema)]
    pub at: Option<serde_json::Value>,
    /// The rider's gender, if they wish.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false)]
    pub gender: Option<NonEmpty>,
    /// The rider's age band, if they wish.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, nullable = false)]
    pub age_band: Option<NonEmpty>,
}

/// `POST /v1/reports/{reference}/status`: the next status, and a note the reporter sees.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusChange {
    /// `acknowledged`, `in_progress` or `closed` (the workflow decides which is allowed).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true)]
    pub status: Option<String>,
    /// For the reporter.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub note: Option<String>,
}

/// `POST /open311/v2/requests.json`: GeoReport's form, the same report with Open311's names.
/// The place is `lat`+`long` or `attribute[stop_id]`. Personal fields are accepted and never
/// stored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Open311Form {
    /// Category key.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true)]
    pub service_code: Option<String>,
    /// Latitude.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = f64, nullable = false, minimum = -90, maximum = 90)]
    pub lat: Option<String>,
    /// Longitude.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = f64, nullable = false, minimum = -180, maximum = 180)]
    pub long: Option<String>,
    /// The stop where it happened.
    #[serde(default, deserialize_with = "present")]
    #[serde(rename = "attribute[stop_id]")]
    #[schema(nullable = false, min_length = 1)]
    pub stop_id: Option<String>,
    /// The route concerned.
    #[serde(default, deserialize_with = "present")]
    #[serde(rename = "attribute[route_id]")]
    #[schema(nullable = false, min_length = 1)]
    pub route_id: Option<String>,
    /// When it happened, ISO 8601 with an offset.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, format = DateTime)]
    pub requested_datetime: Option<String>,
    /// What happened.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// The reporter's gender, if they wish.
    #[serde(default, deserialize_with = "present")]
    #[serde(rename = "attribute[gender]")]
    #[schema(nullable = false)]
    pub gender: Option<String>,
    /// The reporter's age band, if they wish.
    #[serde(default, deserialize_with = "present")]
    #[serde(rename = "attribute[age_band]")]
    #[schema(nullable = false)]
    pub age_band: Option<String>,
    /// Who was involved, a road actor, if the reporter says.
    #[serde(default, deserialize_with = "present")]
    #[serde(rename = "attribute[actor_involved]")]
    #[schema(nullable = false)]
    pub actor_involved: Option<String>,
    /// Who was the victim, a road actor, if the reporter says.
    #[serde(default, deserialize_with = "present")]
    #[serde(rename = "attribute[actor_victim]")]
    #[schema(nullable = false)]
    pub actor_victim: Option<String>,
    /// Accepted and never stored.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub email: Option<String>,
    /// Accepted and never stored.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub first_name: Option<String>,
    /// Accepted and never stored.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub last_name: Option<String>,
    /// Accepted and never stored.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub phone: Option<String>,
}

/// A string that must not be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonEmpty(pub String);

impl NonEmpty {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Err(de::Error::invalid_value(
                de::Unexpected::Str(""),
                &"a non-empty string",
            ));
        }
        Ok(NonEmpty(s))
    }
}

/// A 1–5 score as sent: a whole number (`3` and `3.0` are the same JSON number), or anything
/// else, kept as text for the message that says what a score is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Score {
    /// A whole number (its range is the use case's to check).
    Whole(i64),
    /// Not a whole number.
    Other(String),
}

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(match v.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e9 => Score::Whole(f as i64),
            _ => Score::Other(v.to_string()),
        })
    }
}

/// For `Option` fields: absent is `None` (with `#[serde(default)]`), but `null` is not
/// absent: it fails as the wrong type, like any other.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Local `YYYY-MM-DDTHH:MM` (seconds allowed), as the JSON bodies take times.
pub const LOCAL_TIME: &str = r"^[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$";

/// A time in a JSON body: a local date-time or Unix seconds.
fn when_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let one_of = OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(LOCAL_TIME))
                .description(Some("Local time `YYYY-MM-DDTHH:MM`")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(4_102_444_800_u64))
                .description(Some("Unix seconds")),
        )
        .build();
    utoipa::openapi::RefOr::T(Schema::OneOf(one_of))
}

/// JSON endpoints take `application/json` only (415 otherwise): a page elsewhere can make a
/// browser POST `text/plain` or a form without asking (no CORS preflight), never JSON.
pub fn require_json(headers: &HeaderMap, lang: Lang) -> Result<(), Problem> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ctype.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        i18n::t(
            lang,
            "error.need_json",
            &[("given", &if ctype.is_empty() { "-" } else { ctype })],
        ),
    ))
}

/// Reads a JSON body into `T`; a malformed body, or a field of the wrong type, is a 400 that
/// names the field.
pub fn json<T: DeserializeOwned>(body: &[u8], lang: Lang) -> Result<T, Problem> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request(i18n::t(lang, "obs.bad_json", &[("error", &e)])))?;
    if !value.is_object() {
        return Err(Problem::bad_request(i18n::t(
            lang,
            "obs.bad_json",
            &[("error", &"expected an object")],
        )));
    }
    // A NUL in a field `T` reads is refused by name; in a key `T` ignores it is dropped with
    // the rest of that key (unknown keys are ignored, whatever they hold).
    let ignored = ignored_paths::<T, _>(&value);
    if let Some(field) = nul_in_json(&value, &mut Vec::new(), &ignored) {
        return Err(nul_in_field(lang, &field));
    }
    let value = strip_nul(value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        Problem::bad_request(i18n::t(
            lang,
            "obs.bad_field",
            &[("field", &e.path()), ("error", &e.inner())],
        ))
    })
}

/// The 400 for a NUL in a field: no text carries one (PostgreSQL cannot store or compare
/// it), on every backend alike; the OpenAPI document excludes it from every free string.
pub fn nul_in_field(lang: Lang, field: &str) -> Problem {
    Problem::bad_request(i18n::t(
        lang,
        "error.nul_in_field",
        &[("field", &field.replace('\0', "\\0"))],
    ))
}

/// The paths (as key segments) of what `T` ignores when it reads from `de`.
fn ignored_paths<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    de: D,
) -> Vec<Vec<String>> {
    fn segments(p: &serde_ignored::Path, out: &mut Vec<String>) {
        use serde_ignored::Path;
        match p {
            Path::Root => {}
            Path::Seq { parent, index } => {
                segments(parent, out);
                out.push(index.to_string());
            }
            Path::Map { parent, key } => {
                segments(parent, out);
                out.push(key.clone());
            }
            Path::Some { parent }
            | Path::NewtypeStruct { parent }
            | Path::NewtypeVariant { parent } => segments(parent, out),
        }
    }
    let mut ignored = Vec::new();
    // A body `T` cannot read fails later with its own 400; here only what it ignores matters.
    let _ = serde_ignored::deserialize(de, |p| {
        let mut segs = Vec::new();
        segments(&p, &mut segs);
        ignored.push(segs);
    })
    .map(|_: T| ());
    ignored
}

/// The dotted path of the first string or key holding a NUL that is not inside an ignored
/// path.
fn nul_in_json(
    v: &serde_json::Value,
    at: &mut Vec<String>,
    ignored: &[Vec<String>],
) -> Option<String> {
    use serde_json::Value;
    if ignored.iter().any(|p| at.starts_with(p)) {
        return None;
    }
    match v {
        Value::String(s) if s.contains('\0') => Some(at.join(".")),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            at.push(i.to_string());
            let found = nul_in_json(item, at, ignored);
            at.pop();
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            at.push(k.clone());
            let found = if k.contains('\0') && !ignored.iter().any(|p| at.starts_with(p)) {
                Some(at.join("."))
            } else {
                nul_in_json(item, at, ignored)
            };
            at.pop();
            found
        }),
        _ => None,
    }
}

/// `v` with every NUL character dropped from its strings and keys — by then only where the
/// body's type ignores them.
fn strip_nul(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(crate::query::without_nul(s)),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nul).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (crate::query::without_nul(k), strip_nul(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Reads a form body (`application/x-www-form-urlencoded`, already checked to be UTF-8) into
/// `T`; a malformed percent-encoding, a repeated field or a bad one is a 400.
pub fn form<T: DeserializeOwned>(text: &str, lang: Lang) -> Result<T, Problem> {
    let pairs = crate::query::pairs_with_nul(text)?;
    // As in `json`: a NUL in a field `T` reads is a 400 naming it, in one it ignores dropped.
    let ignored = ignored_paths::<T, _>(de::value::MapDeserializer::<_, de::value::Error>::new(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ));
    let read = |k: &str| {
        !ignored
            .iter()
            .any(|p| p.first().map(String::as_str) == Some(k))
    };
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, v)| (k.contains('\0') || v.contains('\0')) && read(k))
    {
        return Err(nul_in_field(lang, k));
    }
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| (crate::query::without_nul(k), crate::query::without_nul(v)))
        .collect();
    let de = de::value::MapDeserializer::<_, de::value::Error>::new(pairs.into_iter());
    serde_path_to_error::deserialize(de).map_err(|e| {
        Problem::bad_request(i18n::t(
            lang,
            "obs.bad_field",
            &[("field", &e.path()), ("error", &e.inner())],
        ))
    })
}

/// The `Idempotency-Key` header: 1–100 visible ASCII characters.
pub fn idempotency_key(h: &HeaderMap, lang: Lang) -> Result<Option<String>, Problem> {
    let Some(v) = h.get("idempotency-key") else {
        return Ok(None);
    };
    let k = v.to_str().unwrap_or("");
    if k.is_empty() || k.len() > 100 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::bad_request(i18n::t(lang, "obs.bad_key", &[])));
    }
    Ok(Some(k.to_string()))
}

/// A body's optional text field, empty as absent (as the use cases read them).
pub fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// A body's optional non-empty field.
pub fn word(v: &Option<NonEmpty>) -> Option<&str> {
    v.as_ref().map(NonEmpty::as_str)
}
