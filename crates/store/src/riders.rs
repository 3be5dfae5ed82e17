//! A rider's records as one: erased together.

use super::*;

impl Store {
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
}
