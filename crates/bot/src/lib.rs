//! paradero's Telegram chatbot, in the style of Trujillo's TRUXI: plan a trip, see the next
//! departures, report an incident, follow one's reports, answer a survey, erase one's data.
//!
//! [`engine`] holds the conversations, independent of Telegram; this module adapts teloxide:
//! updates in (long polling or a webhook route on paradero's own axum server), replies out
//! (retrying after Telegram's flood-control `retry_after`), the command menu per language,
//! and the delivery of report status changes from the store's outbox. Planning, validation
//! and storage are the application layer's (`app`), shared with the HTTP API.

pub mod dialogue;
pub mod engine;
#[cfg(feature = "fake-api")]
pub mod fake;

pub use engine::{BotSettings, Engine, Input, Keyboard, Out};

use std::sync::Arc;
use std::time::Duration;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup,
    KeyboardRemove, ReplyMarkup,
};
use teloxide::{ApiError, RequestError};

/// How the bot talks to Telegram.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Bot token.
    pub token: String,
    /// Bot API base URL (a fake one in tests).
    pub api_url: Option<String>,
    /// Seconds a long poll waits for updates.
    pub poll_timeout_s: u32,
    /// How often the outbox of status changes is read.
    pub notify_every: Duration,
}

/// A teloxide `Bot` for a connection.
pub fn make_bot(c: &Connection) -> Result<Bot, String> {
    let mut bot = Bot::new(&c.token);
    if let Some(url) = &c.api_url {
        let url = url
            .parse()
            .map_err(|e| format!("bot api_url `{url}` is not a URL: {e}"))?;
        bot = bot.set_api_url(url);
    }
    Ok(bot)
}

/// Sends a request, waiting out Telegram's flood control (`429 retry_after`) up to 5 times.
async fn with_retry<T, F, Fut>(what: &str, mut send: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let mut tries = 0;
    loop {
        match send().await {
            Err(RequestError::RetryAfter(secs)) if tries < 5 => {
                tries += 1;
                tracing::warn!(
                    what,
                    seconds = secs.seconds(),
                    "Telegram flood control: waiting"
                );
                tokio::time::sleep(secs.duration()).await;
            }
            other => return other,
        }
    }
}

fn markup(k: &Keyboard) -> ReplyMarkup {
    match k {
        Keyboard::Inline(rows) => {
            ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows.iter().map(|r| {
                r.iter()
                    .map(|(label, data)| InlineKeyboardButton::callback(label, data))
                    .collect::<Vec<_>>()
            })))
        }
        Keyboard::AskLocation(label) => ReplyMarkup::Keyboard(
            KeyboardMarkup::new(vec![vec![
                KeyboardButton::new(label).request(teloxide::types::ButtonRequest::Location),
            ]])
            .resize_keyboard()
            .one_time_keyboard(),
        ),
        Keyboard::None => ReplyMarkup::KeyboardRemove(KeyboardRemove::new()),
    }
}

/// Sends replies in order.
pub async fn send_all(bot: &Bot, chat: ChatId, outs: &[Out]) -> Result<(), RequestError> {
    for o in outs {
        with_retry("sendMessage", || {
            bot.send_message(chat, &o.text)
                .reply_markup(markup(&o.keyboard))
                .send()
        })
        .await?;
    }
    Ok(())
}

/// What a Telegram message says, as the engine's input.
pub fn input_of(msg: &Message) -> Input {
    if let Some(v) = msg.venue() {
        return Input::Location(v.location.latitude, v.location.longitude);
    }
    if let Some(l) = msg.location() {
        return Input::Location(l.latitude, l.longitude);
    }
    if let Some(largest) = msg
        .photo()
        .and_then(|sizes| sizes.iter().max_by_key(|p| p.width * p.height))
    {
        return Input::Photo(largest.file.id.0.clone());
    }
    match msg.text() {
        Some(text) if text.starts_with('/') => {
            let (head, args) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
            let name = head[1..].split('@').next().unwrap_or("").to_lowercase();
            Input::Command(name, args.trim().to_string())
        }
        Some(text) => Input::Text(text.to_string()),
        None => Input::Other,
    }
}

async fn on_message(bot: Bot, msg: Message, engine: Arc<Engine>) -> ResponseResult<()> {
    // Only private chats: reports and profiles are personal.
    if !msg.chat.is_private() {
        return Ok(());
    }
    let lang = msg.from.as_ref().and_then(|u| u.language_code.clone());
    let key = format!("m{}", msg.id.0);
    answer(
        &bot,
        &engine,
        msg.chat.id,
        input_of(&msg),
        lang.as_deref(),
        &key,
    )
    .await
}

/// Handles one input and sends the replies; a failure (the store is down) gets an apology.
async fn answer(
    bot: &Bot,
    engine: &Engine,
    chat: ChatId,
    input: Input,
    lang: Option<&str>,
    key: &str,
) -> ResponseResult<()> {
    let outs = match engine.handle(chat.0, input, lang, key).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "the bot could not handle an update");
            vec![Out {
                // The store failed, so the chat's language is unknown: Telegram's guess.
                text: e.message(lang.and_then(i18n::Lang::parse).unwrap_or_default()),
                keyboard: Keyboard::None,
            }]
        }
    };
    send_all(bot, chat, &outs).await
}

async fn on_callback(bot: Bot, q: CallbackQuery, engine: Arc<Engine>) -> ResponseResult<()> {
    // Stop the button's spinner first.
    let _ = with_retry("answerCallbackQuery", || {
        bot.answer_callback_query(q.id.clone()).send()
    })
    .await;
    let Some(chat) = q.message.as_ref().map(|m| m.chat().id) else {
        return Ok(());
    };
    let Some(data) = q.data.clone() else {
        return Ok(());
    };
    let lang = q.from.language_code.clone();
    answer(
        &bot,
        &engine,
        chat,
        Input::Button(data),
        lang.as_deref(),
        &q.id.0,
    )
    .await
}

/// The command menu, per language (Spanish also as the default for other languages).
pub async fn set_commands(bot: &Bot) -> Result<(), RequestError> {
    for lang in engine::LANGS {
        let cmds: Vec<BotCommand> = engine::COMMANDS
            .iter()
            .map(|c| BotCommand::new(c.name, i18n::t(lang, &c.menu_key(), &[])))
            .collect();
        with_retry("setMyCommands", || {
            bot.set_my_commands(cmds.clone())
                .language_code(lang.code())
                .send()
        })
        .await?;
        if lang == i18n::Lang::Es {
            with_retry("setMyCommands", || bot.set_my_commands(cmds.clone()).send()).await?;
        }
    }
    Ok(())
}

/// Tells reporters about status changes of their reports (the store's outbox), every
/// `every`, until the task is dropped.
pub async fn deliver_notifications(bot: Bot, engine: Arc<Engine>, every: Duration) {
    let app = Arc::clone(engine.app());
    if app.observatory().is_none() {
        return;
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let pending = match app.pending_notifications(100).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "reading notifications failed");
                continue;
            }
        };
        for n in pending {
            // Claimed before sending: another bot process may be reading the same outbox.
            match app.claim_notification(n.id).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::error!(error = %e, "claiming a notification failed");
                    break;
                }
            }
            let lang = i18n::Lang::parse(&n.lang).unwrap_or_default();
            let status = i18n::t(lang, &format!("status.{}", n.status.as_str()), &[]);
            let tt = app.dataset().timetable.clone();
            let category = i18n::t(lang, &format!("category.{}", n.category), &[]);
            let date = app::clock::local_date(&tt, n.reported_at);
            let mut text = i18n::t(
                lang,
                "bot.notify",
                &[
                    ("category", &category),
                    ("date", &date),
                    ("status", &status),
                ],
            );
            if !n.note.is_empty() {
                text.push('\n');
                text.push_str(&i18n::t(lang, "bot.notify.note", &[("note", &n.note)]));
            }
            let sent = with_retry("sendMessage", || {
                bot.send_message(ChatId(n.chat_id), &text).send()
            })
            .await;
            match sent {
                // A rider who blocked the bot or deleted the chat will not get it later either.
                Ok(_) | Err(RequestError::Api(ApiError::BotBlocked | ApiError::ChatNotFound)) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "notification not delivered; will retry");
                    if let Err(e) = app.give_back_notification(n.id).await {
                        tracing::error!(error = %e, "giving a notification back failed");
                    }
                    break;
                }
            }
        }
    }
}

/// Tells chats that follow a route about its new and changed service alerts (the store's
/// outbox, leased so that two bot processes never send the same one at once), every `every`,
/// until the task is dropped. Telegram's flood control is waited out; a chat that blocked
/// the bot or is gone is given up with its subscriptions; other failures are tried again
/// later, a few times.
pub async fn deliver_alerts(bot: Bot, engine: Arc<Engine>, every: Duration) {
    let app = Arc::clone(engine.app());
    if app.observatory().is_none() {
        return;
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let due = match app.alerts_to_tell(50).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "reading alerts to tell failed");
                continue;
            }
        };
        for a in due {
            let sent = with_retry("sendMessage", || {
                bot.send_message(ChatId(a.chat_id), &a.text).send()
            })
            .await;
            let done = match sent {
                Ok(_) => app.alert_told(a.delivery).await,
                Err(RequestError::Api(
                    ApiError::BotBlocked
                    | ApiError::ChatNotFound
                    | ApiError::UserDeactivated
                    | ApiError::BotKicked,
                )) => app.alert_not_told(&a, true).await,
                Err(e) => {
                    tracing::warn!(error = %e, attempts = a.attempts, "alert not delivered; will retry");
                    app.alert_not_told(&a, false).await
                }
            };
            if let Err(e) = done {
                // The lease runs out and the alert is sent again: at least once.
                tracing::error!(error = %e, "recording an alert's delivery failed");
            }
        }
    }
}

type Handler = teloxide::dispatching::UpdateHandler<RequestError>;

fn handler() -> Handler {
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback))
}

/// A running bot: stop it with [`Running::stop`].
pub struct Running {
    shutdown: teloxide::dispatching::ShutdownToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("tasks", &self.tasks.len())
            .finish()
    }
}

/// How long [`Running::stop`] waits for the updates in hand.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl Running {
    /// Stops taking updates, lets the ones in hand finish (for at most [`STOP_GRACE`]: a
    /// dispatcher that does not confirm is left behind, so a stop never hangs the process),
    /// stops notifications.
    pub async fn stop(self) {
        if let Ok(done) = self.shutdown.shutdown()
            && tokio::time::timeout(STOP_GRACE, done).await.is_err()
        {
            tracing::warn!(
                grace_s = STOP_GRACE.as_secs(),
                "the Telegram dispatcher did not stop in time; stopping without it"
            );
        }
        for t in self.tasks {
            t.abort();
            let _ = t.await;
        }
    }
}

/// A photo's bytes from Telegram: `getFile`, then the download, refused past `max_bytes`.
fn photo_source(bot: Bot, max_bytes: usize) -> engine::PhotoSource {
    Arc::new(move |file_id: String| {
        let bot = bot.clone();
        Box::pin(async move {
            use teloxide::net::Download;
            let file = bot
                .get_file(teloxide::types::FileId(file_id))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if file.size as usize > max_bytes {
                return Err(format!("{} bytes, more than {max_bytes}", file.size));
            }
            let mut bytes = Vec::with_capacity(file.size as usize);
            bot.download_file(&file.path, &mut bytes)
                .await
                .map_err(|e| e.to_string())?;
            Ok(bytes)
        })
    })
}

/// Dispatches updates from `listener` (one chat at a time, chats in parallel) and delivers
/// notifications, until stopped.
fn run<L>(bot: Bot, engine: Arc<Engine>, listener: L, notify_every: Duration) -> Running
where
    L: teloxide::update_listeners::UpdateListener + Send + 'static,
    L::Err: std::fmt::Debug + Send,
{
    let mut d = Dispatcher::builder(bot.clone(), handler())
        .dependencies(dptree::deps![Arc::clone(&engine)])
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text(
            "the bot could not answer an update",
        ))
        .build();
    let shutdown = d.shutdown_token();
    let dispatch = tokio::spawn(async move {
        d.dispatch_with_listener(
            listener,
            LoggingErrorHandler::with_custom_text("reading updates from Telegram failed"),
        )
        .await;
    });
    engine.set_photo_source(photo_source(bot.clone(), engine.photo_limit()));
    let alerts = tokio::spawn(deliver_alerts(
        bot.clone(),
        Arc::clone(&engine),
        notify_every,
    ));
    let notify = tokio::spawn(deliver_notifications(bot, engine, notify_every));
    Running {
        shutdown,
        tasks: vec![dispatch, notify, alerts],
    }
}

/// Starts the bot with long polling (and the notifier) on the current runtime.
pub async fn start_polling(c: &Connection, engine: Arc<Engine>) -> Result<Running, String> {
    let bot = make_bot(c)?;
    bot.get_me()
        .send()
        .await
        .map_err(|e| format!("cannot reach the Telegram Bot API: {e}"))?;
    if let Err(e) = set_commands(&bot).await {
        tracing::warn!(error = %e, "setting the command menu failed");
    }
    let listener = teloxide::update_listeners::Polling::builder(bot.clone())
        .timeout(Duration::from_secs(u64::from(c.poll_timeout_s)))
        .delete_webhook()
        .await
        .build();
    Ok(run(bot, engine, listener, c.notify_every))
}

/// Webhook mode: registers `url` with Telegram (with `secret`, checked on every request as
/// `X-Telegram-Bot-Api-Secret-Token`) and returns the route to merge into paradero's axum
/// server, and the running bot.
pub async fn start_webhook(
    c: &Connection,
    engine: Arc<Engine>,
    url: &str,
    secret: &str,
) -> Result<(axum::Router, Running), String> {
    use teloxide::update_listeners::webhooks;
    let bot = make_bot(c)?;
    let parsed: url::Url = url
        .parse()
        .map_err(|e| format!("bot webhook_url `{url}` is not a URL: {e}"))?;
    // The address is only used by teloxide's own server, which we do not start.
    let options =
        webhooks::Options::new(([127, 0, 0, 1], 0).into(), parsed).secret_token(secret.to_string());
    let (listener, _stop, router) = webhooks::axum_to_router(bot.clone(), options)
        .await
        .map_err(|e| format!("registering the webhook with Telegram failed: {e}"))?;
    if let Err(e) = set_commands(&bot).await {
        tracing::warn!(error = %e, "setting the command menu failed");
    }
    Ok((router, run(bot, engine, listener, c.notify_every)))
}
