//! Ride ratings (`POST /v1/ratings`, the bot's `/encuesta`): perceived safety and satisfaction
//! (1–5) for a route and time. ("Surveys" are the questionnaires, in `questionnaires`.)

use crate::{Error, Obs, now_unix, word};
use i18n::Lang;
use store::{AgeBand, Channel, Gender, NewSurvey};
use timetable::Timetable;

/// A rating as given.
#[derive(Debug, Clone)]
pub struct RatingInput<'a> {
    /// The route ridden.
    pub route_id: Option<&'a str>,
    /// "¿Te sientes segura/o?" 1–5.
    pub safety: Option<u8>,
    /// Satisfaction 1–5.
    pub satisfaction: Option<u8>,
    /// When the trip was, Unix seconds; `None`: now.
    pub at: Option<i64>,
    /// Gender word.
    pub gender: Option<&'a str>,
    /// Age band word.
    pub age_band: Option<&'a str>,
    /// Channel.
    pub channel: Channel,
    /// Hashed rider handle (the bot's riders).
    pub rider: Option<String>,
}

/// Checks an answer: at least one score, each 1–5; a known route; a time neither in the
/// future nor more than a year ago.
pub fn validate(
    tt: &Timetable,
    s: &RatingInput<'_>,
    now: i64,
    lang: Lang,
) -> Result<NewSurvey, Error> {
    for (field, v) in [("safety", s.safety), ("satisfaction", s.satisfaction)] {
        if let Some(n) = v.filter(|n| !(1..=5).contains(n)) {
            return Err(Error::Invalid(i18n::t(
                lang,
                "obs.bad_score",
                &[("field", &field), ("text", &n)],
            )));
        }
    }
    if s.safety.is_none() && s.satisfaction.is_none() {
        return Err(Error::Invalid(i18n::t(lang, "obs.no_score", &[])));
    }
    let route = crate::words::route(tt, s.route_id, lang)?;
    let at = s.at.unwrap_or(now);
    if at > now + 300 {
        return Err(Error::Unprocessable(i18n::t(
            lang,
            "obs.future",
            &[("text", &at)],
        )));
    }
    // As for reports: an answer about a trip more than a year ago tells officials nothing.
    if at < now - 366 * 86_400 {
        return Err(Error::Unprocessable(i18n::t(
            lang,
            "obs.too_old",
            &[("text", &at)],
        )));
    }
    Ok(NewSurvey {
        answered_at: now,
        local_hour: planner::clock::unix_to_local(tt, at).1,
        route_id: route,
        safety: s.safety,
        satisfaction: s.satisfaction,
        gender: word::<Gender>(lang, "gender", s.gender)?,
        age_band: word::<AgeBand>(lang, "age_band", s.age_band)?,
        channel: s.channel,
        rider: s.rider.clone(),
    })
}

/// Validates and records an answer.
pub(crate) async fn answer(
    o: &Obs,
    tt: &Timetable,
    s: &RatingInput<'_>,
    lang: Lang,
) -> Result<(), Error> {
    let survey = validate(tt, s, now_unix(), lang)?;
    o.store
        .add_survey(&survey)
        .await
        .map_err(|e| Error::from_store(&e, lang))
}
