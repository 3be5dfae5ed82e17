//! The riders' web page (`/`), its assets, and `/v1/network`, the base map it draws.
//!
//! Everything the page needs is compiled into the binary: no CDN, no map tiles. The base map is
//! the network itself — every route's shape, simplified — so the page works offline and on a
//! slow phone. Text comes from the `web.*` keys of the catalog: the page is rendered in the
//! rider's language on the server (`?lang=`, else `Accept-Language`, else Spanish), and the
//! same keys are embedded as JSON for the script.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use serde_json::Value;
use std::sync::Arc;

/// A static asset compiled into the binary.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// The phone's router, built for WebAssembly by `build.rs` (empty when the target was not
/// installed: the page then plans online only).
pub(crate) const PHONE_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/phone.wasm"));

const ASSETS: &[Asset] = &[
    Asset {
        name: "phone.wasm",
        content_type: "application/wasm",
        body: PHONE_WASM,
    },
    Asset {
        name: "offline.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/offline.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../web/app.css"),
    },
    Asset {
        name: "docs.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/docs.js"),
    },
    Asset {
        name: "observatorio.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/observatorio.js"),
    },
    Asset {
        name: "compartir.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/compartir.js"),
    },
    Asset {
        name: "reportar.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/reportar.js"),
    },
    Asset {
        name: "encuestas.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/encuestas.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../web/icon.svg"),
    },
    Asset {
        name: "leaflet.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/vendor/leaflet/leaflet.js"),
    },
    Asset {
        name: "leaflet.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../web/vendor/leaflet/leaflet.css"),
    },
];

const INDEX: &str = include_str!("../web/index.html");
const DOCS: &str = include_str!("../web/docs.html");
const DASHBOARD: &str = include_str!("../web/observatorio.html");
const SHARED: &str = include_str!("../web/compartir.html");
const REPORT: &str = include_str!("../web/reportar.html");
const SURVEYS: &str = include_str!("../web/encuestas.html");

/// A short fingerprint of all assets, so URLs change when they do and can be cached for long.
fn version() -> &'static str {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        // FNV-1a: stable across runs and builds, unlike std's hasher.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for a in ASSETS {
            for &b in a.body {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
        format!("{:08x}", h >> 32)
    })
}

/// `GET /assets/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name && !a.body.is_empty()) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                // URLs carry the version, so a changed asset has a new URL.
                (header::CACHE_CONTROL, "public, max-age=604800, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            a.body,
        )
            .into_response(),
        None => crate::Problem::not_found(i18n::t(
            crate::query::asked(),
            "error.no_asset",
            &[("name", &name)],
        ))
        .into_response(),
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The language of a page (or of an answer made before a handler reads its query, such as
/// a 429): `?lang=` if valid, else the first supported language of `Accept-Language`, else
/// Spanish.
pub(crate) fn page_lang(raw: Option<&str>, headers: &HeaderMap) -> Lang {
    let from_query = raw
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("lang=").and_then(Lang::parse));
    from_query
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.split(',')
                        .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
                        .next()
                })
        })
        .unwrap_or_default()
}

/// Fills `{{key}}` placeholders: `lang`, `version`, `strings` (the `web.*` catalog as JSON) and
/// any catalog key (HTML-escaped).
fn render(template: &str, lang: Lang, prefixes: &[&str]) -> String {
    let strings: serde_json::Map<String, Value> = i18n::keys(Lang::Es)
        .into_iter()
        .filter(|k| prefixes.iter().any(|p| k.starts_with(p)))
        .map(|k| {
            let v = i18n::t(lang, &k, &[]);
            (k, Value::String(v))
        })
        .collect();
    // `</` inside a script element would end it.
    let strings = Value::Object(strings).to_string().replace("</", "<\\/");
    let mut out = String::with_capacity(template.len() + strings.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let key = after[..end].trim();
        match key {
            "lang" => out.push_str(lang.code()),
            "version" => out.push_str(version()),
            "strings" => out.push_str(&strings),
            "other_lang" => out.push_str(other(lang).code()),
            "alt_lang" => out.push_str(alternative(lang).0.code()),
            "alt_lang_name" => out.push_str(alternative(lang).1),
            k => out.push_str(&escape_html(&i18n::t(lang, k, &[]))),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Es | Lang::Qu => Lang::En,
        Lang::En => Lang::Es,
    }
}

/// The third language offered beside the switch: Quechua, or Spanish on a Quechua page.
fn alternative(lang: Lang) -> (Lang, &'static str) {
    match lang {
        Lang::Qu => (Lang::Es, "Español"),
        _ => (Lang::Qu, "Runasimi"),
    }
}

fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                 script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

const SERVICE_WORKER: &str = include_str!("../web/sw.js");

/// `GET /sw.js`: the service worker that keeps the riders' page for use with no connection
/// (at the root, so its scope is the whole site; never cached by HTTP, so updates are seen).
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        SERVICE_WORKER.replace("{{version}}", version()),
    )
        .into_response()
}

/// `GET /manifest.webmanifest`: what installs the riders' page on a phone's home screen, in
/// the asker's language.
pub async fn manifest(RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    let lang = page_lang(raw.as_deref(), &headers);
    let body = serde_json::json!({
        "name": i18n::t(lang, "web.manifest.name", &[]),
        "short_name": "paradero",
        "description": i18n::t(lang, "web.description", &[]),
        "lang": lang.code(),
        "start_url": format!("/?lang={}", lang.code()),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f7f7f2",
        "theme_color": "#0b5563",
        "icons": [
            { "src": format!("/assets/icon.svg?v={}", version()), "sizes": "any", "type": "image/svg+xml", "purpose": "any" }
        ]
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `GET /`: the riders' page.
pub async fn index(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let ds = s.dataset();
    riders_page(&s, &ds, page_lang(raw.as_deref(), &headers), "")
}

/// The riders' page, on `city` (`""`: the page chooses: the last city chosen, the rider's
/// location, else it asks).
fn riders_page(s: &AppState, ds: &Arc<app::Dataset>, lang: i18n::Lang, city: &str) -> Response {
    let page = render(INDEX, lang, &["web."]);
    // What the page can honestly offer: a safer trip only with a release behind it, and a
    // wheelchair search that says when the feed marks no stop or trip either way.
    let tt = &ds.timetable;
    let access_known = (0..tt.stops().len())
        .any(|i| tt.stop_wheelchair(app::StopIdx(i as u32)) != app::Accessibility::Unknown)
        || (0..tt.patterns().len()).any(|p| {
            tt.pattern_trip_wheelchair(app::PatternIdx::new(p))
                .iter()
                .any(|a| *a != app::Accessibility::Unknown)
        });
    let cities = serde_json::to_string(s.app().cities_of(ds).as_ref()).unwrap_or_default();
    html(
        page.replace(
            "@SHARE_HOURS@",
            &s.settings().share_hours_after_arrival.to_string(),
        )
        .replace(
            "@SAFER@",
            if s.app().risk().is_some() {
                "ready"
            } else {
                "none"
            },
        )
        .replace("@ACCESS@", if access_known { "known" } else { "none" })
        .replace("@CITY@", &attr_escape(city))
        .replace("@CITIES@", &attr_escape(&cities)),
    )
}

/// Text made safe inside a double-quoted HTML attribute.
fn attr_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

/// `GET /compartir`: a trip a rider shared. The trip is in the link's fragment (never sent to
/// a server); this page only reads it, in the reader's browser.
pub async fn shared(RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    html(render(
        SHARED,
        page_lang(raw.as_deref(), &headers),
        &["web."],
    ))
}

/// `GET /reportar`: file an incident report, follow it and erase it with its secret.
pub async fn report_page(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let defaults = app::ObservatorySettings::default();
    let max = s
        .app()
        .observatory()
        .map_or(defaults.max_description_chars, |o| {
            o.settings.max_description_chars
        });
    html(
        render(
            REPORT,
            page_lang(raw.as_deref(), &headers),
            &["web.", "gender.", "age.", "status."],
        )
        .replace("@MAX_DESCRIPTION@", &max.to_string())
        .replace(
            "@GENDERS@",
            &words(app::Gender::ALL.iter().map(|g| g.as_str())),
        )
        .replace(
            "@AGE_BANDS@",
            &words(app::AgeBand::ALL.iter().map(|a| a.as_str())),
        ),
    )
}

/// A vocabulary's words as a JavaScript array (the one list of `store`, not a copy in JS).
fn words<'a>(all: impl Iterator<Item = &'a str>) -> String {
    serde_json::to_string(&all.collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

/// `GET /encuestas`: answer the surveys (profile, women's safety, accessibility, …).
pub async fn surveys_page(RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    html(render(
        SURVEYS,
        page_lang(raw.as_deref(), &headers),
        &["web."],
    ))
}

/// `GET /docs`: the API documentation page (reads `/openapi.json`).
pub async fn docs(RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    html(render(DOCS, page_lang(raw.as_deref(), &headers), &["web."]))
}

/// `GET /observatorio`: the officials' dashboard (public charts; reports with a token).
pub async fn dashboard(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    // Whether any period is released: without one the page says so instead of asking for
    // indicators that would answer 404 (an error in every browser's console).
    let released = match (s.app().observatory(), s.app().any_released().await) {
        (None, _) | (_, Some(false)) => "none",
        // Unknown (the database is away): the page asks and shows what it gets.
        _ => "yes",
    };
    html(
        render(
            DASHBOARD,
            page_lang(raw.as_deref(), &headers),
            &[
                "dash.",
                "status.",
                "gender.",
                "category.",
                "indicator.",
                "alerts.effect.",
                "alerts.cause.",
                "obs.no_release",
            ],
        )
        .replace("@RELEASED@", released),
    )
}

/// `GET /v1/network`: built once per timetable and kept until the next reload.
#[utoipa::path(get, path = "/v1/network", tag = "network",
    summary = "The network as GeoJSON (a city's with `city`): one MultiLineString per route (simplified to 8 m) and the stops' bounding box",
    params(("city" = Option<String>, Query, description = "A city's id (`/v1/cities`): its routes only"),
        ("lang" = Option<String>, Query, description = "`es` (default), `en` or `qu`, for error messages")),
    responses((status = 200, description = "A GeoJSON FeatureCollection with `bbox`", body = app::map::NetworkMap, content_type = "application/geo+json"),
        (status = 400, description = "A malformed parameter", body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown city", body = crate::Problem, content_type = "application/problem+json")))]
pub async fn network(
    State(s): State<Arc<AppState>>,
    crate::extract::Query(p): crate::extract::Query,
) -> Response {
    let ds = s.dataset();
    let city = match crate::cities::chosen(&s, &ds, &p) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let key = city.as_ref().map(|c| c.id.clone()).unwrap_or_default();
    let cached: Option<Bytes> = {
        let guard = s.network.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .filter(|(tt, _)| Arc::ptr_eq(tt, &ds.timetable))
            .and_then(|(_, bodies)| bodies.get(&key).cloned())
    };
    let body = match cached {
        Some(b) => b,
        None => {
            let tt = Arc::clone(&ds.timetable);
            let feeds = city.map(|c| c.feed_idx);
            let built = tokio::task::spawn_blocking(move || {
                let map = app::map::network_of(&tt, feeds.as_deref());
                Bytes::from(serde_json::to_vec(&map).unwrap_or_default())
            })
            .await;
            let Ok(body) = built else {
                return crate::Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    i18n::t(crate::query::asked(), "error.network_map_failed", &[]),
                )
                .into_response();
            };
            let mut guard = s.network.lock().unwrap_or_else(|e| e.into_inner());
            if !guard
                .as_ref()
                .is_some_and(|(tt, _)| Arc::ptr_eq(tt, &ds.timetable))
            {
                *guard = Some((Arc::clone(&ds.timetable), Default::default()));
            }
            if let Some((_, bodies)) = guard.as_mut() {
                bodies.insert(key, body.clone());
            }
            body
        }
    };
    let mut r = ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

/// `GET /{city}`: the riders' page opened on that city (`/trujillo`); an address no city
/// has is a 404.
pub async fn city_page(
    State(s): State<Arc<AppState>>,
    axum::extract::Path(city): axum::extract::Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let ds = s.dataset();
    let lang = page_lang(raw.as_deref(), &headers);
    let views = s.app().cities_of(&ds);
    if let Err(e) = app::cities::find(&views, &city, lang) {
        // Typed in capitals (`/Trujillo`): the city's own address.
        let lower = city.to_lowercase();
        if lower != city && views.iter().any(|c| c.id == lower) {
            let query = raw.map(|q| format!("?{q}")).unwrap_or_default();
            return axum::response::Redirect::permanent(&format!("/{lower}{query}"))
                .into_response();
        }
        return crate::Problem::from(e).into_response();
    }
    riders_page(&s, &ds, lang, &city)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_escapes_catalog_text_and_script_ends() {
        let out = render(
            "<p>{{web.title}}</p><script>{{strings}}</script>{{nope",
            Lang::Es,
            &["web."],
        );
        assert!(out.starts_with("<p>"));
        assert!(!out.contains("{{web.title}}"));
        assert!(out.ends_with("{{nope"));
        let script = out.split("<script>").nth(1).unwrap();
        assert!(!script.trim_end_matches("</script>{{nope").contains("</"));
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn language_from_query_then_header() {
        let mut h = HeaderMap::new();
        assert_eq!(page_lang(None, &h), Lang::Es);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr-FR, en;q=0.8"),
        );
        assert_eq!(page_lang(None, &h), Lang::En);
        assert_eq!(page_lang(Some("x=1&lang=es"), &h), Lang::Es);
        assert_eq!(page_lang(Some("lang=zz"), &h), Lang::En);
    }
}
