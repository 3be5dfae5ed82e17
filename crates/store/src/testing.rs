//! Helpers for fault tests of the crates above the store (feature `test-support`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of a given size mounted on a fresh folder, unmounted when dropped. `mount` gives
/// `None` where this machine does not let the test mount one (not root, no rights in the
/// mount namespace); fault tests then fall back to SQLite's page limit
/// ([`crate::Store::limit_sqlite_pages`]).
#[derive(Debug)]
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`3m`, `512k`).
    pub fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the volume holding `dir` to the last byte with a ballast file; returns its path
/// (remove it to give the space back).
pub fn fill_volume(dir: &Path) -> PathBuf {
    use std::io::Write;
    let ballast = dir.join("ballast");
    let mut f = std::fs::File::create(&ballast).expect("create the ballast file");
    let block = vec![7u8; 4096];
    while f.write_all(&block).is_ok() {}
    // The last partial block, byte by byte.
    while f.write_all(&[7]).is_ok() {}
    let _ = f.flush();
    ballast
}

/// A write transaction held open on purpose (SQLite's write lock taken), so a test can make
/// another store's writer wait for its turn; it rolls back when dropped.
pub struct HeldWrite(#[allow(dead_code)] crate::tx::Write);

impl std::fmt::Debug for HeldWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeldWrite")
    }
}

impl crate::Store {
    /// Takes the write lock and keeps it until the returned value is dropped.
    pub async fn hold_write(&self) -> crate::Result<HeldWrite> {
        Ok(HeldWrite(self.begin_write().await?))
    }

    /// How many pooled connections are inside a transaction right now: SQLite's
    /// `BEGIN` fails on them ("cannot start a transaction within a transaction"), which is
    /// what this asks of each idle connection, without waiting for a new one.
    pub async fn connections_left_in_a_transaction(&self) -> usize {
        let mut stuck = 0;
        let mut held = Vec::new();
        while let Some(mut conn) = self.pool.try_acquire() {
            if sqlx::query("BEGIN").execute(&mut *conn).await.is_err() {
                stuck += 1;
                conn.close_on_drop();
            } else if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                conn.close_on_drop();
            }
            held.push(conn);
        }
        stuck
    }
}

impl crate::Store {
    /// Every value of the idempotency table, as text: what a copy of the database holds.
    pub async fn idempotency_dump(&self) -> Vec<String> {
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT key, fingerprint, reference, CAST(created_at AS TEXT), secret FROM idempotency",
        )
        .fetch_all(&self.pool)
        .await
        .expect("read the idempotency table");
        rows.iter()
            .flat_map(|r| (0..5).map(move |i| r.try_get::<Option<String>, _>(i).ok().flatten()))
            .flatten()
            .collect()
    }
}

/// Makes the database at `url` as an older paradero left it: the migrations up to `last`
/// (inclusive) only, then `rows` (SQL an older version would have written). Opening it with
/// [`crate::Store::open`] then runs the later migrations over those rows, as an upgrade does.
pub async fn older_database(url: &str, last: i64, rows: &[&str]) -> Result<(), String> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = match crate::Location::parse(url).map_err(|e| e.to_string())? {
        crate::Location::Sqlite(path) => crate::sqlite_url(&path).map_err(|e| e.to_string())?,
        crate::Location::Postgres(url) => url,
        crate::Location::Memory => return Err("an older database needs a file or a server".into()),
    };
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .map_err(|e| e.to_string())?;
    let older = sqlx::migrate::Migrator {
        migrations: crate::MIGRATOR
            .migrations
            .iter()
            .filter(|m| m.version <= last)
            .cloned()
            .collect(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    older.run(&mut conn).await.map_err(|e| e.to_string())?;
    for sql in rows {
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
    }
    conn.close().await.map_err(|e| e.to_string())
}
