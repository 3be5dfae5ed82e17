//! Shared helpers for paradero's benchmarks.

use std::path::{Path, PathBuf};

/// The repository's `feeds/` folder.
pub fn feeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds")
}

/// Loads a shipped feed with default parameters.
pub fn load_feed(name: &str) -> timetable::Timetable {
    gtfs::load(
        &[gtfs::FeedSpec::from_path(feeds_dir().join(name))],
        &gtfs::LoadConfig::default(),
    )
    .expect("shipped feed loads")
    .timetable
}
