//! Options a rider can choose between: none no better than another on every count, no change
//! of bus onto the same route, each labelled with why it is there, in one written order.
//!
//! The rule (crates/planner/README.md, "Options"): an option is dropped when another is at least as
//! good on leaving (later or the same, for depart-at; for arrive-by the same rule), arriving
//! (earlier or the same), changes of bus and fare, and better on one of them; an option that
//! gets off a route to board the same route again is dropped while any other remains. The
//! rest are ordered by arrival (earliest first; arrive-by: by departure, latest first), then
//! fewer changes, then lower fare, then less walking.

use crate::Itinerary;
use crate::ItineraryLeg;
use std::cmp::Ordering;

/// Why an option is offered.
pub mod label {
    /// It arrives first (arrive-by: leaves last).
    pub const FASTEST: &str = "fastest";
    /// It changes bus the fewest times.
    pub const FEWEST_TRANSFERS: &str = "fewest_transfers";
    /// It costs the least (with a known fare).
    pub const CHEAPEST: &str = "cheapest";
    /// It walks the least.
    pub const LEAST_WALKING: &str = "least_walking";
    /// On foot all the way.
    pub const WALK_ONLY: &str = "walk_only";
}

/// The fare to compare, in cents; `None` when the feed gives none for some ride.
fn fare(it: &Itinerary) -> Option<i64> {
    it.fare.as_ref().map(|f| (f.amount * 100.0).round() as i64)
}

fn walk_only(it: &Itinerary) -> bool {
    it.legs
        .iter()
        .all(|l| matches!(l, ItineraryLeg::Walk { .. }))
}

/// Whether the option gets off a route to board the same route again.
pub fn same_route_transfer(it: &Itinerary) -> bool {
    let routes: Vec<&str> = it
        .legs
        .iter()
        .filter_map(|l| match l {
            ItineraryLeg::Ride { route_id, .. } => Some(route_id.as_str()),
            ItineraryLeg::Walk { .. } => None,
        })
        .collect();
    routes.windows(2).any(|w| w[0] == w[1])
}

/// `a` is at least as good as `b` on every count (leaving, arriving, changes, fare) and
/// better on one. An unknown fare is no better than a known one.
pub fn dominates(a: &Itinerary, b: &Itinerary) -> bool {
    // Walking all the way is not for everyone: it never pushes a ride out.
    if walk_only(a) && !walk_only(b) {
        return false;
    }
    let fare_le = match (fare(a), fare(b)) {
        (Some(x), Some(y)) => x <= y,
        (Some(_), None) | (None, None) => true,
        (None, Some(_)) => false,
    };
    let fare_lt = match (fare(a), fare(b)) {
        (Some(x), Some(y)) => x < y,
        (Some(_), None) => true,
        _ => false,
    };
    let le = a.departure_secs >= b.departure_secs
        && a.arrival_secs <= b.arrival_secs
        && a.transfers <= b.transfers
        && fare_le;
    let lt = a.departure_secs > b.departure_secs
        || a.arrival_secs < b.arrival_secs
        || a.transfers < b.transfers
        || fare_lt;
    le && lt
}

/// The order options are shown in (see the module's rule).
pub fn order(a: &Itinerary, b: &Itinerary, arrive_by: bool) -> Ordering {
    let time = if arrive_by {
        b.departure_secs.cmp(&a.departure_secs)
    } else {
        a.arrival_secs.cmp(&b.arrival_secs)
    };
    time.then(a.transfers.cmp(&b.transfers))
        .then(
            fare(a)
                .unwrap_or(i64::MAX)
                .cmp(&fare(b).unwrap_or(i64::MAX)),
        )
        .then(a.walk_m.cmp(&b.walk_m))
        .then(b.departure_secs.cmp(&a.departure_secs))
}

/// The options worth offering, ordered and labelled.
pub fn choose(its: Vec<Itinerary>, arrive_by: bool) -> Vec<Itinerary> {
    let any_plain = its.iter().any(|i| !same_route_transfer(i));
    let its: Vec<Itinerary> = its
        .into_iter()
        .filter(|i| !(any_plain && same_route_transfer(i)))
        .collect();
    // Identical answers (the same times, changes and fare) keep the first only.
    let mut kept: Vec<Itinerary> = Vec::with_capacity(its.len());
    for (i, it) in its.iter().enumerate() {
        let dominated = its.iter().any(|o| dominates(o, it));
        let twin = its[..i].iter().any(|o| {
            o.departure_secs == it.departure_secs
                && o.arrival_secs == it.arrival_secs
                && o.transfers == it.transfers
                && fare(o) == fare(it)
                && walk_only(o) == walk_only(it)
        });
        if !dominated && !twin {
            kept.push(it.clone());
        }
    }
    kept.sort_by(|a, b| order(a, b, arrive_by));
    label(&mut kept, arrive_by);
    kept
}

/// Labels each option with what it is best at among `its` (ties share a label).
pub fn label(its: &mut [Itinerary], arrive_by: bool) {
    if its.is_empty() {
        return;
    }
    let best_time = its
        .iter()
        .map(|i| {
            if arrive_by {
                -i.departure_secs
            } else {
                i.arrival_secs
            }
        })
        .min()
        .unwrap_or(0);
    let rides = |i: &Itinerary| !walk_only(i);
    let fewest = its.iter().filter(|i| rides(i)).map(|i| i.transfers).min();
    let cheapest = its.iter().filter(|i| rides(i)).filter_map(fare).min();
    let least_walk = its.iter().filter(|i| rides(i)).map(|i| i.walk_m).min();
    let several_fares = its
        .iter()
        .filter(|i| rides(i))
        .filter_map(fare)
        .any(|f| Some(f) != cheapest);
    let several_transfers = its
        .iter()
        .filter(|i| rides(i))
        .any(|i| Some(i.transfers) != fewest);
    let several_walks = its
        .iter()
        .filter(|i| rides(i))
        .any(|i| Some(i.walk_m) != least_walk);
    for it in its.iter_mut() {
        let mut l: Vec<String> = Vec::new();
        let time = if arrive_by {
            -it.departure_secs
        } else {
            it.arrival_secs
        };
        if time == best_time {
            l.push(label::FASTEST.into());
        }
        if walk_only(it) {
            l.push(label::WALK_ONLY.into());
        } else {
            if several_transfers && Some(it.transfers) == fewest {
                l.push(label::FEWEST_TRANSFERS.into());
            }
            if several_fares && fare(it).is_some() && fare(it) == cheapest {
                l.push(label::CHEAPEST.into());
            }
            if several_walks && Some(it.walk_m) == least_walk {
                l.push(label::LEAST_WALKING.into());
            }
        }
        it.labels = l;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Co2, FareTotal, LineString, StopRef};

    fn stop() -> StopRef {
        StopRef {
            id: "s".into(),
            name: "Calle Villalba".into(),
            lat: -16.4,
            lon: -71.5,
            time: None,
        }
    }

    fn ride(route: &str) -> ItineraryLeg {
        ItineraryLeg::Ride {
            route_id: route.into(),
            route_short_name: route.into(),
            route_long_name: String::new(),
            route_color: None,
            agency: String::new(),
            headsign: String::new(),
            trip_id: String::new(),
            board: stop(),
            alight: stop(),
            intermediate_stops: Vec::new(),
            headway_s: None,
            realtime: false,
            scheduled_departure: None,
            delay_s: None,
            approximate: false,
            duration_s: 60,
            distance_m: 100,
            geometry: LineString {
                kind: "LineString",
                coordinates: Vec::new(),
            },
            alerts: Vec::new(),
        }
    }

    fn option(dep: i32, arr: i32, routes: &[&str], fare: Option<f64>) -> Itinerary {
        Itinerary {
            departure: String::new(),
            arrival: String::new(),
            departure_secs: dep,
            arrival_secs: arr,
            duration_s: arr - dep,
            walk_s: 0,
            walk_m: 100,
            wait_s: 0,
            transfers: routes.len().saturating_sub(1) as u8,
            labels: Vec::new(),
            approximate: false,
            fare: fare.map(|amount| FareTotal {
                amount,
                currency: "PEN".into(),
            }),
            co2: Co2::new(0.0, 0.0),
            legs: routes.iter().map(|r| ride(r)).collect(),
            safety: None,
        }
    }

    /// The search the issue reported: 2 transfers for S/ 3.00, then 1 transfer for S/ 2.00
    /// with the same times, then no transfer for S/ 1.00 two minutes later.
    #[test]
    fn an_option_no_better_on_any_count_is_dropped() {
        let its = vec![
            option(0, 1200, &["4C", "D", "A"], Some(3.0)),
            option(0, 1200, &["4C", "A"], Some(2.0)),
            option(0, 1320, &["B"], Some(1.0)),
        ];
        let kept = choose(its, false);
        let shown: Vec<u8> = kept.iter().map(|i| i.transfers).collect();
        assert_eq!(shown, vec![1, 0], "the two-transfer option goes");
        assert_eq!(kept[0].labels, vec![label::FASTEST]);
        assert_eq!(
            kept[1].labels,
            vec![label::FEWEST_TRANSFERS, label::CHEAPEST]
        );
        for a in &kept {
            for b in &kept {
                assert!(!dominates(a, b));
            }
        }
    }

    #[test]
    fn getting_off_a_route_to_board_it_again_is_never_offered_beside_another() {
        let its = vec![
            option(0, 1000, &["09", "09"], Some(2.0)),
            option(0, 1300, &["B"], Some(1.0)),
        ];
        let kept = choose(its, false);
        assert_eq!(kept.len(), 1);
        assert!(!same_route_transfer(&kept[0]));
        // Alone, it stays: better than no answer.
        let kept = choose(vec![option(0, 1000, &["09", "09"], Some(2.0))], false);
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn a_later_departure_arriving_as_early_is_better_and_arrive_by_orders_latest_first() {
        let kept = choose(
            vec![
                option(0, 1000, &["A"], Some(1.0)),
                option(120, 1000, &["A"], Some(1.0)),
            ],
            false,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].departure_secs, 120);
        let kept = choose(
            vec![
                option(0, 900, &["A"], Some(1.0)),
                option(60, 1000, &["B", "C"], Some(2.0)),
            ],
            true,
        );
        assert_eq!(kept[0].departure_secs, 60, "arrive-by: leave latest first");
        assert_eq!(kept[0].labels, vec![label::FASTEST]);
    }

    #[test]
    fn the_bus_is_said_to_save_co2_only_when_clearly_below_the_car() {
        assert!(Co2::new(500.0, 1000.0).bus_clearly_less);
        assert!(Co2::new(800.0, 1000.0).bus_clearly_less);
        assert!(!Co2::new(801.0, 1000.0).bus_clearly_less);
        assert!(!Co2::new(520.0, 520.0).bus_clearly_less);
        assert!(!Co2::new(0.0, 0.0).bus_clearly_less);
    }
}
