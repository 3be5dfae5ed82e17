//! The Telegram bot under load, against the fake Bot API on loopback, on the Arequipa feed
//! and a SQLite store in a temp dir (`cargo bench -p paradero-bench --bench bot [-- quick]`).
//!
//! 8, 16 and 64 riders at once each run whole `/ruta` dialogues (command, origin location,
//! destination location, "leave now" button): four updates, four replies, the last one
//! with itineraries planned between random points of the city. Each rider sends its next
//! update when the previous reply has arrived, as a person does. Prints updates handled per
//! second, and the median and p99 reply latency (update queued at the fake → reply received
//! by the fake) of the planning step and of all steps.

use bot::fake::{FakeTelegram, TOKEN};
use paradero_bench::{Rng, median_p99};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn points(tt: &timetable::Timetable, n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let s = tt
                .stop(timetable::StopIdx(rng.below(tt.stops().len() as u64) as u32))
                .coord;
            (
                s.lat() + (rng.unit() - 0.5) * 0.003,
                s.lon() + (rng.unit() - 0.5) * 0.003,
            )
        })
        .collect()
}

/// Sends one update of `chat` and waits for its reply; returns the latency.
async fn exchange(fake: &FakeTelegram, chat: i64, send: impl FnOnce(&FakeTelegram) -> i64) -> f64 {
    let before = fake.sent_to(chat).len();
    let update = send(fake);
    let sent = fake
        .wait_sent(chat, before + 1, Duration::from_secs(30))
        .await;
    assert!(sent.len() > before, "chat {chat} got no reply");
    let queued = fake.queued_at(update).expect("queued");
    (sent[before].at - queued).as_secs_f64() * 1e3
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let dialogues_per_chat = if quick { 3 } else { 12 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let tt = Arc::new(paradero_bench::load_feed("arequipa.zip"));
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        let store = store::Store::open(&url).await.expect("store");
        let obs = app::Obs::start(store, app::ObservatorySettings::default());
        let state = app::App::new(
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
        );
        let fake = FakeTelegram::start_with_poll(Duration::from_millis(500)).await;
        let engine = Arc::new(
            bot::Engine::new(
                state,
                bot::BotSettings {
                    plans_per_minute: 0,
                    ..bot::BotSettings::default()
                },
            )
            .expect("engine"),
        );
        let running = bot::start_polling(
            &bot::Connection {
                token: TOKEN.into(),
                api_url: Some(fake.url()),
                poll_timeout_s: 1,
                notify_every: Duration::from_secs(5),
            },
            engine,
        )
        .await
        .expect("bot starts");
        let pts = Arc::new(points(&tt, 4096, 7));
        for (round, riders) in [8_i64, 16, 64].into_iter().enumerate() {
            let first = 1 + 1000 * round as i64;
            measure(&fake, &pts, first, riders, dialogues_per_chat).await;
        }
        running.stop().await;
    });
}

async fn measure(
    fake: &FakeTelegram,
    pts: &Arc<Vec<(f64, f64)>>,
    first: i64,
    riders: i64,
    dialogues_per_chat: usize,
) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chat in first..first + riders {
        let fake = fake.clone();
        let pts = pts.clone();
        tasks.push(tokio::spawn(async move {
            let mut plan_ms = Vec::new();
            let mut all_ms = Vec::new();
            for d in 0..dialogues_per_chat {
                let i = (chat as usize * 97 + d * 13) % (pts.len() - 1);
                let (a, b) = (pts[i], pts[i + 1]);
                all_ms.push(exchange(&fake, chat, |f| f.text(chat, "/ruta")).await);
                all_ms.push(exchange(&fake, chat, |f| f.location(chat, a.0, a.1)).await);
                all_ms.push(exchange(&fake, chat, |f| f.location(chat, b.0, b.1)).await);
                let p = exchange(&fake, chat, |f| f.press(chat, "when:now")).await;
                plan_ms.push(p);
                all_ms.push(p);
            }
            (plan_ms, all_ms)
        }));
    }
    let (mut plan_ms, mut all_ms) = (Vec::new(), Vec::new());
    for t in tasks {
        let (p, a) = t.await.expect("rider task");
        plan_ms.extend(p);
        all_ms.extend(a);
    }
    let secs = started.elapsed().as_secs_f64();
    let updates = all_ms.len();
    let (pm, pp) = median_p99(&mut plan_ms);
    let (am, ap) = median_p99(&mut all_ms);
    println!(
        "bot: {riders} riders at once, {updates} updates ({} /ruta dialogues) in {secs:.1} s",
        plan_ms.len()
    );
    println!("  updates handled: {:.0}/s", updates as f64 / secs);
    println!("  /ruta planning reply latency: median {pm:.1} ms, p99 {pp:.1} ms");
    println!("  any reply latency:            median {am:.1} ms, p99 {ap:.1} ms");
}
