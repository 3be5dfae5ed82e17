//! Live buses from GTFS-Realtime: Caltrain's recording taken in at its own date, read by
//! departures; an unreadable message changes nothing; what is live expires and does not
//! survive a reload onto another timetable.

use app::{App, Day};
use std::path::Path;
use std::sync::Arc;

fn rt(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../feeds/rt")
        .join(file)
}

fn caltrain() -> app::Dataset {
    let spec = gtfs::FeedSpec {
        id: "ct".into(),
        path: rt("ct.zip"),
    };
    let tt = gtfs::load(&[spec], &gtfs::LoadConfig::default())
        .unwrap()
        .timetable;
    app::Dataset {
        timetable: Arc::new(tt),
        streets: None,
        places: None,
        loaded_at: std::time::SystemTime::now(),
    }
}

#[tokio::test]
async fn a_recorded_feed_makes_departures_live_until_it_expires() {
    let a = App::new(caltrain(), app::Settings::default());
    let bytes = std::fs::read(rt("ct-trip-updates.pb")).unwrap();
    let ds = a.dataset();
    let tt = &ds.timetable;
    // Caltrain's San Francisco station, at 17:05 on the day of the recording.
    let day = Day::parse("2023-11-07").unwrap();
    let at = (day, 17 * 3600 + 5 * 60);
    let stop = tt
        .stop_by_id("ct:70012")
        .expect("San Francisco, southbound");
    let before = a.departures(&ds, stop, at, 10, 0);
    assert!(before.live.is_none() && before.departures.iter().all(|d| !d.realtime));

    // Garbage changes nothing.
    assert!(matches!(
        a.take_trip_updates("ct", b"not protobuf at all \xff\xff", 0, 0),
        Err(app::Error::Invalid(_))
    ));
    assert!(a.departures(&ds, stop, at, 10, 0).live.is_none());

    // Replayed at its date (no age check): live, with the recorded times.
    let applied = a.take_trip_updates("ct", &bytes, 1_699_405_600, 0).unwrap();
    assert_eq!((applied.runs, applied.unknown_trips), (19, 0));
    let live = a.departures(&ds, stop, at, 10, 1_699_405_600);
    let info = live.live.expect("something is live");
    assert_eq!(info.generation, 1);
    let live_ones: Vec<_> = live.departures.iter().filter(|d| d.realtime).collect();
    assert!(!live_ones.is_empty(), "{:#?}", live.departures);
    for d in &live_ones {
        assert!(!d.approximate);
        let delay = d.delay_s.unwrap();
        assert!(delay.abs() < 3600, "{d:?}");
        assert_eq!(d.departure == d.scheduled, delay == 0, "{d:?}");
    }
    // Soonest first, by the predicted time.
    for w in live.departures.windows(2) {
        assert!(w[0].departure_secs <= w[1].departure_secs);
    }

    // With an age limit the same message lives 5 minutes after its own time.
    let a = App::new(caltrain(), app::Settings::default());
    let ds = a.dataset();
    let header = 1_699_405_534;
    a.take_trip_updates("ct", &bytes, header + 10, 300).unwrap();
    assert!(a.departures(&ds, stop, at, 10, header + 299).live.is_some());
    assert!(a.departures(&ds, stop, at, 10, header + 301).live.is_none());
    assert!(
        a.departures(&ds, stop, at, 10, header + 301)
            .departures
            .iter()
            .all(|d| !d.realtime)
    );
    // Taken in too late, it is refused whole.
    let old = a
        .take_trip_updates("ct", &bytes, header + 301, 300)
        .unwrap();
    assert!(old.too_old);

    // A reload onto a new timetable: what was live belonged to the old one.
    let a = App::new(caltrain(), app::Settings::default());
    a.take_trip_updates("ct", &bytes, header, 0).unwrap();
    a.swap(caltrain());
    let ds = a.dataset();
    let stop = ds.timetable.stop_by_id("ct:70012").unwrap();
    assert!(a.departures(&ds, stop, at, 10, header).live.is_none());
}

#[tokio::test]
async fn recorded_vehicles_are_shown_filtered_and_leave_when_not_heard_from() {
    let a = App::new(caltrain(), app::Settings::default());
    let ds = a.dataset();
    let bytes = std::fs::read(rt("ct-vehicle-positions.pb")).unwrap();
    let all = app::VehicleFilter::default();
    assert!(
        a.vehicles(&ds, all, 0).is_empty(),
        "nothing before a message"
    );
    // A replay (no age check): the recording's 14 trains, seen now.
    let now = 1_800_000_000;
    let seen = a
        .take_vehicle_positions("ct", &bytes, now, (0, 120))
        .unwrap();
    assert_eq!(seen.vehicles, 14);
    let shown = a.vehicles(&ds, all, now + 5);
    assert_eq!(shown.len(), 14);
    assert!(shown.iter().all(|v| v.code.is_none() && v.age_s == 5));
    // (filter) → how many: one route; a box around San Francisco; the whole Peninsula.
    let l1 = ds.timetable.route_by_id("ct:L1").unwrap();
    let on_l1 = shown.iter().filter(|v| v.route_id == "ct:L1").count();
    let cases = [
        (
            app::VehicleFilter {
                route: Some(l1),
                ..all
            },
            on_l1,
        ),
        (
            app::VehicleFilter {
                bbox: Some([-122.6, 37.2, -121.8, 37.9]),
                ..all
            },
            14,
        ),
        (
            app::VehicleFilter {
                bbox: Some([0.0, 0.0, 1.0, 1.0]),
                ..all
            },
            0,
        ),
    ];
    for (filter, n) in cases {
        assert_eq!(a.vehicles(&ds, filter, now).len(), n, "{filter:?}");
    }
    assert!(on_l1 > 0);
    // Officials see the operators' codes.
    let official = app::VehicleFilter {
        official: true,
        ..all
    };
    assert!(
        a.vehicles(&ds, official, now)
            .iter()
            .all(|v| v.code.is_some())
    );
    // Not heard from for longer than the timeout: gone from the map.
    assert!(a.vehicles(&ds, all, now + 121).is_empty());
    // Garbage changes nothing.
    assert!(
        a.take_vehicle_positions("ct", b"\xff\xff", now, (0, 120))
            .is_err()
    );
    assert_eq!(a.vehicles(&ds, all, now + 1).len(), 14);
}

/// A message delaying every recorded run by `delay` seconds from its first stop on.
fn delayed_by(tt: &app::Timetable, recorded: &realtime::FeedMessage, delay: i32) -> Vec<u8> {
    use realtime::proto::trip_update::{StopTimeEvent, StopTimeUpdate};
    let mut msg = recorded.clone();
    for e in &mut msg.entity {
        let u = e.trip_update.as_mut().unwrap();
        let trip = tt.trip_by_id(&format!("ct:{}", u.trip.trip_id())).unwrap();
        let first = tt.pattern_stops(tt.trip(trip).pattern)[0];
        u.stop_time_update = vec![StopTimeUpdate {
            stop_id: Some(tt.stop(first).id.trim_start_matches("ct:").to_string()),
            departure: Some(StopTimeEvent {
                delay: Some(delay),
                ..Default::default()
            }),
            ..Default::default()
        }];
    }
    prost::Message::encode_to_vec(&msg)
}

#[test]
fn every_answer_reads_one_generation_while_the_overlay_is_swapped_a_thousand_times() {
    let a = App::new(caltrain(), app::Settings::default());
    let ds = a.dataset();
    let recorded = realtime::decode(&std::fs::read(rt("ct-trip-updates.pb")).unwrap()).unwrap();
    let delay = |generation: u64| (generation % 5) as i32 * 60;
    let messages: Vec<Vec<u8>> = (1..=1000)
        .map(|g| delayed_by(&ds.timetable, &recorded, delay(g)))
        .collect();
    let stop = ds.timetable.stop_by_id("ct:70012").unwrap();
    let at = (Day::parse("2023-11-07").unwrap(), 17 * 3600);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut checked = 0;
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        let got = a.departures(&ds, stop, at, 8, 1_699_405_600);
                        let Some(info) = got.live else { continue };
                        for d in got.departures.iter().filter(|d| d.realtime) {
                            assert_eq!(d.delay_s, Some(delay(info.generation)), "{info:?} {d:?}");
                            checked += 1;
                        }
                    }
                    checked
                })
            })
            .collect();
        for m in &messages {
            a.take_trip_updates("ct", m, 1_699_405_600, 0).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let checked: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
        assert!(checked > 0, "the readers saw live departures");
    });
    let last = a.departures(&ds, stop, at, 8, 1_699_405_600).live.unwrap();
    assert_eq!(last.generation, 1000);
}

#[tokio::test]
async fn an_alert_reaches_the_riders_at_its_stops_in_their_language_until_it_expires() {
    use prost::Message;
    use realtime::proto::translated_string::Translation;
    use realtime::proto::{
        Alert, EntitySelector, FeedEntity, FeedHeader, FeedMessage, TranslatedString,
    };
    let a = App::new(caltrain(), app::Settings::default());
    let ds = a.dataset();
    let tt = &ds.timetable;
    let sf = tt.stop_by_id("ct:70012").unwrap();
    let other = tt.stop_by_id("ct:70021").unwrap();
    let said = |pairs: &[(&str, &str)]| TranslatedString {
        translation: pairs
            .iter()
            .map(|(l, t)| Translation {
                text: (*t).into(),
                language: Some((*l).into()),
            })
            .collect(),
    };
    let msg = FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(1_000),
            ..FeedHeader::default()
        },
        entity: vec![FeedEntity {
            id: "closed".into(),
            alert: Some(Alert {
                informed_entity: vec![EntitySelector {
                    stop_id: Some("70012".into()),
                    ..EntitySelector::default()
                }],
                header_text: Some(said(&[("es", "Paradero cerrado"), ("en", "Stop closed")])),
                description_text: Some(said(&[("es", "Use el paradero de la esquina")])),
                ..Alert::default()
            }),
            ..FeedEntity::default()
        }],
    };
    let read = a
        .take_alerts("ct", &msg.encode_to_vec(), 1_010, 300)
        .unwrap();
    assert_eq!(read.kept, 1);
    let es = a.alerts_at(&ds, sf, 1_010, i18n::Lang::Es);
    assert_eq!(es.len(), 1);
    assert_eq!(
        (es[0].header.as_str(), es[0].description.as_deref()),
        ("Paradero cerrado", Some("Use el paradero de la esquina"))
    );
    assert_eq!(
        a.alerts_at(&ds, sf, 1_010, i18n::Lang::En)[0].header,
        "Stop closed"
    );
    // Not at another stop; gone once its message is older than allowed.
    assert!(a.alerts_at(&ds, other, 1_010, i18n::Lang::Es).is_empty());
    assert!(a.alerts_at(&ds, sf, 1_301, i18n::Lang::Es).is_empty());
    // Garbage changes nothing.
    assert!(a.take_alerts("ct", b"\xff\xff", 1_010, 300).is_err());
    assert_eq!(a.alerts_at(&ds, sf, 1_010, i18n::Lang::Es).len(), 1);
}

#[tokio::test]
async fn a_plan_boards_the_recorded_runs_when_they_were_predicted() {
    let a = App::new(caltrain(), app::Settings::default());
    let ds = a.dataset();
    let tt = &ds.timetable;
    let day = Day::parse("2023-11-07").unwrap();
    let sf = tt.stop_by_id("ct:70012").unwrap();
    // Two stations down the line from San Francisco.
    let (p, pos) = tt.stop_patterns(sf)[0];
    let to = tt.pattern_stops(p)[pos as usize + 2];
    let req = || app::PlanRequest {
        from: planner::Endpoint::Stops(vec![sf]),
        to: planner::Endpoint::Stops(vec![to]),
        day,
        time: 17 * 3600 + 5 * 60,
        arrive_by: false,
        window_secs: None,
        options: Default::default(),
        lang: i18n::Lang::Es,
        safer: false,
    };
    let ride = |plan: &planner::Plan| {
        plan.itineraries[0]
            .legs
            .iter()
            .find_map(|l| match l {
                planner::ItineraryLeg::Ride {
                    board,
                    realtime,
                    delay_s,
                    scheduled_departure,
                    ..
                } => Some((
                    board.time.clone().unwrap(),
                    *realtime,
                    *delay_s,
                    scheduled_departure.clone(),
                )),
                _ => None,
            })
            .unwrap()
    };
    let before = ride(&a.plan(ds.clone(), req()).await.unwrap());
    assert_eq!(
        (before.1, before.2, before.3.as_deref()),
        (false, None, None)
    );

    let bytes = std::fs::read(rt("ct-trip-updates.pb")).unwrap();
    a.take_trip_updates("ct", &bytes, 1_699_405_600, 0).unwrap();
    let plan = a.plan(ds.clone(), req()).await.unwrap();
    let live = ride(&plan);
    assert!(live.1, "{live:?}");
    // Said as live in the plan's text (the bot's and the command line's).
    let text = planner::render_itinerary(i18n::Lang::Es, 1, &plan.itineraries[0]);
    assert!(text.contains("(en vivo, "), "{text}");
    // The run boarded is the one the stop's live departures say comes first to it.
    let deps = a.departures(&ds, sf, (day, 17 * 3600 + 5 * 60), 10, 1_699_405_600);
    let same = deps
        .departures
        .iter()
        .find(|d| d.departure == live.0)
        .unwrap_or_else(|| panic!("{live:?} not in {:#?}", deps.departures));
    assert!(same.realtime);
    assert_eq!(live.2, same.delay_s);
    assert_eq!(live.3.as_deref(), Some(same.scheduled.as_str()));
}

/// Real time swapped 1,000 times while two plans run at once: every plan says which
/// generation it read and boards exactly what that generation predicted (odd generations
/// the recording, even ones every run on time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_plan_reads_exactly_one_generation_while_real_time_is_swapped() {
    use prost::Message;
    use realtime::proto::{FeedEntity, FeedHeader, FeedMessage, TripDescriptor, TripUpdate};
    let day = Day::parse("2023-11-07").unwrap();
    let recorded = std::fs::read(rt("ct-trip-updates.pb")).unwrap();
    let on_time = {
        let ds = caltrain();
        let tt = &ds.timetable;
        FeedMessage {
            header: FeedHeader {
                gtfs_realtime_version: "2.0".into(),
                ..FeedHeader::default()
            },
            entity: tt
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
                .collect(),
        }
        .encode_to_vec()
    };
    let a = App::new(caltrain(), app::Settings::default());
    let ds = a.dataset();
    let tt = &ds.timetable;
    let sf = tt.stop_by_id("ct:70012").unwrap();
    let (p, pos) = tt.stop_patterns(sf)[0];
    let to = tt.pattern_stops(p)[pos as usize + 2];
    let req = app::PlanRequest {
        from: planner::Endpoint::Stops(vec![sf]),
        to: planner::Endpoint::Stops(vec![to]),
        day,
        time: 17 * 3600 + 5 * 60,
        arrive_by: false,
        window_secs: None,
        options: Default::default(),
        lang: i18n::Lang::Es,
        safer: false,
    };
    // What each message makes of the trip: the first itinerary's times.
    let signature = |plan: &planner::Plan| {
        plan.itineraries
            .first()
            .map(|i| (i.departure.clone(), i.arrival.clone()))
    };
    let expect = |bytes: &[u8]| {
        let a = App::new(caltrain(), app::Settings::default());
        a.take_trip_updates("ct", bytes, 1_699_405_600, 0).unwrap();
        let req = req.clone();
        async move { signature(&a.plan(a.dataset(), req).await.unwrap()) }
    };
    let (odd, even) = (expect(&recorded).await, expect(&on_time).await);
    assert_ne!(odd, even, "the two generations must plan differently");

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let planners: Vec<_> = (0..2)
        .map(|_| {
            let (a, ds, req, done) = (a.clone(), ds.clone(), req.clone(), done.clone());
            let (odd, even) = (odd.clone(), even.clone());
            tokio::spawn(async move {
                let mut checked = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) || checked == 0 {
                    let plan = a.plan(ds.clone(), req.clone()).await.unwrap();
                    let Some(live) = plan.realtime else { continue };
                    let want = if live.generation % 2 == 1 {
                        &odd
                    } else {
                        &even
                    };
                    assert_eq!(&signature(&plan), want, "generation {}", live.generation);
                    checked += 1;
                }
                checked
            })
        })
        .collect();
    let swapper = {
        let a = a.clone();
        tokio::task::spawn_blocking(move || {
            for k in 0..1000 {
                let bytes = if k % 2 == 0 { &recorded } else { &on_time };
                a.take_trip_updates("ct", bytes, 1_699_405_600, 0).unwrap();
            }
        })
    };
    swapper.await.unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut checked = 0;
    for p in planners {
        checked += p.await.unwrap();
    }
    assert!(checked >= 2, "{checked} plans checked");
}
