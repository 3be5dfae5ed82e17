//! Helpers shared by paradero's integration tests: writing small feeds to disk and finding
//! the shipped ones.

pub mod oracle;
pub mod validate;

use std::io::Write;
use std::path::{Path, PathBuf};

/// The repository's `feeds/` folder.
pub fn feeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds")
}

/// A minimal valid feed: two stops, one route, one trip, every day.
pub const MINIMAL: &[(&str, &str)] = &[
    (
        "agency.txt",
        "agency_id,agency_name,agency_url,agency_timezone\nA,Agency,https://example.org,America/Lima\n",
    ),
    (
        "stops.txt",
        "stop_id,stop_name,stop_lat,stop_lon\nS1,Uno,-16.40,-71.53\nS2,Dos,-16.41,-71.53\n",
    ),
    (
        "routes.txt",
        "route_id,agency_id,route_short_name,route_long_name,route_type\nR1,A,1,Uno - Dos,3\n",
    ),
    ("trips.txt", "route_id,service_id,trip_id\nR1,ALL,T1\n"),
    (
        "stop_times.txt",
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,2\n",
    ),
    (
        "calendar.txt",
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nALL,1,1,1,1,1,1,1,20260101,20271231\n",
    ),
];

/// A feed on disk in a temporary folder.
#[derive(Debug)]
pub struct TempFeed {
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
}

impl TempFeed {
    /// The folder holding the files.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Writes `files` into a new temporary folder; `overrides` replace or add files, and a `None`
/// content removes one.
pub fn write_feed(base: &[(&str, &str)], overrides: &[(&str, Option<&str>)]) -> TempFeed {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in base {
        if overrides.iter().any(|(n, _)| n == name) {
            continue;
        }
        std::fs::write(dir.path().join(name), content).expect("write");
    }
    for (name, content) in overrides {
        if let Some(c) = content {
            std::fs::write(dir.path().join(name), c).expect("write");
        }
    }
    TempFeed { dir }
}

/// Writes `files` as a zip archive inside `folder` of the archive ("" for the root).
pub fn write_zip(files: &[(&str, &str)], folder: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feed.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    for (name, content) in files {
        z.start_file(
            format!("{folder}{name}"),
            zip::write::SimpleFileOptions::default(),
        )
        .expect("zip entry");
        z.write_all(content.as_bytes()).expect("zip write");
    }
    z.finish().expect("zip finish");
    (dir, path)
}
