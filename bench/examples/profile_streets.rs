//! Plans between coordinates of the streets benchmark's city in a loop, for profilers (perf):
//! `cargo run --release -p paradero-bench --example profile_streets -- [n] [mode]`, where
//! mode is `streets` (the default: street footpaths and walks), `footpaths` (street
//! footpaths, straight-line access) or `straight` (no streets at all). With `SHOW_STEPS` set,
//! prints every walk's steps.

use paradero_bench::street_city;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3000);
    let mode = args.next().unwrap_or_default();
    let on_streets = mode != "straight" && mode != "footpaths";
    let city = street_city();
    let coords: Vec<_> = city.tt.stops().iter().map(|s| s.coord).collect();
    let fc = *city.tt.footpath_config();
    let cfg = planner::PlannerConfig::default();
    let st = streets::Streets::build(&city.extract, &coords, streets::StreetsConfig::default())
        .with_access_tables(fc.walk_distance(cfg.access_radius_m));
    let tt = if mode == "straight" {
        city.tt.clone()
    } else {
        let walked = st.footpaths(fc.walk_distance(fc.radius_m));
        city.tt.clone().with_street_footpaths(&walked)
    };
    let reqs = city.plans(n, 0x91A4);
    let show = std::env::var_os("SHOW_STEPS").is_some();
    let mut sc = raptor::Scratch::new(&tt);
    let mut scratch = planner::StreetScratch::new(&st);
    let t0 = std::time::Instant::now();
    let mut its = 0;
    for r in &reqs {
        let on = on_streets.then_some(planner::OnStreets {
            streets: &st,
            scratch: &mut scratch,
        });
        let Ok(p) = planner::plan_on(&tt, on, &mut sc, &cfg, r) else {
            continue;
        };
        its += p.itineraries.len();
        for leg in p.itineraries.iter().flat_map(|i| &i.legs).filter(|_| show) {
            if let planner::ItineraryLeg::Walk {
                steps, distance_m, ..
            } = leg
            {
                let words: Vec<&str> = steps.iter().map(|s| s.instruction.as_str()).collect();
                println!("walk {distance_m} m: {words:?}");
            }
        }
    }
    println!(
        "{n} plans, {its} itineraries, {:.3} ms each",
        t0.elapsed().as_secs_f64() * 1e3 / n as f64
    );
}
