//! `paradero`: the one binary. Subcommands wire the configuration, the feeds and the engines.

mod admin;
mod bot;
mod feed_info;
mod observatory;
mod plan;
mod realtime;
mod serve;
mod simulate;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "paradero",
    version,
    about = "Public-transit route planner and mobility observatory"
)]
struct Cli {
    /// Configuration file (default: $PARADERO_CONFIG, else config/paradero.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// What to do (default: `serve`).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Inspect GTFS feeds.
    Feed {
        #[command(subcommand)]
        command: FeedCommand,
    },
    /// Plan a trip: itineraries from a stop or coordinate to another.
    Plan(plan::Args),
    /// Serve the HTTP API on the configured feeds.
    Serve(serve::Args),
    /// Run the Telegram chatbot (long polling; token from TELOXIDE_TOKEN or [bot] token).
    Bot(bot::Args),
    /// Administration of the observatory (officials' tokens).
    #[command(subcommand)]
    Admin(admin::Command),
    /// The observatory's public statistics: releases and the privacy budget.
    #[command(subcommand)]
    Observatory(observatory::Command),
    /// Simulations: a fleet of buses posting its GPS to a server.
    #[command(subcommand)]
    Simulate(simulate::Command),
}

#[derive(Subcommand, Debug)]
enum FeedCommand {
    /// Load feeds and print what they hold: counts, runs on a date, footpaths, components,
    /// warnings, load time and memory.
    Info(feed_info::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout and usage errors to stderr.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("paradero: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = config::Config::load(cli.config.as_deref()).context("configuration")?;
    match cli
        .command
        .unwrap_or(Command::Serve(serve::Args::default()))
    {
        Command::Feed {
            command: FeedCommand::Info(args),
        } => feed_info::run(&cfg, args),
        Command::Plan(args) => plan::run(&cfg, args),
        Command::Serve(args) => serve::run(&cfg, args),
        Command::Admin(cmd) => admin::run(&cfg, cmd),
        Command::Simulate(cmd) => simulate::run(&cfg, cmd),
        Command::Bot(args) => bot::run(&cfg, args),
        Command::Observatory(cmd) => observatory::run(&cfg, cmd),
    }
}

/// Where the configured store is: a SQLite file by path (relative to the configuration
/// file's folder when set there), or the PostgreSQL URL.
pub fn store_location(cfg: &config::Config) -> anyhow::Result<store::Location> {
    if cfg.store.is_memory() {
        return Ok(store::Location::Memory);
    }
    if let Some(path) = cfg.store.sqlite_path() {
        return Ok(store::Location::Sqlite(path));
    }
    Ok(store::Location::parse(&cfg.store.url)?)
}

/// Opens (creating and migrating if needed) the configured store.
pub async fn open_store(cfg: &config::Config) -> anyhow::Result<store::Store> {
    let location = store_location(cfg)?;
    let shown = match &location {
        store::Location::Sqlite(p) => p.display().to_string(),
        store::Location::Memory => "in memory".into(),
        store::Location::Postgres(_) => "on PostgreSQL".into(),
    };
    let store = store::Store::open_at(&location)
        .await
        .with_context(|| format!("opening the store {shown}"))?;
    let photos = &cfg.observatory.photos;
    let store = match (photos.storage.as_deref(), &photos.dir) {
        (Some("database"), _) => store.with_photo_storage(store::PhotoStorage::Database),
        (_, Some(dir)) => store.with_photo_storage(store::PhotoStorage::Files(dir.clone())),
        (Some("files"), None) => {
            let dir = match &location {
                store::Location::Sqlite(p) => p
                    .parent()
                    .unwrap_or_else(|| std::path::Path::new("."))
                    .join("photos"),
                _ => std::path::PathBuf::from("data/photos"),
            };
            store.with_photo_storage(store::PhotoStorage::Files(dir))
        }
        _ => store,
    };
    Ok(store)
}

/// Writes the trips still queued and closes the store ([`app::Obs::close`]).
pub async fn close_observatory(o: &app::Obs) {
    o.close().await;
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Feeds named on the command line, or those of the configuration.
pub fn feed_specs(cfg: &config::Config, paths: &[PathBuf]) -> Vec<gtfs::FeedSpec> {
    if paths.is_empty() {
        cfg.feeds
            .iter()
            .map(|f| gtfs::FeedSpec {
                id: f.id.clone(),
                path: f.path.clone(),
            })
            .collect()
    } else {
        paths.iter().map(gtfs::FeedSpec::from_path).collect()
    }
}

/// Loads the configured city (feeds, and the streets of feeds that name an extract).
pub fn load_city(
    cfg: &config::Config,
    specs: &[gtfs::FeedSpec],
) -> anyhow::Result<app::city::City> {
    let extracts: Vec<PathBuf> = cfg
        .feeds
        .iter()
        .filter(|f| specs.iter().any(|s| s.id == f.id && s.path == f.path))
        .filter_map(|f| f.osm.clone())
        .collect();
    let on_streets: Vec<String> = cfg
        .feeds
        .iter()
        .filter(|f| f.osm.is_some())
        .map(|f| f.id.clone())
        .collect();
    let how = app::city::StreetsLoad {
        snap_m: cfg.walking.snap_m,
        max_osm_mib: cfg.walking.max_osm_mib,
        access_radius_m: cfg.planner.access_radius_m,
    };
    let places: Vec<PathBuf> = cfg
        .feeds
        .iter()
        .filter(|f| specs.iter().any(|s| s.id == f.id && s.path == f.path))
        .filter_map(|f| f.places.clone())
        .collect();
    let city = app::city::load_for(specs, &load_config(cfg), &extracts, how, Some(&on_streets))
        .context("loading the city")?;
    let (mut city, named) = app::city::with_places(city, &places).context("loading the city")?;
    if named > 0 {
        tracing::info!(stops = named, "unnamed stops named from the place list");
    }
    let estimated: Vec<String> = cfg
        .feeds
        .iter()
        .filter(|f| f.times == config::FeedTimes::Estimated)
        .map(|f| f.id.clone())
        .collect();
    city.timetable = city.timetable.with_estimated_times(&estimated);
    Ok(city)
}

/// Build parameters from the configuration.
pub fn load_config(cfg: &config::Config) -> gtfs::LoadConfig {
    gtfs::LoadConfig {
        build: timetable::BuildConfig {
            footpaths: timetable::footpaths::FootpathConfig {
                radius_m: cfg.walking.footpath_radius_m,
                detour_factor: cfg.walking.detour_factor,
                walking_speed_m_s: cfg.walking.speed_m_s,
            },
        },
        limits: gtfs::Limits {
            max_file_bytes: cfg.gtfs.max_file_mib << 20,
            max_feed_bytes: cfg.gtfs.max_feed_mib << 20,
            max_ratio: cfg.gtfs.max_compression_ratio,
        },
    }
}

/// Peak resident memory of this process in bytes (Linux), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
