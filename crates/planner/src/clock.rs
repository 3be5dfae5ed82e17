//! Local time: the one place that turns the timetable's service days and seconds into the
//! feed's wall clock and back, for every front door (HTTP, the chatbot) and the observatory.
//! Times are local to the feeds' agency timezone (one per timetable).

use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;
use timetable::{DAY, Day, Secs, Timetable};

/// The timetable's timezone (its first feed's agency timezone; Lima if unreadable, which the
/// loader does not let happen).
pub fn timezone(tt: &Timetable) -> Tz {
    tt.feeds()
        .first()
        .and_then(|f| f.timezone.parse().ok())
        .unwrap_or(chrono_tz::America::Lima)
}

/// "Now" in the feed's timezone, as a service day and seconds after midnight.
pub fn now(tt: &Timetable) -> (Day, Secs) {
    at_unix(tt, chrono::Utc::now().timestamp())
}

/// The local day and seconds after midnight of a Unix time, in the feed's timezone (the
/// phone's router reads its clock from the page: WebAssembly has none of its own).
pub fn at_unix(tt: &Timetable, t: i64) -> (Day, Secs) {
    let t = chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&timezone(tt));
    (
        Day::from_date(t.date_naive()),
        t.num_seconds_from_midnight(),
    )
}

fn naive(day: Day, secs: i64) -> chrono::NaiveDateTime {
    day.date().and_hms_opt(0, 0, 0).unwrap_or_default() + chrono::Duration::seconds(secs)
}

/// Unix seconds of a local (day, seconds) in the feed's timezone.
pub fn local_to_unix(tt: &Timetable, day: Day, secs: Secs) -> i64 {
    timezone(tt)
        .from_local_datetime(&naive(day, i64::from(secs)))
        .earliest()
        .map_or(0, |t| t.timestamp())
}

/// A Unix time as local `YYYY-MM-DD HH:MM` in the feed's timezone.
pub fn local_datetime(tt: &Timetable, t: i64) -> String {
    timezone(tt)
        .timestamp_opt(t, 0)
        .single()
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

/// A Unix time as RFC 3339 with the feed's offset then (`2026-12-02T08:01:07-05:00`).
pub fn unix_rfc3339(tt: &Timetable, t: i64) -> String {
    timezone(tt).timestamp_opt(t, 0).single().map_or_else(
        || t.to_string(),
        |d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
    )
}

/// A Unix time as local `YYYY-MM-DDTHH:MM` in the feed's timezone (what the API takes).
pub fn local_iso(tt: &Timetable, t: i64) -> String {
    timezone(tt)
        .timestamp_opt(t, 0)
        .single()
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%dT%H:%M").to_string())
}

/// A Unix time as the local date a rider reads, `DD/MM/YYYY`.
pub fn local_date(tt: &Timetable, t: i64) -> String {
    timezone(tt)
        .timestamp_opt(t, 0)
        .single()
        .map_or_else(|| t.to_string(), |d| d.format("%d/%m/%Y").to_string())
}

/// Local date and hour of a Unix time in the feed's timezone.
pub fn unix_to_local(tt: &Timetable, t: i64) -> (String, u8) {
    match timezone(tt).timestamp_opt(t, 0).single() {
        Some(d) => (d.date_naive().to_string(), d.hour() as u8),
        None => (String::new(), 0),
    }
}

/// `day` + seconds (negative or past midnight allowed) as RFC 3339 with the offset in force
/// then (`2026-12-02T08:01:07-05:00`), as OpenTripPlanner and MOTIS write times. A local time
/// that a DST jump skips takes the offset from before the jump.
pub fn rfc3339(tz: Tz, day: Day, secs: i32) -> String {
    let d = day.offset(secs.div_euclid(DAY as i32));
    let s = secs.rem_euclid(DAY as i32);
    let local = naive(d, i64::from(s));
    let at = tz.from_local_datetime(&local).earliest().or_else(|| {
        tz.from_local_datetime(&(local - chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t + chrono::Duration::hours(1))
    });
    match at {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => local.format("%Y-%m-%dT%H:%M:%S").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_carries_the_offset_and_rolls_over_midnight() {
        let day = Day::parse("2026-12-02").unwrap();
        let lima = chrono_tz::America::Lima;
        assert_eq!(
            rfc3339(lima, day, 8 * 3600 + 67),
            "2026-12-02T08:01:07-05:00"
        );
        assert_eq!(rfc3339(lima, day, 25 * 3600), "2026-12-03T01:00:00-05:00");
        assert_eq!(rfc3339(lima, day, -60), "2026-12-01T23:59:00-05:00");
        // São Paulo had DST until 2019: the offset follows the date.
        let sp = chrono_tz::America::Sao_Paulo;
        assert_eq!(
            rfc3339(sp, Day::parse("2018-12-01").unwrap(), 12 * 3600),
            "2018-12-01T12:00:00-02:00"
        );
        assert_eq!(
            rfc3339(sp, Day::parse("2018-07-01").unwrap(), 12 * 3600),
            "2018-07-01T12:00:00-03:00"
        );
        // 2018-11-04 00:30 did not exist in São Paulo (clocks jumped from 00:00 to 01:00).
        assert_eq!(
            rfc3339(sp, Day::parse("2018-11-04").unwrap(), 1800),
            "2018-11-04T01:30:00-02:00"
        );
        // Parses back as RFC 3339.
        let s = rfc3339(lima, day, 3600);
        assert!(chrono::DateTime::parse_from_rfc3339(&s).is_ok(), "{s}");
    }
}
