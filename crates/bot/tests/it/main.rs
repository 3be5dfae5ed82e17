//! The chatbot end to end: the real bot (teloxide, long polling or webhook) against a fake
//! Telegram Bot API on loopback, with the Arequipa timetable and a SQLite store in a temp
//! dir. Every conversation of the issue, restarts, notifications, bad input and erasure.

mod alerts;
mod cities;
mod conversations;
mod fuzz;

use bot::fake::{Call, FakeTelegram, TOKEN};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use timetable::Timetable;

/// Arequipa as the main job serves it: its feed with estimated times, and its place list
/// (places found by name, every stop named and told apart).
fn arequipa() -> &'static (Arc<Timetable>, Option<Arc<streets::Directory>>) {
    static CITY: OnceLock<(Arc<Timetable>, Option<Arc<streets::Directory>>)> = OnceLock::new();
    CITY.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let (mut city, _) = app::city::shipped_arequipa(&root.join("feeds"))
            .expect("the shipped Arequipa feed and places load");
        city.timetable = city
            .timetable
            .with_estimated_times(&["arequipa".to_string()]);
        (Arc::new(city.timetable), city.places.map(Arc::new))
    })
}

pub fn timetable() -> Arc<Timetable> {
    arequipa().0.clone()
}

/// A bot, its fake Telegram, its store.
#[allow(missing_debug_implementations)]
pub struct Harness {
    pub fake: FakeTelegram,
    pub state: Arc<app::App>,
    pub running: Option<bot::Running>,
    pub settings: bot::BotSettings,
    _dir: tempfile::TempDir,
    url: String,
    /// Arequipa and Trujillo, as the shipped configuration serves them.
    two_cities: bool,
}

pub fn connection(fake: &FakeTelegram) -> bot::Connection {
    bot::Connection {
        token: TOKEN.into(),
        api_url: Some(fake.url()),
        poll_timeout_s: 1,
        notify_every: Duration::from_millis(100),
    }
}

/// Arequipa (as [`arequipa`]) and Trujillo's feed, in one timetable, served as two cities.
fn two_cities() -> &'static Arc<Timetable> {
    static BOTH: OnceLock<Arc<Timetable>> = OnceLock::new();
    BOTH.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let specs: Vec<gtfs::FeedSpec> = ["arequipa", "trujillo"]
            .iter()
            .map(|id| gtfs::FeedSpec {
                id: id.to_string(),
                path: root.join(format!("feeds/{id}.zip")),
            })
            .collect();
        let tt = gtfs::load(&specs, &gtfs::LoadConfig::default())
            .unwrap()
            .timetable;
        Arc::new(tt.with_estimated_times(&["arequipa".into(), "trujillo".into()]))
    })
}

pub async fn two_cities_state(url: &str) -> Arc<app::App> {
    let store = store::Store::open(url).await.expect("store opens");
    let obs = app::Obs::start(store, app::ObservatorySettings::default());
    let city = |id: &str, name: &str| config::CityConfig {
        id: id.into(),
        name: name.into(),
        feeds: vec![id.into()],
        home: None,
        languages: vec!["es".into(), "en".into(), "qu".into()],
    };
    app::App::new(
        app::Dataset {
            timetable: two_cities().clone(),
            streets: None,
            places: arequipa().1.clone(),
            loaded_at: std::time::SystemTime::now(),
        },
        app::Settings {
            observatory: Some(obs),
            cities: vec![city("arequipa", "Arequipa"), city("trujillo", "Trujillo")],
            ..app::Settings::default()
        },
    )
}

pub async fn app_state(url: &str) -> Arc<app::App> {
    let store = store::Store::open(url).await.expect("store opens");
    let obs = app::Obs::start(store, app::ObservatorySettings::default());
    app::App::new(
        app::Dataset {
            timetable: timetable(),
            streets: None,
            places: arequipa().1.clone(),
            loaded_at: std::time::SystemTime::now(),
        },
        app::Settings {
            observatory: Some(obs),
            ..app::Settings::default()
        },
    )
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::with(bot::BotSettings::default()).await
    }

    pub async fn with(settings: bot::BotSettings) -> Harness {
        Harness::build(settings, false).await
    }

    /// A bot serving Arequipa and Trujillo.
    pub async fn two_cities() -> Harness {
        Harness::build(bot::BotSettings::default(), true).await
    }

    async fn build(settings: bot::BotSettings, two_cities: bool) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bot.db").display());
        let fake = FakeTelegram::start().await;
        let state = if two_cities {
            two_cities_state(&url).await
        } else {
            app_state(&url).await
        };
        let mut h = Harness {
            fake,
            state,
            running: None,
            settings,
            _dir: dir,
            url,
            two_cities,
        };
        h.run().await;
        h
    }

    async fn run(&mut self) {
        let engine = Arc::new(bot::Engine::new(self.state.clone(), self.settings.clone()).unwrap());
        self.running = Some(
            bot::start_polling(&connection(&self.fake), engine)
                .await
                .expect("the bot starts"),
        );
    }

    /// Stops the bot and starts a new one (new process state: a fresh server state over
    /// the same database file).
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        if let Some(o) = self.state.observatory() {
            o.flush().await;
            o.store().close().await;
        }
        self.state = if self.two_cities {
            two_cities_state(&self.url).await
        } else {
            app_state(&self.url).await
        };
        self.run().await;
    }

    pub fn store(&self) -> &store::Store {
        self.state.observatory().unwrap().store()
    }

    /// Does something as a rider and returns the messages the bot sent back (waits for the
    /// first and then until the bot has been quiet for half a second: the messages of one
    /// reply are sent back to back, but CI machines running other suites can be slow).
    pub async fn after(&self, chat: i64, act: impl FnOnce(&FakeTelegram)) -> Vec<Call> {
        let before = self.fake.sent_to(chat).len();
        act(&self.fake);
        let mut n = before + 1;
        let mut sent = self.fake.wait_sent(chat, n, Duration::from_secs(20)).await;
        assert!(sent.len() >= n, "the bot answered chat {chat}");
        loop {
            n = sent.len() + 1;
            let more = self
                .fake
                .wait_sent(chat, n, Duration::from_millis(500))
                .await;
            if more.len() < n {
                break;
            }
            sent = more;
        }
        sent.split_off(before)
    }

    pub async fn say(&self, chat: i64, text: &str) -> Vec<Call> {
        self.after(chat, |f| {
            f.text(chat, text);
        })
        .await
    }

    pub async fn press(&self, chat: i64, data: &str) -> Vec<Call> {
        self.after(chat, |f| {
            f.press(chat, data);
        })
        .await
    }

    pub async fn locate(&self, chat: i64, lat: f64, lon: f64) -> Vec<Call> {
        self.after(chat, |f| {
            f.location(chat, lat, lon);
        })
        .await
    }
}

/// All texts of a reply, joined.
pub fn text(calls: &[Call]) -> String {
    calls
        .iter()
        .map(Call::text)
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// All button data of a reply.
pub fn buttons(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .flat_map(Call::buttons)
        .map(|(_, d)| d)
        .collect()
}
