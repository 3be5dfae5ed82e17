//! Route ratings and the aggregates releases read.

use super::*;
use sqlx::Row;

impl Store {
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
}
