//! `paradero feed info`: what a set of feeds holds, once laid out for routing.

use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use timetable::{Day, FeedIdx, PatternIdx, Timetable, TripKind};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// GTFS zip files or folders (default: the feeds of the configuration).
    paths: Vec<PathBuf>,
    /// Service date for runs and stop events, YYYY-MM-DD (default: today in the feed's timezone).
    #[arg(long)]
    date: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

struct FeedCounts {
    agencies: usize,
    stops: usize,
    routes: usize,
    patterns: usize,
    scheduled_trips: usize,
    frequency_templates: usize,
}

fn counts(tt: &Timetable, feed: Option<FeedIdx>) -> FeedCounts {
    let of_route = |r: timetable::RouteIdx| tt.agencies()[tt.route(r).agency.idx()].feed;
    let keep = |f: FeedIdx| feed.is_none_or(|x| x == f);
    FeedCounts {
        agencies: tt.agencies().iter().filter(|a| keep(a.feed)).count(),
        stops: tt.stops().iter().filter(|s| keep(s.feed)).count(),
        routes: tt
            .routes()
            .iter()
            .filter(|r| keep(tt.agencies()[r.agency.idx()].feed))
            .count(),
        patterns: tt
            .patterns()
            .iter()
            .filter(|p| keep(of_route(p.route)))
            .count(),
        scheduled_trips: tt
            .trips()
            .iter()
            .filter(|t| keep(of_route(t.route)) && matches!(t.kind, TripKind::Scheduled { .. }))
            .count(),
        frequency_templates: tt
            .trips()
            .iter()
            .filter(|t| keep(of_route(t.route)) && t.kind == TripKind::Frequency)
            .count(),
    }
}

pub fn run(cfg: &config::Config, args: Args) -> anyhow::Result<()> {
    let specs = crate::feed_specs(cfg, &args.paths);
    anyhow::ensure!(
        !specs.is_empty(),
        "no feeds: name one or more GTFS zip files or folders, or list them in the configuration"
    );
    let loaded = crate::load_city(cfg, &specs)?;
    let tt = &loaded.timetable;
    let day = match &args.date {
        Some(d) => Day::parse(d).with_context(|| format!("`{d}` is not a date YYYY-MM-DD"))?,
        None => {
            let tz: chrono_tz::Tz = tt
                .feeds()
                .first()
                .and_then(|f| f.timezone.parse().ok())
                .unwrap_or(chrono_tz::America::Lima);
            Day::from_date(chrono::Utc::now().with_timezone(&tz).date_naive())
        }
    };
    let day_stats = tt.day_stats(day);
    let comps = tt.components();
    let served: Vec<bool> = {
        let mut v = vec![false; tt.stops().len()];
        for p in 0..tt.patterns().len() {
            for s in tt.pattern_stops(PatternIdx::new(p)) {
                v[s.idx()] = true;
            }
        }
        v
    };
    let served_comps = comps
        .iter()
        .filter(|c| c.iter().any(|s| served[s.idx()]))
        .count();
    let unserved_stops = served.iter().filter(|x| !**x).count();
    let heap = tt.heap_bytes();
    let rss = crate::peak_rss_bytes();
    let total = counts(tt, None);
    let weekday = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ][day.weekday() as usize];

    let facts = Facts {
        loaded: &loaded,
        day,
        weekday,
        day_stats,
        components: comps.len(),
        served_comps,
        largest: comps.first().map_or(0, Vec::len),
        unserved_stops,
        heap,
        rss,
        total,
    };
    if args.json {
        print_json(&facts)
    } else {
        print_text(&facts);
        Ok(())
    }
}

/// What `feed info` found, for either output.
struct Facts<'a> {
    loaded: &'a app::city::City,
    day: Day,
    weekday: &'static str,
    day_stats: timetable::DayStats,
    components: usize,
    served_comps: usize,
    largest: usize,
    unserved_stops: usize,
    heap: usize,
    rss: Option<u64>,
    total: FeedCounts,
}

/// The facts as one JSON object.
fn print_json(f: &Facts<'_>) -> anyhow::Result<()> {
    let Facts {
        loaded,
        day,
        ref day_stats,
        components,
        served_comps,
        largest,
        unserved_stops,
        heap,
        rss,
        ref total,
        ..
    } = *f;
    let tt = &loaded.timetable;
    let feeds: Vec<_> = tt
        .feeds()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let c = counts(tt, Some(FeedIdx::new(i)));
            json!({
                "id": f.id, "timezone": f.timezone, "publisher": f.publisher, "version": f.version,
                "service_from": f.service_span.map(|s| s.0.to_string()), "service_to": f.service_span.map(|s| s.1.to_string()),
                "agencies": c.agencies, "stops": c.stops, "routes": c.routes, "patterns": c.patterns,
                "scheduled_trips": c.scheduled_trips, "frequency_templates": c.frequency_templates,
            })
        })
        .collect();
    let warnings: serde_json::Map<String, serde_json::Value> = loaded
        .warnings
        .iter()
        .map(|(k, g)| {
            (
                k.to_string(),
                json!({"count": g.count, "examples": g.examples}),
            )
        })
        .collect();
    let out = json!({
        "feeds": feeds,
        "totals": {
            "agencies": total.agencies, "stops": total.stops, "routes": total.routes, "patterns": total.patterns,
            "scheduled_trips": total.scheduled_trips, "frequency_templates": total.frequency_templates,
        },
        "date": day.to_string(),
        "vehicle_runs": day_stats.runs,
        "runs_from_previous_day": day_stats.runs_from_previous_day,
        "stop_events": day_stats.stop_events,
        "footpaths": tt.n_footpaths(),
        "components": { "count": components, "with_service": served_comps, "largest": largest, "stops_without_service": unserved_stops },
        "warnings": warnings,
        "warnings_total": loaded.warnings.total(),
        "load_seconds": loaded.feeds_s + loaded.streets_s,
        "streets": loaded.streets.as_ref().map(|st| json!({
            "vertices": st.graph.vertices.len(), "edges": st.graph.edges.len(),
            "stops_snapped": st.stops.snaps.iter().filter(|s| s.is_some()).count(),
            "stops_off_streets": st.unsnapped_stops(), "places": st.places.entries.len(),
            "build_seconds": loaded.streets_s, "heap_bytes": st.heap_bytes(),
        })),
        "timetable_heap_bytes": heap,
        "peak_rss_bytes": rss,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// The facts as text for a person.
fn print_text(f: &Facts<'_>) {
    let Facts {
        loaded,
        day,
        weekday,
        ref day_stats,
        components,
        served_comps,
        largest,
        unserved_stops,
        heap,
        rss,
        ..
    } = *f;
    let tt = &loaded.timetable;
    let n = |x: usize| group_digits(x as u64);
    println!(
        "{} feed(s) loaded in {:.2} s",
        tt.feeds().len(),
        loaded.feeds_s
    );
    for (i, f) in tt.feeds().iter().enumerate() {
        let c = counts(tt, Some(FeedIdx::new(i)));
        let span = f.service_span.map_or("no service".to_string(), |(a, b)| {
            format!("service {a} … {b}")
        });
        println!(
            "\nfeed {} — {}, {}{}",
            f.id,
            f.timezone,
            span,
            f.publisher
                .as_ref()
                .map_or(String::new(), |p| format!(", {p}"))
        );
        println!("  agencies             {:>10}", n(c.agencies));
        println!("  stops                {:>10}", n(c.stops));
        println!("  routes               {:>10}", n(c.routes));
        println!("  patterns             {:>10}", n(c.patterns));
        println!("  scheduled trips      {:>10}", n(c.scheduled_trips));
        println!("  frequency templates  {:>10}", n(c.frequency_templates));
    }
    println!("\non {day} ({weekday}), service day of the feed's timezone");
    println!(
        "  vehicle runs         {:>10}",
        group_digits(day_stats.runs)
    );
    println!(
        "  … of the day before  {:>10}  (still running after midnight)",
        group_digits(day_stats.runs_from_previous_day)
    );
    println!(
        "  stop events          {:>10}",
        group_digits(day_stats.stop_events)
    );
    let fc = tt.footpath_config();
    match &loaded.streets {
        None => println!(
            "\nfootpaths              {:>10}  (stops within {} m; walk = distance × {} at {} m/s)",
            n(tt.n_footpaths()),
            fc.radius_m,
            fc.detour_factor,
            fc.walking_speed_m_s
        ),
        Some(st) => {
            println!(
                "\nfootpaths              {:>10}  (walks along the streets up to {:.0} m at {} m/s)",
                n(tt.n_footpaths()),
                fc.walk_distance(fc.radius_m),
                fc.walking_speed_m_s
            );
            println!(
                "streets                {:>10}  vertices, {} edges, {} places; built in {:.2} s",
                n(st.graph.vertices.len()),
                n(st.graph.edges.len()),
                n(st.places.entries.len()),
                loaded.streets_s
            );
            println!(
                "  stops on the streets {:>10}  ({} off the streets keep straight-line walks)",
                n(st.stops.snaps.len() - st.unsnapped_stops()),
                n(st.unsnapped_stops())
            );
        }
    }
    println!(
        "components             {:>10}  ({} with service; largest {} stops; {} stops without service)",
        n(components),
        n(served_comps),
        n(largest),
        n(unserved_stops)
    );
    println!(
        "\nwarnings               {:>10}",
        group_digits(loaded.warnings.total())
    );
    for (kind, g) in loaded.warnings.iter() {
        println!("  {kind:<40} {:>8}", group_digits(g.count));
        for e in &g.examples {
            println!("      e.g. {e}");
        }
    }
    println!(
        "\nmemory: timetable {:.1} MB on the heap; process peak RSS {}",
        heap as f64 / 1e6,
        rss.map_or("unknown".into(), |b| format!("{:.1} MB", b as f64 / 1e6))
    );
}

fn group_digits(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
