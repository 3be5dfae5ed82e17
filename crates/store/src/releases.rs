//! What the public statistics are computed from, and where they are kept once computed.

use crate::{Result, Store};
use observatory::release::{JourneyFigures, Records, ReportRow, SurveyRow, TripRow};
use sqlx::Row;

/// One stored release: its period and its body (JSON, owned by the observatory crate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRelease {
    /// `YYYY-MM`.
    pub month: String,
    /// 1–5, or 0 for the whole month.
    pub week: u8,
    /// When it was computed.
    pub computed_at: i64,
    /// The release.
    pub body: String,
}

fn person(rider: Option<String>, kind: char, id: i64) -> String {
    rider.unwrap_or_else(|| format!("{kind}:{id}"))
}

fn minutes(s: Option<i32>) -> u32 {
    u32::try_from(s.unwrap_or(0).max(0) / 60).unwrap_or(0)
}

impl Store {
    /// The records that arrived in `[from, to)` (Unix seconds), as the release reads them:
    /// a bot rider's records carry their handle, anonymous ones their own id. `day_of`
    /// gives the local day of the month of a time.
    pub async fn release_records(
        &self,
        from: i64,
        to: i64,
        day_of: impl Fn(i64) -> u8,
    ) -> Result<Records> {
        let mut out = Records::default();
        let trips = sqlx::query(
            "SELECT id, planned_at, local_hour, gender, purpose, found, travel_s, wait_s, walk_s,
                    transfers, routes, rider, safer
             FROM trips WHERE planned_at >= $1 AND planned_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &trips {
            let at: i64 = r.try_get(1)?;
            let found: i32 = r.try_get(5)?;
            let routes: Option<String> = r.try_get(10)?;
            out.trips.push(TripRow {
                person: person(r.try_get(11)?, 't', r.try_get(0)?),
                day: day_of(at),
                at,
                local_hour: crate::hour(r, 2)?,
                gender: r.try_get(3)?,
                purpose: r.try_get(4)?,
                journey: (found != 0)
                    .then(|| -> Result<JourneyFigures> {
                        Ok(JourneyFigures {
                            travel_min: minutes(r.try_get(6)?),
                            wait_min: minutes(r.try_get(7)?),
                            walk_min: minutes(r.try_get(8)?),
                            transfers: u32::try_from(r.try_get::<Option<i32>, _>(9)?.unwrap_or(0))
                                .unwrap_or(0),
                        })
                    })
                    .transpose()?,
                routes: routes
                    .map(|s| {
                        s.split(',')
                            .filter(|x| !x.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                safer: r.try_get::<i32, _>(12)? != 0,
            });
        }
        let reports = sqlx::query(
            "SELECT id, reported_at, category, gender, local_hour, route_id, zone,
                    acknowledged_at, closed_at, rider
             FROM reports WHERE reported_at >= $1 AND reported_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &reports {
            let at: i64 = r.try_get(1)?;
            let ack: Option<i64> = r.try_get(7)?;
            let closed: Option<i64> = r.try_get(8)?;
            out.reports.push(ReportRow {
                person: person(r.try_get(9)?, 'r', r.try_get(0)?),
                day: day_of(at),
                at,
                category: r.try_get(2)?,
                gender: r.try_get(3)?,
                local_hour: crate::hour(r, 4)?,
                route_id: r.try_get(5)?,
                zone: r.try_get(6)?,
                acknowledged_48h: ack.is_some_and(|a| a - at <= 48 * 3600),
                closed_after_h: closed
                    .map(|c| u32::try_from((c - at).max(0) / 3600).unwrap_or(u32::MAX)),
            });
        }
        let surveys = sqlx::query(
            "SELECT id, answered_at, local_hour, gender, route_id, safety, satisfaction, rider
             FROM surveys WHERE answered_at >= $1 AND answered_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &surveys {
            let at: i64 = r.try_get(1)?;
            let score = |i: usize| -> Result<Option<u8>> {
                Ok(r.try_get::<Option<i32>, _>(i)?
                    .and_then(|v| u8::try_from(v).ok()))
            };
            out.surveys.push(SurveyRow {
                person: person(r.try_get(7)?, 's', r.try_get(0)?),
                day: day_of(at),
                at,
                local_hour: crate::hour(r, 2)?,
                gender: r.try_get(3)?,
                route_id: r.try_get(4)?,
                safety: score(5)?,
                satisfaction: score(6)?,
                answers: Vec::new(),
            });
        }
        // Answers to surveys as data: the cells `survey.question.option` they chose.
        let responses = sqlx::query(
            "SELECT r.id, r.answered_at, r.local_hour, r.gender, r.rider, r.survey,
                    s.question, s.option_code
             FROM survey_responses r JOIN survey_selections s ON s.response_id = r.id
             WHERE r.answered_at >= $1 AND r.answered_at < $2 AND s.option_code IS NOT NULL
             ORDER BY r.id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut last: Option<i64> = None;
        for r in &responses {
            let id: i64 = r.try_get(0)?;
            let survey: String = r.try_get(5)?;
            let question: String = r.try_get(6)?;
            let option: String = r.try_get(7)?;
            let key = observatory::questionnaire::answer_key(&survey, &question, &option);
            if last == Some(id)
                && let Some(row) = out.surveys.last_mut()
            {
                row.answers.push(key);
                continue;
            }
            last = Some(id);
            let at: i64 = r.try_get(1)?;
            out.surveys.push(SurveyRow {
                person: person(r.try_get(4)?, 'q', id),
                day: day_of(at),
                at,
                local_hour: crate::hour(r, 2)?,
                gender: r.try_get(3)?,
                route_id: None,
                safety: None,
                satisfaction: None,
                answers: vec![key],
            });
        }
        Ok(out)
    }

    /// Stores a release; a period already released is never replaced (returns false).
    pub async fn save_release(&self, r: &StoredRelease) -> Result<bool> {
        Ok(self
            .write_one(
                sqlx::query(
                    "INSERT INTO releases (month, week, computed_at, body) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (month, week) DO NOTHING",
                )
                .bind(&r.month)
                .bind(i32::from(r.week))
                .bind(r.computed_at)
                .bind(&r.body),
            )
            .await?
            == 1)
    }

    /// The releases of the given months (all their periods), oldest first.
    pub async fn releases_of(&self, months: &[String]) -> Result<Vec<StoredRelease>> {
        let mut out = Vec::new();
        for m in months {
            let rows = sqlx::query(
                "SELECT month, week, computed_at, body FROM releases WHERE month = $1 ORDER BY week",
            )
            .bind(m)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push(StoredRelease {
                    month: r.try_get(0)?,
                    week: u8::try_from(r.try_get::<i32, _>(1)?).unwrap_or(0),
                    computed_at: r.try_get(2)?,
                    body: r.try_get(3)?,
                });
            }
        }
        Ok(out)
    }

    /// Every released period, as (month, week), newest first.
    pub async fn release_periods(&self) -> Result<Vec<(String, u8)>> {
        let rows = sqlx::query("SELECT month, week FROM releases ORDER BY month DESC, week")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    u8::try_from(r.try_get::<i32, _>(1)?).unwrap_or(0),
                ))
            })
            .collect()
    }

    /// Deletes a release (fault and attack tests recompute periods to draw fresh noise; no
    /// running server ever replaces a release).
    #[cfg(feature = "test-support")]
    pub async fn delete_release(&self, month: &str, week: u8) -> Result<u64> {
        self.write_one(
            sqlx::query("DELETE FROM releases WHERE month = $1 AND week = $2")
                .bind(month)
                .bind(i32::from(week)),
        )
        .await
    }

    /// The earliest time any record arrived (to know from when releases are due).
    pub async fn first_record_at(&self) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT MIN(t) FROM (SELECT MIN(planned_at) AS t FROM trips
                UNION ALL SELECT MIN(reported_at) FROM reports
                UNION ALL SELECT MIN(answered_at) FROM surveys
                UNION ALL SELECT MIN(answered_at) FROM survey_responses) AS x",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }
}
