//! Service alerts (GTFS-Realtime `Alert`): a strike, a detour, a closed stop — what a rider
//! must know before waiting. Each is kept with the stops, routes and agencies it informs
//! (resolved to the timetable; one naming nothing the timetable has is counted, not kept),
//! its active periods and its texts in every language the feed gave.

use crate::namespaced;
use crate::proto::{self, TranslatedString};
use timetable::{AgencyIdx, RouteIdx, StopIdx, Timetable};

/// One alert, as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The feed's entity id (an official's alert: its id in paradero).
    pub id: String,
    /// Where it comes from: the GTFS-Realtime feed's name, or `paradero` for one written by
    /// officials.
    pub source: String,
    /// Its cause (`STRIKE`, `CONSTRUCTION`, …; `UNKNOWN_CAUSE` when not said).
    pub cause: &'static str,
    /// Short text, by language (`""` when the feed gave none).
    pub header: Vec<(String, String)>,
    /// Longer text, by language.
    pub description: Vec<(String, String)>,
    /// A link for more, by language.
    pub url: Vec<(String, String)>,
    /// What it does to service (`NO_SERVICE`, `DETOUR`, …; `UNKNOWN_EFFECT` when not said).
    pub effect: &'static str,
    /// The stops it informs.
    pub stops: Vec<StopIdx>,
    /// The routes it informs (at every stop of theirs).
    pub routes: Vec<RouteIdx>,
    /// The agencies it informs (every route of theirs).
    pub agencies: Vec<AgencyIdx>,
    /// A route at a stop only (riders of other routes there are not told).
    pub route_stops: Vec<(RouteIdx, StopIdx)>,
    /// Whether it informs the whole network (an entity the feed left empty of ids).
    pub everywhere: bool,
    /// When it is active, `[start, end)` in Unix seconds (0: open); none: always.
    pub active: Vec<(i64, i64)>,
}

impl Alert {
    /// Whether it is active at `now`.
    pub fn active_at(&self, now: i64) -> bool {
        self.active.is_empty()
            || self
                .active
                .iter()
                .any(|&(s, e)| (s == 0 || s <= now) && (e == 0 || now < e))
    }

    /// Whether it informs a rider at `stop` waiting for `route` (of `agency`).
    pub fn informs(&self, stop: StopIdx, route: RouteIdx, agency: AgencyIdx) -> bool {
        self.everywhere
            || self.stops.contains(&stop)
            || self.routes.contains(&route)
            || self.agencies.contains(&agency)
            || self.route_stops.contains(&(route, stop))
    }

    /// Whether it informs a rider on `route` (of `agency`) from stop `from` to stop `to`.
    pub fn informs_ride(
        &self,
        route: RouteIdx,
        agency: AgencyIdx,
        from: StopIdx,
        to: StopIdx,
    ) -> bool {
        self.informs(from, route, agency) || self.informs(to, route, agency)
    }

    /// Whether it names nothing at all (it informs no one).
    pub fn names_nothing(&self) -> bool {
        !self.everywhere
            && self.stops.is_empty()
            && self.routes.is_empty()
            && self.agencies.is_empty()
            && self.route_stops.is_empty()
    }

    /// The text in `lang` (`es`, `en`, `qu`), else the one without a language, else the
    /// first.
    pub fn text<'t>(texts: &'t [(String, String)], lang: &str) -> Option<&'t str> {
        texts
            .iter()
            .find(|(l, _)| {
                l.eq_ignore_ascii_case(lang)
                    || l.to_ascii_lowercase().starts_with(&format!("{lang}-"))
            })
            .or_else(|| texts.iter().find(|(l, _)| l.is_empty()))
            .or_else(|| texts.first())
            .map(|(_, t)| t.as_str())
    }
}

/// What reading alerts did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertsRead {
    /// Alerts kept.
    pub kept: usize,
    /// Alerts informing nothing the timetable has.
    pub unmatched: usize,
    /// Alerts without any text.
    pub empty: usize,
}

fn texts(t: Option<&TranslatedString>) -> Vec<(String, String)> {
    t.map(|t| {
        t.translation
            .iter()
            .filter(|x| !x.text.trim().is_empty())
            .map(|x| {
                (
                    x.language.clone().unwrap_or_default(),
                    x.text.chars().take(2_000).collect(),
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The alerts of a message for the feed namespaced `feed` (`""`: a timetable written by
/// hand, bare ids).
pub fn alerts(tt: &Timetable, feed: &str, msg: &proto::FeedMessage) -> (Vec<Alert>, AlertsRead) {
    let mut read = AlertsRead::default();
    let mut out = Vec::new();
    for e in &msg.entity {
        let Some(a) = &e.alert else { continue };
        let header = texts(a.header_text.as_ref());
        let description = texts(a.description_text.as_ref());
        if header.is_empty() && description.is_empty() {
            read.empty += 1;
            continue;
        }
        let mut alert = Alert {
            id: e.id.clone(),
            source: if feed.is_empty() {
                "feed".into()
            } else {
                feed.to_string()
            },
            cause: a.cause().as_str_name(),
            header,
            description,
            url: texts(a.url.as_ref()),
            effect: a.effect().as_str_name(),
            stops: Vec::new(),
            routes: Vec::new(),
            agencies: Vec::new(),
            route_stops: Vec::new(),
            everywhere: false,
            active: a
                .active_period
                .iter()
                .map(|p| {
                    let t = |x: Option<u64>| x.and_then(|x| i64::try_from(x).ok()).unwrap_or(0);
                    (t(p.start), t(p.end))
                })
                .collect(),
        };
        for sel in &a.informed_entity {
            let trip_route = sel
                .trip
                .as_ref()
                .and_then(|t| t.trip_id.as_deref())
                .and_then(|id| tt.trip_by_id(&namespaced(feed, id)))
                .map(|t| tt.trip(t).route);
            let route = sel
                .route_id
                .as_deref()
                .and_then(|id| tt.route_by_id(&namespaced(feed, id)))
                .or(trip_route);
            let stop = sel
                .stop_id
                .as_deref()
                .and_then(|id| tt.stop_by_id(&namespaced(feed, id)));
            let agency = sel.agency_id.as_deref().and_then(|id| {
                let want = namespaced(feed, id);
                tt.agencies()
                    .iter()
                    .position(|a| a.id == want)
                    .map(AgencyIdx::new)
            });
            let named_any = sel.route_id.is_some()
                || sel.stop_id.is_some()
                || sel.agency_id.is_some()
                || sel.trip.is_some()
                || sel.route_type.is_some();
            match (stop, route, agency) {
                // A stop and a route together: that route at that stop.
                (Some(s), Some(r), _) if sel.route_id.is_some() => alert.route_stops.push((r, s)),
                (Some(s), _, _) => alert.stops.push(s),
                (None, Some(r), _) => alert.routes.push(r),
                (None, None, Some(a)) => alert.agencies.push(a),
                (None, None, None) if !named_any => alert.everywhere = true,
                _ => {}
            }
        }
        if alert.names_nothing() {
            read.unmatched += 1;
            continue;
        }
        out.push(alert);
    }
    read.kept = out.len();
    (out, read)
}
