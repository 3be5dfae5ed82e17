//! Safer trips, in the text format: a hot spot at night changes the stop one waits at; by
//! day, or without a release, the answer is the fastest, exactly as without the feature.

use planner::safety::{RiskCell, RiskSurface, SaferConfig};
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

/// An itinerary as the GUIDE writes journeys: its rides.
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

/// Around stop A (and the walk to it) four times the city's incidents at night (21–05), with
/// a note the release supports about theft; average by day.
fn hot_spot_at_a(tt: &Timetable) -> RiskSurface {
    let cell_m = 100.0;
    let zone = |lat: f64, lon: f64| observatory::zone::zone_of(lat, lon, cell_m);
    let hot = RiskCell {
        relative: 4.0,
        notes: 0b10,
    };
    let cells = [
        (zone(-16.4000, -71.4980), 2, hot),
        (zone(-16.4000, -71.4995), 2, hot),
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
