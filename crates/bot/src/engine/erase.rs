//! `/borrar`: the rider's right to erasure, after a confirmation.

use super::{Engine, EngineError, Flow, Input, Out, Turn};
use crate::dialogue::*;
use i18n::{Lang, t};

impl Engine {
    /// `/borrar`: yes or no.
    pub(super) async fn erase_step(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        step: EraseStep,
        input: Input,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        match (step, input) {
            (EraseStep::Confirm, Input::Button(b)) if b == "erase:yes" => {
                let e = self.app.erase_rider(rider, chat, lang).await?;
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
            (EraseStep::Confirm, Input::Button(b)) if b == "erase:no" => {
                turn.out.push(Out::text(t(lang, "bot.cancelled", &[])));
            }
            (step, input) => return Ok(Flow::Unhandled(Box::new((step.into(), input)))),
        }
        Ok(Flow::Done)
    }

    /// Erase or not.
    pub(super) fn erase_prompt(&self, lang: Lang, step: &EraseStep) -> Out {
        match step {
            EraseStep::Confirm => Out::buttons(
                t(lang, "bot.erase.ask", &[]),
                vec![vec![
                    (t(lang, "bot.erase.yes", &[]), "erase:yes".into()),
                    (t(lang, "bot.erase.no", &[]), "erase:no".into()),
                ]],
            ),
        }
    }
}
