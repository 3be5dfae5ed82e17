//! paradero's storage: the only crate that talks to a database.
//!
//! SQLite by default (one file under `data/`, WAL, created and migrated on first start) and
//! PostgreSQL for deployments where several `paradero serve` replicas share one database. Both
//! run the same versioned migrations (`migrations/`, portable SQL) and the same queries
//! through sqlx's `Any` driver, so there is one implementation of everything, tested on both.
//!
//! One module per kind of record: `trips`, `reports`, `officials`, `riders` (erasure),
//! `surveys` (route ratings), `questionnaires`, `releases`, `photos`, `categories`, `bot`
//! (chats and notifications), `idempotency`; `admin` for a PostgreSQL server's administration.
//! This file opens the database and holds what they share.
//!
//! What is stored is anonymous by construction: trips carry zones, not coordinates; profiles
//! only with consent; a rider is at most a hashed handle that lets them erase their records.

pub use observatory::model::*;

use rand::Rng;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not `sqlite:…` or `postgres://…`.
    #[error("store url `{0}` must start with sqlite:// (a file) or postgres://")]
    BadUrl(String),
    /// The database could not be opened, created or migrated.
    #[error("cannot open the database: {0}")]
    Open(String),
    /// A query failed for a reason other than the faults below.
    #[error("database error: {0}")]
    Db(sqlx::Error),
    /// The data volume is full (SQLite `SQLITE_FULL`, PostgreSQL `disk_full`): nothing was
    /// written.
    #[error("no space left on the data volume: nothing was written")]
    DiskFull,
    /// The data volume or database is read-only: nothing was written.
    #[error("the data volume is read-only: nothing was written")]
    ReadOnly,
    /// The database did not answer (connection lost, busy, shutting down, I/O error).
    #[error("the database is not answering: {0}")]
    Unavailable(String),
    /// No report with this reference.
    #[error("no report with reference `{0}`")]
    UnknownReport(String),
    /// The status workflow does not allow this change.
    #[error("a report cannot go from `{from}` to `{to}`")]
    BadTransition {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// An idempotency key was reused for a different submission.
    #[error("this Idempotency-Key was already used for a different submission")]
    KeyReused,
}

impl StoreError {
    /// A fault of the database or its volume (not of the request): worth a 503 and a retry.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            StoreError::Db(_)
                | StoreError::DiskFull
                | StoreError::ReadOnly
                | StoreError::Unavailable(_)
                | StoreError::Open(_)
        )
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A connection pool and the backend behind it.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time; writers queue here instead of sleeping in
    /// SQLite's busy handler (which backs off by milliseconds and caps ingest).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite `max_page_count` applied before each use; 0: none set.
    page_limit: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// Where photos' bytes go.
    photos: std::sync::Arc<PhotoStorage>,
}

/// Settings of every new connection.
async fn prepare(
    backend: Backend,
    conn: &mut sqlx::AnyConnection,
) -> std::result::Result<(), sqlx::Error> {
    if backend == Backend::Sqlite {
        // WAL: readers never block the writer. synchronous=NORMAL: a commit is in the WAL
        // file (the OS holds it) before it is acknowledged, so it survives a crash or kill -9
        // of the server; only a power cut can lose the last commits. FULL would fsync every
        // commit and cap ingest at the disk's fsync rate (PostgreSQL is the choice where that
        // matters). busy_timeout only matters between processes: writers of this one take
        // turns before they touch the file.
        for pragma in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 5000",
        ] {
            sqlx::query(pragma).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// The SQLite URL of a file, built from its path: the folder is created and made absolute
/// (no `..`, no host part for the URL parser to misread), and every byte that means something
/// in a URL is percent-encoded, so any path works.
fn sqlite_url(path: &Path) -> Result<String> {
    let name = path
        .file_name()
        .ok_or_else(|| StoreError::Open(format!("`{}` names no file", path.display())))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io_open_error(&dir, &e))?;
    let dir = std::fs::canonicalize(&dir).map_err(|e| io_open_error(&dir, &e))?;
    let file = dir.join(name);
    let url = url::Url::from_file_path(&file)
        .map_err(|()| StoreError::Open(format!("`{}` is not a usable path", file.display())))?;
    Ok(format!("sqlite://{}?mode=rwc", url.path()))
}

fn io_open_error(dir: &Path, e: &std::io::Error) -> StoreError {
    if e.raw_os_error() == Some(28) {
        return StoreError::DiskFull;
    }
    StoreError::Open(format!("cannot create the folder {}: {e}", dir.display()))
}

fn shown(location: &Location) -> String {
    match location {
        Location::Sqlite(p) => p.display().to_string(),
        Location::Memory => "an in-memory database".into(),
        // Never print a password.
        Location::Postgres(url) => url::Url::parse(url).map_or_else(
            |_| "the PostgreSQL server".into(),
            |u| format!("postgres://{}{}", u.host_str().unwrap_or(""), u.path()),
        ),
    }
}

/// Why opening failed, as plainly as the driver lets us tell: a full or read-only volume
/// is named as such, not as a pool timeout.
fn open_error(location: &Location, e: sqlx::Error) -> StoreError {
    let e = StoreError::from(e);
    if matches!(e, StoreError::DiskFull | StoreError::ReadOnly) {
        return e;
    }
    // SQLite on a full volume fails in several ways (the shared-memory file cannot grow: an
    // I/O error; a pool that retries until it times out), and which one depends on timing.
    // The volume itself answers plainly.
    if let Location::Sqlite(path) = location
        && let Some(fault) = path.parent().and_then(volume_fault)
    {
        return fault;
    }
    match e {
        StoreError::Db(e) => StoreError::Open(format!("{}: {e}", shown(location))),
        StoreError::Unavailable(why) => StoreError::Open(format!("{}: {why}", shown(location))),
        other => other,
    }
}

/// Whether the folder's volume refuses a small write: full (`DiskFull`) or read-only
/// (`ReadOnly`). Writes, syncs and removes a 64 KiB probe file; only used when opening failed.
fn volume_fault(dir: &Path) -> Option<StoreError> {
    use std::io::{ErrorKind, Write};
    let probe = dir.join(format!(".paradero-space-probe-{}", new_handle()));
    let written = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&[0u8; 65_536])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    match written.err()?.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Some(StoreError::DiskFull),
        ErrorKind::ReadOnlyFilesystem => Some(StoreError::ReadOnly),
        _ => None,
    }
}

/// The real reason a pool could not open: a write on a direct connection (a full or
/// read-only volume shows there), else the pool's own error.
async fn why_not_open(
    location: &Location,
    options: &sqlx::any::AnyConnectOptions,
    pool_error: sqlx::Error,
) -> StoreError {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::AnyConnection::connect_with(options).await {
        let probe = sqlx::query("CREATE TABLE IF NOT EXISTS paradero_open_probe (x INTEGER)")
            .execute(&mut conn)
            .await;
        let _ = sqlx::query("DROP TABLE IF EXISTS paradero_open_probe")
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        if let Err(e) = probe {
            let e = open_error(location, e);
            if matches!(e, StoreError::DiskFull | StoreError::ReadOnly) {
                return e;
            }
        }
    }
    open_error(location, pool_error)
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A new random id: positive, 62 bits, so it fits every backend's BIGINT.
fn new_id() -> i64 {
    (rand::rng().random::<u64>() >> 2) as i64
}

/// Characters of references: no look-alikes (0/O, 1/I/L), upper case.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn random_code(prefix: &str, len: usize) -> String {
    // rand's ThreadRng is a CSPRNG (ChaCha12) seeded from the operating system.
    let mut rng = rand::rng();
    let tail: String = (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// The secret a reporter keeps: `R-` and 20 characters of 31, 99 random bits.
pub fn new_secret() -> String {
    random_code("R-", 20)
}

/// The officials' case id: `C-` and 10 characters (not a secret: it grants nothing).
fn new_case_id() -> String {
    random_code("C-", 10)
}

/// How a secret is stored and looked up.
pub fn secret_hash(secret: &str) -> String {
    sha256_hex(&format!("paradero-report-secret:{}", secret.trim()))
}

/// How long an idempotency key (and the secret it replays) is kept, seconds.
pub const IDEMPOTENCY_TTL_S: i64 = 86_400;

pub use observatory::sha256_hex;

mod alerts;
mod bot;
mod categories;
pub use alerts::{AlertDelivery, StoredAlert};
mod idempotency;
mod live;
mod photos;
mod questionnaires;
mod releases;
pub use photos::{AddPhoto, NewPhoto, PhotoMeta, PhotoStorage, SWEEP_AFTER as PHOTO_SWEEP_AFTER};
pub use questionnaires::{ExportLine, NewResponse, StoredSurvey};
pub use releases::StoredRelease;
mod admin;
mod officials;
mod reports;
mod riders;
mod service;
pub use service::ServiceRow;
mod surveys;
#[cfg(feature = "test-support")]
pub mod testing;
mod trips;
mod tx;
pub use admin::Admin;
pub use bot::{BotChat, Notification};

/// A new random handle for a rider (128 bits, hex): linked to nothing outside the store.
pub fn new_handle() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (created, with its folder, on first open).
    Sqlite(PathBuf),
    /// A throwaway in-memory SQLite database (tests).
    Memory,
    /// A PostgreSQL server, `postgres://user@host/db`.
    Postgres(String),
}

impl Location {
    /// Reads `sqlite:path` / `sqlite://path` (the path taken as it is, relative to the working
    /// directory unless absolute; never parsed as a URL, so `sqlite://config/../x.db` is the
    /// file `config/../x.db`), `sqlite::memory:` or `postgres://…`.
    pub fn parse(url: &str) -> Result<Location> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or(path);
            return match path {
                ":memory:" => Ok(Location::Memory),
                "" => Err(StoreError::BadUrl(url.to_string())),
                p => Ok(Location::Sqlite(PathBuf::from(p))),
            };
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres(url.to_string()));
        }
        Err(StoreError::BadUrl(url.to_string()))
    }
}

impl Store {
    /// Opens (creating and migrating if needed) the database at `url`; see
    /// [`Location::parse`].
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_at(&Location::parse(url)?).await
    }

    /// Opens (creating and migrating if needed) the database at `location`.
    pub async fn open_at(location: &Location) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = match location {
            Location::Sqlite(path) => (Backend::Sqlite, sqlite_url(path)?),
            Location::Memory => (Backend::Sqlite, "sqlite::memory:".to_string()),
            Location::Postgres(url) => (Backend::Postgres, url.clone()),
        };
        let options = sqlx::any::AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Open(format!("{}: {e}", shown(location))))?;
        // One connection first, outside the pool: a pool that cannot connect only says that
        // it timed out, while this says why (a full disk, a refused connection).
        {
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect_with(&options)
                .await
                .map_err(|e| open_error(location, e))?;
            prepare(backend, &mut conn)
                .await
                .map_err(|e| open_error(location, e))?;
            let _ = conn.close().await;
        }
        let page_limit = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let limit = page_limit.clone();
        let on_connect = page_limit.clone();
        let pool_options = AnyPoolOptions::new()
            // SQLite has one writer at a time; a few connections serve readers meanwhile.
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            // A database that is down fails a request in seconds, not half a minute.
            .acquire_timeout(std::time::Duration::from_secs(5))
            .min_connections(1)
            // The page cap goes on new connections too: `before_acquire` only sees idle ones,
            // and a capped store must not hand out an uncapped fresh connection.
            .after_connect(move |conn, _| {
                let limit = on_connect.clone();
                Box::pin(async move {
                    prepare(backend, conn).await?;
                    let pages = limit.load(std::sync::atomic::Ordering::Relaxed);
                    if pages > 0 {
                        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .before_acquire(move |conn, _| {
                let limit = limit.clone();
                Box::pin(async move {
                    let pages = limit.load(std::sync::atomic::Ordering::Relaxed);
                    if pages > 0 {
                        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(true)
                })
            });
        let pool = match pool_options.connect_with(options.clone()).await {
            Ok(pool) => pool,
            // A pool that cannot connect only says it timed out; the probe above can pass on
            // a volume with a few bytes left. A write on a direct connection says why.
            Err(e) => return Err(why_not_open(location, &options, e).await),
        };
        if let Err(e) = MIGRATOR.run(&pool).await {
            pool.close().await;
            return Err(match e {
                sqlx::migrate::MigrateError::Execute(e) => {
                    why_not_open(location, &options, e).await
                }
                e => StoreError::Open(format!("{}: migrations failed: {e}", shown(location))),
            });
        }
        let store = Store {
            pool,
            backend,
            writer: std::sync::Arc::new(tokio::sync::Mutex::new(())),
            page_limit,
            // Beside a SQLite file, photos are files in its folder; elsewhere, rows.
            photos: std::sync::Arc::new(match location {
                Location::Sqlite(path) => PhotoStorage::Files(
                    path.parent()
                        .unwrap_or_else(|| Path::new("."))
                        .join("photos"),
                ),
                Location::Memory | Location::Postgres(_) => PhotoStorage::Database,
            }),
        };
        store.backfill_secrets().await?;
        Ok(store)
    }

    /// Caps a SQLite database at `pages` pages (SQLite's own `max_page_count`, applied to
    /// every connection before use); `None` lifts the cap. Writes past it fail as on a full
    /// disk, which is what the fault tests use where they cannot mount a small file system.
    pub fn limit_sqlite_pages(&self, pages: Option<u32>) {
        // 1073741823 is SQLite's default maximum.
        self.page_limit.store(
            pages.unwrap_or(1_073_741_823).max(1),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The report an idempotency key stored, with its secret, when the key is fresh (younger
    /// than [`IDEMPOTENCY_TTL_S`]) and the submission the same; a key reused for another
    /// submission is an error.
    async fn replay(&self, key: &str, fingerprint: &str, now: i64) -> Result<Option<Created>> {
        let row = sqlx::query(
            "SELECT fingerprint, reference, secret FROM idempotency
             WHERE key = $1 AND created_at > $2",
        )
        .bind(idempotency::handle(key))
        .bind(now - IDEMPOTENCY_TTL_S)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let fp: String = row.try_get(0)?;
        if fp != fingerprint {
            return Err(StoreError::KeyReused);
        }
        let reference: String = row.try_get(1)?;
        let sealed: Option<String> = row.try_get(2)?;
        let secret = sealed
            .and_then(|s| idempotency::open(key, &reference, &s))
            .unwrap_or_default();
        let report = self
            .report(&reference)
            .await?
            .ok_or(StoreError::UnknownReport(reference))?;
        Ok(Some(Created {
            report,
            secret,
            replayed: true,
        }))
    }

    /// Gives reports from before secrets existed one: the hash of their old reference,
    /// which their reporters hold. Runs at every open; touches only rows without one.
    async fn backfill_secrets(&self) -> Result<()> {
        let rows = sqlx::query("SELECT id, reference FROM reports WHERE secret_hash IS NULL")
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let reference: String = r.try_get(1)?;
            sqlx::query("UPDATE reports SET secret_hash = $1 WHERE id = $2")
                .bind(secret_hash(&reference))
                .bind(id)
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await
    }
}

impl Store {
    /// Rows of `sql`, whose `$1` and `$2` are the two ends of a range.
    async fn rows_between<'q, T>(&self, sql: &'q str, from: T, to: T) -> Result<Vec<AnyRow>>
    where
        T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        Ok(sqlx::query(sql)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?)
    }
}

pub(crate) fn non_empty(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

pub(crate) fn hour(r: &AnyRow, i: usize) -> Result<u8> {
    let h: i32 = r.try_get(i)?;
    Ok(u8::try_from(h.clamp(0, 23)).unwrap_or(0))
}

/// Great-circle distance in metres.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}
