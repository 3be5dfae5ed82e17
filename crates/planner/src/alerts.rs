//! Service alerts as riders read them: where they matter (a stop's departures, the leg of an
//! itinerary whose route or stops they inform), in the rider's language where written.

use i18n::Lang;
use realtime::LiveAt;
use realtime::alerts::Alert;
use serde::Serialize;
use timetable::{RouteIdx, StopIdx, Timetable};

/// A service alert, in the asker's language where it was written in it (else Spanish, else
/// the first text given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceAlert {
    /// Its id (an official's alert: paradero's; else the feed's entity id).
    pub id: String,
    /// `paradero` for an alert written by officials, else the GTFS-Realtime feed's name.
    pub source: String,
    /// Why: GTFS-Realtime's `Cause` (`STRIKE`, `CONSTRUCTION`, … `UNKNOWN_CAUSE`).
    pub cause: String,
    /// What it does to service: `NO_SERVICE`, `REDUCED_SERVICE`, `SIGNIFICANT_DELAYS`,
    /// `DETOUR`, `STOP_MOVED`, … (`UNKNOWN_EFFECT` when not said).
    pub effect: String,
    /// Short text (plain text, never markup).
    pub header: String,
    /// Longer text, when given.
    pub description: Option<String>,
    /// A link for more, when given.
    pub url: Option<String>,
}

impl ServiceAlert {
    /// `a` in `lang`.
    pub fn of(a: &Alert, lang: Lang) -> ServiceAlert {
        let code = lang.code();
        let pick = |t: &[(String, String)]| {
            Alert::text(t, code)
                .or_else(|| Alert::text(t, "es"))
                .map(str::to_string)
        };
        ServiceAlert {
            id: a.id.clone(),
            source: a.source.clone(),
            cause: a.cause.to_string(),
            effect: a.effect.to_string(),
            header: pick(&a.header)
                .or_else(|| pick(&a.description))
                .unwrap_or_default(),
            description: pick(&a.description).filter(|_| !a.header.is_empty()),
            url: pick(&a.url),
        }
    }
}

/// The alerts active now for a rider at `stop`: the stop's own, its routes' (there), their
/// agencies', the network's.
pub fn at_stop(tt: &Timetable, live: LiveAt<'_>, stop: StopIdx, lang: Lang) -> Vec<ServiceAlert> {
    let routes: Vec<RouteIdx> = tt
        .stop_patterns(stop)
        .iter()
        .map(|(p, _)| tt.pattern(*p).route)
        .collect();
    live.alerts()
        .filter(|a| {
            a.everywhere
                || a.stops.contains(&stop)
                || routes
                    .iter()
                    .any(|&r| a.informs(stop, r, tt.route(r).agency))
        })
        .map(|a| ServiceAlert::of(a, lang))
        .collect()
}

/// The alerts active at `t` (Unix seconds: when the bus is boarded) for a rider on `route`
/// from `from` to `to`.
pub fn for_ride(
    tt: &Timetable,
    live: LiveAt<'_>,
    route: RouteIdx,
    (from, to): (StopIdx, StopIdx),
    t: i64,
    lang: Lang,
) -> Vec<ServiceAlert> {
    let agency = tt.route(route).agency;
    live.alerts_active_at(t)
        .filter(|a| a.informs_ride(route, agency, from, to))
        .map(|a| ServiceAlert::of(a, lang))
        .collect()
}
