//! Plans with real time: a late run is boarded when predicted, a canceled one never, a
//! skipped stop cannot be left, a live bus beside the timetable (a frequency run, an
//! unscheduled one) is boarded when it comes; arrive-by reads the predicted arrivals; and
//! without real time the answers are the timetable's.

use raptor::{Leg, LiveView, Options, Request, Scratch, StopWalk, search};
use realtime::proto::trip_descriptor::ScheduleRelationship as TripRel;
use realtime::proto::trip_update::stop_time_update::ScheduleRelationship as StopRel;
use realtime::proto::trip_update::{StopTimeEvent, StopTimeUpdate};
use realtime::proto::{FeedEntity, FeedHeader, FeedMessage, TripDescriptor, TripUpdate};
use std::sync::Arc;
use timetable::{Day, Timetable};

fn monday() -> Day {
    Day::parse("20261123").unwrap()
}

const NET: &str = "route R id=T1: A 08:00 B 08:10 C 08:20\n\
                   route R id=T2: A 08:20 B 08:30 C 08:40\n\
                   freq F every 20m from 08:00 to 10:00 inexact id=F: A 0:00 D 0:10\n";

fn update(trip: &str, rel: TripRel, start: Option<&str>, stops: Vec<StopTimeUpdate>) -> FeedEntity {
    let mut d = TripDescriptor {
        trip_id: Some(trip.into()),
        start_date: Some("20261123".into()),
        start_time: start.map(str::to_string),
        ..TripDescriptor::default()
    };
    d.set_schedule_relationship(rel);
    FeedEntity {
        id: trip.into(),
        trip_update: Some(TripUpdate {
            trip: d,
            stop_time_update: stops,
            ..TripUpdate::default()
        }),
        ..FeedEntity::default()
    }
}

fn at(stop: &str, delay: i32, rel: StopRel) -> StopTimeUpdate {
    let mut u = StopTimeUpdate {
        stop_id: Some(stop.into()),
        departure: Some(StopTimeEvent {
            delay: Some(delay),
            ..StopTimeEvent::default()
        }),
        arrival: Some(StopTimeEvent {
            delay: Some(delay),
            ..StopTimeEvent::default()
        }),
        ..StopTimeUpdate::default()
    };
    u.set_schedule_relationship(rel);
    u
}

/// What is live after `entities` (replayed: nothing expires).
fn live(tt: &Timetable, entities: Vec<FeedEntity>) -> LiveView {
    let msg = FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            ..FeedHeader::default()
        },
        entity: entities,
    };
    let o = realtime::apply(
        tt,
        "",
        &msg,
        realtime::ApplyOptions {
            now: 0,
            max_age_s: 0,
        },
    );
    LiveView {
        live: Arc::new(realtime::Live::default().with("", o, 0, 0)),
        now: 0,
    }
}

/// `ask(the request)` from stop `from` at `time` to stop `to` on Monday.
fn asking<R>(
    tt: &Timetable,
    from: &str,
    to: &str,
    time: &str,
    arrive_by: bool,
    ask: impl FnOnce(&Request<'_>) -> R,
) -> R {
    let stop = |id: &str| StopWalk {
        stop: tt.stop_by_id(id).unwrap(),
        duration: 0,
        distance_m: 0,
    };
    let (access, egress) = ([stop(from)], [stop(to)]);
    ask(&Request {
        day: monday(),
        time: timetable::time::parse_clock(time).unwrap() as i32,
        arrive_by,
        access: &access,
        egress: &egress,
    })
}

/// The best journey's rides, `R A 08:05 - B 08:15`, from `from` at `time` to `to`.
fn plan(
    tt: &Timetable,
    live: Option<LiveView>,
    from: &str,
    to: &str,
    time: &str,
    arrive_by: bool,
) -> String {
    let js = asking(tt, from, to, time, arrive_by, |req| {
        let opts = Options {
            live,
            ..Options::default()
        };
        search(tt, &mut Scratch::new(tt), req, &opts)
    });
    let Some(j) = js.first() else {
        return "none".into();
    };
    j.legs
        .iter()
        .filter_map(|l| match l {
            Leg::Ride(r) => Some(format!(
                "{} {} {} - {} {}",
                tt.route(tt.pattern(r.pattern).route).short_name,
                tt.stop(r.board_stop).id,
                timetable::Hm(r.departure as u32),
                tt.stop(r.alight_stop).id,
                timetable::Hm(r.arrival as u32)
            )),
            Leg::Walk { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn a_late_run_is_boarded_when_predicted_and_a_canceled_one_never() {
    let tt = timetable::text::parse(NET).unwrap();
    assert_eq!(
        plan(&tt, None, "A", "C", "08:00", false),
        "R A 08:00 - C 08:20"
    );
    // Five minutes late from A: still the first run, arriving later.
    let late = live(
        &tt,
        vec![update(
            "T1",
            TripRel::Scheduled,
            None,
            vec![at("A", 300, StopRel::Scheduled)],
        )],
    );
    assert_eq!(
        plan(&tt, Some(late.clone()), "A", "C", "08:00", false),
        "R A 08:05 - C 08:25"
    );
    // A rider at A at 08:03 still catches it (the timetable says it has gone).
    assert_eq!(
        plan(&tt, None, "A", "C", "08:03", false),
        "R A 08:20 - C 08:40"
    );
    assert_eq!(
        plan(&tt, Some(late.clone()), "A", "C", "08:03", false),
        "R A 08:05 - C 08:25"
    );
    // Arrive by 08:24: the late run no longer makes it.
    assert_eq!(
        plan(&tt, Some(late), "A", "C", "08:26", true),
        "R A 08:05 - C 08:25"
    );
    // Canceled: the next run.
    let canceled = live(&tt, vec![update("T1", TripRel::Canceled, None, vec![])]);
    assert_eq!(
        plan(&tt, Some(canceled.clone()), "A", "C", "08:00", false),
        "R A 08:20 - C 08:40"
    );
    assert_eq!(
        plan(&tt, None, "A", "C", "08:30", true),
        "R A 08:00 - C 08:20"
    );
    assert_ne!(
        plan(&tt, Some(canceled), "A", "C", "08:30", true),
        "R A 08:00 - C 08:20"
    );
}

#[test]
fn a_skipped_stop_cannot_be_left_or_boarded() {
    let tt = timetable::text::parse(NET).unwrap();
    let skip = live(
        &tt,
        vec![update(
            "T1",
            TripRel::Scheduled,
            None,
            vec![at("B", 0, StopRel::Skipped)],
        )],
    );
    assert_eq!(
        plan(&tt, Some(skip.clone()), "A", "B", "08:00", false),
        "R A 08:20 - B 08:30"
    );
    assert_eq!(
        plan(&tt, Some(skip.clone()), "B", "C", "08:05", false),
        "R B 08:30 - C 08:40"
    );
    // Through it, the run still goes on.
    assert_eq!(
        plan(&tt, Some(skip), "A", "C", "08:00", false),
        "R A 08:00 - C 08:20"
    );
}

#[test]
fn a_live_bus_beside_the_timetable_is_boarded_when_it_comes() {
    let tt = timetable::text::parse(NET).unwrap();
    // Every 20 minutes, not exact: a rider at A at 08:01 plans for a full headway (08:21).
    assert_eq!(
        plan(&tt, None, "A", "D", "08:01", false),
        "F A 08:21 - D 08:31"
    );
    // A bus tracked live, leaving A at 08:04 (an unscheduled run of F).
    let bus = live(
        &tt,
        vec![update("F", TripRel::Unscheduled, Some("08:04:00"), vec![])],
    );
    assert_eq!(
        plan(&tt, Some(bus.clone()), "A", "D", "08:01", false),
        "F A 08:04 - D 08:14"
    );
    // Gone by the time the rider is there: the timetable's promise again.
    assert_eq!(
        plan(&tt, Some(bus), "A", "D", "08:05", false),
        "F A 08:25 - D 08:35"
    );
}

/// Live runs are read side by side per feed; with more feeds than a scan holds at once they
/// are read run by run: either way the earliest bus is boarded, whichever feed tells of it.
#[test]
fn the_earliest_live_bus_is_boarded_whichever_of_many_feeds_has_it() {
    let tt = timetable::text::parse(NET).unwrap();
    let bus = |at: &str| {
        let msg = FeedMessage {
            header: FeedHeader {
                gtfs_realtime_version: "2.0".into(),
                ..FeedHeader::default()
            },
            entity: vec![update("F", TripRel::Unscheduled, Some(at), vec![])],
        };
        let opts = realtime::ApplyOptions {
            now: 0,
            max_age_s: 0,
        };
        realtime::apply(&tt, "", &msg, opts)
    };
    let mut live = realtime::Live::default();
    let mut wanted = Vec::new();
    for (feed, at, best) in [
        ("a", "08:08:00", "F A 08:08 - D 08:18"),
        ("b", "08:06:00", "F A 08:06 - D 08:16"),
        ("c", "08:03:00", "F A 08:03 - D 08:13"),
        ("d", "08:05:00", "F A 08:03 - D 08:13"),
    ] {
        live = live.with(feed, bus(at), 0, 0);
        let view = LiveView {
            live: Arc::new(live.clone()),
            now: 0,
        };
        wanted.push((
            feed,
            best,
            plan(&tt, Some(view.clone()), "A", "D", "08:01", false),
        ));
        // Arrive-by reads them too: at D by 08:17, the latest bus that makes it.
        if feed == "d" {
            assert_eq!(
                plan(&tt, Some(view), "A", "D", "08:17", true),
                "F A 08:06 - D 08:16"
            );
        }
    }
    for (feed, best, got) in wanted {
        assert_eq!(got, best, "after feed {feed}");
    }
}

/// The safer search (McRAPTOR over exposure) reads real time as the fastest does: the live
/// bus is boarded when it comes, and a canceled run is never offered.
#[test]
fn the_safer_search_boards_live_buses_and_never_canceled_runs() {
    let tt = timetable::text::parse(NET).unwrap();
    let rate = vec![1.0; tt.stops().len()];
    let safer = |live: Option<LiveView>, from: &str, to: &str, time: &str| {
        let opts = Options {
            live,
            ..Options::default()
        };
        asking(&tt, from, to, time, false, |req| {
            raptor::search_exposure(&tt, &mut Scratch::new(&tt), req, &opts, &rate)
        })
        .iter()
        .map(|(j, _)| {
            j.legs
                .iter()
                .filter_map(|l| match l {
                    Leg::Ride(r) => Some(format!(
                        "{} {}",
                        tt.stop(r.board_stop).id,
                        timetable::Hm(r.departure as u32)
                    )),
                    Leg::Walk { .. } => None,
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect::<Vec<_>>()
    };
    assert_eq!(safer(None, "A", "D", "08:01"), vec!["A 08:21"]);
    let bus = live(
        &tt,
        vec![update("F", TripRel::Unscheduled, Some("08:04:00"), vec![])],
    );
    assert_eq!(safer(Some(bus), "A", "D", "08:01"), vec!["A 08:04"]);
    // T1 canceled: the rider at A at 07:55 for C waits for T2.
    assert_eq!(safer(None, "A", "C", "07:55"), vec!["A 08:00"]);
    let canceled = live(&tt, vec![update("T1", TripRel::Canceled, None, vec![])]);
    assert_eq!(safer(Some(canceled), "A", "C", "07:55"), vec!["A 08:20"]);
}
