//! paradero's storage: the only crate that talks to a database.
//!
//! SQLite by default (one file under `data/`, WAL, created and migrated on first start) and
//! PostgreSQL for deployments where several `paradero serve` replicas share one database. Both
//! run the same versioned migrations (`migrations/`, portable SQL) and the same queries
//! through sqlx's `Any` driver, so there is one implementation of everything, tested on both.
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

mod bot;
mod categories;
mod idempotency;
mod photos;
mod questionnaires;
mod releases;
pub use photos::{AddPhoto, NewPhoto, PhotoMeta, PhotoStorage, SWEEP_AFTER as PHOTO_SWEEP_AFTER};
pub use questionnaires::{ExportLine, NewResponse, StoredSurvey};
pub use releases::StoredRelease;
#[cfg(feature = "test-support")]
pub mod testing;
mod tx;
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

    /// Records planned trips in one transaction.
    pub async fn record_trips(&self, trips: &[TripRecord]) -> Result<()> {
        if trips.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for t in trips {
            let id = new_id();
            sqlx::query(
                "INSERT INTO trips (id, planned_at, local_day, local_hour, channel, origin_zone,
                 dest_zone, found, travel_s, wait_s, walk_s, transfers, routes, gender, age_band,
                 disability, caregiver, purpose, rider, safer)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                 $17, $18, $19, $20)",
            )
            .bind(id)
            .bind(t.planned_at)
            .bind(&t.local_day)
            .bind(i32::from(t.local_hour))
            .bind(t.channel.as_str())
            .bind(&t.origin_zone)
            .bind(&t.dest_zone)
            .bind(i32::from(t.best.is_some()))
            .bind(t.best.as_ref().map(|b| b.travel_s))
            .bind(t.best.as_ref().map(|b| b.wait_s))
            .bind(t.best.as_ref().map(|b| b.walk_s))
            .bind(t.best.as_ref().map(|b| b.transfers))
            .bind(t.best.as_ref().map(|b| b.routes.join(",")))
            .bind(
                t.profile
                    .as_ref()
                    .and_then(|p| p.gender)
                    .map(|g| g.as_str()),
            )
            .bind(
                t.profile
                    .as_ref()
                    .and_then(|p| p.age_band)
                    .map(|a| a.as_str()),
            )
            .bind(t.profile.as_ref().map(|p| i32::from(p.disability)))
            .bind(t.profile.as_ref().map(|p| i32::from(p.caregiver)))
            .bind(
                t.profile
                    .as_ref()
                    .and_then(|p| p.purpose)
                    .map(|p| p.as_str()),
            )
            .bind(t.rider.as_deref())
            .bind(i32::from(t.safer))
            .execute(tx.conn())
            .await?;
        }
        // The aggregates, summed per key over the batch, then added in the same transaction.
        type TripKey<'a> = (&'a str, u8, &'a str, &'a str);
        let mut rollup: std::collections::BTreeMap<TripKey<'_>, [i64; 6]> = Default::default();
        let mut per_route: std::collections::BTreeMap<(&str, &str, u8), i64> = Default::default();
        for t in trips {
            let gender = t
                .profile
                .as_ref()
                .and_then(|p| p.gender)
                .map_or("", |g| g.as_str());
            let purpose = t
                .profile
                .as_ref()
                .and_then(|p| p.purpose)
                .map_or("", |p| p.as_str());
            let e = rollup
                .entry((&t.local_day, t.local_hour, gender, purpose))
                .or_default();
            e[0] += 1;
            if let Some(b) = &t.best {
                e[1] += 1;
                e[2] += i64::from(b.travel_s);
                e[3] += i64::from(b.wait_s);
                e[4] += i64::from(b.walk_s);
                e[5] += i64::from(b.transfers);
                let mut routes: Vec<&String> = b.routes.iter().collect();
                routes.sort_unstable();
                routes.dedup();
                for r in routes {
                    *per_route
                        .entry((&t.local_day, r, t.local_hour))
                        .or_default() += 1;
                }
            }
        }
        for ((day, hour, gender, purpose), v) in rollup {
            sqlx::query(
                "INSERT INTO trip_rollup (local_day, local_hour, gender, purpose, trips, found,
                 travel_s, wait_s, walk_s, transfers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (local_day, local_hour, gender, purpose) DO UPDATE SET
                 trips = trip_rollup.trips + excluded.trips, found = trip_rollup.found + excluded.found,
                 travel_s = trip_rollup.travel_s + excluded.travel_s,
                 wait_s = trip_rollup.wait_s + excluded.wait_s,
                 walk_s = trip_rollup.walk_s + excluded.walk_s,
                 transfers = trip_rollup.transfers + excluded.transfers",
            )
            .bind(day)
            .bind(i32::from(hour))
            .bind(gender)
            .bind(purpose)
            .bind(v[0])
            .bind(v[1])
            .bind(v[2])
            .bind(v[3])
            .bind(v[4])
            .bind(v[5])
            .execute(tx.conn())
            .await?;
        }
        for ((day, route, hour), n) in per_route {
            sqlx::query(
                "INSERT INTO route_rollup (local_day, route_id, local_hour, trips)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (local_day, route_id, local_hour)
                 DO UPDATE SET trips = route_rollup.trips + excluded.trips",
            )
            .bind(day)
            .bind(route)
            .bind(i32::from(hour))
            .bind(n)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Number of trip records (for tests and the dashboard's header).
    pub async fn count_trips(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM trips")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// Stores a report, linking it (for officials only) to a likely duplicate: same category
    /// within `radius_m` and two hours. With an idempotency key already seen for the same
    /// submission, returns the first report and its secret instead of storing another.
    pub async fn create_report(
        &self,
        r: &NewReport,
        idempotency_key: Option<&str>,
        now: i64,
    ) -> Result<Created> {
        let fingerprint = r.fingerprint();
        if let Some(key) = idempotency_key
            && let Some(created) = self.replay(key, &fingerprint, now).await?
        {
            return Ok(created);
        }
        let duplicate_of = self.likely_duplicate(r).await?;
        let id = new_id();
        let reference = new_case_id();
        let secret = new_secret();
        let mut tx = self.begin_write().await?;
        if let Some(key) = idempotency_key {
            // A concurrent retry with the same key loses on the primary key and replays.
            let inserted = sqlx::query(
                "INSERT INTO idempotency (key, fingerprint, reference, created_at, secret)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
            )
            .bind(idempotency::handle(key))
            .bind(&fingerprint)
            .bind(&reference)
            .bind(now)
            .bind(idempotency::seal(key, &reference, &secret))
            .execute(tx.conn())
            .await?
            .rows_affected();
            if inserted == 0 {
                tx.rollback().await;
                return self
                    .replay(key, &fingerprint, now)
                    .await?
                    .ok_or(StoreError::KeyReused);
            }
        }
        sqlx::query(
            "INSERT INTO reports (id, reference, category, lat, lon, stop_id, route_id, zone,
             occurred_at, local_hour, reported_at, description, gender, age_band, channel, status,
             updated_at, duplicate_of, rider, secret_hash, actor_involved, actor_victim)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $22)",
        )
        .bind(id)
        .bind(&reference)
        .bind(&r.category)
        .bind(r.lat)
        .bind(r.lon)
        .bind(r.stop_id.as_deref())
        .bind(r.route_id.as_deref())
        .bind(&r.zone)
        .bind(r.occurred_at)
        .bind(i32::from(r.local_hour))
        .bind(now)
        .bind(r.description.as_deref())
        .bind(r.gender.map(|g| g.as_str()))
        .bind(r.age_band.map(|a| a.as_str()))
        .bind(r.channel.as_str())
        .bind(Status::Open.as_str())
        .bind(now)
        .bind(duplicate_of.as_deref())
        .bind(r.rider.as_deref())
        .bind(secret_hash(&secret))
        .bind(r.actors.involved.as_deref())
        .bind(r.actors.victim.as_deref())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        // Built from what was written, not read back: once COMMIT returned, the answer is a
        // success even if the database stopped answering right after.
        Ok(Created {
            report: Report {
                reference,
                category: r.category.clone(),
                lat: r.lat,
                lon: r.lon,
                stop_id: r.stop_id.clone(),
                route_id: r.route_id.clone(),
                zone: r.zone.clone(),
                occurred_at: r.occurred_at,
                local_hour: r.local_hour,
                reported_at: now,
                description: r.description.clone(),
                gender: r.gender,
                age_band: r.age_band,
                channel: r.channel,
                status: Status::Open,
                updated_at: now,
                acknowledged_at: None,
                closed_at: None,
                duplicate_of,
                actors: r.actors.clone(),
            },
            secret,
            replayed: false,
        })
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

    /// Deletes idempotency keys (and the secrets they replay) older than a day; a key seen
    /// again after that is a new submission.
    pub async fn expire_idempotency_keys(&self, now: i64) -> Result<u64> {
        self.write_one(
            sqlx::query("DELETE FROM idempotency WHERE created_at <= $1")
                .bind(now - IDEMPOTENCY_TTL_S),
        )
        .await
    }

    /// A report by the secret its reporter holds.
    pub async fn report_by_secret(&self, secret: &str) -> Result<Option<Report>> {
        let row = sqlx::query(&format!("{REPORT_SELECT} WHERE secret_hash = $1"))
            .bind(secret_hash(secret))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| report_from_row(&r)).transpose()
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

    /// The earliest report of the same category within 200 m and 2 hours, if any. The
    /// distance is tested in SQL (equirectangular, exact to well under a metre at 200 m) and
    /// the scan, along the (category, occurred_at) index, stops at the first match: a spot
    /// with thousands of reports costs what a spot with one does.
    async fn likely_duplicate(&self, r: &NewReport) -> Result<Option<String>> {
        const WINDOW_S: i64 = 2 * 3600;
        let (Some(lat), Some(lon)) = (r.lat, r.lon) else {
            return Ok(None);
        };
        let dlat = DUPLICATE_RADIUS_M / 111_320.0;
        let cos = lat.to_radians().cos().max(0.01);
        let dlon = dlat / cos;
        let row = sqlx::query(
            "SELECT reference FROM reports
             WHERE category = $1 AND occurred_at BETWEEN $2 AND $3
               AND lat BETWEEN $4 AND $5 AND lon BETWEEN $6 AND $7
               AND (lat - $8) * (lat - $9) + (lon - $10) * (lon - $11) * $12 <= $13
             ORDER BY occurred_at, reference LIMIT 1",
        )
        .bind(&r.category)
        .bind(r.occurred_at - WINDOW_S)
        .bind(r.occurred_at + WINDOW_S)
        .bind(lat - dlat)
        .bind(lat + dlat)
        .bind(lon - dlon)
        .bind(lon + dlon)
        .bind(lat)
        .bind(lat)
        .bind(lon)
        .bind(lon)
        .bind(cos * cos)
        .bind(dlat * dlat)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| row.try_get(0))
            .transpose()
            .map_err(Into::into)
    }

    /// A report by its reference.
    pub async fn report(&self, reference: &str) -> Result<Option<Report>> {
        let row = sqlx::query(&format!("{REPORT_SELECT} WHERE reference = $1"))
            .bind(reference)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| report_from_row(&r)).transpose()
    }

    /// Reports matching a filter, newest first.
    pub async fn reports(&self, f: &ReportFilter) -> Result<Vec<Report>> {
        let rows = sqlx::query(&format!(
            "{REPORT_SELECT} WHERE occurred_at >= $1 AND occurred_at < $2
               AND ($3 = '' OR status = $3) AND ($4 = '' OR category = $4)
             ORDER BY occurred_at DESC, reference LIMIT $5"
        ))
        .bind(f.from)
        .bind(f.to)
        .bind(f.status.map_or("", |s| s.as_str()))
        .bind(f.category.as_deref().unwrap_or(""))
        .bind(f.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report_from_row).collect()
    }

    /// The status history of a report, oldest first.
    pub async fn report_events(&self, reference: &str) -> Result<Vec<ReportEvent>> {
        let rows = sqlx::query(
            "SELECT e.at, e.status, e.note, e.official FROM report_events e
             JOIN reports r ON r.id = e.report_id WHERE r.reference = $1 ORDER BY e.at, e.id",
        )
        .bind(reference)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportEvent {
                    at: r.try_get(0)?,
                    status: parse_status(&r.try_get::<String, _>(1)?)?,
                    note: r.try_get(2)?,
                    official: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Moves a report along the workflow (open → acknowledged → in progress → closed), with
    /// an official's note.
    pub async fn change_status(
        &self,
        reference: &str,
        to: Status,
        note: &str,
        official: &str,
        now: i64,
    ) -> Result<Report> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT id, status FROM reports WHERE reference = $1")
            .bind(reference)
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| StoreError::UnknownReport(reference.to_string()))?;
        let id: i64 = row.try_get(0)?;
        let from = parse_status(&row.try_get::<String, _>(1)?)?;
        if !from.can_become(to) {
            return Err(StoreError::BadTransition { from, to });
        }
        // Guarded by the status read above, so two officials racing cannot both move it.
        let changed = sqlx::query(
            "UPDATE reports SET status = $1, updated_at = $2,
               acknowledged_at = CASE WHEN acknowledged_at IS NULL AND $3 = 1 THEN $4 ELSE acknowledged_at END,
               closed_at = CASE WHEN $5 = 1 THEN $6 ELSE NULL END
             WHERE id = $7 AND status = $8",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(i32::from(to != Status::Open))
        .bind(now)
        .bind(i32::from(to == Status::Closed))
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::BadTransition { from, to });
        }
        sqlx::query(
            "INSERT INTO report_events (id, report_id, at, status, note, official)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(id)
        .bind(now)
        .bind(to.as_str())
        .bind(note)
        .bind(official)
        .execute(tx.conn())
        .await?;
        // The reporter is told (by the bot) if the report is linked to one.
        sqlx::query(
            "INSERT INTO notifications (id, rider, reference, status, note, created_at)
             SELECT $1, rider, reference, $2, $3, $4 FROM reports WHERE id = $5 AND rider IS NOT NULL",
        )
        .bind(new_id())
        .bind(to.as_str())
        .bind(note)
        .bind(now)
        .bind(id)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        self.report(reference)
            .await?
            .ok_or_else(|| StoreError::UnknownReport(reference.to_string()))
    }

    /// Stores a survey answer.
    pub async fn add_survey(&self, s: &NewSurvey) -> Result<()> {
        self.write_one(
            sqlx::query(
                "INSERT INTO surveys (id, answered_at, local_hour, route_id, safety, satisfaction,
             gender, age_band, channel, rider) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(new_id())
            .bind(s.answered_at)
            .bind(i32::from(s.local_hour))
            .bind(s.route_id.as_deref())
            .bind(s.safety.map(i32::from))
            .bind(s.satisfaction.map(i32::from))
            .bind(s.gender.map(|g| g.as_str()))
            .bind(s.age_band.map(|a| a.as_str()))
            .bind(s.channel.as_str())
            .bind(s.rider.as_deref()),
        )
        .await?;
        Ok(())
    }

    /// Creates an official and returns their bearer token; only its hash is stored, so this
    /// is the only time it can be seen.
    pub async fn create_official(&self, name: &str, role: Role, now: i64) -> Result<String> {
        let mut bytes = [0u8; 24];
        rand::rng().fill(&mut bytes);
        let token = format!(
            "pdr_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        self.write_one(
            sqlx::query(
                "INSERT INTO officials (id, name, role, token_hash, created_at)
             VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_id())
            .bind(name)
            .bind(role.as_str())
            .bind(sha256_hex(&token))
            .bind(now),
        )
        .await?;
        Ok(token)
    }

    /// The official a bearer token belongs to, unless unknown or revoked.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Official>> {
        let row = sqlx::query(
            "SELECT name, role FROM officials WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(sha256_hex(token))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let role: String = r.try_get(1)?;
            Ok(Official {
                name: r.try_get(0)?,
                role: Role::from_str(&role)
                    .map_err(|()| StoreError::Open(format!("unknown role `{role}` stored")))?,
            })
        })
        .transpose()
    }

    /// Revokes every token of an official by name; returns how many.
    pub async fn revoke_official(&self, name: &str, now: i64) -> Result<u64> {
        self.write_one(
            sqlx::query(
                "UPDATE officials SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(name),
        )
        .await
    }

    /// Right to erasure: deletes a rider's trips and survey answers and unlinks their reports
    /// (the reports stay, anonymous, for the statistics and the officials handling them).
    pub async fn erase_rider(&self, rider: &str) -> Result<Erased> {
        let mut tx = self.begin_write().await?;
        let trips = sqlx::query("DELETE FROM trips WHERE rider = $1")
            .bind(rider)
            .execute(tx.conn())
            .await?
            .rows_affected();
        let mut surveys = sqlx::query("DELETE FROM surveys WHERE rider = $1")
            .bind(rider)
            .execute(tx.conn())
            .await?
            .rows_affected();
        sqlx::query(
            "DELETE FROM survey_selections
             WHERE response_id IN (SELECT id FROM survey_responses WHERE rider = $1)",
        )
        .bind(rider)
        .execute(tx.conn())
        .await?;
        surveys += sqlx::query("DELETE FROM survey_responses WHERE rider = $1")
            .bind(rider)
            .execute(tx.conn())
            .await?
            .rows_affected();
        let reports = sqlx::query("UPDATE reports SET rider = NULL WHERE rider = $1")
            .bind(rider)
            .execute(tx.conn())
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM notifications WHERE rider = $1")
            .bind(rider)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(Erased {
            trips,
            surveys,
            reports_unlinked: reports,
        })
    }

    /// Right to erasure, by the secret only the reporter holds: deletes the report, its
    /// history, the idempotency keys and notifications pointing at it. Returns whether there
    /// was one.
    pub async fn erase_report_by_secret(&self, secret: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT reference FROM reports WHERE secret_hash = $1")
            .bind(secret_hash(secret))
            .fetch_optional(tx.conn())
            .await?;
        let Some(row) = row else {
            tx.rollback().await;
            return Ok(false);
        };
        let reference: String = row.try_get(0)?;
        let (_, photos) = erase_in(&mut tx, &reference).await?;
        tx.commit().await?;
        self.remove_photo_files(&photos).await;
        Ok(true)
    }

    /// Erasure by the officials' case id (the bot's `/borrar`, tests).
    pub async fn erase_report(&self, reference: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let (n, photos) = erase_in(&mut tx, reference).await?;
        tx.commit().await?;
        self.remove_photo_files(&photos).await;
        Ok(n > 0)
    }

    /// Retention: deletes raw trip records planned before `before`.
    pub async fn delete_trips_before(&self, before: i64) -> Result<u64> {
        self.write_one(sqlx::query("DELETE FROM trips WHERE planned_at < $1").bind(before))
            .await
    }

    /// Trip counts and sums for indicators, grouped by gender, hour and purpose, for the local
    /// days `from_day..=to_day` (`YYYY-MM-DD`), from the aggregates.
    pub async fn trip_groups(&self, from_day: &str, to_day: &str) -> Result<Vec<TripGroup>> {
        // PostgreSQL sums BIGINT into NUMERIC: cast back, on both backends.
        let rows = self
            .rows_between(
                "SELECT gender, local_hour, purpose, CAST(SUM(trips) AS BIGINT),
                    CAST(SUM(found) AS BIGINT), CAST(SUM(travel_s) AS BIGINT),
                    CAST(SUM(wait_s) AS BIGINT), CAST(SUM(walk_s) AS BIGINT),
                    CAST(SUM(transfers) AS BIGINT)
             FROM trip_rollup WHERE local_day >= $1 AND local_day <= $2
             GROUP BY gender, local_hour, purpose",
                from_day,
                to_day,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TripGroup {
                    gender: non_empty(r.try_get(0)?),
                    local_hour: hour(r, 1)?,
                    purpose: non_empty(r.try_get(2)?),
                    trips: r.try_get(3)?,
                    found: r.try_get(4)?,
                    travel_s: r.try_get(5)?,
                    wait_s: r.try_get(6)?,
                    walk_s: r.try_get(7)?,
                    transfers: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// Incident counts grouped by category, gender, hour and route.
    /// With `by_zone`, also by zone (more groups; only when a table asks for it).
    pub async fn report_groups(
        &self,
        from: i64,
        to: i64,
        by_zone: bool,
    ) -> Result<Vec<ReportGroup>> {
        // PostgreSQL refuses a constant in GROUP BY: group by the zone only when asked.
        let (zone, group_zone) = if by_zone {
            ("zone", ", zone")
        } else {
            ("''", "")
        };
        let sql = format!(
            "SELECT category, COALESCE(gender, ''), local_hour, COALESCE(route_id, ''), COUNT(*),
                    {zone}
             FROM reports WHERE occurred_at >= $1 AND occurred_at < $2
             GROUP BY category, COALESCE(gender, ''), local_hour, COALESCE(route_id, ''){group_zone}"
        );
        let rows = self.rows_between(&sql, from, to).await?;
        rows.iter()
            .map(|r| {
                Ok(ReportGroup {
                    category: r.try_get(0)?,
                    gender: non_empty(r.try_get(1)?),
                    local_hour: hour(r, 2)?,
                    route_id: non_empty(r.try_get(3)?),
                    reports: r.try_get(4)?,
                    zone: non_empty(r.try_get(5)?),
                })
            })
            .collect()
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

/// A plain connection to a PostgreSQL server, for administration (creating databases).
#[derive(Debug)]
pub struct Admin {
    pool: AnyPool,
}

impl Store {
    /// Connects to a PostgreSQL server without migrating anything.
    pub async fn admin_connect(url: &str) -> Result<Admin> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        Ok(Admin { pool })
    }
}

impl Admin {
    /// Creates a database named with lower-case letters, digits and underscores.
    pub async fn create_database(&self, name: &str) -> Result<()> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Open(format!("bad database name `{name}`")));
        }
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Planned trips per route and hour (demand), for the local days `from_day..=to_day`.
    pub async fn route_demand(&self, from_day: &str, to_day: &str) -> Result<Vec<RouteHour>> {
        let rows = self
            .rows_between(
                "SELECT route_id, local_hour, CAST(SUM(trips) AS BIGINT) FROM route_rollup
             WHERE local_day >= $1 AND local_day <= $2 GROUP BY route_id, local_hour",
                from_day,
                to_day,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RouteHour {
                    route_id: r.try_get(0)?,
                    local_hour: hour(r, 1)?,
                    count: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Survey answers grouped by gender, hour and route.
    pub async fn survey_groups(&self, from: i64, to: i64) -> Result<Vec<SurveyGroup>> {
        let rows = self
            .rows_between(
                "SELECT COALESCE(gender, ''), local_hour, COALESCE(route_id, ''), COUNT(*),
                    COALESCE(SUM(safety), 0), COUNT(safety),
                    COALESCE(SUM(satisfaction), 0), COUNT(satisfaction)
             FROM surveys WHERE answered_at >= $1 AND answered_at < $2
             GROUP BY COALESCE(gender, ''), local_hour, COALESCE(route_id, '')",
                from,
                to,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SurveyGroup {
                    gender: non_empty(r.try_get(0)?),
                    local_hour: hour(r, 1)?,
                    route_id: non_empty(r.try_get(2)?),
                    answers: r.try_get(3)?,
                    safety_sum: r.try_get(4)?,
                    safety_n: r.try_get(5)?,
                    satisfaction_sum: r.try_get(6)?,
                    satisfaction_n: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// How reports reported in `[from, to)` were handled.
    pub async fn handling(&self, from: i64, to: i64) -> Result<Handling> {
        let rows = self
            .rows_between(
                "SELECT reported_at, acknowledged_at, closed_at FROM reports
             WHERE reported_at >= $1 AND reported_at < $2",
                from,
                to,
            )
            .await?;
        let mut h = Handling::default();
        for r in &rows {
            let reported: i64 = r.try_get(0)?;
            let ack: Option<i64> = r.try_get(1)?;
            let closed: Option<i64> = r.try_get(2)?;
            h.reports += 1;
            if ack.is_some_and(|a| a - reported <= 48 * 3600) {
                h.acknowledged_within_48h += 1;
            }
            if let Some(c) = closed {
                h.closed += 1;
                h.close_durations_s.push(c - reported);
            }
        }
        h.close_durations_s.sort_unstable();
        Ok(h)
    }

    /// Incidents in a zone grid: count per (zone, category).
    pub async fn report_zones(&self, from: i64, to: i64) -> Result<Vec<(String, String, i64)>> {
        let rows = self
            .rows_between(
                "SELECT zone, category, COUNT(*) FROM reports
             WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY zone, category",
                from,
                to,
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }
}

/// Deletes a report and everything pointing at it, inside `tx`; returns rows deleted.
/// Erases report `reference` with everything attached; returns the rows it deleted and the
/// ids of its photos (whose files go once the transaction commits).
async fn erase_in(tx: &mut tx::Write, reference: &str) -> Result<(u64, Vec<String>)> {
    let photos = photos::erase_photos_in(tx, reference).await?;
    sqlx::query(
        "DELETE FROM report_events WHERE report_id IN
         (SELECT id FROM reports WHERE reference = $1)",
    )
    .bind(reference)
    .execute(tx.conn())
    .await?;
    for sql in [
        "DELETE FROM idempotency WHERE reference = $1",
        "DELETE FROM notifications WHERE reference = $1",
    ] {
        sqlx::query(sql).bind(reference).execute(tx.conn()).await?;
    }
    let n = sqlx::query("DELETE FROM reports WHERE reference = $1")
        .bind(reference)
        .execute(tx.conn())
        .await?
        .rows_affected();
    // Later reports that pointed at it as a likely duplicate no longer do.
    sqlx::query("UPDATE reports SET duplicate_of = NULL WHERE duplicate_of = $1")
        .bind(reference)
        .execute(tx.conn())
        .await?;
    Ok((n, photos))
}

const DUPLICATE_RADIUS_M: f64 = 200.0;

const REPORT_SELECT: &str = "SELECT reference, category, lat, lon, stop_id, route_id, zone,
    occurred_at, local_hour, reported_at, description, gender, age_band, channel, status,
    updated_at, acknowledged_at, closed_at, duplicate_of, actor_involved, actor_victim
    FROM reports";

fn non_empty(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

pub(crate) fn hour(r: &AnyRow, i: usize) -> Result<u8> {
    let h: i32 = r.try_get(i)?;
    Ok(u8::try_from(h.clamp(0, 23)).unwrap_or(0))
}

fn parse_status(s: &str) -> Result<Status> {
    Status::from_str(s).map_err(|()| StoreError::Open(format!("unknown status `{s}` stored")))
}

fn report_from_row(r: &AnyRow) -> Result<Report> {
    let gender: Option<String> = r.try_get(11)?;
    let age: Option<String> = r.try_get(12)?;
    let channel: String = r.try_get(13)?;
    Ok(Report {
        reference: r.try_get(0)?,
        category: r.try_get(1)?,
        lat: r.try_get(2)?,
        lon: r.try_get(3)?,
        stop_id: r.try_get(4)?,
        route_id: r.try_get(5)?,
        zone: r.try_get(6)?,
        occurred_at: r.try_get(7)?,
        local_hour: hour(r, 8)?,
        reported_at: r.try_get(9)?,
        description: r.try_get(10)?,
        gender: gender.as_deref().and_then(|g| Gender::from_str(g).ok()),
        age_band: age.as_deref().and_then(|a| AgeBand::from_str(a).ok()),
        channel: Channel::from_str(&channel).unwrap_or(Channel::Api),
        status: parse_status(&r.try_get::<String, _>(14)?)?,
        updated_at: r.try_get(15)?,
        acknowledged_at: r.try_get(16)?,
        closed_at: r.try_get(17)?,
        duplicate_of: r.try_get(18)?,
        actors: RoadActors {
            involved: r.try_get(19)?,
            victim: r.try_get(20)?,
        },
    })
}

/// Great-circle distance in metres.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}
