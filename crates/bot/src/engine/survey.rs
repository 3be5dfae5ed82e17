//! `/encuesta` and "rate this trip": route, perceived safety and satisfaction (1–5).

use super::prompts::rows_of;
use super::{Engine, EngineError, Flow, Input, Out, Turn};
use crate::dialogue::*;
use app::Channel;
use app::Timetable;
use i18n::{Lang, t};

impl Engine {
    /// The survey's questions; also the "rate" button of a plan shown.
    pub(super) async fn survey_step(
        &self,
        rider: &str,
        turn: &mut Turn,
        step: RatingStep,
        input: Input,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        match (step, input) {
            (RatingStep::Route { choices }, input) => {
                let tt = self.app.dataset().timetable.clone();
                let route = match &input {
                    Input::Button(b) => b
                        .strip_prefix("r:")
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| choices.get(i).cloned()),
                    Input::Text(s) => {
                        let q = app::fold(s.trim());
                        let found = if q.chars().count() < 1 {
                            vec![]
                        } else {
                            app::search_routes(&tt, &q)
                        };
                        // An exact short name wins; otherwise offer the matches.
                        let exact: Vec<_> = found
                            .iter()
                            .copied()
                            .filter(|&r| app::fold(&tt.route(r).short_name) == q)
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
                            turn.go(RatingStep::Route { choices });
                            return Ok(Flow::Done);
                        } else {
                            let ids: Vec<String> = found
                                .iter()
                                .take(8)
                                .map(|&r| tt.route(r).id.clone())
                                .collect();
                            turn.go(RatingStep::Route { choices: ids });
                            self.ask(turn);
                            return Ok(Flow::Done);
                        }
                    }
                    _ => None,
                };
                match route {
                    Some(route) => {
                        turn.go(RatingStep::Safety { route });
                    }
                    None => {
                        turn.out.push(Out::text(t(lang, "bot.use_buttons", &[])));
                        turn.go(RatingStep::Route { choices });
                    }
                }
                self.ask(turn);
            }
            (RatingStep::Safety { route }, Input::Button(b)) if score(&b).is_some() => {
                turn.go(RatingStep::Satisfaction {
                    route,
                    safety: score(&b).unwrap_or(3),
                });
                self.ask(turn);
            }
            (RatingStep::Satisfaction { route, safety }, Input::Button(b))
                if score(&b).is_some() =>
            {
                self.save_survey(rider, turn, route, safety, score(&b).unwrap_or(3))
                    .await?;
            }
            (step, input) => return Ok(Flow::Unhandled(Box::new((step.into(), input)))),
        }
        Ok(Flow::Done)
    }

    /// The survey's questions.
    pub(super) fn survey_prompt(&self, lang: Lang, step: &RatingStep) -> Out {
        let tt = self.app.dataset().timetable.clone();
        match step {
            RatingStep::Route { choices } => {
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
            RatingStep::Safety { route } => Out::buttons(
                t(
                    lang,
                    "bot.ask.safety",
                    &[("route", &route_name(&tt, route))],
                ),
                vec![scores()],
            ),
            RatingStep::Satisfaction { route, .. } => Out::buttons(
                t(
                    lang,
                    "bot.ask.satisfaction",
                    &[("route", &route_name(&tt, route))],
                ),
                vec![scores()],
            ),
        }
    }

    pub(super) fn survey_start(&self, turn: &mut Turn) {
        let choices = turn
            .state
            .last_trip
            .as_ref()
            .map(|l| l.routes.clone())
            .unwrap_or_default();
        turn.go(if choices.len() == 1 {
            RatingStep::Safety {
                route: choices[0].clone(),
            }
        } else {
            RatingStep::Route { choices }
        });
        self.ask(turn);
    }

    pub(super) async fn save_survey(
        &self,
        rider: &str,
        turn: &mut Turn,
        route: String,
        safety: u8,
        satisfaction: u8,
    ) -> Result<(), EngineError> {
        let profile = turn.state.profile.as_ref();
        let input = app::ratings::RatingInput {
            route_id: Some(&route),
            safety: Some(safety),
            satisfaction: Some(satisfaction),
            at: None,
            gender: profile.and_then(|p| p.gender.as_deref()),
            age_band: profile.and_then(|p| p.age_band.as_deref()),
            channel: Channel::Bot,
            rider: Some(rider.to_string()),
        };
        self.app.rate_ride(&input, turn.lang).await?;
        turn.out
            .push(Out::text(t(turn.lang, "bot.survey.thanks", &[])));
        // After a trip: the longer surveys (women's safety, accessibility), if they wish.
        self.offer_questionnaire(turn, "bot.questionnaire.offer_more", "q:menu");
        Ok(())
    }
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
