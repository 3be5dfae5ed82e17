//! Fatal loading errors. Each names the feed, and where it applies the file, line and field.

use std::path::PathBuf;

/// A problem that stops a feed from loading.
#[derive(Debug, thiserror::Error)]
pub enum GtfsError {
    /// The path could not be read.
    #[error("cannot read feed `{path}`: {cause}")]
    Io {
        /// Path given.
        path: PathBuf,
        /// Cause; part of the message, so not a `source()` (a chain prints it once).
        cause: std::io::Error,
    },
    /// Not a zip archive, or a corrupt one.
    #[error("`{path}` is neither a folder nor a readable zip archive: {message}")]
    Zip {
        /// Path given.
        path: PathBuf,
        /// Cause.
        message: String,
    },
    /// A required file is absent.
    #[error("feed `{feed}` has no {file}, which every GTFS feed needs")]
    MissingFile {
        /// Feed id.
        feed: String,
        /// File name.
        file: &'static str,
    },
    /// A file as a whole is unusable (a required column is missing, it is too large…).
    #[error("{feed}/{file}: {message}")]
    File {
        /// Feed id.
        feed: String,
        /// File name.
        file: &'static str,
        /// What is wrong.
        message: String,
    },
    /// One field of one row is malformed in a way we cannot skip (a time, a date, a sequence).
    #[error("{feed}/{file} line {line}, field `{field}`: {message}")]
    Field {
        /// Feed id.
        feed: String,
        /// File name.
        file: &'static str,
        /// 1-based line in the file (header is line 1).
        line: u64,
        /// Column name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Two feeds with different timezones cannot share one timetable clock.
    #[error(
        "feed `{a}` uses timezone {tz_a} and feed `{b}` uses {tz_b}; times of one timetable must share a timezone, so load them in separate instances"
    )]
    MixedTimezones {
        /// First feed.
        a: String,
        /// Its timezone.
        tz_a: String,
        /// Second feed.
        b: String,
        /// Its timezone.
        tz_b: String,
    },
    /// Two feeds with one id would mix their namespaces.
    #[error("two feeds are both called `{0}`; give them distinct ids")]
    DuplicateFeedId(String),
}
