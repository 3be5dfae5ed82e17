//! `routes.txt`: the lines, each of one agency.

use super::ns;
use crate::table::Table;
use crate::{GtfsError, Warnings};
use timetable::*;

/// Adds the routes; a route without an agency belongs to the feed's only agency.
pub(crate) fn read(
    b: &mut TimetableBuilder,
    routes_t: &Table,
    agency_ids: &[AgencyIdx],
    feed_id: &str,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let r_id = routes_t.required("route_id")?;
    let (r_agency, r_short, r_long, r_type, r_color, r_text) = (
        routes_t.col("agency_id"),
        routes_t.col("route_short_name"),
        routes_t.col("route_long_name"),
        routes_t.col("route_type"),
        routes_t.col("route_color"),
        routes_t.col("route_text_color"),
    );
    for row in routes_t.rows() {
        let Some(id) = row.get(r_id) else {
            w.push("route_without_id", || {
                format!("{}: empty route_id; row skipped", routes_t.at(row))
            });
            continue;
        };
        let agency = match row.get(r_agency) {
            Some(a) => b.agency(&ns(feed_id, a)),
            None if agency_ids.len() == 1 => Some(agency_ids[0]),
            None => b.agency(&ns(feed_id, "")),
        };
        let Some(agency) = agency else {
            w.push("route_unknown_agency", || {
                format!(
                    "{}: route `{id}` names an unknown agency; route skipped",
                    routes_t.at(row)
                )
            });
            continue;
        };
        let route_type = match row.get(r_type).map(str::parse::<u16>) {
            Some(Ok(t)) => t,
            other => {
                w.push("route_bad_type", || {
                    format!(
                        "{}: route_type {other:?} is not a number; read as 3 (bus)",
                        routes_t.at(row)
                    )
                });
                3
            }
        };
        let color = |c| {
            row.get(c)
                .filter(|v: &&str| v.len() == 6 && v.bytes().all(|x| x.is_ascii_hexdigit()))
                .map(|v| v.to_ascii_uppercase())
        };
        let route = Route {
            id: ns(feed_id, id),
            agency,
            short_name: row.get(r_short).unwrap_or("").to_string(),
            long_name: row.get(r_long).unwrap_or("").to_string(),
            route_type,
            color: color(r_color),
            text_color: color(r_text),
        };
        if let Err(e) = b.add_route(route) {
            w.push("duplicate_id", || {
                format!("{}: {e}; row skipped", routes_t.at(row))
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
    fn a_route_without_agency_belongs_to_the_only_one_and_bad_values_are_read_safely() {
        let (mut b, _, agencies) = with_agency();
        let t = table(
            "routes.txt",
            "route_id,route_short_name,route_long_name,route_type,route_color\n\
             r1,4A,Cerro Colorado,3,ff0000\n\
             r2,7,,bus,red\n\
             ,sin id,,3,\n",
        );
        let mut w = Warnings::default();
        read(&mut b, &t, &agencies, "f", &mut w).unwrap();
        let (r1, r2) = (b.route("f:r1").unwrap(), b.route("f:r2").unwrap());
        let (r1, r2) = (&b.routes()[r1.idx()], &b.routes()[r2.idx()]);
        assert_eq!(r1.agency, agencies[0]);
        assert_eq!(r1.color.as_deref(), Some("FF0000"));
        assert_eq!(r2.route_type, 3);
        assert_eq!(r2.color, None);
        assert_eq!(w.count("route_bad_type"), 1);
        assert_eq!(w.count("route_without_id"), 1);
    }

    #[test]
    fn a_route_of_an_unknown_agency_is_skipped() {
        let (mut b, _, agencies) = with_agency();
        let t = table("routes.txt", "route_id,agency_id,route_type\nr1,zz,3\n");
        let mut w = Warnings::default();
        read(&mut b, &t, &agencies, "f", &mut w).unwrap();
        assert!(b.route("f:r1").is_none());
        assert_eq!(w.count("route_unknown_agency"), 1);
    }
}
