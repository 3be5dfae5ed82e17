//! Pushed positions shared between the server processes on one database: a short-lived
//! table of accepted batches (each process writes its own, reads the others', deletes the
//! old). Not the observatory's: nothing here identifies a rider.

use super::*;
use sqlx::Row;

impl Store {
    /// Stores one accepted batch (JSON) from process `origin`, received at `received_ms`;
    /// returns its id. Committed when this returns `Ok`.
    pub async fn put_live_positions(
        &self,
        origin: &str,
        body: &str,
        received_ms: i64,
    ) -> Result<i64> {
        let id = new_id();
        self.write_one(
            sqlx::query(
                "INSERT INTO live_positions (id, received_ms, origin, body)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(received_ms)
            .bind(origin)
            .bind(body),
        )
        .await?;
        Ok(id)
    }

    /// The batches received at or after `since_ms`, oldest first: (id, received_ms, body).
    pub async fn live_positions_since(&self, since_ms: i64) -> Result<Vec<(i64, i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, received_ms, body FROM live_positions
             WHERE received_ms >= $1 ORDER BY received_ms, id",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Deletes the batches received before `before_ms`; returns how many.
    pub async fn delete_live_positions_before(&self, before_ms: i64) -> Result<u64> {
        self.write_one(
            sqlx::query("DELETE FROM live_positions WHERE received_ms < $1").bind(before_ms),
        )
        .await
    }
}
