//! Fares v1: `fare_attributes.txt` and `fare_rules.txt`.

use super::ns;
use crate::table::Table;
use crate::{GtfsError, Warnings};
use timetable::*;

/// Adds the fares; a fare without an agency belongs to the feed's only agency.
pub(crate) fn read_attributes(
    b: &mut TimetableBuilder,
    t: &Table,
    agency_ids: &[AgencyIdx],
    feed_id: &str,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (f_id, f_price, f_cur, f_pay, f_tr, f_dur, f_ag) = (
        t.required("fare_id")?,
        t.required("price")?,
        t.col("currency_type"),
        t.col("payment_method"),
        t.col("transfers"),
        t.col("transfer_duration"),
        t.col("agency_id"),
    );
    for row in t.rows() {
        let Some(id) = row.get(f_id) else { continue };
        let Some(price) = row
            .get(f_price)
            .and_then(|p| p.parse::<f64>().ok())
            .filter(|p| p.is_finite() && *p >= 0.0)
        else {
            w.push("fare_bad_price", || {
                format!(
                    "{}: price is not a non-negative number; fare skipped",
                    t.at(row)
                )
            });
            continue;
        };
        let fare = Fare {
            id: ns(feed_id, id),
            price,
            currency: row.get(f_cur).unwrap_or("").to_string(),
            payment_method: row.get(f_pay).and_then(|v| v.parse().ok()).unwrap_or(0),
            transfers: row.get(f_tr).and_then(|v| v.parse().ok()),
            transfer_duration: row.get(f_dur).and_then(|v| v.parse().ok()),
            agency: match row.get(f_ag) {
                Some(a) => b.agency(&ns(feed_id, a)),
                None => agency_ids
                    .first()
                    .copied()
                    .filter(|_| agency_ids.len() == 1),
            },
        };
        if let Err(e) = b.add_fare(fare) {
            w.push("duplicate_id", || {
                format!("{}: {e}; row skipped", t.at(row))
            });
        }
    }
    Ok(())
}

/// Adds the rules saying which fare a ride pays (by route and zones).
pub(crate) fn read_rules(
    b: &mut TimetableBuilder,
    t: &Table,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (f_id, f_route, f_o, f_d, f_c) = (
        t.required("fare_id")?,
        t.col("route_id"),
        t.col("origin_id"),
        t.col("destination_id"),
        t.col("contains_id"),
    );
    for row in t.rows() {
        let Some(fare) = row.get(f_id).and_then(|f| b.fare(&ns(feed_id, f))) else {
            w.push("fare_rule_unknown_fare", || {
                format!("{}: unknown fare; rule skipped", t.at(row))
            });
            continue;
        };
        let route = match row.get(f_route) {
            None => None,
            Some(r) => match b.route(&ns(feed_id, r)) {
                Some(r) => Some(r),
                None => {
                    w.push("fare_rule_unknown_route", || {
                        format!("{}: unknown route `{r}`; rule skipped", t.at(row))
                    });
                    continue;
                }
            },
        };
        b.add_fare_rule(FareRule {
            fare,
            route,
            origin_id: row.get(f_o).map(str::to_string),
            destination_id: row.get(f_d).map(str::to_string),
            contains_id: row.get(f_c).map(str::to_string),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::{build, table, with_agency};

    #[test]
    fn fares_need_a_price_and_rules_a_known_fare_and_route() {
        let (mut b, _, agencies) = with_agency();
        let routes = table("routes.txt", "route_id,route_type\nr,3\n");
        crate::read::routes::read(&mut b, &routes, &agencies, "f", &mut Warnings::default())
            .unwrap();
        let t = table(
            "fare_attributes.txt",
            "fare_id,price,currency_type,payment_method,transfers\n\
             urbano,1.00,PEN,0,0\ngratis,-1,PEN,0,\nraro,NaN,PEN,0,\n",
        );
        let mut w = Warnings::default();
        read_attributes(&mut b, &t, &agencies, "f", &mut w).unwrap();
        assert_eq!(w.count("fare_bad_price"), 2);
        let rules = table(
            "fare_rules.txt",
            "fare_id,route_id\nurbano,r\nurbano,zz\nnada,r\n",
        );
        read_rules(&mut b, &rules, "f", &mut w).unwrap();
        assert_eq!(w.count("fare_rule_unknown_route"), 1);
        assert_eq!(w.count("fare_rule_unknown_fare"), 1);
        let tt = build(b);
        assert_eq!(tt.fares().len(), 1);
        assert_eq!(tt.fares()[0].agency, Some(agencies[0]), "the only agency's");
    }
}
