//! After warm-up, a query allocates nothing but its result: one vector of journeys and one
//! vector of legs per journey. Counted per thread by the `allocation-counter` allocator.

use raptor::{Options, Request, Scratch, StopWalk, search};
use timetable::Day;

/// Heap allocations (and reallocations) the closure makes on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let mut out = None;
    let info = allocation_counter::measure(|| out = Some(f()));
    (out.expect("ran"), info.count_total)
}

#[test]
fn a_warm_query_allocates_only_its_result() {
    let tt = timetable::text::parse(
        "stop C -16.40,-71.50\nstop C2 -16.4002,-71.50\n\
         route Slow: A 08:00 D 09:00\n\
         route R1: A 08:00 B 08:05 C 08:10\n\
         freq R2 every 5m from 06:00 to 10:00: C2 0:00 D 0:10\n\
         route R3: B 08:06 E 08:20\n",
    )
    .unwrap();
    let mut sc = Scratch::new(&tt);
    let walk = |id: &str| {
        [StopWalk {
            stop: tt.stop_by_id(id).unwrap(),
            duration: 0,
            distance_m: 0,
        }]
    };
    let (a, d) = (walk("A"), walk("D"));
    let opts = Options::default();
    for arrive_by in [false, true] {
        let req = Request {
            day: Day::parse("20261123").unwrap(),
            time: if arrive_by { 9 * 3600 } else { 7 * 3600 + 3000 },
            arrive_by,
            access: &a,
            egress: &d,
        };
        let warm = search(&tt, &mut sc, &req, &opts);
        // Depart-at: the direct ride and a faster transfer. Arrive-by: both leave at 08:00, so
        // only the direct ride is Pareto-optimal (latest departure, fewest rides).
        assert_eq!(warm.len(), if arrive_by { 1 } else { 2 }, "{warm:?}");
        let (again, n) = allocations(|| search(&tt, &mut sc, &req, &opts));
        assert_eq!(again, warm);
        assert_eq!(
            n,
            1 + again.len() as u64,
            "arrive_by={arrive_by}: the journeys vector and one legs vector per journey"
        );
    }
}
