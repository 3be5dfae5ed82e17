//! Safer trips: the risk surface the planner weighs walks and waits with, built from the
//! observatory's latest public release (never from raw reports) and the timetable's service,
//! rebuilt when a release is published or the timetable reloaded, swapped atomically.

use crate::{App, Obs, indicators};
use planner::safety::{ReleasedCell, ReleasedMean, RiskSurface, SaferConfig};
use std::sync::Arc;
use timetable::{Day, Timetable};

/// The feature's settings (officials switch it off per deployment).
#[derive(Debug, Clone, PartialEq)]
pub struct SafetySettings {
    /// Incident families weighed (of `acoso`, `robo`, `agresion`, `otro`).
    pub families: Vec<String>,
    /// How risk is traded for time.
    pub safer: SaferConfig,
}

impl Default for SafetySettings {
    fn default() -> Self {
        SafetySettings {
            families: ["acoso", "robo", "agresion"].map(String::from).to_vec(),
            safer: SaferConfig::default(),
        }
    }
}

/// The released incident cells of the latest release, by zone, part of the day and family;
/// `None` before any release.
pub async fn latest_cells(o: &Obs, tt: &Timetable) -> Option<(String, Day, Vec<ReleasedCell>)> {
    let q = indicators::IndicatorQuery {
        indicator: Some("zone_risk".into()),
        ..indicators::IndicatorQuery::default()
    };
    let ans = indicators::read(o, tt, &q, i18n::Lang::Es).await.ok()?;
    let table = ans.answer.tables.iter().find(|t| t.id == "zone_risk")?;
    let part_of = |name: &str| {
        observatory::release::DAY_PARTS
            .iter()
            .position(|(n, _, _)| *n == name)
    };
    let cells = table
        .rows
        .iter()
        .filter_map(|r| {
            Some(ReleasedCell {
                zone: r.key.first()?.clone(),
                part: part_of(r.key.get(1)?)?,
                family: r.key.get(2)?.clone(),
                count: r.count as f64,
                margin: r.margin,
            })
        })
        .collect();
    let day = Day::parse(&ans.to)?;
    Some((ans.periods.join("+"), day, cells))
}

/// The perceived-safety means of the latest release, per gender and hour band (rows whose
/// count cannot carry a mean are left out).
pub async fn latest_means(o: &Obs, tt: &Timetable) -> Vec<ReleasedMean> {
    let q = indicators::IndicatorQuery {
        indicator: Some("perceived_safety".into()),
        ..indicators::IndicatorQuery::default()
    };
    let Ok(ans) = indicators::read(o, tt, &q, i18n::Lang::Es).await else {
        return Vec::new();
    };
    let Some(table) = ans
        .answer
        .tables
        .iter()
        .find(|t| t.id == "perceived_safety")
    else {
        return Vec::new();
    };
    let Some(m) = table.measures.iter().position(|n| n == "safety_mean") else {
        return Vec::new();
    };
    let first_hour = |band: &str| {
        observatory::HOUR_BANDS
            .iter()
            .find(|(n, _, _)| *n == band)
            .map(|b| b.1)
    };
    table
        .rows
        .iter()
        .filter_map(|r| {
            Some(ReleasedMean {
                first_hour: first_hour(r.key.get(1)?)?,
                count: r.count as f64,
                mean: (*r.values.get(m)?)?,
                margin: (*r.value_margins.get(m)?)?,
            })
        })
        .collect()
}

/// The surface of the latest release for `tt`.
pub async fn build(o: &Obs, tt: &Timetable, s: &SafetySettings) -> Option<RiskSurface> {
    let (period, day, cells) = latest_cells(o, tt).await?;
    let means = latest_means(o, tt).await;
    Some(
        planner::safety::surface(
            tt,
            day,
            o.settings.zone_cell_m,
            period,
            &s.families,
            &cells,
            s.safer,
        )
        .with_perceived(&means),
    )
}

impl App {
    /// Rebuilds the risk surface from the latest release (or clears it: feature off, no
    /// observatory, no release yet).
    pub async fn refresh_risk(&self) {
        let surface = match (self.observatory(), &self.settings().safety) {
            (Some(o), Some(s)) => {
                let tt = Arc::clone(&self.dataset().timetable);
                build(o, &tt, s).await.map(Arc::new)
            }
            _ => None,
        };
        if let Some(s) = &surface {
            tracing::info!(zones = s.len(), period = %s.period, "risk surface ready");
        }
        self.set_risk(surface);
    }
}
