//! `/reportar` and `/mis_reportes`: category, place, time, description, who (optional),
//! confirm (named or anonymous); validated and filed through the application layer.

use super::places::Picked;
use super::prompts::{age_buttons, gender_buttons, rows_of, skip};
use super::{Engine, EngineError, Flow, Input, Keyboard, Out, Turn, typed_when};
use crate::dialogue::Draft;
use crate::dialogue::*;
use app::Timetable;
use app::reports::ReportInput;
use app::{AgeBand, Channel, Gender};
use i18n::{Lang, t};
use std::str::FromStr;

impl Engine {
    /// Where it happened: a place picked, typed or shared (checked against the network).
    fn report_where(
        &self,
        turn: &mut Turn,
        mut draft: Draft,
        choices: Vec<crate::dialogue::Place>,
        input: Input,
    ) {
        let lang = turn.lang;
        match self.place(lang, &choices, input, true, turn.state.city.as_deref()) {
            Picked::One(p) => {
                draft.place = Some(p);
                match self.check(&draft, lang) {
                    Ok(_) => turn.go(ReportStep::When { draft }),
                    Err(msg) => {
                        draft.place = None;
                        turn.out.push(Out::text(msg));
                        turn.go(ReportStep::Where {
                            draft,
                            choices: vec![],
                        });
                    }
                }
            }
            Picked::Many(choices, out) => {
                turn.out.push(out);
                turn.go(ReportStep::Where { draft, choices });
                return;
            }
            Picked::Nothing(msg) => {
                turn.out.push(Out::text(msg));
                turn.go(ReportStep::Where { draft, choices });
            }
        }
        self.ask(turn);
    }

    /// When, earlier today or another day: a typed time (and date).
    fn report_time(&self, turn: &mut Turn, mut draft: Draft, other_day: bool, s: &str) {
        let lang = turn.lang;
        let tt = self.app.dataset().timetable.clone();
        let (today, now) = app::clock::now(&tt);
        match typed_when(s, today, now, false).filter(|_| {
            // "another day" needs a date; "earlier today" takes a time alone.
            other_day || !s.contains(['-', '/'])
        }) {
            Some((day, secs)) => {
                draft.occurred_at = Some(app::clock::local_to_unix(&tt, day, secs as u32));
                match self.check(&draft, lang) {
                    Ok(_) => self.after_when(turn, draft),
                    Err(msg) => {
                        draft.occurred_at = None;
                        turn.out.push(Out::text(msg));
                        turn.go(ReportStep::Time { draft, other_day });
                        self.ask(turn);
                    }
                }
            }
            None => {
                turn.out.push(Out::text(t(lang, "bot.bad_time", &[])));
                turn.go(ReportStep::Time { draft, other_day });
                self.ask(turn);
            }
        }
    }

    /// What happened, in the reporter's words (or skipped), or a photo for the report.
    fn report_description(&self, turn: &mut Turn, mut draft: Draft, input: Input) {
        let lang = turn.lang;
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
                turn.go(ReportStep::Description { draft });
                self.ask(turn);
            }
            Input::Text(s) => {
                draft.description = Some(s.trim().to_string()).filter(|d| !d.is_empty());
                self.after_description(turn, draft);
            }
            // A photo while describing: kept (its id) for when the report is sent.
            Input::Photo(file_id) if self.obs().settings.photos.max_per_report > 0 => {
                draft.photo = Some(file_id);
                turn.out
                    .push(Out::text(t(lang, "bot.report.photo_kept", &[])));
                turn.go(ReportStep::Description { draft });
                self.ask(turn);
            }
            _ => {
                turn.out.push(Out::text(t(lang, "bot.use_buttons", &[])));
                turn.go(ReportStep::Description { draft });
                self.ask(turn);
            }
        }
    }

    /// The report's questions.
    pub(super) async fn report_step(
        &self,
        chat: i64,
        rider: &str,
        key: &str,
        turn: &mut Turn,
        step: ReportStep,
        input: Input,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        match (step, input) {
            (ReportStep::Category { .. }, Input::Button(b))
                if b.strip_prefix("grp:").is_some_and(|g| {
                    g.is_empty() || self.obs().catalogue().group(g).is_some_and(|n| !n.retired)
                }) =>
            {
                let g = &b[4..];
                turn.go(ReportStep::Category {
                    group: (!g.is_empty()).then(|| g.to_string()),
                });
                self.ask(turn);
            }
            (ReportStep::Category { .. }, Input::Button(b))
                if b.strip_prefix("cat:")
                    .is_some_and(|k| self.obs().catalogue().fileable(k)) =>
            {
                turn.go(ReportStep::Where {
                    draft: Draft {
                        category: b[4..].to_string(),
                        nonce: app::new_handle(),
                        ..Draft::default()
                    },
                    choices: vec![],
                });
                self.ask(turn);
            }
            (ReportStep::Where { draft, choices }, input) => {
                self.report_where(turn, draft, choices, input);
            }
            (ReportStep::When { draft }, Input::Button(b)) if b == "when:now" => {
                self.after_when(turn, draft);
            }
            (ReportStep::When { draft }, Input::Button(b))
                if b == "when:today" || b == "when:other" =>
            {
                turn.go(ReportStep::Time {
                    draft,
                    other_day: b == "when:other",
                });
                self.ask(turn);
            }
            (ReportStep::Time { draft, other_day }, Input::Text(s)) => {
                self.report_time(turn, draft, other_day, &s);
            }
            (ReportStep::Description { draft }, input) => {
                self.report_description(turn, draft, input);
            }
            (ReportStep::Actor { mut draft, victim }, Input::Button(b))
                if b.starts_with("act:") =>
            {
                // A key from the configured list, or "skip".
                let actor = Some(b[4..].to_string())
                    .filter(|a| self.obs().settings.road_actors.contains(a));
                if victim {
                    draft.actor_victim = actor;
                    self.after_actors(turn, draft);
                } else {
                    draft.actor_involved = actor;
                    turn.go(ReportStep::Actor {
                        draft,
                        victim: true,
                    });
                    self.ask(turn);
                }
            }
            (ReportStep::Gender { mut draft }, Input::Button(b)) if b.starts_with("g:") => {
                draft.gender = Gender::from_str(&b[2..]).ok().map(|g| g.as_str().into());
                turn.go(ReportStep::Age { draft });
                self.ask(turn);
            }
            (ReportStep::Age { mut draft }, Input::Button(b)) if b.starts_with("a:") => {
                draft.age_band = AgeBand::from_str(&b[2..]).ok().map(|a| a.as_str().into());
                turn.go(ReportStep::Confirm { draft });
                self.ask(turn);
            }
            (ReportStep::Confirm { draft }, Input::Button(b))
                if b == "send" || b == "send:anon" =>
            {
                self.send_report(chat, rider, turn, draft, b == "send:anon", key)
                    .await?;
            }
            (ReportStep::Confirm { .. }, Input::Button(b)) if b == "cancel" => {
                turn.out.push(Out::text(t(lang, "bot.cancelled", &[])));
            }
            (step, input) => return Ok(Flow::Unhandled(Box::new((step.into(), input)))),
        }
        Ok(Flow::Done)
    }

    /// The report's questions.
    pub(super) fn report_prompt(&self, lang: Lang, step: &ReportStep) -> Out {
        let tt = self.app.dataset().timetable.clone();
        match step {
            ReportStep::Category { group } => {
                // Two steps: the group, then its categories (a list of seventy would drown
                // the question on a small phone).
                let cat = self.obs().catalogue();
                let l = lang.code();
                let mut b: Vec<(String, String)> = match group {
                    None => cat
                        .groups()
                        .into_iter()
                        .filter(|g| !g.retired && cat.children(&g.code).iter().any(|c| !c.retired))
                        .map(|g| (g.labels.get(l).to_string(), format!("grp:{}", g.code)))
                        .collect(),
                    Some(g) => cat
                        .children(g)
                        .into_iter()
                        .filter(|c| !c.retired)
                        .map(|c| (c.labels.get(l).to_string(), format!("cat:{}", c.code)))
                        .collect(),
                };
                if group.is_some() {
                    b.push((t(lang, "bot.back", &[]), "grp:".into()));
                }
                Out::buttons(t(lang, "bot.ask.category", &[]), rows_of(b, 1))
            }
            ReportStep::Actor { victim, .. } => {
                let mut b: Vec<(String, String)> = self
                    .obs()
                    .settings
                    .road_actors
                    .iter()
                    .map(|a| (t(lang, &format!("actor.{a}"), &[]), format!("act:{a}")))
                    .collect();
                b.push(skip(lang, "act"));
                let q = if *victim {
                    "bot.ask.actor_victim"
                } else {
                    "bot.ask.actor_involved"
                };
                Out::buttons(t(lang, q, &[]), rows_of(b, 2))
            }
            ReportStep::Gender { .. } => gender_buttons(lang, true),
            ReportStep::Age { .. } => age_buttons(lang),
            ReportStep::Where { .. } => Out {
                text: t(lang, "bot.ask.where", &[]),
                keyboard: Keyboard::AskLocation(t(lang, "bot.share_location", &[])),
            },
            ReportStep::When { .. } => Out::buttons(
                t(lang, "bot.ask.when_report", &[]),
                vec![
                    vec![(t(lang, "bot.when.now", &[]), "when:now".into())],
                    vec![(t(lang, "bot.when.today", &[]), "when:today".into())],
                    vec![(t(lang, "bot.when.other", &[]), "when:other".into())],
                ],
            ),
            ReportStep::Time { other_day, .. } => Out::text(t(
                lang,
                if *other_day {
                    "bot.ask.day_time"
                } else {
                    "bot.ask.time"
                },
                &[],
            )),
            ReportStep::Description { draft } => {
                let mut text = t(
                    lang,
                    "bot.ask.description",
                    &[("max", &self.obs().settings.max_description_chars)],
                );
                if draft.photo.is_none() && self.obs().settings.photos.max_per_report > 0 {
                    text.push('\n');
                    text.push_str(&t(lang, "bot.ask.photo", &[]));
                }
                Out::buttons(text, vec![vec![skip(lang, "desc")]])
            }
            ReportStep::Confirm { draft } => Out::buttons(
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
        }
    }

    /// The draft as every door passes a report on, filed by `rider` (or anonymously).
    fn input<'d>(d: &'d Draft, rider: Option<&str>) -> ReportInput<'d> {
        let place = d.place.as_ref();
        ReportInput {
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
            rider: rider.map(str::to_string),
            actor_involved: d.actor_involved.as_deref(),
            actor_victim: d.actor_victim.as_deref(),
        }
    }

    /// Whether the draft so far would be accepted (checked at each step, so that a problem is
    /// told where it can be mended).
    pub(super) fn check(&self, d: &Draft, lang: Lang) -> Result<(), String> {
        self.app
            .check_report(&Self::input(d, None), lang)
            .map_err(|e| e.detail().to_string())
    }

    pub(super) fn after_when(&self, turn: &mut Turn, draft: Draft) {
        turn.go(ReportStep::Description { draft });
        self.ask(turn);
    }

    pub(super) fn after_description(&self, turn: &mut Turn, draft: Draft) {
        if self.obs().settings.road_actors.is_empty() {
            self.after_actors(turn, draft);
        } else {
            turn.go(ReportStep::Actor {
                draft,
                victim: false,
            });
            self.ask(turn);
        }
    }

    pub(super) fn after_actors(&self, turn: &mut Turn, mut draft: Draft) {
        let next = match &turn.state.profile {
            Some(p) => {
                draft.gender.clone_from(&p.gender);
                draft.age_band.clone_from(&p.age_band);
                ReportStep::Confirm { draft }
            }
            None => ReportStep::Gender { draft },
        };
        turn.go(next);
        self.ask(turn);
    }

    pub(super) fn draft_text(&self, lang: Lang, tt: &Timetable, d: &Draft) -> String {
        let when = d.occurred_at.map_or_else(
            || t(lang, "bot.when.now", &[]),
            |at| app::clock::local_datetime(tt, at),
        );
        let mut lines = vec![
            format!("• {}", t(lang, &format!("category.{}", d.category), &[])),
            format!("• {}", d.place.as_ref().map_or("?", |p| p.label.as_str())),
            format!("• {when}"),
        ];
        if let Some(desc) = &d.description {
            lines.push(format!("• «{desc}»"));
        }
        for a in [&d.actor_involved, &d.actor_victim].into_iter().flatten() {
            lines.push(format!("• {}", t(lang, &format!("actor.{a}"), &[])));
        }
        if d.photo.is_some() {
            lines.push(format!("• {}", t(lang, "bot.report.with_photo", &[])));
        }
        lines.join("\n")
    }

    pub(super) async fn send_report(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        draft: Draft,
        anonymous: bool,
        key: &str,
    ) -> Result<(), EngineError> {
        let lang = turn.lang;
        if let Err(msg) = self.check(&draft, lang) {
            turn.out.push(Out::text(msg));
            turn.go(ReportStep::When { draft });
            self.ask(turn);
            return Ok(());
        }
        // One key per draft (and choice of anonymity), not per update: when the report was
        // stored but saving the dialogue failed, the rider presses "send" again on the same
        // draft and gets the same report back instead of a second one.
        let key = if draft.nonce.is_empty() {
            (!key.is_empty()).then(|| format!("telegram:{chat}:{key}"))
        } else {
            Some(format!("telegram:{chat}:{}:{anonymous}", draft.nonce))
        };
        let input = Self::input(&draft, (!anonymous).then_some(rider));
        let created = self.app.file_report(&input, key.as_deref(), lang).await?;
        let text = if anonymous {
            "bot.report.done_anon"
        } else {
            "bot.report.done"
        };
        // The secret, shown once: the rider follows the report here by the chat, and on the
        // web (or to erase it) by this.
        turn.out
            .push(Out::text(t(lang, text, &[("reference", &created.secret)])));
        if let Some(file_id) = draft.photo {
            let said = match self.attach_photo(&created.secret, file_id, lang).await {
                Ok(()) => t(lang, "bot.report.photo_added", &[]),
                Err(detail) => t(lang, "bot.report.photo_failed", &[("detail", &detail)]),
            };
            turn.out.push(Out::text(said));
        }
        Ok(())
    }

    /// Fetches a photo from Telegram and attaches it to the report (re-encoded by the
    /// application: no metadata survives). The report is filed whatever happens here.
    async fn attach_photo(&self, secret: &str, file_id: String, lang: Lang) -> Result<(), String> {
        let unavailable = || t(lang, "bot.report.photo_unavailable", &[]);
        let source = self.photos.0.get().ok_or_else(unavailable)?;
        let bytes = source(file_id).await.map_err(|e| {
            tracing::warn!(error = %e, "could not fetch a photo from Telegram");
            unavailable()
        })?;
        self.app
            .add_photo(secret, None, bytes, lang)
            .await
            .map(|_| ())
            .map_err(|e| e.detail().to_string())
    }

    pub(super) async fn my_reports(&self, rider: &str, turn: &mut Turn) -> Result<(), EngineError> {
        let lang = turn.lang;
        let reports = self.app.rider_reports(rider, 10, lang).await?;
        if reports.is_empty() {
            turn.out
                .push(Out::text(t(lang, "bot.my_reports.none", &[])));
            return Ok(());
        }
        let mut text = t(lang, "bot.my_reports.header", &[]);
        for f in &reports {
            let r = &f.report;
            text.push('\n');
            text.push_str(&t(
                lang,
                "bot.my_reports.line",
                &[
                    (
                        "date",
                        &app::clock::local_date(&self.app.dataset().timetable, r.reported_at),
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
            if let Some(e) = f.history.last()
                && !e.note.is_empty()
            {
                text.push_str(&format!(" — «{}»", e.note));
            }
        }
        turn.out.push(Out::text(text));
        Ok(())
    }
}
