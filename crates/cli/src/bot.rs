//! `paradero bot`: the Telegram chatbot on its own (long polling), with the same planner,
//! validation and store as `paradero serve`; and the wiring `serve` uses to run it
//! in-process.

use anyhow::Context;
use std::sync::Arc;

#[derive(clap::Args, Debug, Default)]
pub struct Args {}

fn connection(cfg: &config::Config) -> anyhow::Result<bot::Connection> {
    let token = cfg.bot.token().context(
        "no bot token: set TELOXIDE_TOKEN (or PARADERO_BOT__TOKEN) to the token from @BotFather",
    )?;
    Ok(bot::Connection {
        token,
        api_url: cfg.bot.api_url.clone(),
        poll_timeout_s: cfg.bot.poll_timeout_s,
        notify_every: std::time::Duration::from_millis(cfg.bot.notify_every_ms),
    })
}

/// Starts the bot on `app`: by webhook (returning the route to serve beside the API) when
/// `bot.webhook_url` is set, else by long polling.
pub async fn start(
    cfg: &config::Config,
    app: Arc<app::App>,
) -> anyhow::Result<(bot::Running, Option<axum::Router>)> {
    let conn = connection(cfg)?;
    let engine = Arc::new(
        bot::Engine::new(app, bot::BotSettings::from_config(cfg))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    match (&cfg.bot.webhook_url, &cfg.bot.webhook_secret) {
        (Some(url), Some(secret)) => {
            let (router, running) = bot::start_webhook(&conn, engine, url, secret)
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            tracing::info!(url, "Telegram bot: webhook registered");
            Ok((running, Some(router)))
        }
        _ => {
            let running = bot::start_polling(&conn, engine)
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            tracing::info!("Telegram bot: long polling");
            Ok((running, None))
        }
    }
}

pub fn run(cfg: &config::Config, _args: Args) -> anyhow::Result<()> {
    crate::serve::init_logging();
    connection(cfg)?;
    anyhow::ensure!(
        cfg.bot.webhook_url.is_none(),
        "bot.webhook_url is set: webhooks arrive through the HTTP server, so run `paradero serve` (it starts the bot in-process)"
    );
    anyhow::ensure!(
        cfg.observatory.enabled,
        "the bot keeps conversations and reports in the store: set observatory.enabled = true"
    );
    let crate::serve::Prepared {
        dataset,
        app: settings,
        ..
    } = crate::serve::prepare(cfg)?;
    let rt = crate::serve::runtime()?;
    rt.block_on(async move {
        let stop = server::shutdown_signal();
        let mut settings = settings;
        settings.observatory = crate::serve::open_observatory(cfg).await?;
        let obs = settings.observatory.clone();
        if let Some(o) = &obs {
            o.spawn_photo_sweep();
        }
        let app = app::App::new(dataset, settings);
        // What officials and operators write through the server reaches the bot's answers.
        crate::realtime::spawn_pollers(cfg, &app);
        crate::realtime::spawn_position_follower(&app);
        let (running, _) = start(cfg, app).await?;
        tracing::info!("paradero bot running");
        stop.await;
        tracing::info!("stopping the bot: finishing updates in hand");
        running.stop().await;
        if let Some(o) = obs {
            crate::close_observatory(&o).await;
        }
        Ok(())
    })
}
