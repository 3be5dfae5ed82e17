//! The record of one plan served, for the observatory.

use crate::ObservatorySettings;
use planner::clock::unix_to_local;
use store::{Channel, Profile, TripRecord};
use timetable::Timetable;

/// Where a plan starts or ends, as a zone.
pub fn zone_of_endpoint(tt: &Timetable, e: &planner::Endpoint, cell_m: f64) -> String {
    let c = match e {
        planner::Endpoint::Coord(c) => Some(*c),
        planner::Endpoint::Stops(s) => s.first().map(|&s| tt.stop(s).coord),
    };
    c.map_or_else(
        || "z:?".to_string(),
        |c| observatory::zone::zone_of(c.lat(), c.lon(), cell_m),
    )
}

/// Who asked for a plan, as the observatory may keep it.
#[derive(Debug, Clone, PartialEq)]
pub struct Asker {
    /// The front door.
    pub channel: Channel,
    /// The rider's profile, only if they consented.
    pub profile: Option<Profile>,
    /// The bot rider's random handle (bounds what one person adds to the statistics).
    pub rider: Option<String>,
}

/// The record of one plan served.
pub fn trip_record(
    tt: &Timetable,
    o: &ObservatorySettings,
    req: &planner::PlanRequest,
    plan: Option<&planner::Plan>,
    asker: Asker,
) -> TripRecord {
    let Asker {
        channel,
        profile,
        rider,
    } = asker;
    let best = plan.and_then(|p| {
        p.itineraries
            .iter()
            .min_by_key(|i| (i.arrival_secs, i.transfers))
    });
    let planned_at = crate::now_unix();
    TripRecord {
        planned_at,
        // Trips are counted on the day they were planned (ranges are about when riders asked),
        // at the hour they travel.
        local_day: unix_to_local(tt, planned_at).0,
        local_hour: u8::try_from((req.time / 3600) % 24).unwrap_or(0),
        channel,
        origin_zone: zone_of_endpoint(tt, &req.from, o.zone_cell_m),
        dest_zone: zone_of_endpoint(tt, &req.to, o.zone_cell_m),
        best: best.map(|b| store::BestJourney {
            travel_s: b.duration_s,
            wait_s: b.wait_s,
            walk_s: b.walk_s,
            transfers: i32::from(b.transfers),
            routes: b
                .legs
                .iter()
                .filter_map(|l| match l {
                    planner::ItineraryLeg::Ride { route_id, .. } => Some(route_id.clone()),
                    planner::ItineraryLeg::Walk { .. } => None,
                })
                .collect(),
        }),
        profile,
        rider,
        safer: req.safer,
    }
}
