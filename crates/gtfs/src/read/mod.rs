//! One reader per GTFS file: each reads its table into the [`TimetableBuilder`], skipping and
//! counting what it cannot use ([`Warnings`]) and failing only on what makes the feed unreadable
//! (a missing required column, a malformed time), with the file, line and field.

pub(crate) mod agency;
pub(crate) mod calendar;
pub(crate) mod fares;
pub(crate) mod frequencies;
pub(crate) mod routes;
pub(crate) mod shapes;
pub(crate) mod stop_times;
pub(crate) mod stops;
pub(crate) mod transfers;
pub(crate) mod trips;

use crate::table::{Col, Row, Table};
use crate::{GtfsError, Warnings};
use timetable::Accessibility;

/// A feed's id in front of an id of its own: `arequipa:1234`.
pub(crate) fn ns(feed: &str, id: &str) -> String {
    format!("{feed}:{id}")
}

/// An optional number; a value that is not one is an error naming the field.
pub(crate) fn parse_num<T: std::str::FromStr>(
    t: &Table,
    row: Row<'_>,
    c: Col,
) -> Result<Option<T>, GtfsError> {
    match row.get(c) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| t.field_error(row, c, format!("`{v}` is not a valid number"))),
    }
}

/// A `wheelchair_boarding` or `wheelchair_accessible` value; one that is not 0, 1 or 2 is
/// counted and read as unknown.
pub(crate) fn wheelchair(t: &Table, row: Row<'_>, c: Col, w: &mut Warnings) -> Accessibility {
    match row.get(c) {
        None => Accessibility::Unknown,
        Some(v) => match v.parse().ok().and_then(Accessibility::from_gtfs) {
            Some(a) => a,
            None => {
                w.push("unknown_wheelchair_value", || {
                    format!("{}: `{v}` is not 0, 1 or 2; read as 0 (unknown)", t.at(row))
                });
                Accessibility::Unknown
            }
        },
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Small tables for the readers' own tests.
    use crate::Warnings;
    use crate::table::Table;
    use timetable::{AgencyIdx, BuildConfig, FeedIdx, Timetable, TimetableBuilder};

    /// `csv` read as `file` of feed `f`.
    pub(crate) fn table(file: &'static str, csv: &str) -> Table {
        Table::parse("f", file, csv.as_bytes(), &mut Warnings::default()).expect("a table")
    }

    /// A builder holding feed `f` with one agency `a` in Lima.
    pub(crate) fn with_agency() -> (TimetableBuilder, FeedIdx, Vec<AgencyIdx>) {
        let mut b = TimetableBuilder::new();
        let t = table(
            "agency.txt",
            "agency_id,agency_name,agency_url,agency_timezone\na,A,https://a.pe,America/Lima\n",
        );
        let (feed, agencies) =
            super::agency::read(&mut b, &t, None, "f", &mut Warnings::default()).expect("agency");
        (b, feed, agencies)
    }

    /// [`with_agency`] plus three stops 1 km apart along a meridian (`f:1`, `f:2`, `f:3`).
    pub(crate) fn with_stops() -> (TimetableBuilder, FeedIdx, Vec<AgencyIdx>) {
        let (mut b, feed, agencies) = with_agency();
        let t = table(
            "stops.txt",
            "stop_id,stop_name,stop_lat,stop_lon\n1,Uno,-16.40,-71.53\n2,Dos,-16.409,-71.53\n3,Tres,-16.418,-71.53\n",
        );
        super::stops::read(&mut b, &t, feed, "f", &mut Warnings::default()).expect("stops");
        (b, feed, agencies)
    }

    /// Adds route `r` (of the only agency) and service `lv` (every day of days 0–10); returns
    /// the services by id, as the trips' reader takes them.
    pub(crate) fn route_and_service(
        b: &mut TimetableBuilder,
        agencies: &[AgencyIdx],
    ) -> std::collections::HashMap<String, timetable::ServiceIdx> {
        let routes = table("routes.txt", "route_id,route_type\nr,3\n");
        super::routes::read(b, &routes, agencies, "f", &mut Warnings::default()).expect("a route");
        let days = timetable::ServiceDays::from_calendar(
            [true; 7],
            timetable::Day(0),
            timetable::Day(10),
            &[],
            &[],
        );
        std::collections::HashMap::from([("lv".to_string(), b.add_service(days))])
    }

    /// The timetable a builder makes.
    pub(crate) fn build(b: TimetableBuilder) -> Timetable {
        b.build(&BuildConfig::default(), &mut Warnings::default())
    }
}
