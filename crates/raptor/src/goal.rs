//! Goal-directed pruning: a lower bound on the time from any stop to the destination. A
//! label whose key plus that bound cannot beat the best destination arrival of its round is
//! dropped: the answers do not change, fewer labels are set and scanned. Two bounds:
//!
//! - **Straight line** (single queries: a few microseconds to set up). Stops are projected once onto a
//!   plane (equirectangular around the network's mean latitude), where distances obey the
//!   triangle inequality. `vmax` is the fastest any part of a journey moves in that plane: the
//!   fastest hop of any run (its straight-line length over the least time any run of the
//!   pattern takes for it) and the fastest footpath. A journey from stop `s` to the
//!   destination then takes at least `(|s − c| − r) / vmax`, where the destination's stops lie
//!   within `r` of `c`. A hop with a distance but no time (or an instant transfer between
//!   distinct places) makes `vmax` infinite, which turns this bound off.
//! - **Least travel times** (range queries, which run ~60 searches for one set-up). The
//!   timetable is reduced once to a static graph on its stops whose edges never take longer
//!   than the real thing: a ride hop between consecutive stops of a pattern costs the least
//!   time any run of the pattern needs for it (no waiting, no dwell at the far stop), and a
//!   footpath its walking time. A Dijkstra over that graph from the destination's stops (each
//!   starting at its egress walk) gives every stop a time no journey from it can beat: riding
//!   a run hop by hop takes at least the sum of the least hop times; waits and slack only add.
//!   It is several times tighter than the straight line, but costs a Dijkstra over the whole
//!   network (about as much as a single query), so only range queries use it.
//!
//! Arrive-by searches bound the time back to the origin's stops the same way. A query with its
//! own walking speed walks a footpath in `⌊distance / speed⌋` at the least, so both bounds
//! follow the query's speed; explicit `transfers.txt` times do not depend on it.

use crate::StopWalk;
use crate::scratch::INF;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use timetable::{PatternIdx, StopIdx, Timetable};

const EARTH_M: f64 = 6_371_000.0;

/// Marks an edge whose time does not depend on the walking speed (a ride, an explicit transfer).
const FIXED: u32 = u32::MAX;

/// An edge while the graph is built: (from, to, seconds, walk metres or [`FIXED`]).
type RawEdge = (u32, u32, u32, u32);

/// One edge of the bound graph, stored at one end and naming the other.
#[derive(Debug, Clone, Copy)]
struct Edge {
    other: u32,
    secs: u32,
    /// Walking distance in metres, or [`FIXED`].
    walk_m: u32,
}

/// The timetable as a static graph of least travel times, in both directions (CSR).
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    /// Edges arriving at a stop (`other` is where they come from): forward queries.
    into_start: Vec<u32>,
    into: Vec<Edge>,
    /// Edges leaving a stop: arrive-by queries.
    out_start: Vec<u32>,
    out: Vec<Edge>,
    /// Stops projected onto a plane (metres).
    xy: Vec<(f64, f64)>,
    /// Fastest movement in that plane, metres per second; `None`: no finite bound.
    vmax: Option<f64>,
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (a.0 - b.0, a.1 - b.1);
    (dx * dx + dy * dy).sqrt()
}

impl Graph {
    pub(crate) fn new(tt: &Timetable) -> Graph {
        let n = tt.stops().len();
        let lat0 = if n == 0 {
            0.0
        } else {
            tt.stops().iter().map(|s| s.coord.lat()).sum::<f64>() / n as f64
        };
        let k = lat0.to_radians().cos();
        let xy: Vec<(f64, f64)> = tt
            .stops()
            .iter()
            .map(|s| {
                (
                    s.coord.lon().to_radians() * k * EARTH_M,
                    s.coord.lat().to_radians() * EARTH_M,
                )
            })
            .collect();
        let mut vmax: f64 = 0.0;
        let mut finite = true;
        let mut see = |a: StopIdx, b: StopIdx, dt: u32| {
            let d = dist(xy[a.idx()], xy[b.idx()]);
            // Below half a metre is the same place (duplicated stop times).
            if d < 0.5 {
                return;
            }
            if dt == 0 {
                finite = false;
            } else {
                vmax = vmax.max(d / f64::from(dt));
            }
        };
        let mut edges: Vec<RawEdge> = Vec::new();
        for p in 0..tt.patterns().len() {
            let p = PatternIdx::new(p);
            let stops = tt.pattern_stops(p);
            let (deps, arrs, n_trips) = tt.pattern_times(p);
            for pos in 0..stops.len().saturating_sub(1) {
                let dt = (0..n_trips)
                    .map(|t| arrs[(pos + 1) * n_trips + t].saturating_sub(deps[pos * n_trips + t]))
                    .min();
                if let Some(dt) = dt
                    && stops[pos] != stops[pos + 1]
                {
                    see(stops[pos], stops[pos + 1], dt);
                    edges.push((stops[pos].0, stops[pos + 1].0, dt, FIXED));
                }
            }
        }
        for s in 0..n {
            for f in tt.footpaths(StopIdx::new(s)) {
                see(StopIdx::new(s), f.to, f.duration);
                let walk_m = if f.explicit { FIXED } else { f.distance_m };
                edges.push((s as u32, f.to.0, f.duration, walk_m));
            }
        }
        // Parallel edges of one kind: only the fastest matters.
        edges.sort_unstable();
        edges.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1 && a.3 == b.3);
        let csr = |key: fn(&RawEdge) -> (u32, u32)| {
            let mut start = vec![0u32; n + 1];
            for e in &edges {
                start[key(e).0 as usize + 1] += 1;
            }
            for i in 0..n {
                start[i + 1] += start[i];
            }
            let mut fill = start.clone();
            let mut list = vec![
                Edge {
                    other: 0,
                    secs: 0,
                    walk_m: 0
                };
                edges.len()
            ];
            for e in &edges {
                let (at, other) = key(e);
                let slot = &mut fill[at as usize];
                list[*slot as usize] = Edge {
                    other,
                    secs: e.2,
                    walk_m: e.3,
                };
                *slot += 1;
            }
            (start, list)
        };
        let (into_start, into) = csr(|e| (e.1, e.0));
        let (out_start, out) = csr(|e| (e.0, e.1));
        Graph {
            into_start,
            into,
            out_start,
            out,
            xy,
            vmax: (finite && vmax > 0.0).then_some(vmax),
        }
    }

    fn edges(&self, s: usize, backward_graph: bool) -> &[Edge] {
        let (start, list) = if backward_graph {
            (&self.into_start, &self.into)
        } else {
            (&self.out_start, &self.out)
        };
        &list[start[s] as usize..start[s + 1] as usize]
    }
}

/// Per-query lower bounds to the goal, one per stop (straight line or least travel times),
/// and the Dijkstra's memory.
#[derive(Debug, Clone, Default)]
pub(crate) struct Goal {
    lb: Vec<i32>,
    heap: BinaryHeap<Reverse<(i32, u32)>>,
}

impl Goal {
    pub(crate) fn new(n_stops: usize) -> Goal {
        Goal {
            lb: vec![0; n_stops],
            heap: BinaryHeap::with_capacity(n_stops),
        }
    }

    /// Straight-line bounds towards `goal`'s stops. `walk_m_s`: the query's own walking
    /// speed, if it has one. Computed for every stop at once: a tight loop over the projected
    /// stops costs a few microseconds, less than computing them label by label in the search.
    pub(crate) fn straight(&mut self, g: &Graph, goal: &[StopWalk], walk_m_s: Option<f64>) {
        let Some(vmax) = g.vmax.filter(|_| !goal.is_empty()) else {
            self.lb.fill(0);
            return;
        };
        let (mut sx, mut sy) = (0.0, 0.0);
        for t in goal {
            sx += g.xy[t.stop.idx()].0;
            sy += g.xy[t.stop.idx()].1;
        }
        let n = goal.len() as f64;
        let c = (sx / n, sy / n);
        let r = goal
            .iter()
            .map(|t| dist(c, g.xy[t.stop.idx()]))
            .fold(0.0, f64::max)
            + 1.0;
        // A query may walk faster than the timetable's footpaths (its own speed over the
        // footpath's walking distance, which is at least the straight line).
        let v = walk_m_s.map_or(vmax, |w| vmax.max(w * 1.01));
        let inv_v = 1.0 / v;
        for (lb, &p) in self.lb.iter_mut().zip(&g.xy) {
            // One second of margin for rounding; at most 0 within the goal's circle.
            *lb = (((dist(c, p) - r) * inv_v) as i32 - 1).max(0);
        }
    }

    /// Least-travel-time bounds towards `goal` (the destination's stops with their egress
    /// walks; for an arrive-by search, `towards_origin`, the origin's stops with their access
    /// walks). Without goal stops every bound is 0 (no pruning).
    pub(crate) fn least_times(
        &mut self,
        g: &Graph,
        goal: &[StopWalk],
        towards_origin: bool,
        walk_m_s: Option<f64>,
    ) {
        if goal.is_empty() {
            self.lb.fill(0);
            return;
        }
        self.lb.fill(INF);
        self.heap.clear();
        for t in goal {
            let d = t.duration as i32;
            let s = t.stop.idx();
            if d < self.lb[s] {
                self.lb[s] = d;
                self.heap.push(Reverse((d, s as u32)));
            }
        }
        while let Some(Reverse((d, s))) = self.heap.pop() {
            if d > self.lb[s as usize] {
                continue;
            }
            for e in g.edges(s as usize, !towards_origin) {
                let w = match walk_m_s {
                    Some(v) if e.walk_m != FIXED => (f64::from(e.walk_m) / v).floor() as i32,
                    _ => e.secs as i32,
                };
                let nd = d + w;
                let o = e.other as usize;
                if nd < self.lb[o] {
                    self.lb[o] = nd;
                    self.heap.push(Reverse((nd, e.other)));
                }
            }
        }
    }

    /// Seconds the goal is at least away from stop `s` ([`INF`] if it cannot be reached).
    #[inline(always)]
    pub(crate) fn lower_bound(&self, s: usize) -> i32 {
        self.lb[s]
    }
}
