//! `paradero serve`: the HTTP API on the configured feeds (and the chatbot in-process when a
//! token is configured).

use anyhow::Context;
use std::sync::Arc;

#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Address to listen on (default: server.listen of the configuration).
    #[arg(long)]
    listen: Option<String>,
}

pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PARADERO_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// What the configuration and the feeds give: the timetable, the application's parameters
/// and the HTTP front door's.
#[derive(Debug)]
pub struct Prepared {
    /// The timetable loaded.
    pub dataset: app::Dataset,
    /// The application's parameters (the observatory is opened later, inside the runtime).
    pub app: app::Settings,
    /// The HTTP front door's.
    pub http: server::Settings,
}

/// The application's parameters from the configuration (the observatory is opened later,
/// inside the runtime); `loader` rebuilds the dataset on a reload.
pub fn app_settings(cfg: &config::Config, loader: Option<app::Loader>) -> app::Settings {
    app::Settings::from_config(cfg, loader)
}

/// Loads the feeds and builds the parameters from the configuration.
pub fn prepare(cfg: &config::Config) -> anyhow::Result<Prepared> {
    let specs = crate::feed_specs(cfg, &[]);
    anyhow::ensure!(
        !specs.is_empty(),
        "no feeds in the configuration: add a [[feeds]] entry"
    );
    let city = crate::load_city(cfg, &specs)?;
    tracing::info!(
        stops = city.timetable.stops().len(),
        routes = city.timetable.routes().len(),
        warnings = city.warnings.total(),
        load_s = city.feeds_s + city.streets_s,
        streets = city.streets.is_some(),
        "timetable ready"
    );
    // Reloads read the same feeds (and extract) again with the same parameters.
    let (reload_specs, reload_cfg) = (specs.clone(), cfg.clone());
    let loader: app::Loader = Arc::new(move || {
        let city = crate::load_city(&reload_cfg, &reload_specs).map_err(|e| format!("{e:#}"))?;
        Ok(app::city::dataset(city))
    });
    let app = app_settings(cfg, Some(loader));
    let http = server::Settings::from_config(cfg);
    let dataset = app::city::dataset(city);
    Ok(Prepared { dataset, app, http })
}

/// A runtime for CPU-bound routing: a few blocking threads (each with its own routing
/// scratch) serve more plans per second than tokio's default of up to 512, with far less
/// memory.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(2 * cores)
        .build()
        .context("starting the async runtime")
}

/// Opens the store and starts the observatory (trip writer, retention), if enabled.
pub async fn open_observatory(cfg: &config::Config) -> anyhow::Result<Option<Arc<app::Obs>>> {
    let obs_cfg = &cfg.observatory;
    if !obs_cfg.enabled {
        return Ok(None);
    }
    let store = crate::open_store(cfg).await?;
    tracing::info!(backend = ?store.backend(), "observatory store ready");
    spawn_retention(store.clone(), obs_cfg.retention_days);
    Ok(Some(app::Obs::start(
        store,
        app::ObservatorySettings::from_config(cfg),
    )))
}

pub fn run(cfg: &config::Config, args: Args) -> anyhow::Result<()> {
    init_logging();
    let started = std::time::Instant::now();
    let Prepared {
        dataset,
        app: settings,
        http,
    } = prepare(cfg)?;
    let listen = args.listen.unwrap_or_else(|| cfg.server.listen.clone());
    let rt = runtime()?;
    rt.block_on(async move {
        // Listen for SIGTERM and Ctrl-C before anything starts (the bot may answer riders
        // before the server is bound): a stop during start-up is graceful too.
        let stop = server::shutdown_signal();
        let mut settings = settings;
        settings.observatory = open_observatory(cfg).await?;
        let obs = settings.observatory.clone();
        if let Some(o) = &obs {
            o.spawn_photo_sweep();
        }
        let app = app::App::new(dataset, settings);
        app.spawn_release_job();
        crate::realtime::spawn_pollers(cfg, &app);
        crate::realtime::spawn_position_follower(&app);
        let state = server::AppState::new(Arc::clone(&app), http);
        // The chatbot in-process, on the same state, when a token is configured.
        let mut bot_running = None;
        let mut extra = None;
        if cfg.bot.with_server && cfg.bot.token().is_some() {
            // Riders of the web and the API must not lose the planner because Telegram is
            // unreachable at start: the bot's failure is logged, the server still starts.
            match crate::bot::start(cfg, Arc::clone(&app)).await {
                Ok((running, router)) => {
                    bot_running = Some(running);
                    extra = router;
                }
                Err(e) => tracing::error!(error = %format!("{e:#}"), "the Telegram bot did not start; serving without it"),
            }
        }
        let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        tracing::info!(addr = %listener.local_addr()?, ready_s = started.elapsed().as_secs_f64(), "paradero serving");
        server::serve_until(listener, state, extra, stop).await.context("serving")?;
        if let Some(b) = bot_running {
            b.stop().await;
        }
        // Service delivered counted since the last write, before the store closes.
        if let Err(e) = app.flush_service(app::now_unix()).await {
            tracing::warn!(error = %e, "service delivered: the last minutes were not written");
        }
        // Trips still queued are written before the process exits, unless the store is down:
        // then the process still exits, after saying what was lost.
        if let Some(o) = obs {
            crate::close_observatory(&o).await;
        }
        Ok(())
    })
}

/// Deletes raw trip records older than the retention period and day-old idempotency keys, at
/// start and every hour.
fn spawn_retention(store: store::Store, days: u32) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let before = crate::unix_now() - i64::from(days) * 86_400;
            match store.delete_trips_before(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, days, "old trip records deleted"),
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
            // Idempotency keys (and the secrets they replay) live a day.
            if let Err(e) = store.expire_idempotency_keys(crate::unix_now()).await {
                tracing::error!(error = %e, "expiring idempotency keys failed");
            }
        }
    });
}
