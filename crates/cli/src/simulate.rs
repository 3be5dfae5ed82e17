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
    /// Requests in flight at once (a step's batches are sent together, this many at a time).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Print one summary at the end (throughput, batch latency percentiles, drops by reason)
    /// instead of a line per request: the load-generator mode, with `--steps`.
    #[arg(long)]
    summary: bool,
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
    let tally = rt.block_on(drive(&client, &url, &args, &tt, &lines, &mut sim))?;
    if args.summary {
        println!(
            "{}",
            tally.summary(args.vehicles, args.batch, args.concurrency)
        );
    }
    Ok(())
}

/// What the posts met: latencies of the batches, positions accepted and dropped by reason.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    sent: usize,
    accepted: usize,
    dropped: std::collections::BTreeMap<String, usize>,
    elapsed: Duration,
    late_steps: u64,
}

impl Tally {
    fn take(&mut self, latency: Duration, sent: usize, answer: &serde_json::Value) {
        self.latencies.push(latency);
        self.sent += sent;
        self.accepted += answer["accepted"].as_u64().unwrap_or(0) as usize;
        if let Some(d) = answer["dropped"].as_object() {
            for (why, n) in d {
                *self.dropped.entry(why.clone()).or_default() += n.as_u64().unwrap_or(0) as usize;
            }
        }
    }

    fn summary(&self, vehicles: usize, batch: usize, concurrency: usize) -> String {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        let at = |q: f64| {
            l.get(((l.len() as f64 - 1.0) * q).round() as usize)
                .map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        format!(
            "{vehicles} buses, batches of {batch}, {concurrency} in flight: {} posts in {secs:.1} s, \
             {} positions sent ({:.0}/s), {} accepted ({:.0}/s), dropped {:?}; \
             batch latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
             steps that overran their interval: {}",
            l.len(),
            self.sent,
            self.sent as f64 / secs,
            self.accepted,
            self.accepted as f64 / secs,
            self.dropped,
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0),
            self.late_steps,
        )
    }
}

/// Steps the fleet every `--interval` seconds of the wall clock (a step that overruns is
/// counted, and the next starts at once) and posts each step's positions in batches, up to
/// `--concurrency` at a time.
async fn drive(
    client: &reqwest::Client,
    url: &str,
    args: &FleetArgs,
    tt: &timetable::Timetable,
    lines: &Lines,
    sim: &mut Simulation,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let started = tokio::time::Instant::now();
    let interval = Duration::from_secs_f64(args.interval);
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
    let mut step = 0u64;
    loop {
        step += 1;
        let now = crate::unix_now();
        let positions: Vec<serde_json::Value> = sim
            .step(lines, args.interval)
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
        let mut posts = tokio::task::JoinSet::new();
        for chunk in positions.chunks(args.batch) {
            let body = serde_json::json!({ "positions": chunk });
            let sent = chunk.len();
            let permit = permits.clone().acquire_owned().await?;
            let request = client.post(url).bearer_auth(&args.token).json(&body);
            let url = url.to_owned();
            posts.spawn(async move {
                let t0 = std::time::Instant::now();
                let answer = request
                    .send()
                    .await
                    .with_context(|| format!("posting to {url}"))?;
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                let latency = t0.elapsed();
                drop(permit);
                if !status.is_success() {
                    return Err(anyhow!("{url} answered {status}: {text}"));
                }
                Ok::<_, anyhow::Error>((latency, sent, text))
            });
        }
        while let Some(done) = posts.join_next().await {
            let (latency, sent, text) = done.context("a post's task")??;
            let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            tally.take(latency, sent, &answer);
            if !args.summary {
                eprintln!("step {step}: {text}");
            }
        }
        tally.elapsed = started.elapsed();
        if args.steps > 0 && step >= args.steps {
            return Ok(tally);
        }
        let next = started + interval * u32::try_from(step).unwrap_or(u32::MAX);
        if tokio::time::Instant::now() > next {
            tally.late_steps += 1;
        }
        tokio::time::sleep_until(next).await;
    }
}
