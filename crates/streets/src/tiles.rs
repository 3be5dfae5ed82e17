//! The street map under the bus network, cut in web-map tiles (z/x/y, Web Mercator): roads by
//! importance for the zoom, footpaths and names close in, parks and water. Each tile holds
//! integer coordinates in the tile's own grid ([`EXTENT`] units a side), simplified to a
//! fraction of a pixel and cut to the tile with a small margin, so a tile is a few kilobytes.

use crate::extract::{AreaKind, Extract, Pos, RoadClass};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Units per tile side.
pub const EXTENT: i32 = 1024;
/// Units a feature may run past the tile's edge before it is cut (lines drawn to the edge).
const MARGIN: i32 = 32;

/// A road or path as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Its class.
    pub class: RoadClass,
    /// Its name.
    pub name: Option<String>,
    /// Points, degrees (lon, lat).
    pub points: Vec<[f64; 2]>,
}

/// A park or water body.
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    /// What it is.
    pub kind: AreaKind,
    /// Its outer ring, degrees (lon, lat).
    pub ring: Vec<[f64; 2]>,
}

type Bbox = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// What the map draws, indexed by bounding box.
#[derive(Debug, Clone, Default)]
pub struct MapData {
    /// Roads and paths.
    pub lines: Vec<Line>,
    /// Parks and water.
    pub polygons: Vec<Polygon>,
    line_index: RTree<Bbox>,
    polygon_index: RTree<Bbox>,
}

/// A drawn line in a tile.
#[derive(Clone, Debug, PartialEq)]
pub struct TileLine {
    /// Its class.
    pub class: RoadClass,
    /// Its name, from zoom [`NAMES_FROM`].
    pub name: Option<String>,
    /// Points in tile units.
    pub points: Vec<[i32; 2]>,
}

/// A drawn area in a tile.
#[derive(Clone, Debug, PartialEq)]
pub struct TileArea {
    /// What it is.
    pub kind: AreaKind,
    /// Its ring in tile units.
    pub ring: Vec<[i32; 2]>,
}

/// One tile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tile {
    /// Roads and paths, least important first (drawn under the rest).
    pub lines: Vec<TileLine>,
    /// Parks and water.
    pub areas: Vec<TileArea>,
}

/// Street names are in tiles from this zoom.
pub const NAMES_FROM: u8 = 16;
/// The most detailed zoom served.
pub const MAX_ZOOM: u8 = 19;

/// The least zoom at which a class is drawn.
pub fn min_zoom(c: RoadClass) -> u8 {
    match c {
        RoadClass::Motorway | RoadClass::Trunk | RoadClass::Primary => 10,
        RoadClass::Secondary => 12,
        RoadClass::Tertiary => 13,
        RoadClass::Residential | RoadClass::Pedestrian => 14,
        RoadClass::Service => 15,
        RoadClass::Footway | RoadClass::Steps => 16,
    }
}

fn rect(points: &[[f64; 2]], i: usize) -> Bbox {
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in points {
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    GeomWithData::new(Rectangle::from_corners(lo, hi), i as u32)
}

fn resolve(x: &Extract, nodes: &[i64]) -> Vec<[f64; 2]> {
    nodes
        .iter()
        .filter_map(|&id| x.pos(id))
        .map(|p: Pos| [p.lon(), p.lat()])
        .collect()
}

/// The tile `(x, y)` at zoom `z` covering a point, and the point in that tile's units.
fn mercator(lon: f64, lat: f64, z: u8) -> [f64; 2] {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-85.0511, 85.0511).to_radians();
    [
        (lon + 180.0) / 360.0 * n,
        (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n,
    ]
}

/// The degrees box of a tile: (west, south, east, north).
pub fn tile_bounds(z: u8, x: u32, y: u32) -> (f64, f64, f64, f64) {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * y / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    (
        lon(f64::from(x)),
        lat(f64::from(y + 1)),
        lon(f64::from(x + 1)),
        lat(f64::from(y)),
    )
}

/// Douglas–Peucker on tile units: the points that matter at `tolerance` units.
pub fn simplify(points: &[[i32; 2]], tolerance: f64) -> Vec<[i32; 2]> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    let f = |p: [i32; 2]| [f64::from(p[0]), f64::from(p[1])];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (pa, pb) = (f(points[a]), f(points[b]));
        let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
        let len2 = dx * dx + dy * dy;
        let mut worst = (0.0, a);
        for (i, p) in points.iter().enumerate().take(b).skip(a + 1) {
            let p = f(*p);
            let d = if len2 == 0.0 {
                ((p[0] - pa[0]).powi(2) + (p[1] - pa[1]).powi(2)).sqrt()
            } else {
                let t = (((p[0] - pa[0]) * dx + (p[1] - pa[1]) * dy) / len2).clamp(0.0, 1.0);
                ((p[0] - pa[0] - t * dx).powi(2) + (p[1] - pa[1] - t * dy).powi(2)).sqrt()
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// Runs of a line's points inside the tile with its margin (a point just outside kept at
/// each end, so lines reach the edge).
fn cut(points: &[[i32; 2]]) -> Vec<Vec<[i32; 2]>> {
    let inside = |p: &[i32; 2]| {
        (-MARGIN..=EXTENT + MARGIN).contains(&p[0]) && (-MARGIN..=EXTENT + MARGIN).contains(&p[1])
    };
    let mut out = Vec::new();
    let mut run: Vec<[i32; 2]> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        if inside(p) {
            if run.is_empty() && i > 0 {
                run.push(points[i - 1]);
            }
            run.push(*p);
        } else if !run.is_empty() {
            run.push(*p);
            out.push(std::mem::take(&mut run));
        }
    }
    if run.len() >= 2 {
        out.push(run);
    }
    out
}

impl MapData {
    /// The drawable ways and areas of an extract.
    pub fn build(x: &Extract) -> MapData {
        let lines: Vec<Line> = x
            .ways
            .iter()
            .map(|w| Line {
                class: w.class,
                name: w.name.clone(),
                points: resolve(x, &w.nodes),
            })
            .filter(|l| l.points.len() >= 2)
            .collect();
        let polygons: Vec<Polygon> = x
            .areas
            .iter()
            .map(|a| Polygon {
                kind: a.kind,
                ring: resolve(x, &a.nodes),
            })
            .filter(|p| p.ring.len() >= 4)
            .collect();
        let line_index = RTree::bulk_load(
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| rect(&l.points, i))
                .collect(),
        );
        let polygon_index = RTree::bulk_load(
            polygons
                .iter()
                .enumerate()
                .map(|(i, p)| rect(&p.ring, i))
                .collect(),
        );
        MapData {
            lines,
            polygons,
            line_index,
            polygon_index,
        }
    }

    /// Whether there is anything to draw.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.polygons.is_empty()
    }

    /// The extract's box, degrees (west, south, east, north).
    pub fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        let e = self.line_index.root().envelope();
        (!self.lines.is_empty()).then(|| (e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]))
    }

    /// The tile z/x/y.
    pub fn tile(&self, z: u8, tx: u32, ty: u32) -> Tile {
        if z > MAX_ZOOM || tx >= 1 << z || ty >= 1 << z {
            return Tile::default();
        }
        let (w, s, e, n) = tile_bounds(z, tx, ty);
        let pad_x = (e - w) * f64::from(MARGIN) / f64::from(EXTENT);
        let pad_y = (n - s) * f64::from(MARGIN) / f64::from(EXTENT);
        let bbox = AABB::from_corners([w - pad_x, s - pad_y], [e + pad_x, n + pad_y]);
        let units = |p: &[f64; 2]| {
            let m = mercator(p[0], p[1], z);
            [
                ((m[0] - f64::from(tx)) * f64::from(EXTENT)).round() as i32,
                ((m[1] - f64::from(ty)) * f64::from(EXTENT)).round() as i32,
            ]
        };
        // Half a pixel of a 256-pixel tile.
        let tolerance = f64::from(EXTENT) / 512.0;
        let mut lines: Vec<TileLine> = Vec::new();
        for hit in self.line_index.locate_in_envelope_intersecting(bbox) {
            let l = &self.lines[hit.data as usize];
            if z < min_zoom(l.class) {
                continue;
            }
            let pts: Vec<[i32; 2]> = l.points.iter().map(units).collect();
            for run in cut(&pts) {
                let run = simplify(&run, tolerance);
                if run.len() >= 2 && run.first() != run.last() || run.len() > 2 {
                    lines.push(TileLine {
                        class: l.class,
                        name: l.name.clone().filter(|_| z >= NAMES_FROM),
                        points: run,
                    });
                }
            }
        }
        // Important roads drawn last, on top.
        lines.sort_by_key(|l| std::cmp::Reverse(l.class));
        let min_area = if z >= 15 { 0.0 } else { 8.0 * tolerance };
        let areas = self
            .polygon_index
            .locate_in_envelope_intersecting(bbox)
            .filter_map(|hit| {
                let p = &self.polygons[hit.data as usize];
                let ring: Vec<[i32; 2]> = p.ring.iter().map(units).collect();
                let ring = simplify(&ring, tolerance);
                let (lo, hi) = ring
                    .iter()
                    .fold(([i32::MAX; 2], [i32::MIN; 2]), |(lo, hi), q| {
                        (
                            [lo[0].min(q[0]), lo[1].min(q[1])],
                            [hi[0].max(q[0]), hi[1].max(q[1])],
                        )
                    });
                let size = f64::from((hi[0] - lo[0]).max(hi[1] - lo[1]));
                (ring.len() >= 4 && size >= min_area).then_some(TileArea { kind: p.kind, ring })
            })
            .collect();
        Tile { lines, areas }
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.lines
            .iter()
            .map(|l| l.points.len() * 16 + 48 + l.name.as_ref().map_or(0, String::len))
            .sum::<usize>()
            + self
                .polygons
                .iter()
                .map(|p| p.ring.len() * 16 + 32)
                .sum::<usize>()
            + (self.lines.len() + self.polygons.len()) * 48
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_bounds_and_mercator_agree() {
        let (w, s, e, n) = tile_bounds(14, 6065, 9365);
        let m = mercator((w + e) / 2.0, (s + n) / 2.0, 14);
        assert_eq!((m[0] as u32, m[1] as u32), (6065, 9365));
    }

    #[test]
    fn lines_are_cut_to_the_tile_with_a_point_beyond_each_edge() {
        let pts = [
            [-500, 10],
            [-100, 10],
            [10, 10],
            [500, 10],
            [2000, 10],
            [3000, 10],
        ];
        let runs = cut(&pts);
        assert_eq!(
            runs,
            vec![vec![[-100, 10], [10, 10], [500, 10], [2000, 10]]]
        );
    }
}
