//! paradero's application layer: the use cases both front doors (the HTTP API in `server`, the
//! Telegram bot in `bot`) call, in plain Rust types with their own [`Error`].
//!
//! - [`App`]: the timetable being served (swapped atomically by a reload), planning on the
//!   blocking pool with a per-thread scratch, and the observatory.
//! - [`observatory`]: the store, its settings and the background trip writer.
//! - [`reports`], [`ratings`], [`questionnaires`], [`officials`]: filing, following, erasing and
//!   handling reports; ride ratings; survey answers; officials' tokens.
//! - [`trips`]: the record of a plan served.
//! - [`releases`]: the observatory's public releases, computed once per closed period.
//!
//! Nothing here knows HTTP or Telegram: no status codes, no chat ids, no JSON.

pub mod alerts;
mod cases;
pub mod categories;
pub mod cities;
pub mod city;
mod error;
pub mod gtfs_rt;
pub mod indicators;
pub mod internal;
mod live;
pub mod map;
pub mod metrics;
pub mod observatory;
pub mod officials;
pub mod offline_bundle;
pub mod photos;
pub mod places;
pub mod positions;
pub mod questionnaires;
pub mod ratings;
pub mod releases;
pub mod reports;
pub mod riders;
pub mod safety;
pub mod service;
pub mod share;
pub mod trips;
/// Local times as every door takes them (the phone's router too, hence in the planner).
pub use planner::when;
mod words;

pub use error::Error;
pub use live::{Departures, LiveInfo, LiveVehicle, VehicleFilter};
pub use metrics::{Audience, Metrics};
pub use observatory::{Obs, ObservatorySettings, TripCounters};
pub use planner::ServiceAlert;
pub use words::word;

// What the doors need of the lower crates' types and pure functions, re-exported so that `server`
// and `bot` depend on `app` alone (`tests/it/dependencies.rs` forbids their edges to `store`,
// `planner`, `raptor`, `timetable`, `observatory`, `streets` and `gtfs`).
/// The observatory's public vocabulary: released tables, derived indicators, questionnaires.
pub use ::observatory::{publish, questionnaire, release};
/// The trip planner's requests, answers and the network's lookups.
pub use planner::{
    Departure, Endpoint, Itinerary, ItineraryLeg, LineString, Plan, PlanError, PlanRequest, clock,
    fold, parse_endpoint, plan_notes, render_itinerary, render_option, route_stops, search_routes,
    search_stops, stop_display_name, stop_route_names, stop_routes, wheelchair_param,
};
/// The wheelchair setting of a search.
pub use raptor::Wheelchair;
/// The stored records and vocabularies the doors read and write.
pub use store::{
    AgeBand, Channel, Gender, NewReport, Official, Profile, Purpose, Report, ReportEvent,
    ReportFilter, Role, Status, StoreError, Word, new_handle,
};
/// The timetable as the network's pages read it.
pub use timetable::{
    Accessibility, Coord, Day, FeedIdx, PatternIdx, RouteIdx, Secs, StopIdx, Timetable,
    text::parse_duration,
};

use arc_swap::ArcSwap;
use raptor::Scratch;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::SystemTime;

/// What the app answers from: one timetable and when it was loaded.
#[derive(Debug)]
pub struct Dataset {
    /// The timetable.
    pub timetable: Arc<Timetable>,
    /// Its city's streets, when an OpenStreetMap extract is configured (walks follow them,
    /// the map draws them, places are found on them).
    pub streets: Option<Arc<streets::Streets>>,
    /// Its place lists (named places, streets, corners), when the feeds name one.
    pub places: Option<Arc<streets::Directory>>,
    /// When it was loaded.
    pub loaded_at: SystemTime,
}

/// Builds a fresh dataset (reads the feeds again); used by reloads.
pub type Loader = Arc<dyn Fn() -> Result<Dataset, String> + Send + Sync>;

/// The application's parameters (what both front doors share).
#[derive(Clone)]
pub struct Settings {
    /// Planner parameters.
    pub planner: planner::PlannerConfig,
    /// Default routing options (queries may narrow them).
    pub routing: raptor::Options,
    /// How to reload; `None` disables reloads.
    pub loader: Option<Loader>,
    /// Plans computed at once; more wait.
    pub max_concurrent_plans: usize,
    /// The observatory (store, settings, trip writer); `None`: planner only.
    pub observatory: Option<Arc<Obs>>,
    /// Safer trips from the observatory's releases; `None`: switched off.
    pub safety: Option<safety::SafetySettings>,
    /// Operators' pushed positions.
    pub operators: positions::OperatorSettings,
    /// The cities served (`[[cities]]`, or one per feed).
    pub cities: Vec<config::CityConfig>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("planner", &self.planner)
            .field("routing", &self.routing)
            .field("loader", &self.loader.is_some())
            .field("max_concurrent_plans", &self.max_concurrent_plans)
            .field("observatory", &self.observatory.is_some())
            .field("safety", &self.safety)
            .field("operators", &self.operators)
            .field("cities", &self.cities)
            .finish()
    }
}

impl Settings {
    /// The application's parameters from the configuration (each setting is declared once, in
    /// `config`; this is its only mapping). The observatory is started apart
    /// ([`Obs::start`] with [`ObservatorySettings::from_config`]).
    pub fn from_config(cfg: &config::Config, loader: Option<Loader>) -> Settings {
        Settings {
            planner: cfg.planner.clone(),
            routing: raptor::Options {
                max_transfers: cfg.routing.max_transfers,
                transfer_slack: cfg.routing.transfer_slack_s,
                max_walk_leg_m: cfg.routing.max_walk_leg_m,
                max_walk_total_m: cfg.routing.max_walk_total_m,
                ..raptor::Options::default()
            },
            loader,
            max_concurrent_plans: cfg.server.max_concurrent_plans,
            observatory: None,
            safety: cfg.safety.enabled.then(|| safety::SafetySettings {
                families: cfg.safety.families.clone(),
                safer: planner::safety::SaferConfig {
                    weight: cfg.safety.weight,
                    hot: cfg.safety.hot,
                    search: cfg.safety.search,
                },
            }),
            operators: positions::OperatorSettings::from_config(&cfg.operators),
            cities: cfg.cities(),
        }
    }
}

impl Default for Settings {
    /// The configuration's defaults.
    fn default() -> Self {
        Settings::from_config(&config::Config::default(), None)
    }
}

/// The application: what is served, and how plans are computed.
#[derive(Debug)]
pub struct App {
    data: ArcSwap<Dataset>,
    settings: Settings,
    plans: tokio::sync::Semaphore,
    /// Place searches running at once (on the blocking pool, beside plans): one, so that
    /// searches never take the threads plans need.
    searches: tokio::sync::Semaphore,
    /// The risk surface of the latest release, for the timetable being served.
    risk: ArcSwap<Option<Arc<planner::safety::RiskSurface>>>,
    metrics: Metrics,
    /// What is live (GTFS-Realtime), for the timetable it was applied to.
    live: ArcSwap<live::LiveState>,
    /// The operators' vehicles (one writer at a time; readers read `live`).
    fleet: std::sync::Mutex<positions::FleetState>,
    /// Whose turn it is to publish the fleet (batches taken meanwhile ride along).
    publishing: tokio::sync::Mutex<()>,
    /// This process's name among those sharing a database (random).
    origin: String,
    /// The officials' alerts last served.
    alerts_seen: std::sync::Mutex<alerts::AlertsState>,
    /// GTFS-Realtime out, built once per generation.
    gtfs_rt_snapshots: gtfs_rt::Snapshots,
    /// The phone's timetable bundles of the dataset served.
    bundles: offline_bundle::Bundles,
    /// The cities as read against the dataset they were read for.
    cities: std::sync::Mutex<Option<CitiesRead>>,
}

/// The cities as read against a dataset (held weakly: a reload's old one is freed).
type CitiesRead = (std::sync::Weak<Dataset>, Arc<Vec<cities::CityView>>);

/// One blocking-pool thread's working memory for the dataset it was made for: routing scratch
/// and, with streets, the street search (the `Arc` kept here also keeps that dataset's
/// address from being reused).
struct ThreadScratch {
    dataset: Arc<Dataset>,
    raptor: Scratch,
    streets: Option<planner::StreetScratch>,
}

thread_local! {
    static SCRATCH: RefCell<Option<ThreadScratch>> = const { RefCell::new(None) };
}

fn with_scratch<T>(
    ds: &Arc<Dataset>,
    f: impl FnOnce(&mut Scratch, Option<planner::OnStreets<'_>>) -> T,
) -> T {
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|s| !Arc::ptr_eq(&s.dataset, ds)) {
            *slot = Some(ThreadScratch {
                dataset: Arc::clone(ds),
                raptor: Scratch::new(&ds.timetable),
                streets: ds.streets.as_deref().map(planner::StreetScratch::new),
            });
        }
        let sc = slot.as_mut().expect("just set");
        let on = ds
            .streets
            .as_deref()
            .zip(sc.streets.as_mut())
            .map(|(streets, scratch)| planner::OnStreets { streets, scratch });
        f(&mut sc.raptor, on)
    })
}

impl App {
    /// An app serving `dataset`.
    pub fn new(dataset: Dataset, settings: Settings) -> Arc<App> {
        Arc::new(App {
            data: ArcSwap::from_pointee(dataset),
            plans: tokio::sync::Semaphore::new(settings.max_concurrent_plans.max(1)),
            searches: tokio::sync::Semaphore::new(1),
            risk: ArcSwap::from_pointee(None),
            settings,
            metrics: Metrics::default(),
            live: ArcSwap::from_pointee(live::LiveState::default()),
            fleet: positions::fleet_state(),
            publishing: tokio::sync::Mutex::new(()),
            alerts_seen: std::sync::Mutex::default(),
            gtfs_rt_snapshots: gtfs_rt::Snapshots::default(),
            bundles: Default::default(),
            cities: std::sync::Mutex::new(None),
            origin: format!("{:016x}", rand::random::<u64>()),
        })
    }

    /// Replaces the dataset atomically; plans in flight keep the old one.
    pub fn swap(&self, dataset: Dataset) {
        self.data.store(Arc::new(dataset));
    }

    /// The current dataset.
    pub fn dataset(&self) -> Arc<Dataset> {
        self.data.load_full()
    }

    /// This process's name among those sharing a database.
    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// The app's parameters.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The observatory, if enabled.
    pub fn observatory(&self) -> Option<&Arc<Obs>> {
        self.settings.observatory.as_ref()
    }

    /// The observatory, or the error that says it is off.
    pub fn require_observatory(&self, lang: i18n::Lang) -> Result<&Arc<Obs>, Error> {
        self.observatory()
            .ok_or_else(|| Error::NotFound(i18n::t(lang, "obs.unavailable", &[])))
    }

    /// The risk surface in use, if any.
    pub fn risk(&self) -> Option<Arc<planner::safety::RiskSurface>> {
        self.risk.load_full().as_ref().clone()
    }

    /// Replaces the risk surface (plans in flight keep the one they started with).
    pub fn set_risk(&self, surface: Option<Arc<planner::safety::RiskSurface>>) {
        self.risk.store(Arc::new(surface));
    }

    /// The app's metrics (both front doors record into them).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The Prometheus text for `who`, with the figures kept outside the recorders brought up
    /// to date: the feed's load time, and (for the operator) the trip writer's counters.
    pub fn render_metrics(&self, who: Audience) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        let loaded = self
            .dataset()
            .loaded_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.metrics
            .gauge("paradero_feed_loaded_timestamp_seconds", loaded);
        // Each feed's days left (its feed_info end date, else its last day of service), and
        // whether that is within the warning (an alert rule: `paradero_feed_expiring == 1`).
        let ds = self.dataset();
        let today = planner::clock::now(&ds.timetable).0;
        for v in cities::validity(&ds.timetable, today) {
            let feed = [("feed", v.feed.clone())];
            if let Some(d) = v.days_left {
                self.metrics
                    .gauge_labelled("paradero_feed_days_left", &feed, d as f64);
            }
            self.metrics.gauge_labelled(
                "paradero_feed_expiring",
                &feed,
                if v.expiring() { 1.0 } else { 0.0 },
            );
        }
        if let Some(o) = self.observatory() {
            let c = o.trip_counters();
            for (name, v) in [
                ("paradero_observatory_trips_written_total", &c.written),
                ("paradero_observatory_trips_dropped_total", &c.dropped),
                (
                    "paradero_observatory_trip_write_failures_total",
                    &c.failed_writes,
                ),
            ] {
                self.metrics.count_absolute(name, v.load(Relaxed));
            }
        }
        self.metrics.render(who)
    }

    /// Places matching `query` ([`places::find`]), searched off the async workers, one search
    /// at a time: a burst of searches queues behind itself, never in front of plans.
    pub async fn find_places(
        &self,
        ds: Arc<Dataset>,
        query: String,
        limit: usize,
    ) -> Result<Vec<places::Place>, Error> {
        let _turn = self
            .searches
            .acquire()
            .await
            .map_err(|_| Error::Unavailable {
                detail: "the server is shutting down".into(),
                retry_after_s: None,
            })?;
        tokio::task::spawn_blocking(move || places::find(&ds, &query, limit))
            .await
            .map_err(|_| Error::Internal("the search stopped unexpectedly".into()))
    }

    /// Plans on the blocking pool with a per-thread scratch, at most `max_concurrent_plans`
    /// at once (the others wait), and records the routing time. Both front doors plan
    /// through here.
    pub async fn plan(
        &self,
        ds: Arc<Dataset>,
        mut req: planner::PlanRequest,
    ) -> Result<planner::Plan, Error> {
        let cfg = self.settings.planner.clone();
        // Live buses are boarded when predicted, canceled runs never (real time read as of
        // now; runs of other days are the timetable's).
        req.options.live = self.live_view(&ds, now_unix());
        let lang = req.lang;
        self.check_city(&ds, &req, None)?;
        let _permit = self.plans.acquire().await.map_err(|_| Error::Unavailable {
            detail: "the server is shutting down".into(),
            retry_after_s: None,
        })?;
        let started = std::time::Instant::now();
        let risk = self.risk();
        let result = tokio::task::spawn_blocking(move || {
            with_scratch(&ds, |sc, on| {
                planner::plan_full(&ds.timetable, on, risk.as_deref(), sc, &cfg, &req)
            })
        })
        .await
        .map_err(|_| Error::Internal("the planner stopped unexpectedly".into()))?;
        self.metrics.observe(
            "paradero_routing_duration_seconds",
            &[],
            started.elapsed().as_secs_f64(),
        );
        result.map_err(|e| Error::plan(e, lang))
    }

    /// The cities served, read against `ds` (cached for the dataset being served).
    pub fn cities_of(&self, ds: &Arc<Dataset>) -> Arc<Vec<cities::CityView>> {
        let mut cache = self.cities.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((weak, views)) = cache.as_ref()
            && weak.upgrade().is_some_and(|d| Arc::ptr_eq(&d, ds))
        {
            return Arc::clone(views);
        }
        let views = Arc::new(cities::views(&self.settings.cities, ds));
        *cache = Some((Arc::downgrade(ds), Arc::clone(&views)));
        views
    }

    /// The city `id`'s index among [`App::cities_of`], or a not-found error naming those
    /// served.
    pub fn city_index(
        &self,
        ds: &Arc<Dataset>,
        id: &str,
        lang: i18n::Lang,
    ) -> Result<usize, Error> {
        cities::find(&self.cities_of(ds), id, lang).map(|(i, _)| i)
    }

    /// Refuses a plan from one city to another, or outside the city `within` the rider chose
    /// (an unknown city is a not-found error). [`App::plan`] checks the first itself.
    pub fn check_city(
        &self,
        ds: &Arc<Dataset>,
        req: &planner::PlanRequest,
        within: Option<&str>,
    ) -> Result<(), Error> {
        let views = self.cities_of(ds);
        let within = match within {
            Some(id) => Some(cities::find(&views, id, req.lang)?.0),
            None => None,
        };
        cities::check_plan(
            &views,
            &ds.timetable,
            req,
            within,
            self.settings.planner.max_access_m,
        )
        .map_err(|e| Error::plan(e, req.lang))
    }

    /// Plans as [`App::plan`] does and records the trip for the observatory (off the request
    /// path, as zones and the hour; a profile only if the asker consented). Requests that
    /// could not be read (a bad coordinate, an unknown stop) are not recorded; impossible
    /// ones (no service, outside the area) are: they are unmet demand. Both front doors plan
    /// riders' trips through here.
    pub async fn plan_trip(
        &self,
        ds: Arc<Dataset>,
        req: planner::PlanRequest,
        asker: trips::Asker,
    ) -> Result<planner::Plan, Error> {
        let tt = Arc::clone(&ds.timetable);
        let result = self.plan(ds, req.clone()).await;
        let recorded = match &result {
            Ok(_) => true,
            Err(Error::Plan { error, .. }) => !matches!(
                error,
                planner::PlanError::BadCoordinate(_) | planner::PlanError::UnknownStop(_)
            ),
            Err(_) => false,
        };
        if let Some(o) = self.observatory().filter(|_| recorded) {
            let plan = result.as_ref().ok();
            o.record(trips::trip_record(&tt, &o.settings, &req, plan, asker));
        }
        result
    }

    /// Files a report as every door does: checked against the network being served and the
    /// categories (nothing stored on a refusal), then stored with its idempotency key. With
    /// the key of an earlier identical submission, answers that report again.
    pub async fn file_report(
        &self,
        input: &reports::ReportInput<'_>,
        idempotency_key: Option<&str>,
        lang: i18n::Lang,
    ) -> Result<reports::Filed, Error> {
        let o = self.require_observatory(lang)?;
        let ds = self.dataset();
        let new = reports::validate(&ds.timetable, o, input, now_unix(), lang)?;
        reports::file(o, &new, idempotency_key, lang).await
    }

    /// Builds a new dataset aside with the configured loader and swaps it in; the old one
    /// keeps serving meanwhile and on failure.
    pub async fn reload(&self) -> Result<Arc<Dataset>, String> {
        let loader = self
            .settings
            .loader
            .clone()
            .ok_or("reloading is not configured")?;
        let ds = tokio::task::spawn_blocking(move || loader())
            .await
            .map_err(|e| format!("the reload stopped unexpectedly: {e}"))??;
        self.swap(ds);
        tracing::info!(
            stops = self.dataset().timetable.stops().len(),
            "timetable reloaded"
        );
        // The surface knows the old timetable's stops.
        self.refresh_risk().await;
        Ok(self.dataset())
    }

    /// Starts the job that publishes the observatory's releases (at start, then hourly).
    pub fn spawn_release_job(self: &Arc<App>) {
        if let Some(o) = self.observatory() {
            releases::spawn_job(Arc::clone(o), Arc::downgrade(self));
        }
    }
}

/// Now, Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
