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
                    _ => self.place(lang, &choices, input, false, turn.state.city.as_deref()),
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
        // What a rider must know before waiting comes first: a strike, a detour.
        for a in self.app.alerts_at(&ds, stop, app::now_unix(), lang) {
            text.push('\n');
            text.push_str(&t(lang, "bot.dep.alert", &[("text", &a.header)]));
        }
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
            if let Some(said) = live_said(lang, d) {
                text.push_str(&format!(" · {said}"));
            } else if let Some(h) = d.headway_s {
                text.push(' ');
                text.push_str(&t(lang, "plan.ride.every", &[("minutes", &(h / 60))]));
            }
        }
        turn.out.push(Out::text(text));
    }
}

/// How a live departure stands against the timetable ("en vivo, 2 min tarde"); `None` for a
/// timetabled one.
fn live_said(lang: Lang, d: &app::Departure) -> Option<String> {
    if !d.realtime {
        return None;
    }
    let Some(delay) = d.delay_s.filter(|_| !d.unscheduled) else {
        return Some(t(lang, "bot.dep.live_unscheduled", &[]));
    };
    let minutes = (delay.abs() + 30) / 60;
    let by = |key: &str| t(lang, key, &[("minutes", &minutes)]);
    Some(match delay {
        _ if minutes == 0 => t(lang, "bot.dep.live_on_time", &[]),
        d if d > 0 => t(lang, "bot.dep.live", &[("delay", &by("bot.dep.late"))]),
        _ => t(lang, "bot.dep.live", &[("delay", &by("bot.dep.early"))]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_departure_says_how_late_in_each_language() {
        let dep = |realtime: bool, delay_s: Option<i32>| app::Departure {
            unscheduled: realtime && delay_s.is_none(),
            route_id: "r".into(),
            route_short_name: "A".into(),
            route_color: None,
            headsign: "Centro".into(),
            departure: "2026-12-07T08:02:00-05:00".into(),
            departure_secs: 8 * 3600 + 120,
            wait_min: 2,
            headway_s: None,
            approximate: false,
            realtime,
            scheduled: "2026-12-07T08:00:00-05:00".into(),
            delay_s,
        };
        // (departure, language) → what is said.
        let cases = [
            (dep(false, None), Lang::Es, None),
            (dep(true, Some(120)), Lang::Es, Some("en vivo, 2 min tarde")),
            (dep(true, Some(-90)), Lang::En, Some("live, 2 min early")),
            (dep(true, Some(20)), Lang::Es, Some("en vivo, a tiempo")),
            (dep(true, None), Lang::Es, Some("en vivo, fuera de horario")),
            (dep(true, None), Lang::En, Some("live, off the timetable")),
            (
                dep(true, Some(600)),
                Lang::Qu,
                Some("kunan pacha, 10 min qhipata"),
            ),
        ];
        for (d, lang, want) in cases {
            assert_eq!(
                live_said(lang, &d).as_deref(),
                want,
                "{:?} {lang:?}",
                d.delay_s
            );
        }
    }
}
