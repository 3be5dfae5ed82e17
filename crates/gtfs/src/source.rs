//! Where a feed's files come from: a zip archive or a folder (also when the files sit in one
//! sub-folder, as many published zips have them).

use crate::GtfsError;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest uncompressed file we read (guards against zip bombs).
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// An opened feed.
#[derive(Debug)]
pub enum Source {
    /// A folder holding the `.txt` files.
    Dir(PathBuf),
    /// A zip archive; `prefix` is the folder inside it holding the files ("" for the root).
    Zip {
        /// Path of the archive.
        path: PathBuf,
        /// Its bytes.
        bytes: Vec<u8>,
        /// Folder inside holding `stops.txt`.
        prefix: String,
    },
}

impl Source {
    /// Opens a folder or zip file.
    pub fn open(path: &Path) -> Result<Source, GtfsError> {
        let io = |source| GtfsError::Io {
            path: path.to_path_buf(),
            source,
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
        let bytes = std::fs::read(path).map_err(io)?;
        let zip_err = |e: zip::result::ZipError| GtfsError::Zip {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).map_err(zip_err)?;
        let prefix = archive
            .file_names()
            .filter_map(Result::ok)
            .filter(|n| *n == "stops.txt" || n.ends_with("/stops.txt"))
            .min_by_key(|n| n.len())
            .map(|n| n[..n.len() - "stops.txt".len()].to_string())
            .unwrap_or_default();
        Ok(Source::Zip {
            path: path.to_path_buf(),
            bytes,
            prefix,
        })
    }

    /// Reads one file, `None` if the feed does not have it.
    pub fn read(&self, name: &str, feed: &str) -> Result<Option<Vec<u8>>, GtfsError> {
        match self {
            Source::Dir(dir) => {
                let p = dir.join(name);
                match std::fs::read(&p) {
                    Ok(b) => Ok(Some(b)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(GtfsError::Io { path: p, source }),
                }
            }
            Source::Zip {
                path,
                bytes,
                prefix,
            } => {
                let zip_err = |e: zip::result::ZipError| GtfsError::Zip {
                    path: path.clone(),
                    message: e.to_string(),
                };
                let mut archive =
                    zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_err)?;
                let full = format!("{prefix}{name}");
                let mut f = match archive.by_name(&full) {
                    Ok(f) => f,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(e) => return Err(zip_err(e)),
                };
                if f.size() > MAX_FILE_BYTES {
                    return Err(GtfsError::File {
                        feed: feed.to_string(),
                        file: leak_name(name),
                        message: format!(
                            "{} bytes uncompressed is more than the {MAX_FILE_BYTES} we accept",
                            f.size()
                        ),
                    });
                }
                let mut out = Vec::with_capacity(f.size() as usize);
                (&mut f)
                    .take(MAX_FILE_BYTES)
                    .read_to_end(&mut out)
                    .map_err(|e| GtfsError::Zip {
                        path: path.clone(),
                        message: format!("{full}: {e}"),
                    })?;
                Ok(Some(out))
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
