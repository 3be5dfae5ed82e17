//! The map riders see under their trips: the network itself, one line per route, simplified.

use serde::Serialize;
use timetable::{Coord, Timetable};

/// The network as a GeoJSON FeatureCollection, with the stops' bounding box.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NetworkMap {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `[west, south, east, north]` of all stops; null without stops.
    pub bbox: Option<[f64; 4]>,
    /// One feature per route.
    pub features: Vec<RouteFeature>,
}

/// A route on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What the route is.
    pub properties: RouteProperties,
    /// Its distinct shapes.
    pub geometry: MultiLineString,
}

/// A route's names and colour.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteProperties {
    /// Namespaced id.
    pub id: String,
    /// Short name.
    pub short_name: String,
    /// Long name.
    pub long_name: String,
    /// `RRGGBB`, when the feed gives one.
    pub color: Option<String>,
}

/// GeoJSON MultiLineString: lines of `[lon, lat]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MultiLineString {
    /// Always `MultiLineString`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The lines.
    pub coordinates: Vec<Vec<[f64; 2]>>,
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
pub fn network(tt: &Timetable) -> NetworkMap {
    network_of(tt, None)
}

/// [`network`], of the routes of `feeds` only (a city's) when given.
pub fn network_of(tt: &Timetable, feeds: Option<&[timetable::FeedIdx]>) -> NetworkMap {
    let mut features = Vec::new();
    for (ri, route) in tt.routes().iter().enumerate() {
        let r = timetable::RouteIdx::new(ri);
        if feeds.is_some_and(|f| !f.contains(&tt.agencies()[route.agency.idx()].feed)) {
            continue;
        }
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
        features.push(RouteFeature {
            kind: "Feature",
            properties: RouteProperties {
                id: route.id.clone(),
                short_name: route.short_name.clone(),
                long_name: route.long_name.clone(),
                color: route.color.clone(),
            },
            geometry: MultiLineString {
                kind: "MultiLineString",
                coordinates,
            },
        });
    }
    let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for s in tt
        .stops()
        .iter()
        .filter(|s| feeds.is_none_or(|f| f.contains(&s.feed)))
    {
        bbox[0] = bbox[0].min(s.coord.lon());
        bbox[1] = bbox[1].min(s.coord.lat());
        bbox[2] = bbox[2].max(s.coord.lon());
        bbox[3] = bbox[3].max(s.coord.lat());
    }
    NetworkMap {
        kind: "FeatureCollection",
        // Rounded outwards, so that the box still holds its outermost stops.
        bbox: (!tt.stops().is_empty()).then(|| {
            let [w, s, e, n] = bbox.map(|x| x * 1e5);
            [w.floor(), s.floor(), e.ceil(), n.ceil()].map(|x| x / 1e5)
        }),
        features,
    }
}

/// One tile of the street map (`/v1/tiles/{z}/{x}/{y}.json`): integer coordinates in the
/// tile's own grid of `extent` units a side, y down; lines least important first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapTile {
    /// Units per tile side.
    pub extent: i32,
    /// Roads and paths.
    pub lines: Vec<TileLine>,
    /// Parks and water.
    pub areas: Vec<TileArea>,
}

/// A road or path in a tile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TileLine {
    /// `motorway`, `trunk`, `primary`, `secondary`, `tertiary`, `residential`, `service`,
    /// `pedestrian`, `footway` or `steps`.
    pub class: &'static str,
    /// Its name, at close zoom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Points as `[x0, y0, x1, y1, …]`.
    pub points: Vec<i32>,
}

/// A park or water body in a tile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TileArea {
    /// `park` or `water`.
    pub kind: &'static str,
    /// Its ring as `[x0, y0, x1, y1, …]`.
    pub ring: Vec<i32>,
}

/// What the riders' page needs to draw the street map.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapInfo {
    /// Whether paradero serves street tiles (an extract is loaded).
    pub streets: bool,
    /// The extract's box `[west, south, east, north]`, if any.
    pub bounds: Option<[f64; 4]>,
    /// The most detailed zoom served.
    pub max_zoom: u8,
    /// Street names are drawn from this zoom.
    pub names_from: u8,
}

fn class_word(c: streets::extract::RoadClass) -> &'static str {
    use streets::extract::RoadClass as R;
    match c {
        R::Motorway => "motorway",
        R::Trunk => "trunk",
        R::Primary => "primary",
        R::Secondary => "secondary",
        R::Tertiary => "tertiary",
        R::Residential => "residential",
        R::Service => "service",
        R::Pedestrian => "pedestrian",
        R::Footway => "footway",
        R::Steps => "steps",
    }
}

fn flat(points: &[[i32; 2]]) -> Vec<i32> {
    points.iter().flat_map(|p| [p[0], p[1]]).collect()
}

/// The street map's tile z/x/y; `None` without streets or outside the tile grid.
pub fn tile(st: &streets::Streets, z: u8, x: u32, y: u32) -> Option<MapTile> {
    if z > streets::tiles::MAX_ZOOM || x >= 1 << z || y >= 1 << z {
        return None;
    }
    let t = st.map.tile(z, x, y);
    Some(MapTile {
        extent: streets::tiles::EXTENT,
        lines: t
            .lines
            .into_iter()
            .map(|l| TileLine {
                class: class_word(l.class),
                name: l.name,
                points: flat(&l.points),
            })
            .collect(),
        areas: t
            .areas
            .into_iter()
            .map(|a| TileArea {
                kind: match a.kind {
                    streets::extract::AreaKind::Park => "park",
                    streets::extract::AreaKind::Water => "water",
                },
                ring: flat(&a.ring),
            })
            .collect(),
    })
}

/// What the page needs to know about the street map.
pub fn info(streets: Option<&streets::Streets>) -> MapInfo {
    MapInfo {
        streets: streets.is_some_and(|s| !s.map.is_empty()),
        bounds: streets
            .and_then(|s| s.map.bounds())
            .map(|(w, s, e, n)| [w, s, e, n]),
        max_zoom: streets::tiles::MAX_ZOOM,
        names_from: streets::tiles::NAMES_FROM,
    }
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
}
