//! `app` at its boundary: the use cases the doors call (the HTTP API, the chatbot, the
//! command line), checked in plain Rust without HTTP or Telegram. Each test reads as the use
//! case: what goes in, what comes out, what is stored.

mod alerts;
mod categories;
mod live;
mod off;
mod officials;
mod photos;
mod places;
mod plans;
mod positions;
mod questionnaires;
mod ratings;
mod releases;
mod reload;
mod reports;
mod riders;
mod service;
mod share;
mod when;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use timetable::Timetable;

/// Arequipa's timetable, loaded once for the whole suite.
pub fn arequipa() -> Arc<Timetable> {
    static TT: OnceLock<Arc<Timetable>> = OnceLock::new();
    TT.get_or_init(|| {
        let feed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/arequipa.zip");
        Arc::new(
            gtfs::load(
                &[gtfs::FeedSpec::from_path(feed)],
                &gtfs::LoadConfig::default(),
            )
            .expect("the Arequipa feed loads")
            .timetable,
        )
    })
    .clone()
}

/// An observatory on a fresh SQLite file, and the folder it lives in.
#[allow(missing_debug_implementations)]
pub struct Fresh {
    pub obs: Arc<app::Obs>,
    /// The application serving Arequipa with that observatory.
    pub app: Arc<app::App>,
    _dir: tempfile::TempDir,
}

impl Fresh {
    /// A new official named `name` with `role`, signed in with the token just made.
    pub async fn official(&self, name: &str, role: app::Role) -> app::Official {
        let token = self
            .obs
            .store()
            .create_official(name, role, 0)
            .await
            .unwrap();
        self.app
            .authenticate(Some(&token), role, i18n::Lang::Es)
            .await
            .unwrap()
    }
}

pub async fn fresh() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/paradero.db", dir.path().display());
    fresh_at(&url, dir).await
}

/// The same on a fresh database of the PostgreSQL server `.ci/test` starts
/// (`PARADERO_TEST_POSTGRES_URL`).
pub async fn fresh_on_postgres() -> Fresh {
    let base = std::env::var("PARADERO_TEST_POSTGRES_URL").expect(
        "PARADERO_TEST_POSTGRES_URL must point at a PostgreSQL server: run the tests with \
         `bash .ci/test`, which starts one on loopback",
    );
    let name = format!("paradero_a{:016x}", rand::random::<u64>());
    let admin = store::Store::admin_connect(&base).await.unwrap();
    admin.create_database(&name).await.unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    fresh_at(&format!("{prefix}/{name}"), tempfile::tempdir().unwrap()).await
}

async fn fresh_at(url: &str, dir: tempfile::TempDir) -> Fresh {
    let store = store::Store::open(url).await.unwrap();
    let obs = app::Obs::start(store, app::ObservatorySettings::default());
    Fresh {
        app: app_with(Some(Arc::clone(&obs))),
        obs,
        _dir: dir,
    }
}

/// A report at the Plaza de Armas, as a door would pass it on.
pub fn at_the_plaza<'a>(
    category: &'a str,
    rider: Option<&str>,
    channel: store::Channel,
) -> app::reports::ReportInput<'a> {
    app::reports::ReportInput {
        category: Some(category),
        lat: Some(-16.3989),
        lon: Some(-71.5369),
        stop_id: None,
        route_id: None,
        occurred_at: None,
        description: Some("un hombre me siguió"),
        gender: Some("mujer"),
        age_band: Some("18_35"),
        channel,
        rider: rider.map(str::to_string),
        actor_involved: None,
        actor_victim: None,
    }
}

/// Files a report through the use cases the doors call; returns its secret.
pub async fn file(a: &app::App, input: &app::reports::ReportInput<'_>) -> String {
    a.file_report(input, None, i18n::Lang::Es)
        .await
        .unwrap()
        .secret
}

/// The application serving Arequipa, with `obs` as its observatory (or none).
pub fn app_with(obs: Option<Arc<app::Obs>>) -> Arc<app::App> {
    let tt = arequipa();
    app::App::new(
        app::Dataset {
            timetable: tt,
            streets: None,
            places: None,
            loaded_at: std::time::SystemTime::now(),
        },
        app::Settings {
            observatory: obs,
            ..app::Settings::default()
        },
    )
}
