//! Snapping a point to the nearest walkable edge: the edge is split at the foot of the
//! perpendicular (an offset along it), not moved to the nearest vertex, so a stop in the
//! middle of a long block starts its walks where it is.

use crate::graph::{Graph, flags, planar};
use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance, RTree};
use timetable::Coord;

/// A point on an edge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snap {
    /// The edge.
    pub edge: u32,
    /// Distance from the edge's `a` along it, decimetres.
    pub offset_dm: u32,
    /// The point on the edge.
    pub at: Coord,
    /// From the point snapped to the edge, metres.
    pub gap_m: f64,
}

type Segment = GeomWithData<Line<[f64; 2]>, (u32, u32)>;

/// An R-tree over every segment of every edge, in planar metres.
#[derive(Debug, Clone)]
pub struct EdgeIndex {
    tree: RTree<Segment>,
    cos_lat0: f64,
}

impl EdgeIndex {
    /// Indexes the graph's edges.
    pub fn new(g: &Graph) -> EdgeIndex {
        let lat0 = g.vertices.first().map_or(0.0, |c| c.lat());
        let cos_lat0 = lat0.to_radians().cos();
        let segments: Vec<Segment> = (0..g.edges.len() as u32)
            .flat_map(|e| {
                let pts = g.geometry(e);
                (0..pts.len().saturating_sub(1)).map(move |i| {
                    GeomWithData::new(
                        Line::new(planar(pts[i], cos_lat0), planar(pts[i + 1], cos_lat0)),
                        (e, i as u32),
                    )
                })
            })
            .collect();
        EdgeIndex {
            tree: RTree::bulk_load(segments),
            cos_lat0,
        }
    }

    /// Planar metres of a coordinate.
    pub fn planar(&self, c: Coord) -> [f64; 2] {
        planar(c, self.cos_lat0)
    }

    /// The nearest edge to `at` within `max_m`; with `wheelchair`, only edges open to
    /// wheelchairs.
    pub fn snap(&self, g: &Graph, at: Coord, max_m: f64, wheelchair: bool) -> Option<Snap> {
        let p = self.planar(at);
        let usable = |s: &&Segment| {
            !wheelchair || g.edges[s.data.0 as usize].flags & flags::NO_WHEELCHAIR == 0
        };
        let max2 = max_m * max_m;
        // The plain nearest first (no iterator's heap): it is usable unless a wheelchair
        // needs another.
        let nearest = self
            .tree
            .nearest_neighbor(p)
            .filter(|s| s.geom().distance_2(&p) <= max2)?;
        let seg = if usable(&nearest) {
            nearest
        } else {
            self.tree
                .nearest_neighbor_iter_with_distance_2(p)
                .take_while(|(_, d2)| *d2 <= max2)
                .map(|(s, _)| s)
                .find(usable)?
        };
        let (e, i) = seg.data;
        let pts = g.geometry(e);
        let (a, b) = (
            self.planar(pts[i as usize]),
            self.planar(pts[i as usize + 1]),
        );
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (c1, c2) = (pts[i as usize], pts[i as usize + 1]);
        let foot = Coord::new(
            c1.lat() + (c2.lat() - c1.lat()) * t,
            c1.lon() + (c2.lon() - c1.lon()) * t,
        )
        .ok()?;
        let before: f64 = pts[..=i as usize]
            .windows(2)
            .map(|w| w[0].distance_m(w[1]))
            .sum();
        let along = before + c1.distance_m(foot);
        let len_dm = g.edges[e as usize].len_dm;
        Some(Snap {
            edge: e,
            offset_dm: ((along * 10.0).round() as u32).min(len_dm),
            at: foot,
            gap_m: seg.geom().distance_2(&p).sqrt(),
        })
    }
}
