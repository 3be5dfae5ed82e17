//! Times and dates as riders type them.

use timetable::Day;

/// `HH:MM` (today; for trips a time already past means tomorrow), `YYYY-MM-DD HH:MM` or
/// `DD/MM[/YYYY] HH:MM`.
pub fn parse_when(s: &str, today: Day, now: i32, future: bool) -> Option<(Day, i32)> {
    let s = s.trim();
    let mut parts = s.split_whitespace();
    let (a, b) = (parts.next()?, parts.next());
    if parts.next().is_some() {
        return None;
    }
    let clock = |x: &str| {
        timetable::time::parse_clock(x)
            .ok()
            .filter(|&c| c < timetable::DAY)
            .map(|c| c as i32)
    };
    match b {
        None => {
            let secs = clock(a)?;
            if future && secs + 300 < now {
                Some((today.offset(1), secs))
            } else {
                Some((today, secs))
            }
        }
        Some(time) => {
            let day = if let Some(d) = Day::parse(a) {
                d
            } else {
                let mut f = a.split('/');
                let (d, m) = (
                    f.next()?.parse::<u32>().ok()?,
                    f.next()?.parse::<u32>().ok()?,
                );
                let y = match f.next() {
                    Some(y) => y.parse::<i32>().ok()?,
                    None => today.to_string().get(..4)?.parse().ok()?,
                };
                Day::parse(&format!("{y:04}-{m:02}-{d:02}"))?
            };
            Some((day, clock(time)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_dates_as_riders_type_them() {
        let today = Day::parse("2026-11-22").unwrap();
        let now = 10 * 3600;
        let d = |s: &str| Day::parse(s).unwrap();
        // A trip time already past means tomorrow; a report time stays today.
        assert_eq!(
            parse_when("08:00", today, now, true),
            Some((d("2026-11-23"), 8 * 3600))
        );
        assert_eq!(
            parse_when("08:00", today, now, false),
            Some((today, 8 * 3600))
        );
        assert_eq!(
            parse_when(" 18:30 ", today, now, true),
            Some((today, 18 * 3600 + 1800))
        );
        assert_eq!(
            parse_when("2026-11-21 07:45", today, now, false),
            Some((d("2026-11-21"), 7 * 3600 + 45 * 60))
        );
        assert_eq!(
            parse_when("21/11 07:45", today, now, false),
            Some((d("2026-11-21"), 7 * 3600 + 45 * 60))
        );
        assert_eq!(
            parse_when("1/1/2026 00:00", today, now, false),
            Some((d("2026-01-01"), 0))
        );
        for bad in [
            "",
            "25:99",
            "24:00",
            "mañana",
            "31/02 10:00",
            "10:00 11:00 12:00",
            "x 10:00",
        ] {
            assert_eq!(parse_when(bad, today, now, true), None, "{bad}");
        }
    }
}
