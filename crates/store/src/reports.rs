//! Incident reports: filing (deduplicated, idempotent), following by secret, handling by officials, erasure, and the aggregates releases read.

use super::*;
use sqlx::Row;
use std::str::FromStr;

impl Store {
    /// Stores a report, linking it (for officials only) to a likely duplicate: same category
    /// within `radius_m` and two hours. With an idempotency key already seen for the same
    /// submission, returns the first report and its secret instead of storing another.
    pub async fn create_report(
        &self,
        r: &NewReport,
        idempotency_key: Option<&str>,
        now: i64,
    ) -> Result<Created> {
        let fingerprint = r.fingerprint();
        if let Some(key) = idempotency_key
            && let Some(created) = self.replay(key, &fingerprint, now).await?
        {
            return Ok(created);
        }
        let duplicate_of = self.likely_duplicate(r).await?;
        let id = new_id();
        let reference = new_case_id();
        let secret = new_secret();
        let mut tx = self.begin_write().await?;
        if let Some(key) = idempotency_key {
            // A concurrent retry with the same key loses on the primary key and replays.
            let inserted = sqlx::query(
                "INSERT INTO idempotency (key, fingerprint, reference, created_at, secret)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
            )
            .bind(idempotency::handle(key))
            .bind(&fingerprint)
            .bind(&reference)
            .bind(now)
            .bind(idempotency::seal(key, &reference, &secret))
            .execute(tx.conn())
            .await?
            .rows_affected();
            if inserted == 0 {
                tx.rollback().await;
                return self
                    .replay(key, &fingerprint, now)
                    .await?
                    .ok_or(StoreError::KeyReused);
            }
        }
        sqlx::query(
            "INSERT INTO reports (id, reference, category, lat, lon, stop_id, route_id, zone,
             occurred_at, local_hour, reported_at, description, gender, age_band, channel, status,
             updated_at, duplicate_of, rider, secret_hash, actor_involved, actor_victim)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $22)",
        )
        .bind(id)
        .bind(&reference)
        .bind(&r.category)
        .bind(r.lat)
        .bind(r.lon)
        .bind(r.stop_id.as_deref())
        .bind(r.route_id.as_deref())
        .bind(&r.zone)
        .bind(r.occurred_at)
        .bind(i32::from(r.local_hour))
        .bind(now)
        .bind(r.description.as_deref())
        .bind(r.gender.map(|g| g.as_str()))
        .bind(r.age_band.map(|a| a.as_str()))
        .bind(r.channel.as_str())
        .bind(Status::Open.as_str())
        .bind(now)
        .bind(duplicate_of.as_deref())
        .bind(r.rider.as_deref())
        .bind(secret_hash(&secret))
        .bind(r.actors.involved.as_deref())
        .bind(r.actors.victim.as_deref())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        // Built from what was written, not read back: once COMMIT returned, the answer is a
        // success even if the database stopped answering right after.
        Ok(Created {
            report: Report {
                reference,
                category: r.category.clone(),
                lat: r.lat,
                lon: r.lon,
                stop_id: r.stop_id.clone(),
                route_id: r.route_id.clone(),
                zone: r.zone.clone(),
                occurred_at: r.occurred_at,
                local_hour: r.local_hour,
                reported_at: now,
                description: r.description.clone(),
                gender: r.gender,
                age_band: r.age_band,
                channel: r.channel,
                status: Status::Open,
                updated_at: now,
                acknowledged_at: None,
                closed_at: None,
                duplicate_of,
                actors: r.actors.clone(),
            },
            secret,
            replayed: false,
        })
    }

    /// Deletes idempotency keys (and the secrets they replay) older than a day; a key seen
    /// again after that is a new submission.
    pub async fn expire_idempotency_keys(&self, now: i64) -> Result<u64> {
        self.write_one(
            sqlx::query("DELETE FROM idempotency WHERE created_at <= $1")
                .bind(now - IDEMPOTENCY_TTL_S),
        )
        .await
    }

    /// A report by the secret its reporter holds.
    pub async fn report_by_secret(&self, secret: &str) -> Result<Option<Report>> {
        let row = sqlx::query(&format!("{REPORT_SELECT} WHERE secret_hash = $1"))
            .bind(secret_hash(secret))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| report_from_row(&r)).transpose()
    }

    /// A report by its reference.
    pub async fn report(&self, reference: &str) -> Result<Option<Report>> {
        let row = sqlx::query(&format!("{REPORT_SELECT} WHERE reference = $1"))
            .bind(reference)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| report_from_row(&r)).transpose()
    }

    /// Reports matching a filter, newest first.
    pub async fn reports(&self, f: &ReportFilter) -> Result<Vec<Report>> {
        let rows = sqlx::query(&format!(
            "{REPORT_SELECT} WHERE occurred_at >= $1 AND occurred_at < $2
               AND ($3 = '' OR status = $3) AND ($4 = '' OR category = $4)
             ORDER BY occurred_at DESC, reference LIMIT $5"
        ))
        .bind(f.from)
        .bind(f.to)
        .bind(f.status.map_or("", |s| s.as_str()))
        .bind(f.category.as_deref().unwrap_or(""))
        .bind(f.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report_from_row).collect()
    }

    /// The status history of a report, oldest first.
    pub async fn report_events(&self, reference: &str) -> Result<Vec<ReportEvent>> {
        let rows = sqlx::query(
            "SELECT e.at, e.status, e.note, e.official FROM report_events e
             JOIN reports r ON r.id = e.report_id WHERE r.reference = $1 ORDER BY e.at, e.id",
        )
        .bind(reference)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportEvent {
                    at: r.try_get(0)?,
                    status: parse_status(&r.try_get::<String, _>(1)?)?,
                    note: r.try_get(2)?,
                    official: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Moves a report along the workflow (open → acknowledged → in progress → closed), with
    /// an official's note.
    pub async fn change_status(
        &self,
        reference: &str,
        to: Status,
        note: &str,
        official: &str,
        now: i64,
    ) -> Result<Report> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT id, status FROM reports WHERE reference = $1")
            .bind(reference)
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| StoreError::UnknownReport(reference.to_string()))?;
        let id: i64 = row.try_get(0)?;
        let from = parse_status(&row.try_get::<String, _>(1)?)?;
        if !from.can_become(to) {
            return Err(StoreError::BadTransition { from, to });
        }
        // Guarded by the status read above, so two officials racing cannot both move it.
        let changed = sqlx::query(
            "UPDATE reports SET status = $1, updated_at = $2,
               acknowledged_at = CASE WHEN acknowledged_at IS NULL AND $3 = 1 THEN $4 ELSE acknowledged_at END,
               closed_at = CASE WHEN $5 = 1 THEN $6 ELSE NULL END
             WHERE id = $7 AND status = $8",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(i32::from(to != Status::Open))
        .bind(now)
        .bind(i32::from(to == Status::Closed))
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::BadTransition { from, to });
        }
        sqlx::query(
            "INSERT INTO report_events (id, report_id, at, status, note, official)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(id)
        .bind(now)
        .bind(to.as_str())
        .bind(note)
        .bind(official)
        .execute(tx.conn())
        .await?;
        // The reporter is told (by the bot) if the report is linked to one.
        sqlx::query(
            "INSERT INTO notifications (id, rider, reference, status, note, created_at)
             SELECT $1, rider, reference, $2, $3, $4 FROM reports WHERE id = $5 AND rider IS NOT NULL",
        )
        .bind(new_id())
        .bind(to.as_str())
        .bind(note)
        .bind(now)
        .bind(id)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        self.report(reference)
            .await?
            .ok_or_else(|| StoreError::UnknownReport(reference.to_string()))
    }

    /// Right to erasure, by the secret only the reporter holds: deletes the report, its
    /// history, the idempotency keys and notifications pointing at it. Returns whether there
    /// was one.
    pub async fn erase_report_by_secret(&self, secret: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT reference FROM reports WHERE secret_hash = $1")
            .bind(secret_hash(secret))
            .fetch_optional(tx.conn())
            .await?;
        let Some(row) = row else {
            tx.rollback().await;
            return Ok(false);
        };
        let reference: String = row.try_get(0)?;
        let (_, photos) = erase_in(&mut tx, &reference).await?;
        tx.commit().await?;
        self.remove_photo_files(&photos).await;
        Ok(true)
    }

    /// Erasure by the officials' case id (the bot's `/borrar`, tests).
    pub async fn erase_report(&self, reference: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let (n, photos) = erase_in(&mut tx, reference).await?;
        tx.commit().await?;
        self.remove_photo_files(&photos).await;
        Ok(n > 0)
    }

    /// Incident counts grouped by category, gender, hour and route.
    /// With `by_zone`, also by zone (more groups; only when a table asks for it).
    pub async fn report_groups(
        &self,
        from: i64,
        to: i64,
        by_zone: bool,
    ) -> Result<Vec<ReportGroup>> {
        // PostgreSQL refuses a constant in GROUP BY: group by the zone only when asked.
        let (zone, group_zone) = if by_zone {
            ("zone", ", zone")
        } else {
            ("''", "")
        };
        let sql = format!(
            "SELECT category, COALESCE(gender, ''), local_hour, COALESCE(route_id, ''), COUNT(*),
                    {zone}
             FROM reports WHERE occurred_at >= $1 AND occurred_at < $2
             GROUP BY category, COALESCE(gender, ''), local_hour, COALESCE(route_id, ''){group_zone}"
        );
        let rows = self.rows_between(&sql, from, to).await?;
        rows.iter()
            .map(|r| {
                Ok(ReportGroup {
                    category: r.try_get(0)?,
                    gender: non_empty(r.try_get(1)?),
                    local_hour: hour(r, 2)?,
                    route_id: non_empty(r.try_get(3)?),
                    reports: r.try_get(4)?,
                    zone: non_empty(r.try_get(5)?),
                })
            })
            .collect()
    }

    /// How reports reported in `[from, to)` were handled.
    pub async fn handling(&self, from: i64, to: i64) -> Result<Handling> {
        let rows = self
            .rows_between(
                "SELECT reported_at, acknowledged_at, closed_at FROM reports
             WHERE reported_at >= $1 AND reported_at < $2",
                from,
                to,
            )
            .await?;
        let mut h = Handling::default();
        for r in &rows {
            let reported: i64 = r.try_get(0)?;
            let ack: Option<i64> = r.try_get(1)?;
            let closed: Option<i64> = r.try_get(2)?;
            h.reports += 1;
            if ack.is_some_and(|a| a - reported <= 48 * 3600) {
                h.acknowledged_within_48h += 1;
            }
            if let Some(c) = closed {
                h.closed += 1;
                h.close_durations_s.push(c - reported);
            }
        }
        h.close_durations_s.sort_unstable();
        Ok(h)
    }

    /// Incidents in a zone grid: count per (zone, category).
    pub async fn report_zones(&self, from: i64, to: i64) -> Result<Vec<(String, String, i64)>> {
        let rows = self
            .rows_between(
                "SELECT zone, category, COUNT(*) FROM reports
             WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY zone, category",
                from,
                to,
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// The earliest report of the same category within 200 m and 2 hours, if any. The
    /// distance is tested in SQL (equirectangular, exact to well under a metre at 200 m) and
    /// the scan, along the (category, occurred_at) index, stops at the first match: a spot
    /// with thousands of reports costs what a spot with one does.
    async fn likely_duplicate(&self, r: &NewReport) -> Result<Option<String>> {
        const WINDOW_S: i64 = 2 * 3600;
        let (Some(lat), Some(lon)) = (r.lat, r.lon) else {
            return Ok(None);
        };
        let dlat = DUPLICATE_RADIUS_M / 111_320.0;
        let cos = lat.to_radians().cos().max(0.01);
        let dlon = dlat / cos;
        let row = sqlx::query(
            "SELECT reference FROM reports
             WHERE category = $1 AND occurred_at BETWEEN $2 AND $3
               AND lat BETWEEN $4 AND $5 AND lon BETWEEN $6 AND $7
               AND (lat - $8) * (lat - $9) + (lon - $10) * (lon - $11) * $12 <= $13
             ORDER BY occurred_at, reference LIMIT 1",
        )
        .bind(&r.category)
        .bind(r.occurred_at - WINDOW_S)
        .bind(r.occurred_at + WINDOW_S)
        .bind(lat - dlat)
        .bind(lat + dlat)
        .bind(lon - dlon)
        .bind(lon + dlon)
        .bind(lat)
        .bind(lat)
        .bind(lon)
        .bind(lon)
        .bind(cos * cos)
        .bind(dlat * dlat)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| row.try_get(0))
            .transpose()
            .map_err(Into::into)
    }
}

/// Deletes a report and everything pointing at it, inside `tx`; returns rows deleted.
/// Erases report `reference` with everything attached; returns the rows it deleted and the
/// ids of its photos (whose files go once the transaction commits).
async fn erase_in(tx: &mut tx::Write, reference: &str) -> Result<(u64, Vec<String>)> {
    let photos = photos::erase_photos_in(tx, reference).await?;
    sqlx::query(
        "DELETE FROM report_events WHERE report_id IN
         (SELECT id FROM reports WHERE reference = $1)",
    )
    .bind(reference)
    .execute(tx.conn())
    .await?;
    for sql in [
        "DELETE FROM idempotency WHERE reference = $1",
        "DELETE FROM notifications WHERE reference = $1",
    ] {
        sqlx::query(sql).bind(reference).execute(tx.conn()).await?;
    }
    let n = sqlx::query("DELETE FROM reports WHERE reference = $1")
        .bind(reference)
        .execute(tx.conn())
        .await?
        .rows_affected();
    // Later reports that pointed at it as a likely duplicate no longer do.
    sqlx::query("UPDATE reports SET duplicate_of = NULL WHERE duplicate_of = $1")
        .bind(reference)
        .execute(tx.conn())
        .await?;
    Ok((n, photos))
}

const DUPLICATE_RADIUS_M: f64 = 200.0;

pub(crate) const REPORT_SELECT: &str =
    "SELECT reference, category, lat, lon, stop_id, route_id, zone,
    occurred_at, local_hour, reported_at, description, gender, age_band, channel, status,
    updated_at, acknowledged_at, closed_at, duplicate_of, actor_involved, actor_victim
    FROM reports";

pub(crate) fn parse_status(s: &str) -> Result<Status> {
    Status::from_str(s).map_err(|()| StoreError::Open(format!("unknown status `{s}` stored")))
}

pub(crate) fn report_from_row(r: &AnyRow) -> Result<Report> {
    let gender: Option<String> = r.try_get(11)?;
    let age: Option<String> = r.try_get(12)?;
    let channel: String = r.try_get(13)?;
    Ok(Report {
        reference: r.try_get(0)?,
        category: r.try_get(1)?,
        lat: r.try_get(2)?,
        lon: r.try_get(3)?,
        stop_id: r.try_get(4)?,
        route_id: r.try_get(5)?,
        zone: r.try_get(6)?,
        occurred_at: r.try_get(7)?,
        local_hour: hour(r, 8)?,
        reported_at: r.try_get(9)?,
        description: r.try_get(10)?,
        gender: gender.as_deref().and_then(|g| Gender::from_str(g).ok()),
        age_band: age.as_deref().and_then(|a| AgeBand::from_str(a).ok()),
        channel: Channel::from_str(&channel).unwrap_or(Channel::Api),
        status: parse_status(&r.try_get::<String, _>(14)?)?,
        updated_at: r.try_get(15)?,
        acknowledged_at: r.try_get(16)?,
        closed_at: r.try_get(17)?,
        duplicate_of: r.try_get(18)?,
        actors: RoadActors {
            involved: r.try_get(19)?,
            victim: r.try_get(20)?,
        },
    })
}
