//! Operators' GPS, pushed: a bus company's token moves its own buses only; a batch naming
//! another company's route, or too large, is refused whole; bad positions are dropped by
//! reason; the buses appear on the map and at the stops ahead, in every process on the
//! database, and after a restart.

use crate::{Fresh, app_with, fresh};
use app::positions::PositionIn;
use app::{Error, Official, Role, VehicleFilter};
use i18n::Lang;
use realtime::fleet::{Lines, Simulation};
use std::sync::Arc;

/// 08:00 in Arequipa on Monday 2026-12-07 (Unix seconds): every Arequipa route runs.
fn eight_am() -> i64 {
    let day = app::Day::parse("20261207").unwrap();
    realtime::service_day_start("America/Lima".parse().unwrap(), day) + 8 * 3600
}

/// An operator of Transcayma (`arequipa:0`), signed in.
async fn transcayma(f: &Fresh) -> Official {
    let token = f
        .obs
        .store()
        .create_operator("transcayma", &["arequipa:0".to_string()], 0)
        .await
        .unwrap();
    f.app
        .authenticate(Some(&token), Role::Operator, Lang::Es)
        .await
        .unwrap()
}

/// `n` simulated buses of Transcayma, `steps` posts `dt` seconds apart from `t0`: each
/// post's positions as an operator sends them.
fn drive(n: usize, steps: usize, dt: f64, t0: i64) -> Vec<Vec<PositionIn>> {
    let tt = crate::arequipa();
    let lines = Lines::new(&tt);
    let on: Vec<u32> = lines
        .iter()
        .filter(|(_, l)| tt.agencies()[tt.route(l.route).agency.idx()].id == "arequipa:0")
        .map(|(i, _)| i)
        .collect();
    let mut sim = Simulation::new(&lines, &on, n, 20.0, 7);
    (0..steps)
        .map(|k| {
            sim.step(&lines, dt)
                .into_iter()
                .map(|p| PositionIn {
                    vehicle: p.vehicle,
                    route: tt.route(p.route).id.clone(),
                    direction: None,
                    lat: p.coord.lat(),
                    lon: p.coord.lon(),
                    timestamp: t0 + (k as f64 * dt) as i64,
                    speed_kmh: Some(p.speed_kmh),
                    heading: Some(f64::from(p.heading)),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn an_operators_buses_appear_on_the_map_and_live_at_the_stops_ahead() {
    let f = fresh().await;
    let who = transcayma(&f).await;
    let now = eight_am();
    let mut accepted = 0;
    let mut last = None;
    for (k, batch) in drive(12, 3, 10.0, now).into_iter().enumerate() {
        let t = now + 10 * k as i64;
        let taken = f
            .app
            .take_positions(&who, batch, t, Lang::Es)
            .await
            .unwrap();
        accepted += taken.accepted;
        last = Some((taken, t));
    }
    let (taken, t) = last.unwrap();
    // Noise, gaps and a bad ping or two: most positions place their bus.
    assert!(accepted >= 28, "{accepted} of 36 accepted");
    assert!(taken.vehicles >= 11, "{taken:?}");
    let ds = f.app.dataset();
    let public = f.app.vehicles(&ds, VehicleFilter::default(), t);
    assert_eq!(public.len(), taken.vehicles);
    assert!(
        public
            .iter()
            .all(|v| v.code.is_none() && v.route_id.starts_with("arequipa:"))
    );
    let official = VehicleFilter {
        official: true,
        ..VehicleFilter::default()
    };
    let seen = f.app.vehicles(&ds, official, t);
    assert!(
        seen.iter()
            .all(|v| v.code.as_deref().is_some_and(|c| c.starts_with("SIM-")))
    );
    // At 08:00 every bus is on a run of its route's 5-minute windows.
    assert!(
        seen.iter().all(|v| !v.unscheduled && v.run_start.is_some()),
        "{seen:?}"
    );

    // Somewhere ahead of the buses, departures are live and in order.
    let tt = &ds.timetable;
    let day = app::Day::parse("20261207").unwrap();
    let live_stops = tt
        .stops()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.id.starts_with("arequipa:"))
        .filter(|(i, _)| {
            let deps = f
                .app
                .departures(&ds, app::StopIdx::new(*i), (day, 8 * 3600 + 20), 5, t);
            deps.departures.iter().any(|d| d.realtime)
        })
        .count();
    assert!(live_stops > 50, "{live_stops} stops with a live departure");

    // Not heard from for the timeout (120 s): gone from the map.
    assert!(
        f.app
            .vehicles(&ds, VehicleFilter::default(), t + 121)
            .is_empty()
    );
}

#[tokio::test]
async fn a_batch_naming_another_companys_route_or_too_large_is_refused_whole() {
    let f = fresh().await;
    let who = transcayma(&f).await;
    let now = eight_am();
    let mut batch = drive(3, 1, 5.0, now).remove(0);
    // Route B is Emarsistran's (agency 1).
    let mut theirs = batch[0].clone();
    theirs.route = "B".into();
    batch.push(theirs);
    let err = f
        .app
        .take_positions(&who, batch, now, Lang::En)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Forbidden(m) if m.contains("“B”")),
        "{err:?}"
    );
    let ds = f.app.dataset();
    assert!(
        f.app
            .vehicles(&ds, VehicleFilter::default(), now)
            .is_empty()
    );

    // One over the cap.
    let max = f.app.settings().operators.max_batch;
    let many = vec![drive(1, 1, 5.0, now).remove(0).remove(0); max + 1];
    assert!(matches!(
        f.app.take_positions(&who, many, now, Lang::Es).await,
        Err(Error::TooLarge(_))
    ));
    // An official who is not an operator speaks for no company.
    let viewer = f.official("ana", Role::Viewer).await;
    let one = drive(1, 1, 5.0, now).remove(0);
    assert!(matches!(
        f.app.take_positions(&viewer, one, now, Lang::Es).await,
        Err(Error::Forbidden(_))
    ));

    // Bad positions are dropped by reason; the good one is taken.
    let good = drive(1, 1, 5.0, now).remove(0).remove(0);
    let bad = |edit: fn(&mut PositionIn)| {
        let mut p = good.clone();
        p.vehicle = "OTHER".into();
        edit(&mut p);
        p
    };
    let batch = vec![
        good.clone(),
        bad(|p| p.lat = 100.0),
        bad(|p| p.lon = f64::NAN),
        bad(|p| p.route = "no such route".into()),
        bad(|p| p.vehicle = "  ".into()),
        bad(|p| p.timestamp += 3600),
        bad(|p| p.timestamp -= 3600),
        bad(|p| p.timestamp = i64::MIN),
        bad(|p| p.timestamp = i64::MAX),
        bad(|p| p.lat += 0.01), // a kilometre off its route
    ];
    let taken = f
        .app
        .take_positions(&who, batch, now, Lang::Es)
        .await
        .unwrap();
    let dropped: Vec<(&str, usize)> = taken
        .dropped
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(taken.accepted, 1);
    assert_eq!(
        dropped,
        [
            ("bad_position", 2),
            ("bad_vehicle", 1),
            ("from_the_future", 2),
            ("off_route", 1),
            ("too_old", 2),
            ("unknown_route", 1)
        ]
    );
}

#[tokio::test]
async fn protobuf_positions_are_taken_as_json_ones_are() {
    use prost::Message;
    use realtime::proto::{
        FeedEntity, FeedHeader, FeedMessage, Position, TripDescriptor, VehicleDescriptor,
        VehiclePosition,
    };
    let f = fresh().await;
    let who = transcayma(&f).await;
    let now = eight_am();
    let batch = drive(4, 1, 5.0, now).remove(0);
    let msg = FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(now as u64),
            ..FeedHeader::default()
        },
        entity: batch
            .iter()
            .map(|p| FeedEntity {
                id: p.vehicle.clone(),
                vehicle: Some(VehiclePosition {
                    trip: Some(TripDescriptor {
                        route_id: Some(p.route.trim_start_matches("arequipa:").into()),
                        ..TripDescriptor::default()
                    }),
                    vehicle: Some(VehicleDescriptor {
                        id: Some(p.vehicle.clone()),
                        ..VehicleDescriptor::default()
                    }),
                    position: Some(Position {
                        latitude: p.lat as f32,
                        longitude: p.lon as f32,
                        bearing: p.heading.map(|h| h as f32),
                        ..Position::default()
                    }),
                    ..VehiclePosition::default()
                }),
                ..FeedEntity::default()
            })
            .collect(),
    };
    let taken = f
        .app
        .take_positions_protobuf(&who, &msg.encode_to_vec(), now, Lang::Es)
        .await
        .unwrap();
    let json = fresh().await;
    let who2 = transcayma(&json).await;
    let same = json
        .app
        .take_positions(&who2, batch, now, Lang::Es)
        .await
        .unwrap();
    assert_eq!(
        (taken.accepted, taken.vehicles),
        (same.accepted, same.vehicles)
    );
    assert!(matches!(
        f.app
            .take_positions_protobuf(&who, b"\xff\xffnot protobuf", now, Lang::Es)
            .await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn every_process_on_the_database_sees_the_buses_and_a_restart_keeps_them() {
    every_process_sees_the_buses(fresh().await).await;
}

/// The scale-out path: the same with the processes on one PostgreSQL database.
#[tokio::test]
async fn every_process_on_postgresql_sees_the_buses_and_a_restart_keeps_them() {
    every_process_sees_the_buses(crate::fresh_on_postgres().await).await;
}

async fn every_process_sees_the_buses(f: Fresh) {
    let who = transcayma(&f).await;
    let now = eight_am();
    let batch = drive(6, 1, 5.0, now).remove(0);
    let taken = f
        .app
        .take_positions(&who, batch, now, Lang::Es)
        .await
        .unwrap();
    assert!(taken.vehicles >= 5);
    // Another process on the same database (or this one restarted): nothing until it reads
    // the batches, then the same buses in the same places.
    let other = app_with(Some(Arc::clone(&f.obs)));
    let ds = other.dataset();
    let official = VehicleFilter {
        official: true,
        ..VehicleFilter::default()
    };
    assert!(other.vehicles(&ds, official, now + 1).is_empty());
    assert_eq!(other.follow_positions(now + 1).await.unwrap(), 1);
    let mut theirs = other.vehicles(&ds, official, now + 1);
    let mut ours = f.app.vehicles(&f.app.dataset(), official, now + 1);
    let key = |v: &app::LiveVehicle| v.code.clone();
    theirs.sort_by_key(key);
    ours.sort_by_key(key);
    assert_eq!(theirs, ours);
    // Read once: the next read takes nothing new; our own batches are never taken twice.
    assert_eq!(other.follow_positions(now + 2).await.unwrap(), 0);
    assert_eq!(f.app.follow_positions(now + 2).await.unwrap(), 0);
    // Past the timeout the batches are deleted and a fresh process starts with no bus.
    assert_eq!(other.follow_positions(now + 200).await.unwrap(), 0);
    let late = app_with(Some(Arc::clone(&f.obs)));
    assert_eq!(late.follow_positions(now + 201).await.unwrap(), 0);
    assert!(
        late.vehicles(&late.dataset(), official, now + 201)
            .is_empty()
    );
}

/// Group commit: batches posted at once on both cores share publications, and none is
/// answered before a publication that includes it — so a generation's vehicle count is at
/// least the number of (one-bus) batches answered with that generation or an earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_at_once_are_answered_only_once_published() {
    let f = fresh().await;
    let who = transcayma(&f).await;
    let now = eight_am();
    let buses = drive(40, 1, 10.0, now).remove(0);
    assert!(buses.len() >= 30, "{} buses", buses.len());
    let mut posts = tokio::task::JoinSet::new();
    for bus in buses.clone() {
        let (app, who) = (f.app.clone(), who.clone());
        posts.spawn(async move { app.take_positions(&who, vec![bus], now, Lang::Es).await });
    }
    let mut answers = Vec::new();
    while let Some(a) = posts.join_next().await {
        answers.push(a.unwrap().unwrap());
    }
    let accepted: usize = answers.iter().map(|a| a.accepted).sum();
    assert!(accepted >= buses.len() - 2, "{accepted} accepted");
    for a in &answers {
        let answered_by_then = answers
            .iter()
            .filter(|b| b.generation <= a.generation && b.accepted == 1)
            .count();
        assert!(
            a.vehicles >= answered_by_then,
            "generation {} has {} buses but {answered_by_then} batches were answered with it \
             or before",
            a.generation,
            a.vehicles
        );
    }
    // The last publication came after the last batch was placed: it has every bus.
    let last = answers.iter().max_by_key(|a| a.generation).unwrap();
    assert_eq!(last.vehicles, accepted, "{last:?}");
    let ds = f.app.dataset();
    assert_eq!(
        f.app.vehicles(&ds, VehicleFilter::default(), now).len(),
        accepted
    );
}
