//! The feeds shipped in `feeds/` load with the expected counts, checked against a count made
//! straight from their CSV files.

use gtfs::{FeedSpec, LoadConfig};
use paradero_tests::feeds_dir;
use std::collections::HashMap;
use std::io::Read;
use timetable::{Day, TripKind};

/// Reads one file of a zip into rows of (header → value).
fn csv_rows(zip_path: &std::path::Path, name: &str) -> Vec<HashMap<String, String>> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    let mut r = csv::Reader::from_reader(s.as_bytes());
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            h.iter()
                .zip(rec.unwrap().iter())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        })
        .collect()
}

fn secs(t: &str) -> u32 {
    let v: Vec<u32> = t.split(':').map(|x| x.parse().unwrap()).collect();
    v[0] * 3600 + v[1] * 60 + v[2]
}

/// Runs on `day` computed directly from calendar.txt + frequencies.txt + stop_times.txt.
fn independent_runs(zip_path: &std::path::Path, day: Day) -> (u64, u64) {
    let weekday = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][day.weekday() as usize];
    let date = day.date().format("%Y%m%d").to_string();
    let active: Vec<String> = csv_rows(zip_path, "calendar.txt")
        .into_iter()
        .filter(|r| r[weekday] == "1" && r["start_date"] <= date && date <= r["end_date"])
        .map(|r| r["service_id"].clone())
        .collect();
    let service: HashMap<String, String> = csv_rows(zip_path, "trips.txt")
        .into_iter()
        .map(|r| (r["trip_id"].clone(), r["service_id"].clone()))
        .collect();
    let mut stops_per_trip: HashMap<String, u64> = HashMap::new();
    for r in csv_rows(zip_path, "stop_times.txt") {
        *stops_per_trip.entry(r["trip_id"].clone()).or_default() += 1;
    }
    let (mut runs, mut events) = (0, 0);
    for r in csv_rows(zip_path, "frequencies.txt") {
        if !active.contains(&service[&r["trip_id"]]) {
            continue;
        }
        let (s, e, h) = (
            secs(&r["start_time"]),
            secs(&r["end_time"]),
            r["headway_secs"].parse::<u32>().unwrap(),
        );
        let n = u64::from((e - s).div_ceil(h));
        runs += n;
        events += n * stops_per_trip[&r["trip_id"]];
    }
    (runs, events)
}

fn load(name: &str) -> gtfs::Loaded {
    gtfs::load(
        &[FeedSpec::from_path(feeds_dir().join(name))],
        &LoadConfig::default(),
    )
    .unwrap()
}

#[test]
fn arequipa_counts() {
    let l = load("arequipa.zip");
    let tt = &l.timetable;
    assert_eq!(tt.stops().len(), 6_711);
    assert_eq!(tt.routes().len(), 192);
    assert_eq!(tt.agencies().len(), 10);
    assert_eq!(
        tt.trips()
            .iter()
            .filter(|t| t.kind == TripKind::Frequency)
            .count(),
        240
    );
    assert_eq!(tt.feeds()[0].timezone, "America/Lima");
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    for d in ["20261123", "20261128", "20261129"] {
        let day = Day::parse(d).unwrap();
        let st = tt.day_stats(day);
        assert_eq!(
            (st.runs, st.stop_events),
            independent_runs(&feeds_dir().join("arequipa.zip"), day),
            "{d}"
        );
    }
    assert_eq!(
        tt.components().len(),
        1,
        "footpaths join the whole Arequipa network"
    );
    assert!(tt.n_footpaths() > 10_000);
    assert_eq!(tt.shapes().len(), 192);
    assert_eq!(tt.fares().len(), 192);
}

#[test]
fn trujillo_counts() {
    let l = load("trujillo.zip");
    let tt = &l.timetable;
    assert_eq!(
        (tt.stops().len(), tt.routes().len(), tt.agencies().len()),
        (4_067, 102, 56)
    );
    assert_eq!(
        tt.trips()
            .iter()
            .filter(|t| t.kind == TripKind::Frequency)
            .count(),
        102
    );
    let day = Day::parse("20261123").unwrap();
    let st = tt.day_stats(day);
    assert_eq!(
        (st.runs, st.stop_events),
        independent_runs(&feeds_dir().join("trujillo.zip"), day)
    );
}

#[test]
fn sao_paulo_counts() {
    let l = load("sao-paulo.zip");
    let tt = &l.timetable;
    assert_eq!((tt.stops().len(), tt.routes().len()), (654, 19));
    assert_eq!(
        tt.trips()
            .iter()
            .filter(|t| t.kind == TripKind::Frequency)
            .count(),
        36
    );
    let windows: usize = (0..tt.patterns().len())
        .map(|p| tt.windows(timetable::PatternIdx::new(p)).len())
        .sum();
    assert_eq!(windows, 704);
    assert_eq!(tt.feeds()[0].timezone, "America/Sao_Paulo");
    let day = Day::parse("20190603").unwrap();
    let st = tt.day_stats(day);
    assert_eq!(
        (st.runs, st.stop_events),
        independent_runs(&feeds_dir().join("sao-paulo.zip"), day)
    );
}

#[test]
fn peru_feeds_load_together() {
    let l = gtfs::load(
        &[
            FeedSpec::from_path(feeds_dir().join("arequipa.zip")),
            FeedSpec::from_path(feeds_dir().join("trujillo.zip")),
        ],
        &LoadConfig::default(),
    )
    .unwrap();
    let tt = &l.timetable;
    assert_eq!(tt.stops().len(), 6_711 + 4_067);
    assert_eq!(tt.components().len(), 2, "two cities, 500 km apart");
}
