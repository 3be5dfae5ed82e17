//! The consented profile (gender, age band, needs): asked at onboarding and by `/perfil`,
//! changed or withdrawn at any time; without consent nothing is kept.

use super::prompts::{age_buttons, gender_buttons};
use super::{Engine, EngineError, Flow, Input, Out, Turn};
use crate::dialogue::ProfileData;
use crate::dialogue::*;
use app::{AgeBand, Gender};
use i18n::{Lang, t};
use std::str::FromStr;

impl Engine {
    /// Consent and the profile's questions.
    pub(super) fn profile_step(
        &self,
        turn: &mut Turn,
        step: ProfileStep,
        input: Input,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        match (step, input) {
            (ProfileStep::Consent, Input::Button(b)) if b == "consent:yes" => {
                turn.go(ProfileStep::Gender {
                    profile: ProfileData::default(),
                });
                self.ask(turn);
            }
            (ProfileStep::Consent, Input::Button(b)) if b == "consent:no" => {
                turn.state.profile = None;
                turn.out.push(Out::text(t(lang, "bot.profile.none", &[])));
                turn.out.push(Out::text(super::help(lang)));
                self.offer_questionnaire(turn, "bot.questionnaire.offer_profile", "q:perfil");
            }
            (ProfileStep::Menu, Input::Button(b)) if b == "profile:change" => {
                turn.go(ProfileStep::Gender {
                    profile: ProfileData::default(),
                });
                self.ask(turn);
            }
            (ProfileStep::Menu, Input::Button(b)) if b == "profile:withdraw" => {
                turn.state.profile = None;
                turn.out
                    .push(Out::text(t(lang, "bot.profile.withdrawn", &[])));
            }
            (ProfileStep::Menu, Input::Button(b)) if b == "profile:keep" => {
                turn.out.push(Out::text(t(lang, "bot.ok", &[])));
            }
            (ProfileStep::Gender { mut profile }, Input::Button(b)) if b.starts_with("g:") => {
                profile.gender = Gender::from_str(&b[2..]).ok().map(|g| g.as_str().into());
                turn.go(ProfileStep::Age { profile });
                self.ask(turn);
            }
            (ProfileStep::Age { mut profile }, Input::Button(b)) if b.starts_with("a:") => {
                profile.age_band = AgeBand::from_str(&b[2..]).ok().map(|a| a.as_str().into());
                turn.go(ProfileStep::Needs { profile });
                self.ask(turn);
            }
            (ProfileStep::Needs { mut profile }, Input::Button(b)) if b.starts_with("n:") => {
                profile.disability = matches!(&b[2..], "disability" | "both");
                profile.caregiver = matches!(&b[2..], "caregiver" | "both");
                turn.state.profile = Some(profile);
                turn.out.push(Out::text(t(lang, "bot.profile.saved", &[])));
                turn.out.push(Out::text(super::help(lang)));
                self.offer_questionnaire(turn, "bot.questionnaire.offer_profile", "q:perfil");
            }
            (step, input) => return Ok(Flow::Unhandled(Box::new((step.into(), input)))),
        }
        Ok(Flow::Done)
    }

    /// The profile's questions.
    pub(super) fn profile_prompt(&self, lang: Lang, step: &ProfileStep) -> Out {
        match step {
            ProfileStep::Consent => Out::buttons(
                t(lang, "bot.profile.ask", &[]),
                vec![vec![
                    (t(lang, "bot.yes_profile", &[]), "consent:yes".into()),
                    (t(lang, "bot.no_thanks", &[]), "consent:no".into()),
                ]],
            ),
            ProfileStep::Menu => Out::buttons(
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
            ProfileStep::Gender { .. } => gender_buttons(lang, false),
            ProfileStep::Age { .. } => age_buttons(lang),
            ProfileStep::Needs { .. } => Out::buttons(
                t(lang, "bot.ask.needs", &[]),
                vec![
                    vec![(t(lang, "bot.needs.disability", &[]), "n:disability".into())],
                    vec![(t(lang, "bot.needs.caregiver", &[]), "n:caregiver".into())],
                    vec![(t(lang, "bot.needs.both", &[]), "n:both".into())],
                    vec![(t(lang, "bot.needs.none", &[]), "n:none".into())],
                ],
            ),
        }
    }
}

/// The profile as the rider sees it in `/perfil`.
pub(super) fn profile_text(lang: Lang, p: &ProfileData) -> String {
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
