//! `discovery`: where the endpoint is and what it speaks.

use super::*;

/// When the GeoReport API last changed.
const CHANGESET: &str = "2026-12-05T00:00:00Z";
const FORMATS: [&str; 2] = ["text/xml", "application/json"];

/// This server's GeoReport base URL, from the request (`Host`, and `X-Forwarded-Proto` from a
/// proxy); a host that is not a plain `name[:port]` gives a relative URL.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    match host {
        Some(h) => format!("{proto}://{h}/open311/v2"),
        None => "/open311/v2".into(),
    }
}

#[utoipa::path(get, path = "/open311/v2/discovery.json", tag = "open311",
    summary = "Open311 GeoReport v2 discovery: where the endpoint is, its formats and whom to contact",
    responses((status = 200, description = "The discovery document", body = answers::Discovery)))]
/// `GET /open311/v2/discovery.json`.
pub async fn discovery(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    discovery_in(&s, &headers, Format::Json)
}

#[utoipa::path(get, path = "/open311/v2/discovery.xml", tag = "open311",
    summary = "Open311 GeoReport v2 discovery, as XML",
    responses((status = 200, description = "`<discovery>…`", body = String, content_type = "text/xml")))]
/// `GET /open311/v2/discovery.xml`.
pub async fn discovery_xml(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    discovery_in(&s, &headers, Format::Xml)
}

fn discovery_in(s: &AppState, headers: &HeaderMap, fmt: Format) -> Response {
    let mut r = discovery_answer(s, headers, fmt);
    // The URL comes from the request's Host: no shared cache may keep one client's answer.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn discovery_answer(s: &AppState, headers: &HeaderMap, fmt: Format) -> Response {
    let url = base_url(headers);
    let key_service = "No key is needed to report or to follow a report; officials use their bearer tokens (paradero admin token create).";
    let contact = &s.settings.open311_contact;
    match fmt {
        Format::Json => Json(answers::Discovery {
            changeset: CHANGESET.into(),
            contact: contact.clone(),
            key_service: key_service.into(),
            endpoints: vec![answers::DiscoveryEndpoint {
                specification: "http://wiki.open311.org/GeoReport_v2",
                url,
                changeset: CHANGESET.into(),
                kind: "production",
                formats: FORMATS.to_vec(),
            }],
        })
        .into_response(),
        Format::Xml => xml(
            StatusCode::OK,
            "discovery",
            &shapes::Discovery {
                changeset: CHANGESET,
                contact,
                key_service,
                endpoints: shapes::Endpoints {
                    endpoint: vec![shapes::Endpoint {
                        specification: "http://wiki.open311.org/GeoReport_v2",
                        url: &url,
                        changeset: CHANGESET,
                        kind: "production",
                        formats: shapes::Formats { format: &FORMATS },
                    }],
                },
            },
        ),
    }
}
