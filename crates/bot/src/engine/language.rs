//! Choosing the language (and, at `/start`, the first step of onboarding).

use super::{Engine, EngineError, Flow, Input, LANGS, Out, Turn, lang_of};
use crate::dialogue::*;
use i18n::{Lang, t};

impl Engine {
    /// `Language`: a language button; at onboarding, the privacy notice and the consent question next.
    pub(super) fn language_step(
        &self,
        turn: &mut Turn,
        step: LanguageStep,
        input: Input,
    ) -> Result<Flow, EngineError> {
        match (step, input) {
            (LanguageStep::Choose { onboarding }, Input::Button(b)) if b.starts_with("lang:") => {
                turn.lang = lang_of(&b[5..]);
                let lang = turn.lang;
                if onboarding {
                    turn.out.push(Out::text(t(lang, "bot.privacy", &[])));
                    turn.go(Step::Profile(ProfileStep::Consent));
                    self.ask(turn);
                } else {
                    turn.out.push(Out::text(t(lang, "bot.lang_set", &[])));
                }
            }
            (step, input) => return Ok(Flow::Unhandled(Box::new((step.into(), input)))),
        }
        Ok(Flow::Done)
    }

    /// The language question.
    pub(super) fn language_prompt(&self, lang: Lang, step: &LanguageStep) -> Out {
        match step {
            LanguageStep::Choose { .. } => Out::buttons(
                t(lang, "bot.choose_lang", &[]),
                vec![
                    LANGS
                        .iter()
                        .map(|l| (t(*l, "bot.lang_name", &[]), format!("lang:{}", l.code())))
                        .collect(),
                ],
            ),
        }
    }
}
