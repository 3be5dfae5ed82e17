//! Write transactions that never leave a connection behind in a broken state.
//!
//! sqlx's own `Transaction` rolls back lazily: dropped without a commit, it queues a
//! `ROLLBACK` and returns its connection to the pool. When that rollback (or a `COMMIT`) fails
//! — a full disk, an I/O error, a server that went away — the pooled connection can stay
//! inside an open transaction, holding SQLite's write lock: later writes then wait on
//! `database is locked`, and autocommit statements run on that connection silently join a
//! transaction nobody will commit (acknowledged, then lost on restart). Here a write that does
//! not commit closes its connection instead of returning it, so the pool only ever holds
//! connections in autocommit state, and a `Write` is acknowledged only after `COMMIT` returned.

use crate::{Backend, Result, Store, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};
use std::time::Duration;

/// How long a writer waits for its turn (SQLite has one writer at a time) before the request
/// is answered "busy" instead of hanging until the HTTP timeout.
const TURN_WAIT: Duration = Duration::from_secs(5);

/// One write transaction: `BEGIN` done, `COMMIT` by [`Write::commit`]; dropped otherwise, it
/// closes its connection (the database rolls the transaction back).
pub(crate) struct Write {
    conn: PoolConnection<Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    clean: bool,
}

impl std::fmt::Debug for Write {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Write")
    }
}

impl Store {
    /// Starts a write transaction (taking SQLite's write lock at once, `BEGIN IMMEDIATE`, so
    /// two writers never deadlock upgrading read locks).
    pub(crate) async fn begin_write(&self) -> Result<Write> {
        let turn = match self.backend {
            Backend::Sqlite => Some(
                tokio::time::timeout(TURN_WAIT, self.writer.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Unavailable("every writer is busy".into()))?,
            ),
            Backend::Postgres => None,
        };
        // The guard owns the connection before BEGIN is sent: a request cancelled while BEGIN
        // waits (a client that hung up, a time-out) drops the guard, which closes the
        // connection — the BEGIN still runs in the driver's worker later, and a pooled
        // connection would then sit inside its transaction, holding the write lock.
        let mut write = Write {
            conn: self.pool.acquire().await?,
            _turn: turn,
            clean: false,
        };
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        sqlx::query(begin).execute(write.conn()).await?;
        Ok(write)
    }
}

impl Store {
    /// Runs one statement in its own write transaction; returns the rows it changed.
    pub(crate) async fn write_one<'q>(
        &self,
        q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = q.execute(tx.conn()).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

impl Write {
    /// The connection, inside the transaction.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// Commits. Only after this returns `Ok` is the write durable (and may be acknowledged).
    pub(crate) async fn commit(mut self) -> Result<()> {
        match sqlx::query("COMMIT").execute(&mut *self.conn).await {
            Ok(_) => {
                self.clean = true;
                Ok(())
            }
            // Dropping `self` closes the connection: whatever state the failed COMMIT left
            // it in never reaches the pool.
            Err(e) => Err(e.into()),
        }
    }

    /// Rolls back on purpose (nothing to write after all); the connection is kept only if
    /// the rollback itself succeeded.
    pub(crate) async fn rollback(mut self) {
        if sqlx::query("ROLLBACK")
            .execute(&mut *self.conn)
            .await
            .is_ok()
        {
            self.clean = true;
        }
    }
}

impl Drop for Write {
    fn drop(&mut self) {
        if !self.clean {
            // An error, a cancelled request (timeout, client gone) or a failed COMMIT: the
            // connection may be inside a transaction; close it rather than pool it.
            self.conn.close_on_drop();
        }
    }
}

/// Turns a driver error into what went wrong for the people involved: a full or read-only
/// data volume and an unreachable database are distinct, each with a message that says so.
/// SQLite's codes are its (extended) result codes, at most four digits; PostgreSQL's are
/// five-character SQLSTATEs, so the code alone tells the backend.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        classify(e)
    }
}

fn classify(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            if code.len() == 5 {
                return match code.as_str() {
                    "53100" => StoreError::DiskFull,
                    "25006" => StoreError::ReadOnly,
                    c if c.starts_with("08") || c.starts_with("57") || c.starts_with("53") => {
                        StoreError::Unavailable(db.message().to_string())
                    }
                    _ => StoreError::Db(e),
                };
            }
            // SQLite: the primary result code is the low byte of the extended one.
            match code.parse::<i32>().map_or(-1, |c| c & 0xff) {
                13 => StoreError::DiskFull,
                8 => StoreError::ReadOnly,
                10 => StoreError::Unavailable(format!(
                    "the data volume cannot be written ({})",
                    db.message()
                )),
                5 | 6 => StoreError::Unavailable("the database is busy".into()),
                14 => StoreError::Unavailable(format!(
                    "the database file cannot be opened ({})",
                    db.message()
                )),
                _ => StoreError::Db(e),
            }
        }
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("no database connection could be opened in time".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("the store is shutting down".into()),
        sqlx::Error::Io(io) => StoreError::Unavailable(io.to_string()),
        sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable("the database connection stopped".into())
        }
        _ => StoreError::Db(e),
    }
}
