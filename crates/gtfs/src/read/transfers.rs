//! `transfers.txt`: transfers between stops (stations expand to their platforms).

use super::{ns, parse_num};
use crate::table::Table;
use crate::{GtfsError, Warnings};
use std::collections::HashMap;
use timetable::footpaths::{TransferKind, TransferSpec};
use timetable::*;

pub(crate) fn read(
    b: &mut TimetableBuilder,
    t: &Table,
    feed_id: &str,
    stops_t: &Table,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (c_from, c_to, c_type, c_min) = (
        t.required("from_stop_id")?,
        t.required("to_stop_id")?,
        t.col("transfer_type"),
        t.col("min_transfer_time"),
    );
    let specific = [
        t.col("from_route_id"),
        t.col("to_route_id"),
        t.col("from_trip_id"),
        t.col("to_trip_id"),
    ];
    // Stations expand to their platforms.
    let (s_id, s_parent) = (stops_t.col("stop_id"), stops_t.col("parent_station"));
    let mut children: HashMap<&str, Vec<StopIdx>> = HashMap::new();
    for row in stops_t.rows() {
        if let (Some(id), Some(p)) = (row.get(s_id), row.get(s_parent))
            && let Some(s) = b.stop(&ns(feed_id, id))
        {
            children.entry(p).or_default().push(s);
        }
    }
    let resolve = |id: &str| -> Vec<StopIdx> {
        match b.stop(&ns(feed_id, id)) {
            Some(s) => vec![s],
            None => children.get(id).cloned().unwrap_or_default(),
        }
    };
    let mut specs = Vec::new();
    for row in t.rows() {
        if specific.iter().any(|c| row.get(*c).is_some()) {
            w.push("transfer_route_or_trip_specific", || {
                format!(
                    "{}: route- or trip-specific transfers are not supported yet; row skipped",
                    t.at(row)
                )
            });
            continue;
        }
        let (Some(from), Some(to)) = (row.get(c_from), row.get(c_to)) else {
            w.push("transfer_without_stops", || {
                format!(
                    "{}: from_stop_id and to_stop_id are required; row skipped",
                    t.at(row)
                )
            });
            continue;
        };
        let min: Option<Secs> = parse_num(t, row, c_min)?;
        let kind = match (row.get(c_type).unwrap_or("0"), min) {
            ("0", _) => TransferKind::Recommended,
            ("1", _) => TransferKind::Timed,
            ("2", Some(m)) => TransferKind::MinTime(m),
            ("2", None) => {
                w.push("transfer_missing_min_time", || {
                    format!(
                        "{}: type 2 needs min_transfer_time; read as type 0",
                        t.at(row)
                    )
                });
                TransferKind::Recommended
            }
            ("3", _) => TransferKind::Forbidden,
            (other, _) => {
                w.push("transfer_unsupported_type", || format!("{}: transfer_type `{other}` (in-seat transfers) not supported; row skipped", t.at(row)));
                continue;
            }
        };
        let (fs, ts) = (resolve(from), resolve(to));
        if fs.is_empty() || ts.is_empty() {
            w.push("transfer_unknown_stop", || {
                format!(
                    "{}: unknown stop `{}`; row skipped",
                    t.at(row),
                    if fs.is_empty() { from } else { to }
                )
            });
            continue;
        }
        for &f in &fs {
            for &tt in &ts {
                specs.push(TransferSpec {
                    from: f,
                    to: tt,
                    kind,
                });
            }
        }
    }
    for s in specs {
        b.add_transfer(s);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::{table, with_agency};

    #[test]
    fn stations_expand_to_their_platforms_and_unsupported_rows_are_counted() {
        let (mut b, feed, _) = with_agency();
        let stops = table(
            "stops.txt",
            "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n\
             S,Estación,-16.4,-71.5,1,\np1,A1,-16.4,-71.5,0,S\np2,A2,-16.4,-71.5,0,S\nx,X,-16.41,-71.5,0,\n",
        );
        crate::read::stops::read(&mut b, &stops, feed, "f", &mut Warnings::default()).unwrap();
        let t = table(
            "transfers.txt",
            "from_stop_id,to_stop_id,transfer_type,min_transfer_time,from_route_id\n\
             S,x,2,120,\nx,p1,2,,\nx,S,4,,\nx,zz,0,,\nx,p2,0,,r\n",
        );
        let mut w = Warnings::default();
        read(&mut b, &t, "f", &stops, &mut w).unwrap();
        assert_eq!(w.count("transfer_missing_min_time"), 1);
        assert_eq!(w.count("transfer_unsupported_type"), 1);
        assert_eq!(w.count("transfer_unknown_stop"), 1);
        assert_eq!(w.count("transfer_route_or_trip_specific"), 1);
        let t = table(
            "transfers.txt",
            "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nS,x,2,dos\n",
        );
        assert!(read(&mut b, &t, "f", &stops, &mut Warnings::default()).is_err());
    }
}
