//! What differential privacy costs officials, on a simulated month of Arequipa
//! (`cargo bench -p paradero-bench --bench privacy [-- quick]`; generator in
//! `bench/simulated.rs`): about 20,000 reports, 200,000 planned trips and 8,000 survey
//! answers, stored in SQLite through the store's own writes.
//!
//! Prints, for the default budget and for ρ = 0.075 (ε = 2 at δ = 10⁻⁷):
//! - ε of the month's release, of one week's, and of the month with its weeks (what a person
//!   risks per month, everything public together);
//! - per table, the noise scale σ of a cell and the median relative error of the published
//!   counts against the exact ones (every record, unbounded), on cells whose exact count is at
//!   least 20, over several draws of the noise; the same for the means;
//! - how long computing and storing the month's release (month + five weeks) takes on
//!   SQLite, median of repeated runs.
//!
//! `PARADERO_BENCH_SHARES=trips,reports,surveys` (e.g. `0.17,0.7,0.13`) adds a third budget
//! with other kind shares, for tuning. A plain program rather than criterion: it reports
//! errors and medians of a few runs.

use app::{Obs, ObservatorySettings};
use observatory::privacy::Budget;
use observatory::publish::{Period, Release, answer, keys_of};
use observatory::release::{Exact, Records, Value, tabulate};
use paradero_bench::simulated::{self, Sizes};
use paradero_bench::{load_feed, median_p99};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// 2026-10-01T00:00 in Arequipa (UTC−5, no daylight saving).
const FIRST: i64 = 1_790_830_800;
const DAYS: u32 = 31;
const MONTH: &str = "2026-10";

/// Exact counts (and sums) of a table by key.
fn exact_cells(e: &Exact) -> HashMap<Vec<String>, Vec<i64>> {
    keys_of(&e.values)
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k, e.measures.iter().map(|m| m[i]).collect()))
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[derive(Default)]
struct Errors {
    sigma: f64,
    cells: usize,
    count_err: Vec<f64>,
    mean_err: Vec<f64>,
}

/// Errors of the public answer for a release against the exact (unbounded) tables.
fn measure(release: &Release, truth: &[Exact], into: &mut HashMap<&'static str, Errors>) {
    let public = answer(&[release], &Vec::new(), &[]);
    for e in truth {
        let Some(t) = public.tables.iter().find(|t| t.id == e.spec.id) else {
            continue;
        };
        let exact = exact_cells(e);
        let errs = into.entry(e.spec.id).or_default();
        errs.sigma = t.sigma;
        // The answer names its means `<sum>_mean`, in its own order.
        let sums: Vec<(usize, usize)> = e
            .spec
            .measures
            .iter()
            .enumerate()
            .filter(|(_, m)| matches!(m.value, Value::Sum(..)))
            .filter_map(|(i, m)| {
                let name = format!("{}_mean", m.name);
                t.measures.iter().position(|x| *x == name).map(|j| (i, j))
            })
            .collect();
        let count_at = e
            .spec
            .measures
            .iter()
            .position(|m| m.name == "count")
            .unwrap_or(0);
        errs.cells = 0;
        for row in &t.rows {
            let Some(x) = exact.get(&row.key) else {
                continue;
            };
            let n = x[count_at];
            if n < 20 {
                continue;
            }
            errs.cells += 1;
            errs.count_err
                .push((row.count - n).unsigned_abs() as f64 / n as f64);
            for &(s, j) in &sums {
                let truth = x[s] as f64 / n as f64;
                if let Some(Some(m)) = row.values.get(j)
                    && truth > 0.0
                {
                    errs.mean_err.push((m - truth).abs() / truth);
                }
            }
        }
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let sizes = if quick {
        Sizes {
            trips: 20_000,
            reports: 2_000,
            surveys: 800,
            riders: 600,
        }
    } else {
        Sizes::AREQUIPA
    };
    let draws = if quick { 2 } else { 5 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tt = Arc::new(load_feed("arequipa.zip"));
    let month = simulated::month(&tt, sizes, FIRST, DAYS, 0x0B5E_2026);
    let dir = tempfile::tempdir().expect("temp dir");
    rt.block_on(async {
        let store = store::Store::open(&format!("sqlite://{}/privacy.db", dir.path().display()))
            .await
            .expect("store");
        let t = Instant::now();
        simulated::seed(&store, &month).await.expect("seed");
        println!(
            "seeded {} trips, {} reports (with their status changes) and {} survey answers in {:.1} s",
            sizes.trips,
            sizes.reports,
            sizes.surveys,
            t.elapsed().as_secs_f64()
        );
        let obs: Arc<Obs> = Obs::start(store.clone(), ObservatorySettings::default());
        let now = FIRST + i64::from(DAYS) * 86_400 + 3600;

        // The release job's own path on SQLite: read, bound, tabulate, noise, store.
        let weeks = [None, Some(1), Some(2), Some(3), Some(4), Some(5)];
        let mut times = Vec::new();
        for _ in 0..(if quick { 2 } else { 5 }) {
            for w in &weeks {
                store
                    .delete_release(MONTH, w.unwrap_or(0))
                    .await
                    .expect("delete");
            }
            let t = Instant::now();
            let done = app::releases::release_periods(&obs, &tt, MONTH, &weeks, now)
                .await
                .expect("release");
            times.push(t.elapsed().as_secs_f64());
            assert_eq!(done.len(), 6, "month and five weeks");
        }
        let (m, worst) = median_p99(&mut times);
        println!(
            "release of {MONTH} (month + 5 weeks) on SQLite: median {m:.2} s, slowest {worst:.2} s"
        );

        let records: Records =
            app::releases::exact_records(&obs, &tt, FIRST, FIRST + i64::from(DAYS) * 86_400)
                .await
                .expect("records");
        let domains = app::releases::domains(&tt, &obs).await.expect("domains");
        println!(
            "domains: {} routes, {} zones, {} categories",
            domains.routes.len(),
            domains.zones.len(),
            domains.categories.len()
        );
        let truth = tabulate(&records, &domains, None, 1..=31);
        let truth_week = tabulate(&records, &domains, None, 8..=14);
        let default = ObservatorySettings::default().budget;
        let eps2 = Budget {
            rho_per_month: 0.075,
            ..default
        };
        // What the per-person bounds alone cost (no noise): records left out.
        let bounded = tabulate(&records, &domains, Some(default.bounds), 1..=31);
        let mut bias: HashMap<&'static str, f64> = HashMap::new();
        for (t, b) in truth.iter().zip(&bounded) {
            let exact = exact_cells(t);
            let kept = exact_cells(b);
            let mut errs: Vec<f64> = exact
                .iter()
                .filter(|(_, x)| x[0] >= 20)
                .map(|(k, x)| (x[0] - kept[k][0]).unsigned_abs() as f64 / x[0] as f64)
                .collect();
            bias.insert(t.spec.id, median(&mut errs));
        }
        let shares = std::env::var("PARADERO_BENCH_SHARES").ok().and_then(|v| {
            let s: Vec<f64> = v.split(',').filter_map(|x| x.parse().ok()).collect();
            (s.len() == 3).then(|| Budget {
                kind_shares: [s[0], s[1], s[2]],
                ..default
            })
        });
        let mut budgets = vec![("default", default), ("epsilon 2", eps2)];
        if let Some(b) = shares {
            budgets.push(("PARADERO_BENCH_SHARES", b));
        }
        for (name, b) in budgets {
            let period = |week: Option<u8>| {
                Period::of_month(MONTH, DAYS as u8)
                    .into_iter()
                    .find(|p| p.week == week)
                    .expect("period")
            };
            let mut month_errs = HashMap::new();
            let mut week_errs = HashMap::new();
            let (mut rho_m, mut rho_w) = (0.0, 0.0);
            let mut compute_s = Vec::new();
            for _ in 0..draws {
                let t = Instant::now();
                let r = Release::compute(&records, &domains, &b, period(None), DAYS as u8, now)
                    .expect("month");
                compute_s.push(t.elapsed().as_secs_f64());
                rho_m = r.rho;
                measure(&r, &truth, &mut month_errs);
                let r = Release::compute(&records, &domains, &b, period(Some(2)), DAYS as u8, now)
                    .expect("week");
                rho_w = r.rho;
                measure(&r, &truth_week, &mut week_errs);
            }
            let eps = |rho: f64| b.epsilon(rho).expect("epsilon");
            // The five weeks are one Gaussian mechanism over disjoint days with the month's
            // per-person bound: together they cost one week's ρ (see crates/observatory/README.md).
            println!(
                "\n== budget {name}: rho {} per month; epsilon at delta {:e}: month release {:.2}, one week {:.2}, month with its weeks {:.2}; month computed in memory in {:.2} s (median)",
                b.rho_per_month,
                b.delta,
                eps(rho_m),
                eps(rho_w),
                eps(rho_m + rho_w),
                median(&mut compute_s)
            );
            println!(
                "{:<22} {:>8} {:>7} {:>12} {:>12} {:>10} | {:>7} {:>12}",
                "table", "sigma", "cells", "count err", "mean err", "of bounds", "week", "count err"
            );
            let mut all_m = Vec::new();
            let mut all_w = Vec::new();
            for e in &truth {
                let id = e.spec.id;
                let m = month_errs.remove(id).unwrap_or_default();
                let w = week_errs.remove(id).unwrap_or_default();
                all_m.extend(m.count_err.iter().copied());
                all_w.extend(w.count_err.iter().copied());
                let mut ce = m.count_err.clone();
                let mut me = m.mean_err.clone();
                let mut we = w.count_err.clone();
                println!(
                    "{:<22} {:>8.2} {:>7} {:>11.1}% {:>11.1}% {:>9.1}% | {:>7} {:>11.1}%",
                    id,
                    m.sigma,
                    m.cells,
                    100.0 * median(&mut ce),
                    100.0 * median(&mut me),
                    100.0 * bias.get(id).copied().unwrap_or(f64::NAN),
                    w.cells,
                    100.0 * median(&mut we)
                );
            }
            println!(
                "median relative error, cells with an exact count >= 20: month {:.1}% ({} cells x {draws} draws), week {:.1}% ({} cells x {draws} draws)",
                100.0 * median(&mut all_m),
                all_m.len() / draws,
                100.0 * median(&mut all_w),
                all_w.len() / draws
            );
        }
    });
}
