//! `/borrar`: the rider's right to erasure, after a confirmation.

use super::{Engine, EngineError, Flow, Input, Out, Turn};
use crate::dialogue::Step;
use i18n::{Lang, t};

impl Engine {
    /// `/borrar`: yes or no.
    pub(super) async fn erase_step(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        step: Step,
        input: Input,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        match (step, input) {
            (Step::EraseConfirm, Input::Button(b)) if b == "erase:yes" => {
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
            (Step::EraseConfirm, Input::Button(b)) if b == "erase:no" => {
                turn.out.push(Out::text(t(lang, "bot.cancelled", &[])));
            }
            (step, input) => return Ok(Flow::Unhandled(Box::new((step, input)))),
        }
        Ok(Flow::Done)
    }

    /// Erase or not.
    pub(super) fn erase_prompt(&self, lang: Lang, step: &Step) -> Out {
        match step {
            Step::EraseConfirm => Out::buttons(
                t(lang, "bot.erase.ask", &[]),
                vec![vec![
                    (t(lang, "bot.erase.yes", &[]), "erase:yes".into()),
                    (t(lang, "bot.erase.no", &[]), "erase:no".into()),
                ]],
            ),
            other => self.misrouted(lang, other),
        }
    }
}
