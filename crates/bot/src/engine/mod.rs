//! The conversations: one input (a command, text, a location, a button) and the stored state
//! of the chat in; replies out. Independent of Telegram's types, so every dialogue is the same
//! whether updates arrive by long polling or webhook. Planning, validation and storage are
//! the application layer's (`app`): nothing is implemented twice. One module per flow (route,
//! departures, report, survey, profile, erase, language), each with its steps and questions;
//! shared pieces of questions in `prompts`, reading places in `places`.

mod alerts;
mod commands;
mod departures;
mod erase;
mod language;
mod limits;
mod places;
mod profile;
mod prompts;
mod questionnaire;
mod report;
mod route;
mod survey;

use crate::dialogue::*;
use crate::dialogue::{
    ChatState, DeparturesStep, EraseStep, LanguageStep, ProfileStep, ReportStep, RouteStep, Step,
};
use app::App;
use i18n::{Lang, t};
use limits::{Limit, Limits};
use profile::profile_text;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a rider sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// `/name args` (name lower case, without `@bot`).
    Command(String, String),
    /// Plain text.
    Text(String),
    /// A shared location or venue.
    Location(f64, f64),
    /// An inline button's data.
    Button(String),
    /// A photo: Telegram's id of its largest size (its bytes are fetched only when the report
    /// it belongs to is sent, through [`PhotoSource`]).
    Photo(String),
    /// Anything else (sticker, voice, …).
    Other,
}

/// Fetches a photo's bytes by its Telegram file id (the adapter's `getFile` + download).
pub type PhotoSource = Arc<
    dyn Fn(
            String,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + Send>>
        + Send
        + Sync,
>;

/// A keyboard to show with a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Keyboard {
    /// None.
    None,
    /// Inline buttons, row by row: (label, data).
    Inline(Vec<Vec<(String, String)>>),
    /// A one-tap "share my location" button, with this label.
    AskLocation(String),
}

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Out {
    /// Text.
    pub text: String,
    /// Keyboard.
    pub keyboard: Keyboard,
}

impl Out {
    fn text(text: String) -> Out {
        Out {
            text,
            keyboard: Keyboard::None,
        }
    }
    fn buttons(text: String, rows: Vec<Vec<(String, String)>>) -> Out {
        Out {
            text,
            keyboard: Keyboard::Inline(rows),
        }
    }
}

/// The bot's limits.
#[derive(Debug, Clone)]
pub struct BotSettings {
    /// Plans (`/ruta`, later departures) per chat per minute.
    pub plans_per_minute: u32,
    /// Reports per chat per hour.
    pub reports_per_hour: u32,
    /// Longest text accepted where a name or time is asked, characters.
    pub max_text_chars: usize,
    /// The riders' page's public address, for "share my trip" links (unset: no such button).
    pub web_url: Option<String>,
    /// A shared trip's link shows it until this many hours after its arrival.
    pub share_hours_after_arrival: f64,
}

impl BotSettings {
    /// The chatbot's parameters from the configuration (their only mapping).
    pub fn from_config(cfg: &config::Config) -> BotSettings {
        BotSettings {
            plans_per_minute: cfg.bot.plans_per_minute,
            reports_per_hour: cfg.bot.reports_per_hour,
            max_text_chars: 200,
            web_url: cfg.bot.web_url.clone(),
            share_hours_after_arrival: cfg.safety.share_hours_after_arrival,
        }
    }
}

impl Default for BotSettings {
    /// The configuration's defaults.
    fn default() -> Self {
        BotSettings::from_config(&config::Config::default())
    }
}

pub use commands::{Action, COMMANDS, Command, command_named, help};

/// Languages the bot speaks, in the order offered.
pub const LANGS: [Lang; 3] = [Lang::Es, Lang::En, Lang::Qu];

/// The bot's brain: the application (timetable, planner, observatory store), limits.
#[derive(Debug)]
pub struct Engine {
    app: Arc<App>,
    settings: BotSettings,
    limits: Mutex<Limits>,
    photos: Photos,
}

/// The photo source, once set.
#[derive(Default)]
struct Photos(std::sync::OnceLock<PhotoSource>);

impl std::fmt::Debug for Photos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Photos(set)"
        } else {
            "Photos(unset)"
        })
    }
}

/// Why an update could not be handled; the rider is told what happened and to try again.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed (a full disk, a database that does not answer).
    #[error(transparent)]
    Store(#[from] app::StoreError),
    /// A use case refused or failed; its message is already in the rider's language.
    #[error(transparent)]
    App(#[from] app::Error),
    /// Anything else on our side.
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    /// What the rider is told, in `lang` when the error does not carry its own message.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            EngineError::App(e) => e.detail().to_string(),
            other => t(lang, other.catalog_key(), &[]),
        }
    }

    /// The catalog key of what the rider is told.
    pub fn catalog_key(&self) -> &'static str {
        match self {
            EngineError::Store(app::StoreError::DiskFull) => "store.disk_full",
            EngineError::Store(app::StoreError::ReadOnly) => "store.read_only",
            EngineError::Store(e) if e.is_fault() => "store.unavailable",
            _ => "bot.error",
        }
    }
}

/// A time as a rider types it ([`app::when::parse`]): the day and seconds after midnight.
fn typed_when(s: &str, today: app::Day, now: u32, future: bool) -> Option<(app::Day, i32)> {
    app::when::parse(s, today, Some(app::when::Typed { now, future }))
        .ok()
        .map(|(day, secs)| (day, secs as i32))
}

fn lang_hint_or_default(hint: Option<&str>) -> Lang {
    hint.and_then(Lang::parse).unwrap_or_default()
}

fn lang_of(code: &str) -> Lang {
    Lang::parse(code).unwrap_or_default()
}

/// What a handled update leaves behind.
struct Turn {
    lang: Lang,
    state: ChatState,
    out: Vec<Out>,
    erased: bool,
}

impl Turn {
    /// Moves the dialogue to `step` (a flow's own step, or idle).
    fn go(&mut self, step: impl Into<Step>) {
        self.state.step = step.into();
    }
}

impl Engine {
    /// An engine over the application; the observatory (store) must be enabled.
    pub fn new(app: Arc<App>, settings: BotSettings) -> Result<Engine, EngineError> {
        if app.observatory().is_none() {
            return Err(EngineError::Internal(
                "the bot keeps its conversations in the store: enable [observatory]".into(),
            ));
        }
        Ok(Engine {
            app,
            settings,
            limits: Mutex::new(Limits::default()),
            photos: Photos::default(),
        })
    }

    /// Where photos' bytes come from (set once by the Telegram adapter; without it a photo
    /// sent with a report is not attached, and the rider is told).
    pub fn set_photo_source(&self, source: PhotoSource) {
        let _ = self.photos.0.set(source);
    }

    /// The largest photo accepted, bytes.
    pub fn photo_limit(&self) -> usize {
        self.obs().settings.photos.max_bytes
    }

    /// The application it works on.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    fn obs(&self) -> &Arc<app::Obs> {
        // Checked in `new`.
        self.app
            .observatory()
            .expect("the engine is only built with an observatory")
    }

    /// Handles one input of `chat_id`. `lang_hint` is the rider's Telegram language (used
    /// on first contact), `key` identifies the update (idempotency of reports).
    pub async fn handle(
        &self,
        chat_id: i64,
        input: Input,
        lang_hint: Option<&str>,
        key: &str,
    ) -> Result<Vec<Out>, EngineError> {
        let stored = self
            .app
            .rider_chat(chat_id, lang_hint_or_default(lang_hint))
            .await?;
        let (rider, lang, state) = match &stored {
            Some(c) => (
                c.rider.clone(),
                lang_of(&c.lang),
                ChatState::from_json(&c.state),
            ),
            None => (
                app::new_handle(),
                lang_hint_or_default(lang_hint),
                ChatState::default(),
            ),
        };
        let mut turn = Turn {
            lang,
            state,
            out: Vec::new(),
            erased: false,
        };
        self.step(chat_id, &rider, &mut turn, input, key).await?;
        if !turn.erased {
            self.app
                .save_rider_chat(
                    &app::riders::BotChat {
                        chat_id,
                        rider,
                        lang: turn.lang.code().to_string(),
                        state: turn.state.to_json(),
                    },
                    turn.lang,
                )
                .await?;
        }
        Ok(turn.out)
    }

    async fn step(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        input: Input,
        key: &str,
    ) -> Result<(), EngineError> {
        let lang = turn.lang;
        // A command always starts over, whatever the dialogue was doing.
        if let Input::Command(name, args) = &input {
            return self.command(chat, rider, turn, name, args).await;
        }
        if let Input::Text(s) = &input
            && s.chars().count() > self.settings.max_text_chars
            && !matches!(
                turn.state.step,
                Step::Report(ReportStep::Description { .. })
                    | Step::Questionnaire(QuestionnaireStep::Answering { .. })
            )
        {
            turn.out.push(Out::text(t(
                lang,
                "bot.too_long",
                &[("max", &self.settings.max_text_chars)],
            )));
            self.ask(turn);
            return Ok(());
        }
        // Photos are taken only while describing a report; anywhere else, like other media.
        let photo_elsewhere = matches!(input, Input::Photo(_))
            && !matches!(
                turn.state.step,
                Step::Report(ReportStep::Description { .. })
            );
        if input == Input::Other || photo_elsewhere {
            turn.out
                .push(Out::text(t(lang, "bot.unexpected_media", &[])));
            self.ask(turn);
            return Ok(());
        }
        let step = std::mem::take(&mut turn.state.step);
        let flow = match step {
            Step::Idle => match input {
                Input::Text(_) | Input::Location(..) => {
                    turn.out.push(Out::text(t(lang, "bot.idle_hint", &[])));
                    Flow::Done
                }
                // The buttons under an earlier message: a plan's, a report's survey offer.
                Input::Button(b) if b == "later" => {
                    self.plan_again(chat, rider, turn, false).await?;
                    Flow::Done
                }
                Input::Button(b) if b == "safer" => {
                    self.plan_again(chat, rider, turn, true).await?;
                    Flow::Done
                }
                Input::Button(b) if b == "share" => {
                    self.share(turn).await?;
                    Flow::Done
                }
                Input::Button(b) if b == "rate" => {
                    self.survey_start(turn);
                    Flow::Done
                }
                Input::Button(b) if b.starts_with("city:") => {
                    self.city_command(turn, &b[5..]);
                    Flow::Done
                }
                Input::Button(b) if b.starts_with("q:") => {
                    self.questionnaire_button(rider, turn, b).await?
                }
                input => Flow::Unhandled(Box::new((Step::Idle, input))),
            },
            Step::Language(s) => self.language_step(turn, s, input)?,
            Step::Profile(s) => self.profile_step(turn, s, input)?,
            Step::Route(s) => self.route_step(chat, rider, turn, s, input).await?,
            Step::Departures(s) => self.departures_step(turn, s, input)?,
            Step::Report(s) => self.report_step(chat, rider, key, turn, s, input).await?,
            Step::Rating(s) => self.survey_step(rider, turn, s, input).await?,
            Step::Questionnaire(s) => self.questionnaire_step(rider, turn, s, input).await?,
            Step::Erase(s) => self.erase_step(chat, rider, turn, s, input).await?,
        };
        if let Flow::Unhandled(unhandled) = flow {
            let (step, input) = *unhandled;
            // A button of an older message, or text where a button is expected.
            let key = if matches!(input, Input::Button(_)) {
                "bot.stale"
            } else {
                "bot.use_buttons"
            };
            turn.out.push(Out::text(t(lang, key, &[])));
            turn.state.step = step;
            if turn.state.step != Step::Idle {
                self.ask(turn);
            }
        }
        Ok(())
    }

    /// `/ciudad [name]`: sets the rider's city by id or name, or offers them as buttons.
    fn city_command(&self, turn: &mut Turn, args: &str) {
        let lang = turn.lang;
        let ds = self.app.dataset();
        let views = self.app.cities_of(&ds);
        let wanted = app::fold(args.trim());
        if !wanted.is_empty() {
            match views
                .iter()
                .find(|c| c.id == wanted || app::fold(&c.name) == wanted)
            {
                Some(c) => {
                    turn.state.city = Some(c.id.clone());
                    turn.out
                        .push(Out::text(t(lang, "bot.city.set", &[("city", &c.name)])));
                }
                None => {
                    let names: Vec<&str> = views.iter().map(|c| c.name.as_str()).collect();
                    turn.out.push(Out::text(t(
                        lang,
                        "bot.city.unknown",
                        &[("text", &args.trim()), ("cities", &names.join(", "))],
                    )));
                }
            }
            return;
        }
        let current = turn
            .state
            .city
            .as_deref()
            .and_then(|id| views.iter().find(|c| c.id == id));
        if views.len() < 2 {
            // One city: nothing to choose (never a menu of one).
            let name = views.first().map_or("", |c| c.name.as_str());
            turn.out
                .push(Out::text(t(lang, "bot.city.only", &[("city", &name)])));
            return;
        }
        let question = match current {
            Some(c) => t(lang, "bot.city.current", &[("city", &c.name)]),
            None => t(lang, "bot.city.choose", &[]),
        };
        let buttons = views
            .iter()
            .map(|c| (c.name.clone(), format!("city:{}", c.id)))
            .collect();
        turn.out
            .push(Out::buttons(question, prompts::rows_of(buttons, 2)));
    }

    async fn command(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        name: &str,
        args: &str,
    ) -> Result<(), EngineError> {
        let lang = turn.lang;
        turn.state.step = Step::Idle;
        let Some(command) = command_named(name) else {
            turn.out.push(Out::text(t(
                lang,
                "bot.unknown_command",
                &[("name", &name)],
            )));
            turn.out.push(Out::text(help(lang)));
            return Ok(());
        };
        let next: Step = match command.action {
            Action::Start => {
                turn.out.push(Out::text(t(lang, "bot.welcome", &[])));
                LanguageStep::Choose { onboarding: true }.into()
            }
            Action::Language => LanguageStep::Choose { onboarding: false }.into(),
            Action::City => {
                self.city_command(turn, args);
                return Ok(());
            }
            Action::Route => RouteStep::From { choices: vec![] }.into(),
            Action::Departures => DeparturesStep::Stop { choices: vec![] }.into(),
            Action::Report => {
                let max = self.settings.reports_per_hour;
                let limited = self
                    .limits
                    .lock()
                    .map_err(|_| EngineError::Internal("limits poisoned".into()))?
                    .take(chat, Limit::Report, max, Duration::from_secs(3600));
                if let Err(secs) = limited {
                    turn.out.push(Out::text(t(
                        lang,
                        "bot.limited.reports",
                        &[("max", &max), ("minutes", &secs.div_ceil(60))],
                    )));
                    return Ok(());
                }
                ReportStep::Category { group: None }.into()
            }
            Action::MyReports => {
                self.my_reports(rider, turn).await?;
                return Ok(());
            }
            Action::Alerts => {
                self.alerts_command(chat, turn, args).await?;
                return Ok(());
            }
            Action::Rating => {
                self.survey_start(turn);
                return Ok(());
            }
            Action::Questionnaires => {
                self.questionnaire_menu(turn).await?;
                return Ok(());
            }
            Action::Profile => {
                let text = match &turn.state.profile {
                    None => t(lang, "bot.profile.show_none", &[]),
                    Some(p) => t(
                        lang,
                        "bot.profile.show",
                        &[("profile", &profile_text(lang, p))],
                    ),
                };
                turn.out.push(Out::text(text));
                ProfileStep::Menu.into()
            }
            Action::Erase => EraseStep::Confirm.into(),
            Action::Cancel => {
                turn.out.push(Out::text(t(lang, "bot.cancelled", &[])));
                return Ok(());
            }
            Action::Help => {
                turn.out.push(Out::text(help(lang)));
                return Ok(());
            }
        };
        turn.state.step = next;
        // `/ruta Plaza de Armas` answers the first question at once.
        let args = args.trim();
        if !args.is_empty() && matches!(command.action, Action::Route | Action::Departures) {
            return Box::pin(self.step(chat, rider, turn, Input::Text(args.to_string()), "")).await;
        }
        self.ask(turn);
        Ok(())
    }

    /// Asks the current step's question again (or for the first time).
    fn ask(&self, turn: &mut Turn) {
        let p = self.prompt(turn);
        turn.out.push(p);
    }

    /// The question of the current step, with its buttons.
    fn prompt(&self, turn: &Turn) -> Out {
        let lang = turn.lang;
        let step = &turn.state.step;
        match step {
            Step::Idle => Out::text(t(lang, "bot.idle_hint", &[])),
            Step::Language(s) => self.language_prompt(lang, s),
            Step::Profile(s) => self.profile_prompt(lang, s),
            Step::Route(s) => self.route_prompt(lang, s),
            Step::Departures(s) => self.departures_prompt(lang, s),
            Step::Report(s) => self.report_prompt(lang, s),
            Step::Rating(s) => self.survey_prompt(lang, s),
            Step::Questionnaire(s) => self.questionnaire_prompt(lang, s),
            Step::Erase(s) => self.erase_prompt(lang, s),
        }
    }
}

/// What a flow did with an input.
enum Flow {
    /// It handled it.
    Done,
    /// Not an input its step expects: the generic answer follows.
    Unhandled(Box<(Step, Input)>),
}
