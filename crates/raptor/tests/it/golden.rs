//! Golden tests in paradero's text format (`timetable::text`): a timetable, a query, the
//! expected journeys.
//!
//! Query: `A -> D at 07:55 [on 20261123] [arrive-by] [wheelchair|wheelchair-strict]
//! [max-transfers N] [slack 2m] [walk 2.5]` (the last: the rider's walking speed, m/s). Expected: journeys separated by ` | `, each as its legs
//! separated by `; `: rides `R1 A 08:00 - C 08:10`, walks between stops `walk B C 3m`.

use raptor::{Leg, Options, Place, Request, Scratch, StopWalk, Wheelchair, search};
use timetable::text::{parse, parse_duration};
use timetable::{Day, Hm, Timetable, time::parse_clock};

fn hm(t: i32) -> String {
    if t < 0 {
        format!("-{}", Hm((-t) as u32))
    } else {
        Hm(t as u32).to_string()
    }
}

fn describe(tt: &Timetable, j: &raptor::Journey) -> String {
    let mut parts = Vec::new();
    for l in &j.legs {
        match l {
            Leg::Ride(r) => parts.push(format!(
                "{} {} {} - {} {}",
                tt.route(tt.pattern(r.pattern).route).short_name,
                tt.stop(r.board_stop).id,
                hm(r.departure),
                tt.stop(r.alight_stop).id,
                hm(r.arrival)
            )),
            Leg::Walk {
                from: Place::Stop(a),
                to: Place::Stop(b),
                departure,
                arrival,
                ..
            } => parts.push(format!(
                "walk {} {} {}s",
                tt.stop(*a).id,
                tt.stop(*b).id,
                arrival - departure
            )),
            Leg::Walk { .. } => {}
        }
    }
    parts.join("; ")
}

fn check(timetable: &str, query: &str, expected: &str) {
    let tt = parse(timetable).unwrap_or_else(|e| panic!("timetable: {e}"));
    let words: Vec<&str> = query.split_whitespace().collect();
    let [from, "->", to, "at", time, rest @ ..] = words.as_slice() else {
        panic!("query `{query}`")
    };
    let mut opts = Options::default();
    let mut day = Day::parse("20261123").unwrap();
    let mut arrive_by = false;
    let mut it = rest.iter();
    while let Some(w) = it.next() {
        match *w {
            "arrive-by" => arrive_by = true,
            "wheelchair" => opts.wheelchair = Wheelchair::Accessible,
            "wheelchair-strict" => opts.wheelchair = Wheelchair::Strict,
            "on" => day = Day::parse(it.next().unwrap()).unwrap(),
            "max-transfers" => opts.max_transfers = it.next().unwrap().parse().unwrap(),
            "slack" => opts.transfer_slack = parse_duration(it.next().unwrap()).unwrap(),
            "walk" => opts.walking_speed_m_s = Some(it.next().unwrap().parse().unwrap()),
            other => panic!("unknown query word {other}"),
        }
    }
    let stop = |id: &str| StopWalk {
        stop: tt.stop_by_id(id).unwrap_or_else(|| panic!("stop {id}")),
        duration: 0,
        distance_m: 0,
    };
    let (access, egress) = ([stop(from)], [stop(to)]);
    let req = Request {
        day,
        time: parse_clock(time).unwrap() as i32,
        arrive_by,
        access: &access,
        egress: &egress,
    };
    let mut sc = Scratch::new(&tt);
    let got: Vec<String> = search(&tt, &mut sc, &req, &opts)
        .iter()
        .map(|j| describe(&tt, j))
        .collect();
    assert_eq!(
        got.join(" | "),
        expected,
        "\nquery: {query}\ntimetable:\n{timetable}"
    );
    // The scratch is reusable: the same query again gives the same answer.
    let again: Vec<String> = search(&tt, &mut sc, &req, &opts)
        .iter()
        .map(|j| describe(&tt, j))
        .collect();
    assert_eq!(
        again.join(" | "),
        expected,
        "second run on the same scratch"
    );
}

const TWO_ROUTES: &str = "route R1: A 08:00 B 08:05 C 08:10\nroute R2: C 08:12 D 08:20\n";

#[test]
fn guide_example() {
    check(
        TWO_ROUTES,
        "A -> D at 07:55",
        "R1 A 08:00 - C 08:10; R2 C 08:12 - D 08:20",
    );
    // Missed today's only run: tomorrow's (trips run every day), as hours past 24.
    check(TWO_ROUTES, "A -> C at 08:01", "R1 A 32:00 - C 32:10");
    check(
        TWO_ROUTES,
        "B -> D at 08:00",
        "R1 B 08:05 - C 08:10; R2 C 08:12 - D 08:20",
    );
}

#[test]
fn pareto_set_keeps_fewer_rides_when_slower() {
    let tt = "route Slow: A 08:00 B 08:50\nroute R1: A 08:00 C 08:10\nroute R2: C 08:12 B 08:25\n";
    check(
        tt,
        "A -> B at 07:50",
        "Slow A 08:00 - B 08:50 | R1 A 08:00 - C 08:10; R2 C 08:12 - B 08:25",
    );
    check(
        tt,
        "A -> B at 07:50 max-transfers 0",
        "Slow A 08:00 - B 08:50",
    );
}

#[test]
fn same_stop_transfer_slack() {
    let tt = "route R1: A 08:00 C 08:10\nroute R2: C 08:11 D 08:20\nroute R3: C 08:30 D 08:40\n";
    check(
        tt,
        "A -> D at 07:55",
        "R1 A 08:00 - C 08:10; R2 C 08:11 - D 08:20",
    );
    check(
        tt,
        "A -> D at 07:55 slack 2m",
        "R1 A 08:00 - C 08:10; R3 C 08:30 - D 08:40",
    );
}

#[test]
fn transfers_txt_min_time_and_forbidden() {
    let base = "route R1: A 08:00 C 08:10\nroute R2: C 08:12 D 08:20\nroute R3: C 08:30 D 08:40\n";
    check(
        &format!("{base}transfer C C 5m\n"),
        "A -> D at 07:55",
        "R1 A 08:00 - C 08:10; R3 C 08:30 - D 08:40",
    );
    check(&format!("{base}forbid C C\n"), "A -> D at 07:55", "");
    // A forbidden transfer leaves the direct alternative.
    check(
        &format!("{base}forbid C C\nroute Direct: A 08:00 D 09:00\n"),
        "A -> D at 07:55",
        "Direct A 08:00 - D 09:00",
    );
}

#[test]
fn walking_transfers_between_kerbs() {
    // C and C2 are 22 m apart: 22.2 m × 1.3 ÷ 1.2 m/s = a 25 s walk, plus 60 s slack.
    let tt = "stop C -16.40,-71.50\nstop C2 -16.4002,-71.50\nroute R1: A 08:00 C 08:10\nroute R2: C2 08:11:30 D 08:20\nroute R3: C2 08:11 D 08:19\n";
    check(
        tt,
        "A -> D at 07:55",
        "R1 A 08:00 - C 08:10; walk C C2 25s; R2 C2 08:11 - D 08:20",
    );
    // An explicit transfers.txt time replaces walk + slack.
    check(
        &format!("{tt}transfer C C2 30s\n"),
        "A -> D at 07:55",
        "R1 A 08:00 - C 08:10; walk C C2 30s; R3 C2 08:11 - D 08:19",
    );
    // Origin and destination at a stop may walk to the other kerb.
    check(
        tt,
        "C -> D at 08:05",
        "walk C C2 25s; R3 C2 08:11 - D 08:19",
    );
    check(
        tt,
        "A -> C2 at 07:55",
        "R1 A 08:00 - C 08:10; walk C C2 25s",
    );
}

#[test]
fn overnight_runs_on_both_sides_of_midnight() {
    let tt = "route Late days=20261122: A 23:50 B 24:20 C 25:10\nroute Early: A 05:00 C 05:30\n";
    // Sunday's run past midnight, boarded on Monday at B.
    check(tt, "B -> C at 00:10", "Late B 00:20 - C 01:10");
    // At 23:40 on Sunday: Sunday's late run.
    check(tt, "A -> C at 23:40 on 20261122", "Late A 23:50 - C 25:10");
    // At 23:55 on Sunday: missed; Monday's first run.
    check(tt, "A -> C at 23:55 on 20261122", "Early A 29:00 - C 29:30");
}

#[test]
fn arrive_by_finds_the_latest_departure() {
    let tt = "route R1: A 07:00 B 07:30\nroute R1: A 07:30 B 08:00\nroute R1: A 08:00 B 08:30\nroute R2: A 07:40 C 07:45\nroute R3: C 07:47 B 07:58\n";
    check(
        tt,
        "A -> B at 08:10 arrive-by",
        "R1 A 07:30 - B 08:00 | R2 A 07:40 - C 07:45; R3 C 07:47 - B 07:58",
    );
    check(
        tt,
        "A -> B at 08:10 arrive-by max-transfers 0",
        "R1 A 07:30 - B 08:00",
    );
    // Too early for today's runs: yesterday's last one (trips run every day).
    check(tt, "A -> B at 07:29 arrive-by", "R1 A -16:00 - B -15:30");
    // Across midnight: arrive by 00:20 on Monday with Sunday's late run.
    check(
        "route Late days=20261122: A 23:50 B 24:15\n",
        "A -> B at 00:20 arrive-by",
        "Late A -00:10 - B 00:15",
    );
}

#[test]
fn wheelchair_avoids_inaccessible_trips_and_stops() {
    let tt = "stop A -16.3,-71.5 wheelchair=yes\nstop C -16.6,-71.5 wheelchair=yes\nstop B -16.5,-71.5 wheelchair=no\n\
              route R1 wheelchair=no: A 08:00 C 08:10\n\
              route R1: A 08:20 C 08:30\n\
              route R2 wheelchair=yes: A 08:40 C 08:50\n\
              route Via: A 08:00 B 08:05 D 08:07\n";
    check(tt, "A -> C at 07:55", "R1 A 08:00 - C 08:10");
    check(tt, "A -> C at 07:55 wheelchair", "R1 A 08:20 - C 08:30");
    check(
        tt,
        "A -> C at 07:55 wheelchair-strict",
        "R2 A 08:40 - C 08:50",
    );
    // Riding through an inaccessible stop is fine; getting on or off there is not.
    check(tt, "A -> D at 07:55 wheelchair", "Via A 08:00 - D 08:07");
    check(tt, "A -> B at 07:55", "Via A 08:00 - B 08:05");
    check(tt, "A -> B at 07:55 wheelchair", "");
}

#[test]
fn pickup_and_drop_off_rules() {
    let tt = "route R: A 08:00 B[out] 08:05 C[in] 08:10 D 08:15\n";
    check(tt, "A -> B at 07:55", "R A 08:00 - B 08:05");
    check(tt, "C -> D at 07:55", "R C 08:10 - D 08:15");
    check(tt, "A -> C at 07:55", "");
    check(tt, "B -> D at 07:55", "");
}

#[test]
fn frequency_windows_and_their_end() {
    let tt = "freq F every 10m from 06:00 to 07:00: A 0:00 B 0:07\nfreq F every 30m from 07:00 to 08:00: A 0:00 B 0:07\n";
    check(tt, "A -> B at 06:01", "F A 06:10 - B 06:17");
    check(tt, "A -> B at 06:51", "F A 07:00 - B 07:07");
    // The last run of the 30 min window leaves at 07:30; the window ends at 08:00.
    check(tt, "A -> B at 07:31", "F A 30:00 - B 30:07");
    check(tt, "A -> B at 05:00", "F A 06:00 - B 06:07");
    // Inexact: a rider arriving after the start waits a whole headway.
    check(
        "freq G every 10m from 06:00 to 07:00 inexact: A 0:00 B 0:07\n",
        "A -> B at 06:01",
        "G A 06:11 - B 06:18",
    );
    check(
        "freq G every 10m from 06:00 to 07:00 inexact: A 0:00 B 0:07\n",
        "A -> B at 06:51",
        "G A 30:00 - B 30:07",
    );
    check(
        "freq G every 10m from 06:00 to 07:00 inexact: A 0:00 B 0:07\n",
        "A -> B at 06:40 arrive-by",
        "G A 06:33 - B 06:40",
    );
}

#[test]
fn calendar_exceptions_and_days_without_service() {
    let tt = "route R weekdays=mon-fri except=20261124: A 08:00 B 08:10\n";
    check(tt, "A -> B at 07:00", "R A 08:00 - B 08:10");
    check(tt, "A -> B at 07:00 on 20261124", "R A 32:00 - B 32:10");
    // Saturday: no service today or tomorrow; searches look one service day ahead.
    check(tt, "A -> B at 07:00 on 20261128", "");
}

#[test]
fn route_type_agency_and_walking_options() {
    use raptor::{Options, Request, Scratch, StopWalk, search};
    use timetable::Day;
    // R1 walks to R2 over 22 m; Alt is a slower direct ride.
    let tt = parse(
        "stop C -16.40,-71.50\nstop C2 -16.4002,-71.50\n\
         route R1: A 08:00 C 08:10\nroute R2: C2 08:11:30 D 08:20\nroute Alt: A 08:00 D 08:40\n",
    )
    .unwrap();
    let walk = |id: &str| {
        [StopWalk {
            stop: tt.stop_by_id(id).unwrap(),
            duration: 0,
            distance_m: 0,
        }]
    };
    let (a, d) = (walk("A"), walk("D"));
    let req = Request {
        day: Day::parse("20261123").unwrap(),
        time: 7 * 3600,
        arrive_by: false,
        access: &a,
        egress: &d,
    };
    let mut sc = Scratch::new(&tt);
    let arrivals = |opts: &Options, sc: &mut Scratch| {
        search(&tt, sc, &req, opts)
            .iter()
            .map(|j| (j.rides, j.arrival))
            .collect::<Vec<_>>()
    };
    let h = |hh: i32, mm: i32| hh * 3600 + mm * 60;
    assert_eq!(
        arrivals(&Options::default(), &mut sc),
        vec![(1, h(8, 40)), (2, h(8, 20))]
    );
    // Excluding the route type (bus = 3) leaves nothing; excluding the agency too.
    let no_bus = Options {
        excluded_route_types: vec![3],
        ..Options::default()
    };
    assert_eq!(arrivals(&no_bus, &mut sc), vec![]);
    let no_agency = Options {
        excluded_agencies: vec![tt.route(tt.route_by_id("R2").unwrap()).agency],
        ..Options::default()
    };
    assert_eq!(arrivals(&no_agency, &mut sc), vec![]);
    // Walking slowly (0.2 m/s: 22 m × 1.3 takes 145 s) misses R2: only the direct ride is left.
    let slow = Options {
        walking_speed_m_s: Some(0.2),
        ..Options::default()
    };
    assert_eq!(arrivals(&slow, &mut sc), vec![(1, h(8, 40))]);
    // A footpath longer than the per-leg limit is not walked.
    let short = Options {
        max_walk_leg_m: 10,
        ..Options::default()
    };
    assert_eq!(arrivals(&short, &mut sc), vec![(1, h(8, 40))]);
    // The total walking limit drops journeys that walk more.
    let total = Options {
        max_walk_total_m: 10,
        ..Options::default()
    };
    assert_eq!(arrivals(&total, &mut sc), vec![(1, h(8, 40))]);
}

#[test]
fn a_later_stop_catches_the_last_run_before_midnight() {
    // Runs start every 7 min from 00:00; the last one of the day at 23:55 is only 5 min
    // before the next day's first. A rider who reaches A at 23:57 boards the 00:00 run, but
    // at B (reached on foot at 00:04, i.e. 23:54 on the runs' clock) the 23:55 run is still
    // there, and it reaches C 5 min earlier. The scan must look for it although the headway
    // (7 min) says no earlier run can be that close.
    let tt = parse("freq F every 7m from 00:00 to 23:59: A 0:00 B 0:10 C 0:20\n").unwrap();
    let at = |id: &str, mins: u32| StopWalk {
        stop: tt.stop_by_id(id).unwrap(),
        duration: mins * 60,
        distance_m: mins * 60,
    };
    let (access, egress) = ([at("A", 7), at("B", 14)], [at("C", 0)]);
    let req = Request {
        day: Day::parse("20261123").unwrap(),
        time: 23 * 3600 + 50 * 60,
        arrive_by: false,
        access: &access,
        egress: &egress,
    };
    let opts = Options {
        max_walk_total_m: u32::MAX,
        ..Options::default()
    };
    let js = search(&tt, &mut Scratch::new(&tt), &req, &opts);
    let arrivals: Vec<i32> = js.iter().map(|j| j.arrival).collect();
    // 23:55 + 0:20 = 24:15.
    assert_eq!(arrivals, vec![24 * 3600 + 15 * 60], "{js:#?}");
}

#[test]
fn a_fast_walker_is_not_pruned_by_bounds_at_the_timetable_walking_speed() {
    // B and C are 133 m apart: 173 m walking, 145 s at the timetable's 1.2 m/s, 70 s at
    // 2.5 m/s. R2 (scanned first) reaches C at 08:11:40; R1 reaches B at 08:10. At 1.2 m/s
    // the walk from B arrives 08:12:25, too late; at 2.5 m/s it arrives 08:11:10, first. The
    // landmark bounds hold walking times at 1.2 m/s (B is 145 s from C): applied to the fast
    // walker they would drop the label at B.
    let tt = "stop A -16.45,-71.50\nstop B -16.400,-71.50\nstop C -16.4012,-71.50\n\
              route R2: A 08:00 C 08:11:40\nroute R1: A 08:00 B 08:10\n";
    check(tt, "A -> C at 07:55", "R2 A 08:00 - C 08:11");
    check(
        tt,
        "A -> C at 07:55 walk 2.5",
        "R1 A 08:00 - B 08:10; walk B C 70s",
    );
    // A slow walker keeps the direct ride.
    check(tt, "A -> C at 07:55 walk 0.7", "R2 A 08:00 - C 08:11");
}
