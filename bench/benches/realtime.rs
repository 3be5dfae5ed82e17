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

/// A city's worth of TripUpdates: 1,000 live trips of 30 stops (50 routes × 20 trips, an
/// update with a delay at every stop), decoded, applied and published as the next
/// generation, as the poller does each time.
fn city_trip_updates(c: &mut Criterion) {
    let mut text = String::new();
    for r in 0..50 {
        for k in 0..20 {
            let start = 6 * 60 + k * 15;
            text.push_str(&format!("route R{r} id=T{r}x{k}:"));
            for s in 0..30 {
                let m = start + 2 * s;
                text.push_str(&format!(" R{r}S{s} {}:{:02}", m / 60, m % 60));
            }
            text.push('\n');
        }
    }
    let tt = timetable::text::parse(&text).unwrap();
    let entity: Vec<FeedEntity> = (0..50)
        .flat_map(|r| (0..20).map(move |k| (r, k)))
        .map(|(r, k)| FeedEntity {
            id: format!("{r}-{k}"),
            trip_update: Some(TripUpdate {
                trip: TripDescriptor {
                    trip_id: Some(format!("T{r}x{k}")),
                    start_date: Some("20261123".into()),
                    ..Default::default()
                },
                stop_time_update: (0..30)
                    .map(|s| StopTimeUpdate {
                        stop_id: Some(format!("R{r}S{s}")),
                        departure: Some(StopTimeEvent {
                            delay: Some(30 * s),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let msg = realtime::FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(1_795_000_000),
            ..Default::default()
        },
        entity,
    };
    let bytes = msg.encode_to_vec();
    let opts = realtime::ApplyOptions {
        now: 1_795_000_000,
        max_age_s: 0,
    };
    let o = realtime::apply(&tt, "", &msg, opts);
    assert_eq!((o.applied.runs, o.applied.stop_updates), (1000, 30_000));
    eprintln!("1,000 live trips × 30 stops: {} bytes", bytes.len());
    let before = realtime::Live::default();
    c.bench_function("realtime_city_1000_trips_x30_decode_apply_publish", |b| {
        b.iter(|| {
            let m = realtime::decode(black_box(&bytes)).unwrap();
            let o = realtime::apply(&tt, "", &m, opts);
            before.with("", o, opts.now, 0)
        })
    });
}

/// Operators' GPS on Arequipa: 500 buses tracked, a batch of 100 positions placed on their
/// lines and the whole fleet's runs predicted and published (what one push costs).
fn operators_positions(c: &mut Criterion) {
    use realtime::fleet::Lines;
    let feeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds");
    let tt = gtfs::load(
        &[gtfs::FeedSpec {
            id: "arequipa".into(),
            path: feeds.join("arequipa.zip"),
        }],
        &gtfs::LoadConfig::default(),
    )
    .unwrap()
    .timetable;
    let lines = Lines::new(&tt);
    let on: Vec<u32> = lines.iter().map(|(i, _)| i).collect();
    for buses in [500, 5_000] {
        positions_batch(c, &tt, &lines, &on, buses);
    }
}

/// One batch of 100 positions taken into a fleet of `buses` (placed, the whole fleet's runs
/// attached and predicted — predictions of unchanged vehicles reused — and published).
fn positions_batch(
    c: &mut Criterion,
    tt: &timetable::Timetable,
    lines: &realtime::fleet::Lines,
    on: &[u32],
    buses: usize,
) {
    use realtime::fleet::{Fleet, Ping, Simulation};
    let (tt, lines) = (tt, lines);
    let mut sim = Simulation::new(lines, on, buses, 20.0, 3);
    let day = Day::parse("20261123").unwrap();
    let t0 = realtime::service_day_start("America/Lima".parse().unwrap(), day) + 8 * 3600;
    // Pings of 20 posts, 5 s apart; the fleet warmed with the first, and published once.
    let posts: Vec<Vec<Ping>> = (0..20)
        .map(|k| {
            sim.step(lines, 5.0)
                .into_iter()
                .map(|p| p.ping(t0 + 5 * k))
                .collect()
        })
        .collect();
    let mut warm = Fleet::default();
    for p in &posts[0] {
        let _ = warm.observe(lines, p, t0, 120);
    }
    assert!(warm.len() > buses * 9 / 10, "{} tracked", warm.len());
    let _ = warm.live(tt, lines, t0, 120);
    let batches: Vec<&[Ping]> = posts[1..].iter().flat_map(|p| p.chunks(100)).collect();
    let mut live = realtime::Live::default();
    c.bench_function(
        &format!("realtime_positions_batch_100_of_{buses}_buses_arequipa"),
        |b| {
            let mut i = 0;
            b.iter_batched(
                || {
                    i += 1;
                    (warm.clone(), batches[i % batches.len()])
                },
                |(mut fleet, batch)| {
                    let now = batch[0].at;
                    for p in batch {
                        let _ = fleet.observe(lines, p, now, 120);
                    }
                    let (vehicles, overlay) = fleet.live(tt, lines, now, 120);
                    live = live.with_source(
                        "operators",
                        std::sync::Arc::new(overlay),
                        std::sync::Arc::new(vehicles),
                        now,
                        120,
                    );
                },
                criterion::BatchSize::SmallInput,
            )
        },
    );
}

/// Plans on Arequipa at 08:00–08:30 with and without 500 live buses (the operators' GPS,
/// simulated): the same 500 queries, medians compared.
fn plans_with_live_buses(c: &mut Criterion) {
    let paradero_bench::LivePlans {
        tt,
        day,
        live,
        queries,
    } = paradero_bench::arequipa_with_live_buses();
    let mut sc = raptor::Scratch::new(&tt);
    let mut g = c.benchmark_group("arequipa_live");
    for (name, opts) in [
        ("plan_without_live", raptor::Options::default()),
        (
            "plan_with_500_live_buses",
            raptor::Options {
                live: Some(live.clone()),
                ..raptor::Options::default()
            },
        ),
    ] {
        let mut i = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                let q = &queries[i % queries.len()];
                i += 1;
                let req = raptor::Request {
                    day,
                    time: q.time,
                    arrive_by: false,
                    access: &q.access,
                    egress: &q.egress,
                };
                black_box(raptor::search(&tt, &mut sc, &req, &opts))
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    realtime,
    city_trip_updates,
    operators_positions,
    plans_with_live_buses
);
criterion_main!(benches);
