//! `stop_times.txt`: each trip's stops and times, blank times interpolated.

use super::ns;
use super::trips::Trips;
use crate::table::Table;
use crate::{GtfsError, Warnings};
use std::collections::HashMap;
use timetable::time::parse_time;
use timetable::*;

/// One row of `stop_times.txt` as read.
pub(crate) struct Raw {
    seq: u32,
    line: u64,
    stop: StopIdx,
    arr: Option<Secs>,
    dep: Option<Secs>,
    pickup: bool,
    drop_off: bool,
}

/// Reads the rows of the trips in `trip_specs`, by trip.
pub(crate) fn read<'t>(
    b: &TimetableBuilder,
    st_t: &'t Table,
    trip_specs: &Trips<'_>,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<HashMap<&'t str, Vec<Raw>>, GtfsError> {
    let (c_trip, c_seq, c_stop) = (
        st_t.required("trip_id")?,
        st_t.required("stop_sequence")?,
        st_t.required("stop_id")?,
    );
    let (c_arr, c_dep, c_pick, c_drop) = (
        st_t.col("arrival_time"),
        st_t.col("departure_time"),
        st_t.col("pickup_type"),
        st_t.col("drop_off_type"),
    );
    let mut raw: HashMap<&str, Vec<Raw>> = HashMap::new();
    for row in st_t.rows() {
        let trip = st_t.need(row, c_trip)?;
        if !trip_specs.contains_key(trip) {
            w.push("stop_time_unknown_trip", || {
                format!(
                    "{}: trip `{trip}` not in trips.txt; row skipped",
                    st_t.at(row)
                )
            });
            continue;
        }
        let seq_s = st_t.need(row, c_seq)?;
        let seq: u32 = seq_s.parse().map_err(|_| {
            st_t.field_error(
                row,
                c_seq,
                format!("`{seq_s}` is not a non-negative integer"),
            )
        })?;
        let time = |c| -> Result<Option<Secs>, GtfsError> {
            match row.get(c) {
                None => Ok(None),
                Some(v) => parse_time(v)
                    .map(Some)
                    .map_err(|e| st_t.field_error(row, c, e.to_string())),
            }
        };
        let (arr, dep) = (time(c_arr)?, time(c_dep)?);
        let stop_id = st_t.need(row, c_stop)?;
        let Some(stop) = b.stop(&ns(feed_id, stop_id)) else {
            w.push("stop_time_unknown_stop", || {
                format!(
                    "{}: stop `{stop_id}` not in stops.txt (or skipped); row skipped",
                    st_t.at(row)
                )
            });
            continue;
        };
        let allowed = |c| row.get(c) != Some("1");
        raw.entry(trip).or_default().push(Raw {
            seq,
            line: row.line,
            stop,
            arr: arr.or(dep),
            dep: dep.or(arr),
            pickup: allowed(c_pick),
            drop_off: allowed(c_drop),
        });
    }

    Ok(raw)
}

/// Adds the trips in `trips.txt` order (deterministic indices), each with its rows sorted by
/// sequence, repeated sequences dropped and blank times interpolated between timepoints.
pub(crate) fn assemble(
    b: &mut TimetableBuilder,
    trip_specs: Trips<'_>,
    mut raw: HashMap<&str, Vec<Raw>>,
    feed_id: &str,
    w: &mut Warnings,
) {
    let mut ordered: Vec<(&str, TripSpec, u64)> = trip_specs
        .into_iter()
        .map(|(k, (s, l))| (k, s, l))
        .collect();
    ordered.sort_by_key(|x| x.2);
    for (key, mut spec, line) in ordered {
        let mut rows = raw.remove(key).unwrap_or_default();
        rows.sort_by_key(|r| (r.seq, r.line));
        let before = rows.len();
        rows.dedup_by_key(|r| r.seq);
        if rows.len() < before {
            w.push("stop_time_duplicate_sequence", || format!("{feed_id}/stop_times.txt: trip `{key}` repeats a stop_sequence; later rows skipped"));
        }
        if rows.len() < 2 {
            w.push("trip_too_few_stop_times", || {
                format!("{feed_id}/trips.txt line {line}: trip `{key}` has {} usable stop time(s); trip skipped", rows.len())
            });
            continue;
        }
        let (first, last) = (&rows[0], &rows[rows.len() - 1]);
        if first.arr.is_none() || last.arr.is_none() {
            w.push("trip_untimed_ends", || format!("{feed_id}/trips.txt line {line}: trip `{key}` has no time at its first or last stop; trip skipped"));
            continue;
        }
        let coords: Vec<Coord> = rows.iter().map(|r| b.stops()[r.stop.idx()].coord).collect();
        for blanks in interpolate(&mut rows, &coords) {
            w.push("stop_time_interpolated", || {
                format!(
                    "{feed_id}/stop_times.txt: trip `{key}`: {blanks} blank time(s) interpolated"
                )
            });
        }
        spec.stop_times = rows
            .iter()
            .map(|r| StopTimeSpec {
                stop: r.stop,
                arrival: r.arr.unwrap_or(0),
                departure: r.dep.unwrap_or(0).max(r.arr.unwrap_or(0)),
                pickup: r.pickup,
                drop_off: r.drop_off,
            })
            .collect();
        let id = spec.id.clone();
        if let Err(e) = b.add_trip(spec) {
            w.push(
                match e {
                    timetable::builder::Rejected::TimeTravel { .. } => "trip_time_travel",
                    timetable::builder::Rejected::TooFewStopTimes(_) => "trip_too_few_stop_times",
                    _ => "duplicate_id",
                },
                || format!("{feed_id}/trips.txt line {line}: {e}; trip `{id}` skipped"),
            );
        }
    }
}

/// Fills blank times between two timepoints in proportion to the straight-line distance
/// along the stops (evenly when they stand at one point); the first and last rows are timed.
/// Returns how many blank times each gap had.
fn interpolate(rows: &mut [Raw], coords: &[Coord]) -> Vec<usize> {
    let mut gaps = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        if rows[i].arr.is_some() {
            i += 1;
            continue;
        }
        let a = i - 1;
        let mut z = i;
        while rows[z].arr.is_none() {
            z += 1;
        }
        let cum: Vec<f64> = (a..z)
            .scan(0.0, |acc, k| {
                *acc += coords[k].distance_m(coords[k + 1]);
                Some(*acc)
            })
            .collect();
        let total = *cum.last().unwrap_or(&0.0);
        let (t_a, t_z) = (rows[a].dep.unwrap_or(0), rows[z].arr.unwrap_or(0));
        for k in i..z {
            let frac = if total > 0.0 {
                cum[k - a - 1] / total
            } else {
                (k - a) as f64 / (z - a) as f64
            };
            let t = t_a + ((f64::from(t_z.saturating_sub(t_a))) * frac).round() as Secs;
            rows[k].arr = Some(t);
            rows[k].dep = Some(t);
        }
        gaps.push(z - i);
        i = z;
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::{build, route_and_service, table, with_stops};

    fn raw(stop: usize, seq: u32, t: Option<Secs>) -> Raw {
        Raw {
            seq,
            line: u64::from(seq),
            stop: StopIdx::new(stop),
            arr: t,
            dep: t,
            pickup: true,
            drop_off: true,
        }
    }

    #[test]
    fn blank_times_follow_the_distance_between_timepoints() {
        let c = |lat| Coord::new(lat, -71.5).unwrap();
        // 1 km, then 3 km: the blank stop is a quarter of the way in time.
        let coords = [c(-16.4), c(-16.409), c(-16.436)];
        let mut rows = vec![raw(0, 1, Some(0)), raw(1, 2, None), raw(2, 3, Some(800))];
        assert_eq!(interpolate(&mut rows, &coords), vec![1]);
        assert_eq!(rows[1].arr, Some(200));
        // Stops at one point share the time evenly.
        let same = [c(-16.4), c(-16.4), c(-16.4), c(-16.4)];
        let mut rows = vec![
            raw(0, 1, Some(0)),
            raw(1, 2, None),
            raw(2, 3, None),
            raw(3, 4, Some(300)),
        ];
        assert_eq!(interpolate(&mut rows, &same), vec![2]);
        assert_eq!((rows[1].arr, rows[2].arr), (Some(100), Some(200)));
    }

    fn trips_of(csv: &str, w: &mut Warnings) -> Result<Timetable, GtfsError> {
        let (mut b, _, agencies) = with_stops();
        let services = route_and_service(&mut b, &agencies);
        let trips_t = table(
            "trips.txt",
            "trip_id,route_id,service_id\nt1,r,lv\nt2,r,lv\nt3,r,lv\n",
        );
        let trips = crate::read::trips::read(&b, &trips_t, &services, "f", w)?;
        let st = table("stop_times.txt", csv);
        let raw = read(&b, &st, &trips, "f", w)?;
        assemble(&mut b, trips, raw, "f", w);
        Ok(build(b))
    }

    #[test]
    fn trips_are_kept_only_with_two_timed_ends() {
        let mut w = Warnings::default();
        let tt = trips_of(
            "trip_id,stop_sequence,stop_id,arrival_time,departure_time\n\
             t1,1,1,08:00:00,08:00:00\nt1,2,2,,\nt1,3,3,08:10:00,08:10:00\n\
             t2,1,1,09:00:00,09:00:00\nt2,2,2,,\n\
             t3,1,1,10:00:00,\nt3,1,2,10:05:00,\nt3,2,9,10:09:00,\n\
             t9,1,1,10:00:00,\n",
            &mut w,
        )
        .unwrap();
        assert_eq!(tt.trips().len(), 1, "only t1: {w:?}");
        assert_eq!(w.count("stop_time_interpolated"), 1);
        assert_eq!(w.count("trip_untimed_ends"), 1);
        assert_eq!(w.count("stop_time_duplicate_sequence"), 1);
        assert_eq!(w.count("stop_time_unknown_stop"), 1);
        assert_eq!(w.count("stop_time_unknown_trip"), 1);
        assert_eq!(w.count("trip_too_few_stop_times"), 1);
    }

    #[test]
    fn a_malformed_time_or_sequence_is_an_error_naming_the_line() {
        let e = trips_of(
            "trip_id,stop_sequence,stop_id,arrival_time\nt1,1,1,8h\n",
            &mut Warnings::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = trips_of(
            "trip_id,stop_sequence,stop_id,arrival_time\nt1,-1,1,08:00:00\n",
            &mut Warnings::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("non-negative"), "{e}");
    }
}
