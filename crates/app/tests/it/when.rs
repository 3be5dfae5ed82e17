//! One parser for local times, as each door takes them.

use app::when::{Typed, WhenError, parse};
use timetable::Day;

fn d(s: &str) -> Day {
    Day::parse(s).unwrap()
}

/// Today 2026-11-22, 10:00.
const NOW: u32 = 10 * 3600;

fn check(s: &str, typed: Option<Typed>, expected: Option<(&str, u32)>) {
    let today = d("2026-11-22");
    let got = parse(s, today, typed).ok();
    assert_eq!(got, expected.map(|(day, secs)| (d(day), secs)), "{s:?}");
}

#[test]
fn the_api_and_the_command_line_take_an_exact_form() {
    for (s, expected) in [
        ("08:00", Some(("2026-11-22", 8 * 3600))),
        ("23:59:59", Some(("2026-11-22", 86_399))),
        ("2026-11-23T08:00", Some(("2026-11-23", 8 * 3600))),
        ("2026-11-23T08:00:30", Some(("2026-11-23", 8 * 3600 + 30))),
        // Riders' forms are not the API's.
        ("2026-11-23 08:00", None),
        ("23/11 08:00", None),
        ("24:00", None),
        ("2026-02-30T08:00", None),
        ("", None),
    ] {
        check(s, None, expected);
    }
    // The error names what is wrong.
    let today = d("2026-11-22");
    assert_eq!(
        parse("2026-13-01T08:00", today, None),
        Err(WhenError::BadDate("2026-13-01".into()))
    );
    assert_eq!(
        parse("8h", today, None),
        Err(WhenError::BadTime("8h".into()))
    );
}

#[test]
fn riders_type_times_and_dates_their_way() {
    let trip = Some(Typed {
        now: NOW,
        future: true,
    });
    let report = Some(Typed {
        now: NOW,
        future: false,
    });
    for (s, typed, expected) in [
        // A trip time already past means tomorrow; a report time stays today.
        ("08:00", trip, Some(("2026-11-23", 8 * 3600))),
        ("08:00", report, Some(("2026-11-22", 8 * 3600))),
        // Five minutes of grace: "now" typed a little late is still today.
        ("09:56", trip, Some(("2026-11-22", 9 * 3600 + 56 * 60))),
        (" 18:30 ", trip, Some(("2026-11-22", 18 * 3600 + 1800))),
        (
            "2026-11-21 07:45",
            report,
            Some(("2026-11-21", 7 * 3600 + 45 * 60)),
        ),
        (
            "2026-11-21T07:45",
            report,
            Some(("2026-11-21", 7 * 3600 + 45 * 60)),
        ),
        (
            "21/11 07:45",
            report,
            Some(("2026-11-21", 7 * 3600 + 45 * 60)),
        ),
        ("1/1/2026 00:00", report, Some(("2026-01-01", 0))),
        ("", trip, None),
        ("25:99", trip, None),
        ("24:00", trip, None),
        ("mañana", trip, None),
        ("31/02 10:00", trip, None),
        ("1/1/2026/5 10:00", trip, None),
        ("10:00 11:00 12:00", trip, None),
        ("x 10:00", trip, None),
    ] {
        check(s, typed, expected);
    }
}
