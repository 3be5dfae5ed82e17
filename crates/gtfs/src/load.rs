//! From GTFS files to a [`TimetableBuilder`], one feed after another.

use crate::read;
use crate::source::{FILES, Source};
use crate::table::Table;
use crate::{GtfsError, Warnings};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use timetable::*;

/// A feed to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedSpec {
    /// Namespace for its ids; defaults to the file name without extension.
    pub id: String,
    /// Zip file or folder.
    pub path: PathBuf,
}

impl FeedSpec {
    /// A feed whose id is its file name without extension (`feeds/arequipa.zip` → `arequipa`).
    pub fn from_path(path: impl Into<PathBuf>) -> FeedSpec {
        let path = path.into();
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .map(|n| n.strip_suffix(".zip").map(str::to_string).unwrap_or(n))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "feed".to_string());
        FeedSpec { id, path }
    }
}

/// How to load.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadConfig {
    /// Layout parameters (footpaths).
    pub build: BuildConfig,
    /// What a feed may make the loader read.
    pub limits: crate::source::Limits,
}

/// A loaded timetable and what was skipped on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The timetable.
    pub timetable: Timetable,
    /// Recoverable problems, grouped by kind.
    pub warnings: Warnings,
    /// Wall time to read, parse and lay out.
    pub elapsed: Duration,
}

/// Loads several feeds into one timetable, ids namespaced per feed (`arequipa:1234`).
pub fn load(feeds: &[FeedSpec], cfg: &LoadConfig) -> Result<Loaded, GtfsError> {
    let t0 = Instant::now();
    let mut seen = HashMap::new();
    for f in feeds {
        if seen.insert(f.id.clone(), ()).is_some() {
            return Err(GtfsError::DuplicateFeedId(f.id.clone()));
        }
    }
    let mut b = TimetableBuilder::new();
    let mut warnings = Warnings::default();
    for spec in feeds {
        let files = read_files(spec, &cfg.limits)?;
        load_feed(&mut b, spec, &files, &mut warnings)?;
    }
    if let Some(first) = b.feeds().first()
        && let Some(other) = b.feeds().iter().find(|f| f.timezone != first.timezone)
    {
        return Err(GtfsError::MixedTimezones {
            a: first.id.clone(),
            tz_a: first.timezone.clone(),
            b: other.id.clone(),
            tz_b: other.timezone.clone(),
        });
    }
    let timetable = b.build(&cfg.build, &mut warnings);
    Ok(Loaded {
        timetable,
        warnings,
        elapsed: t0.elapsed(),
    })
}

struct Files {
    tables: HashMap<&'static str, Table>,
}

impl Files {
    fn get(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }
    fn need(&self, feed: &str, name: &'static str) -> Result<&Table, GtfsError> {
        self.tables.get(name).ok_or(GtfsError::MissingFile {
            feed: feed.to_string(),
            file: name,
        })
    }
}

/// Reads and parses every file of a feed, in parallel, within the limits.
fn read_files(
    spec: &FeedSpec,
    limits: &crate::source::Limits,
) -> Result<(Files, Warnings), GtfsError> {
    let source = Source::open(&spec.path)?;
    let total = std::sync::atomic::AtomicU64::new(0);
    let parsed: Vec<Result<Option<(Table, Warnings)>, GtfsError>> = FILES
        .par_iter()
        .map(|&name| {
            let mut w = Warnings::default();
            Ok(source
                .table(name, &spec.id, limits, &total, &mut w)?
                .map(|t| (t, w)))
        })
        .collect();
    let mut tables = HashMap::new();
    let mut warnings = Warnings::default();
    for r in parsed {
        if let Some((t, w)) = r? {
            warnings.merge(w);
            tables.insert(t.file, t);
        }
    }
    Ok((Files { tables }, warnings))
}

/// Reads one feed's files into the builder, file by file (each reader in [`crate::read`]).
fn load_feed(
    b: &mut TimetableBuilder,
    spec: &FeedSpec,
    files: &(Files, Warnings),
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (files, file_warnings) = files;
    w.merge(file_warnings.clone());
    let feed_id = spec.id.as_str();
    let agency_t = files.need(feed_id, "agency.txt")?;
    let (feed, agency_ids) =
        read::agency::read(b, agency_t, files.get("feed_info.txt"), feed_id, w)?;
    let stops_t = files.need(feed_id, "stops.txt")?;
    read::stops::read(b, stops_t, feed, feed_id, w)?;
    read::routes::read(
        b,
        files.need(feed_id, "routes.txt")?,
        &agency_ids,
        feed_id,
        w,
    )?;
    let services = read::calendar::read(
        files.get("calendar.txt"),
        files.get("calendar_dates.txt"),
        feed_id,
        w,
    )?;
    let services: HashMap<String, ServiceIdx> = services
        .into_iter()
        .map(|(k, v)| (k, b.add_service(v)))
        .collect();
    if let Some(t) = files.get("shapes.txt") {
        read::shapes::read(b, t, feed_id, w)?;
    }
    let trips = read::trips::read(b, files.need(feed_id, "trips.txt")?, &services, feed_id, w)?;
    let stop_times = files.need(feed_id, "stop_times.txt")?;
    let raw = read::stop_times::read(b, stop_times, &trips, feed_id, w)?;
    read::stop_times::assemble(b, trips, raw, feed_id, w);
    if let Some(t) = files.get("frequencies.txt") {
        read::frequencies::read(b, t, feed_id, w)?;
    }
    if let Some(t) = files.get("transfers.txt") {
        read::transfers::read(b, t, feed_id, stops_t, w)?;
    }
    if let Some(t) = files.get("fare_attributes.txt") {
        read::fares::read_attributes(b, t, &agency_ids, feed_id, w)?;
    }
    if let Some(t) = files.get("fare_rules.txt") {
        read::fares::read_rules(b, t, feed_id, w)?;
    }
    Ok(())
}
