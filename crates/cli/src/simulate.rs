//! `paradero simulate fleet`: buses driven along a feed's lines at realistic speeds, with GPS
//! noise (±20 m), gaps and a few bad positions, posted to a server's
//! `POST /v1/realtime/positions` as an operator would. For demonstrations, tests and load.

use ::realtime::fleet::{Lines, Simulation};
use anyhow::{Context, anyhow};
use std::time::Duration;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Drive a simulated fleet and post its positions.
    Fleet(FleetArgs),
}

#[derive(clap::Args, Debug)]
pub struct FleetArgs {
    /// The configured feed whose routes the buses drive.
    #[arg(long, default_value = "arequipa")]
    feed: String,
    /// Only routes of these agencies (`FEED:AGENCY_ID`, as the operator token's); all of the
    /// feed's when none is given.
    #[arg(long = "agency")]
    agencies: Vec<String>,
    /// How many buses.
    #[arg(long, default_value_t = 20)]
    vehicles: usize,
    /// Their mean speed, km/h (each drives within ±20 % of it).
    #[arg(long, default_value_t = 18.0)]
    speed: f64,
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// An operator's token (`paradero admin token create --role operator --agency …`).
    #[arg(long, env = "PARADERO_OPERATOR_TOKEN")]
    token: String,
    /// Seconds between posts.
    #[arg(long, default_value_t = 5.0)]
    interval: f64,
    /// Posts to make; 0: until stopped.
    #[arg(long, default_value_t = 0)]
    steps: u64,
    /// Seed of the noise and the starting places (the same seed drives the same fleet).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Positions per request.
    #[arg(long, default_value_t = 100)]
    batch: usize,
}

pub fn run(cfg: &config::Config, cmd: Command) -> anyhow::Result<()> {
    let Command::Fleet(args) = cmd;
    anyhow::ensure!(
        args.interval > 0.0 && args.interval.is_finite(),
        "--interval must be a positive number of seconds"
    );
    anyhow::ensure!(
        (1..=10_000).contains(&args.batch),
        "--batch must be within 1..=10000"
    );
    let specs: Vec<gtfs::FeedSpec> = crate::feed_specs(cfg, &[])
        .into_iter()
        .filter(|s| s.id == args.feed)
        .collect();
    anyhow::ensure!(
        !specs.is_empty(),
        "--feed `{}` is not a configured feed ({})",
        args.feed,
        cfg.feeds
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let tt = gtfs::load(&specs, &crate::load_config(cfg))
        .context("loading the feed")?
        .timetable;
    let lines = Lines::new(&tt);
    let on: Vec<u32> = lines
        .iter()
        .filter(|(_, l)| {
            let agency = &tt.agencies()[tt.route(l.route).agency.idx()].id;
            args.agencies.is_empty() || args.agencies.iter().any(|a| a == agency)
        })
        .map(|(i, _)| i)
        .collect();
    anyhow::ensure!(
        !on.is_empty(),
        "no route of {} to drive on",
        args.agencies.join(", ")
    );
    let mut sim = Simulation::new(&lines, &on, args.vehicles, args.speed, args.seed);
    let url = format!(
        "{}/v1/realtime/positions",
        args.server.trim_end_matches('/')
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("starting the HTTP client")?;
    eprintln!(
        "driving {} buses on {} lines of {} to {url}, every {} s",
        args.vehicles,
        on.len(),
        args.feed,
        args.interval
    );
    rt.block_on(async {
        let mut step = 0u64;
        loop {
            step += 1;
            let now = crate::unix_now();
            let positions: Vec<serde_json::Value> = sim
                .step(&lines, args.interval)
                .into_iter()
                .map(|p| {
                    serde_json::json!({
                        "vehicle": p.vehicle,
                        "route": tt.route(p.route).id,
                        "lat": p.coord.lat(),
                        "lon": p.coord.lon(),
                        "timestamp": now,
                        "speed_kmh": (p.speed_kmh * 10.0).round() / 10.0,
                        "heading": p.heading.round(),
                    })
                })
                .collect();
            for chunk in positions.chunks(args.batch) {
                let answer = client
                    .post(&url)
                    .bearer_auth(&args.token)
                    .json(&serde_json::json!({ "positions": chunk }))
                    .send()
                    .await
                    .with_context(|| format!("posting to {url}"))?;
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                if !status.is_success() {
                    return Err(anyhow!("{url} answered {status}: {text}"));
                }
                eprintln!("step {step}: {text}");
            }
            if args.steps > 0 && step >= args.steps {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs_f64(args.interval)).await;
        }
    })
}
