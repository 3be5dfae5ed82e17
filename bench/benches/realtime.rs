//! Applying GTFS-Realtime TripUpdates: every Caltrain run of 2023-11-07 made live with an
//! update at each of its stops (decode + apply, as the poller does each time), and the
//! departures at San Francisco read with and without the overlay.

use criterion::{Criterion, criterion_group, criterion_main};
use prost::Message;
use realtime::proto::trip_update::{StopTimeEvent, StopTimeUpdate};
use realtime::proto::{FeedEntity, FeedHeader, TripDescriptor, TripUpdate};
use std::hint::black_box;
use std::path::Path;
use timetable::{Day, TripKind};

fn realtime(c: &mut Criterion) {
    let feeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds/rt");
    let spec = gtfs::FeedSpec {
        id: "ct".into(),
        path: feeds.join("ct.zip"),
    };
    let tt = gtfs::load(&[spec], &gtfs::LoadConfig::default())
        .unwrap()
        .timetable;
    let day = Day::parse("2023-11-07").unwrap();
    // Every run of the day, late by a minute more at each stop.
    let mut entity = Vec::new();
    let mut stop_updates = 0;
    for t in tt.trips() {
        if !matches!(t.kind, TripKind::Scheduled { .. }) || !tt.service_active(t.service, day) {
            continue;
        }
        let updates: Vec<StopTimeUpdate> = tt
            .pattern_stops(t.pattern)
            .iter()
            .enumerate()
            .map(|(i, &s)| StopTimeUpdate {
                stop_id: Some(tt.stop(s).id.trim_start_matches("ct:").to_string()),
                departure: Some(StopTimeEvent {
                    delay: Some(60 * i as i32),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect();
        stop_updates += updates.len();
        entity.push(FeedEntity {
            id: t.id.clone(),
            trip_update: Some(TripUpdate {
                trip: TripDescriptor {
                    trip_id: Some(t.id.trim_start_matches("ct:").to_string()),
                    start_date: Some("20231107".into()),
                    ..Default::default()
                },
                stop_time_update: updates,
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    let runs = entity.len();
    let msg = realtime::FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(1_699_405_534),
            ..Default::default()
        },
        entity,
    };
    let bytes = msg.encode_to_vec();
    let opts = realtime::ApplyOptions {
        now: 1_699_405_600,
        max_age_s: 0,
    };
    let overlay = realtime::apply(&tt, "ct", &msg, opts);
    assert_eq!(overlay.applied.runs, runs);
    eprintln!(
        "{runs} live runs, {stop_updates} stop updates, {} bytes",
        bytes.len()
    );
    c.bench_function("realtime_decode_and_apply_caltrain_day", |b| {
        b.iter(|| {
            let m = realtime::decode(black_box(&bytes)).unwrap();
            realtime::apply(&tt, "ct", &m, opts)
        })
    });
    let live = realtime::Live::default().with("ct", overlay, opts.now, 0);
    let stop = tt.stop_by_id("ct:70012").unwrap();
    let at = 17 * 3600;
    c.bench_function("departures_scheduled", |b| {
        b.iter(|| planner::departures(&tt, black_box(stop), day, at, 8, None))
    });
    c.bench_function("departures_live", |b| {
        b.iter(|| planner::departures(&tt, black_box(stop), day, at, 8, Some(live.at(opts.now))))
    });
}

criterion_group!(benches, realtime);
criterion_main!(benches);
