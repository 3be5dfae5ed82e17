//! `/encuestas`: the surveys defined as data (the Arequipa Bus profile, women's safety and
//! accessibility surveys, and whatever officials publish), one question at a time, with
//! buttons for options (ticks for multiple choice), typed text for free-text questions, a
//! "skip" on optional questions, and the survey's skip conditions. The answer is checked and
//! stored by `app::questionnaires`, like the page's and the API's.

use super::prompts::rows_of;
use super::{Engine, EngineError, Flow, Input, Out, Turn};
use crate::dialogue::*;
use crate::dialogue::{Asking, Shown, Step};
use app::Channel;
use app::questionnaire::{Definition, Given};
use app::questionnaires::AnswerInput;
use i18n::{Lang, t};
use std::collections::BTreeMap;

/// The answers so far, as the definition reads them.
fn given(a: &Asking) -> BTreeMap<String, Given> {
    a.chosen
        .iter()
        .map(|(q, o)| (q.clone(), Given::Options(o.clone())))
        .chain(
            a.texts
                .iter()
                .map(|(q, s)| (q.clone(), Given::Text(s.clone()))),
        )
        .collect()
}

impl Engine {
    /// Offers the live surveys.
    pub(super) async fn questionnaire_menu(&self, turn: &mut Turn) -> Result<(), EngineError> {
        let surveys = self.app.questionnaires(turn.lang).await?;
        if surveys.is_empty() {
            turn.out
                .push(Out::text(t(turn.lang, "bot.questionnaire.none", &[])));
            return Ok(());
        }
        turn.go(QuestionnaireStep::Pick {
            choices: surveys.into_iter().map(|s| (s.code, s.title)).collect(),
        });
        self.ask(turn);
        Ok(())
    }

    /// Starts survey `code` at its latest version: its introduction, then the first question.
    pub(super) async fn questionnaire_start(
        &self,
        rider: &str,
        turn: &mut Turn,
        code: &str,
    ) -> Result<(), EngineError> {
        let (def, version) = self.app.questionnaire(code, None, turn.lang).await?;
        turn.out
            .push(Out::text(def.intro.get(turn.lang.code()).to_string()));
        let asking = Asking {
            survey: def.code.clone(),
            version,
            ..Asking::default()
        };
        self.questionnaire_next(rider, turn, &def, asking, 0).await
    }

    /// Shows the first question from `from` on that is asked given the answers so far, or
    /// files the answer when there is none left.
    async fn questionnaire_next(
        &self,
        rider: &str,
        turn: &mut Turn,
        def: &Definition,
        mut asking: Asking,
        from: usize,
    ) -> Result<(), EngineError> {
        let so_far = given(&asking);
        let next = (from..def.questions.len()).find(|&i| def.shown(&def.questions[i], &so_far));
        let Some(i) = next else {
            return self.questionnaire_file(rider, turn, def, &asking).await;
        };
        // The question as the page and the API show it, in the rider's language.
        let view = app::questionnaires::view(def, asking.version, turn.lang);
        let q = &view.questions[i];
        asking.ticked.clear();
        asking.question = Shown {
            code: q.code.clone(),
            text: q.text.clone(),
            kind: q.kind.clone(),
            required: q.required,
            options: q
                .options
                .iter()
                .map(|o| (o.code.clone(), o.label.clone(), o.exclusive))
                .collect(),
            max_chars: q.max_chars,
            position: (i + 1, def.questions.len()),
        };
        turn.go(QuestionnaireStep::Answering {
            asking: Box::new(asking),
        });
        self.ask(turn);
        Ok(())
    }

    async fn questionnaire_file(
        &self,
        rider: &str,
        turn: &mut Turn,
        def: &Definition,
        asking: &Asking,
    ) -> Result<(), EngineError> {
        let profile = turn.state.profile.clone();
        let input = AnswerInput {
            version: Some(asking.version),
            answers: given(asking),
            gender: profile.as_ref().and_then(|p| p.gender.as_deref()),
            age_band: profile.as_ref().and_then(|p| p.age_band.as_deref()),
            channel: Some(Channel::Bot),
            rider: Some(rider.to_string()),
        };
        turn.go(Step::Idle);
        let recorded = self
            .app
            .answer_questionnaire(&def.code, &input, turn.lang)
            .await?;
        turn.out.push(Out::text(recorded.outro));
        Ok(())
    }

    /// A survey's button under an earlier message (an offer after a plan or a report): the
    /// menu, a survey still live, or "not now".
    pub(super) async fn questionnaire_button(
        &self,
        rider: &str,
        turn: &mut Turn,
        b: String,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        if b == "q:menu" {
            self.questionnaire_menu(turn).await?;
        } else if b == "q:no" {
            turn.out.push(Out::text(t(lang, "bot.ok", &[])));
        } else {
            // An offer of an older message: only a survey still live.
            let live = self.app.questionnaires(lang).await?;
            if !live.iter().any(|s| s.code == b[2..]) {
                return Ok(Flow::Unhandled(Box::new((Step::Idle, Input::Button(b)))));
            }
            self.questionnaire_start(rider, turn, &b[2..]).await?;
        }
        Ok(Flow::Done)
    }

    /// An input while picking or answering a survey.
    pub(super) async fn questionnaire_step(
        &self,
        rider: &str,
        turn: &mut Turn,
        step: QuestionnaireStep,
        input: Input,
    ) -> Result<Flow, EngineError> {
        match (step, input) {
            (QuestionnaireStep::Pick { choices }, Input::Button(b))
                if b.strip_prefix("q:")
                    .is_some_and(|c| choices.iter().any(|(x, _)| x == c)) =>
            {
                self.questionnaire_start(rider, turn, &b[2..]).await?;
            }
            (QuestionnaireStep::Answering { asking }, input) => {
                return self.questionnaire_answer(rider, turn, *asking, input).await;
            }
            (step, input) => return Ok(Flow::Unhandled(Box::new((step.into(), input)))),
        }
        Ok(Flow::Done)
    }

    async fn questionnaire_answer(
        &self,
        rider: &str,
        turn: &mut Turn,
        mut asking: Asking,
        input: Input,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        let (def, _) = self
            .app
            .questionnaire(&asking.survey, Some(asking.version), lang)
            .await?;
        let q = asking.question.clone();
        let position = def
            .questions
            .iter()
            .position(|x| x.code == q.code)
            .unwrap_or(def.questions.len());
        let again = |turn: &mut Turn, asking: Asking, key: &str| {
            if !key.is_empty() {
                turn.out.push(Out::text(t(lang, key, &[])));
            }
            turn.go(QuestionnaireStep::Answering {
                asking: Box::new(asking),
            });
        };
        let is_option = |code: &str| q.options.iter().any(|(c, _, _)| c == code);
        match input {
            Input::Button(b) if b == "o:skip" && !q.required => {}
            Input::Button(b) if b == "o:skip" => {
                again(turn, asking, "bot.questionnaire.required");
                self.ask(turn);
                return Ok(Flow::Done);
            }
            Input::Button(b) if b == "o:done" && q.kind == "multi" => {
                if asking.ticked.is_empty() {
                    again(turn, asking, "bot.questionnaire.pick_one");
                    self.ask(turn);
                    return Ok(Flow::Done);
                }
                // In the definition's order.
                let ticked: Vec<String> = q
                    .options
                    .iter()
                    .filter(|(c, _, _)| asking.ticked.contains(c))
                    .map(|(c, _, _)| c.clone())
                    .collect();
                asking.chosen.insert(q.code.clone(), ticked);
            }
            Input::Button(b)
                if b.strip_prefix("o:").is_some_and(is_option) && q.kind == "multi" =>
            {
                let code = b[2..].to_string();
                let exclusive = q.options.iter().any(|(c, _, x)| *c == code && *x);
                if let Some(i) = asking.ticked.iter().position(|c| *c == code) {
                    asking.ticked.remove(i);
                } else if exclusive {
                    asking.ticked = vec![code];
                } else {
                    // Ticking an option unticks an exclusive one ("none of these").
                    asking
                        .ticked
                        .retain(|c| !q.options.iter().any(|(o, _, x)| o == c && *x));
                    asking.ticked.push(code);
                }
                again(turn, asking, "");
                self.ask(turn);
                return Ok(Flow::Done);
            }
            Input::Button(b) if b.strip_prefix("o:").is_some_and(is_option) && q.kind != "text" => {
                asking
                    .chosen
                    .insert(q.code.clone(), vec![b[2..].to_string()]);
            }
            Input::Text(s) if q.kind == "text" => {
                let s = s.trim().to_string();
                let max = q.max_chars.unwrap_or(0) as usize;
                if s.chars().count() > max {
                    turn.out
                        .push(Out::text(t(lang, "bot.too_long", &[("max", &max)])));
                    again(turn, asking, "");
                    self.ask(turn);
                    return Ok(Flow::Done);
                }
                if !s.is_empty() {
                    asking.texts.insert(q.code.clone(), s);
                }
            }
            input => {
                let step = QuestionnaireStep::Answering {
                    asking: Box::new(asking),
                };
                return Ok(Flow::Unhandled(Box::new((step.into(), input))));
            }
        }
        self.questionnaire_next(rider, turn, &def, asking, position + 1)
            .await?;
        Ok(Flow::Done)
    }

    /// The question on screen, with its buttons (or the surveys to pick from).
    pub(super) fn questionnaire_prompt(&self, lang: Lang, step: &QuestionnaireStep) -> Out {
        let asking = match step {
            QuestionnaireStep::Pick { choices } => {
                let buttons: Vec<(String, String)> = choices
                    .iter()
                    .map(|(code, title)| (title.clone(), format!("q:{code}")))
                    .collect();
                return Out::buttons(t(lang, "bot.questionnaire.pick", &[]), rows_of(buttons, 1));
            }
            QuestionnaireStep::Answering { asking } => asking,
        };
        let q = &asking.question;
        let mut text = format!(
            "{}\n{}",
            t(
                lang,
                "bot.questionnaire.progress",
                &[("n", &q.position.0), ("total", &q.position.1)]
            ),
            q.text
        );
        let mut rows: Vec<Vec<(String, String)>> = Vec::new();
        match q.kind.as_str() {
            "text" => {
                text.push('\n');
                text.push_str(&t(
                    lang,
                    "bot.questionnaire.text_hint",
                    &[("max", &q.max_chars.unwrap_or(0))],
                ));
            }
            "multi" => {
                text.push('\n');
                text.push_str(&t(lang, "bot.questionnaire.multi_hint", &[]));
                for (code, label, _) in &q.options {
                    let mark = if asking.ticked.contains(code) {
                        "☑"
                    } else {
                        "☐"
                    };
                    rows.push(vec![(format!("{mark} {label}"), format!("o:{code}"))]);
                }
                rows.push(vec![(
                    t(lang, "bot.questionnaire.done", &[]),
                    "o:done".into(),
                )]);
            }
            "scale" => {
                // Best first, one per row: the labels are words, the number says the rank.
                for (code, label, _) in q.options.iter().rev() {
                    rows.push(vec![(format!("{code} · {label}"), format!("o:{code}"))]);
                }
            }
            _ => {
                let b: Vec<(String, String)> = q
                    .options
                    .iter()
                    .map(|(code, label, _)| (label.clone(), format!("o:{code}")))
                    .collect();
                rows.extend(rows_of(b, 1));
            }
        }
        if !q.required {
            rows.push(vec![(t(lang, "bot.skip", &[]), "o:skip".into())]);
        }
        if rows.is_empty() {
            Out::text(text)
        } else {
            Out::buttons(text, rows)
        }
    }

    /// A button that offers a survey (after `/start`, after rating a trip).
    pub(super) fn offer_questionnaire(&self, turn: &mut Turn, key: &str, button: &str) {
        let lang = turn.lang;
        turn.out.push(Out::buttons(
            t(lang, key, &[]),
            vec![vec![
                (t(lang, "bot.questionnaire.yes", &[]), button.to_string()),
                (t(lang, "bot.no_thanks", &[]), "q:no".into()),
            ]],
        ));
    }
}
