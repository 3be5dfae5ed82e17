//! Walking transfers between nearby stops, merged with `transfers.txt`.
//!
//! OSM-derived feeds put the two kerbs of a street 10–30 m apart as different stops, so without
//! generated footpaths routes almost never connect. We link every pair of stops closer than
//! `radius_m` (straight line × `detour_factor` ÷ `walking_speed_m_s`).
//!
//! RAPTOR relaxes one footpath per round, so the footpath relation must be *closed*: whenever
//! a→b and b→c can be walked within the limits, a direct a→c no slower must exist. Generated
//! footpaths are closed by the triangle inequality: a chain a→b→c shorter than the radius
//! implies d(a,c) < radius, so the direct footpath exists and is no longer. Explicit
//! `transfers.txt` times break that metric argument, so when a feed has any we close the
//! relation with a bounded Dijkstra from every stop, bounded by the longest explicit transfer
//! plus the longest generated walk (one transfer and a step to the other kerb).

use crate::geo::{Coord, PointIndex};
use crate::{Footpath, SameStopTransfer, Secs, StopIdx};
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Walking parameters used to generate footpaths.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FootpathConfig {
    /// Stops closer than this (straight line, metres) are linked.
    pub radius_m: f64,
    /// Walking distance ÷ straight-line distance.
    pub detour_factor: f64,
    /// Metres per second.
    pub walking_speed_m_s: f64,
}

impl Default for FootpathConfig {
    fn default() -> Self {
        FootpathConfig {
            radius_m: 150.0,
            detour_factor: 1.3,
            walking_speed_m_s: 1.2,
        }
    }
}

impl FootpathConfig {
    /// Walking distance (metres, detour included) for a straight-line distance.
    pub fn walk_distance(&self, straight_m: f64) -> f64 {
        straight_m * self.detour_factor
    }
    /// Walking time, whole seconds rounded up, for a straight-line distance.
    pub fn walk_time(&self, straight_m: f64) -> Secs {
        (self.walk_distance(straight_m) / self.walking_speed_m_s).ceil() as Secs
    }
}

/// A `transfers.txt` rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    /// Type 0: a recommended transfer point; walking time from the distance.
    Recommended,
    /// Type 1: a timed transfer; the departing vehicle waits (walking time still applies
    /// between distinct stops).
    Timed,
    /// Type 2: at least this many seconds.
    MinTime(Secs),
    /// Type 3: not possible.
    Forbidden,
}

/// A stop-to-stop rule from `transfers.txt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferSpec {
    /// From stop.
    pub from: StopIdx,
    /// To stop (may equal `from`: a rule for changing vehicles at one stop).
    pub to: StopIdx,
    /// What the rule says.
    pub kind: TransferKind,
}

/// Footpaths as CSR (`start[s]..start[s+1]` into `paths`), plus same-stop rules.
#[derive(Debug, Clone, Default)]
pub struct Footpaths {
    /// Offsets per stop, length stops + 1.
    pub start: Vec<u32>,
    /// Footpaths, grouped by origin, sorted by duration.
    pub paths: Vec<Footpath>,
    /// Rule for changing vehicles at each stop.
    pub same_stop: Vec<SameStopTransfer>,
}

/// A walk along the streets from one stop to another, measured by the street network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walked {
    /// Where it leads.
    pub to: StopIdx,
    /// Walking distance, metres.
    pub distance_m: u32,
    /// Whether a wheelchair can take it.
    pub step_free: bool,
}

/// Generates footpaths between `coords` within the configured radius and merges `transfers`.
pub fn build(
    coords: &[Coord],
    index: &PointIndex,
    transfers: &[TransferSpec],
    cfg: &FootpathConfig,
) -> Footpaths {
    build_walked(coords, index, transfers, cfg, None)
}

/// Straight-line footpaths from `s` to every stop closer than the radius (`skip` those a
/// street walk covers).
fn straight_from(
    s: usize,
    coords: &[Coord],
    index: &PointIndex,
    cfg: &FootpathConfig,
    skip: impl Fn(usize) -> bool,
) -> Vec<Footpath> {
    index
        .within(coords[s], cfg.radius_m)
        .into_iter()
        // "Closer than" the radius: 0 links nothing, not even stops at one point.
        .filter(|&(t, d)| t as usize != s && d < cfg.radius_m && !skip(t as usize))
        .map(|(t, d)| Footpath {
            to: StopIdx(t),
            duration: cfg.walk_time(d),
            distance_m: cfg.walk_distance(d).round() as u32,
            explicit: false,
            step_free: true,
        })
        .collect()
}

/// [`build`] with walks measured on the streets: `walked[s]` lists the street walks from a
/// stop that snapped to the street network (`None`: it did not, and keeps straight lines).
/// A street walk is linked when it is no longer than the radius × the detour factor, the
/// longest generated walk of the straight-line model. Pairs with an unsnapped stop keep the
/// straight line; the relation is then closed by a bounded Dijkstra (two metrics mixed break
/// the triangle argument), once over every footpath and once over the step-free ones.
pub fn build_walked(
    coords: &[Coord],
    index: &PointIndex,
    transfers: &[TransferSpec],
    cfg: &FootpathConfig,
    walked: Option<&[Option<Vec<Walked>>]>,
) -> Footpaths {
    let n = coords.len();
    let longest_m = cfg.walk_distance(cfg.radius_m);
    let snapped = |t: usize| walked.is_some_and(|w| w.get(t).is_some_and(Option::is_some));
    let mut adj: Vec<Vec<Footpath>> = (0..n)
        .into_par_iter()
        .map(
            |s| match walked.and_then(|w| w.get(s)).and_then(Option::as_ref) {
                None => straight_from(s, coords, index, cfg, |_| false),
                Some(list) => {
                    let mut out: Vec<Footpath> = list
                        .iter()
                        .filter(|w| {
                            w.to.idx() != s
                                && snapped(w.to.idx())
                                && f64::from(w.distance_m) <= longest_m
                                && cfg.radius_m > 0.0
                        })
                        .map(|w| Footpath {
                            to: w.to,
                            duration: (f64::from(w.distance_m) / cfg.walking_speed_m_s).ceil()
                                as Secs,
                            distance_m: w.distance_m,
                            explicit: false,
                            step_free: w.step_free,
                        })
                        .collect();
                    out.extend(straight_from(s, coords, index, cfg, snapped));
                    out
                }
            },
        )
        .collect();

    let mut same_stop = vec![SameStopTransfer::Default; n];
    let mut forbidden = Vec::new();
    let mut any_explicit = false;
    for t in transfers {
        if t.from == t.to {
            same_stop[t.from.idx()] = match t.kind {
                TransferKind::Recommended => SameStopTransfer::Default,
                TransferKind::Timed => SameStopTransfer::MinTime(0),
                TransferKind::MinTime(x) => SameStopTransfer::MinTime(x),
                TransferKind::Forbidden => SameStopTransfer::Forbidden,
            };
            continue;
        }
        let straight = coords[t.from.idx()].distance_m(coords[t.to.idx()]);
        let fp = match t.kind {
            TransferKind::Forbidden => {
                forbidden.push((t.from, t.to));
                continue;
            }
            TransferKind::Recommended | TransferKind::Timed => Footpath {
                to: t.to,
                duration: cfg.walk_time(straight),
                distance_m: cfg.walk_distance(straight).round() as u32,
                explicit: false,
                step_free: true,
            },
            TransferKind::MinTime(x) => Footpath {
                to: t.to,
                duration: x,
                distance_m: cfg.walk_distance(straight).round() as u32,
                explicit: true,
                step_free: true,
            },
        };
        any_explicit = true;
        let list = &mut adj[t.from.idx()];
        list.retain(|f| f.to != t.to);
        list.push(fp);
    }

    if any_explicit || walked.is_some() {
        // A rider may chain one explicit transfer with one short walk (to the other kerb).
        let longest = |explicit: bool| {
            adj.iter()
                .flatten()
                .filter(|f| f.explicit == explicit)
                .map(|f| f.duration)
                .max()
                .unwrap_or(0)
        };
        let bound = longest(false) + if any_explicit { longest(true) } else { 0 };
        adj = close_both(&adj, bound);
    }
    for (a, b) in forbidden {
        adj[a.idx()].retain(|f| f.to != b);
    }

    let mut start = Vec::with_capacity(n + 1);
    let mut paths = Vec::with_capacity(adj.iter().map(Vec::len).sum());
    start.push(0);
    for mut list in adj {
        list.sort_by_key(|f| (f.duration, f.to, !f.step_free));
        paths.extend(list);
        start.push(paths.len() as u32);
    }
    Footpaths {
        start,
        paths,
        same_stop,
    }
}

/// The closure over every footpath, plus, where its shortest walk to a stop is not
/// step-free, the shortest step-free one (the closure over the step-free footpaths).
fn close_both(adj: &[Vec<Footpath>], bound: Secs) -> Vec<Vec<Footpath>> {
    let all = close(adj, bound);
    if adj.iter().flatten().all(|f| f.step_free) {
        return all;
    }
    let free: Vec<Vec<Footpath>> = adj
        .iter()
        .map(|l| l.iter().filter(|f| f.step_free).copied().collect())
        .collect();
    let free = close(&free, bound);
    all.into_iter()
        .zip(free)
        .map(|(mut list, free)| {
            let extra: Vec<Footpath> = free
                .into_iter()
                .filter(|f| !list.iter().any(|a| a.to == f.to && a.step_free))
                .collect();
            list.extend(extra);
            list
        })
        .collect()
}

/// Shortest walks of at most `bound` seconds from every stop (bounded Dijkstra). A walk is
/// explicit if any part of it is, and step-free if every part is.
fn close(adj: &[Vec<Footpath>], bound: Secs) -> Vec<Vec<Footpath>> {
    (0..adj.len())
        .into_par_iter()
        .map(|s| {
            let mut best: HashMap<u32, Footpath> = HashMap::new();
            let mut heap = BinaryHeap::new();
            heap.push(Reverse((0u32, s as u32, 0u32, false, true)));
            let mut done: HashMap<u32, ()> = HashMap::new();
            while let Some(Reverse((d, v, dist, explicit, step_free))) = heap.pop() {
                if done.insert(v, ()).is_some() {
                    continue;
                }
                if v as usize != s {
                    best.insert(
                        v,
                        Footpath {
                            to: StopIdx(v),
                            duration: d,
                            distance_m: dist,
                            explicit,
                            step_free,
                        },
                    );
                }
                for f in &adj[v as usize] {
                    let nd = d + f.duration;
                    if nd <= bound && !done.contains_key(&f.to.0) {
                        heap.push(Reverse((
                            nd,
                            f.to.0,
                            dist + f.distance_m,
                            explicit || f.explicit,
                            step_free && f.step_free,
                        )));
                    }
                }
            }
            best.into_values().collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of_stops(n: usize, spacing_deg: f64) -> Vec<Coord> {
        (0..n)
            .map(|i| Coord::new(-16.4, -71.5 + i as f64 * spacing_deg).unwrap())
            .collect()
    }

    fn closed(fp: &Footpaths) -> bool {
        let longest = |e: bool| {
            fp.paths
                .iter()
                .filter(|f| f.explicit == e && f.distance_m > 0)
                .map(|f| f.duration)
                .max()
                .unwrap_or(0)
        };
        let bound = longest(true).max(longest(false));
        let n = fp.start.len() - 1;
        let out = |s: usize| &fp.paths[fp.start[s] as usize..fp.start[s + 1] as usize];
        (0..n).all(|a| {
            out(a).iter().all(|ab| {
                out(ab.to.idx())
                    .iter()
                    .filter(|bc| bc.to.idx() != a && ab.duration + bc.duration <= bound)
                    .all(|bc| {
                        out(a)
                            .iter()
                            .any(|ac| ac.to == bc.to && ac.duration <= ab.duration + bc.duration)
                    })
            })
        })
    }

    #[test]
    fn generated_footpaths_link_kerbs_and_are_closed() {
        // Stops every ~21 m along a street: each links to its neighbours within 150 m.
        let coords = line_of_stops(30, 0.0002);
        let idx = PointIndex::new(&coords);
        let cfg = FootpathConfig::default();
        let fp = build(&coords, &idx, &[], &cfg);
        let from0: Vec<u32> = fp.paths[fp.start[0] as usize..fp.start[1] as usize]
            .iter()
            .map(|f| f.to.0)
            .collect();
        assert_eq!(
            from0,
            (1..=7).collect::<Vec<_>>(),
            "stops within 150 m of stop 0, nearest first"
        );
        let f = fp.paths[fp.start[0] as usize];
        assert_eq!(f.duration, cfg.walk_time(coords[0].distance_m(coords[1])));
        assert!(closed(&fp));
    }

    #[test]
    fn a_zero_radius_links_no_stops_not_even_at_one_point() {
        let here = Coord::new(-16.4, -71.53).unwrap();
        let coords = vec![here, here, line_of_stops(1, 0.0002)[0]];
        let idx = PointIndex::new(&coords);
        let cfg = FootpathConfig {
            radius_m: 0.0,
            ..FootpathConfig::default()
        };
        let fp = build(&coords, &idx, &[], &cfg);
        assert!(fp.paths.is_empty(), "{:?}", fp.paths);
        // Just past the distance between two kerbs links them; exactly at it does not.
        let kerbs = line_of_stops(2, 0.0002);
        let d = kerbs[0].distance_m(kerbs[1]);
        let idx = PointIndex::new(&kerbs);
        for (radius, links) in [(d, 0), (d + 0.01, 2)] {
            let cfg = FootpathConfig {
                radius_m: radius,
                ..FootpathConfig::default()
            };
            assert_eq!(
                build(&kerbs, &idx, &[], &cfg).paths.len(),
                links,
                "radius {radius}"
            );
        }
    }

    #[test]
    fn explicit_transfers_override_forbid_and_are_closed() {
        let mut coords = line_of_stops(3, 0.0002);
        coords.push(Coord::new(-16.3, -71.5).unwrap()); // 11 km away
        let idx = PointIndex::new(&coords);
        let cfg = FootpathConfig::default();
        let t = |a: u32, b: u32, kind| TransferSpec {
            from: StopIdx(a),
            to: StopIdx(b),
            kind,
        };
        let fp = build(
            &coords,
            &idx,
            &[
                t(0, 3, TransferKind::MinTime(200)),
                t(0, 1, TransferKind::Forbidden),
                t(2, 2, TransferKind::MinTime(120)),
                t(1, 1, TransferKind::Forbidden),
            ],
            &cfg,
        );
        let out = |s: usize| &fp.paths[fp.start[s] as usize..fp.start[s + 1] as usize];
        assert!(
            out(0)
                .iter()
                .any(|f| f.to == StopIdx(3) && f.duration == 200 && f.explicit)
        );
        assert!(
            !out(0).iter().any(|f| f.to == StopIdx(1)),
            "forbidden transfer removed"
        );
        // Closure: 1 -> 0 -> 3 is one walk plus the explicit transfer.
        let walk10 = cfg.walk_time(coords[1].distance_m(coords[0]));
        assert!(
            out(1)
                .iter()
                .any(|f| f.to == StopIdx(3) && f.duration == walk10 + 200)
        );
        let walk20 = cfg.walk_time(coords[2].distance_m(coords[0]));
        assert!(
            out(2)
                .iter()
                .any(|f| f.to == StopIdx(3) && f.duration == walk20 + 200)
        );
        assert!(out(3).is_empty(), "nothing within reach of the far stop");
        // Not `closed(&fp)`: the forbidden 0 -> 1 is deliberately missing although 0 -> 2 -> 1 walks.
        assert_eq!(fp.same_stop[2], SameStopTransfer::MinTime(120));
        assert_eq!(fp.same_stop[1], SameStopTransfer::Forbidden);
        assert_eq!(fp.same_stop[0], SameStopTransfer::Default);
    }

    #[test]
    fn closure_adds_chains_through_explicit_transfers() {
        // 0 and 1 are 2 km apart but linked by an explicit 60 s transfer; 2 is next to 1.
        let coords = vec![
            Coord::new(-16.4, -71.5).unwrap(),
            Coord::new(-16.4, -71.48).unwrap(),
            Coord::new(-16.4, -71.4799).unwrap(),
        ];
        let idx = PointIndex::new(&coords);
        let cfg = FootpathConfig::default();
        let fp = build(
            &coords,
            &idx,
            &[TransferSpec {
                from: StopIdx(0),
                to: StopIdx(1),
                kind: TransferKind::MinTime(60),
            }],
            &cfg,
        );
        let out0 = &fp.paths[fp.start[0] as usize..fp.start[1] as usize];
        let walk12 = cfg.walk_time(coords[1].distance_m(coords[2]));
        assert!(
            out0.iter()
                .any(|f| f.to == StopIdx(2) && f.duration == 60 + walk12 && f.explicit),
            "{out0:?}"
        );
        assert!(closed(&fp));
    }

    #[test]
    fn street_walks_mixed_with_straight_lines_are_closed_for_walkers_and_wheelchairs() {
        // Six stops along a street; stop 5 did not snap (straight lines). The street walk
        // 0→1 has steps, with a longer step-free way round.
        let coords = line_of_stops(6, 0.0002);
        let idx = PointIndex::new(&coords);
        let cfg = FootpathConfig::default();
        let w = |to: u32, m: u32, step_free: bool| Walked {
            to: StopIdx(to),
            distance_m: m,
            step_free,
        };
        let mut walked: Vec<Option<Vec<Walked>>> = (0..5)
            .map(|s: u32| {
                Some(
                    (0..5u32)
                        .filter(|&t| t != s)
                        .map(|t| w(t, 25 * s.abs_diff(t), true))
                        .collect(),
                )
            })
            .collect();
        walked.push(None);
        for (a, b) in [(0usize, 1u32), (1, 0)] {
            let list = walked[a].as_mut().unwrap();
            list.retain(|x| x.to.0 != b);
            list.push(w(b, 20, false));
            list.push(w(b, 60, true));
        }
        let fp = build_walked(&coords, &idx, &[], &cfg, Some(&walked));
        assert!(closed(&fp));
        let out = |s: usize| &fp.paths[fp.start[s] as usize..fp.start[s + 1] as usize];
        // The shortest walk 0→1 has steps; a step-free one follows it.
        let to1: Vec<&Footpath> = out(0).iter().filter(|f| f.to == StopIdx(1)).collect();
        assert_eq!(to1.len(), 2, "{to1:?}");
        assert!(!to1[0].step_free && to1[1].step_free && to1[0].duration < to1[1].duration);
        // Closed over the step-free footpaths alone too.
        let only_free = {
            let mut start = vec![0u32];
            let mut paths = Vec::new();
            for s in 0..6 {
                paths.extend(out(s).iter().filter(|f| f.step_free).copied());
                start.push(paths.len() as u32);
            }
            Footpaths {
                start,
                paths,
                same_stop: fp.same_stop.clone(),
            }
        };
        assert!(closed(&only_free));
        // The unsnapped stop is linked by straight lines both ways.
        assert!(out(5).iter().any(|f| f.to == StopIdx(4)));
        assert!(out(4).iter().any(|f| f.to == StopIdx(5)));
    }
}
