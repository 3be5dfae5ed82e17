//! The indicators, computed from grouped counts (never from individual records) and published
//! through [`crate::suppress::publish`]. Each has a stable id; its title and definition are in
//! the catalog as `indicator.<id>.title` / `.definition`.

use crate::model::{Gender, Handling, Purpose, ReportGroup, RouteHour, SurveyGroup, TripGroup};
use crate::suppress::{Cell, Table, TooLarge, publish};
use crate::{Category, HOUR_BANDS, hour_band};
use serde::Serialize;
use std::collections::BTreeMap;

/// Accessibility of the network, from the timetable (no people involved).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Accessibility {
    /// Stops.
    pub stops: u64,
    /// Stops with wheelchair_boarding = 1.
    pub stops_accessible: u64,
    /// Runs on the reference day.
    pub runs: u64,
    /// Runs with wheelchair_accessible = 1.
    pub runs_accessible: u64,
}

/// What the indicators are computed from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Planned trips by gender, hour, purpose.
    pub trips: Vec<TripGroup>,
    /// Planned trips per route and hour.
    pub demand: Vec<RouteHour>,
    /// Runs per route and hour on a reference day of the timetable.
    pub supply: Vec<RouteHour>,
    /// Incidents by category, gender, hour, route.
    pub reports: Vec<ReportGroup>,
    /// Incidents by zone (and category).
    pub zones: Vec<(String, String, i64)>,
    /// Survey answers.
    pub surveys: Vec<SurveyGroup>,
    /// Report handling.
    pub handling: Handling,
    /// Network accessibility.
    pub accessibility: Accessibility,
    /// Days the range covers (for per-hour averages).
    pub days: f64,
}

/// Which dimensions the count tables are grouped by, and filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Dimensions for the trips and incidents tables; empty: each table's own.
    pub group_by: Vec<String>,
    /// Only this route.
    pub route: Option<String>,
    /// Only this category.
    pub category: Option<String>,
}

/// One published indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// Stable id.
    pub id: &'static str,
    /// The table, suppressed.
    pub table: Table,
}

/// Ids of the published indicators, in the order [`compute`] returns them.
pub const IDS: [&str; 11] = [
    "trips",
    "trip_times",
    "incidents",
    "incidents_per_10k_trips",
    "harassment_share",
    "perceived_safety",
    "satisfaction",
    "report_handling",
    "accessibility",
    "supply_demand",
    "incidents_by_zone",
];

/// Dimensions the trips table can be grouped by.
pub const TRIP_DIMS: [&str; 3] = ["gender", "hour_band", "purpose"];
/// Dimensions the incidents table can be grouped by.
pub const INCIDENT_DIMS: [&str; 5] = ["category", "gender", "hour_band", "route", "zone"];

/// The label used for an undeclared value.
pub const UNDECLARED: &str = "sin_dato";

fn genders() -> Vec<String> {
    Gender::ALL
        .iter()
        .map(|g| g.as_str().to_string())
        .chain([UNDECLARED.to_string()])
        .collect()
}

fn bands() -> Vec<String> {
    HOUR_BANDS.iter().map(|b| b.0.to_string()).collect()
}

fn or_undeclared(v: Option<&String>) -> String {
    v.cloned().unwrap_or_else(|| UNDECLARED.to_string())
}

fn domain(dim: &str, categories: &[Category]) -> Vec<String> {
    match dim {
        "gender" => genders(),
        "hour_band" => bands(),
        "purpose" => Purpose::ALL
            .iter()
            .map(|p| p.as_str().to_string())
            .chain([UNDECLARED.to_string()])
            .collect(),
        "category" => categories.iter().map(|c| c.key.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Why the indicators could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndicatorError {
    /// A `group_by` dimension the table does not have.
    UnknownDimension(String),
    /// Too many groups.
    TooLarge(usize),
}

impl From<TooLarge> for IndicatorError {
    fn from(t: TooLarge) -> Self {
        IndicatorError::TooLarge(t.cells)
    }
}

fn dims_for<'a>(q: &'a Query, allowed: &[&'a str], default: &[&'a str]) -> Vec<&'a str> {
    let chosen: Vec<&str> = q
        .group_by
        .iter()
        .map(String::as_str)
        .filter(|d| allowed.contains(d))
        .collect();
    if chosen.is_empty() {
        default.to_vec()
    } else {
        chosen
    }
}

/// Every indicator over `inputs`, with cells of fewer than `k` people suppressed.
pub fn compute(
    inputs: &Inputs,
    q: &Query,
    categories: &[Category],
    k: i64,
) -> Result<Vec<Indicator>, IndicatorError> {
    for d in &q.group_by {
        if !TRIP_DIMS.contains(&d.as_str()) && !INCIDENT_DIMS.contains(&d.as_str()) {
            return Err(IndicatorError::UnknownDimension(d.clone()));
        }
    }
    let reports: Vec<&ReportGroup> = inputs
        .reports
        .iter()
        .filter(|r| q.category.as_ref().is_none_or(|c| &r.category == c))
        .filter(|r| {
            q.route
                .as_ref()
                .is_none_or(|x| r.route_id.as_ref() == Some(x))
        })
        .collect();
    let mut out = Vec::new();

    // 1. Trips by gender × hour band × purpose (or the chosen dimensions).
    let dims = dims_for(q, &TRIP_DIMS, &TRIP_DIMS);
    let cells: Vec<Cell> = inputs
        .trips
        .iter()
        .map(|t| Cell {
            key: dims
                .iter()
                .map(|d| match *d {
                    "gender" => or_undeclared(t.gender.as_ref()),
                    "hour_band" => hour_band(t.local_hour).to_string(),
                    _ => or_undeclared(t.purpose.as_ref()),
                })
                .collect(),
            count: t.trips,
            sums: vec![],
            ns: vec![],
        })
        .collect();
    let domains = dims.iter().map(|d| domain(d, categories)).collect();
    out.push(Indicator {
        id: "trips",
        table: publish(&dims, domains, &[], &cells, k)?,
    });

    // 2. Mean travel, waiting and walking minutes and transfers per trip, by gender.
    let cells: Vec<Cell> = inputs
        .trips
        .iter()
        .map(|t| Cell {
            key: vec![or_undeclared(t.gender.as_ref())],
            count: t.trips,
            sums: vec![
                t.travel_s as f64 / 60.0,
                t.wait_s as f64 / 60.0,
                t.walk_s as f64 / 60.0,
                t.transfers as f64,
            ],
            ns: vec![t.found; 4],
        })
        .collect();
    out.push(Indicator {
        id: "trip_times",
        table: publish(
            &["gender"],
            vec![genders()],
            &["travel_min", "wait_min", "walk_min", "transfers"],
            &cells,
            k,
        )?,
    });

    // 3. Incidents by category × gender × hour band (or the chosen dimensions).
    let dims = dims_for(q, &INCIDENT_DIMS, &["category", "gender", "hour_band"]);
    let cells: Vec<Cell> = reports
        .iter()
        .map(|r| Cell {
            key: dims
                .iter()
                .map(|d| match *d {
                    "category" => r.category.clone(),
                    "gender" => or_undeclared(r.gender.as_ref()),
                    "hour_band" => hour_band(r.local_hour).to_string(),
                    "zone" => or_undeclared(r.zone.as_ref()),
                    _ => or_undeclared(r.route_id.as_ref()),
                })
                .collect(),
            count: r.reports,
            sums: vec![],
            ns: vec![],
        })
        .collect();
    let domains = dims.iter().map(|d| domain(d, categories)).collect();
    out.push(Indicator {
        id: "incidents",
        table: publish(&dims, domains, &[], &cells, k)?,
    });

    // 4. Incidents per 10,000 planned trips, by route: both counts must be publishable.
    let mut by_route: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &reports {
        if let Some(route) = &r.route_id {
            by_route.entry(route.clone()).or_default().0 += r.reports;
        }
    }
    for d in &inputs.demand {
        if q.route.as_ref().is_none_or(|x| &d.route_id == x) {
            by_route.entry(d.route_id.clone()).or_default().1 += d.count;
        }
    }
    let incidents: Vec<Cell> = by_route
        .iter()
        .map(|(r, (n, _))| Cell {
            key: vec![r.clone()],
            count: *n,
            sums: vec![],
            ns: vec![],
        })
        .collect();
    let trips: Vec<Cell> = by_route
        .iter()
        .map(|(r, (_, n))| Cell {
            key: vec![r.clone()],
            count: *n,
            sums: vec![],
            ns: vec![],
        })
        .collect();
    let routes: Vec<String> = by_route.keys().cloned().collect();
    let mut inc = publish(&["route"], vec![routes.clone()], &[], &incidents, k)?;
    let tr = publish(&["route"], vec![routes], &[], &trips, k)?;
    inc.measures = vec!["planned_trips".into(), "per_10k_trips".into()];
    for (row, t) in inc.rows.iter_mut().zip(&tr.rows) {
        let rate = match (row.count, t.count) {
            (Some(i), Some(n)) if n > 0 => Some(i as f64 * 10_000.0 / n as f64),
            _ => None,
        };
        row.values = vec![t.count.map(|n| n as f64), rate];
    }
    out.push(Indicator {
        id: "incidents_per_10k_trips",
        table: inc,
    });

    // 5. Share of sexual harassment among incidents, by time band.
    let harassment: Vec<&str> = categories
        .iter()
        .filter(|c| c.harassment)
        .map(|c| c.key.as_str())
        .collect();
    let cells: Vec<Cell> = reports
        .iter()
        .map(|r| {
            let h = i64::from(harassment.contains(&r.category.as_str()));
            Cell {
                key: vec![hour_band(r.local_hour).to_string()],
                count: r.reports,
                sums: vec![(h * r.reports) as f64],
                ns: vec![r.reports],
            }
        })
        .collect();
    let mut share = publish(
        &["hour_band"],
        vec![bands()],
        &["harassment_share"],
        &cells,
        k,
    )?;
    // The share reveals the harassment count: publish it only where that count is publishable.
    let h_cells: Vec<Cell> = cells
        .iter()
        .map(|c| Cell {
            key: c.key.clone(),
            count: c.sums[0] as i64,
            sums: vec![],
            ns: vec![],
        })
        .collect();
    let h_table = publish(&["hour_band"], vec![bands()], &[], &h_cells, k)?;
    for (row, h) in share.rows.iter_mut().zip(&h_table.rows) {
        if h.suppressed {
            row.values = vec![None];
        }
    }
    out.push(Indicator {
        id: "harassment_share",
        table: share,
    });

    // 6. Perceived safety (1–5) by gender and time band; 7. satisfaction by route.
    let cells: Vec<Cell> = inputs
        .surveys
        .iter()
        .filter(|s| s.safety_n > 0)
        .map(|s| Cell {
            key: vec![
                or_undeclared(s.gender.as_ref()),
                hour_band(s.local_hour).to_string(),
            ],
            count: s.safety_n,
            sums: vec![s.safety_sum as f64],
            ns: vec![s.safety_n],
        })
        .collect();
    out.push(Indicator {
        id: "perceived_safety",
        table: publish(
            &["gender", "hour_band"],
            vec![genders(), bands()],
            &["safety_mean"],
            &cells,
            k,
        )?,
    });
    let cells: Vec<Cell> = inputs
        .surveys
        .iter()
        .filter(|s| s.satisfaction_n > 0)
        .filter(|s| {
            q.route
                .as_ref()
                .is_none_or(|x| s.route_id.as_ref() == Some(x))
        })
        .map(|s| Cell {
            key: vec![or_undeclared(s.route_id.as_ref())],
            count: s.satisfaction_n,
            sums: vec![s.satisfaction_sum as f64],
            ns: vec![s.satisfaction_n],
        })
        .collect();
    out.push(Indicator {
        id: "satisfaction",
        table: publish(&["route"], vec![], &["satisfaction_mean"], &cells, k)?,
    });

    // 8. Report handling.
    let h = &inputs.handling;
    let median_h = (!h.close_durations_s.is_empty())
        .then(|| h.close_durations_s[h.close_durations_s.len() / 2] as f64 / 3600.0);
    let cell = Cell {
        key: vec!["all".into()],
        count: h.reports,
        sums: vec![
            h.closed as f64,
            h.acknowledged_within_48h as f64,
            median_h.unwrap_or(0.0),
        ],
        ns: vec![h.reports, h.reports, i64::from(median_h.is_some())],
    };
    let mut handling = publish(
        &["reports"],
        vec![vec!["all".into()]],
        &[
            "share_closed",
            "share_acknowledged_48h",
            "median_hours_to_close",
        ],
        &[cell],
        k,
    )?;
    handling.rows.retain(|r| r.key[0] == "all");
    out.push(Indicator {
        id: "report_handling",
        table: handling,
    });

    // 9. Accessibility of the network (timetable facts, nobody to protect).
    let a = inputs.accessibility;
    let share = |x: u64, n: u64| (n > 0).then(|| x as f64 / n as f64);
    out.push(Indicator {
        id: "accessibility",
        table: Table {
            dimensions: vec!["of".into()],
            values: vec![vec!["stops".into(), "runs".into()]],
            measures: vec!["share_accessible".into()],
            k,
            rows: vec![
                crate::suppress::Row {
                    key: vec!["stops".into()],
                    count: Some(a.stops as i64),
                    values: vec![share(a.stops_accessible, a.stops)],
                    suppressed: false,
                },
                crate::suppress::Row {
                    key: vec!["runs".into()],
                    count: Some(a.runs as i64),
                    values: vec![share(a.runs_accessible, a.runs)],
                    suppressed: false,
                },
            ],
        },
    });

    // 10. Supply (runs per hour) beside demand (planned trips per day-hour), by route.
    let mut sd: BTreeMap<String, (i64, i64, u32)> = BTreeMap::new();
    for s in &inputs.supply {
        if q.route.as_ref().is_none_or(|x| &s.route_id == x) {
            let e = sd.entry(s.route_id.clone()).or_default();
            e.0 += s.count;
            e.2 += 1;
        }
    }
    for d in &inputs.demand {
        if q.route.as_ref().is_none_or(|x| &d.route_id == x) {
            sd.entry(d.route_id.clone()).or_default().1 += d.count;
        }
    }
    let days = inputs.days.max(1.0);
    let cells: Vec<Cell> = sd
        .iter()
        .map(|(r, (runs, trips, hours))| Cell {
            key: vec![r.clone()],
            count: *trips,
            sums: vec![
                *runs as f64 / f64::from((*hours).max(1)),
                *trips as f64 / days / f64::from((*hours).max(1)),
            ],
            ns: vec![1, 1],
        })
        .collect();
    let mut supply = publish(
        &["route"],
        vec![sd.keys().cloned().collect()],
        &["runs_per_hour", "planned_trips_per_hour"],
        &cells,
        k,
    )?;
    // Supply is public (timetable); only demand is about people.
    for (row, (_, (runs, _, hours))) in supply.rows.iter_mut().zip(&sd) {
        let supply_rate = *runs as f64 / f64::from((*hours).max(1));
        if row.values.is_empty() {
            continue;
        }
        row.values[0] = Some(supply_rate);
    }
    out.push(Indicator {
        id: "supply_demand",
        table: supply,
    });

    // 11. Incidents on a grid of zones (the public map): counts per zone.
    let cells: Vec<Cell> = inputs
        .zones
        .iter()
        .filter(|(_, c, _)| q.category.as_ref().is_none_or(|x| c == x))
        .map(|(z, _, n)| Cell {
            key: vec![z.clone()],
            count: *n,
            sums: vec![],
            ns: vec![],
        })
        .collect();
    out.push(Indicator {
        id: "incidents_by_zone",
        table: publish(&["zone"], vec![], &[], &cells, k)?,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suppress::attack_table;

    fn inputs() -> Inputs {
        let mut i = Inputs {
            days: 1.0,
            ..Inputs::default()
        };
        for (g, h, n) in [
            (Some("mujer"), 7, 40),
            (Some("hombre"), 7, 35),
            (None, 7, 10),
            (Some("mujer"), 19, 3),
        ] {
            i.trips.push(TripGroup {
                gender: g.map(str::to_string),
                local_hour: h,
                purpose: Some("cuidado".into()),
                trips: n,
                found: n,
                travel_s: n * 1800,
                wait_s: n * 300,
                walk_s: n * 600,
                transfers: n,
            });
        }
        for (c, g, h, n) in [
            ("acoso_verbal", Some("mujer"), 7, 12),
            ("robo", Some("hombre"), 7, 8),
            ("robo", Some("mujer"), 19, 2),
        ] {
            i.reports.push(ReportGroup {
                category: c.into(),
                gender: g.map(str::to_string),
                local_hour: h,
                route_id: Some("r1".into()),
                reports: n,
                zone: None,
            });
        }
        i
    }

    #[test]
    fn tables_are_complete_consistent_and_safe() {
        let cats = crate::default_categories();
        let out = compute(&inputs(), &Query::default(), &cats, 5).unwrap();
        let ids: Vec<&str> = out.iter().map(|i| i.id).collect();
        assert_eq!(ids, IDS);
        for i in &out {
            assert!(attack_table(&i.table).is_empty(), "{}", i.id);
            for r in &i.table.rows {
                if let Some(c) = r.count
                    && i.id != "accessibility"
                {
                    assert!(c == 0 || c >= 5, "{}: {r:?}", i.id);
                }
            }
        }
        let times = &out[1].table;
        let women = times.rows.iter().find(|r| r.key == ["mujer"]).unwrap();
        assert_eq!(women.count, Some(43));
        assert_eq!(women.values[0], Some(30.0), "mean travel minutes");
        let trips = &out[0].table;
        let night = trips
            .rows
            .iter()
            .find(|r| r.key == ["mujer", "18-20", "cuidado"])
            .unwrap();
        assert!(night.suppressed, "3 trips is fewer than k");
    }

    #[test]
    fn group_by_and_filters() {
        let cats = crate::default_categories();
        let q = Query {
            group_by: vec!["gender".into()],
            category: Some("robo".into()),
            ..Query::default()
        };
        let out = compute(&inputs(), &q, &cats, 5).unwrap();
        let inc = &out[2].table;
        assert_eq!(inc.dimensions, ["gender"]);
        let total = inc.rows.iter().find(|r| r.key == ["*"]).unwrap();
        assert_eq!(total.count, Some(10));
        let bad = Query {
            group_by: vec!["shoe_size".into()],
            ..Query::default()
        };
        assert_eq!(
            compute(&inputs(), &bad, &cats, 5),
            Err(IndicatorError::UnknownDimension("shoe_size".into()))
        );
    }
}
