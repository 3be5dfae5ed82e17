//! Bounded Dijkstra searches over the pedestrian graph, from a point on an edge: to every stop
//! within a walking distance (footpaths at load, access and egress per query), and to one
//! point with its path (a walk leg's geometry and steps).
//!
//! A [`Search`] holds the working memory and is reused: distances are stamped with a
//! generation, so starting a search clears nothing and allocates nothing once warm.

use crate::graph::{Graph, flags};
use crate::snap::Snap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Stops snapped to edges: per edge, the stops on it and their offsets.
#[derive(Debug, Clone, Default)]
pub struct StopsOnEdges {
    /// Per stop, its snap (or `None`: too far from any walkable edge).
    pub snaps: Vec<Option<Snap>>,
    start: Vec<u32>,
    on: Vec<(u32, u32)>,
}

impl StopsOnEdges {
    /// Groups stops' snaps by edge.
    pub fn new(edges: usize, snaps: Vec<Option<Snap>>) -> StopsOnEdges {
        let mut count = vec![0u32; edges + 1];
        for s in snaps.iter().flatten() {
            count[s.edge as usize] += 1;
        }
        let mut start = Vec::with_capacity(edges + 1);
        let mut acc = 0;
        for c in &count[..edges] {
            start.push(acc);
            acc += c;
        }
        start.push(acc);
        let mut fill = start.clone();
        let mut on = vec![(0, 0); acc as usize];
        for (stop, s) in snaps.iter().enumerate() {
            if let Some(s) = s {
                on[fill[s.edge as usize] as usize] = (stop as u32, s.offset_dm);
                fill[s.edge as usize] += 1;
            }
        }
        StopsOnEdges { snaps, start, on }
    }

    /// `(stop, offset from the edge's a)` of the stops on edge `e`.
    pub fn on_edge(&self, e: u32) -> &[(u32, u32)] {
        let e = e as usize;
        if e + 1 >= self.start.len() {
            return &[];
        }
        &self.on[self.start[e] as usize..self.start[e + 1] as usize]
    }
}

/// A walk found by [`Search::path`]: the edges in order, each with its direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Length, decimetres.
    pub len_dm: u32,
    /// Where it starts.
    pub from: Snap,
    /// Where it ends.
    pub to: Snap,
    /// The whole edges between, with `true` when walked from `a` to `b`. The first and last
    /// (partial) edges are `from.edge` and `to.edge`, not listed here.
    pub edges: Vec<(u32, bool)>,
    /// The vertex where the walk leaves `from.edge` and the one where it joins `to.edge`;
    /// `None` when it stays on one edge.
    pub via: Option<(u32, u32)>,
}

const NONE: u32 = u32::MAX;

/// Reusable working memory for searches.
#[derive(Debug, Clone, Default)]
pub struct Search {
    dist: Vec<u32>,
    pred: Vec<u32>,
    stamp: Vec<u32>,
    generation: u32,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
    best: Vec<u32>,
    best_stamp: Vec<u32>,
    found: Vec<u32>,
}

pub(crate) fn usable(g: &Graph, e: u32, wheelchair: bool) -> bool {
    !wheelchair || g.edges[e as usize].flags & flags::NO_WHEELCHAIR == 0
}

impl Search {
    /// Working memory for `g`.
    pub fn new(g: &Graph) -> Search {
        let n = g.vertices.len();
        Search {
            dist: vec![0; n],
            pred: vec![NONE; n],
            stamp: vec![0; n],
            ..Search::default()
        }
    }

    fn begin(&mut self, g: &Graph) {
        if self.dist.len() != g.vertices.len() {
            *self = Search::new(g);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.best_stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        self.heap.clear();
        self.found.clear();
    }

    /// Forgets the last search's tree (nothing is read back from it any more).
    pub fn forget(&mut self, g: &Graph) {
        self.begin(g);
    }

    fn get(&self, v: u32) -> u32 {
        if self.stamp[v as usize] == self.generation {
            self.dist[v as usize]
        } else {
            u32::MAX
        }
    }

    fn relax(&mut self, v: u32, d: u32, via: u32) {
        if d < self.get(v) {
            self.dist[v as usize] = d;
            self.pred[v as usize] = via;
            self.stamp[v as usize] = self.generation;
            self.heap.push(Reverse((d, v)));
        }
    }

    /// Runs Dijkstra from `src` up to `bound_dm`, calling `settled(v, d)` for every vertex in
    /// order of distance; `settled` returns false to stop early.
    fn run(
        &mut self,
        g: &Graph,
        src: &Snap,
        bound_dm: u32,
        wheelchair: bool,
        mut settled: impl FnMut(&Self, u32, u32) -> bool,
    ) {
        self.begin(g);
        let e = &g.edges[src.edge as usize];
        if usable(g, src.edge, wheelchair) {
            // `pred` of the first vertices is the source edge, marked by the high bit.
            let mark = src.edge | 1 << 31;
            if src.offset_dm <= bound_dm {
                self.relax(e.a, src.offset_dm, mark);
            }
            let back = e.len_dm.saturating_sub(src.offset_dm);
            if back <= bound_dm {
                self.relax(e.b, back, mark);
            }
        }
        while let Some(Reverse((d, u))) = self.heap.pop() {
            if d > self.get(u) {
                continue;
            }
            if !settled(self, u, d) {
                return;
            }
            for &ei in g.incident(u) {
                if !usable(g, ei, wheelchair) {
                    continue;
                }
                let e = &g.edges[ei as usize];
                let v = if e.a == u { e.b } else { e.a };
                let nd = d.saturating_add(e.len_dm);
                if nd <= bound_dm {
                    self.relax(v, nd, ei);
                }
            }
        }
    }

    /// Every vertex within `bound_dm` of `src`, as `(vertex, distance, edge back toward
    /// src)` (`u32::MAX` for the ends of `src`'s own edge reached along it): the tree the
    /// [`crate::tables::StopTables`] are made of.
    pub(crate) fn tree(
        &mut self,
        g: &Graph,
        src: &Snap,
        bound_dm: u32,
        wheelchair: bool,
    ) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        self.run(g, src, bound_dm, wheelchair, |me, u, d| {
            let p = me.pred[u as usize];
            out.push((u, d, if p & 1 << 31 != 0 { NONE } else { p }));
            true
        });
        out
    }

    /// Every stop within `bound_dm` of `src` along the streets, with its distance.
    pub fn stops_within(
        &mut self,
        g: &Graph,
        stops: &StopsOnEdges,
        src: &Snap,
        bound_dm: u32,
        wheelchair: bool,
    ) -> Vec<(u32, u32)> {
        if self.best.len() != stops.snaps.len() {
            self.best = vec![0; stops.snaps.len()];
            self.best_stamp = vec![0; stops.snaps.len()];
        }
        let mut found = std::mem::take(&mut self.found);
        let mut best = std::mem::take(&mut self.best);
        let mut best_stamp = std::mem::take(&mut self.best_stamp);
        let mut offer = |generation: u32, t: u32, d: u32| {
            if d > bound_dm {
                return;
            }
            let t = t as usize;
            if best_stamp[t] != generation {
                best_stamp[t] = generation;
                best[t] = d;
                found.push(t as u32);
            } else if d < best[t] {
                best[t] = d;
            }
        };
        let generation = self.generation.wrapping_add(1).max(1);
        if usable(g, src.edge, wheelchair) {
            for &(t, o) in stops.on_edge(src.edge) {
                offer(generation, t, o.abs_diff(src.offset_dm));
            }
        }
        self.run(g, src, bound_dm, wheelchair, |_, u, d| {
            for &ei in g.incident(u) {
                if !usable(g, ei, wheelchair) {
                    continue;
                }
                let e = &g.edges[ei as usize];
                for &(t, o) in stops.on_edge(ei) {
                    offer(generation, t, d.saturating_add(e.to_end(u, o)));
                }
            }
            true
        });
        let out = found.iter().map(|&t| (t, best[t as usize])).collect();
        found.clear();
        self.found = found;
        self.best = best;
        self.best_stamp = best_stamp;
        out
    }

    /// The shortest walk from `from` to `to` of at most `bound_dm`, by A* (the straight line
    /// to `to`, shortened by 2 % for the rounding of edge lengths, never overestimates what is
    /// left), so it settles the vertices toward `to` and not the whole disc of the bound.
    pub fn path(
        &mut self,
        g: &Graph,
        from: &Snap,
        to: &Snap,
        bound_dm: u32,
        wheelchair: bool,
    ) -> Option<Route> {
        self.begin(g);
        let te = g.edges[to.edge as usize];
        let cos = to.at.lat().to_radians().cos();
        let goal = crate::graph::planar(to.at, cos);
        let h = |v: u32| {
            let p = crate::graph::planar(g.vertices[v as usize], cos);
            (((p[0] - goal[0]).powi(2) + (p[1] - goal[1]).powi(2)).sqrt() * 9.8) as u32
        };
        let to_usable = usable(g, to.edge, wheelchair);
        // Along one edge, without leaving it.
        let mut best: Option<(u32, Option<u32>)> = (from.edge == to.edge
            && usable(g, from.edge, wheelchair))
        .then(|| (from.offset_dm.abs_diff(to.offset_dm), None));
        let push = |me: &mut Self, v: u32, d: u32, via: u32| {
            if d <= bound_dm && d < me.get(v) {
                me.dist[v as usize] = d;
                me.pred[v as usize] = via;
                me.stamp[v as usize] = me.generation;
                me.heap.push(Reverse((d.saturating_add(h(v)), v)));
            }
        };
        if usable(g, from.edge, wheelchair) {
            // `pred` of the first vertices is the source edge, marked by the high bit.
            let mark = from.edge | 1 << 31;
            let e = g.edges[from.edge as usize];
            push(self, e.a, from.offset_dm, mark);
            push(self, e.b, e.len_dm.saturating_sub(from.offset_dm), mark);
        }
        while let Some(Reverse((f, u))) = self.heap.pop() {
            let d = self.get(u);
            if f > d.saturating_add(h(u)) {
                continue;
            }
            if best.is_some_and(|(b, _)| f >= b) {
                break;
            }
            if to_usable && (u == te.a || u == te.b) {
                let total = d.saturating_add(te.to_end(u, to.offset_dm));
                if total <= bound_dm && best.is_none_or(|(b, _)| total < b) {
                    best = Some((total, Some(u)));
                }
            }
            for &ei in g.incident(u) {
                if !usable(g, ei, wheelchair) {
                    continue;
                }
                let e = &g.edges[ei as usize];
                let v = if e.a == u { e.b } else { e.a };
                push(self, v, d.saturating_add(e.len_dm), ei);
            }
        }
        let (len_dm, last) = best?;
        Some(self.route_back(g, from, to, len_dm, last))
    }

    /// The route to `to` found by the last search (from `from`), read back from its tree.
    fn route_back(
        &self,
        g: &Graph,
        from: &Snap,
        to: &Snap,
        len_dm: u32,
        last: Option<u32>,
    ) -> Route {
        let Some(last) = last else {
            return Route {
                len_dm,
                from: *from,
                to: *to,
                edges: Vec::new(),
                via: None,
            };
        };
        // Back from the vertex that joins `to.edge` to the one that left `from.edge`.
        let mut edges = Vec::new();
        let mut v = last;
        loop {
            let p = self.pred[v as usize];
            if p & 1 << 31 != 0 {
                break;
            }
            let e = g.edges[p as usize];
            let (prev, forward) = if e.b == v { (e.a, true) } else { (e.b, false) };
            edges.push((p, forward));
            v = prev;
        }
        edges.reverse();
        Route {
            len_dm,
            from: *from,
            to: *to,
            edges,
            via: Some((v, last)),
        }
    }

    /// The walk to `to` within the tree of the last [`Search::stops_within`] from `from`
    /// (no new search: a walk leg to a stop that search found), if it reached `to`'s edge.
    pub fn route_in_tree(
        &self,
        g: &Graph,
        from: &Snap,
        to: &Snap,
        wheelchair: bool,
    ) -> Option<Route> {
        if !usable(g, to.edge, wheelchair) {
            return None;
        }
        let te = g.edges[to.edge as usize];
        let mut best: Option<(u32, Option<u32>)> =
            (from.edge == to.edge).then(|| (from.offset_dm.abs_diff(to.offset_dm), None));
        for (v, along) in [
            (te.a, to.offset_dm),
            (te.b, te.len_dm.saturating_sub(to.offset_dm)),
        ] {
            let d = self.get(v);
            if d != u32::MAX && best.is_none_or(|(b, _)| d.saturating_add(along) < b) {
                best = Some((d.saturating_add(along), Some(v)));
            }
        }
        let (len_dm, last) = best?;
        Some(self.route_back(g, from, to, len_dm, last))
    }

    /// The street distance from `from` to `to` by A* (straight-line heuristic), settling at
    /// most `budget` vertices; `None` past the budget (the caller estimates instead).
    pub fn distance(&mut self, g: &Graph, from: &Snap, to: &Snap, budget: usize) -> Option<u32> {
        self.begin(g);
        let te = g.edges[to.edge as usize];
        let cos = to.at.lat().to_radians().cos();
        let goal = crate::graph::planar(to.at, cos);
        let h = |v: u32| {
            let p = crate::graph::planar(g.vertices[v as usize], cos);
            // Decimetres, rounded down: never more than the true remaining distance.
            (((p[0] - goal[0]).powi(2) + (p[1] - goal[1]).powi(2)).sqrt() * 10.0) as u32
        };
        let e = g.edges[from.edge as usize];
        let mut best = (from.edge == to.edge).then(|| from.offset_dm.abs_diff(to.offset_dm));
        let push = |me: &mut Self, v: u32, d: u32| {
            if d < me.get(v) {
                me.dist[v as usize] = d;
                me.stamp[v as usize] = me.generation;
                me.heap.push(Reverse((d.saturating_add(h(v)), v)));
            }
        };
        push(self, e.a, from.offset_dm);
        push(self, e.b, e.len_dm.saturating_sub(from.offset_dm));
        let mut settled = 0;
        while let Some(Reverse((f, u))) = self.heap.pop() {
            let d = self.get(u);
            if f > d.saturating_add(h(u)) {
                continue;
            }
            if best.is_some_and(|b| f >= b) {
                break;
            }
            settled += 1;
            if settled > budget {
                return None;
            }
            if u == te.a || u == te.b {
                let total = d.saturating_add(te.to_end(u, to.offset_dm));
                best = Some(best.map_or(total, |b| b.min(total)));
            }
            for &ei in g.incident(u) {
                let e = &g.edges[ei as usize];
                let v = if e.a == u { e.b } else { e.a };
                push(self, v, d.saturating_add(e.len_dm));
            }
        }
        best
    }
}

impl Route {
    /// The same walk the other way.
    pub fn reversed(self) -> Route {
        Route {
            len_dm: self.len_dm,
            from: self.to,
            to: self.from,
            edges: self.edges.into_iter().rev().map(|(e, f)| (e, !f)).collect(),
            via: self.via.map(|(a, b)| (b, a)),
        }
    }
}
