//! Walks to stops, computed once at load: for every vertex of the graph, the stops within the
//! access bound along the streets, with the distance and the first edge of the shortest walk
//! toward each (a routing table per vertex, the union of one bounded search per stop).
//!
//! A query's access and egress then cost a snap and the merge of two short lists instead of a
//! search, and the walk to any stop found is read back edge by edge from the tables. A walk
//! from a point inside an edge leaves it by one of its ends, so the stops within `B` of the
//! point are exactly those within `B` of an end once the way to that end is added: the lists
//! give the same stops and distances as a search from the point (tested against it).

use crate::graph::Graph;
use crate::search::{Route, Search, StopsOnEdges};
use crate::snap::Snap;
use rayon::prelude::*;

const NONE: u32 = u32::MAX;

/// One stop in a vertex's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    stop: u32,
    /// From the vertex to the stop's point on its edge, decimetres.
    dist_dm: u32,
    /// The edge the shortest walk takes from the vertex toward the stop; `NONE` when the
    /// vertex is an end of the stop's own edge and the walk goes straight along it.
    next: u32,
}

/// Per vertex, the stops within `bound_dm` along usable edges (see the module).
#[derive(Debug, Clone, Default)]
pub struct StopTables {
    bound_dm: u32,
    wheelchair: bool,
    start: Vec<u32>,
    entries: Vec<Entry>,
}

impl StopTables {
    /// One bounded search from every snapped stop of `stops` (in parallel), gathered per
    /// vertex; for wheelchairs over step-free edges only.
    pub fn build(g: &Graph, stops: &StopsOnEdges, bound_dm: u32, wheelchair: bool) -> StopTables {
        let per_stop: Vec<Vec<(u32, u32, u32)>> = (0..stops.snaps.len())
            .into_par_iter()
            .map_init(
                || Search::new(g),
                |search, s| match stops.snaps[s] {
                    Some(snap) => search.tree(g, &snap, bound_dm, wheelchair),
                    None => Vec::new(),
                },
            )
            .collect();
        let n = g.vertices.len();
        let mut count = vec![0u32; n + 1];
        for t in &per_stop {
            for &(v, _, _) in t {
                count[v as usize] += 1;
            }
        }
        let mut start = Vec::with_capacity(n + 1);
        let mut acc = 0u32;
        for c in &count[..n] {
            start.push(acc);
            acc += c;
        }
        start.push(acc);
        drop(count);
        let mut fill = start.clone();
        let mut entries = vec![
            Entry {
                stop: 0,
                dist_dm: 0,
                next: NONE
            };
            acc as usize
        ];
        // Stops in increasing order, so each vertex's list is sorted by stop.
        for (stop, t) in per_stop.into_iter().enumerate() {
            for (v, dist_dm, next) in t {
                let slot = &mut fill[v as usize];
                entries[*slot as usize] = Entry {
                    stop: stop as u32,
                    dist_dm,
                    next,
                };
                *slot += 1;
            }
        }
        StopTables {
            bound_dm,
            wheelchair,
            start,
            entries,
        }
    }

    /// The bound the tables were built for, decimetres.
    pub fn bound_dm(&self) -> u32 {
        self.bound_dm
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no stop is in any list.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.start.len() * 4 + self.entries.len() * size_of::<Entry>()
    }

    fn list(&self, v: u32) -> &[Entry] {
        let v = v as usize;
        if v + 1 >= self.start.len() {
            return &[];
        }
        &self.entries[self.start[v] as usize..self.start[v + 1] as usize]
    }

    fn entry(&self, v: u32, stop: u32) -> Option<Entry> {
        let l = self.list(v);
        l.binary_search_by_key(&stop, |e| e.stop).ok().map(|i| l[i])
    }

    /// Every stop within `bound_dm` of `src` along the streets, with its distance (the same
    /// answer as [`Search::stops_within`]); `None` when the tables were built for a shorter
    /// bound or the other kind of walker (the caller searches instead).
    pub fn stops_within(
        &self,
        g: &Graph,
        stops: &StopsOnEdges,
        src: &Snap,
        bound_dm: u32,
        wheelchair: bool,
    ) -> Option<Vec<(u32, u32)>> {
        if bound_dm > self.bound_dm || wheelchair != self.wheelchair {
            return None;
        }
        if !crate::search::usable(g, src.edge, wheelchair) {
            return Some(Vec::new());
        }
        let e = g.edges[src.edge as usize];
        let mut found: Vec<(u32, u32)> = Vec::new();
        for &(t, o) in stops.on_edge(src.edge) {
            found.push((t, o.abs_diff(src.offset_dm)));
        }
        for (v, to_v) in [
            (e.a, src.offset_dm),
            (e.b, e.len_dm.saturating_sub(src.offset_dm)),
        ] {
            if to_v > bound_dm {
                continue;
            }
            for x in self.list(v) {
                found.push((x.stop, to_v.saturating_add(x.dist_dm)));
            }
        }
        found.retain(|&(_, d)| d <= bound_dm);
        found.sort_unstable();
        found.dedup_by_key(|x| x.0);
        Some(found)
    }

    /// The shortest walk from `src` to stop `stop` along the streets, read from the tables;
    /// `None` if the stop is not within the tables' bound of `src` (or did not snap).
    pub fn route(
        &self,
        g: &Graph,
        stops: &StopsOnEdges,
        src: &Snap,
        stop: u32,
        wheelchair: bool,
    ) -> Option<Route> {
        if wheelchair != self.wheelchair || !crate::search::usable(g, src.edge, wheelchair) {
            return None;
        }
        let to = stops.snaps.get(stop as usize).copied().flatten()?;
        let e = g.edges[src.edge as usize];
        let mut best: Option<(u32, Option<u32>)> =
            (src.edge == to.edge).then(|| (src.offset_dm.abs_diff(to.offset_dm), None));
        for (v, to_v) in [
            (e.a, src.offset_dm),
            (e.b, e.len_dm.saturating_sub(src.offset_dm)),
        ] {
            if let Some(x) = self.entry(v, stop) {
                let d = to_v.saturating_add(x.dist_dm);
                if best.is_none_or(|(b, _)| d < b) {
                    best = Some((d, Some(v)));
                }
            }
        }
        let (len_dm, first) = best?;
        let Some(first) = first else {
            return Some(Route {
                len_dm,
                from: *src,
                to,
                edges: Vec::new(),
                via: None,
            });
        };
        let mut edges = Vec::new();
        let mut v = first;
        loop {
            let x = self.entry(v, stop)?;
            if x.next == NONE {
                break;
            }
            let ed = g.edges[x.next as usize];
            let forward = ed.a == v;
            edges.push((x.next, forward));
            v = if forward { ed.b } else { ed.a };
            if edges.len() > g.edges.len() {
                return None;
            }
        }
        Some(Route {
            len_dm,
            from: *src,
            to,
            edges,
            via: Some((first, v)),
        })
    }
}
