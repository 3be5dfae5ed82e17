//! The loader's tolerance rules, one tiny hand-written feed each.

use gtfs::{FeedSpec, GtfsError, LoadConfig, Loaded};
use paradero_tests::{MINIMAL, write_feed, write_zip};
use proptest::prelude::*;
use std::path::Path;
use timetable::{Accessibility, Day, PatternIdx, SameStopTransfer, StopIdx, TripKind, flags};

fn load_dir(path: &Path) -> Result<Loaded, GtfsError> {
    gtfs::load(
        &[FeedSpec {
            id: "f".into(),
            path: path.to_path_buf(),
        }],
        &LoadConfig::default(),
    )
}

fn load_with(overrides: &[(&str, Option<&str>)]) -> Result<Loaded, GtfsError> {
    let feed = write_feed(MINIMAL, overrides);
    load_dir(feed.path())
}

fn monday() -> Day {
    Day::parse("20261123").unwrap()
}

#[test]
fn minimal_feed_loads_without_warnings() {
    let l = load_with(&[]).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let tt = &l.timetable;
    assert_eq!(
        (
            tt.stops().len(),
            tt.routes().len(),
            tt.trips().len(),
            tt.patterns().len()
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(tt.stop_by_id("f:S1"), Some(StopIdx(0)));
    assert_eq!(
        tt.stop_by_id("S1"),
        Some(StopIdx(0)),
        "bare id resolves when unambiguous"
    );
    assert_eq!(tt.day_stats(monday()).runs, 1);
}

#[test]
fn bom_spaces_crlf_quotes_and_unknown_columns() {
    let l = load_with(&[(
        "stops.txt",
        Some("\u{feff} stop_id , stop_name , stop_lat , stop_lon , platform_code , x_custom\r\n S1 , \"Plaza, de Armas\" , -16.40 , -71.53 , 1 , z\r\nS2,\"Dos \"\"B\"\"\",-16.41,-71.53\r\n"),
    )])
    .unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let tt = &l.timetable;
    assert_eq!(tt.stop(StopIdx(0)).name, "Plaza, de Armas");
    assert_eq!(tt.stop(StopIdx(1)).name, "Dos \"B\"");
    assert_eq!(tt.trips().len(), 1);
}

#[test]
fn optional_files_may_be_missing_but_required_ones_not() {
    // MINIMAL has no shapes, frequencies, transfers, fares or feed_info: loads fine.
    assert!(load_with(&[]).is_ok());
    for (file, needle) in [
        ("stops.txt", "has no stops.txt"),
        ("trips.txt", "has no trips.txt"),
        ("stop_times.txt", "has no stop_times.txt"),
        ("routes.txt", "has no routes.txt"),
        ("agency.txt", "has no agency.txt"),
        ("calendar.txt", "has no calendar.txt"),
    ] {
        let err = load_with(&[(file, None)]).unwrap_err().to_string();
        assert!(err.contains(needle), "{file}: {err}");
    }
}

#[test]
fn a_malformed_time_names_file_line_and_field() {
    let err = load_with(&[(
        "stop_times.txt",
        Some("trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,S1,1\nT1,8h10,08:10:00,S2,2\n"),
    )])
    .unwrap_err();
    match &err {
        GtfsError::Field {
            file, line, field, ..
        } => assert_eq!(
            (*file, *line, *field),
            ("stop_times.txt", 3, "arrival_time")
        ),
        other => panic!("expected a field error, got {other}"),
    }
    assert!(
        err.to_string()
            .contains("stop_times.txt line 3, field `arrival_time`"),
        "{err}"
    );
}

#[test]
fn other_fatal_problems_are_clear() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "agency.txt",
            "agency_id,agency_name,agency_timezone\nA,X,Mars/Olympus\n",
            "Mars/Olympus",
        ),
        (
            "calendar.txt",
            "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nALL,1,1,1,1,1,1,1,2026-13-01,20271231\n",
            "line 2, field `start_date`",
        ),
        (
            "stop_times.txt",
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,S1,first\n",
            "field `stop_sequence`",
        ),
        (
            "stops.txt",
            "stop_name,stop_lat,stop_lon\nX,1,2\n",
            "no `stop_id` column",
        ),
    ];
    for (file, content, needle) in cases {
        let err = load_with(&[(file, Some(content))]).unwrap_err().to_string();
        assert!(
            err.contains(needle),
            "{file}: `{err}` should contain `{needle}`"
        );
    }
    let missing = Path::new("/nonexistent/feed.zip");
    assert!(
        load_dir(missing)
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/feed.zip")
    );
    let not_zip = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_zip.path(), b"this is not a zip").unwrap();
    assert!(matches!(
        load_dir(not_zip.path()),
        Err(GtfsError::Zip { .. })
    ));
}

#[test]
fn recoverable_rows_are_skipped_and_counted() {
    let l = load_with(&[
        ("routes.txt", Some("route_id,agency_id,route_short_name,route_type\nR1,A,1,3\nR2,A,2,3\nR3,NOPE,3,3\n")),
        ("trips.txt", Some("route_id,service_id,trip_id\nR1,ALL,T1\nR1,ALL,T2\nR1,NOSUCH,T3\nR9,ALL,T4\n")),
        (
            "stop_times.txt",
            Some(
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n\
                 T1,08:00:00,08:00:00,S1,1\nT1,08:05:00,08:05:00,GHOST,2\nT1,08:10:00,08:10:00,S2,3\n\
                 T2,09:00:00,09:00:00,S1,1\n\
                 T9,09:00:00,09:00:00,S1,1\n",
            ),
        ),
    ])
    .unwrap();
    let w = &l.warnings;
    assert_eq!(w.count("stop_time_unknown_stop"), 1);
    assert_eq!(
        w.count("trip_too_few_stop_times"),
        1,
        "T2 has one stop time"
    );
    assert_eq!(w.count("trip_unknown_service"), 1);
    assert_eq!(w.count("trip_unknown_route"), 1);
    assert_eq!(w.count("route_unknown_agency"), 1);
    assert_eq!(w.count("stop_time_unknown_trip"), 1);
    assert_eq!(w.count("route_without_trips"), 1, "R2 has no trips");
    let tt = &l.timetable;
    assert_eq!(tt.routes().len(), 1);
    assert_eq!(tt.trips().len(), 1);
    assert_eq!(
        tt.pattern_stops(PatternIdx(0)).len(),
        2,
        "T1 kept without the unknown stop"
    );
    let example = &w
        .iter()
        .find(|(k, _)| *k == "stop_time_unknown_stop")
        .unwrap()
        .1
        .examples[0];
    assert!(example.contains("stop_times.txt line 3"), "{example}");
}

#[test]
fn frequencies_exact_inexact_and_empty_windows() {
    let l = load_with(&[
        ("trips.txt", Some("route_id,service_id,trip_id\nR1,ALL,T1\nR1,ALL,T2\nR1,ALL,T3\n")),
        (
            "stop_times.txt",
            Some(
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n\
                 T1,00:00:00,00:00:00,S1,1\nT1,00:10:00,00:10:00,S2,2\n\
                 T2,00:00:00,00:00:00,S1,1\nT2,00:12:00,00:12:00,S2,2\n\
                 T3,07:00:00,07:00:00,S1,1\nT3,07:08:00,07:08:00,S2,2\n",
            ),
        ),
        (
            "frequencies.txt",
            Some(
                "trip_id,start_time,end_time,headway_secs,exact_times\n\
                 T1,06:00:00,07:00:00,300,1\nT1,07:00:00,09:00:00,600,1\nT2,10:00:00,10:00:00,300,1\nT2,12:00:00,13:00:00,900,\n",
            ),
        ),
    ])
    .unwrap();
    assert_eq!(l.warnings.count("frequency_empty_window"), 1);
    let tt = &l.timetable;
    // T1 and T2 are templates with different offsets; T3 is scheduled on the same route.
    assert_eq!(tt.patterns().len(), 3);
    let freq: Vec<_> = (0..3)
        .map(PatternIdx)
        .filter(|&p| tt.pattern(p).is_frequency())
        .collect();
    assert_eq!(freq.len(), 2);
    let windows: Vec<_> = freq
        .iter()
        .flat_map(|&p| tt.windows(p).iter().copied())
        .collect();
    assert_eq!(windows.iter().filter(|w| w.exact).count(), 2);
    assert_eq!(
        windows.iter().filter(|w| !w.exact).count(),
        1,
        "empty exact_times means 0"
    );
    assert_eq!(tt.day_stats(monday()).runs, 12 + 12 + 4 + 1);
    assert!(
        tt.trips()
            .iter()
            .any(|t| matches!(t.kind, TripKind::Scheduled { .. }))
    );
}

#[test]
fn times_past_midnight_pickup_rules_and_interpolation() {
    let l = load_with(&[
        ("stops.txt", Some("stop_id,stop_name,stop_lat,stop_lon\nS1,a,-16.40,-71.53\nS2,b,-16.41,-71.53\nS3,c,-16.43,-71.53\n")),
        (
            "stop_times.txt",
            Some(
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type\n\
                 T1,23:50:00,23:50:00,S1,10,0,1\nT1,,,S2,20,,\nT1,24:20:00,24:20:00,S3,30,1,0\n",
            ),
        ),
    ])
    .unwrap();
    let tt = &l.timetable;
    let p = PatternIdx(0);
    // S2 is a third of the way by distance: 23:50 + 10 min.
    assert_eq!(tt.arrivals(p, 1), &[24 * 3600 - 10 * 60 + 10 * 60]);
    assert_eq!(
        tt.pattern_flags(p),
        &[
            flags::PICKUP,
            flags::PICKUP | flags::DROP_OFF,
            flags::DROP_OFF
        ]
    );
    assert_eq!(tt.day_stats(monday()).runs_from_previous_day, 1);
    assert_eq!(tt.max_days_back(), 1);
}

#[test]
fn calendar_dates_only_services_and_exceptions() {
    let l = load_with(&[
        ("calendar.txt", None),
        (
            "calendar_dates.txt",
            Some(
                "service_id,date,exception_type\nALL,20261123,1\nALL,20261125,1\nALL,20261125,2\n",
            ),
        ),
    ])
    .unwrap();
    let tt = &l.timetable;
    assert_eq!(tt.day_stats(monday()).runs, 1);
    assert_eq!(tt.day_stats(Day::parse("20261124").unwrap()).runs, 0);
    assert_eq!(
        tt.day_stats(Day::parse("20261125").unwrap()).runs,
        0,
        "removal wins"
    );
    let l = load_with(&[(
        "calendar_dates.txt",
        Some("service_id,date,exception_type\nALL,20261123,2\n"),
    )])
    .unwrap();
    assert_eq!(l.timetable.day_stats(monday()).runs, 0);
    assert_eq!(
        l.timetable.day_stats(Day::parse("20261124").unwrap()).runs,
        1
    );
}

#[test]
fn transfers_and_stations() {
    let l = load_with(&[
        (
            "stops.txt",
            Some(
                "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,wheelchair_boarding\n\
                 ST,Estación,-16.40,-71.53,1,,1\nS1,Andén 1,-16.40,-71.53,0,ST,\nS2,Andén 2,-16.41,-71.53,0,ST,2\nE1,Entrada,-16.40,-71.53,2,ST,\n",
            ),
        ),
        (
            "transfers.txt",
            Some("from_stop_id,to_stop_id,transfer_type,min_transfer_time\nS1,S2,2,240\nS2,S2,3,\nS1,S1,2,90\nS2,S1,3,\nS1,S2,4,\nST,NOPE,0,\n"),
        ),
    ])
    .unwrap();
    let tt = &l.timetable;
    assert_eq!(
        tt.stops().len(),
        2,
        "station and entrance are not boarding stops"
    );
    assert_eq!(
        tt.stop(StopIdx(0)).wheelchair,
        Accessibility::Yes,
        "inherited from the station"
    );
    assert_eq!(tt.stop(StopIdx(1)).wheelchair, Accessibility::No);
    assert_eq!(tt.station_stops("f:ST").len(), 2);
    let fp: Vec<_> = tt.footpaths(StopIdx(0)).to_vec();
    assert_eq!(fp.len(), 1);
    assert_eq!(
        (fp[0].to, fp[0].duration, fp[0].explicit),
        (StopIdx(1), 240, true)
    );
    assert!(tt.footpaths(StopIdx(1)).is_empty(), "S2 -> S1 forbidden");
    assert_eq!(
        tt.same_stop_transfer(StopIdx(0)),
        SameStopTransfer::MinTime(90)
    );
    assert_eq!(
        tt.same_stop_transfer(StopIdx(1)),
        SameStopTransfer::Forbidden
    );
    assert_eq!(l.warnings.count("transfer_unsupported_type"), 1);
    assert_eq!(l.warnings.count("transfer_unknown_stop"), 1);
}

#[test]
fn several_feeds_are_namespaced() {
    let a = write_feed(MINIMAL, &[]);
    let b = write_feed(MINIMAL, &[]);
    let l = gtfs::load(
        &[
            FeedSpec {
                id: "a".into(),
                path: a.path().into(),
            },
            FeedSpec {
                id: "b".into(),
                path: b.path().into(),
            },
        ],
        &LoadConfig::default(),
    )
    .unwrap();
    let tt = &l.timetable;
    assert_eq!(tt.stops().len(), 4);
    assert!(tt.stop_by_id("a:S1").is_some() && tt.stop_by_id("b:S1").is_some());
    assert_eq!(
        tt.stop_by_id("S1"),
        None,
        "bare id is ambiguous across feeds"
    );
    assert_eq!(tt.routes().len(), 2);
    let dup = gtfs::load(
        &[
            FeedSpec {
                id: "a".into(),
                path: a.path().into(),
            },
            FeedSpec {
                id: "a".into(),
                path: b.path().into(),
            },
        ],
        &LoadConfig::default(),
    );
    assert!(matches!(dup, Err(GtfsError::DuplicateFeedId(_))));
}

#[test]
fn zips_with_files_in_a_subfolder() {
    for folder in ["", "gtfs/", "deep/er/"] {
        let (_dir, path) = write_zip(MINIMAL, folder);
        let l = gtfs::load(&[FeedSpec::from_path(&path)], &LoadConfig::default()).unwrap();
        assert_eq!(l.timetable.trips().len(), 1, "folder `{folder}`");
        assert_eq!(l.timetable.feeds()[0].id, "feed");
    }
}

#[test]
fn overtaking_trips_in_a_real_feed_are_split() {
    let l = load_with(&[
        (
            "trips.txt",
            Some("route_id,service_id,trip_id\nR1,ALL,T1\nR1,ALL,T2\n"),
        ),
        (
            "stop_times.txt",
            Some(
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n\
                 T1,08:00:00,08:00:00,S1,1\nT1,08:30:00,08:30:00,S2,2\n\
                 T2,08:05:00,08:05:00,S1,1\nT2,08:20:00,08:20:00,S2,2\n",
            ),
        ),
    ])
    .unwrap();
    assert_eq!(l.timetable.patterns().len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// Whatever bytes a file holds, loading returns a timetable or an error: never a panic.
    #[test]
    fn corrupted_files_never_panic(file in 0usize..6, pos in 0usize..400, bytes in proptest::collection::vec(any::<u8>(), 1..12), truncate in any::<bool>()) {
        let (name, content) = MINIMAL[file];
        let mut data = content.as_bytes().to_vec();
        let at = pos.min(data.len());
        if truncate {
            data.truncate(at);
        }
        data.splice(at..at, bytes);
        let dir = tempfile::tempdir().unwrap();
        for (n, c) in MINIMAL {
            std::fs::write(dir.path().join(n), if *n == name { data.clone() } else { c.as_bytes().to_vec() }).unwrap();
        }
        let _ = load_dir(dir.path());
    }
}

#[test]
fn a_stop_is_found_by_the_code_painted_at_it() {
    let l = load_with(&[(
        "stops.txt",
        Some("stop_id,stop_code,stop_name,stop_lat,stop_lon\nS1, 4021 ,Plaza,-16.40,-71.53\nS2,AB-7,Dos,-16.41,-71.53\n"),
    )])
    .unwrap();
    let tt = &l.timetable;
    assert_eq!(tt.stop(StopIdx(0)).code.as_deref(), Some("4021"));
    // Typed as riders type it: spaces around, another case.
    for (typed, stop) in [("4021", 0), (" 4021 ", 0), ("ab-7", 1), ("AB-7", 1)] {
        assert_eq!(
            planner::parse_endpoint(tt, typed),
            Ok(planner::Endpoint::Stops(vec![StopIdx(stop)])),
            "{typed:?}"
        );
        assert_eq!(
            planner::search_stops(tt, &planner::fold(typed.trim()))[0],
            StopIdx(stop)
        );
    }
    // An id still wins over a code, and an unknown code is an unknown stop.
    assert_eq!(
        planner::parse_endpoint(tt, "S2"),
        Ok(planner::Endpoint::Stops(vec![StopIdx(1)]))
    );
    assert!(matches!(
        planner::parse_endpoint(tt, "9999"),
        Err(planner::PlanError::UnknownStop(_))
    ));
    // Without the column, no stop has a code.
    let l = load_with(&[]).unwrap();
    assert!(l.timetable.stops().iter().all(|s| s.code.is_none()));
}

#[test]
fn feed_info_end_date_is_read_and_a_bad_one_is_a_warning() {
    let l = load_with(&[(
        "feed_info.txt",
        Some("feed_publisher_name,feed_publisher_url,feed_lang,feed_end_date\nMuni,https://x,es,20270115\n"),
    )])
    .unwrap();
    assert_eq!(
        l.timetable.feeds()[0].valid_until,
        Day::parse("20270115"),
        "{:?}",
        l.warnings
    );
    let l = load_with(&[(
        "feed_info.txt",
        Some("feed_publisher_name,feed_publisher_url,feed_lang,feed_end_date\nMuni,https://x,es,15/01/2027\n"),
    )])
    .unwrap();
    assert_eq!(l.timetable.feeds()[0].valid_until, None);
    assert_eq!(l.warnings.count("feed_info_bad_end_date"), 1);
}
