//! Latency distributions and comparisons that criterion does not report:
//!
//! 1. Arequipa: Pareto, arrive-by and 60 min range queries between random coordinates,
//!    departures 06:00–20:00 — median and p99 on one core; and the whole `planner::plan`.
//! 2. Side by side with the `vulture` crate on the same stop pairs, date and transfer limit,
//!    no footpaths for either (vulture cannot read frequencies.txt, so its input has the
//!    frequencies expanded into explicit trips); earliest arrivals compared on every query.
//! 3. Scaling on a synthetic city from 1k to 50k stops: query time and timetable memory.
//!
//! Run: `cargo bench -p paradero-bench --bench report` (`-- quick` for fewer queries; `-- vulture`,
//! `-- arequipa` or `-- scaling` for one section).

use paradero_bench::*;
use raptor::{Options, Request, Scratch, StopWalk};
use std::time::Instant;
use timetable::footpaths::FootpathConfig;
use timetable::{Day, PatternIdx, StopIdx};

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn arequipa(n: usize) {
    let tt = load_feed("arequipa.zip");
    let day = Day::parse("20261123").expect("date");
    let qs = random_coordinate_queries(&tt, n, 0xA2E9);
    let opts = Options::default();
    let mut sc = Scratch::new(&tt);
    let mut run = |label: &str, f: &mut dyn FnMut(&mut Scratch, &Query) -> usize| {
        // Warm-up pass, then the measured pass.
        for q in qs.iter().take(50) {
            f(&mut sc, q);
        }
        let mut t = Vec::with_capacity(qs.len());
        let mut found = 0;
        for q in &qs {
            let s = Instant::now();
            found += usize::from(f(&mut sc, q) > 0);
            t.push(ms(s.elapsed()));
        }
        let (med, p99) = median_p99(&mut t);
        println!(
            "  {label:<34} median {med:>7.3} ms   p99 {p99:>7.3} ms   ({found}/{} with journeys)",
            qs.len()
        );
    };
    println!("Arequipa, {n} random coordinate pairs, 06:00–20:00, one core:");
    run("earliest-arrival Pareto query", &mut |sc, q| {
        let r = Request {
            day,
            time: q.time,
            arrive_by: false,
            access: &q.access,
            egress: &q.egress,
        };
        raptor::search(&tt, sc, &r, &opts).len()
    });
    run("arrive-by query (1 h later)", &mut |sc, q| {
        let r = Request {
            day,
            time: q.time + 3600,
            arrive_by: true,
            access: &q.access,
            egress: &q.egress,
        };
        raptor::search(&tt, sc, &r, &opts).len()
    });
    run("range query, 60 min window", &mut |sc, q| {
        let r = Request {
            day,
            time: q.time,
            arrive_by: false,
            access: &q.access,
            egress: &q.egress,
        };
        raptor::range(&tt, sc, &r, 3600, &opts).len()
    });
    let cfg = planner::PlannerConfig::default();
    run("planner::plan (walks + itineraries)", &mut |sc, q| {
        let req = planner::PlanRequest {
            from: planner::Endpoint::Stops(q.access.iter().map(|a| a.stop).take(1).collect()),
            to: planner::Endpoint::Stops(q.egress.iter().map(|a| a.stop).take(1).collect()),
            day,
            time: q.time as u32,
            arrive_by: false,
            window_secs: None,
            options: opts.clone(),
            lang: Default::default(),
            safer: false,
        };
        planner::plan(&tt, sc, &cfg, &req).map_or(0, |p| p.itineraries.len())
    });
}

/// The Arequipa feed as gtfs-structures reads it, with every frequency run made an explicit trip.
fn expanded_for_vulture() -> gtfs_structures::Gtfs {
    let path = feeds_dir().join("arequipa.zip");
    let mut g = gtfs_structures::Gtfs::new(path.to_str().expect("utf-8 path"))
        .expect("gtfs-structures reads the feed");
    let templates: Vec<String> = g
        .trips
        .iter()
        .filter(|(_, t)| !t.frequencies.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    for id in templates {
        let template = g.trips.remove(&id).expect("template");
        let base = template
            .stop_times
            .first()
            .and_then(|s| s.departure_time)
            .unwrap_or(0);
        for f in &template.frequencies {
            let mut start = f.start_time;
            while start < f.end_time {
                let mut t = template.clone();
                t.id = format!("{id}@{start}");
                t.frequencies.clear();
                for st in &mut t.stop_times {
                    st.arrival_time = st.arrival_time.map(|x| x - base + start);
                    st.departure_time = st.departure_time.map(|x| x - base + start);
                }
                g.trips.insert(t.id.clone(), t);
                start += f.headway_secs;
            }
        }
    }
    g
}

fn vulture_side_by_side(n: usize) {
    use vulture::Timetable as _;
    println!(
        "\nSide by side with vulture 0.24 (Arequipa, frequencies expanded for vulture, no footpaths, same stop pairs):"
    );
    let t0 = Instant::now();
    let g = expanded_for_vulture();
    let vt = vulture::gtfs::GtfsTimetable::new(&g, jiff::civil::date(2026, 11, 23))
        .expect("vulture timetable");
    println!(
        "  vulture: read + expand + build {:.2} s ({} trips)",
        t0.elapsed().as_secs_f64(),
        g.trips.len()
    );
    let t0 = Instant::now();
    let tt = load_feed_with(
        "arequipa.zip",
        FootpathConfig {
            radius_m: 0.0,
            ..FootpathConfig::default()
        },
    );
    println!("  paradero: load {:.2} s", t0.elapsed().as_secs_f64());
    let day = Day::parse("20261123").expect("date");
    let served: Vec<StopIdx> = {
        let mut v = vec![false; tt.stops().len()];
        for p in 0..tt.patterns().len() {
            for s in tt.pattern_stops(PatternIdx::new(p)) {
                v[s.idx()] = true;
            }
        }
        (0..v.len()).filter(|&i| v[i]).map(StopIdx::new).collect()
    };
    let mut rng = Rng(0x5_1de);
    let opts = Options {
        transfer_slack: 0,
        max_transfers: 7,
        ..Options::default()
    };
    let mut sc = Scratch::new(&tt);
    let (mut tp, mut tv) = (Vec::new(), Vec::new());
    let (mut agree, mut next_day, mut other, mut both_none) = (0, 0, 0, 0);
    let mut examples = Vec::new();
    while tp.len() < n {
        let a = served[rng.below(served.len() as u64) as usize];
        let b = served[rng.below(served.len() as u64) as usize];
        if a == b {
            continue;
        }
        let time = 6 * 3600 + rng.below(14 * 3600) as u32;
        let bare = |s: StopIdx| {
            tt.stop(s)
                .id
                .split_once(':')
                .map_or(String::new(), |x| x.1.to_string())
        };
        let (Some(va), Some(vb)) = (vt.stop_idx(&bare(a)), vt.stop_idx(&bare(b))) else {
            continue;
        };
        let (acc, egr) = (
            [StopWalk {
                stop: a,
                duration: 0,
                distance_m: 0,
            }],
            [StopWalk {
                stop: b,
                duration: 0,
                distance_m: 0,
            }],
        );
        let req = Request {
            day,
            time: time as i32,
            arrive_by: false,
            access: &acc,
            egress: &egr,
        };
        let s = Instant::now();
        let ours = raptor::search(&tt, &mut sc, &req, &opts)
            .iter()
            .map(|j| j.arrival as u32)
            .min();
        tp.push(ms(s.elapsed()));
        let s = Instant::now();
        let theirs = vt
            .query()
            .from(va)
            .to(vb)
            .max_transfers(8)
            .depart_at(vulture::SecondOfDay(time))
            .run()
            .iter()
            .map(|j| j.arrival().as_secs())
            .min();
        tv.push(ms(s.elapsed()));
        match (ours, theirs) {
            (None, None) => both_none += 1,
            (x, y) if x == y => agree += 1,
            // vulture pins one service date: it cannot see tomorrow's first runs.
            (Some(x), None) if x >= timetable::DAY => next_day += 1,
            (x, y) => {
                other += 1;
                if examples.len() < 5 {
                    examples.push(format!(
                        "{} -> {} at {time}: paradero {x:?}, vulture {y:?}",
                        tt.stop(a).id,
                        tt.stop(b).id
                    ));
                }
            }
        }
    }
    let (pm, pp) = median_p99(&mut tp);
    let (vm, vp) = median_p99(&mut tv);
    println!(
        "  paradero median {pm:.3} ms p99 {pp:.3} ms | vulture median {vm:.3} ms p99 {vp:.3} ms | speed-up at the median {:.1}×",
        vm / pm
    );
    println!(
        "  earliest arrival: {agree} equal, {both_none} both without journey, {next_day} only paradero (a next-day run; vulture sees one service date), {other} other differences"
    );
    for e in examples {
        println!("    {e}");
    }
}

fn scaling(n: usize) {
    println!("\nScaling on a synthetic grid city (stop-to-stop queries 07:00–09:00, one core):");
    println!(
        "  {:>7} {:>7} {:>9} {:>10} {:>12} {:>10}",
        "stops", "routes", "footpaths", "heap MB", "median ms", "p99 ms"
    );
    for g in [23, 50, 71, 100, 122, 158] {
        let tt = synthetic_city(g, 7);
        let qs = synthetic_queries(&tt, n, 11);
        let mut sc = Scratch::new(&tt);
        let opts = Options::default();
        let day = Day::parse("20261123").expect("date");
        let mut t = Vec::new();
        for (i, q) in qs.iter().enumerate() {
            let req = Request {
                day,
                time: q.time,
                arrive_by: false,
                access: &q.access,
                egress: &q.egress,
            };
            let s = Instant::now();
            std::hint::black_box(raptor::search(&tt, &mut sc, &req, &opts));
            if i >= 10 {
                t.push(ms(s.elapsed()));
            }
        }
        let (med, p99) = median_p99(&mut t);
        println!(
            "  {:>7} {:>7} {:>9} {:>10.1} {:>12.3} {:>10.3}",
            tt.stops().len(),
            tt.routes().len(),
            tt.n_footpaths(),
            tt.heap_bytes() as f64 / 1e6,
            med,
            p99
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `-- quick` asks for a short run.
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let only = |s: &str| {
        !args
            .iter()
            .any(|a| ["arequipa", "vulture", "scaling"].contains(&a.as_str()))
            || args.iter().any(|a| a == s)
    };
    if only("arequipa") {
        arequipa(if quick { 200 } else { 2000 });
    }
    if only("vulture") {
        vulture_side_by_side(if quick { 100 } else { 500 });
    }
    if only("scaling") {
        scaling(if quick { 50 } else { 300 });
    }
}
