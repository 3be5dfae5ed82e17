//! Service delivered (whether the buses came): what counting a day of Arequipa costs — 200
//! buses, a position every 10 s from 05:00 to 23:00, the stops they pass summed into cells
//! (target: under 1 s of CPU for the day) — and the dashboard's week, read back from the
//! store and summed per route and hour with the planned trips beside (target ≤ 200 ms).

use app::service::By;
use criterion::{Criterion, criterion_group, criterion_main};
use realtime::fleet::{Fleet, Lines, Simulation};
use realtime::service::Delivered;
use std::hint::black_box;
use std::sync::Arc;
use timetable::Day;

fn service(c: &mut Criterion) {
    let tt = Arc::new(paradero_bench::load_feed("arequipa.zip"));
    let lines = Lines::new(&tt);
    let on: Vec<u32> = lines.iter().map(|(i, _)| i).collect();
    let tz: chrono_tz::Tz = "America/Lima".parse().unwrap();
    let day = Day::parse("20261207").unwrap();
    let t0 = realtime::service_day_start(tz, day) + 5 * 3600;
    // The day's passages, collected once (placing positions is the fleet's own cost,
    // measured by the positions benchmarks).
    let mut sim = Simulation::new(&lines, &on, 200, 20.0, 11);
    let mut fleet = Fleet::default();
    let mut passages = Vec::new();
    let mut pings = 0usize;
    for k in 0..(18 * 360) {
        let t = t0 + 10 * k;
        for p in sim.step(&lines, 10.0) {
            pings += 1;
            let _ = fleet.observe(&lines, &p.ping(t), t, 120);
        }
        passages.extend(fleet.take_passed());
        fleet.forget_before(t - 120);
    }
    eprintln!(
        "a day of Arequipa: {pings} positions of 200 buses, {} stops passed",
        passages.len()
    );
    let mut g = c.benchmark_group("service");
    g.sample_size(10);
    g.bench_function("service_delivered_a_day_of_arequipa_200_buses", |b| {
        b.iter(|| {
            let mut d = Delivered::default();
            for p in &passages {
                d.record(&tt, &lines, tz, p);
            }
            black_box(d.cells().count())
        })
    });

    // The dashboard's week: every route in each direction its lines run, every hour from
    // 05:00 to 23:59, seven days.
    let mut directions: std::collections::BTreeSet<(String, i64)> = Default::default();
    for (_, l) in lines.iter() {
        directions.insert((
            tt.route(l.route).id.clone(),
            i64::from(l.direction.unwrap_or(0)),
        ));
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = rt.block_on(async {
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        let store = store::Store::open(&url).await.unwrap();
        let mut rows = Vec::new();
        for d in 0..7 {
            let day = day.offset(d).date().format("%Y-%m-%d").to_string();
            for (route_id, direction) in &directions {
                for hour in 5..24 {
                    rows.push(store::ServiceRow {
                        day: day.clone(),
                        route_id: route_id.clone(),
                        direction: *direction,
                        hour,
                        runs: 10,
                        promised: 12.0,
                        vehicles: 6,
                        headways: 600,
                        h_sum: 216_000.0,
                        h_sq: 90_000_000.0,
                        sched_n: 600,
                        sched_sum: 180_000.0,
                        sched_sq: 54_000_000.0,
                        h_sum_sched: 216_000.0,
                        h_sq_sched: 90_000_000.0,
                        travel_obs_s: 7000.0,
                        travel_sched_s: 6000.0,
                        until: 0,
                    });
                }
            }
        }
        eprintln!("the week: {} cells stored", rows.len());
        store.put_service_cells(&rows).await.unwrap();
        let obs = app::Obs::start(store, app::ObservatorySettings::default());
        app::App::new(
            app::Dataset {
                timetable: tt.clone(),
                streets: None,
                places: None,
                loaded_at: std::time::SystemTime::now(),
            },
            app::Settings {
                observatory: Some(obs),
                ..app::Settings::default()
            },
        )
    });
    g.bench_function("service_delivered_dashboard_week_query", |b| {
        b.iter(|| {
            let r = rt
                .block_on(app.service_delivered(
                    (day, day.offset(6)),
                    None,
                    By::Hour,
                    true,
                    i18n::Lang::Es,
                ))
                .unwrap();
            black_box(r.figures.len())
        })
    });
    g.finish();
}

criterion_group!(benches, service);
criterion_main!(benches);
