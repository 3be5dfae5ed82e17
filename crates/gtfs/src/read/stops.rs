//! `stops.txt`: the stops riders board at (stations lend their platforms their wheelchair access).

use super::{ns, wheelchair};
use crate::table::Table;
use crate::{GtfsError, Warnings};
use std::collections::HashMap;
use timetable::*;

/// Adds the boardable stops (location type 0); stations, entrances, nodes and boarding areas
/// are not boarded, and a stop without usable coordinates is skipped.
pub(crate) fn read(
    b: &mut TimetableBuilder,
    stops_t: &Table,
    feed: FeedIdx,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let s_id = stops_t.required("stop_id")?;
    let (s_name, s_lat, s_lon, s_type, s_parent, s_wc, s_zone) = (
        stops_t.col("stop_name"),
        stops_t.col("stop_lat"),
        stops_t.col("stop_lon"),
        stops_t.col("location_type"),
        stops_t.col("parent_station"),
        stops_t.col("wheelchair_boarding"),
        stops_t.col("zone_id"),
    );
    let s_code = stops_t.col("stop_code");
    // Stations first, so platforms can inherit their wheelchair boarding.
    let mut station_wc: HashMap<&str, Accessibility> = HashMap::new();
    for row in stops_t.rows() {
        if row.get(s_type) == Some("1") {
            station_wc.insert(
                row.get(s_id).unwrap_or(""),
                wheelchair(stops_t, row, s_wc, w),
            );
        }
    }
    for row in stops_t.rows() {
        let Some(id) = row.get(s_id) else {
            w.push("stop_without_id", || {
                format!("{}: empty stop_id; row skipped", stops_t.at(row))
            });
            continue;
        };
        match row.get(s_type).unwrap_or("0") {
            "0" => {}
            "1" | "2" | "3" | "4" => continue, // stations, entrances, nodes, boarding areas: not boarded
            other => {
                w.push("unknown_location_type", || {
                    format!(
                        "{}: location_type `{other}` unknown; row skipped",
                        stops_t.at(row)
                    )
                });
                continue;
            }
        }
        let lat = row.get(s_lat).and_then(|v| v.parse::<f64>().ok());
        let lon = row.get(s_lon).and_then(|v| v.parse::<f64>().ok());
        let coord = match (lat, lon) {
            (Some(la), Some(lo)) if !(la == 0.0 && lo == 0.0) => Coord::new(la, lo).ok(),
            _ => None,
        };
        let Some(coord) = coord else {
            w.push("stop_bad_coordinates", || {
                format!(
                    "{}: stop `{id}` has coordinates `{}`, `{}`; stop skipped",
                    stops_t.at(row),
                    row.get(s_lat).unwrap_or(""),
                    row.get(s_lon).unwrap_or("")
                )
            });
            continue;
        };
        let parent = row.get(s_parent);
        let mut wc = wheelchair(stops_t, row, s_wc, w);
        if wc == Accessibility::Unknown {
            wc = parent
                .and_then(|p| station_wc.get(p))
                .copied()
                .unwrap_or(Accessibility::Unknown);
        }
        let stop = Stop {
            feed,
            id: ns(feed_id, id),
            name: row.get(s_name).unwrap_or("").to_string(),
            coord,
            parent_station: parent.map(|p| ns(feed_id, p)),
            zone_id: row.get(s_zone).map(str::to_string),
            code: row.get(s_code).map(str::to_string),
            wheelchair: wc,
        };
        if let Err(e) = b.add_stop(stop) {
            w.push("duplicate_id", || {
                format!("{}: {e}; row skipped", stops_t.at(row))
            });
        }
    }

    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::{table, with_agency};

    #[test]
    fn platforms_inherit_their_stations_access_and_stations_are_not_boarded() {
        let (mut b, feed, _) = with_agency();
        let t = table(
            "stops.txt",
            "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,wheelchair_boarding\n\
             S,Estación,-16.4,-71.5,1,,1\n\
             p1,Andén 1,-16.4,-71.5,0,S,\n\
             p2,Andén 2,-16.4,-71.5,0,S,2\n\
             e,Entrada,-16.4,-71.5,2,S,\n",
        );
        let mut w = Warnings::default();
        read(&mut b, &t, feed, "f", &mut w).unwrap();
        assert_eq!(
            b.stops().len(),
            2,
            "the station and its entrance are not stops"
        );
        let p1 = b.stop("f:p1").unwrap();
        let p2 = b.stop("f:p2").unwrap();
        assert_eq!(b.stops()[p1.idx()].wheelchair, Accessibility::Yes);
        assert_eq!(b.stops()[p2.idx()].wheelchair, Accessibility::No);
        assert_eq!(b.stops()[p1.idx()].parent_station.as_deref(), Some("f:S"));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn bad_rows_are_skipped_and_counted_by_kind() {
        let (mut b, feed, _) = with_agency();
        let t = table(
            "stops.txt",
            "stop_id,stop_name,stop_lat,stop_lon,location_type,wheelchair_boarding\n\
             ,Sin id,-16.4,-71.5,0,\n\
             z,Cero,0,0,0,\n\
             x,Lejos,-96,-71.5,0,\n\
             q,Rara,-16.4,-71.5,7,\n\
             ok,Bien,-16.4,-71.5,,5\n\
             ok,Otra vez,-16.4,-71.5,,\n",
        );
        let mut w = Warnings::default();
        read(&mut b, &t, feed, "f", &mut w).unwrap();
        assert_eq!(b.stops().len(), 1);
        assert_eq!(w.count("stop_without_id"), 1);
        assert_eq!(w.count("stop_bad_coordinates"), 2);
        assert_eq!(w.count("unknown_location_type"), 1);
        assert_eq!(w.count("unknown_wheelchair_value"), 1);
        assert_eq!(w.count("duplicate_id"), 1);
    }
}
