//! Planned trips as recorded (zones and hours, never coordinates) and their aggregates.

use super::*;
use sqlx::Row;

impl Store {
    /// Records planned trips in one transaction.
    pub async fn record_trips(&self, trips: &[TripRecord]) -> Result<()> {
        if trips.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for t in trips {
            let id = new_id();
            sqlx::query(
                "INSERT INTO trips (id, planned_at, local_day, local_hour, channel, origin_zone,
                 dest_zone, found, travel_s, wait_s, walk_s, transfers, routes, gender, age_band,
                 disability, caregiver, purpose, rider, safer)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                 $17, $18, $19, $20)",
            )
            .bind(id)
            .bind(t.planned_at)
            .bind(&t.local_day)
            .bind(i32::from(t.local_hour))
            .bind(t.channel.as_str())
            .bind(&t.origin_zone)
            .bind(&t.dest_zone)
            .bind(i32::from(t.best.is_some()))
            .bind(t.best.as_ref().map(|b| b.travel_s))
            .bind(t.best.as_ref().map(|b| b.wait_s))
            .bind(t.best.as_ref().map(|b| b.walk_s))
            .bind(t.best.as_ref().map(|b| b.transfers))
            .bind(t.best.as_ref().map(|b| b.routes.join(",")))
            .bind(
                t.profile
                    .as_ref()
                    .and_then(|p| p.gender)
                    .map(|g| g.as_str()),
            )
            .bind(
                t.profile
                    .as_ref()
                    .and_then(|p| p.age_band)
                    .map(|a| a.as_str()),
            )
            .bind(t.profile.as_ref().map(|p| i32::from(p.disability)))
            .bind(t.profile.as_ref().map(|p| i32::from(p.caregiver)))
            .bind(
                t.profile
                    .as_ref()
                    .and_then(|p| p.purpose)
                    .map(|p| p.as_str()),
            )
            .bind(t.rider.as_deref())
            .bind(i32::from(t.safer))
            .execute(tx.conn())
            .await?;
        }
        // The aggregates, summed per key over the batch, then added in the same transaction.
        type TripKey<'a> = (&'a str, u8, &'a str, &'a str);
        let mut rollup: std::collections::BTreeMap<TripKey<'_>, [i64; 6]> = Default::default();
        let mut per_route: std::collections::BTreeMap<(&str, &str, u8), i64> = Default::default();
        for t in trips {
            let gender = t
                .profile
                .as_ref()
                .and_then(|p| p.gender)
                .map_or("", |g| g.as_str());
            let purpose = t
                .profile
                .as_ref()
                .and_then(|p| p.purpose)
                .map_or("", |p| p.as_str());
            let e = rollup
                .entry((&t.local_day, t.local_hour, gender, purpose))
                .or_default();
            e[0] += 1;
            if let Some(b) = &t.best {
                e[1] += 1;
                e[2] += i64::from(b.travel_s);
                e[3] += i64::from(b.wait_s);
                e[4] += i64::from(b.walk_s);
                e[5] += i64::from(b.transfers);
                let mut routes: Vec<&String> = b.routes.iter().collect();
                routes.sort_unstable();
                routes.dedup();
                for r in routes {
                    *per_route
                        .entry((&t.local_day, r, t.local_hour))
                        .or_default() += 1;
                }
            }
        }
        for ((day, hour, gender, purpose), v) in rollup {
            sqlx::query(
                "INSERT INTO trip_rollup (local_day, local_hour, gender, purpose, trips, found,
                 travel_s, wait_s, walk_s, transfers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (local_day, local_hour, gender, purpose) DO UPDATE SET
                 trips = trip_rollup.trips + excluded.trips, found = trip_rollup.found + excluded.found,
                 travel_s = trip_rollup.travel_s + excluded.travel_s,
                 wait_s = trip_rollup.wait_s + excluded.wait_s,
                 walk_s = trip_rollup.walk_s + excluded.walk_s,
                 transfers = trip_rollup.transfers + excluded.transfers",
            )
            .bind(day)
            .bind(i32::from(hour))
            .bind(gender)
            .bind(purpose)
            .bind(v[0])
            .bind(v[1])
            .bind(v[2])
            .bind(v[3])
            .bind(v[4])
            .bind(v[5])
            .execute(tx.conn())
            .await?;
        }
        for ((day, route, hour), n) in per_route {
            sqlx::query(
                "INSERT INTO route_rollup (local_day, route_id, local_hour, trips)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (local_day, route_id, local_hour)
                 DO UPDATE SET trips = route_rollup.trips + excluded.trips",
            )
            .bind(day)
            .bind(route)
            .bind(i32::from(hour))
            .bind(n)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Number of trip records (for tests and the dashboard's header).
    pub async fn count_trips(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM trips")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// Retention: deletes raw trip records planned before `before`.
    pub async fn delete_trips_before(&self, before: i64) -> Result<u64> {
        self.write_one(sqlx::query("DELETE FROM trips WHERE planned_at < $1").bind(before))
            .await
    }

    /// Trip counts and sums for indicators, grouped by gender, hour and purpose, for the local
    /// days `from_day..=to_day` (`YYYY-MM-DD`), from the aggregates.
    pub async fn trip_groups(&self, from_day: &str, to_day: &str) -> Result<Vec<TripGroup>> {
        // PostgreSQL sums BIGINT into NUMERIC: cast back, on both backends.
        let rows = self
            .rows_between(
                "SELECT gender, local_hour, purpose, CAST(SUM(trips) AS BIGINT),
                    CAST(SUM(found) AS BIGINT), CAST(SUM(travel_s) AS BIGINT),
                    CAST(SUM(wait_s) AS BIGINT), CAST(SUM(walk_s) AS BIGINT),
                    CAST(SUM(transfers) AS BIGINT)
             FROM trip_rollup WHERE local_day >= $1 AND local_day <= $2
             GROUP BY gender, local_hour, purpose",
                from_day,
                to_day,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TripGroup {
                    gender: non_empty(r.try_get(0)?),
                    local_hour: hour(r, 1)?,
                    purpose: non_empty(r.try_get(2)?),
                    trips: r.try_get(3)?,
                    found: r.try_get(4)?,
                    travel_s: r.try_get(5)?,
                    wait_s: r.try_get(6)?,
                    walk_s: r.try_get(7)?,
                    transfers: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// Planned trips per route and hour (demand), for the local days `from_day..=to_day`.
    pub async fn route_demand(&self, from_day: &str, to_day: &str) -> Result<Vec<RouteHour>> {
        let rows = self
            .rows_between(
                "SELECT route_id, local_hour, CAST(SUM(trips) AS BIGINT) FROM route_rollup
             WHERE local_day >= $1 AND local_day <= $2 GROUP BY route_id, local_hour",
                from_day,
                to_day,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RouteHour {
                    route_id: r.try_get(0)?,
                    local_hour: hour(r, 1)?,
                    count: r.try_get(2)?,
                })
            })
            .collect()
    }
}
