//! Planning a rider's trip (`App::plan_trip`, both doors' one path): what each kind of
//! request answers and which are recorded for the observatory.

use crate::{app_with, fresh};
use app::{App, Channel, Error, PlanError};
use std::sync::Arc;

/// What a request from `from` to `to` (as typed: a stop id or `lat,lon`) answers: `Ok` with
/// the number of itineraries, or the planner's reason.
#[derive(Debug, PartialEq)]
enum Outcome {
    Itineraries,
    Refused(&'static str),
}

async fn check(app: &App, from: &str, to: &str, expected: Outcome) {
    let ds = app.dataset();
    let tt = &ds.timetable;
    let endpoint = |s: &str| app::parse_endpoint(tt, s);
    let (from_e, to_e) = match (endpoint(from), endpoint(to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            let got = Error::plan(e, i18n::Lang::Es);
            assert_eq!(Outcome::Refused(kind(&got)), expected, "{from} → {to}");
            return;
        }
    };
    let day = tt.feeds()[0].service_span.expect("a dated feed").0;
    let req = app::PlanRequest {
        from: from_e,
        to: to_e,
        day,
        time: 8 * 3600,
        arrive_by: false,
        window_secs: None,
        options: Default::default(),
        lang: i18n::Lang::Es,
        safer: false,
    };
    let asker = app::trips::Asker {
        channel: Channel::Api,
        profile: None,
        rider: None,
    };
    let got = match app.plan_trip(Arc::clone(&ds), req, asker).await {
        Ok(plan) => {
            assert!(
                !plan.itineraries.is_empty(),
                "{from} → {to}: a plan with no option"
            );
            Outcome::Itineraries
        }
        Err(e) => {
            assert!(!e.detail().is_empty());
            Outcome::Refused(kind(&e))
        }
    };
    assert_eq!(got, expected, "{from} → {to}");
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::Plan { error, .. } => match error {
            PlanError::UnknownStop(_) => "unknown_stop",
            PlanError::BadCoordinate(_) => "bad_coordinate",
            PlanError::OutsideArea { .. } => "outside_area",
            PlanError::NoService(_) => "no_service",
            PlanError::SamePlace => "same_place",
            PlanError::DifferentCities { .. } => "different_cities",
            PlanError::OtherCity { .. } => "other_city",
        },
        other => panic!("not a planner's reason: {other:?}"),
    }
}

#[tokio::test]
async fn each_kind_of_request_gets_its_answer() {
    let app = app_with(None);
    let (plaza, cayma) = ("-16.3989,-71.5369", "-16.3700,-71.5450");
    check(&app, plaza, cayma, Outcome::Itineraries).await;
    check(&app, plaza, plaza, Outcome::Refused("same_place")).await;
    check(
        &app,
        plaza,
        "-12.0464,-77.0428",
        Outcome::Refused("outside_area"),
    )
    .await;
    check(
        &app,
        "arequipa:no-such-stop",
        cayma,
        Outcome::Refused("unknown_stop"),
    )
    .await;
    check(&app, "-16.3989", cayma, Outcome::Refused("unknown_stop")).await;
    check(
        &app,
        "-99.0,-71.5",
        cayma,
        Outcome::Refused("bad_coordinate"),
    )
    .await;
}

#[tokio::test]
async fn served_trips_and_unmet_demand_are_recorded() {
    let f = fresh().await;
    let app = app_with(Some(Arc::clone(&f.obs)));
    let (plaza, cayma) = ("-16.3989,-71.5369", "-16.3700,-71.5450");
    check(&app, plaza, cayma, Outcome::Itineraries).await;
    check(
        &app,
        plaza,
        "-12.0464,-77.0428",
        Outcome::Refused("outside_area"),
    )
    .await;
    f.obs.flush().await;
    assert_eq!(
        f.obs.store().count_trips().await.unwrap(),
        2,
        "a served trip and unmet demand"
    );
}
