//! Service alerts written by officials, chats' subscriptions to a route's alerts, and the
//! outbox that tells subscribers (written in the alert's own transaction).

use super::*;
use sqlx::Row;

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    /// `AL-…`.
    pub id: String,
    /// 1, then one more at every edit.
    pub version: i64,
    /// The alert as validated (JSON).
    pub body: String,
    /// The official who wrote it last.
    pub author: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// When it was ended, if it was.
    pub ended_at: Option<i64>,
}

/// An alert to tell a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertDelivery {
    /// The outbox row.
    pub id: i64,
    /// The chat.
    pub chat_id: i64,
    /// The chat's language.
    pub lang: String,
    /// The alert.
    pub alert_id: String,
    /// Its version then.
    pub version: i64,
    /// Tries so far (this one included).
    pub attempts: i64,
}

const ALERT_SELECT: &str =
    "SELECT id, version, body, author, created_at, updated_at, ended_at FROM service_alerts";

fn alert_from_row(r: &sqlx::any::AnyRow) -> Result<StoredAlert> {
    Ok(StoredAlert {
        id: r.try_get(0)?,
        version: r.try_get(1)?,
        body: r.try_get(2)?,
        author: r.try_get(3)?,
        created_at: r.try_get(4)?,
        updated_at: r.try_get(5)?,
        ended_at: r.try_get(6)?,
    })
}

/// Characters of alert ids.
const ALERT_ID_LEN: usize = 8;

impl Store {
    /// Stores a new alert and, in the same transaction, one delivery for every chat
    /// subscribed to one of `routes` (the routes it informs); returns it.
    pub async fn create_alert(
        &self,
        body: &str,
        author: &str,
        routes: &[String],
        now: i64,
    ) -> Result<StoredAlert> {
        let id = random_code("AL-", ALERT_ID_LEN);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO service_alerts (id, version, body, author, created_at, updated_at)
             VALUES ($1, 1, $2, $3, $4, $4)",
        )
        .bind(&id)
        .bind(body)
        .bind(author)
        .bind(now)
        .execute(tx.conn())
        .await?;
        queue_deliveries(&mut tx, &id, 1, routes, now).await?;
        tx.commit().await?;
        Ok(StoredAlert {
            id,
            version: 1,
            body: body.to_string(),
            author: author.to_string(),
            created_at: now,
            updated_at: now,
            ended_at: None,
        })
    }

    /// Replaces alert `id`'s body (its next version; an ended alert is open again) and
    /// queues its deliveries; `None` when there is no such alert.
    pub async fn update_alert(
        &self,
        id: &str,
        body: &str,
        author: &str,
        routes: &[String],
        now: i64,
    ) -> Result<Option<StoredAlert>> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query(&format!("{ALERT_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        let mut a = alert_from_row(&row)?;
        a.version += 1;
        a.body = body.to_string();
        a.author = author.to_string();
        a.updated_at = now;
        a.ended_at = None;
        sqlx::query(
            "UPDATE service_alerts SET version = $1, body = $2, author = $3, updated_at = $4,
             ended_at = NULL WHERE id = $5",
        )
        .bind(a.version)
        .bind(body)
        .bind(author)
        .bind(now)
        .bind(id)
        .execute(tx.conn())
        .await?;
        queue_deliveries(&mut tx, id, a.version, routes, now).await?;
        tx.commit().await?;
        Ok(Some(a))
    }

    /// Ends alert `id` now (kept, no longer served); `false` when there is no such alert
    /// still open. Deliveries of it not yet sent are given up.
    pub async fn end_alert(&self, id: &str, author: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE service_alerts SET ended_at = $1, author = $2, updated_at = $1,
             version = version + 1 WHERE id = $3 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(author)
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE alert_deliveries SET gave_up = 1 WHERE alert_id = $1 AND sent_at IS NULL",
        )
        .bind(id)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Alert `id`, ended or not.
    pub async fn alert(&self, id: &str) -> Result<Option<StoredAlert>> {
        sqlx::query(&format!("{ALERT_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(alert_from_row)
            .transpose()
    }

    /// The alerts not ended, oldest first.
    pub async fn open_alerts(&self) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(&format!(
            "{ALERT_SELECT} WHERE ended_at IS NULL ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// What tells whether the open alerts changed: (how many, the sum of their versions,
    /// the last change).
    pub async fn alerts_fingerprint(&self) -> Result<(i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT COUNT(*), CAST(COALESCE(SUM(version), 0) AS BIGINT),
                    CAST(COALESCE(MAX(updated_at), 0) AS BIGINT)
             FROM service_alerts WHERE ended_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
    }

    /// Subscribes chat `chat_id` to route `route_id`'s alerts; `false` if it already was.
    pub async fn subscribe_alerts(&self, chat_id: i64, route_id: &str, now: i64) -> Result<bool> {
        Ok(self
            .write_one(
                sqlx::query(
                    "INSERT INTO alert_subscriptions (chat_id, route_id, created_at)
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(chat_id)
                .bind(route_id)
                .bind(now),
            )
            .await?
            == 1)
    }

    /// Unsubscribes chat `chat_id` from route `route_id` (every route: `None`); how many.
    pub async fn unsubscribe_alerts(&self, chat_id: i64, route_id: Option<&str>) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = match route_id {
            Some(r) => {
                sqlx::query("DELETE FROM alert_subscriptions WHERE chat_id = $1 AND route_id = $2")
                    .bind(chat_id)
                    .bind(r)
                    .execute(tx.conn())
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM alert_subscriptions WHERE chat_id = $1")
                    .bind(chat_id)
                    .execute(tx.conn())
                    .await?
            }
        }
        .rows_affected();
        if route_id.is_none() {
            sqlx::query(
                "UPDATE alert_deliveries SET gave_up = 1 WHERE chat_id = $1 AND sent_at IS NULL",
            )
            .bind(chat_id)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// The routes chat `chat_id` follows.
    pub async fn alert_subscriptions(&self, chat_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT route_id FROM alert_subscriptions WHERE chat_id = $1 ORDER BY route_id",
        )
        .bind(chat_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Deliveries due at `now` (never sent, not given up, not leased), oldest first, each
    /// leased for `lease_s` to the caller (another process does not take it meanwhile).
    pub async fn lease_alert_deliveries(
        &self,
        now: i64,
        lease_s: i64,
        limit: i64,
    ) -> Result<Vec<AlertDelivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.chat_id, COALESCE(c.lang, 'es'), d.alert_id, d.version, d.attempts
             FROM alert_deliveries d LEFT JOIN bot_chats c ON c.chat_id = d.chat_id
             WHERE d.sent_at IS NULL AND d.gave_up = 0 AND d.leased_until <= $1
             ORDER BY d.created_at, d.id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            // Leased only if no one else leased it since it was read.
            let n = self
                .write_one(
                    sqlx::query(
                        "UPDATE alert_deliveries SET leased_until = $1, attempts = attempts + 1
                         WHERE id = $2 AND sent_at IS NULL AND gave_up = 0
                         AND leased_until <= $3",
                    )
                    .bind(now + lease_s)
                    .bind(id)
                    .bind(now),
                )
                .await?;
            if n == 1 {
                out.push(AlertDelivery {
                    id,
                    chat_id: r.try_get(1)?,
                    lang: r.try_get(2)?,
                    alert_id: r.try_get(3)?,
                    version: r.try_get(4)?,
                    attempts: r.try_get::<i64, _>(5)? + 1,
                });
            }
        }
        Ok(out)
    }

    /// Marks a delivery sent.
    pub async fn alert_delivered(&self, id: i64, now: i64) -> Result<()> {
        self.write_one(
            sqlx::query("UPDATE alert_deliveries SET sent_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id),
        )
        .await?;
        Ok(())
    }

    /// Puts a delivery back to be tried at `retry_at`, or gives it up (`give_up`).
    pub async fn alert_delivery_failed(&self, id: i64, retry_at: i64, give_up: bool) -> Result<()> {
        self.write_one(
            sqlx::query(
                "UPDATE alert_deliveries SET leased_until = $1, gave_up = $2 WHERE id = $3",
            )
            .bind(retry_at)
            .bind(i64::from(give_up))
            .bind(id),
        )
        .await?;
        Ok(())
    }

    /// (sent, given up, waiting) deliveries of alert `id`.
    pub async fn alert_delivery_counts(&self, id: &str) -> Result<(i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT
               CAST(COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL AND gave_up = 1 THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL AND gave_up = 0 THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM alert_deliveries WHERE alert_id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
    }
}

/// Queues version `version` of alert `id` for every chat subscribed to one of `routes`.
async fn queue_deliveries(
    tx: &mut crate::tx::Write,
    id: &str,
    version: i64,
    routes: &[String],
    now: i64,
) -> Result<()> {
    let mut chats = std::collections::BTreeSet::new();
    for chunk in routes.chunks(200) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT DISTINCT chat_id FROM alert_subscriptions WHERE route_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q.bind(r);
        }
        for row in q.fetch_all(tx.conn()).await? {
            chats.insert(row.try_get::<i64, _>(0)?);
        }
    }
    for chat in chats {
        sqlx::query(
            "INSERT INTO alert_deliveries (id, chat_id, alert_id, version, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(new_id())
        .bind(chat)
        .bind(id)
        .bind(version)
        .bind(now)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}
