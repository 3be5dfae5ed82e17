//! The tables of walks to stops built at load give what a search per query gives: the same
//! stops at the same distances from any point, for walkers and for wheelchairs, and walks to
//! them that follow the graph's edges end to end and are as long as the shortest path found
//! by the point-to-point search (A*).

use crate::extract;
use streets::graph::{Graph, flags};
use streets::{Route, Search, Streets, StreetsConfig};
use timetable::Coord;

fn c(lat: f64, lon: f64) -> Coord {
    Coord::new(lat, lon).unwrap()
}

/// A fixed pseudo-random sequence in [0, 1).
fn sequence(seed: u64) -> impl FnMut() -> f64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 100_000) as f64 / 100_000.0
    }
}

/// The length of a route added up from its edges, and whether consecutive edges meet.
fn walked_dm(g: &Graph, r: &Route) -> u32 {
    let Some((first, last)) = r.via else {
        return r.from.offset_dm.abs_diff(r.to.offset_dm);
    };
    let fe = g.edges[r.from.edge as usize];
    assert!(
        first == fe.a || first == fe.b,
        "the walk leaves its first edge by an end"
    );
    // A loop (a closed footway) is left the short way round.
    let mut len = fe.to_end(first, r.from.offset_dm);
    let mut v = first;
    for &(e, forward) in &r.edges {
        let ed = g.edges[e as usize];
        let (from, to) = if forward { (ed.a, ed.b) } else { (ed.b, ed.a) };
        assert_eq!(from, v, "edge {e} does not start where the last one ended");
        len += ed.len_dm;
        v = to;
    }
    assert_eq!(v, last);
    let te = g.edges[r.to.edge as usize];
    assert!(
        last == te.a || last == te.b,
        "the walk joins its last edge by an end"
    );
    len + te.to_end(last, r.to.offset_dm)
}

#[test]
fn tables_give_the_stops_and_walks_a_search_gives() {
    // 1,500 "stops" spread over the extract, and tables up to 520 m.
    let (lat0, lat1, lon0, lon1) = (-23.58, -23.49, -46.69, -46.60);
    let mut next = sequence(0x7AB1E);
    let stops: Vec<Coord> = (0..1_500)
        .map(|_| c(lat0 + (lat1 - lat0) * next(), lon0 + (lon1 - lon0) * next()))
        .collect();
    let st = Streets::build(extract(), &stops, StreetsConfig::default()).with_access_tables(520.0);
    let g = &st.graph;
    assert!(st.tables[0].len() > 1_000 && st.tables[1].len() > 1_000);
    let mut search = Search::new(g);
    let mut legs = Search::new(g);
    let (mut compared, mut walks, mut via_steps) = (0, 0, 0);
    for i in 0..300 {
        let at = c(lat0 + (lat1 - lat0) * next(), lon0 + (lon1 - lon0) * next());
        let wheelchair = i % 3 == 0;
        let Some(src) = st.snap(at, wheelchair) else {
            continue;
        };
        let on = if wheelchair {
            &st.stops_step_free
        } else {
            &st.stops
        };
        let table = &st.tables[usize::from(wheelchair)];
        for bound_dm in [5_200, 3_000] {
            let mut searched = search.stops_within(g, on, &src, bound_dm, wheelchair);
            searched.sort_unstable();
            let tabled = table
                .stops_within(g, on, &src, bound_dm, wheelchair)
                .expect("within the tables' bound");
            assert_eq!(tabled, searched, "from {at:?} (wheelchair {wheelchair})");
            compared += 1;
            if bound_dm < 5_200 {
                continue;
            }
            for &(stop, d) in &tabled {
                let r = table
                    .route(g, on, &src, stop, wheelchair)
                    .expect("a stop found has a walk");
                assert_eq!(r.len_dm, d);
                assert_eq!(
                    walked_dm(g, &r),
                    d,
                    "the edges add up to the distance: {r:?} {:?} {:?}",
                    g.edges[r.from.edge as usize],
                    g.edges[r.to.edge as usize]
                );
                let to = on.snaps[stop as usize].unwrap();
                let p = legs
                    .path(g, &src, &to, 6_000, wheelchair)
                    .expect("A* finds it too");
                assert_eq!(p.len_dm, d, "A* and the tables disagree on a shortest walk");
                // The line drawn is the walk measured (a loop is drawn the short way round).
                let line = streets::steps::walk(g, &r).points;
                let drawn: f64 = line.windows(2).map(|w| w[0].distance_m(w[1])).sum();
                assert!(
                    (drawn - f64::from(d) / 10.0).abs() <= 1.0 + 0.1 * r.edges.len() as f64,
                    "drawn {drawn:.1} m for a walk of {} m",
                    f64::from(d) / 10.0
                );
                let edges = r.edges.iter().map(|e| e.0).chain([r.from.edge, r.to.edge]);
                let steps = edges
                    .filter(|&e| g.edges[e as usize].flags & flags::NO_WHEELCHAIR != 0)
                    .count();
                assert!(!wheelchair || steps == 0, "a wheelchair walk over steps");
                via_steps += steps;
                walks += 1;
            }
        }
        // Past the bound they were built for, the tables say so (the caller searches).
        assert!(table.stops_within(g, on, &src, 5_201, wheelchair).is_none());
        assert!(table.stops_within(g, on, &src, 100, !wheelchair).is_none());
    }
    assert!(compared > 200, "{compared} points compared");
    eprintln!("{compared} comparisons, {walks} walks, {via_steps} over steps");
    assert!(walks > 500, "{walks} walks compared");
    assert!(
        via_steps > 0,
        "no walk over steps: the wheelchair check saw nothing"
    );
}

#[test]
fn without_tables_the_search_answers() {
    let stop = c(-23.5615, -46.6560);
    let st = Streets::build(extract(), &[stop], StreetsConfig::default());
    let mut search = Search::new(&st.graph);
    let near = st
        .stops_near(&mut search, c(-23.5618, -46.6563), 520.0, false)
        .expect("on the streets");
    assert_eq!(near.len(), 1);
    let tabled = st.with_access_tables(520.0);
    let mut search = Search::new(&tabled.graph);
    let again = tabled
        .stops_near(&mut search, c(-23.5618, -46.6563), 520.0, false)
        .expect("on the streets");
    assert_eq!(near, again);
}
