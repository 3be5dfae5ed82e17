//! `paradero plan`: itineraries between two places, as text (Spanish by default) or JSON.

use anyhow::anyhow;
use i18n::Lang;
use raptor::Wheelchair;
use timetable::{Day, Secs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Origin: a stop id (e.g. arequipa:5555040128) or coordinates lat,lon.
    #[arg(long, allow_hyphen_values = true)]
    from: String,
    /// Destination: a stop id or coordinates lat,lon.
    #[arg(long, allow_hyphen_values = true)]
    to: String,
    /// Leave at this local time: 2026-11-23T08:00, or 08:00 for today (default: now).
    #[arg(long, conflicts_with = "arrive_by")]
    at: Option<String>,
    /// Arrive by this local time (same forms as --at).
    #[arg(long)]
    arrive_by: Option<String>,
    /// Only stops and buses not marked inaccessible (`--wheelchair strict`: only those marked accessible).
    #[arg(long, num_args = 0..=1, default_missing_value = "yes")]
    wheelchair: Option<String>,
    /// Most changes of vehicle.
    #[arg(long)]
    max_transfers: Option<u8>,
    /// All options leaving within this window, e.g. 60m or 1h.
    #[arg(long)]
    window: Option<String>,
    /// Language of the text: es (default) or en.
    #[arg(long, default_value = "es")]
    lang: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Feeds to plan on instead of the configuration's.
    #[arg(long = "feed")]
    feeds: Vec<std::path::PathBuf>,
}

/// Reads `2026-11-23T08:00[:ss]` or `08:00[:ss]` (today in the feed's timezone):
/// [`app::when::parse`].
fn parse_when(s: &str, today: Day, lang: Lang) -> anyhow::Result<(Day, Secs)> {
    app::when::parse(s, today, None).map_err(|e| anyhow!(e.localized(lang)))
}

/// A catalog message about the text the user typed.
fn t_err(lang: Lang, key: &str, text: &str) -> String {
    i18n::t(lang, key, &[("text", &text)])
}

pub fn run(cfg: &config::Config, args: Args) -> anyhow::Result<()> {
    let lang = Lang::parse(&args.lang)
        .ok_or_else(|| anyhow!(t_err(Lang::Es, "error.bad_lang", &args.lang)))?;
    let wheelchair = match args.wheelchair.as_deref() {
        None => Wheelchair::Off,
        Some("yes" | "true" | "1") => Wheelchair::Accessible,
        Some("strict") => Wheelchair::Strict,
        Some(other) => return Err(anyhow!(t_err(lang, "error.bad_wheelchair", other))),
    };
    let window_secs = match &args.window {
        None => None,
        Some(w) => match timetable::text::parse_duration(w) {
            Ok(secs) if secs <= 6 * 3600 => Some(secs).filter(|&s| s > 0),
            _ => return Err(anyhow!(t_err(lang, "error.bad_window", w))),
        },
    };
    let specs = crate::feed_specs(cfg, &args.feeds);
    let city = crate::load_city(cfg, &specs)?;
    // Planned as both front doors plan: through `App` (its scratch, its streets, its limits).
    let app = app::App::new(
        app::city::dataset(city),
        crate::serve::app_settings(cfg, None),
    );
    let ds = app.dataset();
    let tt = &ds.timetable;
    let (today, now) = planner::clock::now(tt);
    let (day, time, arrive_by) = match (&args.at, &args.arrive_by) {
        (_, Some(a)) => {
            let (d, t) = parse_when(a, today, lang)?;
            (d, t, true)
        }
        (Some(a), None) => {
            let (d, t) = parse_when(a, today, lang)?;
            (d, t, false)
        }
        (None, None) => (today, now, false),
    };
    let from = planner::parse_endpoint(tt, &args.from).map_err(|e| anyhow!(e.localized(lang)))?;
    let to = planner::parse_endpoint(tt, &args.to).map_err(|e| anyhow!(e.localized(lang)))?;
    let mut options = app::Settings::from_config(cfg, None).routing;
    options.wheelchair = wheelchair;
    if let Some(m) = args.max_transfers {
        options.max_transfers = m.min(15);
    }
    let req = planner::PlanRequest {
        from,
        to,
        day,
        time,
        arrive_by,
        window_secs,
        options,
        lang,
        safer: false,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let plan = rt
        .block_on(app.plan(ds.clone(), req))
        .map_err(|e| anyhow!(e.detail().to_string()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", planner::render_text(lang, &plan));
    }
    Ok(())
}
