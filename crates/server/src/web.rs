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
use serde_json::{Value, json};
use std::sync::Arc;
use timetable::{Coord, Timetable};

/// A static asset compiled into the binary.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
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
    match ASSETS.iter().find(|a| a.name == name) {
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
        None => crate::Problem::not_found(format!("no asset `{name}`")).into_response(),
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

/// The language of a page: `?lang=` if valid, else the first supported language of
/// `Accept-Language`, else Spanish.
fn page_lang(raw: Option<&str>, headers: &HeaderMap) -> Lang {
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

/// `GET /`: the riders' page.
pub async fn index(RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    html(render(
        INDEX,
        page_lang(raw.as_deref(), &headers),
        &["web."],
    ))
}

/// `GET /docs`: the API documentation page (reads `/openapi.json`).
pub async fn docs(RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    html(render(DOCS, page_lang(raw.as_deref(), &headers), &["web."]))
}

/// `GET /observatorio`: the officials' dashboard (public charts; reports with a token).
pub async fn dashboard(RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    html(render(
        DASHBOARD,
        page_lang(raw.as_deref(), &headers),
        &[
            "dash.",
            "status.",
            "gender.",
            "category.",
            "indicator.",
            "obs.no_release",
        ],
    ))
}

/// Douglas–Peucker on planar (equirectangular) metres: keeps the points that matter at
/// `tolerance_m`, so the network map is small but still follows the streets.
pub fn simplify(points: &[Coord], tolerance_m: f64) -> Vec<Coord> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let lat0 = points[0].lat().to_radians();
    let xy: Vec<(f64, f64)> = points
        .iter()
        .map(|c| {
            (
                c.lon().to_radians() * lat0.cos() * 6_371_000.0,
                c.lat().to_radians() * 6_371_000.0,
            )
        })
        .collect();
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (ax, ay) = xy[a];
        let (bx, by) = xy[b];
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let mut worst = (0.0, a);
        for (i, &(px, py)) in xy.iter().enumerate().take(b).skip(a + 1) {
            let d = if len2 == 0.0 {
                ((px - ax).powi(2) + (py - ay).powi(2)).sqrt()
            } else {
                let t = (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0);
                ((px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)).sqrt()
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance_m {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(*c))
        .collect()
}

fn round5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

/// The network as GeoJSON: one feature per route and distinct shape, simplified to 8 m,
/// plus the bounding box of all stops.
pub fn network_geojson(tt: &Timetable) -> Value {
    let mut features = Vec::new();
    for (ri, route) in tt.routes().iter().enumerate() {
        let r = timetable::RouteIdx::new(ri);
        let mut shapes: Vec<timetable::ShapeIdx> = tt
            .trips()
            .iter()
            .filter(|t| t.route == r)
            .filter_map(|t| t.shape)
            .collect();
        shapes.sort_unstable();
        shapes.dedup();
        let lines: Vec<Vec<Coord>> = if shapes.is_empty() {
            // No shapes: straight lines through the stops of the route's longest pattern.
            (0..tt.patterns().len())
                .map(timetable::PatternIdx::new)
                .filter(|&p| tt.pattern(p).route == r)
                .max_by_key(|&p| tt.pattern_stops(p).len())
                .map(|p| {
                    vec![
                        tt.pattern_stops(p)
                            .iter()
                            .map(|&s| tt.stop(s).coord)
                            .collect(),
                    ]
                })
                .unwrap_or_default()
        } else {
            shapes.iter().map(|&s| tt.shape(s).points.clone()).collect()
        };
        let coordinates: Vec<Vec<[f64; 2]>> = lines
            .iter()
            .map(|l| {
                simplify(l, 8.0)
                    .iter()
                    .map(|c| [round5(c.lon()), round5(c.lat())])
                    .collect()
            })
            .filter(|l: &Vec<[f64; 2]>| l.len() >= 2)
            .collect();
        if coordinates.is_empty() {
            continue;
        }
        features.push(json!({
            "type": "Feature",
            "properties": {
                "id": route.id,
                "short_name": route.short_name,
                "long_name": route.long_name,
                "color": route.color,
            },
            "geometry": { "type": "MultiLineString", "coordinates": coordinates },
        }));
    }
    let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for s in tt.stops() {
        bbox[0] = bbox[0].min(s.coord.lon());
        bbox[1] = bbox[1].min(s.coord.lat());
        bbox[2] = bbox[2].max(s.coord.lon());
        bbox[3] = bbox[3].max(s.coord.lat());
    }
    json!({
        "type": "FeatureCollection",
        "bbox": if tt.stops().is_empty() { Value::Null } else { json!(bbox.map(round5)) },
        "features": features,
    })
}

/// `GET /v1/network`: built once per timetable and kept until the next reload.
#[utoipa::path(get, path = "/v1/network", tag = "network",
    summary = "The whole network as GeoJSON: one MultiLineString per route (simplified to 8 m) and the stops' bounding box",
    responses((status = 200, description = "A GeoJSON FeatureCollection with `bbox`", body = Object, content_type = "application/geo+json")))]
pub async fn network(State(s): State<Arc<AppState>>) -> Response {
    let ds = s.dataset();
    let cached: Option<Bytes> = {
        let guard = s.network.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .filter(|(tt, _)| Arc::ptr_eq(tt, &ds.timetable))
            .map(|(_, body)| body.clone())
    };
    let body = match cached {
        Some(b) => b,
        None => {
            let tt = Arc::clone(&ds.timetable);
            let built =
                tokio::task::spawn_blocking(move || Bytes::from(network_geojson(&tt).to_string()))
                    .await;
            let Ok(body) = built else {
                return crate::Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "building the network map stopped unexpectedly",
                )
                .into_response();
            };
            *s.network.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((Arc::clone(&ds.timetable), body.clone()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplify_keeps_corners_and_drops_straight_runs() {
        let c = |lat: f64, lon: f64| Coord::new(lat, lon).unwrap();
        // An L: ten points east, then ten points north.
        let mut pts: Vec<Coord> = (0..10)
            .map(|i| c(-16.4, -71.5 + f64::from(i) * 1e-4))
            .collect();
        pts.extend((1..10).map(|i| c(-16.4 + f64::from(i) * 1e-4, -71.5 + 9e-4)));
        let s = simplify(&pts, 2.0);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!(s[0], pts[0]);
        assert_eq!(s[1], pts[9]);
        assert_eq!(s[2], *pts.last().unwrap());
        // A tolerance smaller than a wiggle keeps it.
        let mut wiggly = pts.clone();
        wiggly[4] = c(-16.4 + 5e-5, -71.5 + 4e-4);
        let kept = simplify(&wiggly, 2.0);
        assert!(kept.contains(&wiggly[4]), "{kept:?}");
        // A coarser tolerance flattens it again.
        assert_eq!(simplify(&wiggly, 10.0).len(), 3);
    }

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
