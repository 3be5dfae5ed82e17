//! Service delivered: the cells `app::service` aggregates from the buses' passages, one row
//! per local day, route, direction and hour, replaced as the hour fills.

use super::*;
use sqlx::Row;

/// One stored cell: where it belongs and its sums (see `realtime::service::Cell`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceRow {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Namespaced route id.
    pub route_id: String,
    /// 0 or 1.
    pub direction: i64,
    /// 0–23.
    pub hour: i64,
    /// The sums, in the order of the table's columns from `runs` to `until_t`.
    pub runs: i64,
    /// Runs promised.
    pub promised: f64,
    /// Vehicles.
    pub vehicles: i64,
    /// Headways.
    pub headways: i64,
    /// Σh.
    pub h_sum: f64,
    /// Σh².
    pub h_sq: f64,
    /// Headways with a promise.
    pub sched_n: i64,
    /// ΣH.
    pub sched_sum: f64,
    /// ΣH².
    pub sched_sq: f64,
    /// Σh over those.
    pub h_sum_sched: f64,
    /// Σh² over those.
    pub h_sq_sched: f64,
    /// Observed travel seconds.
    pub travel_obs_s: f64,
    /// Scheduled travel seconds for the same stretches.
    pub travel_sched_s: f64,
    /// Latest passage counted.
    pub until: i64,
}

const COLUMNS: &str = "local_day, route_id, direction, local_hour, runs, promised, vehicles, \
    headways, h_sum, h_sq, sched_n, sched_sum, sched_sq, h_sum_sched, h_sq_sched, \
    travel_obs_s, travel_sched_s, until_t";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ServiceRow> {
    Ok(ServiceRow {
        day: r.try_get(0)?,
        route_id: r.try_get(1)?,
        direction: r
            .try_get::<i32, _>(2)
            .map(i64::from)
            .or_else(|_| r.try_get(2))?,
        hour: r
            .try_get::<i32, _>(3)
            .map(i64::from)
            .or_else(|_| r.try_get(3))?,
        runs: r.try_get(4)?,
        promised: r.try_get(5)?,
        vehicles: r.try_get(6)?,
        headways: r.try_get(7)?,
        h_sum: r.try_get(8)?,
        h_sq: r.try_get(9)?,
        sched_n: r.try_get(10)?,
        sched_sum: r.try_get(11)?,
        sched_sq: r.try_get(12)?,
        h_sum_sched: r.try_get(13)?,
        h_sq_sched: r.try_get(14)?,
        travel_obs_s: r.try_get(15)?,
        travel_sched_s: r.try_get(16)?,
        until: r.try_get(17)?,
    })
}

impl Store {
    /// Writes `rows`, each replacing its cell, in one transaction.
    pub async fn put_service_cells(&self, rows: &[ServiceRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for r in rows {
            sqlx::query(&format!(
                "INSERT INTO service_cells ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                 $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
                 ON CONFLICT (local_day, route_id, direction, local_hour) DO UPDATE SET
                 runs = excluded.runs, promised = excluded.promised,
                 vehicles = excluded.vehicles, headways = excluded.headways,
                 h_sum = excluded.h_sum, h_sq = excluded.h_sq, sched_n = excluded.sched_n,
                 sched_sum = excluded.sched_sum, sched_sq = excluded.sched_sq,
                 h_sum_sched = excluded.h_sum_sched, h_sq_sched = excluded.h_sq_sched,
                 travel_obs_s = excluded.travel_obs_s, travel_sched_s = excluded.travel_sched_s,
                 until_t = excluded.until_t"
            ))
            .bind(&r.day)
            .bind(&r.route_id)
            .bind(r.direction as i32)
            .bind(r.hour as i32)
            .bind(r.runs)
            .bind(r.promised)
            .bind(r.vehicles)
            .bind(r.headways)
            .bind(r.h_sum)
            .bind(r.h_sq)
            .bind(r.sched_n)
            .bind(r.sched_sum)
            .bind(r.sched_sq)
            .bind(r.h_sum_sched)
            .bind(r.h_sq_sched)
            .bind(r.travel_obs_s)
            .bind(r.travel_sched_s)
            .bind(r.until)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await
    }

    /// The cells of local days `from..=to` (`YYYY-MM-DD`), of one route when given.
    pub async fn service_cells(
        &self,
        from: &str,
        to: &str,
        route: Option<&str>,
    ) -> Result<Vec<ServiceRow>> {
        let rows = match route {
            Some(r) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM service_cells
                     WHERE local_day >= $1 AND local_day <= $2 AND route_id = $3"
                ))
                .bind(from)
                .bind(to)
                .bind(r)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM service_cells
                     WHERE local_day >= $1 AND local_day <= $2"
                ))
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(from_row).collect()
    }

    /// The cells of local days `from..=to` summed per route, direction and hour (the days
    /// together; `day` left empty): what the dashboard's week reads, summed by the database.
    pub async fn service_cells_by_hour(
        &self,
        from: &str,
        to: &str,
        route: Option<&str>,
    ) -> Result<Vec<ServiceRow>> {
        let sql = format!(
            "SELECT CAST('' AS TEXT), route_id, direction, local_hour, CAST(SUM(runs) AS BIGINT),
                    SUM(promised), CAST(MAX(vehicles) AS BIGINT), CAST(SUM(headways) AS BIGINT),
                    SUM(h_sum), SUM(h_sq), CAST(SUM(sched_n) AS BIGINT), SUM(sched_sum),
                    SUM(sched_sq), SUM(h_sum_sched), SUM(h_sq_sched), SUM(travel_obs_s),
                    SUM(travel_sched_s), CAST(MAX(until_t) AS BIGINT)
             FROM service_cells WHERE local_day >= $1 AND local_day <= $2 {}
             GROUP BY route_id, direction, local_hour",
            if route.is_some() {
                "AND route_id = $3"
            } else {
                ""
            }
        );
        let mut q = sqlx::query(&sql).bind(from).bind(to);
        if let Some(r) = route {
            q = q.bind(r);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// Planned trips per (route, local hour) on local days `from..=to` (the trips' own
    /// rollup, exact: officials only).
    pub async fn planned_by_route_hour(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT route_id, local_hour, CAST(SUM(trips) AS BIGINT) FROM route_rollup
             WHERE local_day >= $1 AND local_day <= $2 GROUP BY route_id, local_hour",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get::<i32, _>(1)
                        .map(i64::from)
                        .or_else(|_| r.try_get(1))?,
                    r.try_get(2)?,
                ))
            })
            .collect()
    }
}
