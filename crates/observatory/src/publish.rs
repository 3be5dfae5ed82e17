//! Releases and what the public reads of them.
//!
//! A [`Release`] is computed once per closed period ([`Release::compute`]: bounded exact
//! tables, then OpenDP noise) and stored as it is. A public [`Answer`] is post-processing of
//! stored releases only: it sums the noisy values of the periods a range covers, picks the
//! cells a filter asks for, and derives means, shares and rates from noisy sums and counts.
//! Counts shown per cell are non-negative integers (a noisy value below zero is shown as 0,
//! which only moves it toward the truth). A table's total is the sum of the cells' *noisy*
//! values before that clamp — the sum of clamped cells is biased upwards by about 0.4 σ per
//! empty cell, thousands of σ over a large table — and is clamped once itself; ranges of
//! periods sum noisy values likewise. So every published number is unbiased (or moved toward
//! the truth by its one clamp) and carries its true 95 % margin of error.

use crate::privacy::{Budget, Noise, PrivacyError, protect};
use crate::release::{CATALOGUE, Dim, Domains, Records, period_days, tabulate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which period a release covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    /// `YYYY-MM`.
    pub month: String,
    /// Week of the month 1–5 (days 1–7, …, 29–end), or `None` for the whole month.
    pub week: Option<u8>,
    /// First local day, `YYYY-MM-DD`.
    pub from: String,
    /// Last local day, `YYYY-MM-DD`.
    pub to: String,
}

impl Period {
    /// `2026-11` or `2026-11-w3`.
    pub fn name(&self) -> String {
        match self.week {
            None => self.month.clone(),
            Some(w) => format!("{}-w{w}", self.month),
        }
    }

    /// The periods of a month with `days` days: its five weeks and the month.
    pub fn of_month(month: &str, days: u8) -> Vec<Period> {
        let day = |d: u8| format!("{month}-{d:02}");
        (1..=5)
            .map(Some)
            .chain([None])
            .map(|week| {
                let r = period_days(week, days);
                Period {
                    month: month.to_string(),
                    week,
                    from: day(*r.start()),
                    to: day(*r.end()),
                }
            })
            .collect()
    }
}

/// One protected measure of a table, as stored: the noisy value of every cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasedMeasure {
    /// Measure name.
    pub name: String,
    /// How it was protected.
    pub noise: Noise,
    /// Noisy values, one per cell (may be negative: the noise is two-sided).
    pub cells: Vec<i64>,
}

/// One protected table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasedTable {
    /// Table id.
    pub id: String,
    /// Dimensions.
    pub dims: Vec<Dim>,
    /// Domain of each dimension.
    pub values: Vec<Vec<String>>,
    /// Measures.
    pub measures: Vec<ReleasedMeasure>,
}

/// A release: every table of the catalogue for one period, protected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// The period.
    pub period: Period,
    /// When it was computed (Unix seconds).
    pub computed_at: i64,
    /// ρ this release costs a person (the month's release or a week's share).
    pub rho: f64,
    /// The budget it was computed under.
    pub budget: Budget,
    /// The tables.
    pub tables: Vec<ReleasedTable>,
}

impl Release {
    /// Computes the release of `period` from the records of its month.
    pub fn compute(
        records: &Records,
        domains: &Domains,
        budget: &Budget,
        period: Period,
        days_in_month: u8,
        computed_at: i64,
    ) -> Result<Release, PrivacyError> {
        let exact = tabulate(
            records,
            domains,
            Some(budget.bounds),
            period_days(period.week, days_in_month),
        );
        let noisy = protect(&exact, budget, period.week.is_some())?;
        let mut rho = 0.0;
        let tables = exact
            .iter()
            .zip(noisy)
            .map(|(e, (values, noise))| {
                rho += noise.iter().map(|n| n.rho).sum::<f64>();
                ReleasedTable {
                    id: e.spec.id.to_string(),
                    dims: e.spec.dims.to_vec(),
                    values: e.values.clone(),
                    measures: e
                        .spec
                        .measures
                        .iter()
                        .zip(values)
                        .zip(noise)
                        .map(|((m, cells), noise)| ReleasedMeasure {
                            name: m.name.to_string(),
                            noise,
                            cells,
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Release {
            period,
            computed_at,
            rho,
            budget: *budget,
            tables,
        })
    }
}

/// Ids of the indicators derived from released tables (shares and rates).
pub const DERIVED: [&str; 3] = [
    "harassment_share",
    "incidents_per_10k_trips",
    "handling_shares",
];

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A cell of a public table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Values of the dimensions, in order.
    pub key: Vec<String>,
    /// Count shown (non-negative).
    pub count: i64,
    /// 95 % margin of error of the count (± this many).
    pub margin: f64,
    /// Means, shares or rates, per derived measure (none when the count cannot carry one).
    pub values: Vec<Option<f64>>,
    /// Their 95 % margins.
    pub value_margins: Vec<Option<f64>>,
    /// The count is within its margin of zero: it cannot be told apart from none.
    pub within_margin: bool,
}

/// A public table: cells of one released table (or derived from some), summed over the
/// periods asked for and filtered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Indicator id.
    pub id: String,
    /// Dimensions.
    pub dimensions: Vec<String>,
    /// Names of the derived values in each row.
    pub measures: Vec<String>,
    /// Standard deviation of the noise of one cell's count over the whole range.
    pub sigma: f64,
    /// Cells.
    pub rows: Vec<Row>,
    /// Sum of the cells' noisy values before each is clamped at zero (unbiased), itself
    /// clamped at zero: it need not equal the sum of the shown counts.
    pub total: i64,
    /// Its 95 % margin.
    pub total_margin: f64,
}

/// What the public reads: the tables of the releases covering a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The periods summed.
    pub periods: Vec<String>,
    /// First day covered.
    pub from: String,
    /// Last day covered.
    pub to: String,
    /// ε per person per month of the whole catalogue, at `delta`.
    pub epsilon_per_month: f64,
    /// δ.
    pub delta: f64,
    /// ρ (zCDP) per person per month.
    pub rho_per_month: f64,
    /// The tables.
    pub tables: Vec<Table>,
}

/// Cells to keep: a value per dimension (`route`, `category`, `zone`, `gender`, …); a table
/// without that dimension is left out of a filtered answer.
pub type Filters = Vec<(Dim, String)>;

/// Sums a table's measures over releases (by key, so that domains that changed between
/// releases still add up), with the noise variance per cell.
struct Summed {
    dims: Vec<Dim>,
    keys: Vec<Vec<String>>,
    /// Per measure: per cell value, and variance of one cell.
    measures: BTreeMap<String, (Vec<i64>, f64)>,
}

fn sum_table(releases: &[&Release], id: &str) -> Option<Summed> {
    let mut dims = None;
    let mut cells: BTreeMap<Vec<String>, BTreeMap<String, i64>> = BTreeMap::new();
    let mut variance: BTreeMap<String, f64> = BTreeMap::new();
    for r in releases {
        let t = r.tables.iter().find(|t| t.id == id)?;
        dims.get_or_insert_with(|| t.dims.clone());
        for m in &t.measures {
            *variance.entry(m.name.clone()).or_default() += m.noise.sigma * m.noise.sigma;
        }
        for (i, key) in keys_of(&t.values).into_iter().enumerate() {
            let entry = cells.entry(key).or_default();
            for m in &t.measures {
                *entry.entry(m.name.clone()).or_default() += m.cells.get(i).copied().unwrap_or(0);
            }
        }
    }
    let keys: Vec<Vec<String>> = cells.keys().cloned().collect();
    let measures = variance
        .into_iter()
        .map(|(name, var)| {
            let v = cells
                .values()
                .map(|c| c.get(&name).copied().unwrap_or(0))
                .collect();
            (name, (v, var))
        })
        .collect();
    Some(Summed {
        dims: dims?,
        keys,
        measures,
    })
}

/// Row-major keys of a grid of domains.
pub fn keys_of(values: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for vals in values {
        out = out
            .into_iter()
            .flat_map(|k| {
                vals.iter().map(move |v| {
                    let mut k = k.clone();
                    k.push(v.clone());
                    k
                })
            })
            .collect();
    }
    out
}

fn dim_name(d: Dim) -> String {
    d.name().to_string()
}

/// A mean of noisy sum / noisy count with its margin (delta method), where the count is
/// well clear of its noise; clamped to `lo..=hi`.
fn mean(
    sum: i64,
    count: i64,
    var_sum: f64,
    var_count: f64,
    lo: f64,
    hi: f64,
) -> (Option<f64>, Option<f64>) {
    let c = count as f64;
    if c <= 2.0 * Z95 * var_count.sqrt() || c <= 0.0 {
        return (None, None);
    }
    let m = sum as f64 / c;
    let var = (var_sum + m * m * var_count) / (c * c);
    (Some(m.clamp(lo, hi)), Some(Z95 * var.sqrt()))
}

fn public_table(s: &Summed, id: &str, filters: &Filters) -> Option<Table> {
    // Filters on dimensions the table does not have leave it out.
    let mut keep: Vec<(usize, &str)> = Vec::new();
    for (d, v) in filters {
        let i = s.dims.iter().position(|x| x == d)?;
        keep.push((i, v.as_str()));
    }
    let (counts, var_count) = s.measures.get("count")?;
    let sums: Vec<(&String, &(Vec<i64>, f64))> = s
        .measures
        .iter()
        .filter(|(n, _)| n.as_str() != "count")
        .collect();
    let sigma = var_count.sqrt();
    let margin = Z95 * sigma;
    let mut rows = Vec::new();
    let mut raw_total = 0i64;
    for (i, key) in s.keys.iter().enumerate() {
        if !keep.iter().all(|(d, v)| key[*d] == *v) {
            continue;
        }
        let raw = counts[i];
        raw_total += raw;
        let mut values = Vec::new();
        let mut value_margins = Vec::new();
        for (name, (v, var)) in &sums {
            let hi = match name.as_str() {
                "safety" | "satisfaction" => 5.0,
                _ => f64::INFINITY,
            };
            let lo = if hi == 5.0 { 1.0 } else { 0.0 };
            let (m, e) = mean(v[i], raw, *var, *var_count, lo, hi);
            values.push(m);
            value_margins.push(e);
        }
        let count = raw.max(0);
        rows.push(Row {
            key: key.clone(),
            count,
            margin,
            values,
            value_margins,
            within_margin: (count as f64) <= margin,
        });
    }
    let total = raw_total.max(0);
    let total_margin = Z95 * (var_count * rows.len() as f64).sqrt();
    Some(Table {
        id: id.to_string(),
        dimensions: s.dims.iter().map(|d| dim_name(*d)).collect(),
        measures: sums.iter().map(|(n, _)| mean_name(n)).collect(),
        sigma,
        rows,
        total,
        total_margin,
    })
}

fn mean_name(sum: &str) -> String {
    format!("{sum}_mean")
}

/// The answer for the releases covering a range (already chosen by the caller: whole
/// months, or weeks), filtered. Derived indicators (harassment share, incidents per 10,000
/// trips, handling shares) come from the same released values.
pub fn answer(releases: &[&Release], filters: &Filters, harassment: &[String]) -> Answer {
    let mut tables: Vec<Table> = CATALOGUE
        .iter()
        .filter_map(|spec| {
            let s = sum_table(releases, spec.id)?;
            public_table(&s, spec.id, filters)
        })
        .collect();
    if let Some(t) = harassment_share(releases, filters, harassment) {
        tables.push(t);
    }
    if let Some(t) = per_10k_trips(releases, filters) {
        tables.push(t);
    }
    if filters.is_empty()
        && let Some(t) = handling_shares(releases)
    {
        tables.push(t);
    }
    let first = releases.iter().map(|r| &r.period).min();
    let last = releases.iter().map(|r| &r.period).max();
    let budget = releases.first().map(|r| r.budget).unwrap_or_default();
    Answer {
        periods: releases.iter().map(|r| r.period.name()).collect(),
        from: first.map(|p| p.from.clone()).unwrap_or_default(),
        to: last.map(|p| p.to.clone()).unwrap_or_default(),
        epsilon_per_month: budget.epsilon(budget.rho_per_month).unwrap_or(f64::NAN),
        delta: budget.delta,
        rho_per_month: budget.rho_per_month,
        tables,
    }
}

/// Share of harassment among incidents per time band, from `incidents_by_hour`.
fn harassment_share(
    releases: &[&Release],
    filters: &Filters,
    harassment: &[String],
) -> Option<Table> {
    if filters.iter().any(|(d, _)| !matches!(d, Dim::HourBand)) {
        return None;
    }
    let s = sum_table(releases, "incidents_by_hour")?;
    let (counts, var) = s.measures.get("count")?;
    let mut bands: BTreeMap<String, (i64, i64, usize, usize)> = BTreeMap::new();
    for (i, key) in s.keys.iter().enumerate() {
        let e = bands.entry(key[1].clone()).or_default();
        e.0 += counts[i];
        e.2 += 1;
        if harassment.contains(&key[0]) {
            e.1 += counts[i];
            e.3 += 1;
        }
    }
    let bands: Vec<_> = bands
        .into_iter()
        .filter(|(b, _)| filters.iter().all(|(_, v)| v == b))
        .collect();
    let raw_total = bands.iter().map(|(_, (all, ..))| all).sum();
    let cells: usize = bands.iter().map(|(_, (_, _, n, _))| n).sum();
    let rows = bands
        .into_iter()
        .map(|(band, (all, h, n_all, n_h))| {
            let (share, margin) = mean(h, all, var * n_h as f64, var * n_all as f64, 0.0, 1.0);
            Row {
                key: vec![band],
                count: all.max(0),
                margin: Z95 * (var * n_all as f64).sqrt(),
                values: vec![share],
                value_margins: vec![margin],
                within_margin: (all.max(0) as f64) <= Z95 * (var * n_all as f64).sqrt(),
            }
        })
        .collect::<Vec<_>>();
    Some(derived(
        "harassment_share",
        vec!["hour_band"],
        vec!["harassment_share"],
        var.sqrt(),
        rows,
        (raw_total, Z95 * (var * cells as f64).sqrt()),
    ))
}

/// A derived table; `(raw_total, total_margin)` is the sum of the unclamped counts its rows
/// show, and that sum's margin.
fn derived(
    id: &str,
    dims: Vec<&str>,
    measures: Vec<&str>,
    sigma: f64,
    rows: Vec<Row>,
    (raw_total, total_margin): (i64, f64),
) -> Table {
    let total = raw_total.max(0);
    Table {
        id: id.to_string(),
        dimensions: dims.into_iter().map(str::to_string).collect(),
        measures: measures.into_iter().map(str::to_string).collect(),
        sigma,
        rows,
        total,
        total_margin,
    }
}

/// Incidents per 10,000 planned trips by route, from `incidents_by_route` and `demand`.
fn per_10k_trips(releases: &[&Release], filters: &Filters) -> Option<Table> {
    if filters.iter().any(|(d, _)| *d != Dim::Route) {
        return None;
    }
    let inc = sum_table(releases, "incidents_by_route")?;
    let dem = sum_table(releases, "demand")?;
    let (ic, iv) = inc.measures.get("count")?;
    let (dc, dv) = dem.measures.get("count")?;
    let trips: BTreeMap<&Vec<String>, i64> = dem.keys.iter().zip(dc.iter().copied()).collect();
    let picked: Vec<(&Vec<String>, &i64)> = inc
        .keys
        .iter()
        .zip(ic)
        .filter(|(k, _)| filters.iter().all(|(_, v)| &k[0] == v))
        .filter(|(k, _)| trips.contains_key(k))
        .collect();
    let raw_total = picked.iter().map(|(_, n)| **n).sum();
    let total_margin = Z95 * (iv * picked.len() as f64).sqrt();
    let rows = picked
        .into_iter()
        .filter_map(|(k, &n)| {
            let t = *trips.get(k)?;
            let (rate, margin) = mean(n * 10_000, t, iv * 1e8, *dv, 0.0, f64::INFINITY);
            Some(Row {
                key: k.clone(),
                count: n.max(0),
                margin: Z95 * iv.sqrt(),
                values: vec![Some(t.max(0) as f64), rate],
                value_margins: vec![Some(Z95 * dv.sqrt()), margin],
                within_margin: (n.max(0) as f64) <= Z95 * iv.sqrt(),
            })
        })
        .collect();
    Some(derived(
        "incidents_per_10k_trips",
        vec!["route"],
        vec!["planned_trips", "per_10k_trips"],
        iv.sqrt(),
        rows,
        (raw_total, total_margin),
    ))
}

/// Shares of reports acknowledged within 48 h and closed within a week, from
/// `report_handling`.
fn handling_shares(releases: &[&Release]) -> Option<Table> {
    let s = sum_table(releases, "report_handling")?;
    let (c, var) = s.measures.get("count")?;
    let at = |name: &str| s.keys.iter().position(|k| k[0] == name).map_or(0, |i| c[i]);
    let received = at("received");
    let ack = at("acknowledged_48h");
    let week = at("closed_1d") + at("closed_3d") + at("closed_7d");
    let (a, am) = mean(ack, received, *var, *var, 0.0, 1.0);
    let (w, wm) = mean(week, received, 3.0 * var, *var, 0.0, 1.0);
    let rows = vec![Row {
        key: vec!["all".into()],
        count: received.max(0),
        margin: Z95 * var.sqrt(),
        values: vec![a, w],
        value_margins: vec![am, wm],
        within_margin: (received.max(0) as f64) <= Z95 * var.sqrt(),
    }];
    Some(derived(
        "handling_shares",
        vec!["reports"],
        vec!["share_acknowledged_48h", "share_closed_7d"],
        var.sqrt(),
        rows,
        (received, Z95 * var.sqrt()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{Records, ReportRow, period_days, tabulate};

    fn domains() -> Domains {
        Domains {
            categories: crate::default_categories(),
            routes: vec!["r1".into()],
            zones: vec!["z:1:1".into(), "z:1:2".into()],
            answers: Vec::new(),
            answer_cells: 0,
        }
    }

    fn records(n: usize) -> Records {
        let mut r = Records::default();
        for i in 0..n {
            r.reports.push(ReportRow {
                person: format!("p{i}"),
                day: (i % 28 + 1) as u8,
                at: i as i64,
                category: if i % 2 == 0 { "acoso_verbal" } else { "robo" }.into(),
                gender: Some("mujer".into()),
                local_hour: 19,
                route_id: Some("r1".into()),
                zone: "z:1:1".into(),
                acknowledged_48h: i % 3 == 0,
                closed_after_h: None,
            });
        }
        r
    }

    #[test]
    fn a_month_answer_is_consistent_non_negative_and_carries_margins() {
        let b = Budget::default();
        let periods = Period::of_month("2026-11", 30);
        let recs = records(400);
        let releases: Vec<Release> = periods
            .into_iter()
            .map(|p| Release::compute(&recs, &domains(), &b, p, 30, 0).unwrap())
            .collect();
        let month: Vec<&Release> = releases
            .iter()
            .filter(|r| r.period.week.is_none())
            .collect();
        let a = answer(&month, &Filters::new(), &["acoso_verbal".into()]);
        assert_eq!(a.periods, ["2026-11"]);
        assert!((a.epsilon_per_month - b.epsilon(b.rho_per_month).unwrap()).abs() < 1e-12);
        for t in &a.tables {
            assert!(
                t.total >= 0 && (t.total_margin > 0.0 || t.rows.is_empty()),
                "{}",
                t.id
            );
            for r in &t.rows {
                assert!(r.count >= 0 && r.margin > 0.0, "{}: {r:?}", t.id);
            }
        }
        let inc = a.tables.iter().find(|t| t.id == "incidents").unwrap();
        let robo = inc
            .rows
            .iter()
            .find(|r| r.key == ["robo", "mujer"])
            .unwrap();
        assert!(
            (robo.count - 200).abs() as f64 <= 4.0 * inc.sigma,
            "{robo:?}"
        );
        // The running month: the sum of its closed weeks, with the weeks' margins added.
        let weeks: Vec<&Release> = releases
            .iter()
            .filter(|r| r.period.week.is_some())
            .collect();
        let w = answer(&weeks, &Filters::new(), &[]);
        let winc = w.tables.iter().find(|t| t.id == "incidents").unwrap();
        assert!(
            winc.sigma > inc.sigma,
            "five weekly releases add more noise"
        );
        // A filter picks cells; a table without the dimension is left out.
        let f = answer(&month, &vec![(Dim::Category, "robo".into())], &[]);
        assert!(
            f.tables
                .iter()
                .all(|t| t.rows.iter().all(|r| r.key.contains(&"robo".into())))
        );
        assert!(f.tables.iter().all(|t| t.id != "trips"));
    }

    /// Every published count — each cell and each table's total, for a month and for the sum
    /// of its weeks — holds the truth within its stated 95 % margin about 95 % of the time,
    /// on a sparse month like a fresh deployment's (65 reports over 40 zones × 20 routes ×
    /// every category: most cells are empty). Summing clamped cells put totals thousands
    /// of reports above the truth, far outside their margins.
    #[test]
    fn published_margins_cover_the_truth_about_95_percent_of_the_time() {
        let b = Budget::default();
        let domains = Domains {
            categories: crate::default_categories(),
            routes: (0..20).map(|i| format!("r{i}")).collect(),
            zones: (0..40).map(|i| format!("z:1:{i}")).collect(),
            answers: Vec::new(),
            answer_cells: 0,
        };
        let mut recs = Records::default();
        for i in 0..65usize {
            recs.reports.push(ReportRow {
                person: format!("p{i}"),
                day: (i % 30 + 1) as u8,
                at: i as i64,
                category: if i % 3 == 0 { "acoso_verbal" } else { "robo" }.into(),
                gender: Some(if i % 2 == 0 { "mujer" } else { "hombre" }.into()),
                local_hour: (i % 24) as u8,
                route_id: Some(format!("r{}", i % 7)),
                zone: format!("z:1:{}", i % 9),
                acknowledged_48h: i % 3 == 0,
                closed_after_h: None,
            });
        }
        // The truth: exact tables (no one is over the bounds, so bounding changes nothing).
        let truth = tabulate(&recs, &domains, Some(b.bounds), period_days(None, 30));
        let truth_of = |id: &str| -> BTreeMap<Vec<String>, i64> {
            let e = truth.iter().find(|e| e.spec.id == id).unwrap();
            let i = e
                .spec
                .measures
                .iter()
                .position(|m| m.name == "count")
                .unwrap();
            keys_of(&e.values)
                .into_iter()
                .zip(e.measures[i].iter().copied())
                .collect()
        };
        let (mut cells, mut cells_in, mut totals, mut totals_in) = (0u32, 0u32, 0u32, 0u32);
        let mut worst_total = (String::new(), 0.0f64);
        for _ in 0..40 {
            let releases: Vec<Release> = Period::of_month("2026-11", 30)
                .into_iter()
                .map(|p| Release::compute(&recs, &domains, &b, p, 30, 0).unwrap())
                .collect();
            let month: Vec<&Release> = releases
                .iter()
                .filter(|r| r.period.week.is_none())
                .collect();
            let weeks: Vec<&Release> = releases
                .iter()
                .filter(|r| r.period.week.is_some())
                .collect();
            for range in [month, weeks] {
                for t in answer(&range, &Filters::new(), &[]).tables {
                    if DERIVED.contains(&t.id.as_str()) {
                        continue;
                    }
                    let truth = truth_of(&t.id);
                    for r in &t.rows {
                        cells += 1;
                        let exact = truth[&r.key];
                        cells_in += u32::from(((r.count - exact) as f64).abs() <= r.margin);
                    }
                    let exact: i64 = truth.values().sum();
                    totals += 1;
                    let off = (t.total - exact) as f64 / t.total_margin;
                    totals_in += u32::from(off.abs() <= 1.0);
                    if off.abs() > worst_total.1.abs() {
                        worst_total = (
                            format!("{} {} vs {exact} ± {:.0}", t.id, t.total, t.total_margin),
                            off,
                        );
                    }
                }
            }
        }
        let cell_rate = f64::from(cells_in) / f64::from(cells);
        let total_rate = f64::from(totals_in) / f64::from(totals);
        // Cells clamped at zero only move toward the truth, so they cover at least 95 %.
        assert!(
            cell_rate >= 0.93,
            "cells: {cells_in}/{cells} within their margins"
        );
        // Totals: binomial noise around 95 % over a few hundred totals.
        assert!(
            (0.88..=0.995).contains(&total_rate),
            "totals: {totals_in}/{totals} within their margins; worst {worst_total:?}"
        );
    }
}
