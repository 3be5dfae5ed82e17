//! The observatory's public statistics: releases computed once per closed period, stored, and
//! served as stored.
//!
//! A job computes, at start and every hour, every period that has closed (a week of the month
//! once its last day is over, a month once it is over) and has no release yet, for the last
//! thirteen months; nothing public is ever computed from records at request time.

use crate::Obs;
use chrono::Datelike;
use observatory::privacy::PrivacyError;
use observatory::publish::{Period, Release};
use observatory::release::{Domains, Records};
use std::collections::BTreeSet;
use store::{StoreError, StoredRelease};
use timetable::{Day, Timetable};

/// Why a release could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The privacy library refused the parameters.
    #[error(transparent)]
    Privacy(#[from] PrivacyError),
    /// A stored release could not be read or written.
    #[error("a release could not be (de)serialised: {0}")]
    Body(String),
}

/// The zones a release covers: every zone within `max_distance_m` of a stop (reports farther
/// than that are refused), fixed by the timetable, not by where reports are.
pub fn zones_of_network(tt: &Timetable, cell_m: f64, max_distance_m: f64) -> Vec<String> {
    let rings = (max_distance_m / cell_m).ceil() as i64;
    let mut zones = BTreeSet::new();
    let step_lat = cell_m / 111_320.0;
    for s in tt.stops() {
        let (lat, lon) = (s.coord.lat(), s.coord.lon());
        let step_lon = step_lat / lat.to_radians().cos().max(0.01);
        for dy in -rings..=rings {
            for dx in -rings..=rings {
                zones.insert(observatory::zone::zone_of(
                    lat + dy as f64 * step_lat,
                    lon + dx as f64 * step_lon,
                    cell_m,
                ));
            }
        }
    }
    zones.into_iter().collect()
}

/// The domains of a release over `tt`: the configured categories, the timetable's routes and
/// zones, and the options of every version of every survey (published by officials, not by
/// respondents: which cells exist reveals nothing about the records).
pub async fn domains(tt: &Timetable, o: &Obs) -> Result<Domains, StoreError> {
    if let Err(e) = crate::questionnaires::ensure_seeded(o, i18n::Lang::Es).await {
        tracing::warn!("the bundled surveys could not be stored: {e}");
    }
    let mut defs = Vec::new();
    for v in o.store.survey_versions().await? {
        match serde_json::from_str::<observatory::questionnaire::Definition>(&v.body) {
            Ok(d) => defs.push(d),
            Err(e) => {
                tracing::warn!(survey = %v.code, version = v.version, "a stored survey does not parse: {e}");
            }
        }
    }
    let (answers, answer_cells) = observatory::questionnaire::release_domain(&defs);
    Ok(Domains {
        categories: o.catalogue().categories(),
        routes: tt.routes().iter().map(|r| r.id.clone()).collect(),
        zones: zones_of_network(tt, o.settings.zone_cell_m, o.settings.max_distance_m),
        answers,
        answer_cells,
    })
}

/// `YYYY-MM` of a local date.
fn month_of(d: chrono::NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn first_of(month: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()
}

fn days_in(first: chrono::NaiveDate) -> u8 {
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    u8::try_from((next - first).num_days()).unwrap_or(30)
}

/// The periods of `month` that are over on local `today`.
pub fn closed_periods(month: &str, today: chrono::NaiveDate) -> Vec<Period> {
    let Some(first) = first_of(month) else {
        return Vec::new();
    };
    Period::of_month(month, days_in(first))
        .into_iter()
        .filter(|p| {
            chrono::NaiveDate::parse_from_str(&p.to, "%Y-%m-%d").is_ok_and(|last| last < today)
        })
        .collect()
}

/// Computes and stores every closed period of the last thirteen months that has no release.
/// Returns the names of the periods released.
pub async fn release_due(o: &Obs, tt: &Timetable, now: i64) -> Result<Vec<String>, ReleaseError> {
    let (today, _) = planner::clock::unix_to_local(tt, now);
    let Ok(today) = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d") else {
        return Ok(Vec::new());
    };
    let released: BTreeSet<(String, u8)> = o.store.release_periods().await?.into_iter().collect();
    let first_record = o.store.first_record_at().await?;
    let Some(first_record) = first_record else {
        return Ok(Vec::new());
    };
    let (start, _) = planner::clock::unix_to_local(tt, first_record);
    let oldest = today
        .checked_sub_months(chrono::Months::new(13))
        .unwrap_or(today)
        .with_day(1)
        .unwrap_or(today);
    let mut month = chrono::NaiveDate::parse_from_str(&start, "%Y-%m-%d")
        .map_or(oldest, |d| d.with_day(1).unwrap_or(d))
        .max(oldest);
    let domains = domains(tt, o).await?;
    let mut done = Vec::new();
    while month <= today {
        let name = month_of(month);
        let due: Vec<Period> = closed_periods(&name, today)
            .into_iter()
            .filter(|p| !released.contains(&(name.clone(), p.week.unwrap_or(0))))
            .collect();
        if !due.is_empty() {
            done.extend(release_month(o, tt, &domains, month, &due, now).await?);
        }
        month = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(today.succ_opt().unwrap_or(today));
    }
    Ok(done)
}

/// Whether any period has been released; `None` when the database does not answer.
pub(crate) async fn any_released(o: &Obs) -> Option<bool> {
    o.store.release_periods().await.ok().map(|p| !p.is_empty())
}

/// Computes and stores the given periods of `month` (`YYYY-MM`; `None` is the whole month),
/// closed or not: for operators' tools and tests. A period already released is kept.
pub async fn release_periods(
    o: &Obs,
    tt: &Timetable,
    month: &str,
    weeks: &[Option<u8>],
    now: i64,
) -> Result<Vec<String>, ReleaseError> {
    let Some(first) = first_of(month) else {
        return Ok(Vec::new());
    };
    let due: Vec<Period> = Period::of_month(month, days_in(first))
        .into_iter()
        .filter(|p| weeks.contains(&p.week))
        .collect();
    release_month(o, tt, &domains(tt, o).await?, first, &due, now).await
}

async fn release_month(
    o: &Obs,
    tt: &Timetable,
    domains: &Domains,
    first: chrono::NaiveDate,
    due: &[Period],
    now: i64,
) -> Result<Vec<String>, ReleaseError> {
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let from = planner::clock::local_to_unix(tt, Day::from_date(first), 0);
    let to = planner::clock::local_to_unix(tt, Day::from_date(next), 0);
    let tz = planner::clock::timezone(tt);
    let records: Records = o
        .store
        .release_records(from, to, |t| {
            use chrono::TimeZone;
            tz.timestamp_opt(t, 0)
                .single()
                .map_or(1, |d| u8::try_from(d.day()).unwrap_or(1))
        })
        .await?;
    let mut done = Vec::new();
    for p in due {
        let release = Release::compute(
            &records,
            domains,
            &o.settings.budget,
            p.clone(),
            days_in(first),
            now,
        )?;
        let body =
            serde_json::to_string(&release).map_err(|e| ReleaseError::Body(e.to_string()))?;
        let stored = StoredRelease {
            month: p.month.clone(),
            week: p.week.unwrap_or(0),
            computed_at: now,
            body,
        };
        if o.store.save_release(&stored).await? {
            tracing::info!(period = %p.name(), rho = release.rho, "observatory release published");
            done.push(p.name());
        }
    }
    Ok(done)
}

/// Reads stored releases back.
pub fn parse(stored: &[StoredRelease]) -> Result<Vec<Release>, ReleaseError> {
    stored
        .iter()
        .map(|s| serde_json::from_str(&s.body).map_err(|e| ReleaseError::Body(e.to_string())))
        .collect()
}

/// The month a local date belongs to, and its name.
pub fn month_name(d: chrono::NaiveDate) -> String {
    month_of(d)
}

/// Releases every closed period at start, then every hour; failures are logged and retried.
pub fn spawn_job(obs: std::sync::Arc<Obs>, app: std::sync::Weak<crate::App>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        let mut first = true;
        loop {
            every.tick().await;
            let Some(app) = app.upgrade() else { return };
            let tt = app.dataset().timetable.clone();
            match release_due(&obs, &tt, crate::now_unix()).await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(?done, "releases computed");
                    // A new release: the safer planner reads it.
                    app.refresh_risk().await;
                }
                Ok(_) if first => app.refresh_risk().await,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "computing releases failed; retrying in an hour")
                }
            }
            first = false;
        }
    });
}

/// The records of a range, unbounded, for the officials' internal (exact) figures.
pub async fn exact_records(
    o: &Obs,
    tt: &Timetable,
    from: i64,
    to: i64,
) -> Result<Records, StoreError> {
    let tz = planner::clock::timezone(tt);
    o.store
        .release_records(from, to, |t| {
            use chrono::TimeZone;
            tz.timestamp_opt(t, 0)
                .single()
                .map_or(1, |d| u8::try_from(d.day()).unwrap_or(1))
        })
        .await
}
