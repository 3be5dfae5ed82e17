//! What the Caltrain recording lacks, on timetables written by hand: runs of frequency-based
//! trips picked by their start time, unscheduled and duplicated runs, added trips, and buses
//! known only by their GPS (operators' positions without a trip id).

use realtime::fleet::{Dropped, Fleet, Lines, Ping};
use realtime::proto::trip_descriptor::ScheduleRelationship as TripRel;
use realtime::proto::trip_update::{StopTimeEvent, StopTimeUpdate, TripProperties};
use realtime::proto::{FeedEntity, FeedHeader, TripDescriptor, TripUpdate};
use realtime::{ApplyOptions, FeedMessage, apply, service_day_start};
use timetable::{Coord, Day, Timetable};

const REPLAY: ApplyOptions = ApplyOptions {
    now: 0,
    max_age_s: 0,
};

fn monday() -> Day {
    Day::parse("20261123").unwrap()
}

fn base() -> i64 {
    service_day_start("America/Lima".parse().unwrap(), monday())
}

/// Route F every 10 min 06:00–09:00 (A → B → C, 5 min apart), back the other way, and a
/// scheduled trip S1 on weekdays.
fn network() -> Timetable {
    timetable::text::parse(
        "stop A -16.40,-71.50\nstop B -16.40,-71.49\nstop C -16.40,-71.48\n\
         freq F every 10m from 06:00 to 09:00 id=F: A 0:00 B 0:05 C 0:10\n\
         freq F every 10m from 06:00 to 09:00 id=Fback: C 0:00 B 0:05 A 0:10\n\
         route S id=S1 weekdays=mon-fri: A 07:00 B 07:05 C 07:10\n",
    )
    .unwrap()
}

fn update(trip: &str, rel: TripRel, edit: impl FnOnce(&mut TripUpdate)) -> FeedMessage {
    let mut desc = TripDescriptor {
        trip_id: Some(trip.into()),
        start_date: Some("20261123".into()),
        ..TripDescriptor::default()
    };
    desc.set_schedule_relationship(rel);
    let mut u = TripUpdate {
        trip: desc,
        ..TripUpdate::default()
    };
    edit(&mut u);
    FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(base() as u64 + 7 * 3600),
            ..FeedHeader::default()
        },
        entity: vec![FeedEntity {
            id: "1".into(),
            trip_update: Some(u),
            ..FeedEntity::default()
        }],
    }
}

fn delay_at(stop: &str, delay: i32) -> StopTimeUpdate {
    StopTimeUpdate {
        stop_id: Some(stop.into()),
        departure: Some(StopTimeEvent {
            delay: Some(delay),
            ..StopTimeEvent::default()
        }),
        ..StopTimeUpdate::default()
    }
}

fn hm(h: u32, m: u32) -> u32 {
    h * 3600 + m * 60
}

#[test]
fn a_frequency_run_is_picked_by_its_start_time() {
    let tt = network();
    let f = tt.trip_by_id("F").unwrap();
    let p = tt.trip(f).pattern;
    let msg = update("F", TripRel::Scheduled, |u| {
        u.trip.start_time = Some("07:10:00".into());
        u.stop_time_update = vec![delay_at("B", 120)];
    });
    let o = apply(&tt, "", &msg, REPLAY);
    assert_eq!(o.applied.runs, 1, "{:?}", o.applied);
    let runs = o.extra_runs(p, monday());
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    assert_eq!((r.trip, r.start, r.unscheduled), (f, hm(7, 10), false));
    // A on time, B and C two minutes late.
    assert_eq!(r.run.departures, vec![hm(7, 10), hm(7, 17), hm(7, 22)]);

    // Its departures at B: the live run as predicted, the scheduled one it is not offered.
    let live = realtime::Live::default().with("", o, base() + 7 * 3600, 0);
    let b = tt.stop_by_id("B").unwrap();
    let deps = planner::departures(
        &tt,
        b,
        monday(),
        hm(7, 12) as i32,
        3,
        Some(live.at(base() + 7 * 3600)),
    );
    let said: Vec<(String, bool, Option<i32>)> = deps
        .iter()
        .filter(|d| d.route_short_name == "F" && d.headsign == "C")
        .map(|d| (d.departure[11..16].to_string(), d.realtime, d.delay_s))
        .collect();
    assert_eq!(
        said[..2],
        [
            ("07:17".to_string(), true, Some(120)),
            ("07:25".to_string(), false, None)
        ]
    );
}

#[test]
fn unscheduled_duplicated_and_added_runs_follow_the_rules() {
    let tt = network();
    let f = tt.trip_by_id("F").unwrap();
    let s1 = tt.trip_by_id("S1").unwrap();
    // A start outside every window: not a run of F…
    let late = |rel| {
        update("F", rel, |u| {
            u.trip.start_time = Some("10:03:00".into());
        })
    };
    let o = apply(&tt, "", &late(TripRel::Scheduled), REPLAY);
    assert_eq!((o.applied.not_running, o.len()), (1, 0));
    // …but an unscheduled run may start any time, on the template's times.
    let o = apply(&tt, "", &late(TripRel::Unscheduled), REPLAY);
    let r = &o.extra_runs(tt.trip(f).pattern, monday())[0];
    assert!(r.unscheduled);
    assert_eq!(r.run.departures, vec![hm(10, 3), hm(10, 8), hm(10, 13)]);
    // A frequency run without its start time cannot be placed.
    let o = apply(&tt, "", &update("F", TripRel::Scheduled, |_| {}), REPLAY);
    assert_eq!((o.applied.bad_start_times, o.len()), (1, 0));
    // A duplicate of S1 at 08:00 runs S1's times from then; S1 itself is untouched.
    let dup = update("S1", TripRel::Duplicated, |u| {
        u.trip_properties = Some(TripProperties {
            trip_id: Some("S1-bis".into()),
            start_date: Some("20261123".into()),
            start_time: Some("08:00:00".into()),
            ..TripProperties::default()
        });
    });
    let o = apply(&tt, "", &dup, REPLAY);
    let r = &o.extra_runs(tt.trip(s1).pattern, monday())[0];
    assert_eq!(r.run.departures, vec![hm(8, 0), hm(8, 5), hm(8, 10)]);
    assert!(o.run(s1, monday()).is_none());
    // S1 on a Sunday does not run, and is not resurrected; an added trip is counted.
    let sunday = update("S1", TripRel::Scheduled, |u| {
        u.trip.start_date = Some("20261122".into());
    });
    let o = apply(&tt, "", &sunday, REPLAY);
    assert_eq!((o.applied.not_running, o.len()), (1, 0));
    let o = apply(&tt, "", &update("X9", TripRel::Added, |_| {}), REPLAY);
    assert_eq!((o.applied.added, o.len()), (1, 0));
    // A canceled frequency run is not offered at its stops.
    let canceled = update("F", TripRel::Canceled, |u| {
        u.trip.start_time = Some("07:10:00".into());
    });
    let o = apply(&tt, "", &canceled, REPLAY);
    let live = realtime::Live::default().with("", o, base(), 0);
    let b = tt.stop_by_id("B").unwrap();
    let deps = planner::departures(&tt, b, monday(), hm(7, 12) as i32, 2, Some(live.at(base())));
    assert!(
        deps.iter()
            .filter(|d| d.route_short_name == "F" && d.headsign == "C")
            .all(|d| d.departure[11..16] != *"07:15"),
        "{deps:?}"
    );
}

/// A ping of vehicle `code` on route F at (lat, lon), `at` seconds of Monday.
fn ping(tt: &Timetable, code: &str, (lat, lon): (f64, f64), at: u32, heading: Option<f32>) -> Ping {
    Ping {
        vehicle: code.into(),
        routes: vec![tt.route_by_id("F").unwrap()],
        direction: None,
        coord: Coord::new(lat, lon).unwrap(),
        at: base() + i64::from(at),
        speed_mps: None,
        heading,
    }
}

#[test]
fn a_bus_known_only_by_its_gps_is_placed_on_its_run_and_predicted() {
    let tt = network();
    let lines = Lines::new(&tt);
    let mut fleet = Fleet::default();
    let now = base() + i64::from(hm(7, 13));
    let timeout = 120;
    // Heading east, a third of the way from A to B at 07:12; then two-thirds at 07:13.
    let lon = |f: f64| -71.50 + 0.01 * f;
    fleet
        .observe(
            &lines,
            &ping(&tt, "AQP-1", (-16.4001, lon(0.33)), hm(7, 12), Some(90.0)),
            now,
            timeout,
        )
        .unwrap();
    fleet
        .observe(
            &lines,
            &ping(&tt, "AQP-1", (-16.3999, lon(0.66)), hm(7, 13), Some(90.0)),
            now,
            timeout,
        )
        .unwrap();
    let (vehicles, overlay) = fleet.live(&tt, &lines, now, timeout);
    assert_eq!(vehicles.len(), 1);
    let v = &vehicles[0];
    let f = tt.trip_by_id("F").unwrap();
    // Two-thirds of the 5 scheduled minutes from A: it left A at 07:09:40, so it serves the
    // 07:10 run of F (exact times), not the way back.
    assert_eq!(
        (v.trip, v.run_start, v.unscheduled),
        (Some(f), Some(hm(7, 10)), false)
    );
    let r = &overlay.extra_runs(tt.trip(f).pattern, monday())[0];
    // Observed ~356 m/min, 356 m left to B: due about 07:14, blended with the timetable's
    // 07:14:40; C (1,068 m further) later still, both in order.
    let at_b = r.run.arrivals[1];
    assert!((hm(7, 13) + 40..=hm(7, 15)).contains(&at_b), "B at {at_b}");
    assert!(r.run.arrivals[2] > at_b + 120);
    assert_eq!(r.run.vehicle.as_deref(), Some("AQP-1"));
    assert_eq!(
        r.run.expires_at,
        Some(base() + i64::from(hm(7, 13)) + timeout)
    );

    // The same place heading west is the way back.
    let mut back = Fleet::default();
    back.observe(
        &lines,
        &ping(&tt, "AQP-2", (-16.4, lon(0.5)), hm(7, 12), Some(270.0)),
        now,
        timeout,
    )
    .unwrap();
    let (vehicles, _) = back.live(&tt, &lines, now, timeout);
    assert_eq!(vehicles[0].trip, tt.trip_by_id("Fback"));
}

#[test]
fn bad_positions_are_dropped_with_their_reason_and_never_move_the_bus() {
    let tt = network();
    let lines = Lines::new(&tt);
    let mut fleet = Fleet::default();
    let now = base() + i64::from(hm(7, 13));
    let t = 120;
    let good = ping(&tt, "V", (-16.4, -71.497), hm(7, 12), None);
    fleet.observe(&lines, &good, now, t).unwrap();
    let cases = [
        (
            "off the route",
            ping(&tt, "V", (-16.4027, -71.497), hm(7, 12) + 10, None),
            Dropped::OffRoute,
        ),
        (
            "a jump",
            ping(&tt, "V", (-16.4, -71.481), hm(7, 12) + 10, None),
            Dropped::Jump,
        ),
        (
            "out of order",
            ping(&tt, "V", (-16.4, -71.496), hm(7, 11), None),
            Dropped::OutOfOrder,
        ),
        (
            "from the future",
            ping(&tt, "V", (-16.4, -71.496), hm(7, 20), None),
            Dropped::FromTheFuture,
        ),
        (
            "too old",
            ping(&tt, "W", (-16.4, -71.496), hm(7, 5), None),
            Dropped::TooOld,
        ),
    ];
    for (what, p, want) in cases {
        assert_eq!(fleet.observe(&lines, &p, now, t), Err(want), "{what}");
        assert_eq!(
            fleet.track("V").unwrap().coord,
            good.coord,
            "{what} moved it"
        );
    }
    // A bus whose signal came back far away is placed there once two positions agree.
    let there = ping(&tt, "V", (-16.4, -71.4815), hm(7, 12) + 25, None);
    assert_eq!(fleet.observe(&lines, &there, now, t), Ok(()));
    assert_eq!(fleet.track("V").unwrap().coord, there.coord);
    // Not heard from for the timeout: gone from the map and its predictions.
    let (vehicles, overlay) = fleet.live(&tt, &lines, now + 200, t);
    assert!(vehicles.is_empty() && overlay.is_empty());
}

#[test]
fn alerts_inform_their_stops_routes_and_agencies_in_the_riders_language_while_active() {
    use realtime::alerts::{Alert, alerts};
    use realtime::proto::translated_string::Translation;
    use realtime::proto::{self, EntitySelector, TimeRange, TranslatedString};
    let tt = network();
    let text = |pairs: &[(&str, &str)]| TranslatedString {
        translation: pairs
            .iter()
            .map(|(l, t)| Translation {
                text: (*t).into(),
                language: Some((*l).into()),
            })
            .collect(),
    };
    let alert = |id: &str, sel: EntitySelector, period: Option<(u64, u64)>| FeedEntity {
        id: id.into(),
        alert: Some(proto::Alert {
            informed_entity: vec![sel],
            header_text: Some(text(&[
                ("es", "Paro de transportistas"),
                ("en", "Transport strike"),
            ])),
            active_period: period
                .map(|(s, e)| TimeRange {
                    start: Some(s),
                    end: Some(e),
                })
                .into_iter()
                .collect(),
            ..proto::Alert::default()
        }),
        ..FeedEntity::default()
    };
    let msg = FeedMessage {
        header: FeedHeader::default(),
        entity: vec![
            alert(
                "stop",
                EntitySelector {
                    stop_id: Some("B".into()),
                    ..EntitySelector::default()
                },
                Some((100, 200)),
            ),
            alert(
                "route",
                EntitySelector {
                    route_id: Some("S".into()),
                    ..EntitySelector::default()
                },
                None,
            ),
            alert(
                "nowhere",
                EntitySelector {
                    stop_id: Some("ZZ".into()),
                    ..EntitySelector::default()
                },
                None,
            ),
            FeedEntity {
                id: "silent".into(),
                alert: Some(proto::Alert {
                    informed_entity: vec![EntitySelector::default()],
                    ..proto::Alert::default()
                }),
                ..FeedEntity::default()
            },
        ],
    };
    let (kept, read) = alerts(&tt, "", &msg);
    assert_eq!((read.kept, read.unmatched, read.empty), (2, 1, 1));
    let b = tt.stop_by_id("B").unwrap();
    let s = tt.route_by_id("S").unwrap();
    let f = tt.route_by_id("F").unwrap();
    let agency = tt.route(f).agency;
    let stop_alert = &kept[0];
    assert!(
        stop_alert.informs(b, f, agency)
            && !stop_alert.informs(tt.stop_by_id("A").unwrap(), f, agency)
    );
    assert!(kept[1].informs(tt.stop_by_id("A").unwrap(), s, agency));
    assert!(!kept[1].informs(tt.stop_by_id("A").unwrap(), f, agency));
    // Active in its period only; the rider's language, else the first.
    assert!(!stop_alert.active_at(99) && stop_alert.active_at(100) && !stop_alert.active_at(200));
    assert!(kept[1].active_at(i64::MAX));
    assert_eq!(
        Alert::text(&stop_alert.header, "en"),
        Some("Transport strike")
    );
    assert_eq!(
        Alert::text(&stop_alert.header, "qu"),
        Some("Paro de transportistas")
    );
    // Served through `Live` while the message is young enough.
    let live = realtime::Live::default().with_alerts("", kept, (150, 150), 60);
    assert_eq!(live.at(150).alerts().count(), 2);
    assert_eq!(live.at(205).alerts().count(), 1);
    assert_eq!(live.at(211).alerts().count(), 0);
}

#[test]
fn hostile_times_and_delays_never_panic() {
    let tt = network();
    for t in [i64::MIN, i64::MAX, -1, 0] {
        let msg = update("S1", TripRel::Scheduled, |u| {
            u.stop_time_update = vec![
                StopTimeUpdate {
                    stop_id: Some("A".into()),
                    arrival: Some(StopTimeEvent {
                        time: Some(t),
                        ..StopTimeEvent::default()
                    }),
                    ..StopTimeUpdate::default()
                },
                StopTimeUpdate {
                    stop_id: Some("B".into()),
                    departure: Some(StopTimeEvent {
                        delay: Some(i32::MIN),
                        ..StopTimeEvent::default()
                    }),
                    ..StopTimeUpdate::default()
                },
                delay_at("C", i32::MAX),
            ];
        });
        let o = apply(&tt, "", &msg, REPLAY);
        let r = o.run(tt.trip_by_id("S1").unwrap(), monday()).unwrap();
        // Whatever came in, the run's times do not go backwards.
        for k in 1..3 {
            assert!(r.arrivals[k] >= r.departures[k - 1], "{t}: {r:?}");
            assert!(r.departures[k] >= r.arrivals[k], "{t}: {r:?}");
        }
    }
}
