//! Caltrain's recorded GTFS-Realtime (2023-11-07, 17:05 Pacific), replayed at its own date
//! on its own static feed: the live runs are the recorded predictions, and what the
//! recording lacks (cancellations, unknown and added trips, a day a trip does not run,
//! delays instead of times, skipped stops) is built on the same feed.

use realtime::{ApplyOptions, FeedMessage, apply, decode};
use std::path::Path;
use std::sync::OnceLock;
use timetable::{Day, Timetable};

fn feeds() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/rt")
}

fn caltrain() -> &'static Timetable {
    static TT: OnceLock<Timetable> = OnceLock::new();
    TT.get_or_init(|| {
        let spec = gtfs::FeedSpec {
            id: "ct".into(),
            path: feeds().join("ct.zip"),
        };
        gtfs::load(&[spec], &gtfs::LoadConfig::default())
            .expect("Caltrain's feed loads")
            .timetable
    })
}

fn recorded() -> FeedMessage {
    decode(&std::fs::read(feeds().join("ct-trip-updates.pb")).unwrap()).unwrap()
}

const REPLAY: ApplyOptions = ApplyOptions {
    now: 0,
    max_age_s: 0,
};

#[test]
fn the_recorded_predictions_are_the_live_runs() {
    let tt = caltrain();
    let msg = recorded();
    let overlay = apply(tt, "ct", &msg, REPLAY);
    let a = &overlay.applied;
    assert_eq!(a.runs, 19, "{a:?}");
    assert_eq!(
        (
            a.unknown_trips,
            a.not_running,
            a.unsupported,
            a.unmatched_stops
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(a.stop_updates, 220);
    let tz: chrono_tz::Tz = "America/Los_Angeles".parse().unwrap();
    let day = Day::parse("2023-11-07").unwrap();
    let base = realtime::service_day_start(tz, day);
    let mut checked = 0;
    for e in &msg.entity {
        let u = e.trip_update.as_ref().unwrap();
        let trip = tt.trip_by_id(&format!("ct:{}", u.trip.trip_id())).unwrap();
        let run = overlay.run(trip, day).expect("live");
        let stops = tt.pattern_stops(tt.trip(trip).pattern);
        for st in &u.stop_time_update {
            let want = tt.stop_by_id(&format!("ct:{}", st.stop_id())).unwrap();
            let pos = stops.iter().position(|&s| s == want).unwrap();
            if let Some(t) = st.departure.as_ref().and_then(|d| d.time) {
                assert_eq!(
                    i64::from(run.departures[pos]),
                    t - base,
                    "{} at {}",
                    u.trip.trip_id(),
                    st.stop_id()
                );
                checked += 1;
            }
            if let Some(t) = st.arrival.as_ref().and_then(|d| d.time) {
                assert_eq!(i64::from(run.arrivals[pos]), t - base);
            }
            assert!(run.observed[pos]);
        }
        // Times never go backwards along the run.
        for i in 1..run.arrivals.len() {
            assert!(
                run.arrivals[i] >= run.departures[i - 1],
                "{}",
                u.trip.trip_id()
            );
            assert!(run.departures[i] >= run.arrivals[i]);
        }
    }
    assert!(checked >= 200, "{checked}");
    // Replayed three years later with an age limit, it is refused whole.
    let late = ApplyOptions {
        now: overlay.feed_time + 3 * 365 * 86_400,
        max_age_s: 120,
    };
    let old = apply(tt, "ct", &msg, late);
    assert!(old.applied.too_old && old.is_empty());
}

/// A message of one TripUpdate built from the recorded one of trip `id`, changed by `edit`.
fn one(id: &str, edit: impl FnOnce(&mut realtime::FeedMessage)) -> FeedMessage {
    let mut msg = recorded();
    msg.entity
        .retain(|e| e.trip_update.as_ref().unwrap().trip.trip_id() == id);
    assert_eq!(msg.entity.len(), 1, "{id}");
    edit(&mut msg);
    msg
}

#[test]
fn what_the_recording_lacks_is_counted_or_applied_by_the_rules() {
    let tt = caltrain();
    let day = Day::parse("2023-11-07").unwrap();
    let first = recorded().entity[0]
        .trip_update
        .as_ref()
        .unwrap()
        .trip
        .trip_id()
        .to_string();
    let trip = tt.trip_by_id(&format!("ct:{first}")).unwrap();
    let t = tt.trip(trip);
    let col = match t.kind {
        timetable::TripKind::Scheduled { col } => col as usize,
        timetable::TripKind::Frequency => panic!("Caltrain has no frequencies"),
    };
    let n = tt.pattern(t.pattern).n_stops();
    let sched = |i: usize| tt.departure(t.pattern, i, col);
    let stops = tt.pattern_stops(t.pattern);
    let stop_id = |i: usize| tt.stop(stops[i]).id.trim_start_matches("ct:").to_string();
    use realtime_proto::*;

    // Canceled: the run is live and canceled.
    let msg = one(&first, |m| {
        let u = m.entity[0].trip_update.as_mut().unwrap();
        u.trip.set_schedule_relationship(TripRel::Canceled);
    });
    let o = apply(tt, "ct", &msg, REPLAY);
    assert!(o.run(trip, day).unwrap().canceled);
    assert_eq!(o.applied.canceled, 1);

    // Unknown, added, a date the trip does not run, an unreadable date: counted, nothing live.
    type Edit = Box<dyn Fn(&mut FeedMessage)>;
    let cases: [(&str, Edit); 4] = [
        (
            "unknown",
            Box::new(|m| {
                m.entity[0].trip_update.as_mut().unwrap().trip.trip_id = Some("nope".into())
            }),
        ),
        (
            "added",
            Box::new(|m| {
                m.entity[0]
                    .trip_update
                    .as_mut()
                    .unwrap()
                    .trip
                    .set_schedule_relationship(TripRel::Added)
            }),
        ),
        (
            "not running",
            Box::new(|m| {
                m.entity[0].trip_update.as_mut().unwrap().trip.start_date = Some("20250101".into())
            }),
        ),
        (
            "bad date",
            Box::new(|m| {
                m.entity[0].trip_update.as_mut().unwrap().trip.start_date =
                    Some("2023-11-07".into())
            }),
        ),
    ];
    for (what, edit) in cases {
        let msg = one(&first, |m| edit(m));
        let o = apply(tt, "ct", &msg, REPLAY);
        let a = &o.applied;
        let counted = match what {
            "unknown" => a.unknown_trips,
            "added" => a.added,
            "not running" => a.not_running,
            _ => a.bad_dates,
        };
        assert_eq!((counted, o.len()), (1, 0), "{what}: {a:?}");
    }

    // Delays instead of times: a 5-minute delay at the third stop carries on to the end; the
    // stops before keep the schedule. A skipped stop is marked; NO_DATA keeps the schedule
    // from there on. `time` wins over `delay` when both are given.
    let delayed = |updates: Vec<StopTimeUpdate>| {
        one(&first, |m| {
            m.entity[0].trip_update.as_mut().unwrap().stop_time_update = updates;
        })
    };
    let upd = |i: usize, delay: Option<i32>, time: Option<i64>, rel: StopRel| {
        let mut u = StopTimeUpdate {
            stop_id: Some(stop_id(i)),
            departure: Some(StopTimeEvent {
                delay,
                time,
                ..Default::default()
            }),
            ..Default::default()
        };
        u.set_schedule_relationship(rel);
        u
    };
    let o = apply(
        tt,
        "ct",
        &delayed(vec![upd(2, Some(300), None, StopRel::Scheduled)]),
        REPLAY,
    );
    let run = o.run(trip, day).unwrap();
    assert_eq!(run.departures[0], sched(0));
    assert_eq!(run.departures[1], sched(1));
    for i in 2..n {
        assert_eq!(run.departures[i], sched(i) + 300, "stop {i}");
    }
    let tz: chrono_tz::Tz = "America/Los_Angeles".parse().unwrap();
    let base = realtime::service_day_start(tz, day);
    let at = base + i64::from(sched(3)) + 120;
    let o = apply(
        tt,
        "ct",
        &delayed(vec![
            upd(1, None, None, StopRel::Skipped),
            upd(3, Some(900), Some(at), StopRel::Scheduled),
            upd(5, None, None, StopRel::NoData),
        ]),
        REPLAY,
    );
    let run = o.run(trip, day).unwrap();
    assert!(run.skipped[1] && !run.skipped[3]);
    assert_eq!(run.departures[3], sched(3) + 120, "time wins over delay");
    assert_eq!(run.departures[4], sched(4) + 120);
    for i in 5..n {
        assert_eq!(
            run.departures[i],
            sched(i),
            "NO_DATA from stop 5: schedule at {i}"
        );
    }
}

/// The message types, for building cases.
mod realtime_proto {
    pub use realtime::proto::trip_descriptor::ScheduleRelationship as TripRel;
    pub use realtime::proto::trip_update::stop_time_update::ScheduleRelationship as StopRel;
    pub use realtime::proto::trip_update::{StopTimeEvent, StopTimeUpdate};
}

#[test]
fn recorded_vehicles_sit_on_their_trips_and_bad_positions_are_dropped() {
    let tt = caltrain();
    let bytes = std::fs::read(feeds().join("ct-vehicle-positions.pb")).unwrap();
    let msg = decode(&bytes).unwrap();
    let header = msg.header.timestamp.unwrap() as i64;
    let at_its_time = ApplyOptions {
        now: header,
        max_age_s: 0,
    };
    let (vehicles, seen) = realtime::vehicles(tt, "ct", &msg, at_its_time);
    assert_eq!(seen.vehicles, 14, "{seen:?}");
    assert_eq!(
        (seen.unknown, seen.bad_positions, seen.from_the_future),
        (0, 0, 0)
    );
    for (v, e) in vehicles.iter().zip(&msg.entity) {
        let rec = e.vehicle.as_ref().unwrap();
        let trip = v.trip.expect("every recorded trip is in the feed");
        assert_eq!(
            tt.trip(trip).id,
            format!("ct:{}", rec.trip.as_ref().unwrap().trip_id())
        );
        assert_eq!(v.route, Some(tt.trip(trip).route));
        assert_eq!(
            v.direction.map(u32::from),
            rec.trip.as_ref().unwrap().direction_id
        );
        assert_eq!(
            v.code.as_deref(),
            rec.vehicle.as_ref().unwrap().id.as_deref()
        );
        // On the Peninsula, where Caltrain runs.
        assert!((37.0..38.0).contains(&v.coord.lat()) && (-122.6..-121.5).contains(&v.coord.lon()));
    }
    // Read three years later with an age limit: all too old. Replayed before its time: from
    // the future. Positions that are not positions, and unknown trips and routes: dropped.
    let late = ApplyOptions {
        now: header + 3 * 365 * 86_400,
        max_age_s: 300,
    };
    assert_eq!(realtime::vehicles(tt, "ct", &msg, late).1.too_old, 14);
    let early = ApplyOptions {
        now: header - 3600,
        max_age_s: 0,
    };
    assert_eq!(
        realtime::vehicles(tt, "ct", &msg, early).1.from_the_future,
        14
    );
    let mut bad = msg.clone();
    bad.entity.truncate(4);
    let v = |i: usize, m: &mut FeedMessage| m.entity[i].vehicle.as_mut().unwrap().clone();
    let mut e0 = v(0, &mut bad);
    e0.position.as_mut().unwrap().latitude = 91.0;
    let mut e1 = v(1, &mut bad);
    e1.position = None;
    let mut e2 = v(2, &mut bad);
    let t = e2.trip.as_mut().unwrap();
    (t.trip_id, t.route_id) = (Some("nope".into()), Some("nope".into()));
    bad.entity[0].vehicle = Some(e0);
    bad.entity[1].vehicle = Some(e1);
    bad.entity[2].vehicle = Some(e2);
    let (kept, seen) = realtime::vehicles(tt, "ct", &bad, at_its_time);
    assert_eq!(
        (kept.len(), seen.bad_positions, seen.unknown),
        (1, 2, 1),
        "{seen:?}"
    );
}

/// Real time that says "on time" changes no plan: every Caltrain run of the day live with a
/// zero delay, 200 queries between stations answered exactly as the timetable answers them;
/// and the recording's real delays never make a plan arrive earlier than a run can.
#[test]
fn on_time_real_time_changes_no_plan() {
    use raptor::{LiveView, Options, Request, Scratch, StopWalk, search};
    use realtime::proto::{FeedEntity, FeedHeader, TripDescriptor, TripUpdate};
    let tt = caltrain();
    let day = Day::parse("2023-11-07").unwrap();
    let entity: Vec<FeedEntity> = tt
        .trips()
        .iter()
        .filter(|t| tt.service_active(t.service, day))
        .map(|t| FeedEntity {
            id: t.id.clone(),
            trip_update: Some(TripUpdate {
                trip: TripDescriptor {
                    trip_id: Some(t.id.trim_start_matches("ct:").into()),
                    start_date: Some("20231107".into()),
                    ..TripDescriptor::default()
                },
                ..TripUpdate::default()
            }),
            ..FeedEntity::default()
        })
        .collect();
    let msg = FeedMessage {
        header: FeedHeader::default(),
        entity,
    };
    let o = apply(tt, "ct", &msg, REPLAY);
    assert!(o.applied.runs > 90, "{:?}", o.applied);
    let view = |o| LiveView {
        live: std::sync::Arc::new(realtime::Live::default().with("ct", o, 0, 0)),
        now: 0,
    };
    let on_time = view(o);
    let recorded = view(apply(tt, "ct", &recorded(), REPLAY));
    let stations: Vec<_> = (0..tt.stops().len())
        .map(timetable::StopIdx::new)
        .filter(|&s| !tt.stop_patterns(s).is_empty())
        .collect();
    let mut sc = Scratch::new(tt);
    let mut compared = 0;
    for i in 0..200usize {
        let (a, b) = (
            stations[(i * 7) % stations.len()],
            stations[(i * 13 + 5) % stations.len()],
        );
        if a == b {
            continue;
        }
        let walk = |s| {
            [StopWalk {
                stop: s,
                duration: 0,
                distance_m: 0,
            }]
        };
        let (access, egress) = (walk(a), walk(b));
        let req = Request {
            day,
            time: 6 * 3600 + (i as i32 * 311) % (14 * 3600),
            arrive_by: i % 3 == 0,
            access: &access,
            egress: &egress,
        };
        let plain = search(tt, &mut sc, &req, &Options::default());
        let with = |v: &LiveView| Options {
            live: Some(v.clone()),
            ..Options::default()
        };
        let live = search(tt, &mut sc, &req, &with(&on_time));
        let key = |js: &[raptor::Journey]| -> Vec<(i32, i32, u8)> {
            js.iter()
                .map(|j| (j.departure, j.arrival, j.rides))
                .collect()
        };
        assert_eq!(key(&plain), key(&live), "query {i}");
        // With the recording's delays every ride still runs in time order.
        for j in search(tt, &mut sc, &req, &with(&recorded)) {
            assert!(j.departure <= j.arrival, "query {i}: {j:?}");
        }
        compared += 1;
    }
    assert!(compared > 150);
}
