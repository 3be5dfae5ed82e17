//! The conversations: one input (a command, text, a location, a button) and the stored state
//! of the chat in; replies out. Independent of Telegram's types, so every dialogue is the same
//! whether updates arrive by long polling or webhook. Planning, validation and storage are
//! the server's and the store's own functions: nothing is implemented twice.

use crate::dialogue::{ChatState, Draft, LastTrip, Place, ProfileData, Step};
use app::App;
use app::reports::ReportInput;
use i18n::{Lang, t};
use std::collections::{HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{AgeBand, Channel, Gender, Word};
use timetable::{Coord, Day, StopIdx, Timetable};

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
    /// Anything else (sticker, photo, voice, …).
    Other,
}

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
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            plans_per_minute: 10,
            reports_per_hour: 6,
            max_text_chars: 200,
        }
    }
}

/// Languages the bot speaks, in the order offered.
pub const LANGS: [Lang; 3] = [Lang::Es, Lang::En, Lang::Qu];

/// The commands, as (name, catalog key of its description); `/start` first.
pub const COMMANDS: [(&str, &str); 11] = [
    ("start", "bot.cmd.start"),
    ("ruta", "bot.cmd.ruta"),
    ("salidas", "bot.cmd.salidas"),
    ("reportar", "bot.cmd.reportar"),
    ("mis_reportes", "bot.cmd.mis_reportes"),
    ("encuesta", "bot.cmd.encuesta"),
    ("perfil", "bot.cmd.perfil"),
    ("idioma", "bot.cmd.idioma"),
    ("borrar", "bot.cmd.borrar"),
    ("cancelar", "bot.cmd.cancelar"),
    ("ayuda", "bot.cmd.ayuda"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Limit {
    Plan,
    Report,
}

/// Sliding-window counters per chat; memory is bounded by pruning idle chats.
#[derive(Debug, Default)]
struct Limits {
    seen: HashMap<(i64, Limit), VecDeque<Instant>>,
}

impl Limits {
    /// Takes one use if fewer than `max` in `window`; otherwise the seconds to wait.
    fn take(&mut self, chat: i64, kind: Limit, max: u32, window: Duration) -> Result<(), u64> {
        let now = Instant::now();
        if self.seen.len() > 100_000 {
            self.seen
                .retain(|_, q| q.back().is_some_and(|&t| now - t < window));
        }
        let q = self.seen.entry((chat, kind)).or_default();
        while q.front().is_some_and(|&t| now - t >= window) {
            q.pop_front();
        }
        if max == 0 || q.len() < max as usize {
            q.push_back(now);
            return Ok(());
        }
        let oldest = q.front().copied().unwrap_or(now);
        Err((window.saturating_sub(now - oldest)).as_secs().max(1))
    }
}

/// The bot's brain: the server's state (timetable, planner, observatory store), limits.
#[derive(Debug)]
pub struct Engine {
    app: Arc<App>,
    settings: BotSettings,
    limits: Mutex<Limits>,
}

/// Why an update could not be handled; the rider is told what happened and to try again.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed (a full disk, a database that does not answer).
    #[error(transparent)]
    Store(#[from] store::StoreError),
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
            EngineError::Store(store::StoreError::DiskFull) => "store.disk_full",
            EngineError::Store(store::StoreError::ReadOnly) => "store.read_only",
            EngineError::Store(e) if e.is_fault() => "store.unavailable",
            _ => "bot.error",
        }
    }
}

fn lang_of(code: &str) -> Lang {
    Lang::parse(code).unwrap_or_default()
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn rows_of(buttons: Vec<(String, String)>, per_row: usize) -> Vec<Vec<(String, String)>> {
    buttons
        .chunks(per_row.max(1))
        .map(<[(String, String)]>::to_vec)
        .collect()
}

fn word_label<W: Word + std::fmt::Display>(lang: Lang, prefix: &str, w: W) -> String {
    t(lang, &format!("{prefix}.{w}"), &[])
}

fn stop_label(lang: Lang, tt: &Timetable, s: StopIdx) -> String {
    let st = tt.stop(s);
    planner::stop_display_name(lang, &st.name, &st.id)
}

/// What a handled update leaves behind.
struct Turn {
    lang: Lang,
    state: ChatState,
    out: Vec<Out>,
    erased: bool,
}

impl Engine {
    /// An engine over the server's state; the observatory (store) must be enabled.
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
        })
    }

    /// The server state it works on.
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
        let store = &self.obs().store;
        let stored = store.bot_chat(chat_id).await?;
        let (rider, lang, state) = match &stored {
            Some(c) => (
                c.rider.clone(),
                lang_of(&c.lang),
                ChatState::from_json(&c.state),
            ),
            None => (
                store::new_handle(),
                lang_hint.and_then(Lang::parse).unwrap_or_default(),
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
            store
                .save_bot_chat(
                    &store::BotChat {
                        chat_id,
                        rider,
                        lang: turn.lang.code().to_string(),
                        state: turn.state.to_json(),
                    },
                    now_unix(),
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
            && !matches!(turn.state.step, Step::ReportDescription { .. })
        {
            turn.out.push(Out::text(t(
                lang,
                "bot.too_long",
                &[("max", &self.settings.max_text_chars)],
            )));
            self.ask(turn);
            return Ok(());
        }
        if input == Input::Other {
            turn.out
                .push(Out::text(t(lang, "bot.unexpected_media", &[])));
            self.ask(turn);
            return Ok(());
        }
        let step = std::mem::take(&mut turn.state.step);
        match (step, input) {
            (Step::Idle, Input::Text(_) | Input::Location(..)) => {
                turn.out.push(Out::text(t(lang, "bot.idle_hint", &[])));
            }
            (Step::Idle, Input::Button(b)) if b == "later" => self.later(chat, rider, turn).await?,
            (Step::Idle, Input::Button(b)) if b == "rate" => self.survey_start(turn),
            (Step::Language { onboarding }, Input::Button(b)) if b.starts_with("lang:") => {
                turn.lang = lang_of(&b[5..]);
                let lang = turn.lang;
                if onboarding {
                    turn.out.push(Out::text(t(lang, "bot.privacy", &[])));
                    turn.state.step = Step::Consent;
                    self.ask(turn);
                } else {
                    turn.out.push(Out::text(t(lang, "bot.lang_set", &[])));
                }
            }
            (Step::Consent, Input::Button(b)) if b == "consent:yes" => {
                turn.state.step = Step::ProfileGender {
                    profile: ProfileData::default(),
                };
                self.ask(turn);
            }
            (Step::Consent, Input::Button(b)) if b == "consent:no" => {
                turn.state.profile = None;
                turn.out.push(Out::text(t(lang, "bot.profile.none", &[])));
                turn.out.push(Out::text(t(lang, "bot.help", &[])));
            }
            (Step::ProfileMenu, Input::Button(b)) if b == "profile:change" => {
                turn.state.step = Step::ProfileGender {
                    profile: ProfileData::default(),
                };
                self.ask(turn);
            }
            (Step::ProfileMenu, Input::Button(b)) if b == "profile:withdraw" => {
                turn.state.profile = None;
                turn.out
                    .push(Out::text(t(lang, "bot.profile.withdrawn", &[])));
            }
            (Step::ProfileMenu, Input::Button(b)) if b == "profile:keep" => {
                turn.out.push(Out::text(t(lang, "bot.ok", &[])));
            }
            (Step::ProfileGender { mut profile }, Input::Button(b)) if b.starts_with("g:") => {
                profile.gender = Gender::from_str(&b[2..]).ok().map(|g| g.as_str().into());
                turn.state.step = Step::ProfileAge { profile };
                self.ask(turn);
            }
            (Step::ProfileAge { mut profile }, Input::Button(b)) if b.starts_with("a:") => {
                profile.age_band = AgeBand::from_str(&b[2..]).ok().map(|a| a.as_str().into());
                turn.state.step = Step::ProfileNeeds { profile };
                self.ask(turn);
            }
            (Step::ProfileNeeds { mut profile }, Input::Button(b)) if b.starts_with("n:") => {
                profile.disability = matches!(&b[2..], "disability" | "both");
                profile.caregiver = matches!(&b[2..], "caregiver" | "both");
                turn.state.profile = Some(profile);
                turn.out.push(Out::text(t(lang, "bot.profile.saved", &[])));
                turn.out.push(Out::text(t(lang, "bot.help", &[])));
            }
            (Step::RouteFrom { choices }, input) => {
                match self.place(lang, &choices, input, true) {
                    Picked::One(from) => {
                        turn.state.step = Step::RouteTo {
                            from,
                            choices: vec![],
                        };
                    }
                    Picked::Many(choices, out) => {
                        turn.out.push(out);
                        turn.state.step = Step::RouteFrom { choices };
                        return Ok(());
                    }
                    Picked::Nothing(msg) => {
                        turn.out.push(Out::text(msg));
                        turn.state.step = Step::RouteFrom { choices };
                    }
                }
                self.ask(turn);
            }
            (Step::RouteTo { from, choices }, input) => {
                match self.place(lang, &choices, input, true) {
                    Picked::One(to) => turn.state.step = Step::RouteWhen { from, to },
                    Picked::Many(choices, out) => {
                        turn.out.push(out);
                        turn.state.step = Step::RouteTo { from, choices };
                        return Ok(());
                    }
                    Picked::Nothing(msg) => {
                        turn.out.push(Out::text(msg));
                        turn.state.step = Step::RouteTo { from, choices };
                    }
                }
                self.ask(turn);
            }
            (Step::RouteWhen { from, to }, input) => {
                let tt = self.app.dataset().timetable.clone();
                let (today, now) = planner::clock::now(&tt);
                let when = match &input {
                    Input::Button(b) if b == "when:now" => Some((today, now as i32)),
                    Input::Text(s) => parse_when(s, today, now as i32, true),
                    _ => None,
                };
                match when {
                    Some((day, secs)) => {
                        self.plan(chat, rider, turn, from, to, day, secs).await?;
                    }
                    None => {
                        let key = if matches!(input, Input::Button(_)) {
                            "bot.stale"
                        } else {
                            "bot.bad_time"
                        };
                        turn.out.push(Out::text(t(lang, key, &[])));
                        turn.state.step = Step::RouteWhen { from, to };
                        self.ask(turn);
                    }
                }
            }
            (Step::DeparturesStop { choices }, input) => {
                let input = match input {
                    // A location: the stops around it, nearest first.
                    Input::Location(lat, lon) => match self.near_stops(lang, lat, lon) {
                        Ok(mut near) if near.len() == 1 => {
                            Input::Button(format!("stop:{}", near.remove(0).stops[0]))
                        }
                        Ok(near) => {
                            turn.out.push(self.choice_out(lang, "bot.dep.which", &near));
                            turn.state.step = Step::DeparturesStop { choices: near };
                            return Ok(());
                        }
                        Err(msg) => {
                            turn.out.push(Out::text(msg));
                            turn.state.step = Step::DeparturesStop { choices };
                            return Ok(());
                        }
                    },
                    other => other,
                };
                let picked = match &input {
                    Input::Button(b) if b.starts_with("stop:") => Picked::One(Place {
                        label: String::new(),
                        stops: vec![b[5..].to_string()],
                        point: None,
                        route: None,
                    }),
                    _ => self.place(lang, &choices, input, false),
                };
                match picked {
                    Picked::One(p) => self.departures(turn, &p),
                    Picked::Many(choices, out) => {
                        turn.out.push(out);
                        turn.state.step = Step::DeparturesStop { choices };
                    }
                    Picked::Nothing(msg) => {
                        turn.out.push(Out::text(msg));
                        turn.state.step = Step::DeparturesStop { choices };
                        self.ask(turn);
                    }
                }
            }
            (Step::ReportCategory, Input::Button(b))
                if b.strip_prefix("cat:")
                    .is_some_and(|k| self.obs().settings.categories.iter().any(|c| c.key == k)) =>
            {
                turn.state.step = Step::ReportWhere {
                    draft: Draft {
                        category: b[4..].to_string(),
                        nonce: store::new_handle(),
                        ..Draft::default()
                    },
                    choices: vec![],
                };
                self.ask(turn);
            }
            (Step::ReportWhere { mut draft, choices }, input) => {
                match self.place(lang, &choices, input, true) {
                    Picked::One(p) => {
                        draft.place = Some(p);
                        match self.check(&draft, lang) {
                            Ok(_) => turn.state.step = Step::ReportWhen { draft },
                            Err(msg) => {
                                draft.place = None;
                                turn.out.push(Out::text(msg));
                                turn.state.step = Step::ReportWhere {
                                    draft,
                                    choices: vec![],
                                };
                            }
                        }
                    }
                    Picked::Many(choices, out) => {
                        turn.out.push(out);
                        turn.state.step = Step::ReportWhere { draft, choices };
                        return Ok(());
                    }
                    Picked::Nothing(msg) => {
                        turn.out.push(Out::text(msg));
                        turn.state.step = Step::ReportWhere { draft, choices };
                    }
                }
                self.ask(turn);
            }
            (Step::ReportWhen { draft }, Input::Button(b)) if b == "when:now" => {
                self.after_when(turn, draft);
            }
            (Step::ReportWhen { draft }, Input::Button(b))
                if b == "when:today" || b == "when:other" =>
            {
                turn.state.step = Step::ReportTime {
                    draft,
                    other_day: b == "when:other",
                };
                self.ask(turn);
            }
            (
                Step::ReportTime {
                    mut draft,
                    other_day,
                },
                Input::Text(s),
            ) => {
                let tt = self.app.dataset().timetable.clone();
                let (today, now) = planner::clock::now(&tt);
                match parse_when(&s, today, now as i32, false).filter(|_| {
                    // "another day" needs a date; "earlier today" takes a time alone.
                    other_day || !s.contains(['-', '/'])
                }) {
                    Some((day, secs)) => {
                        draft.occurred_at =
                            Some(planner::clock::local_to_unix(&tt, day, secs as u32));
                        match self.check(&draft, lang) {
                            Ok(_) => self.after_when(turn, draft),
                            Err(msg) => {
                                draft.occurred_at = None;
                                turn.out.push(Out::text(msg));
                                turn.state.step = Step::ReportTime { draft, other_day };
                                self.ask(turn);
                            }
                        }
                    }
                    None => {
                        turn.out.push(Out::text(t(lang, "bot.bad_time", &[])));
                        turn.state.step = Step::ReportTime { draft, other_day };
                        self.ask(turn);
                    }
                }
            }
            (Step::ReportDescription { mut draft }, input) => {
                let max = self.obs().settings.max_description_chars;
                match input {
                    Input::Button(b) if b == "desc:skip" => {
                        draft.description = None;
                        self.after_description(turn, draft);
                    }
                    Input::Text(s) if s.chars().count() > max => {
                        turn.out.push(Out::text(t(
                            lang,
                            "obs.description_too_long",
                            &[("n", &s.chars().count()), ("max", &max)],
                        )));
                        turn.state.step = Step::ReportDescription { draft };
                        self.ask(turn);
                    }
                    Input::Text(s) => {
                        draft.description = Some(s.trim().to_string()).filter(|d| !d.is_empty());
                        self.after_description(turn, draft);
                    }
                    _ => {
                        turn.out.push(Out::text(t(lang, "bot.use_buttons", &[])));
                        turn.state.step = Step::ReportDescription { draft };
                        self.ask(turn);
                    }
                }
            }
            (Step::ReportGender { mut draft }, Input::Button(b)) if b.starts_with("g:") => {
                draft.gender = Gender::from_str(&b[2..]).ok().map(|g| g.as_str().into());
                turn.state.step = Step::ReportAge { draft };
                self.ask(turn);
            }
            (Step::ReportAge { mut draft }, Input::Button(b)) if b.starts_with("a:") => {
                draft.age_band = AgeBand::from_str(&b[2..]).ok().map(|a| a.as_str().into());
                turn.state.step = Step::ReportConfirm { draft };
                self.ask(turn);
            }
            (Step::ReportConfirm { draft }, Input::Button(b))
                if b == "send" || b == "send:anon" =>
            {
                self.send_report(chat, rider, turn, draft, b == "send:anon", key)
                    .await?;
            }
            (Step::ReportConfirm { .. }, Input::Button(b)) if b == "cancel" => {
                turn.out.push(Out::text(t(lang, "bot.cancelled", &[])));
            }
            (Step::SurveyRoute { choices }, input) => {
                let tt = self.app.dataset().timetable.clone();
                let route = match &input {
                    Input::Button(b) => b
                        .strip_prefix("r:")
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| choices.get(i).cloned()),
                    Input::Text(s) => {
                        let q = planner::fold(s.trim());
                        let found = if q.chars().count() < 1 {
                            vec![]
                        } else {
                            planner::search_routes(&tt, &q)
                        };
                        // An exact short name wins; otherwise offer the matches.
                        let exact: Vec<_> = found
                            .iter()
                            .copied()
                            .filter(|&r| planner::fold(&tt.route(r).short_name) == q)
                            .collect();
                        let found = if exact.len() == 1 { exact } else { found };
                        if found.len() == 1 {
                            Some(tt.route(found[0]).id.clone())
                        } else if found.is_empty() {
                            turn.out.push(Out::text(t(
                                lang,
                                "bot.survey.no_route",
                                &[("text", s)],
                            )));
                            turn.state.step = Step::SurveyRoute { choices };
                            return Ok(());
                        } else {
                            let ids: Vec<String> = found
                                .iter()
                                .take(8)
                                .map(|&r| tt.route(r).id.clone())
                                .collect();
                            turn.state.step = Step::SurveyRoute { choices: ids };
                            self.ask(turn);
                            return Ok(());
                        }
                    }
                    _ => None,
                };
                match route {
                    Some(route) => {
                        turn.state.step = Step::SurveySafety { route };
                    }
                    None => {
                        turn.out.push(Out::text(t(lang, "bot.use_buttons", &[])));
                        turn.state.step = Step::SurveyRoute { choices };
                    }
                }
                self.ask(turn);
            }
            (Step::SurveySafety { route }, Input::Button(b)) if score(&b).is_some() => {
                turn.state.step = Step::SurveySatisfaction {
                    route,
                    safety: score(&b).unwrap_or(3),
                };
                self.ask(turn);
            }
            (Step::SurveySatisfaction { route, safety }, Input::Button(b))
                if score(&b).is_some() =>
            {
                self.save_survey(rider, turn, route, safety, score(&b).unwrap_or(3))
                    .await?;
            }
            (Step::EraseConfirm, Input::Button(b)) if b == "erase:yes" => {
                let store = &self.obs().store;
                let e = store.erase_rider(rider).await?;
                store.delete_bot_chat(chat).await?;
                turn.erased = true;
                turn.out.push(Out::text(t(
                    lang,
                    "bot.erase.done",
                    &[
                        ("trips", &e.trips),
                        ("surveys", &e.surveys),
                        ("reports", &e.reports_unlinked),
                    ],
                )));
            }
            (Step::EraseConfirm, Input::Button(b)) if b == "erase:no" => {
                turn.out.push(Out::text(t(lang, "bot.cancelled", &[])));
            }
            (step, input) => {
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
        }
        Ok(())
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
        let next = match name {
            "start" => {
                turn.out.push(Out::text(t(lang, "bot.welcome", &[])));
                Step::Language { onboarding: true }
            }
            "idioma" | "language" | "simi" => Step::Language { onboarding: false },
            "ruta" | "route" | "plan" => Step::RouteFrom { choices: vec![] },
            "salidas" | "departures" => Step::DeparturesStop { choices: vec![] },
            "reportar" | "report" => {
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
                Step::ReportCategory
            }
            "mis_reportes" | "my_reports" => {
                self.my_reports(rider, turn).await?;
                return Ok(());
            }
            "encuesta" | "survey" => {
                self.survey_start(turn);
                return Ok(());
            }
            "perfil" | "profile" => {
                let text = match &turn.state.profile {
                    None => t(lang, "bot.profile.show_none", &[]),
                    Some(p) => t(
                        lang,
                        "bot.profile.show",
                        &[("profile", &profile_text(lang, p))],
                    ),
                };
                turn.out.push(Out::text(text));
                Step::ProfileMenu
            }
            "borrar" | "delete" => Step::EraseConfirm,
            "cancelar" | "cancel" => {
                turn.out.push(Out::text(t(lang, "bot.cancelled", &[])));
                return Ok(());
            }
            "ayuda" | "help" => {
                turn.out.push(Out::text(t(lang, "bot.help", &[])));
                return Ok(());
            }
            _ => {
                turn.out.push(Out::text(t(
                    lang,
                    "bot.unknown_command",
                    &[("name", &name)],
                )));
                turn.out.push(Out::text(t(lang, "bot.help", &[])));
                return Ok(());
            }
        };
        turn.state.step = next;
        // `/ruta Plaza de Armas` answers the first question at once.
        let args = args.trim();
        if !args.is_empty()
            && matches!(
                turn.state.step,
                Step::RouteFrom { .. } | Step::DeparturesStop { .. }
            )
        {
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
        let tt = self.app.dataset().timetable.clone();
        let skip = |k: &str| (t(lang, "bot.skip", &[]), format!("{k}:skip"));
        match &turn.state.step {
            Step::Idle => Out::text(t(lang, "bot.idle_hint", &[])),
            Step::Language { .. } => Out::buttons(
                t(lang, "bot.choose_lang", &[]),
                vec![
                    LANGS
                        .iter()
                        .map(|l| (t(*l, "bot.lang_name", &[]), format!("lang:{}", l.code())))
                        .collect(),
                ],
            ),
            Step::Consent => Out::buttons(
                t(lang, "bot.profile.ask", &[]),
                vec![vec![
                    (t(lang, "bot.yes_profile", &[]), "consent:yes".into()),
                    (t(lang, "bot.no_thanks", &[]), "consent:no".into()),
                ]],
            ),
            Step::ProfileMenu => Out::buttons(
                t(lang, "bot.profile.menu", &[]),
                vec![
                    vec![(t(lang, "bot.profile.change", &[]), "profile:change".into())],
                    vec![(
                        t(lang, "bot.profile.withdraw", &[]),
                        "profile:withdraw".into(),
                    )],
                    vec![(t(lang, "bot.profile.keep", &[]), "profile:keep".into())],
                ],
            ),
            Step::ProfileGender { .. } | Step::ReportGender { .. } => {
                let mut b: Vec<(String, String)> = Gender::ALL
                    .iter()
                    .map(|&g| (word_label(lang, "gender", g), format!("g:{}", g.as_str())))
                    .collect();
                if matches!(turn.state.step, Step::ReportGender { .. }) {
                    b.push(skip("g"));
                }
                Out::buttons(t(lang, "bot.ask.gender", &[]), rows_of(b, 2))
            }
            Step::ProfileAge { .. } | Step::ReportAge { .. } => {
                let mut b: Vec<(String, String)> = AgeBand::ALL
                    .iter()
                    .map(|&a| (word_label(lang, "age", a), format!("a:{}", a.as_str())))
                    .collect();
                b.push(skip("a"));
                Out::buttons(t(lang, "bot.ask.age", &[]), rows_of(b, 3))
            }
            Step::ProfileNeeds { .. } => Out::buttons(
                t(lang, "bot.ask.needs", &[]),
                vec![
                    vec![(t(lang, "bot.needs.disability", &[]), "n:disability".into())],
                    vec![(t(lang, "bot.needs.caregiver", &[]), "n:caregiver".into())],
                    vec![(t(lang, "bot.needs.both", &[]), "n:both".into())],
                    vec![(t(lang, "bot.needs.none", &[]), "n:none".into())],
                ],
            ),
            Step::RouteFrom { .. } => Out {
                text: t(lang, "bot.ask.from", &[]),
                keyboard: Keyboard::AskLocation(t(lang, "bot.share_location", &[])),
            },
            Step::RouteTo { from, .. } => Out {
                text: t(lang, "bot.ask.to", &[("from", &from.label)]),
                keyboard: Keyboard::AskLocation(t(lang, "bot.share_location", &[])),
            },
            Step::RouteWhen { from, to } => Out::buttons(
                t(
                    lang,
                    "bot.ask.when_route",
                    &[("from", &from.label), ("to", &to.label)],
                ),
                vec![vec![(t(lang, "bot.leave_now", &[]), "when:now".into())]],
            ),
            Step::DeparturesStop { .. } => Out {
                text: t(lang, "bot.ask.stop", &[]),
                keyboard: Keyboard::AskLocation(t(lang, "bot.share_location", &[])),
            },
            Step::ReportCategory => {
                let b = self
                    .obs()
                    .settings
                    .categories
                    .iter()
                    .map(|c| {
                        (
                            t(lang, &format!("category.{}", c.key), &[]),
                            format!("cat:{}", c.key),
                        )
                    })
                    .collect();
                Out::buttons(t(lang, "bot.ask.category", &[]), rows_of(b, 1))
            }
            Step::ReportWhere { .. } => Out {
                text: t(lang, "bot.ask.where", &[]),
                keyboard: Keyboard::AskLocation(t(lang, "bot.share_location", &[])),
            },
            Step::ReportWhen { .. } => Out::buttons(
                t(lang, "bot.ask.when_report", &[]),
                vec![
                    vec![(t(lang, "bot.when.now", &[]), "when:now".into())],
                    vec![(t(lang, "bot.when.today", &[]), "when:today".into())],
                    vec![(t(lang, "bot.when.other", &[]), "when:other".into())],
                ],
            ),
            Step::ReportTime { other_day, .. } => Out::text(t(
                lang,
                if *other_day {
                    "bot.ask.day_time"
                } else {
                    "bot.ask.time"
                },
                &[],
            )),
            Step::ReportDescription { .. } => Out::buttons(
                t(
                    lang,
                    "bot.ask.description",
                    &[("max", &self.obs().settings.max_description_chars)],
                ),
                vec![vec![skip("desc")]],
            ),
            Step::ReportConfirm { draft } => Out::buttons(
                t(
                    lang,
                    "bot.report.confirm",
                    &[("summary", &self.draft_text(lang, &tt, draft))],
                ),
                vec![
                    vec![(t(lang, "bot.report.send", &[]), "send".into())],
                    vec![(t(lang, "bot.report.send_anon", &[]), "send:anon".into())],
                    vec![(t(lang, "bot.report.cancel", &[]), "cancel".into())],
                ],
            ),
            Step::SurveyRoute { choices } => {
                let b: Vec<(String, String)> = choices
                    .iter()
                    .enumerate()
                    .filter_map(|(i, id)| {
                        tt.route_by_id(id).map(|r| {
                            let r = tt.route(r);
                            (
                                format!("{} · {}", r.short_name, r.long_name),
                                format!("r:{i}"),
                            )
                        })
                    })
                    .collect();
                Out::buttons(t(lang, "bot.ask.survey_route", &[]), rows_of(b, 1))
            }
            Step::SurveySafety { route } => Out::buttons(
                t(
                    lang,
                    "bot.ask.safety",
                    &[("route", &route_name(&tt, route))],
                ),
                vec![scores()],
            ),
            Step::SurveySatisfaction { route, .. } => Out::buttons(
                t(
                    lang,
                    "bot.ask.satisfaction",
                    &[("route", &route_name(&tt, route))],
                ),
                vec![scores()],
            ),
            Step::EraseConfirm => Out::buttons(
                t(lang, "bot.erase.ask", &[]),
                vec![vec![
                    (t(lang, "bot.erase.yes", &[]), "erase:yes".into()),
                    (t(lang, "bot.erase.no", &[]), "erase:no".into()),
                ]],
            ),
        }
    }

    fn choice_out(&self, lang: Lang, key: &str, choices: &[Place]) -> Out {
        let b = choices
            .iter()
            .enumerate()
            .map(|(i, p)| (p.label.clone(), format!("p:{i}")))
            .collect();
        Out::buttons(t(lang, key, &[]), rows_of(b, 1))
    }

    /// Reads a place from a location, a typed name or coordinates, or a button among
    /// `choices`.
    fn place(&self, lang: Lang, choices: &[Place], input: Input, routes_too: bool) -> Picked {
        let tt = self.app.dataset().timetable.clone();
        match input {
            Input::Location(lat, lon) => match Coord::new(lat, lon) {
                Ok(c) => {
                    let nearest = tt.stop_index().nearest(c).map_or(f64::INFINITY, |n| n.1);
                    if nearest > self.app.settings().planner.max_access_m {
                        return Picked::Nothing(t(
                            lang,
                            "obs.outside_area",
                            &[("km", &format!("{:.1}", nearest / 1000.0))],
                        ));
                    }
                    Picked::One(Place {
                        label: t(lang, "bot.your_location", &[]),
                        stops: vec![],
                        point: Some((lat, lon)),
                        route: None,
                    })
                }
                Err(_) => Picked::Nothing(t(lang, "bot.place.not_found", &[("text", &"?")])),
            },
            Input::Button(b) => match b
                .strip_prefix("p:")
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| choices.get(i))
            {
                Some(p) => Picked::One(p.clone()),
                None => Picked::Nothing(t(lang, "bot.stale", &[])),
            },
            Input::Text(s) => {
                // Coordinates typed or pasted.
                if let Ok(planner::Endpoint::Coord(c)) = planner::parse_endpoint(&tt, &s) {
                    return self.place(lang, choices, Input::Location(c.lat(), c.lon()), false);
                }
                let found: Vec<Place> = planner::find_places(&tt, &s, 6)
                    .into_iter()
                    .filter(|m| routes_too || m.route.is_none())
                    .map(|m| {
                        let routes = planner::stop_routes(&tt, m.stops[0]);
                        let label = match m.route {
                            Some(r) => format!(
                                "{} ({})",
                                stop_label(lang, &tt, m.stops[0]),
                                t(lang, "bot.on_route", &[("route", &tt.route(r).short_name)])
                            ),
                            None => format!(
                                "{} · {}",
                                m.name,
                                t(
                                    lang,
                                    "bot.routes_list",
                                    &[(
                                        "routes",
                                        &routes
                                            .iter()
                                            .take(4)
                                            .cloned()
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )]
                                )
                            ),
                        };
                        Place {
                            label,
                            stops: m.stops.iter().map(|&s| tt.stop(s).id.clone()).collect(),
                            point: None,
                            route: m.route.map(|r| tt.route(r).id.clone()),
                        }
                    })
                    .collect();
                match found.len() {
                    0 => Picked::Nothing(t(lang, "bot.place.not_found", &[("text", &s.trim())])),
                    1 => Picked::One(found.into_iter().next().expect("one")),
                    _ => {
                        let out = self.choice_out(lang, "bot.place.which", &found);
                        Picked::Many(found, out)
                    }
                }
            }
            Input::Command(..) | Input::Other => Picked::Nothing(t(lang, "bot.use_buttons", &[])),
        }
    }

    fn near_stops(&self, lang: Lang, lat: f64, lon: f64) -> Result<Vec<Place>, String> {
        let tt = self.app.dataset().timetable.clone();
        let c =
            Coord::new(lat, lon).map_err(|_| t(lang, "bot.place.not_found", &[("text", &"?")]))?;
        let near: Vec<(u32, f64)> = tt
            .stop_index()
            .within(c, 300.0)
            .into_iter()
            .take(5)
            .collect();
        if near.is_empty() {
            return Err(t(lang, "bot.dep.none_near", &[]));
        }
        Ok(near
            .into_iter()
            .map(|(s, d)| {
                let s = StopIdx(s);
                Place {
                    label: format!("{} · {} m", stop_label(lang, &tt, s), d.round()),
                    stops: vec![tt.stop(s).id.clone()],
                    point: None,
                    route: None,
                }
            })
            .collect())
    }

    fn endpoint(tt: &Timetable, p: &Place) -> Option<planner::Endpoint> {
        if let Some((lat, lon)) = p.point {
            return Coord::new(lat, lon).ok().map(planner::Endpoint::Coord);
        }
        let stops: Vec<StopIdx> = p.stops.iter().filter_map(|s| tt.stop_by_id(s)).collect();
        (!stops.is_empty()).then_some(planner::Endpoint::Stops(stops))
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        from: Place,
        to: Place,
        day: Day,
        secs: i32,
    ) -> Result<(), EngineError> {
        let lang = turn.lang;
        let max = self.settings.plans_per_minute;
        let limited = self
            .limits
            .lock()
            .map_err(|_| EngineError::Internal("limits poisoned".into()))?
            .take(chat, Limit::Plan, max, Duration::from_secs(60));
        if let Err(secs) = limited {
            turn.out.push(Out::text(t(
                lang,
                "bot.limited.plans",
                &[("seconds", &secs)],
            )));
            return Ok(());
        }
        let ds = self.app.dataset();
        let tt = Arc::clone(&ds.timetable);
        let (Some(fe), Some(te)) = (Self::endpoint(&tt, &from), Self::endpoint(&tt, &to)) else {
            // The timetable was reloaded and the stops are gone.
            turn.out.push(Out::text(t(lang, "bot.stale", &[])));
            return Ok(());
        };
        let (day, secs) = if secs >= 86_400 {
            (day.offset(1), secs - 86_400)
        } else {
            (day, secs.max(0))
        };
        let req = planner::PlanRequest {
            from: fe.clone(),
            to: te.clone(),
            day,
            time: secs as u32,
            arrive_by: false,
            window_secs: None,
            options: self.app.settings().routing.clone(),
        };
        let result = self
            .app
            .plan(Arc::clone(&tt), req)
            .await
            .map_err(|e| EngineError::Internal(e.detail().to_string()))?;
        let o = self.obs();
        let profile = turn.state.profile.as_ref().map(|p| store::Profile {
            gender: p.gender.as_deref().and_then(|g| Gender::from_str(g).ok()),
            age_band: p
                .age_band
                .as_deref()
                .and_then(|a| AgeBand::from_str(a).ok()),
            disability: p.disability,
            caregiver: p.caregiver,
            purpose: None,
        });
        o.record(app::trips::trip_record(
            &tt,
            &o.settings,
            &fe,
            &te,
            secs as u32,
            result.as_ref().ok(),
            Channel::Bot,
            profile,
            Some(rider.to_string()),
        ));
        match result {
            Err(e) => turn.out.push(Out::text(e.localized(lang))),
            Ok(plan) if plan.itineraries.is_empty() => {
                turn.out.push(Out::text(t(lang, "plan.none", &[])));
            }
            Ok(plan) => {
                let shown: Vec<&planner::Itinerary> = plan.itineraries.iter().take(3).collect();
                let mut text = t(
                    lang,
                    "bot.plan.header",
                    &[("from", &from.label), ("to", &to.label)],
                );
                for (i, it) in shown.iter().enumerate() {
                    text.push_str("\n\n");
                    text.push_str(planner::render_itinerary(lang, i + 1, it).trim_end());
                }
                let next = shown
                    .iter()
                    .map(|i| i.departure_secs)
                    .max()
                    .unwrap_or(secs)
                    .max(secs)
                    + 60;
                let mut routes: Vec<String> = Vec::new();
                for it in &shown {
                    for l in &it.legs {
                        if let planner::ItineraryLeg::Ride { route_id, .. } = l
                            && !routes.contains(route_id)
                        {
                            routes.push(route_id.clone());
                        }
                    }
                }
                let mut buttons = vec![vec![(t(lang, "bot.later", &[]), "later".to_string())]];
                if !routes.is_empty() {
                    buttons.push(vec![(t(lang, "bot.rate_trip", &[]), "rate".to_string())]);
                }
                turn.out.push(Out::buttons(text, buttons));
                turn.state.last_trip = Some(LastTrip {
                    from,
                    to,
                    day: day.to_string(),
                    next_secs: next,
                    routes,
                });
            }
        }
        Ok(())
    }

    async fn later(&self, chat: i64, rider: &str, turn: &mut Turn) -> Result<(), EngineError> {
        let Some(last) = turn.state.last_trip.clone() else {
            turn.out.push(Out::text(t(turn.lang, "bot.stale", &[])));
            return Ok(());
        };
        let Some(day) = Day::parse(&last.day) else {
            turn.out.push(Out::text(t(turn.lang, "bot.stale", &[])));
            return Ok(());
        };
        self.plan(chat, rider, turn, last.from, last.to, day, last.next_secs)
            .await
    }

    fn departures(&self, turn: &mut Turn, p: &Place) {
        let lang = turn.lang;
        let tt = self.app.dataset().timetable.clone();
        let Some(stop) = p.stops.first().and_then(|s| tt.stop_by_id(s)) else {
            turn.out.push(Out::text(t(lang, "bot.stale", &[])));
            return;
        };
        let (day, now) = planner::clock::now(&tt);
        let deps = planner::departures(&tt, stop, day, now as i32, 8);
        let mut text = t(
            lang,
            "bot.dep.header",
            &[("stop", &stop_label(lang, &tt, stop))],
        );
        if deps.is_empty() {
            text.push('\n');
            text.push_str(&t(lang, "bot.dep.none", &[]));
        }
        for d in &deps {
            text.push('\n');
            let time = d.departure.get(11..16).unwrap_or(&d.departure);
            text.push_str(&t(
                lang,
                "bot.dep.line",
                &[
                    ("route", &d.route_short_name),
                    ("headsign", &d.headsign),
                    ("time", &time),
                    ("minutes", &d.wait_min),
                ],
            ));
            if let Some(h) = d.headway_s {
                text.push(' ');
                text.push_str(&t(lang, "plan.ride.every", &[("minutes", &(h / 60))]));
            }
        }
        turn.out.push(Out::text(text));
    }

    /// Validates a draft with the same rules as the HTTP API; the message says what to fix.
    fn check(&self, d: &Draft, lang: Lang) -> Result<store::NewReport, String> {
        let tt = self.app.dataset().timetable.clone();
        let o = self.obs();
        let place = d.place.as_ref();
        let input = ReportInput {
            category: Some(&d.category),
            lat: place.and_then(|p| p.point.map(|x| x.0)),
            lon: place.and_then(|p| p.point.map(|x| x.1)),
            stop_id: place.and_then(|p| p.stops.first().map(String::as_str)),
            route_id: place.and_then(|p| p.route.as_deref()),
            occurred_at: d.occurred_at,
            description: d.description.as_deref(),
            gender: d.gender.as_deref(),
            age_band: d.age_band.as_deref(),
            channel: Channel::Bot,
            rider: None,
        };
        app::reports::validate(&tt, &o.settings, &input, now_unix(), lang)
            .map_err(|e| e.detail().to_string())
    }

    fn after_when(&self, turn: &mut Turn, draft: Draft) {
        turn.state.step = Step::ReportDescription { draft };
        self.ask(turn);
    }

    fn after_description(&self, turn: &mut Turn, mut draft: Draft) {
        turn.state.step = match &turn.state.profile {
            Some(p) => {
                draft.gender.clone_from(&p.gender);
                draft.age_band.clone_from(&p.age_band);
                Step::ReportConfirm { draft }
            }
            None => Step::ReportGender { draft },
        };
        self.ask(turn);
    }

    fn draft_text(&self, lang: Lang, tt: &Timetable, d: &Draft) -> String {
        let when = d.occurred_at.map_or_else(
            || t(lang, "bot.when.now", &[]),
            |at| planner::clock::local_datetime(tt, at),
        );
        let mut lines = vec![
            format!("• {}", t(lang, &format!("category.{}", d.category), &[])),
            format!("• {}", d.place.as_ref().map_or("?", |p| p.label.as_str())),
            format!("• {when}"),
        ];
        if let Some(desc) = &d.description {
            lines.push(format!("• «{desc}»"));
        }
        lines.join("\n")
    }

    async fn send_report(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        draft: Draft,
        anonymous: bool,
        key: &str,
    ) -> Result<(), EngineError> {
        let lang = turn.lang;
        let mut new = match self.check(&draft, lang) {
            Ok(n) => n,
            Err(msg) => {
                turn.out.push(Out::text(msg));
                turn.state.step = Step::ReportWhen { draft };
                self.ask(turn);
                return Ok(());
            }
        };
        new.rider = (!anonymous).then(|| rider.to_string());
        // One key per draft (and choice of anonymity), not per update: when the report was
        // stored but saving the dialogue failed, the rider presses "send" again on the same
        // draft and gets the same report back instead of a second one.
        let key = if draft.nonce.is_empty() {
            (!key.is_empty()).then(|| format!("telegram:{chat}:{key}"))
        } else {
            Some(format!("telegram:{chat}:{}:{anonymous}", draft.nonce))
        };
        let created = app::reports::file(self.obs(), &new, key.as_deref(), lang).await?;
        let text = if anonymous {
            "bot.report.done_anon"
        } else {
            "bot.report.done"
        };
        // The secret, shown once: the rider follows the report here by the chat, and on the
        // web (or to erase it) by this.
        turn.out
            .push(Out::text(t(lang, text, &[("reference", &created.secret)])));
        Ok(())
    }

    async fn my_reports(&self, rider: &str, turn: &mut Turn) -> Result<(), EngineError> {
        let lang = turn.lang;
        let store = &self.obs().store;
        let reports = store.reports_of_rider(rider, 10).await?;
        if reports.is_empty() {
            turn.out
                .push(Out::text(t(lang, "bot.my_reports.none", &[])));
            return Ok(());
        }
        let mut text = t(lang, "bot.my_reports.header", &[]);
        for r in &reports {
            text.push('\n');
            text.push_str(&t(
                lang,
                "bot.my_reports.line",
                &[
                    (
                        "date",
                        &planner::clock::local_date(&self.app.dataset().timetable, r.reported_at),
                    ),
                    (
                        "category",
                        &t(lang, &format!("category.{}", r.category), &[]),
                    ),
                    (
                        "status",
                        &t(lang, &format!("status.{}", r.status.as_str()), &[]),
                    ),
                ],
            ));
            if let Some(e) = store.report_events(&r.reference).await?.last()
                && !e.note.is_empty()
            {
                text.push_str(&format!(" — «{}»", e.note));
            }
        }
        turn.out.push(Out::text(text));
        Ok(())
    }

    fn survey_start(&self, turn: &mut Turn) {
        let choices = turn
            .state
            .last_trip
            .as_ref()
            .map(|l| l.routes.clone())
            .unwrap_or_default();
        turn.state.step = if choices.len() == 1 {
            Step::SurveySafety {
                route: choices[0].clone(),
            }
        } else {
            Step::SurveyRoute { choices }
        };
        self.ask(turn);
    }

    async fn save_survey(
        &self,
        rider: &str,
        turn: &mut Turn,
        route: String,
        safety: u8,
        satisfaction: u8,
    ) -> Result<(), EngineError> {
        let tt = self.app.dataset().timetable.clone();
        let profile = turn.state.profile.as_ref();
        let input = app::surveys::SurveyInput {
            route_id: Some(&route),
            safety: Some(safety),
            satisfaction: Some(satisfaction),
            at: None,
            gender: profile.and_then(|p| p.gender.as_deref()),
            age_band: profile.and_then(|p| p.age_band.as_deref()),
            channel: Channel::Bot,
            rider: Some(rider.to_string()),
        };
        app::surveys::answer(self.obs(), &tt, &input, turn.lang).await?;
        turn.out
            .push(Out::text(t(turn.lang, "bot.survey.thanks", &[])));
        Ok(())
    }
}

enum Picked {
    One(Place),
    Many(Vec<Place>, Out),
    Nothing(String),
}

fn score(b: &str) -> Option<u8> {
    b.strip_prefix("s:")
        .and_then(|s| s.parse::<u8>().ok())
        .filter(|s| (1..=5).contains(s))
}

fn scores() -> Vec<(String, String)> {
    (1..=5).map(|i| (i.to_string(), format!("s:{i}"))).collect()
}

fn route_name(tt: &Timetable, id: &str) -> String {
    tt.route_by_id(id).map_or_else(
        || id.to_string(),
        |r| {
            let r = tt.route(r);
            format!("{} ({})", r.short_name, r.long_name)
        },
    )
}

fn profile_text(lang: Lang, p: &ProfileData) -> String {
    let dash = || "—".to_string();
    let mut parts = vec![
        p.gender
            .as_deref()
            .map_or_else(dash, |g| t(lang, &format!("gender.{g}"), &[])),
        p.age_band
            .as_deref()
            .map_or_else(dash, |a| t(lang, &format!("age.{a}"), &[])),
    ];
    if p.disability {
        parts.push(t(lang, "bot.needs.disability", &[]));
    }
    if p.caregiver {
        parts.push(t(lang, "bot.needs.caregiver", &[]));
    }
    parts.join(", ")
}

/// `HH:MM` (today; for trips a time already past means tomorrow), `YYYY-MM-DD HH:MM` or
/// `DD/MM[/YYYY] HH:MM`.
pub fn parse_when(s: &str, today: Day, now: i32, future: bool) -> Option<(Day, i32)> {
    let s = s.trim();
    let mut parts = s.split_whitespace();
    let (a, b) = (parts.next()?, parts.next());
    if parts.next().is_some() {
        return None;
    }
    let clock = |x: &str| {
        timetable::time::parse_clock(x)
            .ok()
            .filter(|&c| c < timetable::DAY)
            .map(|c| c as i32)
    };
    match b {
        None => {
            let secs = clock(a)?;
            if future && secs + 300 < now {
                Some((today.offset(1), secs))
            } else {
                Some((today, secs))
            }
        }
        Some(time) => {
            let day = if let Some(d) = Day::parse(a) {
                d
            } else {
                let mut f = a.split('/');
                let (d, m) = (
                    f.next()?.parse::<u32>().ok()?,
                    f.next()?.parse::<u32>().ok()?,
                );
                let y = match f.next() {
                    Some(y) => y.parse::<i32>().ok()?,
                    None => today.to_string().get(..4)?.parse().ok()?,
                };
                Day::parse(&format!("{y:04}-{m:02}-{d:02}"))?
            };
            Some((day, clock(time)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_dates_as_riders_type_them() {
        let today = Day::parse("2026-11-22").unwrap();
        let now = 10 * 3600;
        let d = |s: &str| Day::parse(s).unwrap();
        // A trip time already past means tomorrow; a report time stays today.
        assert_eq!(
            parse_when("08:00", today, now, true),
            Some((d("2026-11-23"), 8 * 3600))
        );
        assert_eq!(
            parse_when("08:00", today, now, false),
            Some((today, 8 * 3600))
        );
        assert_eq!(
            parse_when(" 18:30 ", today, now, true),
            Some((today, 18 * 3600 + 1800))
        );
        assert_eq!(
            parse_when("2026-11-21 07:45", today, now, false),
            Some((d("2026-11-21"), 7 * 3600 + 45 * 60))
        );
        assert_eq!(
            parse_when("21/11 07:45", today, now, false),
            Some((d("2026-11-21"), 7 * 3600 + 45 * 60))
        );
        assert_eq!(
            parse_when("1/1/2026 00:00", today, now, false),
            Some((d("2026-01-01"), 0))
        );
        for bad in [
            "",
            "25:99",
            "24:00",
            "mañana",
            "31/02 10:00",
            "10:00 11:00 12:00",
            "x 10:00",
        ] {
            assert_eq!(parse_when(bad, today, now, true), None, "{bad}");
        }
    }

    #[test]
    fn limits_refuse_with_the_wait_and_forget_old_uses() {
        let mut l = Limits::default();
        let w = Duration::from_secs(60);
        assert!(l.take(1, Limit::Plan, 2, w).is_ok());
        assert!(l.take(1, Limit::Plan, 2, w).is_ok());
        let wait = l.take(1, Limit::Plan, 2, w).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        // Other riders and other kinds are counted apart; 0 means no limit.
        assert!(l.take(2, Limit::Plan, 2, w).is_ok());
        assert!(l.take(1, Limit::Report, 2, w).is_ok());
        assert!(l.take(1, Limit::Plan, 0, w).is_ok());
        // A window that has passed frees the rider again.
        assert!(l.take(3, Limit::Plan, 1, Duration::ZERO).is_ok());
        assert!(l.take(3, Limit::Plan, 1, Duration::ZERO).is_ok());
    }
}
