//! `trips.txt`: each trip's route, service and shape, before its stop times.

use super::{ns, wheelchair};
use crate::table::Table;
use crate::{GtfsError, Warnings};
use std::collections::HashMap;
use timetable::*;

/// The trips read, by their feed's id, each with the line it was read from.
pub(crate) type Trips<'t> = HashMap<&'t str, (TripSpec, u64)>;

/// Reads the trips (their stop times come later); a trip naming an unknown route or service
/// is skipped, an unknown shape is dropped.
pub(crate) fn read<'t>(
    b: &TimetableBuilder,
    trips_t: &'t Table,
    services: &HashMap<String, ServiceIdx>,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<Trips<'t>, GtfsError> {
    let (t_id, t_route, t_service) = (
        trips_t.required("trip_id")?,
        trips_t.required("route_id")?,
        trips_t.required("service_id")?,
    );
    let (t_head, t_short, t_dir, t_block, t_shape, t_wc) = (
        trips_t.col("trip_headsign"),
        trips_t.col("trip_short_name"),
        trips_t.col("direction_id"),
        trips_t.col("block_id"),
        trips_t.col("shape_id"),
        trips_t.col("wheelchair_accessible"),
    );
    let mut trip_specs: Trips<'t> = HashMap::new();
    for row in trips_t.rows() {
        let Some(id) = row.get(t_id) else {
            w.push("trip_without_id", || {
                format!("{}: empty trip_id; row skipped", trips_t.at(row))
            });
            continue;
        };
        let Some(route) = row.get(t_route).and_then(|r| b.route(&ns(feed_id, r))) else {
            w.push("trip_unknown_route", || {
                format!(
                    "{}: trip `{id}` names an unknown route; trip skipped",
                    trips_t.at(row)
                )
            });
            continue;
        };
        let Some(&service) = row.get(t_service).and_then(|s| services.get(s)) else {
            w.push("trip_unknown_service", || {
                format!(
                    "{}: trip `{id}` names service `{}`, in neither calendar file; trip skipped",
                    trips_t.at(row),
                    row.get(t_service).unwrap_or("")
                )
            });
            continue;
        };
        let shape = match row.get(t_shape) {
            None => None,
            Some(s) => {
                let found = b.shape(&ns(feed_id, s));
                if found.is_none() {
                    w.push("trip_unknown_shape", || {
                        format!(
                            "{}: shape `{s}` not in shapes.txt; trip kept without shape",
                            trips_t.at(row)
                        )
                    });
                }
                found
            }
        };
        let spec = TripSpec {
            id: ns(feed_id, id),
            route,
            service,
            headsign: row.get(t_head).map(str::to_string),
            short_name: row.get(t_short).map(str::to_string),
            direction: row
                .get(t_dir)
                .and_then(|d| d.parse().ok())
                .filter(|&d| d <= 1),
            block_id: row.get(t_block).map(str::to_string),
            shape,
            wheelchair: wheelchair(trips_t, row, t_wc, w),
            stop_times: Vec::new(),
        };
        if trip_specs.insert(id, (spec, row.line)).is_some() {
            w.push("duplicate_id", || {
                format!(
                    "{}: trip `{id}` appears twice; the last row is kept",
                    trips_t.at(row)
                )
            });
        }
    }

    Ok(trip_specs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::{route_and_service, table, with_agency};

    #[test]
    fn trips_of_unknown_routes_or_services_are_skipped_and_shapes_dropped() {
        let (mut b, _, agencies) = with_agency();
        let services = route_and_service(&mut b, &agencies);
        let t = table(
            "trips.txt",
            "trip_id,route_id,service_id,direction_id,shape_id,trip_headsign\n\
             t1,r,lv,1,,Centro\nt2,zz,lv,0,,\nt3,r,domingo,0,,\nt4,r,lv,2,nope,\nt1,r,lv,0,,\n",
        );
        let mut w = Warnings::default();
        let trips = read(&b, &t, &services, "f", &mut w).unwrap();
        assert_eq!(trips.len(), 2, "t1 and t4");
        assert_eq!(trips["t4"].0.direction, None, "2 is not a direction");
        assert_eq!(trips["t4"].0.shape, None);
        assert_eq!(
            trips["t1"].0.direction,
            Some(0),
            "the last row of a repeated trip is kept"
        );
        assert_eq!(w.count("trip_unknown_route"), 1);
        assert_eq!(w.count("trip_unknown_service"), 1);
        assert_eq!(w.count("trip_unknown_shape"), 1);
        assert_eq!(w.count("duplicate_id"), 1);
    }
}
