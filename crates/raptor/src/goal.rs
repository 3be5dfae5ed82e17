//! Goal-directed pruning: a lower bound on the time from any stop to the destination. A
//! label whose key plus that bound cannot beat the best destination arrival of its round is
//! dropped: the answers do not change, fewer labels are set and scanned. Every query starts
//! by writing one bound per stop, so the search reads a plain array:
//!
//! - **Straight line** (every single query: ~17 µs for Arequipa's 6,711 stops). Stops are
//!   projected once onto a plane (equirectangular around the network's mean latitude), where
//!   distances obey the triangle inequality. `vmax` is the fastest any part of a journey
//!   moves in that plane: the fastest hop of any run (its straight-line length over the least
//!   time any run of the pattern takes for it) and the fastest footpath. A journey from stop
//!   `s` to the destination then takes at least `(|s − c| − r) / vmax`, where the
//!   destination's stops lie within `r` of `c`. A hop with a distance but no time (or an
//!   instant transfer between distinct places) makes `vmax` infinite, which turns this bound
//!   off.
//! - **The least-time graph.** The timetable is reduced once to a static graph on its stops
//!   whose edges never take longer than the real thing: a ride hop between consecutive stops
//!   of a pattern costs the least time any run of the pattern needs for it (no waiting, no
//!   dwell at the far stop), and a footpath its walking time. Riding a run hop by hop takes
//!   at least the sum of the least hop times; waits and slack only add. Two bounds use it:
//!   - **Landmarks** (single queries at the timetable's walking speed; ALT, Goldberg and
//!     Harrelson). A few stops spread over the network keep their least times to and from
//!     every stop, and the triangle inequality turns them into bounds for any goal
//!     ([`Goal::landmarks`]): 8 landmarks cost one pass over their tables per query (~18 µs
//!     on Arequipa) and make the search there about 20 % faster, nearly as much as the exact
//!     bound.
//!   - **Least travel times** (range queries, which run ~60 searches for one set-up): a
//!     Dijkstra from the destination's stops (each starting at its egress walk) gives every
//!     stop the exact least time. It costs about one single query, so only range queries
//!     use it.
//!
//! Arrive-by searches bound the time back to the origin's stops the same way. A query with its
//! own walking speed walks a footpath in `⌊distance / speed⌋` at the least, so the straight
//! line and the Dijkstra follow the query's speed; the landmarks' tables hold times at the
//! timetable's speed, so such a query goes without them. Explicit `transfers.txt` times do
//! not depend on the speed.

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
    /// Landmarks (see [`Graph::choose_landmarks`]): least times from each landmark to every
    /// stop, and from every stop to it ([`INF`]: no way).
    lm_from: Vec<Vec<i32>>,
    lm_to: Vec<Vec<i32>>,
}

/// How many landmarks: 4 already give most of the gain on Arequipa (the search 20 % faster), 8
/// keep it on networks of several cities; each costs two Dijkstras when a scratch is built
/// and one pass over its two tables per query.
const LANDMARKS: usize = 8;

/// Least times from stop `from` over `g` (to it, following edges backwards, with
/// `backward_graph`), at the timetable's walking speed.
fn dijkstra(g: &Graph, from: usize, backward_graph: bool) -> Vec<i32> {
    let mut d = vec![INF; g.xy.len()];
    d[from] = 0;
    let mut heap = BinaryHeap::from(vec![Reverse((0, from as u32))]);
    settle(g, &mut d, &mut heap, backward_graph, None);
    d
}

/// Runs Dijkstra over `g` from the stops queued in `heap` (their times already in `d`),
/// following edges backwards with `backward_graph`. A walk takes `⌊metres / walk_m_s⌋` at the
/// query's own speed, its timetable time otherwise.
fn settle(
    g: &Graph,
    d: &mut [i32],
    heap: &mut BinaryHeap<Reverse<(i32, u32)>>,
    backward_graph: bool,
    walk_m_s: Option<f64>,
) {
    while let Some(Reverse((t, s))) = heap.pop() {
        if t > d[s as usize] {
            continue;
        }
        for e in g.edges(s as usize, backward_graph) {
            let w = match walk_m_s {
                Some(v) if e.walk_m != FIXED => (f64::from(e.walk_m) / v).floor() as i32,
                _ => e.secs as i32,
            };
            let nt = t + w;
            let o = e.other as usize;
            if nt < d[o] {
                d[o] = nt;
                heap.push(Reverse((nt, e.other)));
            }
        }
    }
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
        let mut g = Graph {
            into_start,
            into,
            out_start,
            out,
            xy,
            vmax: (finite && vmax > 0.0).then_some(vmax),
            lm_from: Vec::new(),
            lm_to: Vec::new(),
        };
        g.choose_landmarks();
        g
    }

    /// Picks [`LANDMARKS`] stops spread over the network and stores the least times from and
    /// to each. Farthest-point selection: each next landmark is the stop whose round trip to
    /// the nearest landmark so far is longest; a stop no landmark reaches either way counts as
    /// farthest, so a second city in the same timetable gets landmarks of its own. Only stops
    /// with an edge are candidates (an unserved stop would waste one).
    fn choose_landmarks(&mut self) {
        let n = self.xy.len();
        let far = i64::from(INF);
        // A one-way dead end (the last stops of a line with nothing back) must not look far:
        // it counts the way that exists.
        let round_trip = |f: i32, t: i32| match (f < INF, t < INF) {
            (true, true) => i64::from(f) + i64::from(t),
            (true, false) => i64::from(f),
            (false, true) => i64::from(t),
            (false, false) => far,
        };
        let mut score: Vec<i64> = (0..n)
            .map(|s| {
                let edges = self.edges(s, false).len() + self.edges(s, true).len();
                if edges == 0 { -1 } else { 0 }
            })
            .collect();
        // The first landmark: the stop farthest from the first served stop.
        let Some(first) = score.iter().position(|&x| x == 0) else {
            return;
        };
        let (f0, t0) = (dijkstra(self, first, false), dijkstra(self, first, true));
        for s in 0..n {
            if score[s] == 0 {
                score[s] = round_trip(f0[s], t0[s]);
            }
        }
        for _ in 0..LANDMARKS {
            let Some((l, &best)) = score.iter().enumerate().max_by_key(|x| *x.1) else {
                return;
            };
            if best <= 0 {
                return;
            }
            let (f, t) = (dijkstra(self, l, false), dijkstra(self, l, true));
            for s in 0..n {
                if score[s] > 0 {
                    score[s] = score[s].min(round_trip(f[s], t[s]));
                }
            }
            score[l] = 0;
            self.lm_from.push(f);
            self.lm_to.push(t);
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

/// Per-query lower bounds to the goal, one per stop (straight line, raised by the landmarks,
/// or least travel times), and the Dijkstra's memory.
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
    /// stops costs less than computing them label by label in the search.
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

    /// Raises the bounds with each landmark's triangle inequalities. With `d` the least
    /// times of the graph, goal stops `e` and their walks `w(e)`, a landmark `L` and the goal
    /// `G` (`d(s, G) = min over e of d(s, e) + w(e)`):
    ///
    /// - `d(L, e) ≤ d(L, s) + d(s, e)`, so `d(s, G) ≥ min_e (d(L, e) + w(e)) − d(L, s)`;
    /// - `d(s, L) ≤ d(s, e) + d(e, L)`, so `d(s, G) ≥ d(s, L) − max_e (d(e, L) − w(e))`.
    ///
    /// Unreachable pairs ([`INF`]) keep both sound: a stop the landmark reaches but the goal
    /// does not get a bound near [`INF`] (it cannot reach the goal either), and a pair of
    /// infinities cancels to a walk time. Towards the origin (arrive-by) the two tables swap
    /// roles. Valid only at the timetable's own walking speed: the tables were built with it.
    pub(crate) fn landmarks(&mut self, g: &Graph, goal: &[StopWalk], towards_origin: bool) {
        if goal.is_empty() {
            return;
        }
        for (from_l, to_l) in g.lm_from.iter().zip(&g.lm_to) {
            let (a, b) = if towards_origin {
                (to_l, from_l)
            } else {
                (from_l, to_l)
            };
            let l_goal = goal
                .iter()
                .map(|e| a[e.stop.idx()] + e.duration as i32)
                .min()
                .unwrap_or(INF);
            let goal_l = goal
                .iter()
                .map(|e| b[e.stop.idx()] - e.duration as i32)
                .max()
                .unwrap_or(INF);
            for ((lb, &l_s), &s_l) in self.lb.iter_mut().zip(a).zip(b) {
                *lb = (*lb).max(l_goal - l_s).max(s_l - goal_l).min(INF);
            }
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
        settle(g, &mut self.lb, &mut self.heap, !towards_origin, walk_m_s);
    }

    /// Seconds the goal is at least away from stop `s` ([`INF`] if it cannot be reached).
    #[inline(always)]
    pub(crate) fn lower_bound(&self, s: usize) -> i32 {
        self.lb[s]
    }
}
