//! Local times as every door takes them — one parser for the HTTP API's parameters and bodies,
//! `paradero plan`, what riders type to the bot and the phone's router offline.

use i18n::Lang;
use timetable::{DAY, Day, Secs};

/// How a rider typed it (the bot), as opposed to an API's exact form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Typed {
    /// Seconds after midnight now.
    pub now: Secs,
    /// A bare time already past (by more than five minutes) means tomorrow: a trip, not a
    /// report of something that happened.
    pub future: bool,
}

/// What is wrong with a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    /// Not a date.
    #[error("not a date: {0}")]
    BadDate(String),
    /// Not a time of day (or not a date and time).
    #[error("not a time: {0}")]
    BadTime(String),
}

impl WhenError {
    /// The message in `lang`, naming the text.
    pub fn localized(&self, lang: Lang) -> String {
        match self {
            WhenError::BadDate(t) => i18n::t(lang, "error.bad_date", &[("text", t)]),
            WhenError::BadTime(t) => i18n::t(lang, "error.bad_time", &[("text", t)]),
        }
    }
}

/// A local time: `YYYY-MM-DDTHH:MM[:SS]`, or `HH:MM[:SS]` on `today`. Typed by a rider
/// (`typed`), also `YYYY-MM-DD HH:MM`, `DD/MM[/YYYY] HH:MM` (this year when left out), and a
/// bare time already past may mean tomorrow ([`Typed::future`]). Times of day are below
/// 24:00.
pub fn parse(s: &str, today: Day, typed: Option<Typed>) -> Result<(Day, Secs), WhenError> {
    let s = s.trim();
    let bad_time = || WhenError::BadTime(s.to_string());
    let split = match (s.split_once('T'), typed) {
        (Some(dt), _) => Some(dt),
        (None, Some(_)) => {
            let mut parts = s.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(d), Some(t), None) => Some((d, t)),
                (Some(_), None, None) => None,
                _ => return Err(bad_time()),
            }
        }
        (None, None) => None,
    };
    let clock = |t: &str| match timetable::time::parse_clock(t) {
        Ok(secs) if secs < DAY => Ok(secs),
        _ => Err(bad_time()),
    };
    let Some((date, time)) = split else {
        let secs = clock(s)?;
        let past = typed.is_some_and(|t| t.future && secs as i64 + 300 < t.now as i64);
        return Ok((if past { today.offset(1) } else { today }, secs));
    };
    let day = match Day::parse(date) {
        Some(d) => d,
        None if typed.is_some() => day_month(date, today).ok_or_else(bad_time)?,
        None => return Err(WhenError::BadDate(date.to_string())),
    };
    Ok((day, clock(time)?))
}

/// `DD/MM[/YYYY]`, the year of `today` when left out.
fn day_month(s: &str, today: Day) -> Option<Day> {
    let mut f = s.split('/');
    let (d, m) = (
        f.next()?.parse::<u32>().ok()?,
        f.next()?.parse::<u32>().ok()?,
    );
    let y = match f.next() {
        Some(y) => y.parse::<i32>().ok()?,
        None => today.to_string().get(..4)?.parse().ok()?,
    };
    if f.next().is_some() {
        return None;
    }
    Day::parse(&format!("{y:04}-{m:02}-{d:02}"))
}
