//! `/salidas`: the next departures at a stop found by name, by location or among choices.

use super::places::Picked;
use super::prompts::stop_label;
use super::{Engine, EngineError, Flow, Input, Keyboard, Out, Turn};
use crate::dialogue::Place;
use crate::dialogue::*;
use i18n::{Lang, t};

impl Engine {
    /// `/salidas`: which stop.
    pub(super) fn departures_step(
        &self,
        turn: &mut Turn,
        step: DeparturesStep,
        input: Input,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        match (step, input) {
            (DeparturesStep::Stop { choices }, input) => {
                let input = match input {
                    // A location: the stops around it, nearest first.
                    Input::Location(lat, lon) => match self.near_stops(lang, lat, lon) {
                        Ok(mut near) if near.len() == 1 => {
                            Input::Button(format!("stop:{}", near.remove(0).stops[0]))
                        }
                        Ok(near) => {
                            turn.out.push(self.choice_out(lang, "bot.dep.which", &near));
                            turn.go(DeparturesStep::Stop { choices: near });
                            return Ok(Flow::Done);
                        }
                        Err(msg) => {
                            turn.out.push(Out::text(msg));
                            turn.go(DeparturesStep::Stop { choices });
                            return Ok(Flow::Done);
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
                    // A place that is no stop (a plaza, a market, a corner): the stops around
                    // it, as for a shared location.
                    Picked::One(Place {
                        stops,
                        point: Some((lat, lon)),
                        ..
                    }) if stops.is_empty() => {
                        return self.departures_step(
                            turn,
                            DeparturesStep::Stop { choices },
                            Input::Location(lat, lon),
                        );
                    }
                    Picked::One(p) => self.departures(turn, &p),
                    Picked::Many(choices, out) => {
                        turn.out.push(out);
                        turn.go(DeparturesStep::Stop { choices });
                    }
                    Picked::Nothing(msg) => {
                        turn.out.push(Out::text(msg));
                        turn.go(DeparturesStep::Stop { choices });
                        self.ask(turn);
                    }
                }
            }
        }
        Ok(Flow::Done)
    }

    /// Which stop.
    pub(super) fn departures_prompt(&self, lang: Lang, step: &DeparturesStep) -> Out {
        match step {
            DeparturesStep::Stop { .. } => Out {
                text: t(lang, "bot.ask.stop", &[]),
                keyboard: Keyboard::AskLocation(t(lang, "bot.share_location", &[])),
            },
        }
    }

    pub(super) fn departures(&self, turn: &mut Turn, p: &Place) {
        let lang = turn.lang;
        let tt = self.app.dataset().timetable.clone();
        let Some(stop) = p.stops.first().and_then(|s| tt.stop_by_id(s)) else {
            turn.out.push(Out::text(t(lang, "bot.stale", &[])));
            return;
        };
        let ds = self.app.dataset();
        let (day, now) = app::clock::now(&tt);
        let deps = self
            .app
            .departures(&ds, stop, (day, now as i32), 8, app::now_unix())
            .departures;
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
            if d.realtime {
                let delay = d.delay_s.unwrap_or(0);
                let minutes = (delay.abs() + 30) / 60;
                let said = match delay {
                    _ if minutes == 0 => t(lang, "bot.dep.live_on_time", &[]),
                    d if d > 0 => t(
                        lang,
                        "bot.dep.live",
                        &[("delay", &t(lang, "bot.dep.late", &[("minutes", &minutes)]))],
                    ),
                    _ => t(
                        lang,
                        "bot.dep.live",
                        &[("delay", &t(lang, "bot.dep.early", &[("minutes", &minutes)]))],
                    ),
                };
                text.push_str(&format!(" · {said}"));
            } else if let Some(h) = d.headway_s {
                text.push(' ');
                text.push_str(&t(lang, "plan.ride.every", &[("minutes", &(h / 60))]));
            }
        }
        turn.out.push(Out::text(text));
    }
}
