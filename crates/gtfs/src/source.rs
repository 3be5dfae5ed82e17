//! Where a feed's files come from: a zip archive or a folder (also when the files sit in one
//! sub-folder, as many published zips have them).

use crate::GtfsError;
use crate::table::{LimitExceeded, Table};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use timetable::Warnings;

/// What a feed may make the loader read: hostile or broken archives (zip bombs, files that
/// declare 4 GiB) stop with an error naming the file and the limit, before they exhaust the
/// memory. Declared sizes are never trusted: every byte is counted as it is decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest uncompressed file.
    pub max_file_bytes: u64,
    /// Largest uncompressed feed (all its files).
    pub max_feed_bytes: u64,
    /// Largest ratio of uncompressed to compressed bytes of a file in a zip (past a first
    /// MiB, which any file may reach).
    pub max_ratio: u64,
}

impl Default for Limits {
    /// Sized for a national feed: 3 GiB per file, 6 GiB per feed, 200:1.
    fn default() -> Self {
        Limits {
            max_file_bytes: 3 << 30,
            max_feed_bytes: 6 << 30,
            max_ratio: 200,
        }
    }
}

/// An opened feed.
#[derive(Debug)]
pub enum Source {
    /// A folder holding the `.txt` files.
    Dir(PathBuf),
    /// A zip archive, read from the file as needed (never loaded whole); `prefix` is the
    /// folder inside it holding the files ("" for the root).
    Zip {
        /// Path of the archive.
        path: PathBuf,
        /// Folder inside holding `stops.txt`.
        prefix: String,
    },
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1 << 20))
}

/// Counts what passes through and stops at the limits.
struct Capped<'a, R> {
    inner: R,
    read: u64,
    file_limit: u64,
    ratio_limit: Option<(u64, u64)>,
    feed_total: &'a AtomicU64,
    feed_limit: u64,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let over = |m: String| Err(std::io::Error::other(LimitExceeded(m)));
        if self.read > self.file_limit {
            return over(format!(
                "is larger than {} uncompressed, the most a file may be (gtfs.max_file_mib)",
                mib(self.file_limit)
            ));
        }
        if let Some((compressed, ratio)) = self.ratio_limit
            && self.read > (compressed.saturating_mul(ratio)).max(1 << 20)
        {
            return over(format!(
                "expands more than {ratio} times its {compressed} compressed bytes (gtfs.max_compression_ratio): a zip bomb or a broken archive"
            ));
        }
        let total = self.feed_total.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total > self.feed_limit {
            return over(format!(
                "takes the feed past {} uncompressed, the most a feed may be (gtfs.max_feed_mib)",
                mib(self.feed_limit)
            ));
        }
        Ok(n)
    }
}

/// A feed's file that is not a regular file (a device, a named pipe, a socket).
fn not_regular(path: &Path) -> GtfsError {
    GtfsError::Io {
        path: path.to_path_buf(),
        cause: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "is not a regular file (a device, a named pipe or a socket): a feed is a zip file or a folder of files",
        ),
    }
}

impl Source {
    /// Opens a folder or zip file.
    pub fn open(path: &Path) -> Result<Source, GtfsError> {
        let io = |cause| GtfsError::Io {
            path: path.to_path_buf(),
            cause,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            if path.join("stops.txt").is_file() {
                return Ok(Source::Dir(path.to_path_buf()));
            }
            // A single sub-folder holding the files.
            let mut subdirs = Vec::new();
            for e in std::fs::read_dir(path).map_err(io)? {
                let e = e.map_err(io)?;
                if e.path().join("stops.txt").is_file() {
                    subdirs.push(e.path());
                }
            }
            return Ok(Source::Dir(if subdirs.len() == 1 {
                subdirs.remove(0)
            } else {
                path.to_path_buf()
            }));
        }
        if !meta.is_file() {
            // A named pipe would block the open until someone writes; a device never ends.
            return Err(not_regular(path));
        }
        let archive = Source::archive(path)?;
        let prefix = archive
            .file_names()
            .filter_map(Result::ok)
            .filter(|n| *n == "stops.txt" || n.ends_with("/stops.txt"))
            .min_by_key(|n| n.len())
            .map(|n| n[..n.len() - "stops.txt".len()].to_string())
            .unwrap_or_default();
        Ok(Source::Zip {
            path: path.to_path_buf(),
            prefix,
        })
    }

    fn archive(
        path: &Path,
    ) -> Result<zip::ZipArchive<std::io::BufReader<std::fs::File>>, GtfsError> {
        let file = std::fs::File::open(path).map_err(|cause| GtfsError::Io {
            path: path.to_path_buf(),
            cause,
        })?;
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| GtfsError::Zip {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Reads and parses one file, `None` if the feed does not have it. `feed_total` counts
    /// the uncompressed bytes of every file of the feed read so far (files are read in
    /// parallel).
    pub fn table(
        &self,
        name: &'static str,
        feed: &str,
        limits: &Limits,
        feed_total: &AtomicU64,
        warnings: &mut Warnings,
    ) -> Result<Option<Table>, GtfsError> {
        let too_large = |declared: u64| GtfsError::File {
            feed: feed.to_string(),
            file: leak_name(name),
            message: format!(
                "declares {} uncompressed, more than the {} a file may be (gtfs.max_file_mib)",
                mib(declared),
                mib(limits.max_file_bytes)
            ),
        };
        match self {
            Source::Dir(dir) => {
                let p = dir.join(name);
                // Checked before opening: opening a named pipe blocks until a writer comes,
                // and a device (`/dev/zero`) is an endless stream.
                match std::fs::metadata(&p) {
                    Ok(m) if !m.is_file() => return Err(not_regular(&p)),
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(cause) => return Err(GtfsError::Io { path: p, cause }),
                }
                let f = match std::fs::File::open(&p) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(cause) => return Err(GtfsError::Io { path: p, cause }),
                };
                // Replaced between the check and the open: the open file decides.
                if !f.metadata().is_ok_and(|m| m.is_file()) {
                    return Err(not_regular(&p));
                }
                if f.metadata().is_ok_and(|m| m.len() > limits.max_file_bytes) {
                    return Err(too_large(f.metadata().map_or(0, |m| m.len())));
                }
                let mut input = Capped {
                    inner: std::io::BufReader::new(f),
                    read: 0,
                    file_limit: limits.max_file_bytes,
                    ratio_limit: None,
                    feed_total,
                    feed_limit: limits.max_feed_bytes,
                };
                Table::read(feed, leak_name(name), &mut input, warnings).map(Some)
            }
            Source::Zip { path, prefix } => {
                let zip_err = |e: zip::result::ZipError| GtfsError::Zip {
                    path: path.clone(),
                    message: e.to_string(),
                };
                let mut archive = Source::archive(path)?;
                let full = format!("{prefix}{name}");
                let f = match archive.by_name(&full) {
                    Ok(f) => f,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(e) => return Err(zip_err(e)),
                };
                // A declared size over the limit is refused at once; under it, it is only a
                // claim, and the bytes are counted as they come.
                if f.size() > limits.max_file_bytes {
                    return Err(too_large(f.size()));
                }
                let compressed = f.compressed_size();
                let mut input = Capped {
                    inner: f,
                    read: 0,
                    file_limit: limits.max_file_bytes,
                    ratio_limit: Some((compressed, limits.max_ratio)),
                    feed_total,
                    feed_limit: limits.max_feed_bytes,
                };
                Table::read(feed, leak_name(name), &mut input, warnings).map(Some)
            }
        }
    }
}

/// The GTFS files the loader reads.
pub(crate) const FILES: [&str; 13] = [
    "agency.txt",
    "stops.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "frequencies.txt",
    "transfers.txt",
    "shapes.txt",
    "fare_attributes.txt",
    "fare_rules.txt",
    "feed_info.txt",
];

/// GTFS file names are a fixed set; map them to `'static` for error values.
pub(crate) fn leak_name(name: &str) -> &'static str {
    FILES
        .iter()
        .find(|n| **n == name)
        .copied()
        .unwrap_or("a feed file")
}
