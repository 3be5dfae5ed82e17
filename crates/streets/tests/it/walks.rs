//! Walks on the São Paulo extract: they follow the graph's edges, are never shorter than the
//! straight line and stay within a bound of it; a known pair's distance equals the path
//! worked out by hand from the extract's own nodes; wheelchairs avoid steps.

use crate::{extract, streets};
use streets::graph::flags;
use streets::{Search, Turn};
use timetable::Coord;

fn c(lat: f64, lon: f64) -> Coord {
    Coord::new(lat, lon).unwrap()
}

/// Distance from `p` to the nearest segment of any edge, metres (brute force, not the index).
fn off_graph_m(g: &streets::Graph, p: Coord) -> f64 {
    let cos = p.lat().to_radians().cos();
    let q = streets::graph::planar(p, cos);
    g.points
        .windows(2)
        .map(|w| {
            let (a, b) = (
                streets::graph::planar(w[0], cos),
                streets::graph::planar(w[1], cos),
            );
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l2 = dx * dx + dy * dy;
            let t = if l2 > 0.0 {
                (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            ((q[0] - a[0] - t * dx).powi(2) + (q[1] - a[1] - t * dy).powi(2)).sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn walks_follow_edges_and_are_never_shorter_than_the_straight_line() {
    let st = streets();
    let g = &st.graph;
    let mut search = Search::new(g);
    // Pairs of points spread over the extract (a fixed pseudo-random sequence).
    let (lat0, lat1, lon0, lon1) = (-23.58, -23.49, -46.69, -46.60);
    let mut x: u64 = 0x5EED;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 10_000) as f64 / 10_000.0
    };
    let mut checked = 0;
    let mut ratios = Vec::new();
    for _ in 0..600 {
        let a = c(lat0 + (lat1 - lat0) * next(), lon0 + (lon1 - lon0) * next());
        let b = c(
            a.lat() + (next() - 0.5) * 0.02,
            a.lon() + (next() - 0.5) * 0.02,
        );
        let Some(w) = st.walk(&mut search, a, b, 5_000.0, false) else {
            continue;
        };
        checked += 1;
        let straight = a.distance_m(b);
        assert!(
            f64::from(w.distance_m) + 1.0 >= straight,
            "{a:?} → {b:?}: walk {} m, straight {straight:.0} m",
            w.distance_m
        );
        // Within the bound asked for; railways and rivers make some walks long, but most
        // follow the straight line closely (below).
        assert!(w.distance_m <= 5_000, "{a:?} → {b:?}: {} m", w.distance_m);
        if straight > 200.0 {
            ratios.push(f64::from(w.distance_m) / straight);
        }
        // Every point but the two endpoints (the places themselves) lies on an edge.
        for p in &w.points[1..w.points.len() - 1] {
            assert!(off_graph_m(g, *p) < 0.5, "{p:?} is off the graph");
        }
        // The steps add up to the walk.
        let steps: u32 = w.steps.iter().map(|s| s.distance_m).sum();
        assert!(
            steps.abs_diff(w.distance_m) <= w.steps.len() as u32 + 1,
            "{steps} vs {}",
            w.distance_m
        );
        assert_eq!(w.steps[0].turn, Turn::Depart);
    }
    assert!(checked > 150, "only {checked} walks found");
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    assert!(
        (1.0..=1.6).contains(&median),
        "median walk ÷ straight line {median:.2} over {} walks",
        ratios.len()
    );
}

#[test]
fn a_known_pair_is_as_long_as_the_path_worked_out_by_hand() {
    // Along Avenida Paulista between two of its nodes, from the extract's own way: the sum
    // of the great-circle lengths of its segments (no graph code involved).
    let x = extract();
    let way = x
        .ways
        .iter()
        .filter(|w| w.name.as_deref() == Some("Avenida Paulista") && w.access.walk)
        .max_by_key(|w| w.nodes.len())
        .expect("Avenida Paulista is in the extract");
    let pts: Vec<Coord> = way
        .nodes
        .iter()
        .map(|&id| {
            let p = x.pos(id).unwrap();
            c(p.lat(), p.lon())
        })
        .collect();
    let (i, j) = (0, pts.len() - 1);
    let by_hand: f64 = pts[i..=j].windows(2).map(|w| w[0].distance_m(w[1])).sum();
    assert!(by_hand > 200.0, "a stretch worth measuring: {by_hand} m");
    let st = streets();
    let w = st
        .walk(&mut Search::new(&st.graph), pts[i], pts[j], 5_000.0, false)
        .unwrap();
    // The avenue is straight here: nothing shorter exists, and the walk is that stretch.
    assert!(
        (f64::from(w.distance_m) - by_hand).abs() <= 1.5,
        "walk {} m, by hand {by_hand:.1} m",
        w.distance_m
    );
    assert!(
        w.steps
            .iter()
            .any(|s| s.street.as_deref() == Some("Avenida Paulista"))
    );
}

#[test]
fn wheelchairs_avoid_steps_and_others_may_take_them() {
    let st = streets();
    let g = &st.graph;
    let mut search = Search::new(g);
    let mut avoided = 0;
    for (i, e) in g
        .edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.flags & flags::STAIRS != 0)
    {
        let (a, b) = (g.vertices[e.a as usize], g.vertices[e.b as usize]);
        let (Some(sa), Some(sb)) = (st.snap(a, false), st.snap(b, false)) else {
            continue;
        };
        let walker = search.path(g, &sa, &sb, 20_000, false);
        if let Some(r) = search.path(g, &sa, &sb, 20_000, true) {
            assert!(
                r.edges
                    .iter()
                    .map(|(e, _)| *e)
                    .chain([r.from.edge, r.to.edge])
                    .all(|e| g.edges[e as usize].flags & flags::NO_WHEELCHAIR == 0),
                "a wheelchair walk over steps (edge {i})"
            );
            assert!(r.len_dm >= walker.as_ref().unwrap().len_dm);
            avoided += 1;
        }
        let _ = i;
    }
    assert!(avoided >= 5, "steps with a step-free way around: {avoided}");
}

#[test]
fn a_stop_far_from_any_street_does_not_snap() {
    let st = streets::Streets::build(
        extract(),
        &[c(-23.5615, -46.6560), c(-23.0, -46.0)],
        streets::StreetsConfig::default(),
    );
    assert!(st.stops.snaps[0].is_some());
    assert!(st.stops.snaps[1].is_none());
    assert_eq!(st.unsnapped_stops(), 1);
    // Only the stop off the streets is offered a straight-line walk, by its own index.
    let near = st.off_streets_within(c(-23.0005, -46.0), 400.0);
    assert_eq!(near.len(), 1, "{near:?}");
    assert_eq!(near[0].0, 1);
    assert!((near[0].1 - 55.6).abs() < 1.0, "{near:?}");
    assert!(
        st.off_streets_within(c(-23.5615, -46.6560), 400.0)
            .is_empty()
    );
}
