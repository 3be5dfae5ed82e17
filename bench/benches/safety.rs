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
//! the median time of each search and their ratio.
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
    let mut sc = raptor::Scratch::new(&tt);
    let (mut t_fast, mut t_safe) = (Vec::new(), Vec::new());
    let (mut avoided, mut added) = (Vec::new(), Vec::new());
    let (mut differ, mut planned) = (0usize, 0usize);
    for _ in 0..n {
        let req = planner::PlanRequest {
            from: planner::Endpoint::Coord(point_near_a_stop(&tt, &mut rng)),
            to: planner::Endpoint::Coord(point_near_a_stop(&tt, &mut rng)),
            day,
            time: 18 * 3600 + rng.below(5 * 3600) as u32,
            arrive_by: false,
            window_secs: None,
            options: raptor::Options::default(),
            lang: i18n::Lang::Es,
            safer: false,
        };
        let s = Instant::now();
        let fast = planner::plan_full(&tt, None, Some(&risk), &mut sc, &cfg, &req);
        t_fast.push(s.elapsed().as_secs_f64() * 1e3);
        let safer_req = planner::PlanRequest { safer: true, ..req };
        let s = Instant::now();
        let safe = planner::plan_full(&tt, None, Some(&risk), &mut sc, &cfg, &safer_req);
        t_safe.push(s.elapsed().as_secs_f64() * 1e3);
        let (Ok(_), Ok(safe)) = (fast, safe) else {
            continue;
        };
        planned += 1;
        if let Some(o) = safe.safer {
            differ += 1;
            avoided.push(o.exposure_avoided_min);
            added.push(o.minutes_added);
        }
    }
    let (mf, pf) = median_p99(&mut t_fast);
    let (ms, ps) = median_p99(&mut t_safe);
    let (ma, _) = median_p99(&mut avoided);
    let same_time = added.iter().filter(|m| **m == 0.0).count();
    let (mm, pm) = median_p99(&mut added);
    println!("{n} evening queries (18:00–23:00), {planned} planned:");
    println!(
        "  safer option differs in {differ} ({:.1} %)",
        100.0 * differ as f64 / planned.max(1) as f64
    );
    println!(
        "  where it differs: median exposure avoided {ma:.1} weighted min, median minutes added {mm:.1} (p99 {pm:.1}); {same_time} arrive as early as the fastest (same bus, boarded or left at a calmer stop, or less waiting in a hot zone)"
    );
    println!(
        "  fastest search median {mf:.3} ms (p99 {pf:.3}); with the safer option median {ms:.3} ms (p99 {ps:.3}); ratio {:.2}",
        ms / mf
    );
}
