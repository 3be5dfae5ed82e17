//! Walking on real streets: an OpenStreetMap pedestrian graph for a city, with its stops
//! snapped to it, for paradero's walks — footpaths between stops, walks to and from the first
//! and last stop, and the street map and place names riders find their way by.
//!
//! - [`read`]: an `.osm.pbf` extract into an [`Extract`] (osmpbf, blocks decoded in parallel);
//! - [`Graph`]: the walkable ways as a CSR graph with `u32` ids, built in parallel;
//! - [`EdgeIndex`]: snapping a point to the nearest edge (split at the foot of the
//!   perpendicular), within a bound;
//! - [`Search`]: bounded Dijkstra from a point to every stop, or to one point with its path;
//!   reusable working memory, no allocation per query once warm;
//! - [`steps`]: a walk's line and turn-by-turn steps;
//! - [`places`]: the gazetteer (streets, corners, named places), typo-tolerant search and
//!   reverse geocoding;
//! - [`tiles`]: the street map, cut in tiles for the riders' page.
//!
//! Pure apart from reading the file: no network, no database, no async.

pub mod directory;
pub mod extract;
pub mod graph;
pub mod places;
pub mod read;
pub mod search;
pub mod snap;
pub mod steps;
pub mod synthetic;
pub mod tables;
pub mod tiles;

pub use directory::Directory;
pub use extract::Extract;
pub use graph::Graph;
pub use read::{ReadError, read};
pub use search::{Route, Search, StopsOnEdges};
pub use snap::{EdgeIndex, Snap};
pub use steps::{Step, Turn, Walk};
pub use tables::StopTables;

use rayon::prelude::*;
use timetable::Coord;
use timetable::footpaths::Walked;

/// How stops and points meet the streets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreetsConfig {
    /// A stop or a point farther than this from every walkable edge does not snap, metres:
    /// it keeps straight-line walks.
    pub snap_m: f64,
}

impl Default for StreetsConfig {
    fn default() -> Self {
        StreetsConfig { snap_m: 100.0 }
    }
}

/// A city's streets, with the stops of one timetable snapped to them.
#[derive(Debug)]
pub struct Streets {
    /// The pedestrian graph.
    pub graph: Graph,
    /// Its edges, indexed for snapping.
    pub index: EdgeIndex,
    /// The timetable's stops on the graph.
    pub stops: StopsOnEdges,
    /// Stops snapped the same way for wheelchairs (never to steps).
    pub stops_step_free: StopsOnEdges,
    /// The stops that did not snap, indexed by position: they keep straight-line walks.
    pub off_streets: (Vec<u32>, timetable::geo::PointIndex),
    /// Per vertex, the stops within the access bound and the way to each, on every edge and
    /// on step-free edges (empty until [`Streets::with_access_tables`]).
    pub tables: [StopTables; 2],
    /// Names riders search for.
    pub places: places::Gazetteer,
    /// The map's lines and areas.
    pub map: tiles::MapData,
    /// Parameters.
    pub config: StreetsConfig,
    /// Street distance ÷ straight line, the median over pairs of points of the city a few
    /// kilometres apart (1.3 where it cannot be measured): what a trip by road adds to the
    /// straight line here, for comparisons that cannot afford a search per query.
    pub detour: f64,
}

impl Streets {
    /// Builds the graph, the indexes and the gazetteer of `x`, and snaps `stops` to it.
    pub fn build(x: &Extract, stops: &[Coord], config: StreetsConfig) -> Streets {
        let stops_at = |i: u32| stops[i as usize];
        let graph = Graph::build(x);
        let index = EdgeIndex::new(&graph);
        let snap_all = |wheelchair: bool| {
            let snaps: Vec<Option<Snap>> = stops
                .par_iter()
                .map(|&c| index.snap(&graph, c, config.snap_m, wheelchair))
                .collect();
            StopsOnEdges::new(graph.edges.len(), snaps)
        };
        let (stops, stops_step_free) = (snap_all(false), snap_all(true));
        let off: Vec<u32> = (0..stops.snaps.len() as u32)
            .filter(|&i| stops.snaps[i as usize].is_none())
            .collect();
        let off_at: Vec<Coord> = off.iter().map(|&i| stops_at(i)).collect();
        let off_streets = (off, timetable::geo::PointIndex::new(&off_at));
        let places = places::Gazetteer::build(x, &graph);
        let map = tiles::MapData::build(x);
        let detour = measured_detour(&graph);
        Streets {
            graph,
            index,
            stops,
            stops_step_free,
            off_streets,
            tables: Default::default(),
            places,
            map,
            config,
            detour,
        }
    }

    /// Builds the tables of walks to stops up to `bound_m` (the planner's access bound, the
    /// access radius × the detour factor), so that access, egress and the walks to and from
    /// the first and last stop need no search per query (see [`tables`]).
    pub fn with_access_tables(mut self, bound_m: f64) -> Streets {
        let bound_dm = (bound_m.max(0.0) * 10.0).round() as u32;
        self.tables = [
            StopTables::build(&self.graph, &self.stops, bound_dm, false),
            StopTables::build(&self.graph, &self.stops_step_free, bound_dm, true),
        ];
        self
    }

    fn tables_for(&self, wheelchair: bool) -> &StopTables {
        &self.tables[usize::from(wheelchair)]
    }

    /// The stops that did not snap within `radius_m` of `at` in a straight line, with the
    /// distance (for their straight-line walks).
    pub fn off_streets_within(&self, at: Coord, radius_m: f64) -> Vec<(u32, f64)> {
        let (ids, index) = &self.off_streets;
        let mut near = index.within(at, radius_m);
        for (i, _) in &mut near {
            *i = ids[*i as usize];
        }
        near
    }

    /// Stops that did not snap to a street (they keep straight-line walks).
    pub fn unsnapped_stops(&self) -> usize {
        self.stops.snaps.iter().filter(|s| s.is_none()).count()
    }

    /// Street walks between stops of at most `bound_m`, per stop (`None` for a stop that did
    /// not snap), for the timetable's footpaths. Each stop is searched twice, on every way and
    /// on step-free ways; where the shortest walk has steps, the step-free one follows it.
    pub fn footpaths(&self, bound_m: f64) -> Vec<Option<Vec<Walked>>> {
        let bound_dm = (bound_m * 10.0).round() as u32;
        let n = self.stops.snaps.len();
        (0..n)
            .into_par_iter()
            .map_init(
                || Search::new(&self.graph),
                |search, s| {
                    let snap = self.stops.snaps[s]?;
                    let all = search.stops_within(&self.graph, &self.stops, &snap, bound_dm, false);
                    let free: Vec<(u32, u32)> = match self.stops_step_free.snaps[s] {
                        Some(fs) => search.stops_within(
                            &self.graph,
                            &self.stops_step_free,
                            &fs,
                            bound_dm,
                            true,
                        ),
                        None => Vec::new(),
                    };
                    // From each stop to its street and back: a walk is never shorter than the
                    // straight line between the stops.
                    let gap = |t: u32, all: &StopsOnEdges| {
                        all.snaps[t as usize].map_or(0, |x| (x.gap_m * 10.0).round() as u32)
                    };
                    let (own, own_free) = (
                        gap(s as u32, &self.stops),
                        gap(s as u32, &self.stops_step_free),
                    );
                    let mut out: Vec<Walked> = Vec::with_capacity(all.len() + 2);
                    for &(t, dm) in &all {
                        let step_free = free.iter().any(|&(u, fd)| u == t && fd == dm);
                        out.push(walked(t, dm + own + gap(t, &self.stops), step_free));
                    }
                    for &(t, dm) in &free {
                        if !out.iter().any(|w| w.to.0 == t && w.step_free) {
                            let d = dm + own_free + gap(t, &self.stops_step_free);
                            out.push(walked(t, d, true));
                        }
                    }
                    Some(out)
                },
            )
            .collect()
    }

    /// Snaps a point (for a wheelchair, never to steps).
    pub fn snap(&self, at: Coord, wheelchair: bool) -> Option<Snap> {
        self.index
            .snap(&self.graph, at, self.config.snap_m, wheelchair)
    }

    /// The stops a walk from `at` reaches within `bound_m`, with the distance to each; `None`
    /// when `at` is too far from any street (the caller walks in straight lines).
    pub fn stops_near(
        &self,
        search: &mut Search,
        at: Coord,
        bound_m: f64,
        wheelchair: bool,
    ) -> Option<Vec<(u32, u32)>> {
        self.stops_around(search, at, bound_m, wheelchair)
            .map(|(_, v)| v)
    }

    /// [`Streets::stops_near`], with the point's snap: `search` then holds the tree of walks
    /// from it, from which [`Streets::walk_to_stop`] reads the walk to any stop found.
    pub fn stops_around(
        &self,
        search: &mut Search,
        at: Coord,
        bound_m: f64,
        wheelchair: bool,
    ) -> Option<(Snap, Vec<(u32, u32)>)> {
        let snap = self.snap(at, wheelchair)?;
        let stops = self.stops_for(wheelchair);
        let bound_dm = ((bound_m - snap.gap_m).max(0.0) * 10.0).round() as u32;
        let gap_dm = (snap.gap_m * 10.0).round() as u32;
        let stop_gap =
            |t: u32| stops.snaps[t as usize].map_or(0, |x| (x.gap_m * 10.0).round() as u32);
        let near = match self.tables_for(wheelchair).stops_within(
            &self.graph,
            stops,
            &snap,
            bound_dm,
            wheelchair,
        ) {
            Some(near) => {
                // The walks are read from the tables: the tree `search` holds is not this one.
                search.forget(&self.graph);
                near
            }
            None => search.stops_within(&self.graph, stops, &snap, bound_dm, wheelchair),
        };
        let found = near
            .into_iter()
            .map(|(t, dm)| (t, (dm + gap_dm + stop_gap(t) + 5) / 10))
            .collect();
        Some((snap, found))
    }

    fn stops_for(&self, wheelchair: bool) -> &StopsOnEdges {
        if wheelchair {
            &self.stops_step_free
        } else {
            &self.stops
        }
    }

    /// The walk between the point searched from (`at`, snapped as `snap`) and stop `stop`,
    /// read from the tables or else from the tree `search` holds (see
    /// [`Streets::stops_around`]); `toward_point` turns it round (a walk from the stop to the
    /// point).
    pub fn walk_to_stop(
        &self,
        search: &Search,
        (at, snap): (Coord, &Snap),
        (stop, stop_at): (u32, Coord),
        wheelchair: bool,
        toward_point: bool,
    ) -> Option<Walk> {
        let ss = self
            .stops_for(wheelchair)
            .snaps
            .get(stop as usize)
            .copied()
            .flatten()?;
        let route = match self.tables_for(wheelchair).route(
            &self.graph,
            self.stops_for(wheelchair),
            snap,
            stop,
            wheelchair,
        ) {
            Some(r) => r,
            None => search.route_in_tree(&self.graph, snap, &ss, wheelchair)?,
        };
        let (route, a, b) = if toward_point {
            (route.reversed(), stop_at, at)
        } else {
            (route, at, stop_at)
        };
        Some(self.finish(&route, a, b))
    }

    /// A route's walk, with the way from each end point to its street.
    fn finish(&self, route: &Route, a: Coord, b: Coord) -> Walk {
        let mut w = steps::walk(&self.graph, route);
        let (ga, gb) = (route.from.gap_m, route.to.gap_m);
        if ga > 0.5 {
            w.points.insert(0, a);
        }
        if gb > 0.5 {
            w.points.push(b);
        }
        w.distance_m += (ga + gb).round() as u32;
        if let Some(first) = w.steps.first_mut() {
            first.distance_m += ga.round() as u32;
        }
        if let Some(last) = w.steps.last_mut() {
            last.distance_m += gb.round() as u32;
        }
        w
    }

    /// The walk from `a` to `b` along the streets (the way to and from each snapped point
    /// included), at most `bound_m`; `None` if either does not snap or nothing that short
    /// connects them.
    pub fn walk(
        &self,
        search: &mut Search,
        a: Coord,
        b: Coord,
        bound_m: f64,
        wheelchair: bool,
    ) -> Option<Walk> {
        let (sa, sb) = (self.snap(a, wheelchair)?, self.snap(b, wheelchair)?);
        let bound_dm = (bound_m * 10.0).round() as u32;
        let route = search.path(&self.graph, &sa, &sb, bound_dm, wheelchair)?;
        Some(self.finish(&route, a, b))
    }

    /// The walk between two stops along the streets, read from the tables (`None` beyond
    /// their bound, or for a stop off the streets: the caller searches).
    pub fn walk_between_stops(
        &self,
        (from, from_at): (u32, Coord),
        (to, to_at): (u32, Coord),
        wheelchair: bool,
    ) -> Option<Walk> {
        let stops = self.stops_for(wheelchair);
        let src = stops.snaps.get(from as usize).copied().flatten()?;
        let route = self
            .tables_for(wheelchair)
            .route(&self.graph, stops, &src, to, wheelchair)?;
        Some(self.finish(&route, from_at, to_at))
    }

    /// The street distance from `a` to `b` in metres (from each point to its street
    /// included), if both snap and the search settles it within `budget` vertices.
    pub fn distance_m(
        &self,
        search: &mut Search,
        a: Coord,
        b: Coord,
        budget: usize,
    ) -> Option<f64> {
        let (sa, sb) = (self.snap(a, false)?, self.snap(b, false)?);
        let dm = search.distance(&self.graph, &sa, &sb, budget)?;
        Some(f64::from(dm) / 10.0 + sa.gap_m + sb.gap_m)
    }

    /// Bytes held (graph, index estimate, gazetteer, map).
    pub fn heap_bytes(&self) -> usize {
        self.graph.heap_bytes()
            + self
                .tables
                .iter()
                .map(StopTables::heap_bytes)
                .sum::<usize>()
            + self.graph.points.len() * 48
            + self.places.heap_bytes()
            + self.map.heap_bytes()
    }
}

/// Pairs of vertices whose street distance [`measured_detour`] samples.
const DETOUR_SAMPLES: usize = 64;

/// The median street-distance ÷ straight-line ratio over vertex pairs 1–8 km apart, sampled
/// deterministically (1.3 if the graph is too small to tell).
fn measured_detour(g: &Graph) -> f64 {
    let n = g.vertices.len() as u64;
    if n < 2 {
        return 1.3;
    }
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n) as u32
    };
    let ratios: Vec<f64> = (0..DETOUR_SAMPLES * 8)
        .map(|_| (next(), next()))
        .filter(|&(a, b)| {
            let d = g.vertices[a as usize].distance_m(g.vertices[b as usize]);
            (1_000.0..=8_000.0).contains(&d)
        })
        .take(DETOUR_SAMPLES)
        .collect::<Vec<_>>()
        .into_par_iter()
        .filter_map(|(a, b)| {
            let mut search = Search::new(g);
            let snap = |v: u32| {
                let e = *g.incident(v).first()?;
                let ed = &g.edges[e as usize];
                Some(Snap {
                    edge: e,
                    offset_dm: if ed.a == v { 0 } else { ed.len_dm },
                    at: g.vertices[v as usize],
                    gap_m: 0.0,
                })
            };
            let (sa, sb) = (snap(a)?, snap(b)?);
            let dm = search.distance(g, &sa, &sb, usize::MAX)?;
            let straight = g.vertices[a as usize].distance_m(g.vertices[b as usize]);
            Some(f64::from(dm) / 10.0 / straight)
        })
        .collect();
    if ratios.len() < 8 {
        return 1.3;
    }
    let mut r = ratios;
    r.sort_by(f64::total_cmp);
    r[r.len() / 2]
}

fn walked(t: u32, dm: u32, step_free: bool) -> Walked {
    Walked {
        to: timetable::StopIdx(t),
        distance_m: (dm + 5) / 10,
        step_free,
    }
}
