//! Shared helpers for paradero's benchmarks: shipped feeds, random queries, a synthetic city.

pub mod simulated;

use raptor::StopWalk;
use std::path::{Path, PathBuf};
use timetable::footpaths::FootpathConfig;
use timetable::*;

/// The repository's `feeds/` folder.
pub fn feeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds")
}

/// Loads a shipped feed with default parameters.
pub fn load_feed(name: &str) -> Timetable {
    load_feed_with(name, FootpathConfig::default())
}

/// Loads a shipped feed with the given footpath parameters.
pub fn load_feed_with(name: &str, fp: FootpathConfig) -> Timetable {
    let cfg = gtfs::LoadConfig {
        build: BuildConfig { footpaths: fp },
        ..gtfs::LoadConfig::default()
    };
    gtfs::load(&[gtfs::FeedSpec::from_path(feeds_dir().join(name))], &cfg)
        .expect("shipped feed loads")
        .timetable
}

/// A deterministic xorshift generator, so every run asks the same queries.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One benchmark query: walks at both ends and a departure time.
#[derive(Debug, Clone)]
pub struct Query {
    /// Stops walked to from the origin.
    pub access: Vec<StopWalk>,
    /// Stops walked from to the destination.
    pub egress: Vec<StopWalk>,
    /// Seconds after midnight.
    pub time: i32,
}

/// A coordinate within about 200 m of a random stop of `tt`.
pub fn point_near_a_stop(tt: &Timetable, rng: &mut Rng) -> Coord {
    let s = tt
        .stop(StopIdx(rng.below(tt.stops().len() as u64) as u32))
        .coord;
    Coord::new(
        s.lat() + (rng.unit() - 0.5) * 0.0036,
        s.lon() + (rng.unit() - 0.5) * 0.0036,
    )
    .expect("a point near a stop")
}

/// `n` queries between random coordinates inside the network's area (each within 200 m of a
/// random stop), departing uniformly between 06:00 and 20:00.
pub fn random_coordinate_queries(tt: &Timetable, n: usize, seed: u64) -> Vec<Query> {
    let mut rng = Rng(seed);
    let cfg = planner::PlannerConfig::default();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let (a, b) = (
            point_near_a_stop(tt, &mut rng),
            point_near_a_stop(tt, &mut rng),
        );
        let (Ok(access), Ok(egress)) = (
            planner::walks(tt, &cfg, &planner::Endpoint::Coord(a), "origin"),
            planner::walks(tt, &cfg, &planner::Endpoint::Coord(b), "destination"),
        ) else {
            continue;
        };
        out.push(Query {
            access,
            egress,
            time: 6 * 3600 + rng.below(14 * 3600) as i32,
        });
    }
    out
}

/// Median and 99th percentile of a sample (sorted in place); NaN for an empty one.
pub fn median_p99(xs: &mut [f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// A synthetic city: a `g × g` grid of intersections 300 m apart, each with two kerb stops
/// 20 m apart (so transfers need a footpath). Every row and every column is served in both
/// directions; half the lines run every 6–15 min by `frequencies`, the others by explicit
/// trips at the same headways, 05:00–23:00. Stops: `2·g²`.
pub fn synthetic_city(g: usize, seed: u64) -> Timetable {
    let mut rng = Rng(seed);
    let mut b = TimetableBuilder::new();
    let feed = b.add_feed(Feed {
        id: "synthetic".into(),
        timezone: "America/Lima".into(),
        publisher: None,
        version: None,
        service_span: None,
        valid_until: None,
        estimated_times: false,
    });
    let agency = b
        .add_agency(Agency {
            feed,
            id: "synthetic:a".into(),
            name: "Synthetic".into(),
            url: String::new(),
            timezone: "America/Lima".into(),
        })
        .expect("agency");
    let service = b.add_service(ServiceDays::from_calendar(
        [true; 7],
        Day::parse("20260101").expect("date"),
        Day::parse("20271231").expect("date"),
        &[],
        &[],
    ));
    let deg = 300.0 / 111_320.0;
    let kerb = 20.0 / 111_320.0;
    let mut stop = vec![[StopIdx(0); 2]; g * g];
    for i in 0..g {
        for j in 0..g {
            for (k, slot) in stop[i * g + j].iter_mut().enumerate() {
                let c = Coord::new(
                    -16.3 - i as f64 * deg - k as f64 * kerb,
                    -71.6 + j as f64 * deg,
                )
                .expect("coord");
                *slot = b
                    .add_stop(Stop {
                        feed,
                        id: format!("synthetic:{i}-{j}-{k}"),
                        name: String::new(),
                        coord: c,
                        parent_station: None,
                        zone_id: None,
                        code: None,
                        wheelchair: Accessibility::Unknown,
                    })
                    .expect("stop");
            }
        }
    }
    let mut line = 0;
    for horizontal in [true, false] {
        for a in 0..g {
            for forward in [true, false] {
                line += 1;
                let route = b
                    .add_route(Route {
                        id: format!("synthetic:L{line}"),
                        agency,
                        short_name: format!("L{line}"),
                        long_name: String::new(),
                        route_type: 3,
                        color: None,
                        text_color: None,
                    })
                    .expect("route");
                let mut seq: Vec<StopIdx> = (0..g)
                    .map(|x| {
                        if horizontal {
                            stop[a * g + x][0]
                        } else {
                            stop[x * g + a][1]
                        }
                    })
                    .collect();
                if !forward {
                    seq.reverse();
                }
                let headway = 360 + 60 * rng.below(10) as u32;
                let hop = 50 + rng.below(30) as u32;
                let times = |start: Secs| -> Vec<StopTimeSpec> {
                    seq.iter()
                        .enumerate()
                        .map(|(p, &s)| {
                            let t = start + p as u32 * hop;
                            StopTimeSpec {
                                stop: s,
                                arrival: t,
                                departure: t,
                                pickup: true,
                                drop_off: true,
                            }
                        })
                        .collect()
                };
                let spec = |id: String, start| TripSpec {
                    id,
                    route,
                    service,
                    headsign: None,
                    short_name: None,
                    direction: None,
                    block_id: None,
                    shape: None,
                    wheelchair: Accessibility::Unknown,
                    stop_times: times(start),
                };
                if line % 2 == 0 {
                    let t = b
                        .add_trip(spec(format!("synthetic:L{line}-f"), 0))
                        .expect("trip");
                    b.add_frequency(t, 5 * 3600, 23 * 3600, headway, true)
                        .expect("window");
                } else {
                    let mut start = 5 * 3600 + rng.below(u64::from(headway)) as u32;
                    let mut k = 0;
                    while start < 23 * 3600 {
                        b.add_trip(spec(format!("synthetic:L{line}-{k}"), start))
                            .expect("trip");
                        start += headway;
                        k += 1;
                    }
                }
            }
        }
    }
    let mut w = Warnings::default();
    b.build(&BuildConfig::default(), &mut w)
}

/// Random stop-to-stop queries on a synthetic city, departing 07:00–09:00.
pub fn synthetic_queries(tt: &Timetable, n: usize, seed: u64) -> Vec<Query> {
    let mut rng = Rng(seed);
    let walk = |s: u64| {
        vec![StopWalk {
            stop: StopIdx(s as u32),
            duration: 0,
            distance_m: 0,
        }]
    };
    (0..n)
        .map(|_| Query {
            access: walk(rng.below(tt.stops().len() as u64)),
            egress: walk(rng.below(tt.stops().len() as u64)),
            time: 7 * 3600 + rng.below(7200) as i32,
        })
        .collect()
}

/// The streets benchmark's city, about a million people: the synthetic transit city of
/// 55 × 55 stop pairs 300 m apart (6,050 stops) over a street grid of 550 × 550 crossings
/// 30 m apart (302,500 vertices, 16.5 km a side), the two covering the same ground.
#[derive(Debug)]
pub struct StreetCity {
    /// The transit network (straight-line footpaths).
    pub tt: Timetable,
    /// The street grid.
    pub extract: streets::Extract,
    /// Northern edge, degrees.
    pub lat_top: f64,
    /// Southern edge, degrees.
    pub lat0: f64,
}

/// Builds the [`StreetCity`].
pub fn street_city() -> StreetCity {
    let tt = synthetic_city(55, 0xC17E);
    let lat_top = -16.3;
    let lat0 = lat_top - 16.5 / 111.195;
    let extract = streets::synthetic::grid(550, 550, 30.0, lat0 - 0.001, -71.6 - 0.001);
    StreetCity {
        tt,
        extract,
        lat_top,
        lat0,
    }
}

impl StreetCity {
    /// A random point well inside the city.
    pub fn point(&self, rng: &mut Rng) -> Coord {
        Coord::new(
            self.lat_top - 0.01 - rng.unit() * 0.13,
            -71.6 + 0.01 + rng.unit() * 0.13,
        )
        .expect("point")
    }

    /// `n` plans between random points, leaving between 07:00 and 09:00.
    pub fn plans(&self, n: usize, seed: u64) -> Vec<planner::PlanRequest> {
        let mut rng = Rng(seed);
        (0..n)
            .map(|_| planner::PlanRequest {
                from: planner::Endpoint::Coord(self.point(&mut rng)),
                to: planner::Endpoint::Coord(self.point(&mut rng)),
                day: timetable::Day::parse("20261123").expect("day"),
                time: 7 * 3600 + rng.below(7200) as u32,
                arrive_by: false,
                window_secs: None,
                options: raptor::Options::default(),
                lang: i18n::Lang::Es,
                safer: false,
            })
            .collect()
    }
}

/// Arequipa with 500 simulated buses live (each a run of its route, predicted) and the 500
/// queries at 08:00–08:30 the live-plans benchmarks ask, on Monday 2026-11-23.
#[derive(Debug)]
pub struct LivePlans {
    pub tt: Timetable,
    pub day: Day,
    pub live: raptor::LiveView,
    pub queries: Vec<Query>,
}

pub fn arequipa_with_live_buses() -> LivePlans {
    use realtime::fleet::{Fleet, Lines, Simulation};
    let tt = load_feed("arequipa.zip");
    let day = Day::parse("20261123").expect("a date");
    let tz = "America/Lima".parse().expect("a time zone");
    let t0 = realtime::service_day_start(tz, day) + 8 * 3600;
    let lines = Lines::new(&tt);
    let on: Vec<u32> = lines.iter().map(|(i, _)| i).collect();
    let mut sim = Simulation::new(&lines, &on, 500, 20.0, 5);
    let mut fleet = Fleet::default();
    for k in 0..2 {
        for p in sim.step(&lines, 5.0) {
            let _ = fleet.observe(&lines, &p.ping(t0 + 5 * k), t0 + 5, 120);
        }
    }
    let (vehicles, overlay) = fleet.live(&tt, &lines, t0 + 5, 120);
    eprintln!("{} live buses, {} live runs", vehicles.len(), overlay.len());
    let live = raptor::LiveView {
        live: std::sync::Arc::new(realtime::Live::default().with_source(
            "operators",
            std::sync::Arc::new(overlay),
            std::sync::Arc::new(vehicles),
            t0 + 5,
            120,
        )),
        now: t0 + 5,
    };
    let mut queries = random_coordinate_queries(&tt, 500, 0x11FE);
    for (i, q) in queries.iter_mut().enumerate() {
        q.time = 8 * 3600 + (i as i32 * 37) % 1800;
    }
    LivePlans {
        tt,
        day,
        live,
        queries,
    }
}

/// A field of this process's `/proc/self/status` (`VmRSS:`, `VmHWM:`), MB; 0 where there is
/// none.
pub fn rss(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
