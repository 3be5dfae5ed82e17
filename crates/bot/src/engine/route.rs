//! `/ruta`: from, to, when; then the plan (three itineraries), "later" and "rate this trip".

use super::places::Picked;
use super::{Engine, EngineError, Flow, Input, Keyboard, Limit, Out, Turn, typed_when};
use crate::dialogue::*;
use crate::dialogue::{LastTrip, Place};
use app::{AgeBand, Channel, Gender};
use app::{Coord, Day, StopIdx, Timetable};
use i18n::{Lang, t};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

impl Engine {
    /// Whether a trip lies within the rider's city (else says so, with how to change it); a
    /// rider who never chose one is from now on in the city they plan from.
    fn within_city(&self, turn: &mut Turn, ds: &Arc<app::Dataset>, req: &app::PlanRequest) -> bool {
        if let Err(e) = self.app.check_city(ds, req, turn.state.city.as_deref()) {
            turn.out.push(Out::text(format!(
                "{}\n{}",
                e.detail(),
                t(turn.lang, "bot.city.hint", &[])
            )));
            return false;
        }
        if turn.state.city.is_none() {
            let views = self.app.cities_of(ds);
            if views.len() > 1 {
                turn.state.city = app::cities::of_endpoint(&views, &ds.timetable, &req.from)
                    .map(|i| views[i].id.clone());
            }
        }
        true
    }

    /// `/ruta`'s questions; also the "later" button of a plan shown.
    pub(super) async fn route_step(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        step: RouteStep,
        input: Input,
    ) -> Result<Flow, EngineError> {
        let lang = turn.lang;
        match (step, input) {
            (RouteStep::From { choices }, input) => {
                match self.place(lang, &choices, input, true, turn.state.city.as_deref()) {
                    Picked::One(from) => {
                        turn.go(RouteStep::To {
                            from,
                            choices: vec![],
                        });
                    }
                    Picked::Many(choices, out) => {
                        turn.out.push(out);
                        turn.go(RouteStep::From { choices });
                        return Ok(Flow::Done);
                    }
                    Picked::Nothing(msg) => {
                        turn.out.push(Out::text(msg));
                        turn.go(RouteStep::From { choices });
                    }
                }
                self.ask(turn);
            }
            (RouteStep::To { from, choices }, input) => {
                match self.place(lang, &choices, input, true, turn.state.city.as_deref()) {
                    Picked::One(to) => turn.go(RouteStep::When { from, to }),
                    Picked::Many(choices, out) => {
                        turn.out.push(out);
                        turn.go(RouteStep::To { from, choices });
                        return Ok(Flow::Done);
                    }
                    Picked::Nothing(msg) => {
                        turn.out.push(Out::text(msg));
                        turn.go(RouteStep::To { from, choices });
                    }
                }
                self.ask(turn);
            }
            (RouteStep::When { from, to }, input) => {
                let tt = self.app.dataset().timetable.clone();
                let (today, now) = app::clock::now(&tt);
                let when = match &input {
                    Input::Button(b) if b == "when:now" => Some((today, now as i32)),
                    Input::Text(s) => typed_when(s, today, now, true),
                    _ => None,
                };
                match when {
                    Some((day, secs)) => {
                        let trip = Trip {
                            from,
                            to,
                            day,
                            secs,
                            safer: false,
                        };
                        self.plan(chat, rider, turn, trip).await?;
                    }
                    None => {
                        let key = if matches!(input, Input::Button(_)) {
                            "bot.stale"
                        } else {
                            "bot.bad_time"
                        };
                        turn.out.push(Out::text(t(lang, key, &[])));
                        turn.go(RouteStep::When { from, to });
                        self.ask(turn);
                    }
                }
            }
        }
        Ok(Flow::Done)
    }

    /// The route's questions.
    pub(super) fn route_prompt(&self, lang: Lang, step: &RouteStep) -> Out {
        match step {
            RouteStep::From { .. } => Out {
                text: t(lang, "bot.ask.from", &[]),
                keyboard: Keyboard::AskLocation(t(lang, "bot.share_location", &[])),
            },
            RouteStep::To { from, .. } => Out {
                text: t(lang, "bot.ask.to", &[("from", &from.label)]),
                keyboard: Keyboard::AskLocation(t(lang, "bot.share_location", &[])),
            },
            RouteStep::When { from, to } => Out::buttons(
                t(
                    lang,
                    "bot.ask.when_route",
                    &[("from", &from.label), ("to", &to.label)],
                ),
                vec![vec![(t(lang, "bot.leave_now", &[]), "when:now".into())]],
            ),
        }
    }

    pub(super) fn endpoint(tt: &Timetable, p: &Place) -> Option<app::Endpoint> {
        if let Some((lat, lon)) = p.point {
            return Coord::new(lat, lon).ok().map(app::Endpoint::Coord);
        }
        let stops: Vec<StopIdx> = p.stops.iter().filter_map(|s| tt.stop_by_id(s)).collect();
        (!stops.is_empty()).then_some(app::Endpoint::Stops(stops))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn plan(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        trip: Trip,
    ) -> Result<(), EngineError> {
        let Trip {
            from,
            to,
            day,
            secs,
            safer,
        } = trip;
        let lang = turn.lang;
        let max = self.settings.plans_per_minute;
        let limited = self
            .limits
            .lock()
            .map_err(|_| EngineError::Internal("limits poisoned".into()))?
            .take(chat, Limit::Plan, max, Duration::from_secs(60));
        if let Err(secs) = limited {
            turn.out.push(Out::text(t(
                lang,
                "bot.limited.plans",
                &[("seconds", &secs)],
            )));
            return Ok(());
        }
        let ds = self.app.dataset();
        let tt = Arc::clone(&ds.timetable);
        let (Some(fe), Some(te)) = (Self::endpoint(&tt, &from), Self::endpoint(&tt, &to)) else {
            // The timetable was reloaded and the stops are gone.
            turn.out.push(Out::text(t(lang, "bot.stale", &[])));
            return Ok(());
        };
        let (day, secs) = if secs >= 86_400 {
            (day.offset(1), secs - 86_400)
        } else {
            (day, secs.max(0))
        };
        let req = app::PlanRequest {
            from: fe.clone(),
            to: te.clone(),
            day,
            time: secs as u32,
            arrive_by: false,
            window_secs: None,
            options: self.app.settings().routing.clone(),
            lang,
            safer,
        };
        let profile = turn.state.profile.as_ref().map(|p| app::Profile {
            gender: p.gender.as_deref().and_then(|g| Gender::from_str(g).ok()),
            age_band: p
                .age_band
                .as_deref()
                .and_then(|a| AgeBand::from_str(a).ok()),
            disability: p.disability,
            caregiver: p.caregiver,
            purpose: None,
        });
        let asker = app::trips::Asker {
            channel: Channel::Bot,
            profile,
            rider: Some(rider.to_string()),
        };
        if !self.within_city(turn, &ds, &req) {
            return Ok(());
        }
        let result = match self.app.plan_trip(Arc::clone(&ds), req, asker).await {
            Err(app::Error::Plan { detail, .. }) => Err(detail),
            Err(e) => return Err(EngineError::Internal(e.detail().to_string())),
            Ok(plan) => Ok(plan),
        };
        match result {
            Err(detail) => turn.out.push(Out::text(detail)),
            Ok(plan) if plan.itineraries.is_empty() => {
                turn.out.push(Out::text(t(lang, "plan.none", &[])));
            }
            Ok(plan) if safer => {
                let text = match &plan.safer {
                    Some(s) => format!(
                        "{}\n{}\n\n{}",
                        t(lang, "bot.safer.header", &[]),
                        s.summary,
                        app::render_itinerary(lang, 1, &s.itinerary).trim_end()
                    ),
                    None => t(lang, "bot.safer.same", &[]),
                };
                turn.out.push(Out::text(text));
            }
            Ok(plan) => {
                let shown: Vec<&app::Itinerary> = plan.itineraries.iter().take(3).collect();
                let mut text = t(
                    lang,
                    "bot.plan.header",
                    &[("from", &from.label), ("to", &to.label)],
                );
                for note in app::plan_notes(lang, &plan) {
                    text.push('\n');
                    text.push_str(&note);
                }
                for (i, it) in shown.iter().enumerate() {
                    text.push_str("\n\n");
                    text.push_str(app::render_option(lang, i + 1, it, &plan.date).trim_end());
                }
                let next = shown
                    .iter()
                    .map(|i| i.departure_secs)
                    .max()
                    .unwrap_or(secs)
                    .max(secs)
                    + 60;
                let mut routes: Vec<String> = Vec::new();
                for it in &shown {
                    for l in &it.legs {
                        if let app::ItineraryLeg::Ride { route_id, .. } = l
                            && !routes.contains(route_id)
                        {
                            routes.push(route_id.clone());
                        }
                    }
                }
                let mut buttons = vec![vec![(t(lang, "bot.later", &[]), "later".to_string())]];
                if !routes.is_empty() {
                    buttons.push(vec![(t(lang, "bot.rate_trip", &[]), "rate".to_string())]);
                }
                if self.app.risk().is_some() {
                    buttons.push(vec![(t(lang, "bot.safer", &[]), "safer".to_string())]);
                }
                if self.settings.web_url.is_some() {
                    buttons.push(vec![(t(lang, "bot.share", &[]), "share".to_string())]);
                }
                turn.out.push(Out::buttons(text, buttons));
                turn.state.last_trip = Some(LastTrip {
                    from,
                    to,
                    day: day.to_string(),
                    next_secs: next,
                    asked_secs: secs,
                    routes,
                });
            }
        }
        Ok(())
    }

    /// The last trip asked, planned again: later departures (from just after the last shown),
    /// or (`safer`) the safer way at the time first asked.
    pub(super) async fn plan_again(
        &self,
        chat: i64,
        rider: &str,
        turn: &mut Turn,
        safer: bool,
    ) -> Result<(), EngineError> {
        let last = turn.state.last_trip.clone();
        let Some((day, last)) = last.and_then(|l| Some((Day::parse(&l.day)?, l))) else {
            turn.out.push(Out::text(t(turn.lang, "bot.stale", &[])));
            return Ok(());
        };
        let trip = Trip {
            from: last.from,
            to: last.to,
            day,
            secs: if safer {
                last.asked_secs
            } else {
                last.next_secs
            },
            safer,
        };
        self.plan(chat, rider, turn, trip).await
    }

    /// "Share my trip": a link to the first option of the last trip asked (planned again at
    /// the same time, and not counted as another trip). The trip is in the link itself; the
    /// server keeps nothing, and the link shows nothing after the trip's arrival plus the
    /// configured hours.
    pub(super) async fn share(&self, turn: &mut Turn) -> Result<(), EngineError> {
        let lang = turn.lang;
        let (Some(last), Some(web)) = (turn.state.last_trip.clone(), &self.settings.web_url) else {
            turn.out.push(Out::text(t(lang, "bot.stale", &[])));
            return Ok(());
        };
        let ds = self.app.dataset();
        let tt = Arc::clone(&ds.timetable);
        let (Some(day), Some(fe), Some(te)) = (
            Day::parse(&last.day),
            Self::endpoint(&tt, &last.from),
            Self::endpoint(&tt, &last.to),
        ) else {
            turn.out.push(Out::text(t(lang, "bot.stale", &[])));
            return Ok(());
        };
        let req = app::PlanRequest {
            from: fe,
            to: te,
            day,
            time: last.asked_secs.max(0) as u32,
            arrive_by: false,
            window_secs: None,
            options: self.app.settings().routing.clone(),
            lang,
            safer: false,
        };
        let plan = match self.app.plan(ds, req).await {
            Err(app::Error::Plan { .. }) => None,
            Err(e) => return Err(EngineError::Internal(e.detail().to_string())),
            Ok(plan) => Some(plan),
        };
        let hours = self.settings.share_hours_after_arrival;
        let link = plan.and_then(|p| {
            let it = p.itineraries.first()?;
            Some((
                app::share::link(web, lang, it, hours)?,
                it.arrival.get(11..16).unwrap_or("").to_string(),
            ))
        });
        let text = match link {
            Some((url, arrival)) => t(
                lang,
                "bot.share.link",
                &[
                    ("arrival", &arrival),
                    ("hours", &format!("{hours}")),
                    ("url", &url),
                ],
            ),
            None => t(lang, "bot.stale", &[]),
        };
        turn.out.push(Out::text(text));
        Ok(())
    }
}

/// A trip to plan: between two places, from a time of a service day, the fastest or the safer.
pub(super) struct Trip {
    from: Place,
    to: Place,
    day: Day,
    /// Seconds after midnight of `day` (past 24 h: the next day).
    secs: i32,
    safer: bool,
}
