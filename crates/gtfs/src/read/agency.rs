//! `agency.txt` (with `feed_info.txt`): the feed, its time zone and its agencies.

use super::ns;
use crate::table::Table;
use crate::{GtfsError, Warnings};
use timetable::*;

/// Adds the feed and its agencies; the feed's time zone is the first agency's (an IANA name).
pub(crate) fn read(
    b: &mut TimetableBuilder,
    agency_t: &Table,
    feed_info: Option<&Table>,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<(FeedIdx, Vec<AgencyIdx>), GtfsError> {
    let (a_id, a_name, a_url, a_tz) = (
        agency_t.col("agency_id"),
        agency_t.col("agency_name"),
        agency_t.col("agency_url"),
        agency_t.required("agency_timezone")?,
    );
    let mut timezone: Option<String> = None;
    for row in agency_t.rows() {
        let tz = agency_t.need(row, a_tz)?;
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(agency_t.field_error(
                row,
                a_tz,
                format!("`{tz}` is not an IANA timezone such as America/Lima"),
            ));
        }
        match &timezone {
            None => timezone = Some(tz.to_string()),
            Some(first) if first != tz => w.push("agency_timezone_differs", || {
                format!(
                    "{}: agency timezone {tz} differs from {first}; times are read as {first}",
                    agency_t.at(row)
                )
            }),
            Some(_) => {}
        }
    }
    let Some(timezone) = timezone else {
        return Err(GtfsError::File {
            feed: feed_id.into(),
            file: "agency.txt",
            message: "has no agency".into(),
        });
    };

    let (publisher, version, valid_until) = match feed_info {
        Some(t) => {
            let row = t.rows().next();
            let end = row.and_then(|r| r.get(t.col("feed_end_date")));
            let valid_until = end.and_then(Day::parse);
            if let (Some(e), None) = (end, valid_until) {
                w.push("feed_info_bad_end_date", || {
                    format!("feed_info.txt: feed_end_date `{e}` is not a YYYYMMDD date; ignored")
                });
            }
            (
                row.and_then(|r| r.get(t.col("feed_publisher_name")))
                    .map(str::to_string),
                row.and_then(|r| r.get(t.col("feed_version")))
                    .map(str::to_string),
                valid_until,
            )
        }
        None => (None, None, None),
    };
    let feed = b.add_feed(Feed {
        id: feed_id.to_string(),
        timezone: timezone.clone(),
        publisher,
        version,
        service_span: None,
        valid_until,
        estimated_times: false,
    });

    let mut agency_ids: Vec<AgencyIdx> = Vec::new();
    for row in agency_t.rows() {
        let id = row.get(a_id).unwrap_or("");
        let agency = Agency {
            feed,
            id: ns(feed_id, id),
            name: row.get(a_name).unwrap_or(id).to_string(),
            url: row.get(a_url).unwrap_or("").to_string(),
            timezone: row.get(a_tz).unwrap_or(&timezone).to_string(),
        };
        match b.add_agency(agency) {
            Ok(i) => agency_ids.push(i),
            Err(e) => w.push("duplicate_id", || {
                format!("{}: {e}; row skipped", agency_t.at(row))
            }),
        }
    }

    Ok((feed, agency_ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::table;

    const HEAD: &str = "agency_id,agency_name,agency_url,agency_timezone\n";

    fn read_csv(rows: &str, w: &mut Warnings) -> Result<(TimetableBuilder, FeedIdx), GtfsError> {
        let mut b = TimetableBuilder::new();
        let t = table("agency.txt", &format!("{HEAD}{rows}"));
        let info = table(
            "feed_info.txt",
            "feed_publisher_name,feed_publisher_url,feed_lang,feed_version\nMPA,https://m.pe,es,2026-01\n",
        );
        let (feed, _) = read(&mut b, &t, Some(&info), "f", w)?;
        Ok((b, feed))
    }

    #[test]
    fn the_feed_takes_the_first_agencys_time_zone_and_its_publisher() {
        let mut w = Warnings::default();
        let (b, feed) = read_csv(
            "a,A,https://a.pe,America/Lima\nb,B,https://b.pe,America/Bogota\n",
            &mut w,
        )
        .unwrap();
        let f = &b.feeds()[feed.idx()];
        assert_eq!(f.timezone, "America/Lima");
        assert_eq!(f.publisher.as_deref(), Some("MPA"));
        assert_eq!(f.version.as_deref(), Some("2026-01"));
        assert_eq!(w.count("agency_timezone_differs"), 1);
        assert_eq!(b.agencies().len(), 2);
        assert_eq!(b.agencies()[1].id, "f:b");
    }

    #[test]
    fn a_time_zone_that_is_not_iana_or_no_agency_is_an_error() {
        let e = read_csv("a,A,https://a.pe,Lima time\n", &mut Warnings::default())
            .err()
            .unwrap();
        assert!(e.to_string().contains("IANA"), "{e}");
        let e = read_csv("", &mut Warnings::default()).err().unwrap();
        assert!(e.to_string().contains("has no agency"), "{e}");
    }

    #[test]
    fn a_repeated_agency_is_skipped_and_counted() {
        let mut w = Warnings::default();
        let (b, _) = read_csv(
            "a,A,https://a.pe,America/Lima\na,A2,https://a.pe,America/Lima\n",
            &mut w,
        )
        .unwrap();
        assert_eq!(b.agencies().len(), 1);
        assert_eq!(w.count("duplicate_id"), 1);
    }
}
