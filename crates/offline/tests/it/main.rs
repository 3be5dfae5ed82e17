//! The phone's timetable bundle: what the server writes plans, read back, exactly as the
//! server's timetable does; a damaged or foreign bundle is refused with its reason.

use offline::{BundleError, Settings};
use planner::{Endpoint, PlanRequest, PlannerConfig};
use rand::{Rng, SeedableRng};
use std::path::Path;
use timetable::{Coord, Day, Timetable};

fn arequipa() -> Timetable {
    let feed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/arequipa.zip");
    gtfs::load(
        &[gtfs::FeedSpec::from_path(feed)],
        &gtfs::LoadConfig::default(),
    )
    .expect("the Arequipa feed loads")
    .timetable
    .with_estimated_times(&["arequipa".to_string()])
}

fn settings(tt: &Timetable) -> Settings {
    Settings::of(tt, &PlannerConfig::default(), &raptor::Options::default())
}

fn plan_json(tt: &Timetable, opts: &raptor::Options, req: &PlanRequest) -> serde_json::Value {
    let mut sc = raptor::Scratch::new(tt);
    let req = PlanRequest {
        options: opts.clone(),
        ..req.clone()
    };
    match planner::plan(tt, &mut sc, &PlannerConfig::default(), &req) {
        Ok(p) => serde_json::to_value(p).expect("a plan serializes"),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    }
}

/// A plan without what the phone draws from simplified shapes (legs' geometry and the CO₂
/// measured along it), and those CO₂ figures apart.
fn journeys(mut v: serde_json::Value, co2: &mut Vec<f64>) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value, co2: &mut Vec<f64>) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("geometry");
                if let Some(c) = m.remove("co2") {
                    co2.extend(["bus_g", "car_g"].iter().filter_map(|k| c[*k].as_f64()));
                }
                m.values_mut().for_each(|x| walk(x, co2));
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, co2)),
            _ => {}
        }
    }
    walk(&mut v, co2);
    v
}

/// 200 random trips across Arequipa (points near random stops, random hours of a service day,
/// some arrive-by, some range queries): the phone's timetable plans every one as the server's.
#[test]
fn arequipa_plans_the_same_from_the_bundle() {
    let tt = arequipa();
    let bytes = offline::export(&tt, "arequipa", settings(&tt), 1_765_000_000)
        .expect("exported")
        .0;
    let back = offline::import(&bytes).expect("the bundle reads back");
    assert_eq!(back.meta.feed, "arequipa");
    assert_eq!(back.timetable.stops().len(), tt.stops().len());
    assert_eq!(back.timetable.patterns().len(), tt.patterns().len());
    assert_eq!(back.timetable.n_footpaths(), tt.n_footpaths());
    let server_opts = raptor::Options::default();
    let phone_opts = back.settings.options(&back.timetable);
    assert_eq!(phone_opts, server_opts);
    let (first, _) = tt.feeds()[0].service_span.expect("a service span");
    let mut rng = rand::rngs::StdRng::seed_from_u64(30);
    let n = tt.stops().len();
    let mut with_rides = 0;
    for i in 0..200 {
        let a = tt.stops()[rng.random_range(0..n)].coord;
        let b = tt.stops()[rng.random_range(0..n)].coord;
        let nudge = |c: Coord, r: &mut rand::rngs::StdRng| {
            Coord::new(
                c.lat() + r.random_range(-0.002..0.002),
                c.lon() + r.random_range(-0.002..0.002),
            )
            .expect("near a stop")
        };
        let req = PlanRequest {
            from: Endpoint::Coord(nudge(a, &mut rng)),
            to: Endpoint::Coord(nudge(b, &mut rng)),
            day: Day(first.0 + rng.random_range(0..7)),
            time: rng.random_range(5 * 3600..23 * 3600),
            arrive_by: i % 5 == 1,
            window_secs: (i % 7 == 3).then_some(3600),
            options: raptor::Options::default(),
            lang: i18n::Lang::Es,
            safer: false,
        };
        let server = plan_json(&tt, &server_opts, &req);
        let phone = plan_json(&back.timetable, &phone_opts, &req);
        let (mut c_server, mut c_phone) = (Vec::new(), Vec::new());
        assert_eq!(
            journeys(phone.clone(), &mut c_phone),
            journeys(server.clone(), &mut c_server),
            "query {i}"
        );
        assert_eq!(c_phone.len(), c_server.len());
        for (p, s) in c_phone.iter().zip(&c_server) {
            assert!(
                (p - s).abs() <= 0.01 * s + 1.0,
                "query {i}: CO₂ {p} g on the phone, {s} g on the server"
            );
        }
        if server["itineraries"].as_array().is_some_and(|x| {
            x.iter()
                .any(|it| it["legs"].as_array().is_some_and(|l| l.len() > 1))
        }) {
            with_rides += 1;
        }
    }
    // Most of them ride buses: the comparison is not one of empty answers.
    assert!(with_rides > 150, "{with_rides} of 200 plans ride");
}

/// A hand-written network with what Arequipa lacks: scheduled trips, calendar exceptions,
/// inexact frequencies, transfer rules (a minimum time and a forbidden change), alight-only stops.
#[test]
fn schedules_and_transfer_rules_survive_the_round_trip() {
    let tt = timetable::text::parse(
        "stop A -16.4000,-71.5000\n\
         stop B -16.4050,-71.5000\n\
         stop C -16.4051,-71.5001\n\
         stop D -16.4100,-71.5000\n\
         stop E -16.4150,-71.5000\n\
         route R1: A 08:00 B 08:05 E 08:20\n\
         route R1: A 08:10 B 08:15 E 08:30\n\
         route R2 weekdays=mon-fri except=20261124 headsign=Centro: C 08:12 D[out] 08:20\n\
         route R2 weekdays=mon-fri: C 08:22 D 08:30 E 08:40\n\
         freq R3 every 10m from 06:00 to 09:00 inexact: B 0:00 D 0:07\n\
         transfer B C 4m\n\
         forbid B B\n",
    )
    .expect("the network parses");
    let feed = tt.feeds()[0].id.clone();
    let bytes = offline::export(&tt, &feed, settings(&tt), 0)
        .expect("exported")
        .0;
    let back = offline::import(&bytes).expect("read back").timetable;
    let opts = raptor::Options::default();
    let mut compared = 0;
    for (from, to) in [("A", "D"), ("A", "E"), ("C", "E"), ("B", "D"), ("A", "C")] {
        for day in [Day::parse("20261123"), Day::parse("20261124")] {
            for time in [7 * 3600 + 50 * 60, 8 * 3600 + 5 * 60] {
                let stop = |t: &Timetable, s: &str| {
                    Endpoint::Stops(vec![t.stop_by_id(s).expect("a stop of the network")])
                };
                let req = |t: &Timetable| PlanRequest {
                    from: stop(t, from),
                    to: stop(t, to),
                    day: day.expect("a date"),
                    time,
                    arrive_by: false,
                    window_secs: None,
                    options: opts.clone(),
                    lang: i18n::Lang::En,
                    safer: false,
                };
                // No shapes here: the plans are equal to the last figure.
                let server = plan_json(&tt, &opts, &req(&tt));
                assert_eq!(plan_json(&back, &opts, &req(&back)), server, "{from}→{to}");
                compared += usize::from(
                    server["itineraries"]
                        .as_array()
                        .is_some_and(|x| !x.is_empty()),
                );
            }
        }
    }
    assert!(compared >= 15, "{compared} answered plans compared");
}

fn with_checksum(mut b: Vec<u8>) -> Vec<u8> {
    use sha2::Digest;
    let sum = sha2::Sha256::digest(&b[42..]);
    b[10..42].copy_from_slice(&sum);
    b
}

/// Cut short, altered, of another format or not a bundle at all: refused with the reason,
/// never a panic; and random damage behind a recomputed checksum is an error too.
#[test]
fn damaged_bundles_are_refused_with_their_reason() {
    let tt = arequipa();
    let good = offline::export(&tt, "arequipa", settings(&tt), 0)
        .expect("exported")
        .0;
    assert!(offline::export(&tt, "lima", settings(&tt), 0).is_none());
    for cut in [0, 7, 41, 42, 43, good.len() / 2, good.len() - 1] {
        let e = offline::import(&good[..cut]).expect_err("a truncated bundle is refused");
        assert!(
            matches!(e, BundleError::NotABundle | BundleError::Checksum),
            "cut at {cut}: {e}"
        );
        assert!(e.to_string().contains("download it again"));
    }
    let mut tampered = good.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x40;
    assert_eq!(
        offline::import(&tampered).unwrap_err(),
        BundleError::Checksum
    );
    let mut newer = good.clone();
    newer[8] = 3;
    assert_eq!(
        offline::import(&newer).unwrap_err(),
        BundleError::Format {
            found: 3,
            expected: offline::FORMAT
        }
    );
    assert_eq!(
        offline::import(b"<html>502 Bad Gateway</html> and more bytes than a header").unwrap_err(),
        BundleError::NotABundle
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(31);
    let mut invalid = 0;
    for _ in 0..300 {
        let mut b = good.clone();
        for _ in 0..rng.random_range(1..4) {
            let i = rng.random_range(42..b.len());
            b[i] = rng.random();
        }
        if rng.random_bool(0.3) {
            let keep = rng.random_range(42..b.len());
            b.truncate(keep);
        }
        // Whatever the damage: an answer, never a panic.
        if offline::import(&with_checksum(b)).is_err() {
            invalid += 1;
        }
    }
    assert!(invalid > 100, "{invalid} of 300 damaged bundles refused");
    assert!(offline::checksum(&good).is_some_and(|c| c.len() == 64));
}
