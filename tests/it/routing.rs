//! RAPTOR against the independent oracle, on random small timetables and on the shipped feeds;
//! every journey also goes through the validator.

use paradero_tests::feeds_dir;
use paradero_tests::oracle::{OracleQuery, earliest_arrivals};
use paradero_tests::validate::validate;
use proptest::prelude::*;
use raptor::{Journey, Options, Request, Scratch, StopWalk, Wheelchair, search};
use timetable::{Coord, Day, StopIdx, Timetable};

const H: i32 = 3600;

/// Best arrival with at most r rides, from a Pareto set.
fn per_rides(js: &[Journey], max_rides: usize) -> Vec<Option<i64>> {
    (0..=max_rides)
        .map(|r| {
            if r == 0 {
                None
            } else {
                js.iter()
                    .filter(|j| j.rides as usize <= r)
                    .map(|j| i64::from(j.arrival))
                    .min()
            }
        })
        .collect()
}

fn wheel_code(w: Wheelchair) -> u8 {
    match w {
        Wheelchair::Off => 0,
        Wheelchair::Accessible => 1,
        Wheelchair::Strict => 2,
    }
}

/// Runs one forward query through RAPTOR, the validator and the oracle; returns a description
/// of any disagreement.
fn compare(
    tt: &Timetable,
    sc: &mut Scratch,
    req: &Request<'_>,
    opts: &Options,
    horizon: i64,
) -> Result<usize, String> {
    let js = search(tt, sc, req, opts);
    for j in &js {
        validate(tt, req, opts, j).map_err(|e| format!("invalid journey {j:?}: {e}"))?;
    }
    let max_rides = usize::from(opts.max_transfers) + 1;
    let q = OracleQuery {
        day: req.day,
        time: i64::from(req.time),
        access: req
            .access
            .iter()
            .map(|a| (a.stop, i64::from(a.duration)))
            .collect(),
        egress: req
            .egress
            .iter()
            .map(|a| (a.stop, i64::from(a.duration)))
            .collect(),
        max_rides,
        slack: i64::from(opts.transfer_slack),
        wheelchair: wheel_code(opts.wheelchair),
        horizon,
        walk_speed: own_speed(tt, opts),
    };
    let want = earliest_arrivals(tt, &q);
    let cap = i64::from(req.time) + horizon;
    let got: Vec<Option<i64>> = per_rides(&js, max_rides)
        .into_iter()
        .map(|x| x.filter(|&a| a <= cap))
        .collect();
    let want: Vec<Option<i64>> = want.into_iter().map(|x| x.filter(|&a| a <= cap)).collect();
    if got != want {
        return Err(format!(
            "earliest arrival per rides: raptor {got:?}, oracle {want:?}"
        ));
    }
    Ok(js.len())
}

/// The exposure of a journey recomputed from its legs, as `raptor::search_exposure` defines
/// it: each second waiting at a stop or walking weighted by the stop's rate (a walk between
/// stops by the mean of the two).
fn exposure_of(j: &Journey, rate: &[f64]) -> f64 {
    let mut e = 0.0;
    let mut at: Option<i32> = None;
    for leg in &j.legs {
        match *leg {
            raptor::Leg::Walk {
                from,
                to,
                departure,
                arrival,
                ..
            } => {
                let secs = f64::from(arrival - departure);
                let r = match (from, to) {
                    (raptor::Place::Stop(a), raptor::Place::Stop(b)) => {
                        (rate[a.idx()] + rate[b.idx()]) / 2.0
                    }
                    (raptor::Place::Stop(a), _) | (_, raptor::Place::Stop(a)) => rate[a.idx()],
                    _ => 0.0,
                };
                e += secs * r;
                at = Some(arrival);
            }
            raptor::Leg::Ride(r) => {
                let since = at.unwrap_or(r.ready);
                e += f64::from((r.departure - since).max(0)) * rate[r.board_stop.idx()];
                at = Some(r.arrival);
            }
        }
    }
    e
}

/// McRAPTOR over (arrival, exposure): without rates its earliest arrival is RAPTOR's (the
/// oracle's, through `compare`); with random rates every journey is valid, its exposure is
/// what its legs add up to, and none beats another on both.
fn compare_exposure(
    tt: &Timetable,
    sc: &mut Scratch,
    req: &Request<'_>,
    opts: &Options,
    seed: u64,
) -> Result<usize, String> {
    let n = tt.stops().len();
    let flat = raptor::search_exposure(tt, sc, req, opts, &vec![0.0; n]);
    let fastest = search(tt, sc, req, opts).iter().map(|j| j.arrival).min();
    let mc_fastest = flat.iter().map(|(j, _)| j.arrival).min();
    if fastest != mc_fastest {
        return Err(format!(
            "earliest arrival: raptor {fastest:?}, McRAPTOR without rates {mc_fastest:?}"
        ));
    }
    let mut x = seed | 1;
    let rate: Vec<f64> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            [0.0, 0.0, 0.5, 2.0, 6.0][(x % 5) as usize]
        })
        .collect();
    let set = raptor::search_exposure(tt, sc, req, opts, &rate);
    for (j, e) in &set {
        validate(tt, req, opts, j)
            .map_err(|err| format!("invalid McRAPTOR journey {j:?}: {err}"))?;
        let again = exposure_of(j, &rate);
        if (again - e).abs() > 1e-6 {
            return Err(format!(
                "exposure {e} but its legs add up to {again}: {j:?} {rate:?}"
            ));
        }
    }
    for (a, ea) in &set {
        for (b, eb) in &set {
            let beats = a.arrival <= b.arrival && ea <= eb && (a.arrival < b.arrival || ea < eb);
            if !std::ptr::eq(a, b) && beats {
                return Err(format!("{a:?} beats {b:?} on both"));
            }
        }
    }
    if set.first().map(|(j, _)| j.arrival) != fastest {
        return Err("with rates, the earliest arrival is no longer in the set".into());
    }
    Ok(set.len())
}

/// The query's walking speed, when it is not the timetable's (as `Options` documents).
fn own_speed(tt: &Timetable, opts: &Options) -> Option<f64> {
    let default = tt.footpath_config().walking_speed_m_s;
    opts.walking_speed_m_s
        .filter(|v| v.is_finite() && *v > 0.0 && (v - default).abs() > 1e-9)
}

/// Arrive-by: every journey is valid, and for each ride count the departure is the latest
/// from which the oracle still arrives in time.
fn compare_arrive_by(
    tt: &Timetable,
    sc: &mut Scratch,
    req: &Request<'_>,
    opts: &Options,
) -> Result<(), String> {
    let js = search(tt, sc, req, opts);
    for j in &js {
        validate(tt, req, opts, j).map_err(|e| format!("invalid arrive-by journey {j:?}: {e}"))?;
    }
    let max_rides = usize::from(opts.max_transfers) + 1;
    let deadline = i64::from(req.time);
    // Runs leaving after the deadline cannot help.
    let oracle = |t: i64| {
        earliest_arrivals(
            tt,
            &OracleQuery {
                day: req.day,
                time: t,
                access: req
                    .access
                    .iter()
                    .map(|a| (a.stop, i64::from(a.duration)))
                    .collect(),
                egress: req
                    .egress
                    .iter()
                    .map(|a| (a.stop, i64::from(a.duration)))
                    .collect(),
                max_rides,
                slack: i64::from(opts.transfer_slack),
                wheelchair: wheel_code(opts.wheelchair),
                horizon: (deadline - t).max(0) + 60,
                walk_speed: own_speed(tt, opts),
            },
        )
    };
    for r in 1..=max_rides {
        let Some(dep) = js
            .iter()
            .filter(|j| j.rides as usize <= r)
            .map(|j| i64::from(j.departure))
            .max()
        else {
            continue;
        };
        let at = oracle(dep)[r];
        if at.is_none_or(|a| a > deadline) {
            return Err(format!(
                "rides ≤ {r}: leaving at {dep} the oracle arrives at {at:?}, after {deadline}"
            ));
        }
        let later = oracle(dep + 1)[r];
        if later.is_some_and(|a| a <= deadline) {
            return Err(format!(
                "rides ≤ {r}: leaving at {} still arrives by {deadline} ({later:?}); {dep} is not the latest",
                dep + 1
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Random small timetables.

/// Stop-to-stop walks between stops `S{o}` and `S{d}` of a random timetable, or `None` when the
/// pair is not compared: the same stop, or stops a footpath apart (the answer is to walk, which
/// the planner offers; rides that merely end next to the origin are not compared).
fn stop_pair(tt: &Timetable, o: usize, d: usize) -> Option<([StopWalk; 1], [StopWalk; 1])> {
    let walk = |s: usize| {
        [StopWalk {
            stop: tt.stop_by_id(&format!("S{s}")).expect("generated stop"),
            duration: 0,
            distance_m: 0,
        }]
    };
    let (access, egress) = (walk(o), walk(d));
    let adjacent = tt
        .footpaths(access[0].stop)
        .iter()
        .any(|f| f.to == egress[0].stop);
    (o != d && !adjacent).then_some((access, egress))
}

#[derive(Debug, Clone)]
struct RandomRoute {
    stops: Vec<usize>,
    hops: Vec<u32>,
    dwell: Vec<u32>,
    kind: u8,
    starts: Vec<u32>,
    headway: u32,
    span: u32,
    days: u8,
    wheelchair: u8,
    flags: Vec<u8>,
}

fn route_strategy(n_stops: usize) -> impl Strategy<Value = RandomRoute> {
    (
        proptest::sample::subsequence((0..n_stops).collect::<Vec<_>>(), 2..=3).prop_shuffle(),
        proptest::collection::vec(1u32..15, 4),
        proptest::collection::vec(0u32..3, 5),
        0u8..4,
        prop_oneof![
            4 => proptest::collection::vec(6 * 60u32..9 * 60, 2..9),
            1 => proptest::collection::vec(22 * 60u32..27 * 60, 1..3),
        ],
        1u32..6,
        1u32..4,
        0u8..5,
        0u8..4,
        proptest::collection::vec(0u8..12, 5),
    )
        .prop_map(
            |(stops, hops, dwell, kind, starts, headway, span, days, wheelchair, flags)| {
                RandomRoute {
                    stops,
                    hops,
                    dwell,
                    kind,
                    starts,
                    headway: headway * 5,
                    span,
                    days,
                    wheelchair,
                    flags,
                }
            },
        )
}

fn hhmm(min: u32) -> String {
    format!("{}:{:02}", min / 60, min % 60)
}

fn timetable_text(
    coords: &[(u8, u8)],
    routes: &[RandomRoute],
    transfers: &[(usize, usize, u8)],
) -> String {
    let mut s = String::new();
    for (i, (a, b)) in coords.iter().enumerate() {
        let wc = ["", " wheelchair=yes", " wheelchair=no"][i % 3];
        s += &format!(
            "stop S{i} {:.4},{:.4}{wc}\n",
            -16.4 + f64::from(*a) * 0.0012,
            -71.5 + f64::from(*b) * 0.0012
        );
    }
    for (ri, r) in routes.iter().enumerate() {
        let days = [
            "",
            " days=20261123",
            " except=20261123",
            " weekdays=sat-sun",
            " days=20261122+20261124",
        ][r.days as usize];
        let wc = ["", " wheelchair=yes", " wheelchair=no", ""][r.wheelchair as usize];
        let stop_tok = |k: usize, i: usize| {
            let flag = match r.flags[k] {
                0 if k > 0 => "[out]",
                1 if k + 1 < r.stops.len() => "[in]",
                _ => "",
            };
            format!("S{i}{flag}")
        };
        if r.kind == 0 {
            // Frequency route, exact or inexact.
            let start = r.starts[0];
            let inexact = if r.headway % 2 == 0 { " inexact" } else { "" };
            let mut body = String::new();
            let mut t = 0;
            for (k, &i) in r.stops.iter().enumerate() {
                body += &format!(" {} {}", stop_tok(k, i), hhmm(t));
                t += r.hops[k.min(3)];
            }
            s += &format!(
                "freq F{ri} every {}m from {} to {}{days}{wc}{inexact}:{body}\n",
                r.headway,
                hhmm(start),
                hhmm(start + r.span * 60)
            );
            // A second window of the same template: several windows in one pattern.
            if let Some(&later) = r.starts.get(1) {
                let second = start + r.span * 60 + later % 90;
                s += &format!(
                    "freq F{ri} every {}m from {} to {}{days}{wc}{inexact}:{body}\n",
                    r.headway + 5,
                    hhmm(second),
                    hhmm(second + 60)
                );
            }
        } else {
            for (ti, &start) in r.starts.iter().enumerate() {
                let mut line = format!("route R{ri}{days}{wc}:");
                let mut t = start;
                for (k, &i) in r.stops.iter().enumerate() {
                    let dwell = r.dwell[k];
                    // Later trips of kind 2 run slower: they may be overtaken (split patterns).
                    let hop = r.hops[k.min(3)] + if r.kind == 2 { ti as u32 * 3 } else { 0 };
                    line += &format!(" {} {}/{}", stop_tok(k, i), hhmm(t), hhmm(t + dwell));
                    t += dwell + hop;
                }
                s += &line;
                s += "\n";
            }
        }
    }
    for &(a, b, kind) in transfers {
        s += &match kind {
            0 => format!("transfer S{a} S{b} {}m\n", 1 + b % 4),
            1 => format!("forbid S{a} S{a}\n"),
            2 => format!("transfer S{a} S{a} {}m\n", 2 + a % 3),
            _ => format!("forbid S{a} S{b}\n"),
        };
    }
    s
}

#[test]
fn raptor_matches_the_oracle_on_random_timetables() {
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::Cell;
    let strategy = (
        proptest::collection::vec((0u8..5, 0u8..5), 8..10),
        proptest::collection::vec(route_strategy(8), 4..12),
        proptest::collection::vec((0usize..8, 0usize..8, 0u8..4), 0..4),
        proptest::collection::vec(
            (
                0usize..8,
                0usize..8,
                prop_oneof![4 => 330i32..570, 1 => 3 * 60i32..28 * 60],
                0i32..3,
                0u8..6,
                0u8..5,
                prop_oneof![4 => Just(None), 1 => Just(Some(0.7)), 1 => Just(Some(2.5))],
            ),
            1..8,
        ),
    );
    let (compared, with_journey, with_transfer, several) = (
        Cell::new(0usize),
        Cell::new(0usize),
        Cell::new(0usize),
        Cell::new(0usize),
    );
    let mut runner = TestRunner::new(Config {
        cases: 600,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |(coords, routes, transfers, queries)| {
        let text = timetable_text(&coords, &routes, &transfers);
        let tt = timetable::text::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let mut sc = Scratch::new(&tt);
        for (o, d, minute, day, wc, max_tr, speed) in queries {
            let day = Day::parse("20261122").unwrap().offset(day);
            let Some((access, egress)) = stop_pair(&tt, o, d) else {
                continue;
            };
            let opts = Options {
                max_transfers: max_tr,
                wheelchair: [
                    Wheelchair::Off,
                    Wheelchair::Off,
                    Wheelchair::Off,
                    Wheelchair::Off,
                    Wheelchair::Accessible,
                    Wheelchair::Strict,
                ][wc as usize],
                max_walk_total_m: u32::MAX,
                walking_speed_m_s: speed,
                ..Options::default()
            };
            let req = Request {
                day,
                time: minute * 60,
                arrive_by: false,
                access: &access,
                egress: &egress,
            };
            let found = compare(&tt, &mut sc, &req, &opts, 40 * i64::from(H)).map_err(|e| {
                TestCaseError::fail(format!(
                    "{e}\nquery S{o} -> S{d} at {minute} min on {day} {opts:?}\n{text}"
                ))
            })?;
            compared.set(compared.get() + 1);
            let options = compare_exposure(&tt, &mut sc, &req, &opts, u64::from(minute as u32))
                .map_err(|e| {
                    TestCaseError::fail(format!(
                        "{e}\nquery S{o} -> S{d} at {minute} min on {day} {opts:?}\n{text}"
                    ))
                })?;
            several.set(several.get() + usize::from(options > 1));
            let js = search(&tt, &mut sc, &req, &opts);
            with_journey.set(with_journey.get() + usize::from(found > 0));
            with_transfer.set(with_transfer.get() + usize::from(js.iter().any(|j| j.rides > 1)));
            let back = Request {
                arrive_by: true,
                ..req
            };
            compare_arrive_by(&tt, &mut sc, &back, &opts).map_err(|e| {
                TestCaseError::fail(format!(
                    "{e}\narrive-by S{o} -> S{d} at {minute} min on {day}\n{text}"
                ))
            })?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The comparison has teeth only if the random timetables produce journeys and transfers.
    let (n, j, t) = (compared.get(), with_journey.get(), with_transfer.get());
    eprintln!(
        "{n} queries compared, {j} with a journey, {t} with a transfer, {} with several (arrival, exposure) options",
        several.get()
    );
    assert!(
        several.get() * 50 > n,
        "McRAPTOR rarely offered a choice: {}",
        several.get()
    );
    assert!(
        n > 1500 && j * 3 > n && t * 20 > n,
        "{n} queries compared, {j} with a journey, {t} with a transfer"
    );
}

// ---------------------------------------------------------------------------------------
// The shipped feeds.

/// A small deterministic generator (xorshift), so failures replay.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Stops within `radius` of a point, as walks.
fn walks(tt: &Timetable, at: Coord, radius: f64) -> Vec<StopWalk> {
    let cfg = tt.footpath_config();
    tt.stop_index()
        .within(at, radius)
        .into_iter()
        .map(|(s, d)| StopWalk {
            stop: StopIdx(s),
            duration: cfg.walk_time(d),
            distance_m: cfg.walk_distance(d).round() as u32,
        })
        .collect()
}

fn random_point(tt: &Timetable, rng: &mut Rng) -> Coord {
    // Near a random stop, so points fall inside the city.
    let s = tt
        .stop(StopIdx(rng.below(tt.stops().len() as u64) as u32))
        .coord;
    Coord::new(
        s.lat() + (rng.unit() - 0.5) * 0.004,
        s.lon() + (rng.unit() - 0.5) * 0.004,
    )
    .unwrap()
}

fn shipped(name: &str, date: &str, queries: usize, arrive_by_every: usize, seed: u64) {
    let tt = gtfs::load(
        &[gtfs::FeedSpec::from_path(feeds_dir().join(name))],
        &gtfs::LoadConfig::default(),
    )
    .unwrap()
    .timetable;
    shipped_on(
        &tt,
        name,
        date,
        (queries, arrive_by_every, seed),
        &mut |tt, at, _| walks(tt, at, 400.0),
    );
}

/// Walks from a point, for a wheelchair or not.
type Walker<'a> = dyn FnMut(&Timetable, Coord, bool) -> Vec<StopWalk> + 'a;

fn shipped_on(
    tt: &Timetable,
    name: &str,
    date: &str,
    (queries, arrive_by_every, seed): (usize, usize, u64),
    walks: &mut Walker<'_>,
) {
    let mut sc = Scratch::new(tt);
    let mut rng = Rng(seed);
    let day = Day::parse(date).unwrap();
    let (mut found, mut empty) = (0, 0);
    for qi in 0..queries {
        let (a, b) = (random_point(tt, &mut rng), random_point(tt, &mut rng));
        // Every fifth query in a wheelchair: walks then avoid steps (on streets) and so must
        // the footpaths both searches take.
        let wheelchair = qi % 5 == 4;
        let (access, egress) = (walks(tt, a, wheelchair), walks(tt, b, wheelchair));
        if access.is_empty() || egress.is_empty() {
            empty += 1;
            continue;
        }
        let time = (6 * H) + rng.below(14 * 3600) as i32;
        // Most riders walk at the timetable's speed; some slower, some faster (the pruning
        // bounds depend on it).
        let opts = Options {
            max_walk_total_m: u32::MAX,
            walking_speed_m_s: match qi % 10 {
                3 => Some(0.7),
                7 => Some(2.0),
                _ => None,
            },
            wheelchair: if wheelchair {
                Wheelchair::Accessible
            } else {
                Wheelchair::Off
            },
            ..Options::default()
        };
        let req = Request {
            day,
            time,
            arrive_by: false,
            access: &access,
            egress: &egress,
        };
        match compare(tt, &mut sc, &req, &opts, 4 * i64::from(H)) {
            Ok(n) => found += usize::from(n > 0),
            Err(e) => panic!("{name} query {qi} from {a} to {b} at {time}: {e}"),
        }
        if qi % arrive_by_every == 0 {
            compare_exposure(tt, &mut sc, &req, &opts, qi as u64 + 1)
                .unwrap_or_else(|e| panic!("{name} McRAPTOR query {qi} from {a} to {b}: {e}"));
            let back = Request {
                arrive_by: true,
                time: time + 2 * H,
                ..req
            };
            compare_arrive_by(tt, &mut sc, &back, &opts)
                .unwrap_or_else(|e| panic!("{name} arrive-by query {qi} from {a} to {b}: {e}"));
        }
    }
    // The comparison means something only if most queries find journeys.
    assert!(
        found * 10 >= (queries - empty) * 8,
        "{name}: only {found} of {} queries found a journey",
        queries - empty
    );
}

#[test]
fn raptor_matches_the_oracle_on_arequipa() {
    shipped("arequipa.zip", "20261123", 1000, 20, 0x5eed_a9e0);
}

#[test]
fn raptor_matches_the_oracle_on_trujillo() {
    shipped("trujillo.zip", "20261123", 700, 20, 0x7a0_1110);
}

#[test]
fn raptor_matches_the_oracle_on_sao_paulo() {
    shipped("sao-paulo.zip", "20190603", 300, 10, 0x05a0_9a01);
}

/// São Paulo with its streets: footpaths measured along them (closed over every walk and over
/// the step-free ones), access and egress walked along them; the oracle reads the same
/// footpaths with its own rules, wheelchair riders taking step-free ones only.
#[test]
fn raptor_matches_the_oracle_on_sao_paulo_with_street_footpaths() {
    let tt = gtfs::load(
        &[gtfs::FeedSpec::from_path(feeds_dir().join("sao-paulo.zip"))],
        &gtfs::LoadConfig::default(),
    )
    .unwrap()
    .timetable;
    let x = streets::read(&feeds_dir().join("sao-paulo.osm.pbf"), 64).unwrap();
    let coords: Vec<Coord> = tt.stops().iter().map(|s| s.coord).collect();
    let st = streets::Streets::build(&x, &coords, streets::StreetsConfig::default());
    let fc = *tt.footpath_config();
    let tt = tt.with_street_footpaths(&st.footpaths(fc.walk_distance(fc.radius_m)));
    assert!(
        tt.stops()
            .iter()
            .enumerate()
            .any(|(i, _)| tt.footpaths(StopIdx::new(i)).iter().any(|f| !f.step_free)),
        "some footpath has steps, so the wheelchair queries test something"
    );
    let mut search = streets::Search::new(&st.graph);
    let mut walk = |tt: &Timetable, at: Coord, wheelchair: bool| {
        st.stops_near(&mut search, at, fc.walk_distance(400.0), wheelchair)
            .map(|found| {
                found
                    .into_iter()
                    .map(|(s, m)| StopWalk {
                        stop: StopIdx(s),
                        duration: (f64::from(m) / fc.walking_speed_m_s).ceil() as u32,
                        distance_m: m,
                    })
                    .collect()
            })
            .filter(|w: &Vec<StopWalk>| !w.is_empty())
            .unwrap_or_else(|| walks(tt, at, 400.0))
    };
    shipped_on(
        &tt,
        "sao-paulo.zip + streets",
        "20190603",
        (300, 10, 0x05a0_57e7),
        &mut walk,
    );
}

// ---------------------------------------------------------------------------------------
// Range queries (rRAPTOR) against repeated single searches.

/// Every journey a single search finds at any minute of the window is matched or beaten by a
/// range journey (leaving no earlier, arriving no later, no more rides); every range journey
/// is valid and optimal for its own departure time.
fn compare_range(
    tt: &Timetable,
    sc: &mut Scratch,
    req: &Request<'_>,
    window: u32,
    opts: &Options,
) -> Result<usize, String> {
    let range = raptor::range(tt, sc, req, window, opts);
    for r in &range {
        validate(tt, req, opts, r).map_err(|e| format!("invalid range journey {r:?}: {e}"))?;
        let at = Request {
            time: r.departure,
            ..*req
        };
        let best = search(tt, sc, &at, opts)
            .iter()
            .filter(|j| j.rides <= r.rides)
            .map(|j| j.arrival)
            .min();
        if best != Some(r.arrival) {
            return Err(format!(
                "range journey leaving {} with {} rides arrives {}, a search from then arrives {best:?}",
                r.departure, r.rides, r.arrival
            ));
        }
    }
    for m in 0..=window as i32 / 60 {
        let at = Request {
            time: req.time + 60 * m,
            ..*req
        };
        for j in search(tt, sc, &at, opts) {
            if !range
                .iter()
                .any(|r| r.departure >= j.departure && r.arrival <= j.arrival && r.rides <= j.rides)
            {
                return Err(format!(
                    "search at +{m} min finds {} -> {} with {} rides; no range journey covers it",
                    j.departure, j.arrival, j.rides
                ));
            }
        }
    }
    Ok(range.len())
}

#[test]
fn range_matches_repeated_searches_on_arequipa() {
    let tt = gtfs::load(
        &[gtfs::FeedSpec::from_path(feeds_dir().join("arequipa.zip"))],
        &gtfs::LoadConfig::default(),
    )
    .unwrap()
    .timetable;
    let mut sc = Scratch::new(&tt);
    let mut rng = Rng(0xA110);
    let day = Day::parse("20261123").unwrap();
    let mut total = 0;
    for qi in 0..40 {
        let (a, b) = (random_point(&tt, &mut rng), random_point(&tt, &mut rng));
        let (access, egress) = (walks(&tt, a, 400.0), walks(&tt, b, 400.0));
        if access.is_empty() || egress.is_empty() {
            continue;
        }
        let time = 6 * H + rng.below(14 * 3600) as i32;
        let opts = Options {
            max_walk_total_m: u32::MAX,
            ..Options::default()
        };
        let req = Request {
            day,
            time,
            arrive_by: false,
            access: &access,
            egress: &egress,
        };
        total += compare_range(&tt, &mut sc, &req, 1800, &opts)
            .unwrap_or_else(|e| panic!("range query {qi} from {a} to {b} at {time}: {e}"));
    }
    assert!(total > 100, "only {total} range journeys in 40 queries");
}

#[test]
fn range_matches_repeated_searches_on_random_timetables() {
    use proptest::test_runner::{Config, TestRunner};
    let strategy = (
        proptest::collection::vec((0u8..5, 0u8..5), 8..10),
        proptest::collection::vec(route_strategy(8), 4..12),
        proptest::collection::vec((0usize..8, 0usize..8, 0u8..4), 0..4),
        proptest::collection::vec((0usize..8, 0usize..8, 330i32..540, 0usize..3), 1..4),
    );
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |(coords, routes, transfers, queries)| {
        let text = timetable_text(&coords, &routes, &transfers);
        let tt = timetable::text::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let mut sc = Scratch::new(&tt);
        for (o, d, minute, speed) in queries {
            let Some((access, egress)) = stop_pair(&tt, o, d) else {
                continue;
            };
            // The timetable's walking speed, a slow and a fast walker (the range query's
            // least-time bounds follow the query's speed).
            let opts = Options {
                max_walk_total_m: u32::MAX,
                walking_speed_m_s: [None, Some(0.7), Some(2.5)][speed],
                ..Options::default()
            };
            let req = Request {
                day: Day::parse("20261123").unwrap(),
                time: minute * 60,
                arrive_by: false,
                access: &access,
                egress: &egress,
            };
            compare_range(&tt, &mut sc, &req, 3600, &opts).map_err(|e| {
                TestCaseError::fail(format!("{e}\nrange S{o} -> S{d} at {minute} min\n{text}"))
            })?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn batches_answer_like_single_plans() {
    let tt = gtfs::load(
        &[gtfs::FeedSpec::from_path(feeds_dir().join("arequipa.zip"))],
        &gtfs::LoadConfig::default(),
    )
    .unwrap()
    .timetable;
    let cfg = planner::PlannerConfig::default();
    let mut rng = Rng(0xBA7C);
    let day = Day::parse("20261123").unwrap();
    // One-to-many: one origin, many destinations; plus many-to-many pairs.
    let origin = random_point(&tt, &mut rng);
    let reqs: Vec<planner::PlanRequest> = (0..60)
        .map(|i| planner::PlanRequest {
            from: planner::Endpoint::Coord(if i < 30 {
                origin
            } else {
                random_point(&tt, &mut rng)
            }),
            to: planner::Endpoint::Coord(random_point(&tt, &mut rng)),
            day,
            time: 7 * 3600 + (i as u32 % 12) * 600,
            arrive_by: i % 5 == 0,
            window_secs: None,
            options: Options::default(),
            lang: Default::default(),
            safer: false,
        })
        .collect();
    let batch = planner::plan_batch(&tt, &cfg, &reqs);
    let mut sc = Scratch::new(&tt);
    let mut nonempty = 0;
    for (r, b) in reqs.iter().zip(&batch) {
        let single = planner::plan(&tt, &mut sc, &cfg, r);
        assert_eq!(format!("{single:?}"), format!("{b:?}"));
        nonempty += usize::from(b.as_ref().is_ok_and(|p| !p.itineraries.is_empty()));
    }
    assert!(nonempty > 50, "{nonempty}");
}
