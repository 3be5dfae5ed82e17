//! Whether the buses really came, through the operators' door: buses driven exactly by a
//! list of departures on one line are pushed as an operator would push them, and the
//! figures officials and the public read show what was driven — half the frequency as
//! half the runs and half a headway of excess wait, bunched pairs as irregular headways,
//! the promise kept as no excess — on SQLite and PostgreSQL, and the same after a restart.

use crate::{Fresh, app_with, fresh, fresh_on_postgres};
use app::positions::PositionIn;
use app::service::By;
use app::{Official, Role};
use i18n::Lang;
use realtime::fleet::{Lines, OnTimetable};
use realtime::service::scheduled_headway;
use std::sync::Arc;
use timetable::Day;

fn day() -> Day {
    Day::parse("2026-12-07").unwrap()
}

/// `h`:`m` on Monday 2026-12-07 in Arequipa (Unix seconds).
fn at(h: i64, m: i64) -> i64 {
    realtime::service_day_start("America/Lima".parse().unwrap(), day()) + h * 3600 + m * 60
}

/// A line with 15 stops or more and a headway promised at 09:00: (line, its agency's id,
/// the headway).
fn a_line(lines: &Lines) -> (u32, String, i64) {
    let tt = crate::arequipa();
    lines
        .iter()
        .filter(|(_, l)| l.stops_along().len() >= 15)
        .find_map(|(i, l)| {
            let h = scheduled_headway(&tt, l.pattern, day(), 9 * 3600)?;
            let agency = tt.agencies()[tt.route(l.route).agency.idx()].id.clone();
            (h >= 240).then_some((i, agency, i64::from(h)))
        })
        .unwrap()
}

async fn operator(f: &Fresh, agency: &str) -> Official {
    let token = f
        .obs
        .store()
        .create_operator("op", &[agency.to_string()], 0)
        .await
        .unwrap();
    f.app
        .authenticate(Some(&token), Role::Operator, Lang::Es)
        .await
        .unwrap()
}

/// Pushes `departures` on `line` from 07:30 to 10:15, a batch every 10 s, writing the
/// figures every minute; the route's figures at 09:00 then.
async fn drive(f: &Fresh, line: u32, departures: Vec<i64>) -> app::service::ServiceFigure {
    let tt = crate::arequipa();
    let lines = Lines::new(&tt);
    let (_, agency, _) = a_line(&lines);
    let who = operator(f, &agency).await;
    let sim = OnTimetable {
        line,
        departures: departures
            .into_iter()
            .enumerate()
            .map(|(i, d)| (format!("B{i:03}"), d))
            .collect(),
    };
    let l = lines.line(line);
    let route_id = tt.route(l.route).id.clone();
    let mut t = at(7, 30);
    while t <= at(10, 15) {
        let batch: Vec<PositionIn> = sim
            .at(&lines, t)
            .into_iter()
            .map(|p| PositionIn {
                vehicle: p.vehicle,
                route: route_id.clone(),
                direction: p.direction,
                lat: p.coord.lat(),
                lon: p.coord.lon(),
                timestamp: t,
                speed_kmh: None,
                heading: p.heading.map(f64::from),
            })
            .collect();
        if !batch.is_empty() {
            f.app
                .take_positions(&who, batch, t, Lang::Es)
                .await
                .unwrap();
        }
        if t.rem_euclid(60) == 0 {
            f.app.flush_service(t).await.unwrap();
        }
        t += 10;
    }
    f.app.flush_service(t).await.unwrap();
    figure(&f.app, &route_id, l.direction.unwrap_or(0)).await
}

async fn figure(a: &app::App, route_id: &str, direction: u8) -> app::service::ServiceFigure {
    let r = a
        .service_delivered((day(), day()), None, By::Hour, true, Lang::Es)
        .await
        .unwrap();
    r.figures
        .into_iter()
        .find(|f| f.route_id == route_id && f.direction == direction && f.hour == "09")
        .unwrap_or_else(|| panic!("no 09:00 figure for {route_id}"))
}

fn every(step: i64) -> impl Iterator<Item = i64> {
    (0..)
        .map(move |k| at(6, 0) + k * step)
        .take_while(|&d| d < at(10, 15))
}

async fn half_the_frequency_shows_as_half_the_runs_and_half_a_headway_of_excess(f: Fresh) {
    let tt = crate::arequipa();
    let lines = Lines::new(&tt);
    let (line, _, h) = a_line(&lines);
    let fig = drive(&f, line, every(2 * h).collect()).await;
    let promised = 3600.0 / h as f64;
    assert!((fig.runs_promised - promised).abs() < 0.1, "{fig:?}");
    assert!((fig.runs as f64 - promised / 2.0).abs() <= 1.0, "{fig:?}");
    // Buses every 2H where H is promised: riders wait H on average, H/2 more than promised.
    let want = h as f64 / 2.0 / 60.0;
    assert!(
        (fig.ewt_min.unwrap() - want).abs() < 0.1,
        "{fig:?} vs {want}"
    );
    assert!(fig.headway_cv.unwrap() < 0.05, "{fig:?}");
    assert!((fig.trip_time_min.unwrap() - fig.scheduled_trip_time_min.unwrap()).abs() < 1.0);

    // Another process on the same database, started now, reads the same figures and does
    // not count the last minutes' positions twice.
    let other = app_with(Some(Arc::clone(&f.obs)));
    other.follow_positions(at(10, 15) + 5).await.unwrap();
    other.flush_service(at(10, 15) + 5).await.unwrap();
    let l = lines.line(line);
    let again = figure(&other, &tt.route(l.route).id, l.direction.unwrap_or(0)).await;
    assert_eq!(again, fig);

    // The public's week: the same route in the 09-11 band, no planned trips.
    let public = f
        .app
        .service_delivered((day(), day().offset(6)), None, By::Band, false, Lang::Es)
        .await
        .unwrap();
    let band = public
        .figures
        .iter()
        .find(|x| x.route_id == fig.route_id && x.direction == fig.direction && x.hour == "09-11")
        .unwrap();
    assert!(band.planned_trips.is_none() && band.runs >= fig.runs);
    assert!(public.to_csv().lines().count() == public.figures.len() + 1);
}

#[tokio::test]
async fn half_the_frequency_shows_as_half_the_runs_and_half_a_headway_of_excess_on_sqlite() {
    half_the_frequency_shows_as_half_the_runs_and_half_a_headway_of_excess(fresh().await).await;
}

#[tokio::test]
async fn half_the_frequency_shows_as_half_the_runs_and_half_a_headway_of_excess_on_postgres() {
    half_the_frequency_shows_as_half_the_runs_and_half_a_headway_of_excess(
        fresh_on_postgres().await,
    )
    .await;
}

#[tokio::test]
async fn bunching_shows_as_irregular_headways_and_the_promise_kept_as_none() {
    let tt = crate::arequipa();
    let lines = Lines::new(&tt);
    let (line, _, h) = a_line(&lines);
    let kept = drive(&fresh().await, line, every(h).collect()).await;
    let bunched = drive(
        &fresh().await,
        line,
        every(2 * h).flat_map(|d| [d, d + 60]).collect(),
    )
    .await;
    assert!(kept.ewt_min.unwrap().abs() < 0.1, "{kept:?}");
    assert!(kept.headway_cv.unwrap() < 0.05, "{kept:?}");
    assert_eq!(kept.runs, bunched.runs, "as many buses");
    assert!(bunched.headway_cv.unwrap() > 0.6, "{bunched:?}");
    // Headways of 60 s and 2H − 60 s: Σh²/2Σh − H/2.
    let (a, b) = (60.0, 2.0 * h as f64 - 60.0);
    let want = ((a * a + b * b) / (2.0 * (a + b)) - h as f64 / 2.0) / 60.0;
    assert!(
        (bunched.ewt_min.unwrap() - want).abs() < 0.1,
        "{bunched:?} vs {want}"
    );
}
