//! Safer trips, in the text format: a hot spot at night changes the stop one waits at; by
//! day, or without a release, the answer is the fastest, exactly as without the feature.

use planner::safety::{ReleasedMean, RiskCell, RiskSurface, SaferConfig};
use planner::{Endpoint, Plan, PlanRequest, PlannerConfig};
use raptor::{Options, Scratch};
use timetable::text::parse;
use timetable::{Coord, Day, Timetable};

/// From a point between two stops: A (east, fast line R1) and B (west, slower line R2), both
/// to D. Lines run by day and at night.
const CITY: &str = "
stop A -16.4000,-71.4980
stop B -16.4000,-71.5040
stop D -16.4300,-71.5010
route R1: A 9:10 D 9:20
route R2: B 9:15 D 9:28
route R1: A 21:10 D 21:20
route R2: B 21:15 D 21:28
";

const ORIGIN: (f64, f64) = (-16.4000, -71.5010);

fn plan(tt: &Timetable, risk: Option<&RiskSurface>, time: &str, safer: bool) -> Plan {
    let req = PlanRequest {
        from: Endpoint::Coord(Coord::new(ORIGIN.0, ORIGIN.1).unwrap()),
        to: Endpoint::Stops(vec![tt.stop_by_id("D").unwrap()]),
        day: Day::parse("20261123").unwrap(),
        time: timetable::time::parse_clock(time).unwrap(),
        arrive_by: false,
        window_secs: None,
        options: Options::default(),
        lang: i18n::Lang::Es,
        safer,
    };
    let mut sc = Scratch::new(tt);
    planner::plan_full(tt, None, risk, &mut sc, &PlannerConfig::default(), &req).unwrap()
}

/// An itinerary as the golden tests write journeys (`timetable::text`): its rides.
fn rides(it: &planner::Itinerary) -> String {
    it.legs
        .iter()
        .filter_map(|l| match l {
            planner::ItineraryLeg::Ride {
                route_short_name,
                board,
                alight,
                ..
            } => Some(format!(
                "{route_short_name} {} {} - {} {}",
                board.id,
                &board.time.as_deref().unwrap_or("")[11..16],
                alight.id,
                &alight.time.as_deref().unwrap_or("")[11..16]
            )),
            planner::ItineraryLeg::Walk { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Around stop A (and the walk to it) `cell` at night (21–05); average by day.
fn spot_at_a(tt: &Timetable, cell: RiskCell) -> RiskSurface {
    let cell_m = 100.0;
    let zone = |lat: f64, lon: f64| timetable::zone::zone_of(lat, lon, cell_m);
    let cells = [
        (zone(-16.4000, -71.4980), 2, cell),
        (zone(-16.4000, -71.4995), 2, cell),
    ];
    RiskSurface::new(
        tt,
        cell_m,
        "2026-10".into(),
        vec!["acoso".into(), "robo".into()],
        cells,
        SaferConfig::default(),
    )
}

/// Four times the city's incidents at night around A, with a note the release supports
/// about theft.
fn hot_spot_at_a(tt: &Timetable) -> RiskSurface {
    spot_at_a(
        tt,
        RiskCell {
            relative: 4.0,
            notes: 0b10,
        },
    )
}

#[test]
fn a_hot_spot_at_night_moves_the_wait_to_a_safer_stop() {
    let tt = parse(CITY).unwrap();
    let risk = hot_spot_at_a(&tt);
    let p = plan(&tt, Some(&risk), "21:00", true);
    let fastest = planner::safety::fastest(&p, false).unwrap();
    assert_eq!(rides(fastest), "R1 A 21:10 - D 21:20");
    let safer = p.safer.as_ref().expect("a safer option at night");
    assert_eq!(rides(&safer.itinerary), "R2 B 21:15 - D 21:28");
    assert!(
        (safer.minutes_added - 8.0).abs() < 0.01,
        "{}",
        safer.minutes_added
    );
    assert!(safer.exposure_avoided_min > 0.0);
    assert!(safer.summary.contains("8 min"), "{}", safer.summary);
    // The fastest carries the note the release supports, in the rider's language.
    let notes = &fastest.safety.as_ref().unwrap().notes;
    assert_eq!(notes, &["Zona con reportes de robo entre 21 y 6 h"]);
    assert!(safer.itinerary.safety.as_ref().unwrap().notes.is_empty());
}

#[test]
fn by_day_the_same_hot_spot_changes_nothing() {
    let tt = parse(CITY).unwrap();
    let risk = hot_spot_at_a(&tt);
    let p = plan(&tt, Some(&risk), "9:00", true);
    assert!(
        p.safer.is_none(),
        "{:?}",
        p.safer.map(|s| rides(&s.itinerary))
    );
    assert_eq!(
        rides(planner::safety::fastest(&p, false).unwrap()),
        "R1 A 09:10 - D 09:20"
    );
    assert!(
        p.itineraries
            .iter()
            .all(|i| i.safety.as_ref().unwrap().notes.is_empty())
    );
}

#[test]
fn without_a_release_the_answer_is_exactly_todays() {
    let tt = parse(CITY).unwrap();
    for time in ["9:00", "21:00"] {
        let today = {
            let req = PlanRequest {
                from: Endpoint::Coord(Coord::new(ORIGIN.0, ORIGIN.1).unwrap()),
                to: Endpoint::Stops(vec![tt.stop_by_id("D").unwrap()]),
                day: Day::parse("20261123").unwrap(),
                time: timetable::time::parse_clock(time).unwrap(),
                arrive_by: false,
                window_secs: None,
                options: Options::default(),
                lang: i18n::Lang::Es,
                safer: false,
            };
            planner::plan(&tt, &mut Scratch::new(&tt), &PlannerConfig::default(), &req).unwrap()
        };
        let with_feature = plan(&tt, None, time, true);
        assert_eq!(
            serde_json::to_value(&with_feature).unwrap(),
            serde_json::to_value(&today).unwrap()
        );
    }
}

/// Around stop A a mildly raised risk at night (`relative` times the city's), with no note.
fn mild_spot_at_a(tt: &Timetable, relative: f64) -> RiskSurface {
    spot_at_a(tt, RiskCell { relative, notes: 0 })
}

/// Released perceived-safety means: by day 4.2 ± 0.1 (400 answers), at night 2.1 ± `night`
/// (100 answers).
fn night_feels_unsafe(night: f64) -> Vec<ReleasedMean> {
    vec![
        ReleasedMean {
            first_hour: 9,
            count: 400.0,
            mean: 4.2,
            margin: 0.1,
        },
        ReleasedMean {
            first_hour: 21,
            count: 100.0,
            mean: 2.1,
            margin: night,
        },
    ]
}

#[test]
fn riders_feeling_unsafe_at_night_weigh_its_risk_more() {
    let tt = parse(CITY).unwrap();
    let means = night_feels_unsafe(0.2);
    // The smallest raised risk at A for which the planner offers the safer stop at night.
    let threshold = |perceived: bool| {
        (11..=60).map(|k| f64::from(k) / 10.0).find(|&r| {
            let mut s = mild_spot_at_a(&tt, r);
            if perceived {
                s = s.with_perceived(&means);
            }
            plan(&tt, Some(&s), "21:00", true).safer.is_some()
        })
    };
    let without = threshold(false).expect("some risk moves the wait without survey means");
    let with = threshold(true).expect("and with them");
    assert!(
        with < without,
        "feeling unsafe at night should lower the risk that moves the wait: {with} vs {without}"
    );
    // The day pooled is (400 × 4.2 + 100 × 2.1) ÷ 500 = 3.78: night weighs 3.78 ÷ 2.1 = 1.8,
    // day 3.78 ÷ 4.2 = 0.9.
    let s = mild_spot_at_a(&tt, with).with_perceived(&means);
    assert!((s.feel(2) - 3.78 / 2.1).abs() < 1e-9, "{}", s.feel(2));
    assert!((s.feel(0) - 3.78 / 4.2).abs() < 1e-9, "{}", s.feel(0));
    assert_eq!(s.feel(1), 1.0, "no means released for 18–20 h");
    // At night itineraries say so, in the rider's language; by day they do not.
    let night = plan(&tt, Some(&s), "21:00", false);
    let notes = &night.itineraries[0].safety.as_ref().unwrap().notes;
    assert_eq!(
        notes,
        &["De 21 a 6 h, quienes viajan califican su seguridad con 2,1 de 5 (±0,2)"]
    );
    let day = plan(&tt, Some(&s), "9:00", true);
    assert!(day.safer.is_none());
    assert!(
        day.itineraries
            .iter()
            .all(|i| i.safety.as_ref().unwrap().notes.is_empty())
    );
}

#[test]
fn survey_means_the_noise_swamps_change_nothing() {
    let tt = parse(CITY).unwrap();
    let plain = mild_spot_at_a(&tt, 2.0);
    // At night ± 0.9 points: wider than a survey mean can be used with.
    let noisy = mild_spot_at_a(&tt, 2.0).with_perceived(&night_feels_unsafe(0.9));
    assert_eq!(noisy.perceived[2], None);
    assert_eq!(noisy.feel(2), 1.0);
    for time in ["9:00", "21:00"] {
        assert_eq!(
            serde_json::to_value(plan(&tt, Some(&noisy), time, true)).unwrap(),
            serde_json::to_value(plan(&tt, Some(&plain), time, true)).unwrap(),
            "{time}"
        );
    }
}

#[test]
fn mcraptor_over_exposure_finds_the_same_safer_stop() {
    let tt = parse(CITY).unwrap();
    let mut risk = hot_spot_at_a(&tt);
    risk.config.search = planner::safety::SaferSearch::Pareto;
    let p = plan(&tt, Some(&risk), "21:00", true);
    let safer = p.safer.as_ref().expect("a safer option at night");
    assert_eq!(rides(&safer.itinerary), "R2 B 21:15 - D 21:28");
    assert_eq!(
        rides(planner::safety::fastest(&p, false).unwrap()),
        "R1 A 21:10 - D 21:20"
    );
    // By day the hot spot is average: the fastest stays, as with the second search.
    assert!(plan(&tt, Some(&risk), "9:00", true).safer.is_none());
    // The exposure rates it searches with: A is hot at night only.
    let a = tt.stop_by_id("A").unwrap().idx();
    assert!(
        (risk.rates(2)[a] - 3.0).abs() < 1e-9,
        "{}",
        risk.rates(2)[a]
    );
    assert_eq!(risk.rates(0)[a], 0.0);
}
