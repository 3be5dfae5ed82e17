//! Times of day and calendar days.
//!
//! GTFS times are measured from "noon minus 12 h" of the service day and may exceed 24:00:00
//! for runs that continue past midnight. We keep them as seconds in a `u32`.

use std::fmt;

/// Seconds since the start of a service day (may exceed 86 400).
pub type Secs = u32;

/// Seconds in a day.
pub const DAY: Secs = 86_400;

/// Largest time of day we accept (GTFS allows > 24 h; a week is far beyond any real feed).
pub const MAX_TIME: Secs = 7 * DAY;

/// Why a GTFS time string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time of the form H:MM:SS (hours may exceed 24)")]
pub struct TimeParseError(pub String);

/// Parses `H:MM:SS` or `HH:MM:SS` (hours may exceed 24). Surrounding spaces are accepted.
pub fn parse_time(s: &str) -> Result<Secs, TimeParseError> {
    let err = || TimeParseError(s.to_string());
    let t = s.trim();
    let mut parts = t.split(':');
    let (h, m, sec) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(m), Some(sec), None) => (h, m, sec),
        _ => return Err(err()),
    };
    let num = |p: &str, max_len: usize| -> Option<u32> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let h = num(h, 3).ok_or_else(err)?;
    let m = num(m, 2).ok_or_else(err)?;
    let sec = num(sec, 2).ok_or_else(err)?;
    if m > 59 || sec > 59 {
        return Err(err());
    }
    let total = h * 3600 + m * 60 + sec;
    if total > MAX_TIME {
        return Err(err());
    }
    Ok(total)
}

/// Parses `HH:MM` or `HH:MM:SS`, as people type times of day.
pub fn parse_clock(s: &str) -> Result<Secs, TimeParseError> {
    let t = s.trim();
    if t.matches(':').count() == 1 {
        parse_time(&format!("{t}:00"))
    } else {
        parse_time(t)
    }
}

/// A time formatted as `HH:MM:SS` (hours may exceed 24).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hms(pub Secs);

impl fmt::Display for Hms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

impl fmt::Debug for Hms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A time formatted as `HH:MM` (seconds dropped), for riders.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Hm(pub Secs);

impl fmt::Display for Hm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "{:02}:{:02}", s / 3600, s / 60 % 60)
    }
}

/// A calendar day as the number of days since 1970-01-01 (negative before).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day of a calendar date.
    pub fn from_date(d: chrono::NaiveDate) -> Day {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
        Day(i32::try_from(d.signed_duration_since(epoch).num_days()).unwrap_or(i32::MAX))
    }
    /// The calendar date of this day.
    pub fn date(self) -> chrono::NaiveDate {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
        epoch + chrono::TimeDelta::days(i64::from(self.0))
    }
    /// Parses `YYYYMMDD` (GTFS) or `YYYY-MM-DD` (ISO).
    pub fn parse(s: &str) -> Option<Day> {
        let t = s.trim();
        let d = if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
            chrono::NaiveDate::parse_from_str(t, "%Y%m%d").ok()?
        } else {
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?
        };
        Some(Day::from_date(d))
    }
    /// Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        (self.0 + 3).rem_euclid(7) as u32
    }
    /// The day `n` days later (earlier if negative).
    pub fn offset(self, n: i32) -> Day {
        Day(self.0 + n)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.date().format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gtfs_times() {
        let ok = [
            ("00:00:00", 0),
            ("8:05:09", 8 * 3600 + 5 * 60 + 9),
            (" 25:30:00 ", 25 * 3600 + 30 * 60),
            ("100:00:00", 100 * 3600),
        ];
        for (s, want) in ok {
            assert_eq!(parse_time(s), Ok(want), "{s}");
        }
        for bad in [
            "",
            "8:05",
            "08:60:00",
            "08:00:61",
            "a:00:00",
            "-1:00:00",
            "08:00:00:00",
            "1000:00:00",
            "08:5:00x",
        ] {
            assert!(parse_time(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn formats_round_trip() {
        for s in [0, 59, 3600, 86_399, 90_000] {
            assert_eq!(parse_time(&Hms(s).to_string()), Ok(s));
        }
        assert_eq!(Hm(8 * 3600 + 59).to_string(), "08:00");
        assert_eq!(parse_clock("7:30"), Ok(7 * 3600 + 30 * 60));
    }

    #[test]
    fn days_and_weekdays() {
        let d = Day::parse("20261123").unwrap();
        assert_eq!(d, Day::parse("2026-11-23").unwrap());
        assert_eq!(d.weekday(), 0, "2026-11-23 is a Monday");
        assert_eq!(d.to_string(), "2026-11-23");
        assert_eq!(Day::parse("19700101"), Some(Day(0)));
        assert_eq!(Day::parse("19691231"), Some(Day(-1)));
        assert_eq!(Day(-1).weekday(), 2);
        assert!(Day::parse("20261331").is_none());
        assert!(Day::parse("tomorrow").is_none());
    }
}
