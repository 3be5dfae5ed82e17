//! Service delivered, measured from buses driven exactly by a list of departures on one of
//! Arequipa's lines: the promised frequency, half of it, bunched pairs and a 30-minute gap.
//! Each shows as it must — runs against the promise, headway regularity, excess waiting
//! time (computed here from the departures themselves, not from the code under test).

use realtime::fleet::{Fleet, Lines, OnTimetable};
use realtime::service::{CellKey, Delivered, scheduled_headway};
use std::sync::OnceLock;
use timetable::{Day, Timetable};

fn arequipa() -> &'static Timetable {
    static TT: OnceLock<Timetable> = OnceLock::new();
    TT.get_or_init(|| {
        let feed =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/arequipa.zip");
        gtfs::load(
            &[gtfs::FeedSpec::from_path(feed)],
            &gtfs::LoadConfig::default(),
        )
        .unwrap()
        .timetable
    })
}

const TZ: chrono_tz::Tz = chrono_tz::America::Lima;

/// Monday 2026-12-07 at `h`:`m` in Arequipa (Unix seconds).
fn at(h: i64, m: i64) -> i64 {
    realtime::service_day_start(TZ, day()) + h * 3600 + m * 60
}

fn day() -> Day {
    Day::parse("2026-12-07").unwrap()
}

/// A line with at least 15 stops and a headway promised at 08:00: (line, headway).
fn a_line(lines: &Lines) -> (u32, i64) {
    let tt = arequipa();
    lines
        .iter()
        .filter(|(_, l)| l.stops_along().len() >= 15)
        .find_map(|(i, l)| {
            let h = scheduled_headway(tt, l.pattern, day(), 8 * 3600)?;
            (h >= 240).then_some((i, i64::from(h)))
        })
        .expect("a frequency line")
}

/// Drives `departures` from 06:00 to 10:30, a ping every 10 s, and returns the 09:00 cell.
fn measure(lines: &Lines, line: u32, departures: Vec<i64>) -> realtime::service::Cell {
    let tt = arequipa();
    let sim = OnTimetable {
        line,
        departures: departures
            .into_iter()
            .enumerate()
            .map(|(i, d)| (format!("B{i:03}"), d))
            .collect(),
    };
    let mut fleet = Fleet::default();
    let mut delivered = Delivered::default();
    let mut t = at(6, 0);
    while t <= at(10, 30) {
        for ping in sim.at(lines, t) {
            fleet.observe(lines, &ping, t, 120).unwrap();
        }
        for p in fleet.take_passed() {
            delivered.record(tt, lines, TZ, &p);
        }
        fleet.forget_before(t - 120);
        t += 10;
    }
    let l = lines.line(line);
    *delivered
        .cell(&CellKey {
            day: day(),
            route: l.route,
            direction: l.direction.unwrap_or(0),
            hour: 9,
        })
        .expect("a cell at 09:00")
}

/// The excess wait riders have when buses come `headways` apart (seconds) and `promised`
/// apart is promised: Σh²/2Σh − H/2.
fn ewt(headways: &[i64], promised: i64) -> f64 {
    let s: i64 = headways.iter().sum();
    let q: i64 = headways.iter().map(|h| h * h).sum();
    q as f64 / (2.0 * s as f64) - promised as f64 / 2.0
}

#[test]
fn the_promise_kept_half_of_it_bunching_and_a_gap_each_show() {
    let lines = Lines::new(arequipa());
    let (line, h) = a_line(&lines);
    let every = |step: i64| {
        (0..)
            .map(move |k| at(4, 0) + k * step)
            .take_while(|&d| d < at(10, 30))
    };
    let promised = 3600.0 / h as f64;

    // As promised: runs as promised, regular, no excess wait.
    let kept = measure(&lines, line, every(h).collect());
    assert!(
        (f64::from(kept.runs) - promised).abs() <= 1.0,
        "{kept:?} vs {promised}"
    );
    assert!((kept.promised - promised).abs() < 1e-9);
    assert!(kept.headway_cv().unwrap() < 0.05, "{kept:?}");
    assert!(kept.ewt_s().unwrap().abs() < 5.0, "{:?}", kept.ewt_s());

    // Half the frequency: half the runs, still regular, the excess is half a headway.
    let half = measure(&lines, line, every(2 * h).collect());
    assert!(
        (f64::from(half.runs) - promised / 2.0).abs() <= 1.0,
        "{half:?}"
    );
    assert!(half.headway_cv().unwrap() < 0.05);
    let want = ewt(&[2 * h], h);
    assert!(
        (half.ewt_s().unwrap() - want).abs() < 5.0,
        "{:?} vs {want}",
        half.ewt_s()
    );

    // Bunched: as many buses, in pairs a minute apart: irregular, and riders wait longer.
    let bunched = measure(
        &lines,
        line,
        every(2 * h).flat_map(|d| [d, d + 60]).collect(),
    );
    assert!(
        (f64::from(bunched.runs) - promised).abs() <= 1.0,
        "{bunched:?}"
    );
    assert!(
        bunched.headway_cv().unwrap() > 0.6,
        "{:?}",
        bunched.headway_cv()
    );
    let want = ewt(&[60, 2 * h - 60], h);
    assert!(
        (bunched.ewt_s().unwrap() - want).abs() < 5.0,
        "{:?} vs {want}",
        bunched.ewt_s()
    );
    assert_eq!(bunched.vehicles, kept.vehicles, "the same fleet");

    // A gap: the promise but for 30 minutes without a bus through the middle stop's 09:00.
    let middle = lines.line(line).offsets()[lines.line(line).stops_along().len() / 2].0;
    let hole = (at(9, 15) - middle, at(9, 45) - middle);
    let gap = measure(
        &lines,
        line,
        every(h).filter(|d| *d < hole.0 || *d >= hole.1).collect(),
    );
    let missing = (1800 / h) as f64;
    assert!(
        (f64::from(gap.runs) - (promised - missing)).abs() <= 1.0,
        "{gap:?}: {missing} runs missing"
    );
    assert!(gap.ewt_s().unwrap() > 60.0, "{:?}", gap.ewt_s());
    // Travel as scheduled throughout (the buses drive the timetable's own pace).
    for c in [kept, half, bunched, gap] {
        assert!((c.travel_ratio().unwrap() - 1.0).abs() < 0.05, "{c:?}");
    }
}
