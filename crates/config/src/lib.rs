//! paradero's configuration.
//!
//! Read from a TOML file (by default `config/paradero.toml`, or `PARADERO_CONFIG`), then every
//! field may be overridden by an environment variable named after its path:
//! `PARADERO_<SECTION>__<FIELD>` (double underscore between levels), e.g.
//! `PARADERO_WALKING__SPEED_M_S=1.0`; top-level fields as `PARADERO_<FIELD>`, e.g.
//! `PARADERO_FEEDS='[{ id = "trujillo", path = "/data/trujillo.zip" }]'`. Values are read as
//! TOML (numbers, booleans, arrays) and fall back to plain strings.
//!
//! Relative paths inside the file are relative to the file's folder; relative paths from the
//! environment are relative to the working directory.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[macro_use]
mod settings;
pub use settings::{Declared, Range};

/// A feed to load.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// Namespace for the feed's ids (`arequipa` → `arequipa:5555040128`).
    pub id: String,
    /// A GTFS zip file or folder.
    pub path: PathBuf,
    /// The city's OpenStreetMap extract (`.osm.pbf`): walks then follow the streets, the
    /// riders' page draws them and places are found by street, corner and name. Without it,
    /// walks are straight lines × `walking.detour_factor`.
    #[serde(default)]
    pub osm: Option<PathBuf>,
    /// The city's place list (JSON: `pois`, `streets`, `streetJunctions`, as the Arequipa Bus
    /// app's search data): riders find named places, streets and corners by name, a tapped
    /// point is named, and stops the feed leaves unnamed are named from what is around them.
    #[serde(default)]
    pub places: Option<PathBuf>,
    /// Whether the feed's times are a timetable riders can rely on (`"timetable"`, the
    /// default) or estimates (`"estimated"`: a generator's headways, as the Arequipa and
    /// Trujillo feeds, whose cities publish no timetable). Estimated times are answered with
    /// `approximate: true` and said as "hacia las 12:14".
    #[serde(default)]
    pub times: FeedTimes,
    /// The feed's GTFS-Realtime, polled: `{ trip_updates = "…", poll_s = 30, max_age_s = 300 }`.
    #[serde(default)]
    pub realtime: Option<FeedRealtime>,
}

/// A city the server serves: its own feeds, map and languages. Riders pick one (the page's
/// `/{id}`, the bot's `/ciudad`); every search, plan and departure is within it, and a plan
/// from one city to another is refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CityConfig {
    /// The city's address (`trujillo` → `/trujillo`): lower-case letters, digits and `-`.
    pub id: String,
    /// Its name as riders read it ("Trujillo").
    pub name: String,
    /// The ids of its `[[feeds]]` (each feed belongs to one city).
    pub feeds: Vec<String>,
    /// The map's home view, `[west, south, east, north]` in degrees; by default the box of
    /// its stops.
    #[serde(default)]
    pub home: Option<[f64; 4]>,
    /// The languages offered to its riders, first the default (`es`, `en`, `qu`).
    #[serde(default = "default_city_languages")]
    pub languages: Vec<String>,
}

impl CityConfig {
    /// A feed served as a city of its own, named after it (`arequipa` → "Arequipa").
    pub fn of_feed(id: &str) -> CityConfig {
        CityConfig {
            id: id.to_string(),
            name: capitalized(id),
            feeds: vec![id.to_string()],
            home: None,
            languages: default_city_languages(),
        }
    }
}

/// A feed id as a city's name: `arequipa` → `Arequipa`.
fn capitalized(id: &str) -> String {
    let mut c = id.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn default_city_languages() -> Vec<String> {
    vec!["es".into(), "en".into(), "qu".into()]
}

impl Config {
    /// The cities served: those configured, or one per feed (named after it) when none is.
    pub fn cities(&self) -> Vec<CityConfig> {
        if !self.cities.is_empty() {
            return self.cities.clone();
        }
        self.feeds
            .iter()
            .map(|f| CityConfig::of_feed(&f.id))
            .collect()
    }
}

/// Where a feed's GTFS-Realtime is read, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedRealtime {
    /// TripUpdates: an `http(s)://` URL, or a file (`file://…` or a path, relative to the
    /// configuration file), so a recorded feed can be replayed.
    #[serde(default)]
    pub trip_updates: Option<String>,
    /// VehiclePositions, as `trip_updates`: where the buses are.
    #[serde(default)]
    pub vehicle_positions: Option<String>,
    /// Service alerts (strikes, detours, closed stops), as `trip_updates`.
    #[serde(default)]
    pub alerts: Option<String>,
    /// A vehicle not heard from for this long leaves the map (10–3600 s).
    #[serde(default = "default_vehicle_timeout_s")]
    pub vehicle_timeout_s: u64,
    /// Seconds between polls (1–3600).
    #[serde(default = "default_poll_s")]
    pub poll_s: u64,
    /// A message older than this (by its header, against the clock) is not used, and what
    /// was live stops being so this long after its message; 0: no age check (replaying a
    /// recording at its own date: its vehicles are then shown as seen when read). 0–86400.
    #[serde(default = "default_max_age_s")]
    pub max_age_s: u64,
}

fn default_poll_s() -> u64 {
    30
}

fn default_max_age_s() -> u64 {
    300
}

fn default_vehicle_timeout_s() -> u64 {
    120
}

/// What a feed's times are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedTimes {
    /// A published timetable.
    #[default]
    Timetable,
    /// Estimates.
    Estimated,
}

settings! {
    /// Walking: footpaths between stops, and walks to and from stops.
    pub struct WalkingConfig {
        /// Walking speed in metres per second (1.2 m/s ≈ 4.3 km/h).
        speed_m_s: f64 = 1.2, in 0.1..=10.0;
        /// Walking distance ÷ straight-line distance, for streets that do not go straight.
        detour_factor: f64 = 1.3, in 1.0..=3.0;
        /// Stops closer than this (straight line, metres) are linked by a footpath; with an
        /// OpenStreetMap extract, stops whose walk along the streets is at most this × the detour
        /// factor.
        footpath_radius_m: f64 = 150.0, in 0.0..=2000.0;
        /// With an extract: a stop or a point farther than this from every walkable street does
        /// not snap to the streets and keeps straight-line walks, metres.
        snap_m: f64 = 100.0, in 1.0..=1000.0;
        /// Largest OpenStreetMap extract read, MiB.
        max_osm_mib: u64 = 2048, in 1..=65536;
    }
}

settings! {
    /// Routing defaults (each can be changed per query).
    pub struct RoutingConfig {
        /// Most changes of vehicle (rides ≤ max_transfers + 1).
        max_transfers: u8 = 7, in 0..=15;
        /// Minimum seconds between alighting and boarding.
        transfer_slack_s: u32 = 60, in 0..=3600;
        /// Longest single walk between stops, metres.
        max_walk_leg_m: u32 = 2_000, in 0..=10_000;
        /// Longest total walk of a journey, metres.
        max_walk_total_m: u32 = 5_000, in 0..=50_000;
    }
}

/// Planning: from places to stops, and what itineraries report (defined by the planner).
pub use planner::PlannerConfig;

settings! {
    /// The HTTP server.
    pub struct ServerConfig {
        /// Address and port to listen on.
        listen: String = "127.0.0.1:8080".into();
        /// Requests running longer are answered 408, seconds.
        request_timeout_s: u64 = 10, in 1..=600;
        /// Largest request body, bytes.
        max_body_bytes: usize = 65_536, in 1024..=67_108_864;
        /// Token for `POST /v1/admin/reload`; unset disables it. Set it through the environment
        /// (`PARADERO_SERVER__ADMIN_TOKEN`) rather than in a file under version control.
        admin_token: Option<String> = None;
        /// Origins allowed to call the API from a browser (`["*"]` for any); empty: none.
        cors_origins: Vec<String> = Vec::new();
        /// Plans computed at once; more wait.
        max_concurrent_plans: usize = 64, in 1..=100_000;
        /// Sustained requests per minute per client address; 0 turns limiting off.
        rate_limit_per_minute: u32 = 600, in 0..=10_000_000;
        /// Requests a client may make at once above the sustained rate.
        rate_limit_burst: u32 = 60, in 0..=1_000_000;
        /// Identify clients by the last `X-Forwarded-For` address (only behind your own proxy).
        trust_forwarded_for: bool = false;
        /// A client must send a request's headers within this many seconds of starting it (or
        /// of its previous answer, on a kept-alive connection), else the connection is closed.
        header_read_timeout_s: u64 = 10, in 1..=600;
        /// A connection that neither sends nor receives anything for this long is closed.
        keep_alive_idle_s: u64 = 30, in 1..=3600;
        /// Most connections open at once; further clients wait in the listen queue.
        max_connections: usize = 1024, in 1..=1_000_000;
        /// Most connections open at once from one client (IPv4 address, IPv6 /64); 0: no cap.
        /// Off behind a reverse proxy (`trust_forwarded_for`), where the proxy must cap.
        max_connections_per_client: usize = 128, in 0..=1_000_000;
        /// On SIGTERM, requests in flight get this long to finish before the process exits.
        shutdown_grace_s: u64 = 10, in 0..=600;
        /// Lookups of a report by its secret reference, per client per minute (and a burst).
        lookups_per_minute: u32 = 30, in 1..=100_000;
        /// See `lookups_per_minute`.
        lookup_burst: u32 = 10, in 0..=100_000;
    }
}

settings! {
    /// Open311 GeoReport v2: who answers the reports, for civic tools.
    pub struct Open311Config {
        /// The agency responsible for the reports (`agency_responsible` of every request).
        agency: String = "Municipalidad Provincial de Arequipa".into();
        /// How to reach it (`contact` of `discovery.json`).
        contact: String = "Municipalidad Provincial de Arequipa, Gerencia de Transporte Urbano".into();
    }
}

settings! {
    /// Bus operators pushing their fleet's GPS (`POST /v1/realtime/positions`).
    pub struct OperatorsConfig {
        /// Positions one request may carry; a larger batch is refused whole (413).
        max_batch: usize = 1000, in 1..=10_000;
        /// A pushed vehicle not heard from for this long leaves the map and its predictions.
        vehicle_timeout_s: u64 = 120, in 10..=3600;
        /// Days the raw positions are kept (a vehicle's code and times say a driver's shift);
        /// service delivered is kept as hourly sums without codes.
        keep_positions_days: u64 = 7, in 1..=90;
    }
}

settings! {
    /// Safer trips: the planner weighs walking and waiting by the incidents the observatory's
    /// public releases show there and then (never raw reports).
    pub struct SafetyConfig {
        /// Officials switch the feature off per deployment.
        enabled: bool = true;
        /// Incident families weighed: of `acoso`, `robo`, `agresion`, `otro`.
        families: Vec<String> = ["acoso", "robo", "agresion"].map(String::from).to_vec();
        /// Seconds of travel a second of walking or waiting at twice the city's risk is worth.
        weight: f64 = 1.0, in 0.0..=100.0;
        /// Stops in zones this many times the city's risk or more are avoided by the safer search.
        hot: f64 = 2.0, in 1.0..=100.0;
        /// How the safer option is found: `second_search` (a second RAPTOR search avoiding hot
        /// stops; the default) or `pareto` (McRAPTOR over arrival and exposure: finds cheaper
        /// options more often, at several times the cost of a search).
        search: planner::safety::SaferSearch = planner::safety::SaferSearch::AvoidHotStops;
        /// A shared trip's link shows it until this many hours after its arrival.
        share_hours_after_arrival: f64 = 1.0, in 0.0..=48.0;
    }
}

settings! {
    /// Limits on what a feed may make the loader read, so that a hostile or broken archive (a
    /// zip bomb, a file declaring 4 GiB) is a clear error instead of a process out of memory.
    pub struct GtfsConfig {
        /// Largest uncompressed file of a feed, MiB.
        max_file_mib: u64 = 3 * 1024, in 1..=1_048_576;
        /// Largest uncompressed feed (all its files together), MiB.
        max_feed_mib: u64 = 6 * 1024, in 1..=1_048_576;
        /// Largest ratio of uncompressed to compressed bytes of a file in a zip.
        max_compression_ratio: u64 = 200, in 2..=1_000_000;
    }
}

/// Where the observatory's records live.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite://path.db` (relative to this file when set in it; created on first start) or
    /// `postgres://user@host/db`.
    pub url: String,
    /// The folder a relative SQLite path is relative to: the configuration file's, when the
    /// URL came from the file; the working directory otherwise.
    #[serde(skip)]
    pub base: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: "sqlite://data/paradero.db".into(),
            base: PathBuf::new(),
        }
    }
}

impl StoreConfig {
    /// The SQLite file, when the store is one: the path after `sqlite:` or `sqlite://`,
    /// joined to [`StoreConfig::base`] when relative. It is a path, never parsed as a URL
    /// (`sqlite://config/../data/x.db` would give the URL parser a host `config`).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.url.strip_prefix("sqlite:")?;
        let path = rest.strip_prefix("//").unwrap_or(rest);
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Some(self.base.join(path))
    }

    /// Whether this is the throwaway in-memory SQLite database.
    pub fn is_memory(&self) -> bool {
        self.url.starts_with("sqlite:") && self.url.contains(":memory:")
    }
}

/// One incident category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryConfig {
    /// Stable key (its label is `category.<key>` in the catalog).
    pub key: String,
    /// Counted as sexual harassment.
    #[serde(default)]
    pub harassment: bool,
}

settings! {
    /// The privacy-loss budget of the public statistics (differential privacy, zCDP).
    pub struct PrivacyConfig {
        /// ρ per person per calendar month, every public table together.
        rho_per_month: f64 = observatory::privacy::Budget::default().rho_per_month, in 1e-4..=10.0;
        /// δ at which ε is reported.
        delta: f64 = observatory::privacy::Budget::default().delta, in 1e-15..=1e-3;
        /// Share of ρ spent on the weekly releases.
        week_share: f64 = observatory::privacy::Budget::default().week_share, in 0.0..=0.99;
        /// Shares of ρ for trips, reports and surveys (summing to 1).
        trips_share: f64 = observatory::privacy::Budget::default().kind_shares[0], in 0.0..=1.0;
        /// See `trips_share`.
        reports_share: f64 = observatory::privacy::Budget::default().kind_shares[1], in 0.0..=1.0;
        /// See `trips_share`.
        surveys_share: f64 = observatory::privacy::Budget::default().kind_shares[2], in 0.0..=1.0;
        /// Records one person may contribute per month to the statistics.
        max_trips_per_person: u32 = observatory::privacy::Budget::default().bounds.trips, in 1..=1000;
        /// See `max_trips_per_person`.
        max_reports_per_person: u32 = observatory::privacy::Budget::default().bounds.reports, in 1..=1000;
        /// See `max_trips_per_person`.
        max_surveys_per_person: u32 = observatory::privacy::Budget::default().bounds.surveys, in 1..=1000;
    }
}

impl PrivacyConfig {
    /// The budget it describes.
    pub fn budget(&self) -> observatory::privacy::Budget {
        observatory::privacy::Budget {
            rho_per_month: self.rho_per_month,
            delta: self.delta,
            week_share: self.week_share,
            kind_shares: [self.trips_share, self.reports_share, self.surveys_share],
            bounds: observatory::release::Bounds {
                trips: self.max_trips_per_person,
                reports: self.max_reports_per_person,
                surveys: self.max_surveys_per_person,
            },
        }
    }
}

settings! {
    /// The observatory.
    pub struct ObservatoryConfig {
        /// Record trips, take reports and surveys; off: the planner alone.
        enabled: bool = true;
        /// The public statistics' privacy-loss budget.
        privacy: PrivacyConfig = PrivacyConfig::default();
        /// Side of the grid cells trips and public maps use instead of coordinates, metres.
        zone_cell_m: f64 = 500.0, in 50.0..=10_000.0;
        /// Raw trip records older than this are deleted (aggregates are kept), days.
        retention_days: u32 = 365, in 1..=36_500;
        /// Longest description of a report, characters.
        max_description_chars: usize = 1000, in 1..=100_000;
        /// Incident categories.
        categories: Vec<CategoryConfig> = observatory::DEFAULT_CATEGORIES .iter() .map(|(k, h)| CategoryConfig { key: (*k).to_string(), harassment: *h, }) .collect();
        /// Photos on reports.
        photos: PhotosConfig = PhotosConfig::default();
        /// Road actors a report may name as involved or victim (keys; labels in the catalog as
        /// `actor.<key>`).
        road_actors: Vec<String> = observatory::DEFAULT_ROAD_ACTORS .iter() .map(|a| (*a).to_string()) .collect();
    }
}

settings! {
    /// Photos on reports: limits, and where their bytes are kept.
    pub struct PhotosConfig {
        /// Largest upload, MB (1-50).
        max_mb: usize = 8, in 1..=50;
        /// Photos per report (0 turns photos off).
        max_per_report: usize = 3, in 0..=20;
        /// Longest side kept, pixels (larger photos are scaled down), 320-4096.
        max_side: u32 = 1600, in 320..=4096;
        /// `files` (one file per photo in `dir`) or `database` (beside their metadata, for
        /// replicas that share only the database). Unset: files beside a SQLite database, the
        /// database with PostgreSQL.
        storage: Option<String> = None;
        /// Folder of photo files; unset: `photos/` beside the SQLite file (`data/photos`).
        dir: Option<std::path::PathBuf> = None;
    }
}

settings! {
    /// The Telegram chatbot.
    pub struct BotConfig {
        /// Bot token from @BotFather; unset: no bot. `TELOXIDE_TOKEN` is read too. Set it
        /// through the environment, not in a file under version control.
        token: Option<String> = None;
        /// Telegram Bot API base URL (a local Bot API server, or a fake one in tests).
        api_url: Option<String> = None;
        /// Also start the bot inside `paradero serve` when a token is configured.
        with_server: bool = true;
        /// Public HTTPS URL Telegram posts updates to (through `paradero serve`'s listener);
        /// unset: long polling.
        webhook_url: Option<String> = None;
        /// Secret Telegram sends with every webhook call (`X-Telegram-Bot-Api-Secret-Token`);
        /// required with `webhook_url`.
        webhook_secret: Option<String> = None;
        /// Seconds a long poll waits for updates.
        poll_timeout_s: u32 = 25, in 0..=50;
        /// Milliseconds between readings of the status-change outbox.
        notify_every_ms: u64 = 2_000, in 50..=3_600_000;
        /// Plans per chat per minute.
        plans_per_minute: u32 = 10, in 1..=10_000;
        /// Reports per chat per hour.
        reports_per_hour: u32 = 6, in 1..=10_000;
        /// The riders' page's public address (`https://paradero.example.org`), for the bot's
        /// "share my trip" links; unset: the bot offers no such link.
        web_url: Option<String> = None;
    }
}

impl BotConfig {
    /// The token: configured, else `TELOXIDE_TOKEN`.
    pub fn token(&self) -> Option<String> {
        self.token
            .clone()
            .or_else(|| std::env::var("TELOXIDE_TOKEN").ok())
            .filter(|t| !t.trim().is_empty())
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Feeds loaded into one timetable (they must share a timezone).
    pub feeds: Vec<FeedConfig>,
    /// The cities those feeds serve (by default one per feed).
    pub cities: Vec<CityConfig>,
    /// Walking parameters.
    pub walking: WalkingConfig,
    /// Routing defaults.
    pub routing: RoutingConfig,
    /// Planning parameters.
    pub planner: PlannerConfig,
    /// HTTP server.
    pub server: ServerConfig,
    /// Database.
    pub store: StoreConfig,
    /// Observatory.
    pub observatory: ObservatoryConfig,
    /// Telegram chatbot.
    pub bot: BotConfig,
    /// Feed loading limits.
    pub gtfs: GtfsConfig,
    /// Safer trips.
    pub safety: SafetyConfig,
    /// Open311 GeoReport v2.
    pub open311: Open311Config,
    /// Bus operators' pushed positions.
    pub operators: OperatorsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            feeds: vec![FeedConfig {
                id: "arequipa".into(),
                path: "feeds/arequipa.zip".into(),
                osm: None,
                places: None,
                times: FeedTimes::Timetable,
                realtime: None,
            }],
            cities: Vec::new(),
            walking: WalkingConfig::default(),
            routing: RoutingConfig::default(),
            planner: PlannerConfig::default(),
            server: ServerConfig::default(),
            store: StoreConfig::default(),
            observatory: ObservatoryConfig::default(),
            bot: BotConfig::default(),
            gtfs: GtfsConfig::default(),
            safety: SafetyConfig::default(),
            open311: Open311Config::default(),
            operators: OperatorsConfig::default(),
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file `{path}`: {cause}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause; part of the message, so not a `source()` (a chain prints it once).
        cause: std::io::Error,
    },
    /// Not valid TOML, or a field of the wrong type or name.
    #[error("configuration `{origin}`: {message}")]
    Invalid {
        /// File or environment variable.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// Default location, relative to the working directory.
pub const DEFAULT_PATH: &str = "config/paradero.toml";

/// Environment variable naming the configuration file.
pub const PATH_VAR: &str = "PARADERO_CONFIG";

impl Config {
    /// Loads `path`, else `$PARADERO_CONFIG`, else `config/paradero.toml` if it exists, else the
    /// built-in defaults; then applies `PARADERO_*` overrides from the process environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let env_path = std::env::var_os(PATH_VAR).map(PathBuf::from);
        let path = path
            .map(Path::to_path_buf)
            .or(env_path)
            .or_else(|| Some(PathBuf::from(DEFAULT_PATH)).filter(|p| p.is_file()));
        let text = match &path {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|cause| ConfigError::Io {
                path: p.clone(),
                cause,
            })?),
            None => None,
        };
        Config::from_parts(text.as_deref(), path.as_deref(), std::env::vars())
    }

    /// Builds the configuration from file text (if any), the file's path (to resolve relative
    /// paths) and environment variables.
    pub fn from_parts(
        text: Option<&str>,
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let origin = path.map_or_else(
            || "built-in defaults".to_string(),
            |p| p.display().to_string(),
        );
        let mut table: toml::Table = match text {
            Some(t) => toml::from_str(t).map_err(|e| ConfigError::Invalid {
                origin: origin.clone(),
                message: e.to_string(),
            })?,
            None => toml::Table::new(),
        };
        let base = path
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // Resolve file-relative feed paths before the environment may replace the list.
        if let Some(toml::Value::Array(feeds)) = table.get_mut("feeds") {
            for f in feeds {
                for key in ["path", "osm", "places"] {
                    if let Some(toml::Value::String(p)) = f.get_mut(key)
                        && Path::new(p).is_relative()
                    {
                        *p = base.join(&*p).to_string_lossy().into_owned();
                    }
                }
                // A real-time source that is a relative path (not a URL) is relative too.
                for key in ["trip_updates", "vehicle_positions", "alerts"] {
                    if let Some(toml::Value::String(p)) =
                        f.get_mut("realtime").and_then(|r| r.get_mut(key))
                        && !p.contains("://")
                        && !p.trim().is_empty()
                        && Path::new(p).is_relative()
                    {
                        *p = base.join(&*p).to_string_lossy().into_owned();
                    }
                }
            }
        }
        let mut env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("PARADERO_"))
            .collect();
        env.sort();
        // A relative SQLite path in the file is relative to the file, like the feeds; one
        // from the environment is relative to the working directory.
        let file_has_store_url =
            text.is_some_and(|_| table.get("store").and_then(|s| s.get("url")).is_some());
        let env_sets_store_url = env
            .iter()
            .any(|(k, _)| k == "PARADERO_STORE__URL" || k == "PARADERO_STORE");
        // Feeds replaced from the environment without cities: the file's cities named the
        // file's feeds, so each new feed is a city of its own.
        if env.iter().any(|(k, _)| k == "PARADERO_FEEDS")
            && !env.iter().any(|(k, _)| k.starts_with("PARADERO_CITIES"))
        {
            table.remove("cities");
        }
        for (key, raw) in env {
            let path = key["PARADERO_".len()..].to_ascii_lowercase();
            let parts: Vec<&str> = path.split("__").collect();
            let top_level = parts.len() == 1 && TOP_LEVEL.contains(&parts[0]);
            if !top_level && parts.len() < 2 {
                continue; // PARADERO_CONFIG, PARADERO_BLESS and the like are not fields
            }
            let value = parse_env_value(&raw);
            let mut t = &mut table;
            for p in &parts[..parts.len() - 1] {
                let entry = t
                    .entry(p.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                t = match entry {
                    toml::Value::Table(t) => t,
                    _ => {
                        return Err(ConfigError::Invalid {
                            origin: key.clone(),
                            message: format!("`{p}` is not a section"),
                        });
                    }
                };
            }
            t.insert(parts[parts.len() - 1].to_string(), value);
        }
        let mut cfg: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    origin: origin.clone() + " with PARADERO_* overrides",
                    message: e.to_string(),
                })?;
        if file_has_store_url && !env_sets_store_url {
            cfg.store.base = base;
        }
        cfg.validate()
            .map_err(|message| ConfigError::Invalid { origin, message })?;
        Ok(cfg)
    }

    /// Every number of every section, with its declared range.
    pub fn ranges(&self) -> Vec<Range> {
        let p = &self.planner;
        let planner = [
            ("access_radius_m", p.access_radius_m, 0.0, 5000.0),
            ("max_access_m", p.max_access_m, 0.0, 50_000.0),
            ("max_direct_walk_m", p.max_direct_walk_m, 0.0, 10_000.0),
            ("co2_bus_g_per_pkm", p.co2_bus_g_per_pkm, 0.0, 10_000.0),
            ("co2_car_g_per_km", p.co2_car_g_per_km, 0.0, 10_000.0),
            ("max_itineraries", p.max_itineraries as f64, 1.0, 50.0),
        ]
        .map(|(f, value, lo, hi)| Range {
            field: format!("planner.{f}"),
            value,
            lo,
            hi,
        });
        [
            self.walking.ranges("walking"),
            self.routing.ranges("routing"),
            planner.to_vec(),
            self.server.ranges("server"),
            self.observatory.ranges("observatory"),
            self.observatory.privacy.ranges("observatory.privacy"),
            self.observatory.photos.ranges("observatory.photos"),
            self.bot.ranges("bot"),
            self.gtfs.ranges("gtfs"),
            self.safety.ranges("safety"),
            self.operators.ranges("operators"),
        ]
        .concat()
    }

    fn validate(&self) -> Result<(), String> {
        // Every number has a range; out of it, the message names the field and the range.
        for r in self.ranges() {
            r.check()?;
        }
        let p = &self.planner;
        if p.max_access_m < p.access_radius_m {
            return Err(format!(
                "planner.max_access_m must be at least planner.access_radius_m ({}), got {}",
                p.access_radius_m, p.max_access_m
            ));
        }
        let g = &self.gtfs;
        if g.max_feed_mib < g.max_file_mib {
            return Err(format!(
                "gtfs.max_feed_mib must be at least gtfs.max_file_mib ({}), got {}",
                g.max_file_mib, g.max_feed_mib
            ));
        }
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "server.listen must be an address such as 127.0.0.1:8080, got `{}`",
                self.server.listen
            ));
        }
        self.bot.check()?;
        self.observatory.check()?;
        if !(self.store.url.starts_with("sqlite:") || self.store.url.starts_with("postgres")) {
            return Err(format!(
                "store.url must start with sqlite:// or postgres://, got `{}`",
                self.store.url
            ));
        }
        if let Some(f) = self
            .safety
            .families
            .iter()
            .find(|f| !observatory_families().contains(&f.as_str()))
        {
            return Err(format!(
                "safety.families: `{f}` is not one of {}",
                observatory_families().join(", ")
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for f in &self.feeds {
            if f.id.is_empty() || f.id.contains(':') {
                return Err(format!(
                    "feed id `{}` must be non-empty and contain no `:`",
                    f.id
                ));
            }
            if !ids.insert(&f.id) {
                return Err(format!("feed id `{}` appears twice", f.id));
            }
            if let Some(rt) = &f.realtime {
                let id = &f.id;
                if !(1..=3600).contains(&rt.poll_s) {
                    return Err(format!(
                        "feeds.{id}.realtime.poll_s must be within 1..=3600"
                    ));
                }
                if rt.max_age_s > 86_400 {
                    return Err(format!(
                        "feeds.{id}.realtime.max_age_s must be within 0..=86400"
                    ));
                }
                if !(10..=3600).contains(&rt.vehicle_timeout_s) {
                    return Err(format!(
                        "feeds.{id}.realtime.vehicle_timeout_s must be within 10..=3600"
                    ));
                }
                let sources = [&rt.trip_updates, &rt.vehicle_positions, &rt.alerts];
                if sources.iter().all(|s| s.is_none())
                    || sources
                        .iter()
                        .any(|s| s.as_ref().is_some_and(|s| s.trim().is_empty()))
                {
                    return Err(format!(
                        "feeds.{id}.realtime needs trip_updates, vehicle_positions or alerts, each a URL or a file"
                    ));
                }
            }
        }
        self.check_cities()
    }

    /// Cities have distinct ids usable in an address and real names; every feed belongs to
    /// exactly one city; languages are the catalog's.
    fn check_cities(&self) -> Result<(), String> {
        if self.cities.is_empty() {
            return Ok(());
        }
        let mut ids = std::collections::HashSet::new();
        let mut owner: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for c in &self.cities {
            let id = &c.id;
            if id.is_empty()
                || !id
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            {
                return Err(format!(
                    "city id `{id}` must be lower-case letters, digits and `-` (it is the city's address)"
                ));
            }
            if RESERVED_PATHS.contains(&id.as_str()) {
                return Err(format!(
                    "city id `{id}` is one of the server's own addresses; choose another"
                ));
            }
            if !ids.insert(id) {
                return Err(format!("city id `{id}` appears twice"));
            }
            if c.name.trim().is_empty() {
                return Err(format!("cities.{id}.name is empty"));
            }
            if c.feeds.is_empty() {
                return Err(format!("cities.{id}.feeds names no feed"));
            }
            for f in &c.feeds {
                if !self.feeds.iter().any(|x| &x.id == f) {
                    return Err(format!("cities.{id}.feeds: no [[feeds]] has id `{f}`"));
                }
                if let Some(other) = owner.insert(f, id) {
                    return Err(format!(
                        "feed `{f}` belongs to two cities, `{other}` and `{id}`"
                    ));
                }
            }
            if let Some(h) = c.home
                && !(h.iter().all(|x| x.is_finite())
                    && (-180.0..=180.0).contains(&h[0])
                    && (-180.0..=180.0).contains(&h[2])
                    && (-90.0..=90.0).contains(&h[1])
                    && (-90.0..=90.0).contains(&h[3])
                    && h[0] < h[2]
                    && h[1] < h[3])
            {
                return Err(format!(
                    "cities.{id}.home must be [west, south, east, north] in degrees, west < east, south < north"
                ));
            }
            if c.languages.is_empty()
                || c.languages
                    .iter()
                    .any(|l| !["es", "en", "qu"].contains(&l.as_str()))
            {
                return Err(format!(
                    "cities.{id}.languages must list some of es, en, qu"
                ));
            }
        }
        if let Some(f) = self
            .feeds
            .iter()
            .find(|f| !owner.contains_key(f.id.as_str()))
        {
            return Err(format!(
                "feed `{}` belongs to no city: add it to a [[cities]] entry's feeds",
                f.id
            ));
        }
        Ok(())
    }
}

impl BotConfig {
    /// URLs are http(s); a webhook has a secret Telegram accepts.
    fn check(&self) -> Result<(), String> {
        for (field, v) in [
            ("bot.api_url", &self.api_url),
            ("bot.webhook_url", &self.webhook_url),
            ("bot.web_url", &self.web_url),
        ] {
            if let Some(u) = v
                && !(u.starts_with("http://") || u.starts_with("https://"))
            {
                return Err(format!("{field} must be an http(s) URL, got `{u}`"));
            }
        }
        if self.webhook_url.is_some()
            && self.webhook_secret.as_deref().is_none_or(|s| {
                s.len() < 16
                    || !s
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
            })
        {
            return Err(
                "bot.webhook_secret must be set with bot.webhook_url: 16 to 256 characters A-Z, a-z, 0-9, _ or -"
                    .into(),
            );
        }
        Ok(())
    }
}

impl ObservatoryConfig {
    /// The privacy budget adds up; photos' storage, road actors and categories are well formed.
    fn check(&self) -> Result<(), String> {
        self.privacy
            .budget()
            .validate()
            .map_err(|e| format!("observatory.privacy: {e}"))?;
        if let Some(s) = &self.photos.storage
            && s != "files"
            && s != "database"
        {
            return Err(format!(
                "observatory.photos.storage `{s}` must be `files` or `database`"
            ));
        }
        let key = |k: &str| {
            !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        let mut seen = std::collections::HashSet::new();
        for a in &self.road_actors {
            if a.len() > 40 || !key(a) || !seen.insert(a) {
                return Err(format!(
                    "observatory.road_actors: `{a}` must be unique, 1-40 lower-case letters, digits and _"
                ));
            }
        }
        if self.categories.is_empty() {
            return Err("observatory.categories must not be empty".into());
        }
        let mut keys = std::collections::HashSet::new();
        for c in &self.categories {
            if !key(&c.key) {
                return Err(format!(
                    "observatory category `{}` must be lower-case letters, digits and _",
                    c.key
                ));
            }
            if !keys.insert(&c.key) {
                return Err(format!("observatory category `{}` appears twice", c.key));
            }
        }
        Ok(())
    }
}

/// The incident families the observatory's releases have.
fn observatory_families() -> [&'static str; 4] {
    ["acoso", "robo", "agresion", "otro"]
}

/// The server's own first path segments, which a city's address cannot take.
const RESERVED_PATHS: &[&str] = &[
    "v1",
    "docs",
    "assets",
    "observatorio",
    "compartir",
    "reportar",
    "encuestas",
    "open311",
    "gtfs-rt",
    "metrics",
    "healthz",
    "openapi.json",
    "sw.js",
    "manifest.webmanifest",
];

/// Top-level fields and sections (so that `PARADERO_WALKING=3` is an error, not silence).
const TOP_LEVEL: &[&str] = &[
    "feeds",
    "cities",
    "walking",
    "routing",
    "planner",
    "server",
    "store",
    "observatory",
    "bot",
    "gtfs",
    "safety",
];

fn parse_env_value(raw: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// Each section declared with `settings!`, by its path in the file.
    fn declared() -> Vec<(&'static str, &'static [Declared])> {
        vec![
            ("walking", WalkingConfig::DECLARED),
            ("routing", RoutingConfig::DECLARED),
            ("server", ServerConfig::DECLARED),
            ("gtfs", GtfsConfig::DECLARED),
            ("observatory", ObservatoryConfig::DECLARED),
            ("observatory.privacy", PrivacyConfig::DECLARED),
            ("observatory.photos", PhotosConfig::DECLARED),
            ("bot", BotConfig::DECLARED),
            ("safety", SafetyConfig::DECLARED),
            ("open311", Open311Config::DECLARED),
            ("operators", OperatorsConfig::DECLARED),
        ]
    }

    #[test]
    fn every_number_has_a_range_and_each_range_is_enforced() {
        let numbers = ["u8", "u16", "u32", "u64", "usize", "f32", "f64"];
        for (section, fields) in declared() {
            for f in fields {
                assert_eq!(
                    f.ranged,
                    numbers.contains(&f.ty),
                    "{section}.{}: {} must have a range exactly when it is a number",
                    f.name,
                    f.ty
                );
            }
        }
        let ranges = Config::default().ranges();
        assert!(ranges.len() >= 40, "{}", ranges.len());
        for r in &ranges {
            r.check()
                .unwrap_or_else(|e| panic!("the default is out of its range: {e}"));
            let var = format!("PARADERO_{}", r.field.replace('.', "__").to_uppercase());
            let integer = r.hi.fract() == 0.0 && r.lo.fract() == 0.0;
            let mut outside = vec![r.hi + if integer { 1.0 } else { r.hi * 0.5 + 1.0 }];
            if r.lo > 0.0 {
                outside.push(if integer { r.lo - 1.0 } else { r.lo / 2.0 });
            }
            for v in outside {
                let value = if integer {
                    format!("{v:.0}")
                } else {
                    format!("{v:e}")
                };
                let e = Config::from_parts(None, None, env(&[(&var, &value)]))
                    .expect_err(&format!("{var}={value} is out of range"));
                assert!(
                    e.to_string()
                        .contains(&format!("{} must be between", r.field)),
                    "{var}={value}: {e}"
                );
            }
        }
    }

    #[test]
    fn every_shipped_configuration_loads_and_names_files_that_exist() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let cfg = Config::from_parts(Some(&text), Some(&path), Vec::<(String, String)>::new())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for f in &cfg.feeds {
                assert!(f.path.exists(), "{}: {}", path.display(), f.path.display());
                let sources = f.realtime.iter();
                for src in sources
                    .flat_map(|r| [&r.trip_updates, &r.vehicle_positions])
                    .flatten()
                {
                    assert!(src.contains("://") || Path::new(src).exists(), "{src}");
                }
            }
            seen += 1;
        }
        assert!(seen >= 2, "paradero.toml and the replay");
    }

    #[test]
    fn every_setting_is_documented_in_the_shipped_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/paradero.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let mut missing = Vec::new();
        for (section, fields) in declared() {
            let head = format!("[{section}]\n");
            let start = text.find(&head).unwrap_or_else(|| panic!("no {head}")) + head.len();
            let body = &text[start..];
            let body = &body[..body.find("\n[").unwrap_or(body.len())];
            for f in fields.iter().filter(|f| !f.ty.ends_with("Config")) {
                let set = body.lines().any(|l| {
                    let l = l.trim_start_matches('#').trim_start();
                    l.strip_prefix(f.name)
                        .is_some_and(|rest| rest.trim_start().starts_with('='))
                });
                if !set {
                    missing.push(format!("{section}.{}", f.name));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "not in config/paradero.toml: {missing:?}"
        );
    }

    #[test]
    fn shipped_file_parses_and_matches_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/paradero.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let cfg = Config::from_parts(Some(&text), Some(&path), env(&[])).unwrap();
        assert_eq!(cfg.walking, WalkingConfig::default());
        assert_eq!(cfg.routing, RoutingConfig::default());
        assert_eq!(cfg.planner, PlannerConfig::default());
        assert_eq!(cfg.server, ServerConfig::default());
        assert_eq!(cfg.observatory, ObservatoryConfig::default());
        assert_eq!(cfg.gtfs, GtfsConfig::default());
        assert_eq!(cfg.safety, SafetyConfig::default());
        // The file's database is the default's, relative to the file.
        assert_eq!(
            cfg.store.sqlite_path().unwrap(),
            path.parent().unwrap().join("../data/paradero.db")
        );
        // Arequipa with its place list, Trujillo on its streets: two cities.
        assert_eq!(cfg.feeds.len(), 2);
        for f in &cfg.feeds {
            assert!(
                f.path.is_file(),
                "{:?} resolves to the shipped feed",
                f.path
            );
        }
        assert!(cfg.feeds[1].osm.as_ref().is_some_and(|p| p.is_file()));
        let ids: Vec<String> = cfg.cities().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["arequipa", "trujillo"]);
        // Feeds replaced from the environment (without cities): one city per feed.
        let text = std::fs::read_to_string(&path).unwrap();
        let other = Config::from_parts(
            Some(&text),
            Some(&path),
            env(&[("PARADERO_FEEDS", "[{ id = \"sp\", path = \"sp.zip\" }]")]),
        )
        .unwrap();
        assert_eq!(other.cities().len(), 1);
        assert_eq!(other.cities()[0].name, "Sp");
    }

    #[test]
    fn cities_are_checked_each_feed_in_exactly_one() {
        let feeds =
            "[[feeds]]\nid = \"a\"\npath = \"a.zip\"\n[[feeds]]\nid = \"b\"\npath = \"b.zip\"\n";
        let with =
            |cities: &str| Config::from_parts(Some(&format!("{feeds}{cities}")), None, env(&[]));
        // Without [[cities]], one per feed.
        let c = with("").unwrap();
        assert_eq!(c.cities().len(), 2);
        assert_eq!(c.cities()[1].feeds, ["b"]);
        let ok = with("[[cities]]\nid = \"x\"\nname = \"X\"\nfeeds = [\"a\", \"b\"]\nhome = [-72.0, -17.0, -71.0, -16.0]\n").unwrap();
        assert_eq!(ok.cities()[0].languages, ["es", "en", "qu"]);
        for (bad, says) in [
            (
                "[[cities]]\nid = \"x\"\nname = \"X\"\nfeeds = [\"a\"]\n",
                "feed `b` belongs to no city",
            ),
            (
                "[[cities]]\nid = \"x\"\nname = \"X\"\nfeeds = [\"a\", \"b\", \"c\"]\n",
                "no [[feeds]] has id `c`",
            ),
            (
                "[[cities]]\nid = \"x\"\nname = \"X\"\nfeeds = [\"a\", \"b\"]\n[[cities]]\nid = \"y\"\nname = \"Y\"\nfeeds = [\"b\"]\n",
                "belongs to two cities",
            ),
            (
                "[[cities]]\nid = \"Lima Sur\"\nname = \"X\"\nfeeds = [\"a\", \"b\"]\n",
                "lower-case letters",
            ),
            (
                "[[cities]]\nid = \"reportar\"\nname = \"X\"\nfeeds = [\"a\", \"b\"]\n",
                "server's own addresses",
            ),
            (
                "[[cities]]\nid = \"x\"\nname = \" \"\nfeeds = [\"a\", \"b\"]\n",
                "name is empty",
            ),
            (
                "[[cities]]\nid = \"x\"\nname = \"X\"\nfeeds = [\"a\", \"b\"]\nhome = [-71.0, -17.0, -72.0, -16.0]\n",
                "west < east",
            ),
            (
                "[[cities]]\nid = \"x\"\nname = \"X\"\nfeeds = [\"a\", \"b\"]\nlanguages = [\"fr\"]\n",
                "some of es, en, qu",
            ),
            (
                "[[cities]]\nid = \"x\"\nname = \"X\"\nfeeds = [\"a\", \"b\"]\n[[cities]]\nid = \"x\"\nname = \"Y\"\nfeeds = []\n",
                "appears twice",
            ),
        ] {
            let e = with(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn the_safer_search_is_chosen_by_name() {
        let cfg =
            Config::from_parts(Some("[safety]\nsearch = \"pareto\"\n"), None, env(&[])).unwrap();
        assert_eq!(cfg.safety.search, planner::safety::SaferSearch::Pareto);
        let cfg = Config::from_parts(
            Some("[safety]\nsearch = \"second_search\"\n"),
            None,
            env(&[]),
        )
        .unwrap();
        assert_eq!(
            cfg.safety.search,
            planner::safety::SaferSearch::AvoidHotStops
        );
        let err = Config::from_parts(Some("[safety]\nsearch = \"fastest\"\n"), None, env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("search") && err.contains("second_search") && err.contains("pareto"),
            "{err}"
        );
    }

    #[test]
    fn environment_overrides_every_level() {
        let cfg = Config::from_parts(
            Some("[walking]\nspeed_m_s = 1.4\n"),
            Some(Path::new("/etc/paradero/p.toml")),
            env(&[
                ("PARADERO_WALKING__SPEED_M_S", "1.0"),
                ("PARADERO_WALKING__FOOTPATH_RADIUS_M", "200"),
                ("PARADERO_FEEDS", r#"[{ id = "trujillo", path = "t.zip" }]"#),
                ("PARADERO_CONFIG", "ignored.toml"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.walking.speed_m_s, 1.0);
        assert_eq!(cfg.walking.footpath_radius_m, 200.0);
        assert_eq!(
            cfg.feeds,
            vec![FeedConfig {
                id: "trujillo".into(),
                path: "t.zip".into(),
                osm: None,
                places: None,
                times: FeedTimes::Timetable,
                realtime: None,
            }]
        );
    }

    #[test]
    fn a_feeds_real_time_is_read_resolved_and_bounded() {
        let cfg = |rt: &str| {
            Config::from_parts(
                Some(&format!(
                    "[[feeds]]\nid = \"ct\"\npath = \"ct.zip\"\nrealtime = {rt}\n"
                )),
                Some(Path::new("/etc/paradero/paradero.toml")),
                Vec::<(String, String)>::new(),
            )
        };
        let c = cfg(r#"{ trip_updates = "rt/tu.pb" }"#).unwrap();
        let rt = c.feeds[0].realtime.clone().unwrap();
        assert_eq!(rt.trip_updates.as_deref(), Some("/etc/paradero/rt/tu.pb"));
        assert_eq!((rt.poll_s, rt.max_age_s), (30, 300));
        let c = cfg(r#"{ trip_updates = "https://x.example/tu.pb", poll_s = 10 }"#).unwrap();
        let rt = c.feeds[0].realtime.as_ref().unwrap();
        assert_eq!(rt.trip_updates.as_deref(), Some("https://x.example/tu.pb"));
        assert_eq!(rt.vehicle_timeout_s, 120);
        for bad in [
            r#"{ trip_updates = "a", poll_s = 0 }"#,
            r#"{ trip_updates = "a", max_age_s = 86401 }"#,
            r#"{ trip_updates = " " }"#,
            r#"{ trip_updates = "a", every = 3 }"#,
            r#"{ poll_s = 3 }"#,
            r#"{ vehicle_positions = "v.pb", vehicle_timeout_s = 5 }"#,
        ] {
            let e = cfg(bad).unwrap_err().to_string();
            assert!(
                e.contains("realtime") || e.contains("trip_updates") || e.contains("every"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn file_paths_are_relative_to_the_file() {
        let cfg = Config::from_parts(
            Some("[[feeds]]\nid = \"a\"\npath = \"../feeds/a.zip\"\n"),
            Some(Path::new("/srv/config/p.toml")),
            env(&[]),
        )
        .unwrap();
        assert_eq!(
            cfg.feeds[0].path,
            PathBuf::from("/srv/config/../feeds/a.zip")
        );
        // The SQLite file is a path joined to the file's folder, never a string-joined URL
        // (`sqlite://config/../data` would give a URL parser the host `config`).
        for (url, file, want) in [
            (
                "sqlite://../data/p.db",
                "/srv/config/p.toml",
                "/srv/config/../data/p.db",
            ),
            (
                "sqlite:../data/p.db",
                "/srv/config/p.toml",
                "/srv/config/../data/p.db",
            ),
            (
                "sqlite://../data/p.db",
                "config/p.toml",
                "config/../data/p.db",
            ),
            ("sqlite:///var/lib/p.db", "config/p.toml", "/var/lib/p.db"),
            (
                "sqlite://a b/p #1.db",
                "config/p.toml",
                "config/a b/p #1.db",
            ),
        ] {
            let cfg = Config::from_parts(
                Some(&format!("[store]\nurl = \"{url}\"\n")),
                Some(Path::new(file)),
                env(&[]),
            )
            .unwrap();
            assert_eq!(cfg.store.sqlite_path(), Some(PathBuf::from(want)), "{url}");
        }
        // From the environment: relative to the working directory, even with a file.
        let cfg = Config::from_parts(
            Some("[store]\nurl = \"sqlite://../data/p.db\"\n"),
            Some(Path::new("/srv/config/p.toml")),
            env(&[("PARADERO_STORE__URL", "sqlite://data/x.db")]),
        )
        .unwrap();
        assert_eq!(cfg.store.sqlite_path(), Some(PathBuf::from("data/x.db")));
        let cfg = Config::from_parts(None, None, env(&[])).unwrap();
        assert_eq!(
            cfg.store.sqlite_path(),
            Some(PathBuf::from("data/paradero.db"))
        );
        let cfg = Config::from_parts(
            None,
            None,
            env(&[("PARADERO_STORE__URL", "postgres://u@h/db")]),
        )
        .unwrap();
        assert_eq!(cfg.store.sqlite_path(), None);
    }

    #[test]
    fn bad_configuration_is_a_clear_error() {
        let cases = [
            (
                Some("[walking]\nspeed_m_s = \"fast\"\n"),
                vec![],
                "speed_m_s",
            ),
            (Some("[walking]\nsped_m_s = 1\n"), vec![], "sped_m_s"),
            (Some("walking = ["), vec![], "p.toml"),
            (
                None,
                vec![("PARADERO_WALKING__SPEED_M_S", "0")],
                "walking.speed_m_s",
            ),
            (None, vec![("PARADERO_WALKING__DETOUR", "1.2")], "detour"),
            (
                None,
                vec![("PARADERO_FEEDS", r#"[{ id = "a:b", path = "x" }]"#)],
                "a:b",
            ),
            (None, vec![("PARADERO_WALKING", "3")], "walking"),
            (
                None,
                vec![("PARADERO_STORE__URL", "mysql://x")],
                "store.url",
            ),
            (
                None,
                vec![("PARADERO_OBSERVATORY__PRIVACY__RHO_PER_MONTH", "0")],
                "observatory.privacy.rho_per_month",
            ),
            (
                None,
                vec![("PARADERO_OBSERVATORY__PRIVACY__REPORTS_SHARE", "0.9")],
                "sum to 1",
            ),
            (Some("[observatory]\nk = 5\n"), vec![], "unknown field `k`"),
            (
                Some("[observatory]\ncategories = [{ key = \"Robo!\" }]\n"),
                vec![],
                "Robo!",
            ),
            (
                Some("[observatory]\ncategories = [{ key = \"robo\" }, { key = \"robo\" }]\n"),
                vec![],
                "twice",
            ),
            // Out of range: the field is named (these three had no range before).
            (
                None,
                vec![("PARADERO_SERVER__RATE_LIMIT_PER_MINUTE", "20000000")],
                "server.rate_limit_per_minute",
            ),
            (
                None,
                vec![("PARADERO_SERVER__RATE_LIMIT_BURST", "2000000")],
                "server.rate_limit_burst",
            ),
            (
                None,
                vec![("PARADERO_SERVER__LOOKUP_BURST", "200000")],
                "server.lookup_burst",
            ),
            // Out of range: the field is named.
            (
                None,
                vec![("PARADERO_PLANNER__MAX_DIRECT_WALK_M", "-1")],
                "planner.max_direct_walk_m",
            ),
            (
                None,
                vec![("PARADERO_ROUTING__TRANSFER_SLACK_S", "99999")],
                "routing.transfer_slack_s",
            ),
            (
                None,
                vec![("PARADERO_PLANNER__MAX_ITINERARIES", "0")],
                "planner.max_itineraries",
            ),
            (
                None,
                vec![("PARADERO_SERVER__MAX_CONNECTIONS", "0")],
                "server.max_connections",
            ),
            (
                None,
                vec![("PARADERO_SERVER__MAX_CONNECTIONS_PER_CLIENT", "2000000")],
                "server.max_connections_per_client",
            ),
            (
                None,
                vec![("PARADERO_GTFS__MAX_COMPRESSION_RATIO", "1")],
                "gtfs.max_compression_ratio",
            ),
            (
                None,
                vec![("PARADERO_GTFS__MAX_FEED_MIB", "10")],
                "gtfs.max_feed_mib",
            ),
            (
                None,
                vec![("PARADERO_OBSERVATORY__RETENTION_DAYS", "0")],
                "observatory.retention_days",
            ),
            (
                None,
                vec![("PARADERO_PLANNER__ACCESS_RADIUS_M", "nan")],
                "planner.access_radius_m",
            ),
        ];
        for (text, vars, needle) in cases {
            let err = Config::from_parts(text, Some(Path::new("p.toml")), env(&vars))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "`{err}` should mention `{needle}`");
        }
    }
}
