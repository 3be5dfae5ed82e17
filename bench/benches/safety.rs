//! Safer trips on Arequipa with a synthetic release, over evening queries.
//!
//! The synthetic release (what a month's `zone_risk` table might show): 40 hot spots, each a
//! zone around a random stop with, per family, released counts of 2 by day, 10 in the evening
//! and 18 at night (night-heavy, as harassment and theft are), and every other served zone
//! with a background count of 0–2 per part and family; every cell carries the 95 % margin of
//! the default budget (σ ≈ 6 reports, margin ≈ 12). The surface is built from it exactly as
//! from a real release (`planner::safety::surface`).
//!
//! For 2,000 queries between random coordinates departing 18:00–23:00: the fastest plan and
//! the plan with the safer option; medians of the exposure the safer option avoids and the
//! minutes it adds (over queries where it differs), the share of queries where it differs, and
//! the median time of each search and their ratio; then the same with synthetic
//! perceived-safety means in the surface (riders rating the evening and the night lower than
//! the day), which weigh evening and night risk more.
//!
//! Run: `cargo bench -p paradero-bench --bench safety` (`-- quick` for 300 queries).

use paradero_bench::*;
use planner::safety::{ReleasedCell, SaferConfig};
use std::time::Instant;
use timetable::{Day, StopIdx};

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let n = if quick { 300 } else { 2000 };
    let tt = load_feed("arequipa.zip");
    let day = Day::parse("20261123").expect("day");
    let cell_m = 500.0;
    let mut rng = Rng(0x5AFE);
    let families = ["acoso", "robo", "agresion"];
    let mut cells: Vec<ReleasedCell> = Vec::new();
    let zone_of = |s: StopIdx| {
        let c = tt.stop(s).coord;
        observatory::zone::zone_of(c.lat(), c.lon(), cell_m)
    };
    let mut hot: Vec<String> = Vec::new();
    while hot.len() < 40 {
        let z = zone_of(StopIdx(rng.below(tt.stops().len() as u64) as u32));
        if !hot.contains(&z) {
            hot.push(z);
        }
    }
    let mut zones: Vec<String> = tt
        .stops()
        .iter()
        .map(|s| observatory::zone::zone_of(s.coord.lat(), s.coord.lon(), cell_m))
        .collect();
    zones.sort();
    zones.dedup();
    for z in &zones {
        for (part, night_heavy) in [(0usize, 2.0), (1, 10.0), (2, 18.0)] {
            for f in families {
                let count = if hot.contains(z) {
                    night_heavy
                } else {
                    rng.below(3) as f64
                };
                cells.push(ReleasedCell {
                    zone: z.clone(),
                    part,
                    family: f.into(),
                    count,
                    margin: 12.0,
                });
            }
        }
    }
    let fams: Vec<String> = families.map(String::from).to_vec();
    let risk = planner::safety::surface(
        &tt,
        day,
        cell_m,
        "synthetic".into(),
        &fams,
        &cells,
        SaferConfig::default(),
    );
    println!(
        "Arequipa: {} zones in the synthetic release, {} hot; {} stops avoided at night",
        zones.len(),
        hot.len(),
        planner::safety::hot_stops(&risk, 2).len()
    );
    let cfg = planner::PlannerConfig::default();
    let reqs: Vec<planner::PlanRequest> = (0..n)
        .map(|_| planner::PlanRequest {
            from: planner::Endpoint::Coord(point_near_a_stop(&tt, &mut rng)),
            to: planner::Endpoint::Coord(point_near_a_stop(&tt, &mut rng)),
            day,
            time: 18 * 3600 + rng.below(5 * 3600) as u32,
            arrive_by: false,
            window_secs: None,
            options: raptor::Options::default(),
            lang: i18n::Lang::Es,
            safer: false,
        })
        .collect();
    // The same surface with riders' perceived safety as a release might show it: 3.9 ± 0.1
    // by day (800 answers), 3.2 ± 0.2 in the evening and 2.4 ± 0.2 at night (300 each).
    let means = [
        (9, 800.0, 3.9, 0.1),
        (18, 300.0, 3.2, 0.2),
        (22, 300.0, 2.4, 0.2),
    ]
    .map(|(h, count, mean, margin)| planner::safety::ReleasedMean {
        first_hour: h,
        count,
        mean,
        margin,
    });
    let felt = risk.clone().with_perceived(&means);
    println!(
        "{n} evening queries (18:00–23:00); perceived safety weighs the evening {:.2}× and the night {:.2}×",
        felt.feel(1),
        felt.feel(2)
    );
    for (label, risk) in [
        ("incidents only", &risk),
        ("incidents and perceived safety", &felt),
    ] {
        evening(&tt, risk, &cfg, &reqs, label);
    }
}

/// Plans every request fastest and with the safer option (found by the second search that
/// avoids hot stops, and by McRAPTOR over arrival and exposure), and prints how they differ.
fn evening(
    tt: &timetable::Timetable,
    risk: &planner::safety::RiskSurface,
    cfg: &planner::PlannerConfig,
    reqs: &[planner::PlanRequest],
    label: &str,
) {
    use planner::safety::SaferSearch;
    let mut pareto = risk.clone();
    pareto.config.search = SaferSearch::Pareto;
    let mut sc = raptor::Scratch::new(tt);
    let mut t_fast = Vec::new();
    let mut stats: Vec<Stats> = vec![Stats::default(), Stats::default()];
    let (mut better, mut worse, mut gains) = (0usize, 0usize, Vec::new());
    let mut planned = 0usize;
    for req in reqs {
        let s = Instant::now();
        let fast = planner::plan_full(tt, None, Some(risk), &mut sc, cfg, req);
        t_fast.push(s.elapsed().as_secs_f64() * 1e3);
        let safer_req = planner::PlanRequest {
            safer: true,
            ..req.clone()
        };
        let mut costs = [0.0; 2];
        let mut ok = fast.is_ok();
        for (i, r) in [risk, &pareto].into_iter().enumerate() {
            let s = Instant::now();
            let safe = planner::plan_full(tt, None, Some(r), &mut sc, cfg, &safer_req);
            stats[i].time.push(s.elapsed().as_secs_f64() * 1e3);
            let Ok(safe) = safe else {
                ok = false;
                continue;
            };
            let Some(fastest) = planner::safety::fastest(&safe, false) else {
                ok = false;
                continue;
            };
            costs[i] = planner::safety::cost(risk, fastest, false);
            if let Some(o) = safe.safer {
                stats[i].differ += 1;
                stats[i].avoided.push(o.exposure_avoided_min);
                stats[i].added.push(o.minutes_added);
                costs[i] = planner::safety::cost(risk, &o.itinerary, false);
            }
        }
        if !ok {
            continue;
        }
        planned += 1;
        if costs[1] < costs[0] - 1.0 {
            better += 1;
            gains.push((costs[0] - costs[1]) / 60.0);
        } else if costs[1] > costs[0] + 1.0 {
            worse += 1;
        }
    }
    let (mf, _) = median_p99(&mut t_fast);
    println!("{label}: {planned} planned; fastest search median {mf:.3} ms");
    for (name, st) in [
        "second search avoiding hot stops",
        "McRAPTOR (arrival, exposure)",
    ]
    .iter()
    .zip(&mut stats)
    {
        let (ma, _) = median_p99(&mut st.avoided);
        let (mm, pm) = median_p99(&mut st.added);
        let (mt, pt) = median_p99(&mut st.time);
        println!(
            "  {name}: differs in {} ({:.1} %); median exposure avoided {ma:.1} weighted min, minutes added {mm:.1} (p99 {pm:.1}); median {mt:.3} ms (p99 {pt:.3}), {:.2}× the fastest",
            st.differ,
            100.0 * st.differ as f64 / planned.max(1) as f64,
            mt / mf
        );
    }
    let (mg, _) = median_p99(&mut gains);
    println!(
        "  McRAPTOR's choice costs less (travel + weighted exposure) in {better} queries ({:.1} %, median {mg:.1} min less), more in {worse}",
        100.0 * better as f64 / planned.max(1) as f64
    );
}

/// One way of finding the safer option, over the queries.
#[derive(Default)]
struct Stats {
    time: Vec<f64>,
    differ: usize,
    avoided: Vec<f64>,
    added: Vec<f64>,
}
