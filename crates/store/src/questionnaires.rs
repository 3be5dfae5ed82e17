//! Surveys as data: versioned definitions and the answers to them.
//!
//! A definition's body is JSON owned by the observatory crate (`questionnaire::Definition`);
//! the store keeps versions and never changes one once written. An answer is one row in
//! `survey_responses` and one row per option chosen or text given in `survey_selections`,
//! written in one transaction.

use crate::{Channel, Result, Store, StoreError, new_id};
use sqlx::Row;

/// One stored version of a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSurvey {
    /// Survey code.
    pub code: String,
    /// Version, from 1.
    pub version: i32,
    /// The definition (JSON).
    pub body: String,
    /// When this version was published.
    pub created_at: i64,
    /// Who published it (`seed` for the bundled ones, else the official's name).
    pub created_by: String,
    /// When the survey was retired, if it was.
    pub retired_at: Option<i64>,
}

/// An answer ready to store (already checked against its version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResponse {
    /// Survey code.
    pub survey: String,
    /// The version answered.
    pub version: i32,
    /// When.
    pub answered_at: i64,
    /// Local hour then.
    pub local_hour: u8,
    /// Declared gender word (consented profile).
    pub gender: Option<String>,
    /// Declared age band word.
    pub age_band: Option<String>,
    /// Channel.
    pub channel: Channel,
    /// Hashed bot rider handle.
    pub rider: Option<String>,
    /// `(question, option, text)`: an option chosen or a free text.
    pub selections: Vec<(String, Option<String>, Option<String>)>,
}

/// One line of the officials' export: an option chosen or a text given in a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLine {
    /// The response's id (random, says nothing about who).
    pub response: i64,
    /// Version answered.
    pub version: i32,
    /// When.
    pub answered_at: i64,
    /// Channel.
    pub channel: String,
    /// Hashed bot handle, if a bot rider.
    pub rider: Option<String>,
    /// Declared gender.
    pub gender: Option<String>,
    /// Declared age band.
    pub age_band: Option<String>,
    /// Question.
    pub question: String,
    /// Option chosen.
    pub option: Option<String>,
    /// Free text.
    pub text: Option<String>,
}

fn stored(r: &sqlx::any::AnyRow) -> Result<StoredSurvey> {
    Ok(StoredSurvey {
        code: r.try_get(0)?,
        version: r.try_get(1)?,
        body: r.try_get(2)?,
        created_at: r.try_get(3)?,
        created_by: r.try_get(4)?,
        retired_at: r.try_get(5)?,
    })
}

const COLUMNS: &str = "code, version, body, created_at, created_by, retired_at";

impl Store {
    /// Stores `body` as version 1 of `code`, listed at `position`, if the survey has no
    /// version; as the next version if the latest is an earlier seed that differs (paradero's
    /// seed was updated, say to the one gender and age vocabulary) and is live. A seed never
    /// overwrites what officials published or retired. Returns whether it stored a version.
    pub async fn seed_survey(
        &self,
        code: &str,
        body: &str,
        position: i32,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let latest = sqlx::query(
            "SELECT version, body, created_by, retired_at, position FROM survey_definitions
             WHERE code = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(code)
        .fetch_optional(tx.conn())
        .await?;
        let (version, position) = match latest {
            None => (1, position),
            Some(r) => {
                let (version, old, by): (i32, String, String) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                let retired: Option<i64> = r.try_get(3)?;
                if by != "seed" || old == body || retired.is_some() {
                    return Ok(false);
                }
                (version + 1, r.try_get(4)?)
            }
        };
        // Two processes seeding at once (the server and the bot) both see the same latest
        // version: the second finds the row there and stores nothing.
        let stored = sqlx::query(
            "INSERT INTO survey_definitions (code, version, body, created_at, created_by, position)
             VALUES ($1, $2, $3, $4, 'seed', $5)
             ON CONFLICT (code, version) DO NOTHING",
        )
        .bind(code)
        .bind(version)
        .bind(body)
        .bind(now)
        .bind(position)
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(stored > 0)
    }

    /// Publishes a new version of `code` (1 for a new survey) and returns it; a retired
    /// survey comes back with it.
    pub async fn publish_survey(&self, code: &str, body: &str, by: &str, now: i64) -> Result<i32> {
        let mut tx = self.begin_write().await?;
        let last: Option<i32> =
            sqlx::query("SELECT MAX(version) FROM survey_definitions WHERE code = $1")
                .bind(code)
                .fetch_one(tx.conn())
                .await?
                .try_get(0)?;
        let version = last.unwrap_or(0) + 1;
        // A new version keeps its survey's place in the list; a new survey goes last.
        let position: i32 = sqlx::query(
            "SELECT COALESCE(
                 (SELECT MAX(position) FROM survey_definitions WHERE code = $1),
                 (SELECT MAX(position) + 1 FROM survey_definitions),
                 0)",
        )
        .bind(code)
        .fetch_one(tx.conn())
        .await?
        .try_get(0)?;
        sqlx::query(
            "INSERT INTO survey_definitions (code, version, body, created_at, created_by, position)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code)
        .bind(version)
        .bind(body)
        .bind(now)
        .bind(by)
        .bind(position)
        .execute(tx.conn())
        .await?;
        sqlx::query("UPDATE survey_definitions SET retired_at = NULL WHERE code = $1")
            .bind(code)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Retires a survey (no new answers; history kept). Returns whether it was live.
    pub async fn retire_survey(&self, code: &str, now: i64) -> Result<bool> {
        let n = self
            .write_one(
                sqlx::query(
                    "UPDATE survey_definitions SET retired_at = $1
                     WHERE code = $2 AND retired_at IS NULL",
                )
                .bind(now)
                .bind(code),
            )
            .await?;
        Ok(n > 0)
    }

    /// The latest version of every survey, retired ones included, by code.
    pub async fn surveys_latest(&self) -> Result<Vec<StoredSurvey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM survey_definitions d
             WHERE version = (SELECT MAX(version) FROM survey_definitions e WHERE e.code = d.code)
             ORDER BY position, code"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored).collect()
    }

    /// Every version of every survey (the releases' domains cover them all).
    pub async fn survey_versions(&self) -> Result<Vec<StoredSurvey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM survey_definitions ORDER BY code, version"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored).collect()
    }

    /// One version of a survey.
    pub async fn survey_version(&self, code: &str, version: i32) -> Result<Option<StoredSurvey>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM survey_definitions WHERE code = $1 AND version = $2"
        ))
        .bind(code)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(stored).transpose()
    }

    /// Stores an answer and its selections in one transaction.
    pub async fn add_response(&self, r: &NewResponse) -> Result<i64> {
        if r.selections.is_empty() {
            return Err(StoreError::Open("an answer without selections".into()));
        }
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO survey_responses (id, survey, version, answered_at, local_hour, gender,
                 age_band, channel, rider) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(&r.survey)
        .bind(r.version)
        .bind(r.answered_at)
        .bind(i32::from(r.local_hour))
        .bind(r.gender.as_deref())
        .bind(r.age_band.as_deref())
        .bind(r.channel.as_str())
        .bind(r.rider.as_deref())
        .execute(tx.conn())
        .await?;
        for (q, o, t) in &r.selections {
            sqlx::query(
                "INSERT INTO survey_selections (response_id, question, option_code, text_answer)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(q)
            .bind(o.as_deref())
            .bind(t.as_deref())
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// How many answers a survey has (all versions).
    pub async fn count_responses(&self, survey: &str) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM survey_responses WHERE survey = $1")
                .bind(survey)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
    }

    /// The answers to a survey answered in `[from, to)`, one line per selection, oldest
    /// first; free texts only when `with_text`.
    pub async fn export_responses(
        &self,
        survey: &str,
        from: i64,
        to: i64,
        with_text: bool,
    ) -> Result<Vec<ExportLine>> {
        let rows = sqlx::query(
            "SELECT r.id, r.version, r.answered_at, r.channel, r.rider, r.gender, r.age_band,
                    s.question, s.option_code, s.text_answer
             FROM survey_responses r JOIN survey_selections s ON s.response_id = r.id
             WHERE r.survey = $1 AND r.answered_at >= $2 AND r.answered_at < $3
             ORDER BY r.answered_at, r.id, s.question, s.option_code",
        )
        .bind(survey)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let text: Option<String> = r.try_get(9)?;
            if text.is_some() && !with_text {
                continue;
            }
            out.push(ExportLine {
                response: r.try_get(0)?,
                version: r.try_get(1)?,
                answered_at: r.try_get(2)?,
                channel: r.try_get(3)?,
                rider: r.try_get(4)?,
                gender: r.try_get(5)?,
                age_band: r.try_get(6)?,
                question: r.try_get(7)?,
                option: r.try_get(8)?,
                text,
            });
        }
        Ok(out)
    }
}
