//! `calendar.txt` and `calendar_dates.txt`: the days each service runs.

use crate::table::{Row, Table};
use crate::{GtfsError, Warnings};
use std::collections::HashMap;
use timetable::*;

/// The days of each service, by its id: `calendar.txt`'s weeks with `calendar_dates.txt`'s
/// exceptions; a feed needs at least one of the two files.
pub(crate) fn read(
    cal: Option<&Table>,
    dates: Option<&Table>,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<HashMap<String, ServiceDays>, GtfsError> {
    struct Svc {
        weekdays: [bool; 7],
        start: Day,
        end: Day,
        added: Vec<Day>,
        removed: Vec<Day>,
    }
    let mut svcs: HashMap<String, Svc> = HashMap::new();
    let date = |t: &Table, row: Row<'_>, c| -> Result<Day, GtfsError> {
        let v = t.need(row, c)?;
        Day::parse(v).ok_or_else(|| t.field_error(row, c, format!("`{v}` is not a date YYYYMMDD")))
    };
    if cal.is_none() && dates.is_none() {
        return Err(GtfsError::MissingFile {
            feed: feed_id.to_string(),
            file: "calendar.txt",
        });
    }
    if let Some(t) = cal {
        let id = t.required("service_id")?;
        const DAYS: [&str; 7] = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        let cols: Vec<_> = DAYS
            .iter()
            .map(|d| t.required(d))
            .collect::<Result<_, _>>()?;
        let (c_start, c_end) = (t.required("start_date")?, t.required("end_date")?);
        for row in t.rows() {
            let Some(sid) = row.get(id) else { continue };
            let mut weekdays = [false; 7];
            for (i, c) in cols.iter().enumerate() {
                weekdays[i] = match row.get(*c) {
                    Some("1") => true,
                    Some("0") | None => false,
                    Some(v) => return Err(t.field_error(row, *c, format!("`{v}` is not 0 or 1"))),
                };
            }
            let (start, end) = (date(t, row, c_start)?, date(t, row, c_end)?);
            if end < start {
                w.push("calendar_end_before_start", || {
                    format!(
                        "{}: service `{sid}` ends before it starts; it has no regular days",
                        t.at(row)
                    )
                });
            }
            svcs.insert(
                sid.to_string(),
                Svc {
                    weekdays,
                    start,
                    end,
                    added: Vec::new(),
                    removed: Vec::new(),
                },
            );
        }
    }
    if let Some(t) = dates {
        let (id, c_date, c_type) = (
            t.required("service_id")?,
            t.required("date")?,
            t.required("exception_type")?,
        );
        for row in t.rows() {
            let Some(sid) = row.get(id) else { continue };
            let d = date(t, row, c_date)?;
            let svc = svcs.entry(sid.to_string()).or_insert_with(|| Svc {
                weekdays: [false; 7],
                start: Day(0),
                end: Day(-1),
                added: Vec::new(),
                removed: Vec::new(),
            });
            match row.get(c_type) {
                Some("1") => svc.added.push(d),
                Some("2") => svc.removed.push(d),
                other => w.push("calendar_date_bad_type", || {
                    format!(
                        "{}: exception_type {other:?} is not 1 or 2; row skipped",
                        t.at(row)
                    )
                }),
            }
        }
    }
    Ok(svcs
        .into_iter()
        .map(|(k, s)| {
            (
                k,
                ServiceDays::from_calendar(s.weekdays, s.start, s.end, &s.added, &s.removed),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::table;

    const CAL: &str =
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n";

    #[test]
    fn weeks_with_exceptions_and_services_of_dates_alone() {
        let cal = table(
            "calendar.txt",
            &format!("{CAL}lv,1,1,1,1,1,0,0,20260105,20260131\n"),
        );
        let dates = table(
            "calendar_dates.txt",
            "service_id,date,exception_type\nlv,20260106,2\nlv,20260110,1\nfiesta,20260128,1\nlv,20260107,9\n",
        );
        let mut w = Warnings::default();
        let s = read(Some(&cal), Some(&dates), "f", &mut w).unwrap();
        let day = |d| Day::parse(d).unwrap();
        assert!(s["lv"].contains(day("20260105")), "a Monday");
        assert!(!s["lv"].contains(day("20260106")), "removed");
        assert!(s["lv"].contains(day("20260110")), "an added Saturday");
        assert!(!s["lv"].contains(day("20260111")), "a Sunday");
        assert!(!s["lv"].contains(day("20260202")), "after the end");
        assert!(s["fiesta"].contains(day("20260128")));
        assert!(!s["fiesta"].contains(day("20260127")));
        assert_eq!(w.count("calendar_date_bad_type"), 1);
    }

    #[test]
    fn no_calendar_file_or_a_bad_value_is_an_error() {
        let e = read(None, None, "f", &mut Warnings::default()).unwrap_err();
        assert!(
            matches!(
                e,
                GtfsError::MissingFile {
                    file: "calendar.txt",
                    ..
                }
            ),
            "{e}"
        );
        let cal = table(
            "calendar.txt",
            &format!("{CAL}lv,1,sí,1,1,1,0,0,20260105,20260131\n"),
        );
        let e = read(Some(&cal), None, "f", &mut Warnings::default()).unwrap_err();
        assert!(e.to_string().contains("is not 0 or 1"), "{e}");
        let cal = table(
            "calendar.txt",
            &format!("{CAL}lv,1,1,1,1,1,0,0,5 de enero,20260131\n"),
        );
        let e = read(Some(&cal), None, "f", &mut Warnings::default()).unwrap_err();
        assert!(e.to_string().contains("YYYYMMDD"), "{e}");
    }

    #[test]
    fn a_calendar_that_ends_before_it_starts_is_counted() {
        let cal = table(
            "calendar.txt",
            &format!("{CAL}lv,1,1,1,1,1,0,0,20260131,20260105\n"),
        );
        let mut w = Warnings::default();
        let s = read(Some(&cal), None, "f", &mut w).unwrap();
        assert!(!s["lv"].contains(Day::parse("20260112").unwrap()));
        assert_eq!(w.count("calendar_end_before_start"), 1);
    }
}
