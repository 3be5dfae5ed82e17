//! Choosing the language (and, at `/start`, the first step of onboarding).

use super::{Engine, EngineError, Flow, Input, LANGS, Out, Turn, lang_of};
use crate::dialogue::Step;
use i18n::{Lang, t};

impl Engine {
    /// `Language`: a language button; at onboarding, the privacy notice and the consent question next.
    pub(super) fn language_step(
        &self,
        turn: &mut Turn,
        step: Step,
        input: Input,
    ) -> Result<Flow, EngineError> {
        match (step, input) {
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
            (step, input) => return Ok(Flow::Unhandled(Box::new((step, input)))),
        }
        Ok(Flow::Done)
    }

    /// The language question.
    pub(super) fn language_prompt(&self, lang: Lang, step: &Step) -> Out {
        match step {
            Step::Language { .. } => Out::buttons(
                t(lang, "bot.choose_lang", &[]),
                vec![
                    LANGS
                        .iter()
                        .map(|l| (t(*l, "bot.lang_name", &[]), format!("lang:{}", l.code())))
                        .collect(),
                ],
            ),
            other => self.misrouted(lang, other),
        }
    }
}
