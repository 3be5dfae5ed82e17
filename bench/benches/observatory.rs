//! The observatory at scale, on SQLite in a temp dir (`cargo bench -p paradero-bench --bench
//! observatory [-- quick]`):
//! - the release of the running month (every table, differentially private) over 1,000,000
//!   trip records and 50,000 reports, then the public indicators served from it through the
//!   HTTP app: median and p99 of repeated requests;
//! - report ingest through the HTTP app, 16 at a time: reports per second;
//! - what recording a trip adds to `/v1/plan`: median with the observatory on and off.
//!
//! The HTTP path here is `app().oneshot` (routing, validation, JSON, the store) without
//! sockets; `bench/load/run.sh` measures report ingest over real HTTP with wrk.

use app::{App, Dataset, Obs, ObservatorySettings};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use paradero_bench::{Rng, load_feed, median_p99};
use server::{AppState, Settings, app};
use std::sync::Arc;
use std::time::Instant;
use store::{BestJourney, Channel, Gender, NewReport, Profile, Purpose, TripRecord};
use tower::ServiceExt;

const GENDERS: [Option<Gender>; 5] = [
    Some(Gender::Woman),
    Some(Gender::Man),
    Some(Gender::NonBinary),
    Some(Gender::Undisclosed),
    None,
];

async fn call(state: &Arc<AppState>, method: &str, uri: &str, body: String) -> StatusCode {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let res = app(state.clone()).oneshot(req).await.expect("answer");
    let status = res.status();
    let _ = res.into_body().collect().await;
    status
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (n_trips, n_reports) = if quick {
        (100_000, 5_000)
    } else {
        (1_000_000, 50_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tt = Arc::new(load_feed("arequipa.zip"));
    let routes: Vec<String> = tt.routes().iter().map(|r| r.id.clone()).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    rt.block_on(async {
        let store = store::Store::open(&format!("sqlite://{}/bench.db", dir.path().display()))
            .await
            .expect("store");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        // Seed: trips spread over the last 30 days.
        let mut rng = Rng(0x0B5E_4A70);
        let started = Instant::now();
        let mut batch = Vec::with_capacity(10_000);
        for i in 0..n_trips {
            let g = GENDERS[rng.below(5) as usize];
            let r1 = routes[rng.below(routes.len() as u64) as usize].clone();
            batch.push(TripRecord {
                planned_at: now - rng.below(30 * 86_400) as i64,
                local_day: "2026-11-20".into(),
                local_hour: rng.below(24) as u8,
                channel: Channel::Web,
                origin_zone: format!("z:{}:{}", -3640 - rng.below(20) as i64, -14300 - rng.below(20) as i64),
                dest_zone: format!("z:{}:{}", -3640 - rng.below(20) as i64, -14300 - rng.below(20) as i64),
                best: Some(BestJourney {
                    travel_s: 600 + rng.below(3600) as i32,
                    wait_s: rng.below(900) as i32,
                    walk_s: rng.below(900) as i32,
                    transfers: rng.below(3) as i32,
                    routes: vec![r1],
                }),
                profile: g.map(|g| Profile {
                    gender: Some(g),
                    purpose: Some(Purpose::ALL[rng.below(7) as usize]),
                    ..Profile::default()
                }),
                rider: None,
                safer: i % 10 == 0,
            });
            if batch.len() == 10_000 || i + 1 == n_trips {
                store.record_trips(&batch).await.expect("trips");
                batch.clear();
            }
        }
        let seed_trips = started.elapsed().as_secs_f64();
        let cats = observatory::default_categories();
        let started = Instant::now();
        for i in 0..n_reports {
            let r = NewReport {
                category: cats[rng.below(cats.len() as u64) as usize].key.clone(),
                lat: Some(-16.45 + rng.below(10_000) as f64 * 1e-5),
                lon: Some(-71.58 + rng.below(10_000) as f64 * 1e-5),
                stop_id: None,
                route_id: Some(routes[rng.below(routes.len() as u64) as usize].clone()),
                zone: format!("z:{}:{}", -3640 - rng.below(20) as i64, -14300 - rng.below(20) as i64),
                occurred_at: now - rng.below(30 * 86_400) as i64,
                occurred_at_given: true,
                local_hour: rng.below(24) as u8,
                description: Some(format!("reporte {i}")),
                gender: GENDERS[rng.below(5) as usize],
                age_band: None,
                channel: Channel::Api,
                rider: None,
                actors: store::RoadActors::default(),
            };
            store.create_report(&r, None, now).await.expect("report");
        }
        let seed_reports = started.elapsed().as_secs_f64();
        println!(
            "seeded {n_trips} trips in {seed_trips:.1} s ({:.0}/s, batches of 10,000); {n_reports} reports one by one in {seed_reports:.1} s ({:.0}/s)",
            n_trips as f64 / seed_trips,
            n_reports as f64 / seed_reports
        );

        let obs = Obs::start(store.clone(), ObservatorySettings::default());
        let dataset = || Dataset {
            timetable: Arc::clone(&tt),
            streets: None,
            places: None,
            loaded_at: std::time::SystemTime::now(),
        };
        let with_obs = AppState::new(
            App::new(
                dataset(),
                app::Settings {
                    observatory: Some(obs.clone()),
                    ..app::Settings::default()
                },
            ),
            Settings::default(),
        );
        let without = AppState::new(
            App::new(dataset(), app::Settings::default()),
            Settings::default(),
        );

        // The release of the month the records fall in (computed once, as the job does), then
        // public requests served from it.
        let (today, _) = planner::clock::unix_to_local(&tt, now);
        let month = today[..7].to_string();
        let t = Instant::now();
        app::releases::release_periods(&obs, &tt, &month, &[None], now)
            .await
            .expect("release");
        println!(
            "release of {month} over {n_trips} trips and {n_reports} reports: {:.2} s",
            t.elapsed().as_secs_f64()
        );
        let mut times = Vec::new();
        for _ in 0..(if quick { 5 } else { 11 }) {
            let t = Instant::now();
            let uri = format!("/v1/observatory/indicators?month={month}");
            let s = call(&with_obs, "GET", &uri, String::new()).await;
            assert_eq!(s, StatusCode::OK);
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (m, p) = median_p99(&mut times);
        println!("public indicators served from that release: median {m:.1} ms, max {p:.1} ms");

        // Report ingest, 16 concurrent submissions at a time.
        let n = if quick { 2_000 } else { 10_000 };
        let started = Instant::now();
        let mut handles = Vec::new();
        for w in 0..16 {
            let st = with_obs.clone();
            handles.push(tokio::spawn(async move {
                let mut rng = Rng(0xAB + w);
                for _ in 0..n / 16 {
                    // Categories and places spread over the city, as real reports are.
                    let (cat, _) = observatory::DEFAULT_CATEGORIES
                        [rng.below(observatory::DEFAULT_CATEGORIES.len() as u64) as usize];
                    let body = format!(
                        r#"{{"category": "{cat}", "lat": {}, "lon": {}, "description": "reporte de carga"}}"#,
                        -16.36 - rng.below(8000) as f64 * 1e-5,
                        -71.50 - rng.below(8000) as f64 * 1e-5
                    );
                    assert_eq!(call(&st, "POST", "/v1/reports", body).await, StatusCode::CREATED);
                }
            }));
        }
        for h in handles {
            h.await.expect("ingest task");
        }
        let secs = started.elapsed().as_secs_f64();
        println!("report ingest through the app: {:.0} reports/s ({} in {secs:.1} s, 16 at a time)", (n / 16 * 16) as f64 / secs, n / 16 * 16);

        // What recording adds to a plan request.
        let mut rng = Rng(0x71A7);
        let mut on = Vec::new();
        let mut off = Vec::new();
        for _ in 0..(if quick { 200 } else { 1000 }) {
            let lat = -16.42 + rng.below(4000) as f64 * 1e-5;
            let lon = -71.56 + rng.below(4000) as f64 * 1e-5;
            let uri = format!(
                "/v1/plan?from={lat:.5},{lon:.5}&to=-16.4250,-71.5200&at=2026-11-23T08:00&consent=true&gender=mujer"
            );
            let t = Instant::now();
            let _ = call(&without, "GET", &uri, String::new()).await;
            off.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let _ = call(&with_obs, "GET", &uri, String::new()).await;
            on.push(t.elapsed().as_secs_f64() * 1e3);
        }
        obs.flush().await;
        let (m_on, _) = median_p99(&mut on);
        let (m_off, _) = median_p99(&mut off);
        println!(
            "plan request median: {m_off:.3} ms without the observatory, {m_on:.3} ms recording the trip (+{:.3} ms); trips dropped: {}",
            m_on - m_off,
            obs.dropped()
        );
    });
}
