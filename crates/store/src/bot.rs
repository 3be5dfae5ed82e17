//! The Telegram bot's tables: chats (dialogue state, consented profile, rider handle) and the
//! outbox of status changes to tell reporters.

use crate::reports::{REPORT_SELECT, parse_status, report_from_row};
use crate::{Report, Result, Status, Store};
use sqlx::Row;

/// A chat with the bot, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotChat {
    /// Telegram chat id.
    pub chat_id: i64,
    /// Random handle linking the chat's reports, trips and survey answers.
    pub rider: String,
    /// Language code.
    pub lang: String,
    /// Dialogue state and profile, JSON (owned by the bot crate).
    pub state: String,
}

/// A status change waiting to be told to the reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Outbox row.
    pub id: i64,
    /// Where to tell it.
    pub chat_id: i64,
    /// In which language.
    pub lang: String,
    /// The report (officials' case id).
    pub reference: String,
    /// Its category (what the rider is told, with the day it was filed).
    pub category: String,
    /// When it was filed.
    pub reported_at: i64,
    /// Its new status.
    pub status: Status,
    /// The official's note.
    pub note: String,
}

impl Store {
    /// A chat's stored state, if it has talked to the bot before.
    pub async fn bot_chat(&self, chat_id: i64) -> Result<Option<BotChat>> {
        let row = sqlx::query("SELECT rider, lang, state FROM bot_chats WHERE chat_id = $1")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(BotChat {
                chat_id,
                rider: r.try_get(0)?,
                lang: r.try_get(1)?,
                state: r.try_get(2)?,
            })
        })
        .transpose()
    }

    /// Saves a chat's state (insert or replace).
    pub async fn save_bot_chat(&self, c: &BotChat, now: i64) -> Result<()> {
        self.write_one(
            sqlx::query(
                "INSERT INTO bot_chats (chat_id, rider, lang, state, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (chat_id) DO UPDATE SET rider = excluded.rider, lang = excluded.lang,
               state = excluded.state, updated_at = excluded.updated_at",
            )
            .bind(c.chat_id)
            .bind(&c.rider)
            .bind(&c.lang)
            .bind(&c.state)
            .bind(now),
        )
        .await?;
        Ok(())
    }

    /// Forgets a chat (profile, dialogue state, the link to its rider handle).
    pub async fn delete_bot_chat(&self, chat_id: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM bot_chats WHERE chat_id = $1")
            .bind(chat_id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        // Its subscriptions and alerts to tell it go with it.
        for sql in [
            "DELETE FROM alert_subscriptions WHERE chat_id = $1",
            "DELETE FROM alert_deliveries WHERE chat_id = $1",
        ] {
            sqlx::query(sql).bind(chat_id).execute(tx.conn()).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// A rider's reports, newest first.
    pub async fn reports_of_rider(&self, rider: &str, limit: i64) -> Result<Vec<Report>> {
        let rows = sqlx::query(&format!(
            "{REPORT_SELECT} WHERE rider = $1 ORDER BY reported_at DESC, reference LIMIT $2"
        ))
        .bind(rider)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report_from_row).collect()
    }

    /// Status changes not yet told to reporters who chat with the bot, oldest first.
    pub async fn pending_notifications(&self, limit: i64) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT n.id, c.chat_id, c.lang, n.reference, n.status, n.note, r.category,
                    r.reported_at
             FROM notifications n
             JOIN bot_chats c ON c.rider = n.rider
             JOIN reports r ON r.reference = n.reference
             WHERE n.sent_at IS NULL ORDER BY n.created_at, n.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: r.try_get(0)?,
                    chat_id: r.try_get(1)?,
                    lang: r.try_get(2)?,
                    reference: r.try_get(3)?,
                    status: parse_status(&r.try_get::<String, _>(4)?)?,
                    note: r.try_get(5)?,
                    category: r.try_get(6)?,
                    reported_at: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Claims a notification for delivery (marks it sent); false if another process already
    /// did, so several bot processes never tell a rider twice.
    pub async fn claim_notification(&self, id: i64, now: i64) -> Result<bool> {
        Ok(self
            .write_one(
                sqlx::query(
                    "UPDATE notifications SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL",
                )
                .bind(now)
                .bind(id),
            )
            .await?
            == 1)
    }

    /// Gives a claimed notification back (delivery failed; it is tried again later).
    pub async fn release_notification(&self, id: i64) -> Result<()> {
        self.write_one(
            sqlx::query("UPDATE notifications SET sent_at = NULL WHERE id = $1").bind(id),
        )
        .await?;
        Ok(())
    }
}
