//! Photos on reports, behind a small storage interface: metadata always in the database, the
//! bytes in files under the data folder (the default beside a SQLite file) or in the database
//! itself (PostgreSQL deployments whose replicas share nothing but the database).
//!
//! A photo is acknowledged only when its bytes are durable (file written, synced and renamed
//! into place) and its row committed; a file whose row never committed is an orphan that
//! [`Store::sweep_photo_files`] removes — once it is older than [`SWEEP_AFTER`], so that a
//! file renamed into place whose row is still waiting for its commit (in this process or in
//! another one sharing the folder) is never taken for an orphan. Erasing a report deletes its rows in the erasure's
//! transaction and its files right after.

use crate::{Result, Store, StoreError, secret_hash};
use base64::Engine;
use sqlx::Row;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// How old a photo file without a row must be before a sweep removes it. A file is renamed
/// into place just before its row's transaction starts; that transaction waits at most a few
/// seconds for its turn and the whole upload has a deadline of minutes, so a file older than
/// this whose row is missing can no longer be committed by anyone.
pub const SWEEP_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Where the bytes of photos are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoStorage {
    /// One file per photo in this folder (created on first use).
    Files(PathBuf),
    /// In the database, beside the photo's metadata.
    Database,
}

/// A photo ready to store: already re-encoded by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    /// `image/jpeg`.
    pub content_type: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The encoded image.
    pub bytes: Vec<u8>,
}

/// A stored photo's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoMeta {
    /// Random id (128 bits, hex).
    pub id: String,
    /// Case id of its report.
    pub case: String,
    /// Media type.
    pub content_type: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Size of the encoded image.
    pub bytes: u64,
    /// When it was added (Unix seconds).
    pub added_at: i64,
}

/// Why a photo was not added.
#[derive(Debug, PartialEq, Eq)]
pub enum AddPhoto {
    /// Stored.
    Added(PhotoMeta),
    /// No report has this secret.
    UnknownReport,
    /// The report already has this many photos.
    Full(usize),
}

fn io_error(e: &std::io::Error) -> StoreError {
    match e.raw_os_error() {
        Some(28) => StoreError::DiskFull,  // ENOSPC
        Some(30) => StoreError::ReadOnly,  // EROFS
        Some(122) => StoreError::DiskFull, // EDQUOT
        _ => StoreError::Unavailable(format!("photo storage: {e}")),
    }
}

fn file_of(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.jpg"))
}

/// Writes `bytes` durably as `dir/<id>.jpg`: a temporary file, synced, renamed into place,
/// and the folder synced.
fn write_file(dir: &Path, id: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{id}.tmp"));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, file_of(dir, id))?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn meta(r: &sqlx::any::AnyRow) -> Result<PhotoMeta> {
    let dim = |i: usize| -> Result<u32> {
        let v: i32 = r.try_get(i)?;
        Ok(u32::try_from(v).unwrap_or(0))
    };
    let bytes: i32 = r.try_get(5)?;
    Ok(PhotoMeta {
        id: r.try_get(0)?,
        case: r.try_get(1)?,
        content_type: r.try_get(2)?,
        width: dim(3)?,
        height: dim(4)?,
        bytes: u64::try_from(bytes).unwrap_or(0),
        added_at: r.try_get(6)?,
    })
}

const PHOTO_SELECT: &str = "SELECT p.id, r.reference, p.content_type, p.width, p.height,
    p.bytes, p.added_at FROM report_photos p JOIN reports r ON r.id = p.report_id";

impl Store {
    /// Where photos' bytes go.
    pub fn photo_storage(&self) -> &PhotoStorage {
        &self.photos
    }

    /// This store, keeping photos' bytes in `storage` (set once, right after opening).
    pub fn with_photo_storage(mut self, storage: PhotoStorage) -> Store {
        self.photos = std::sync::Arc::new(storage);
        self
    }

    /// Adds a photo to the report whose reporter holds `secret`, unless it has `max` already.
    pub async fn add_photo_by_secret(
        &self,
        secret: &str,
        photo: &NewPhoto,
        max: usize,
        now: i64,
    ) -> Result<AddPhoto> {
        let id = crate::new_handle();
        // The bytes first: a row never points at bytes that are not there.
        let in_db = match &*self.photos {
            PhotoStorage::Files(dir) => {
                let (dir, id, bytes) = (dir.clone(), id.clone(), photo.bytes.clone());
                tokio::task::spawn_blocking(move || write_file(&dir, &id, &bytes))
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("photo storage: {e}")))?
                    .map_err(|e| io_error(&e))?;
                None
            }
            PhotoStorage::Database => {
                Some(base64::engine::general_purpose::STANDARD.encode(&photo.bytes))
            }
        };
        let added = self.insert_photo(secret, &id, photo, in_db, max, now).await;
        if !matches!(added, Ok(AddPhoto::Added(_))) {
            self.remove_photo_files(std::slice::from_ref(&id)).await;
        }
        added
    }

    async fn insert_photo(
        &self,
        secret: &str,
        id: &str,
        photo: &NewPhoto,
        data: Option<String>,
        max: usize,
        now: i64,
    ) -> Result<AddPhoto> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT id, reference FROM reports WHERE secret_hash = $1")
            .bind(secret_hash(secret))
            .fetch_optional(tx.conn())
            .await?;
        let Some(row) = row else {
            tx.rollback().await;
            return Ok(AddPhoto::UnknownReport);
        };
        let (report_id, case): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM report_photos WHERE report_id = $1")
            .bind(report_id)
            .fetch_one(tx.conn())
            .await?
            .try_get(0)?;
        if usize::try_from(n).unwrap_or(usize::MAX) >= max {
            tx.rollback().await;
            return Ok(AddPhoto::Full(max));
        }
        let len = i32::try_from(photo.bytes.len()).unwrap_or(i32::MAX);
        let px = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        sqlx::query(
            "INSERT INTO report_photos (id, report_id, content_type, width, height, bytes,
             added_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(report_id)
        .bind(&photo.content_type)
        .bind(px(photo.width))
        .bind(px(photo.height))
        .bind(len)
        .bind(now)
        .bind(data)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(AddPhoto::Added(PhotoMeta {
            id: id.to_string(),
            case,
            content_type: photo.content_type.clone(),
            width: photo.width,
            height: photo.height,
            bytes: photo.bytes.len() as u64,
            added_at: now,
        }))
    }

    /// The photos of reports with these case ids, oldest first.
    pub async fn photos_of(&self, cases: &[String]) -> Result<Vec<PhotoMeta>> {
        let mut out = Vec::new();
        for case in cases {
            let rows = sqlx::query(&format!(
                "{PHOTO_SELECT} WHERE r.reference = $1 ORDER BY p.added_at, p.id"
            ))
            .bind(case)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push(meta(r)?);
            }
        }
        Ok(out)
    }

    /// How many photos the report whose reporter holds `secret` has.
    pub async fn photo_count_by_secret(&self, secret: &str) -> Result<u64> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM report_photos p JOIN reports r ON r.id = p.report_id
             WHERE r.secret_hash = $1",
        )
        .bind(secret_hash(secret))
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A photo of the report `case`, with its bytes.
    pub async fn photo(&self, case: &str, id: &str) -> Result<Option<(PhotoMeta, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT p.id, r.reference, p.content_type, p.width, p.height, p.bytes, p.added_at,
             p.data FROM report_photos p JOIN reports r ON r.id = p.report_id
             WHERE r.reference = $1 AND p.id = $2",
        )
        .bind(case)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let m = meta(&row)?;
        let data: Option<String> = row.try_get(7)?;
        let bytes = match (data, &*self.photos) {
            (Some(b64), _) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| StoreError::Unavailable(format!("photo {id}: {e}")))?,
            (None, PhotoStorage::Files(dir)) => {
                let path = file_of(dir, &m.id);
                tokio::task::spawn_blocking(move || std::fs::read(path))
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("photo storage: {e}")))?
                    .map_err(|e| io_error(&e))?
            }
            (None, PhotoStorage::Database) => {
                return Err(StoreError::Unavailable(format!(
                    "photo {id} is kept in files, and this store reads photos from the database"
                )));
            }
        };
        Ok(Some((m, bytes)))
    }

    /// Deletes photos' files (after their rows are gone); a file that cannot be deleted now
    /// is an orphan for [`Store::sweep_photo_files`].
    pub(crate) async fn remove_photo_files(&self, ids: &[String]) {
        let PhotoStorage::Files(dir) = &*self.photos else {
            return;
        };
        let paths: Vec<PathBuf> = ids.iter().map(|id| file_of(dir, id)).collect();
        let _ = tokio::task::spawn_blocking(move || {
            for p in paths {
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => tracing::warn!(file = %p.display(), error = %e, "photo left behind"),
                }
            }
        })
        .await;
    }

    /// Removes files of photos that have no row (a report erased while a file could not be
    /// deleted, a crash between writing a file and committing its row) and temporary files of
    /// writes that never finished, once they are older than `min_age` (in service,
    /// [`SWEEP_AFTER`]); returns how many photo files went. A younger file may belong to a
    /// photo whose row is about to commit, and is left alone.
    pub async fn sweep_photo_files(&self, min_age: std::time::Duration) -> Result<usize> {
        let PhotoStorage::Files(dir) = &*self.photos else {
            return Ok(0);
        };
        let dir = dir.clone();
        let listed = tokio::task::spawn_blocking(move || old_files(&dir, min_age))
            .await
            .map_err(|e| StoreError::Unavailable(format!("photo storage: {e}")))?;
        let (names, dir) = match listed {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io_error(&e)),
        };
        let mut orphans = Vec::new();
        for name in names {
            let id = match name.strip_suffix(".jpg") {
                Some(id) => id.to_string(),
                // Temporary files of writes that never finished.
                None if name.ends_with(".tmp") => {
                    let _ = std::fs::remove_file(dir.join(&name));
                    continue;
                }
                None => continue,
            };
            let known = sqlx::query("SELECT 1 FROM report_photos WHERE id = $1")
                .bind(&id)
                .fetch_optional(&self.pool)
                .await?
                .is_some();
            if !known {
                orphans.push(id);
            }
        }
        let n = orphans.len();
        self.remove_photo_files(&orphans).await;
        Ok(n)
    }
}

/// The names of the files in `dir` last modified at least `min_age` ago.
fn old_files(dir: &Path, min_age: std::time::Duration) -> std::io::Result<(Vec<String>, PathBuf)> {
    let now = std::time::SystemTime::now();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let Ok(modified) = entry.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        // A clock set back makes a file look young: it waits for a later sweep.
        let age = now.duration_since(modified).unwrap_or_default();
        if age < min_age {
            continue;
        }
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    Ok((names, dir.to_path_buf()))
}

/// Deletes the photo rows of report `reference` inside an erasure; returns their ids (the
/// files go after the commit).
pub(crate) async fn erase_photos_in(
    tx: &mut crate::tx::Write,
    reference: &str,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT p.id FROM report_photos p JOIN reports r ON r.id = p.report_id
         WHERE r.reference = $1",
    )
    .bind(reference)
    .fetch_all(tx.conn())
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    sqlx::query(
        "DELETE FROM report_photos WHERE report_id IN (SELECT id FROM reports WHERE reference = $1)",
    )
    .bind(reference)
    .execute(tx.conn())
    .await?;
    Ok(ids)
}
