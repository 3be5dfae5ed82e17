//! The pedestrian graph: vertices where walkable ways meet or end, edges between them with the
//! ways' shape points as geometry, in CSR (`u32` ids). Built from an [`Extract`] in parallel.
//!
//! Walkers go both ways along every edge (one-way rules are for vehicles). Lengths are whole
//! decimetres, so searches compare integers.

use crate::extract::{Extract, Pos, RoadClass};
use rayon::prelude::*;
use timetable::Coord;

/// Edge flags.
pub mod flags {
    /// Steps.
    pub const STAIRS: u8 = 1;
    /// Closed to wheelchairs (`wheelchair=no`, or steps).
    pub const NO_WHEELCHAIR: u8 = 2;
    /// A street crossing.
    pub const CROSSING: u8 = 4;
}

/// No name.
pub const NO_NAME: u32 = u32::MAX;

/// An edge between two vertices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    /// First vertex (where the geometry starts).
    pub a: u32,
    /// Second vertex (where it ends).
    pub b: u32,
    /// Length, decimetres (at least 1).
    pub len_dm: u32,
    /// Index into [`Graph::names`], or [`NO_NAME`].
    pub name: u32,
    /// [`flags`].
    pub flags: u8,
    /// The way's class.
    pub class: RoadClass,
    /// Its points (`a` first, `b` last) in [`Graph::points`].
    pub geom: (u32, u32),
}

impl Edge {
    /// From the point `offset_dm` along this edge to its end `v`, decimetres; on a loop
    /// (`a == b`, a closed footway) the nearer way round.
    pub fn to_end(&self, v: u32, offset_dm: u32) -> u32 {
        let back = self.len_dm.saturating_sub(offset_dm);
        if self.a == self.b {
            offset_dm.min(back)
        } else if v == self.a {
            offset_dm
        } else {
            back
        }
    }

    /// Where end `v` is along this edge (0 or its length); on a loop, the end nearer
    /// `offset_dm`, so that a walk from that point goes the short way round.
    pub fn end_offset(&self, v: u32, offset_dm: u32) -> u32 {
        let near_a = if self.a == self.b {
            offset_dm <= self.len_dm.saturating_sub(offset_dm)
        } else {
            v == self.a
        };
        if near_a { 0 } else { self.len_dm }
    }
}

/// The pedestrian graph.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Vertex positions.
    pub vertices: Vec<Coord>,
    /// Edges.
    pub edges: Vec<Edge>,
    /// Per vertex, `adj_start[v]..adj_start[v+1]` into `adj`.
    pub adj_start: Vec<u32>,
    /// Incident edges (each edge appears at both its vertices).
    pub adj: Vec<u32>,
    /// Shape points of all edges.
    pub points: Vec<Coord>,
    /// Street names.
    pub names: Vec<String>,
}

/// Planar metres near a reference latitude: good to a fraction of a percent over a city.
pub fn planar(c: Coord, cos_lat0: f64) -> [f64; 2] {
    const R: f64 = timetable::geo::EARTH_RADIUS_M;
    [
        c.lon().to_radians() * cos_lat0 * R,
        c.lat().to_radians() * R,
    ]
}

fn coord(p: Pos) -> Coord {
    Coord::new(p.lat(), p.lon()).unwrap_or_else(|_| Coord::new(0.0, 0.0).expect("origin"))
}

fn length_dm(points: &[Coord]) -> u32 {
    let m: f64 = points.windows(2).map(|w| w[0].distance_m(w[1])).sum();
    ((m * 10.0).round() as u32).max(1)
}

impl Graph {
    /// Builds the graph of the extract's walkable ways.
    pub fn build(x: &Extract) -> Graph {
        // Nodes used by walkable ways, as indices into the extract's node table.
        let walkable: Vec<(usize, Vec<u32>)> = x
            .ways
            .par_iter()
            .enumerate()
            .filter(|(_, w)| w.access.walk)
            .map(|(i, w)| {
                let idx: Vec<u32> = w
                    .nodes
                    .iter()
                    .filter_map(|&id| x.node_index(id).map(|n| n as u32))
                    .collect();
                (i, idx)
            })
            .filter(|(_, idx)| idx.len() >= 2)
            .collect();
        // A node is a vertex where a way ends or where two ways (or one way twice) pass.
        let mut uses = vec![0u8; x.nodes.len()];
        let mut ends = vec![false; x.nodes.len()];
        for (_, idx) in &walkable {
            for &n in idx {
                uses[n as usize] = uses[n as usize].saturating_add(1);
            }
            ends[idx[0] as usize] = true;
            ends[idx[idx.len() - 1] as usize] = true;
        }
        let mut vertex_of = vec![u32::MAX; x.nodes.len()];
        let mut vertices = Vec::new();
        for n in 0..x.nodes.len() {
            if ends[n] || uses[n] >= 2 {
                vertex_of[n] = vertices.len() as u32;
                vertices.push(coord(x.nodes[n].1));
            }
        }
        // Names, deduplicated.
        let mut names: Vec<String> = walkable
            .iter()
            .filter_map(|(i, _)| x.ways[*i].name.clone())
            .collect();
        names.par_sort_unstable();
        names.dedup();
        // Each way split at its vertices, in parallel.
        let pieces: Vec<(Vec<Edge>, Vec<Coord>)> = walkable
            .par_iter()
            .map(|(i, idx)| {
                let w = &x.ways[*i];
                let name = w
                    .name
                    .as_ref()
                    .and_then(|n| names.binary_search(n).ok())
                    .map_or(NO_NAME, |n| n as u32);
                let mut f = 0;
                if w.access.stairs {
                    f |= flags::STAIRS;
                }
                if w.access.no_wheelchair {
                    f |= flags::NO_WHEELCHAIR;
                }
                if w.access.crossing {
                    f |= flags::CROSSING;
                }
                let mut edges = Vec::new();
                let mut points: Vec<Coord> = Vec::new();
                let mut start = 0;
                for k in 1..idx.len() {
                    if vertex_of[idx[k] as usize] == u32::MAX {
                        continue;
                    }
                    let pts: Vec<Coord> = idx[start..=k]
                        .iter()
                        .map(|&n| coord(x.nodes[n as usize].1))
                        .collect();
                    let (a, b) = (vertex_of[idx[start] as usize], vertex_of[idx[k] as usize]);
                    if a != b || pts.len() > 2 {
                        edges.push(Edge {
                            a,
                            b,
                            len_dm: length_dm(&pts),
                            name,
                            flags: f,
                            class: w.class,
                            // Local offsets; made global when the pieces are joined.
                            geom: (points.len() as u32, pts.len() as u32),
                        });
                        points.extend(pts);
                    }
                    start = k;
                }
                (edges, points)
            })
            .collect();
        let mut edges = Vec::with_capacity(pieces.iter().map(|p| p.0.len()).sum());
        let mut points = Vec::with_capacity(pieces.iter().map(|p| p.1.len()).sum());
        for (es, ps) in pieces {
            let base = points.len() as u32;
            edges.extend(es.into_iter().map(|mut e| {
                e.geom.0 += base;
                e
            }));
            points.extend(ps);
        }
        let (adj_start, adj) = csr(vertices.len(), &edges);
        Graph {
            vertices,
            edges,
            adj_start,
            adj,
            points,
            names,
        }
    }

    /// The edges at vertex `v`.
    pub fn incident(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.adj[self.adj_start[v] as usize..self.adj_start[v + 1] as usize]
    }

    /// An edge's points, from `a` to `b`.
    pub fn geometry(&self, e: u32) -> &[Coord] {
        let (s, n) = self.edges[e as usize].geom;
        &self.points[s as usize..(s + n) as usize]
    }

    /// An edge's name, if it has one.
    pub fn name(&self, e: u32) -> Option<&str> {
        let n = self.edges[e as usize].name;
        (n != NO_NAME).then(|| self.names[n as usize].as_str())
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.vertices.capacity() * size_of::<Coord>()
            + self.edges.capacity() * size_of::<Edge>()
            + (self.adj_start.capacity() + self.adj.capacity()) * 4
            + self.points.capacity() * size_of::<Coord>()
            + self.names.iter().map(String::capacity).sum::<usize>()
    }
}

fn csr(n: usize, edges: &[Edge]) -> (Vec<u32>, Vec<u32>) {
    let mut degree = vec![0u32; n + 1];
    for e in edges {
        degree[e.a as usize] += 1;
        if e.b != e.a {
            degree[e.b as usize] += 1;
        }
    }
    let mut start = Vec::with_capacity(n + 1);
    let mut acc = 0u32;
    for d in &degree[..n] {
        start.push(acc);
        acc += d;
    }
    start.push(acc);
    let mut fill = start.clone();
    let mut adj = vec![0u32; acc as usize];
    for (i, e) in edges.iter().enumerate() {
        adj[fill[e.a as usize] as usize] = i as u32;
        fill[e.a as usize] += 1;
        if e.b != e.a {
            adj[fill[e.b as usize] as usize] = i as u32;
            fill[e.b as usize] += 1;
        }
    }
    (start, adj)
}
