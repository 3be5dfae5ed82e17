//! `frequencies.txt`: which trips are templates repeated at a headway.

use super::{ns, parse_num};
use crate::table::Table;
use crate::{GtfsError, Warnings};
use timetable::time::parse_time;
use timetable::*;

/// Turns the trips it names into frequency templates (after the trips are added).
pub(crate) fn read(
    b: &mut TimetableBuilder,
    t: &Table,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (f_trip, f_start, f_end, f_hw) = (
        t.required("trip_id")?,
        t.required("start_time")?,
        t.required("end_time")?,
        t.required("headway_secs")?,
    );
    let f_exact = t.col("exact_times");
    for row in t.rows() {
        let trip_id = t.need(row, f_trip)?;
        let time = |c| -> Result<Secs, GtfsError> {
            let v = t.need(row, c)?;
            parse_time(v).map_err(|e| t.field_error(row, c, e.to_string()))
        };
        let (start, end) = (time(f_start)?, time(f_end)?);
        let headway: Secs = parse_num(t, row, f_hw)?
            .ok_or_else(|| t.field_error(row, f_hw, "is empty but required"))?;
        let exact = match row.get(f_exact) {
            None | Some("0") => false,
            Some("1") => true,
            Some(v) => {
                w.push("frequency_bad_exact_times", || {
                    format!("{}: exact_times `{v}` is not 0 or 1; read as 0", t.at(row))
                });
                false
            }
        };
        let Some(trip) = b.trip(&ns(feed_id, trip_id)) else {
            w.push("frequency_unknown_trip", || {
                format!(
                    "{}: trip `{trip_id}` unknown or skipped; row skipped",
                    t.at(row)
                )
            });
            continue;
        };
        if let Err(e) = b.add_frequency(trip, start, end, headway, exact) {
            w.push("frequency_empty_window", || {
                format!("{}: {e}; row skipped", t.at(row))
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::table;

    #[test]
    fn rows_for_unknown_trips_or_with_bad_values_are_counted_or_refused() {
        let mut b = TimetableBuilder::new();
        let t = table(
            "frequencies.txt",
            "trip_id,start_time,end_time,headway_secs,exact_times\nzz,06:00:00,09:00:00,300,2\n",
        );
        let mut w = Warnings::default();
        read(&mut b, &t, "f", &mut w).unwrap();
        assert_eq!(w.count("frequency_unknown_trip"), 1);
        assert_eq!(w.count("frequency_bad_exact_times"), 1);
        let t = table(
            "frequencies.txt",
            "trip_id,start_time,end_time,headway_secs\nzz,06:00:00,09:00:00,\n",
        );
        let e = read(&mut b, &t, "f", &mut Warnings::default()).unwrap_err();
        assert!(e.to_string().contains("required"), "{e}");
        let t = table(
            "frequencies.txt",
            "trip_id,start_time,end_time,headway_secs\nzz,06:00:00,09:00:00,cinco\n",
        );
        let e = read(&mut b, &t, "f", &mut Warnings::default()).unwrap_err();
        assert!(e.to_string().contains("not a valid number"), "{e}");
    }
}
