//! Service alerts written by officials (editor role): created, edited and ended through the
//! API and the dashboard, stored, and served beside the GTFS-Realtime feeds' alerts to riders
//! wherever they matter (a leg's route or stops, a stop's departures, the map, the bot) and
//! to chats subscribed to a route's alerts. Texts are plain text everywhere: stored as
//! given, never rendered as markup.

use crate::{App, Dataset, Error};
use i18n::Lang;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use store::Official;
use timetable::{AgencyIdx, RouteIdx, StopIdx, Timetable};

/// The source officials' alerts are marked with.
pub const SOURCE: &str = "paradero";
/// Characters a header may have.
pub const HEADER_MAX: usize = 200;
/// Characters a description may have.
pub const DESCRIPTION_MAX: usize = 2_000;
/// Characters a link may have.
pub const URL_MAX: usize = 500;
/// Active periods an alert may have.
pub const PERIODS_MAX: usize = 20;
/// What an alert may name (agencies, routes, stops, routes at stops).
pub const INFORMED_MAX: usize = 200;

macro_rules! gtfs_rt_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        pub enum $name {
            #[default]
            $($v),*
        }
        impl $name {
            /// GTFS-Realtime's name for it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => stringify!($v)),* }
            }
            /// The value named `s` (GTFS-Realtime's name).
            pub fn from_name(s: &str) -> Option<$name> {
                match s { $(stringify!($v) => Some($name::$v),)* _ => None }
            }
        }
    };
}

gtfs_rt_enum!(
    /// Why (GTFS-Realtime's `Alert.Cause`).
    Cause {
        UNKNOWN_CAUSE,
        OTHER_CAUSE,
        TECHNICAL_PROBLEM,
        STRIKE,
        DEMONSTRATION,
        ACCIDENT,
        HOLIDAY,
        WEATHER,
        MAINTENANCE,
        CONSTRUCTION,
        POLICE_ACTIVITY,
        MEDICAL_EMERGENCY,
    }
);

gtfs_rt_enum!(
    /// What it does to service (GTFS-Realtime's `Alert.Effect`).
    Effect {
        UNKNOWN_EFFECT,
        NO_SERVICE,
        REDUCED_SERVICE,
        SIGNIFICANT_DELAYS,
        DETOUR,
        ADDITIONAL_SERVICE,
        MODIFIED_SERVICE,
        OTHER_EFFECT,
        STOP_MOVED,
        NO_EFFECT,
        ACCESSIBILITY_ISSUE,
    }
);

/// A text in the three languages; Spanish required.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Texts {
    /// Spanish (required).
    pub es: String,
    /// English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    /// Quechua.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qu: Option<String>,
}

impl Texts {
    fn pairs(&self) -> Vec<(String, String)> {
        let mut out = vec![("es".to_string(), self.es.clone())];
        for (l, t) in [("en", &self.en), ("qu", &self.qu)] {
            if let Some(t) = t.as_ref().filter(|t| !t.trim().is_empty()) {
                out.push((l.to_string(), t.clone()));
            }
        }
        out
    }

    fn from_pairs(pairs: &[(String, String)]) -> Option<Texts> {
        let pick = |l: &str| {
            pairs
                .iter()
                .find(|(x, _)| {
                    x.eq_ignore_ascii_case(l)
                        || x.to_ascii_lowercase().starts_with(&format!("{l}-"))
                })
                .map(|(_, t)| t.clone())
        };
        let es = pick("es").or_else(|| pairs.first().map(|(_, t)| t.clone()))?;
        Some(Texts {
            es,
            en: pick("en"),
            qu: pick("qu"),
        })
    }
}

/// When an alert is active: local times of the feed's zone, `YYYY-MM-DDTHH:MM[:SS]`; either
/// end open.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// From (open when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Until, not included (open when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// What an alert informs: an agency, a route, a stop, or a route at a stop (namespaced ids,
/// as `/v1/routes` and `/v1/stops` give them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Informed {
    /// An agency (every route of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// A route (at every stop, or at `stop` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// A stop (every route there, or `route` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
}

/// An alert as officials write it (`POST /v1/alerts`, `PUT /v1/alerts/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertIn {
    /// Why.
    #[serde(default)]
    pub cause: Cause,
    /// What it does to service.
    #[serde(default)]
    pub effect: Effect,
    /// When it is active (none: from now until ended).
    #[serde(default)]
    pub active: Vec<Period>,
    /// What it informs (at least one).
    pub informed: Vec<Informed>,
    /// A short text (Spanish required; at most 200 characters each).
    pub header: Texts,
    /// A longer text (at most 2,000 characters each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Texts>,
    /// A link for more (`http://` or `https://`, at most 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// An alert as served (`GET /v1/alerts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertOut {
    /// Its id (`AL-…` for officials' alerts; a feed's entity id else).
    pub id: String,
    /// `paradero` (written by officials) or the GTFS-Realtime feed it came from.
    pub source: String,
    /// 1, then one more at every edit (feeds' alerts: 1).
    pub version: i64,
    /// Why.
    pub cause: String,
    /// What it does to service.
    pub effect: String,
    /// When it is active.
    pub active: Vec<Period>,
    /// Whether it is active now.
    pub active_now: bool,
    /// What it informs.
    pub informed: Vec<Informed>,
    /// What it informs, as riders name it: the routes' short names, the stops' and
    /// agencies' names.
    pub affects: Vec<String>,
    /// Short text.
    pub header: Texts,
    /// Longer text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Texts>,
    /// A link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it was written and last changed (officials' alerts), local RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// `GET /v1/alerts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertList {
    /// Active now or later, officials' first, each oldest first.
    pub alerts: Vec<AlertOut>,
}

/// What the process last served of the officials' alerts.
#[derive(Debug, Default)]
pub(crate) struct AlertsState {
    fingerprint: Option<(i64, i64, i64)>,
    timetable: Weak<Timetable>,
}

/// An alert checked against the timetable: its GTFS-Realtime form (ids resolved) and the
/// route ids whose subscribers are told.
struct Checked {
    alert: realtime::alerts::Alert,
    routes: Vec<String>,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Checks `a` against the timetable served; the message says what is wrong, in `lang`.
fn check(tt: &Timetable, a: &AlertIn, id: &str, lang: Lang) -> Result<Checked, Error> {
    let bad = |key: &str, args: &[(&str, &dyn std::fmt::Display)]| {
        Error::Unprocessable(i18n::t(lang, key, args))
    };
    if a.header.es.trim().is_empty() {
        return Err(bad("alerts.no_spanish", &[]));
    }
    let long = |field: &str, text: &str, max: usize| -> Result<(), Error> {
        let n = chars(text);
        if n > max {
            return Err(bad(
                "alerts.too_long",
                &[("field", &field), ("n", &n), ("max", &max)],
            ));
        }
        Ok(())
    };
    for (field, t, max) in [
        ("header.es", Some(&a.header.es), HEADER_MAX),
        ("header.en", a.header.en.as_ref(), HEADER_MAX),
        ("header.qu", a.header.qu.as_ref(), HEADER_MAX),
    ]
    .into_iter()
    .chain(a.description.iter().flat_map(|d| {
        [
            ("description.es", Some(&d.es), DESCRIPTION_MAX),
            ("description.en", d.en.as_ref(), DESCRIPTION_MAX),
            ("description.qu", d.qu.as_ref(), DESCRIPTION_MAX),
        ]
    })) {
        if let Some(t) = t {
            long(field, t, max)?;
        }
    }
    if let Some(u) = &a.url {
        long("url", u, URL_MAX)?;
        let lower = u.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://"))
            || u.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad("alerts.bad_url", &[("text", u)]));
        }
    }
    for (field, n, max) in [
        ("active", a.active.len(), PERIODS_MAX),
        ("informed", a.informed.len(), INFORMED_MAX),
    ] {
        if n > max {
            return Err(bad(
                "alerts.too_many",
                &[("field", &field), ("n", &n), ("max", &max)],
            ));
        }
    }
    let today = planner::clock::now(tt).0;
    let when = |s: &str| -> Result<i64, Error> {
        let (day, secs) = crate::when::parse(s, today, None)
            .map_err(|e| Error::Unprocessable(e.localized(lang)))?;
        Ok(planner::clock::local_to_unix(tt, day, secs))
    };
    let mut active = Vec::new();
    for (i, p) in a.active.iter().enumerate() {
        let start = p.start.as_deref().map(when).transpose()?;
        let end = p.end.as_deref().map(when).transpose()?;
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            return Err(bad(
                "alerts.bad_period",
                &[
                    ("n", &(i + 1)),
                    ("start", &p.start.as_deref().unwrap_or("")),
                    ("end", &p.end.as_deref().unwrap_or("")),
                ],
            ));
        }
        active.push((start.unwrap_or(0), end.unwrap_or(0)));
    }
    if a.informed.is_empty() {
        return Err(bad("alerts.nothing_informed", &[]));
    }
    let mut alert = realtime::alerts::Alert {
        id: id.to_string(),
        source: SOURCE.to_string(),
        header: a.header.pairs(),
        description: a.description.as_ref().map(Texts::pairs).unwrap_or_default(),
        url: a.url.iter().map(|u| (String::new(), u.clone())).collect(),
        cause: a.cause.as_str(),
        effect: a.effect.as_str(),
        stops: Vec::new(),
        routes: Vec::new(),
        agencies: Vec::new(),
        route_stops: Vec::new(),
        everywhere: false,
        active,
    };
    let routes = inform(tt, &a.informed, &mut alert, lang)?;
    Ok(Checked {
        alert,
        routes: routes.into_iter().map(|r| tt.route(r).id.clone()).collect(),
    })
}

/// Resolves what an alert informs into `alert`, each entity checked against the timetable;
/// the routes whose followers are told.
fn inform(
    tt: &Timetable,
    informed: &[Informed],
    alert: &mut realtime::alerts::Alert,
    lang: Lang,
) -> Result<BTreeSet<RouteIdx>, Error> {
    let bad = |key: &str, args: &[(&str, &dyn std::fmt::Display)]| {
        Error::Unprocessable(i18n::t(lang, key, args))
    };
    let mut routes: BTreeSet<RouteIdx> = BTreeSet::new();
    for (i, e) in informed.iter().enumerate() {
        let n = i + 1;
        let route = e
            .route
            .as_deref()
            .map(|id| {
                tt.route_by_id(id.trim())
                    .ok_or_else(|| bad("alerts.unknown_route", &[("id", &id), ("n", &n)]))
            })
            .transpose()?;
        let stop = e
            .stop
            .as_deref()
            .map(|id| {
                tt.stop_by_id(id.trim())
                    .ok_or_else(|| bad("alerts.unknown_stop", &[("id", &id), ("n", &n)]))
            })
            .transpose()?;
        let agency = e
            .agency
            .as_deref()
            .map(|id| {
                tt.agencies()
                    .iter()
                    .position(|x| x.id == id.trim())
                    .map(AgencyIdx::new)
                    .ok_or_else(|| bad("alerts.unknown_agency", &[("id", &id), ("n", &n)]))
            })
            .transpose()?;
        match (agency, route, stop) {
            (_, Some(r), Some(s)) => {
                if !stop_routes(tt, s).contains(&r) {
                    return Err(bad(
                        "alerts.route_not_at_stop",
                        &[
                            ("route", &e.route.as_deref().unwrap_or("")),
                            ("stop", &e.stop.as_deref().unwrap_or("")),
                            ("n", &n),
                        ],
                    ));
                }
                alert.route_stops.push((r, s));
                routes.insert(r);
            }
            (_, Some(r), None) => {
                alert.routes.push(r);
                routes.insert(r);
            }
            (_, None, Some(s)) => {
                alert.stops.push(s);
                routes.extend(stop_routes(tt, s));
            }
            (Some(ag), None, None) => {
                alert.agencies.push(ag);
                routes.extend(
                    (0..tt.routes().len())
                        .map(RouteIdx::new)
                        .filter(|&r| tt.route(r).agency == ag),
                );
            }
            (None, None, None) => return Err(bad("alerts.empty_entity", &[("n", &n)])),
        }
    }
    Ok(routes)
}

/// The routes that call at `stop`.
fn stop_routes(tt: &Timetable, stop: StopIdx) -> BTreeSet<RouteIdx> {
    tt.stop_patterns(stop)
        .iter()
        .map(|(p, _)| tt.pattern(*p).route)
        .collect()
}

/// What `informed` names, as riders read it.
fn affects(tt: &Timetable, informed: &[Informed]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in informed {
        let name = match (&e.route, &e.stop, &e.agency) {
            (Some(r), Some(s), _) => tt
                .route_by_id(r)
                .zip(tt.stop_by_id(s))
                .map(|(r, s)| format!("{} @ {}", tt.route(r).short_name, tt.stop(s).name)),
            (Some(r), None, _) => tt.route_by_id(r).map(|r| tt.route(r).short_name.clone()),
            (None, Some(s), _) => tt.stop_by_id(s).map(|s| tt.stop(s).name.clone()),
            (None, None, Some(g)) => tt
                .agencies()
                .iter()
                .find(|x| x.id == *g)
                .map(|x| x.name.clone()),
            (None, None, None) => None,
        };
        if let Some(n) = name.filter(|n| !out.contains(n)) {
            out.push(n);
        }
    }
    out
}

/// A stored alert as served.
fn out_of_stored(
    tt: &Timetable,
    s: &store::StoredAlert,
    now: i64,
) -> Option<(AlertOut, realtime::alerts::Alert)> {
    let a: AlertIn = serde_json::from_str(&s.body).ok()?;
    // Checked again against the timetable served now (a reload may have dropped a route):
    // what it names that is gone is left out, and an alert naming nothing left is not served.
    let mut kept = a.clone();
    kept.informed.retain(|e| {
        e.route
            .as_deref()
            .is_none_or(|r| tt.route_by_id(r).is_some())
            && e.stop.as_deref().is_none_or(|x| tt.stop_by_id(x).is_some())
            && e.agency
                .as_deref()
                .is_none_or(|g| tt.agencies().iter().any(|x| x.id == g))
    });
    let checked = check(tt, &kept, &s.id, Lang::Es).ok()?;
    Some((
        AlertOut {
            id: s.id.clone(),
            source: SOURCE.to_string(),
            version: s.version,
            cause: a.cause.as_str().to_string(),
            effect: a.effect.as_str().to_string(),
            active: a.active.clone(),
            active_now: checked.alert.active_at(now),
            informed: a.informed.clone(),
            affects: affects(tt, &kept.informed),
            header: a.header.clone(),
            description: a.description.clone(),
            url: a.url.clone(),
            updated_at: Some(planner::clock::unix_rfc3339(tt, s.updated_at)),
        },
        checked.alert,
    ))
}

/// A feed's alert as served.
fn out_of_feed(tt: &Timetable, a: &realtime::alerts::Alert, now: i64) -> AlertOut {
    let mut informed: Vec<Informed> = Vec::new();
    if a.everywhere {
        informed.extend(tt.agencies().iter().map(|g| Informed {
            agency: Some(g.id.clone()),
            ..Informed::default()
        }));
    }
    informed.extend(a.agencies.iter().map(|&g| Informed {
        agency: Some(tt.agencies()[g.idx()].id.clone()),
        ..Informed::default()
    }));
    informed.extend(a.routes.iter().map(|&r| Informed {
        route: Some(tt.route(r).id.clone()),
        ..Informed::default()
    }));
    informed.extend(a.stops.iter().map(|&s| Informed {
        stop: Some(tt.stop(s).id.clone()),
        ..Informed::default()
    }));
    informed.extend(a.route_stops.iter().map(|&(r, s)| Informed {
        route: Some(tt.route(r).id.clone()),
        stop: Some(tt.stop(s).id.clone()),
        ..Informed::default()
    }));
    let local = |t: i64| (t != 0).then(|| planner::clock::local_iso(tt, t));
    AlertOut {
        id: a.id.clone(),
        source: a.source.clone(),
        version: 1,
        cause: a.cause.to_string(),
        effect: a.effect.to_string(),
        active: a
            .active
            .iter()
            .map(|&(s, e)| Period {
                start: local(s),
                end: local(e),
            })
            .collect(),
        active_now: a.active_at(now),
        affects: affects(tt, &informed),
        informed,
        header: Texts::from_pairs(&a.header).unwrap_or_default(),
        description: Texts::from_pairs(&a.description),
        url: a.url.first().map(|(_, u)| u.clone()),
        updated_at: None,
    }
}

impl App {
    /// The alerts active now or later: officials' (from the store when the observatory is
    /// on) and the feeds'.
    pub async fn alerts(&self, now: i64, lang: Lang) -> Result<AlertList, Error> {
        let ds = self.dataset();
        let tt = &ds.timetable;
        let mut alerts = Vec::new();
        if let Some(o) = self.observatory() {
            let stored = o
                .store
                .open_alerts()
                .await
                .map_err(|e| Error::from_store(&e, lang))?;
            alerts.extend(
                stored
                    .iter()
                    .filter_map(|s| out_of_stored(tt, s, now))
                    .filter(|(_, a)| still_to_come(a, now))
                    .map(|(out, _)| out),
            );
        }
        let state = self.live.load();
        if std::ptr::eq(state.timetable_ptr(), Arc::as_ptr(tt)) {
            let at = state.live().at(now);
            alerts.extend(
                at.feed_alerts()
                    .filter(|a| still_to_come(a, now))
                    .map(|a| out_of_feed(tt, a, now)),
            );
        }
        Ok(AlertList { alerts })
    }

    /// Writes a new alert (editors); it is served at once, and chats subscribed to a route
    /// it informs are told.
    pub async fn create_alert(
        &self,
        who: &Official,
        a: &AlertIn,
        now: i64,
        lang: Lang,
    ) -> Result<AlertOut, Error> {
        let o = self.require_observatory(lang)?;
        let ds = self.dataset();
        let checked = check(&ds.timetable, a, "", lang)?;
        let body = serde_json::to_string(a).map_err(|e| Error::Internal(e.to_string()))?;
        let stored = o
            .store
            .create_alert(&body, &who.name, &checked.routes, now)
            .await
            .map_err(|e| Error::from_store(&e, lang))?;
        self.refresh_alerts(&ds, true).await?;
        out_of_stored(&ds.timetable, &stored, now)
            .map(|(out, _)| out)
            .ok_or_else(|| Error::Internal("an alert just written does not read back".into()))
    }

    /// Replaces alert `id` (editors; an ended one is served again); subscribers are told.
    pub async fn update_alert(
        &self,
        who: &Official,
        id: &str,
        a: &AlertIn,
        now: i64,
        lang: Lang,
    ) -> Result<AlertOut, Error> {
        let o = self.require_observatory(lang)?;
        let ds = self.dataset();
        let checked = check(&ds.timetable, a, id, lang)?;
        let body = serde_json::to_string(a).map_err(|e| Error::Internal(e.to_string()))?;
        let stored = o
            .store
            .update_alert(id, &body, &who.name, &checked.routes, now)
            .await
            .map_err(|e| Error::from_store(&e, lang))?
            .ok_or_else(|| Error::NotFound(i18n::t(lang, "alerts.not_found", &[("id", &id)])))?;
        self.refresh_alerts(&ds, true).await?;
        out_of_stored(&ds.timetable, &stored, now)
            .map(|(out, _)| out)
            .ok_or_else(|| Error::Internal("an alert just written does not read back".into()))
    }

    /// Ends alert `id` now (editors): no longer served, kept on record.
    pub async fn end_alert(
        &self,
        who: &Official,
        id: &str,
        now: i64,
        lang: Lang,
    ) -> Result<(), Error> {
        let o = self.require_observatory(lang)?;
        let ended = o
            .store
            .end_alert(id, &who.name, now)
            .await
            .map_err(|e| Error::from_store(&e, lang))?;
        if !ended {
            return Err(Error::NotFound(i18n::t(
                lang,
                "alerts.not_found",
                &[("id", &id)],
            )));
        }
        let ds = self.dataset();
        self.refresh_alerts(&ds, true).await
    }

    /// Reads the officials' alerts again when they changed (another process wrote one) or
    /// the timetable did, and serves them. Called every second beside the positions.
    pub async fn follow_alerts(&self) -> Result<bool, Error> {
        let ds = self.dataset();
        self.refresh_alerts(&ds, false).await?;
        Ok(true)
    }

    async fn refresh_alerts(&self, ds: &Arc<Dataset>, force: bool) -> Result<(), Error> {
        let Some(o) = self.observatory() else {
            return Ok(());
        };
        let fp = o
            .store
            .alerts_fingerprint()
            .await
            .map_err(|e| Error::from_store(&e, Lang::default()))?;
        let same_tt = |w: &Weak<Timetable>| std::ptr::eq(w.as_ptr(), Arc::as_ptr(&ds.timetable));
        {
            let seen = self.alerts_seen.lock().unwrap_or_else(|e| e.into_inner());
            let live = self.live.load();
            if !force
                && seen.fingerprint == Some(fp)
                && same_tt(&seen.timetable)
                && std::ptr::eq(live.timetable_ptr(), Arc::as_ptr(&ds.timetable))
            {
                return Ok(());
            }
        }
        let stored = o
            .store
            .open_alerts()
            .await
            .map_err(|e| Error::from_store(&e, Lang::default()))?;
        let now = crate::now_unix();
        let alerts: Vec<realtime::alerts::Alert> = stored
            .iter()
            .filter_map(|s| out_of_stored(&ds.timetable, s, now))
            .map(|(_, a)| a)
            .collect();
        self.metrics
            .gauge_labelled("paradero_alerts_official", &[], alerts.len() as f64);
        let alerts = Arc::new(alerts);
        self.swap_live(ds, |live| live.with_official_alerts(Arc::clone(&alerts)));
        let mut seen = self.alerts_seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.fingerprint = Some(fp);
        seen.timetable = Arc::downgrade(&ds.timetable);
        Ok(())
    }

    /// The route ids a chat may subscribe to, by what a rider types: a route's id or its
    /// short name (`"12"`, `"c"`), unique across the feeds.
    pub fn alert_route(&self, typed: &str) -> Option<(String, String)> {
        let ds = self.dataset();
        let tt = &ds.timetable;
        let t = typed.trim();
        if let Some(r) = tt.route_by_id(t) {
            return Some((tt.route(r).id.clone(), tt.route(r).short_name.clone()));
        }
        let mut found = (0..tt.routes().len())
            .map(RouteIdx::new)
            .filter(|&r| tt.route(r).short_name.eq_ignore_ascii_case(t));
        let first = found.next()?;
        found.next().is_none().then(|| {
            (
                tt.route(first).id.clone(),
                tt.route(first).short_name.clone(),
            )
        })
    }
}

/// Whether `a` is active now or will be.
fn still_to_come(a: &realtime::alerts::Alert, now: i64) -> bool {
    a.active.is_empty() || a.active.iter().any(|&(_, e)| e == 0 || now < e)
}

/// A route a chat follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowedRoute {
    /// Namespaced id.
    pub id: String,
    /// Short name, as riders know it.
    pub short_name: String,
    /// Where it goes (its long name).
    pub long_name: String,
}

/// An alert to tell a chat, rendered in its language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertToTell {
    /// The outbox row (to mark sent or failed).
    pub delivery: i64,
    /// The chat.
    pub chat_id: i64,
    /// Tries so far, this one included.
    pub attempts: i64,
    /// The message (plain text).
    pub text: String,
}

/// How long a delivery is leased to the process sending it (a process killed mid-send gives
/// it up to another after this).
const LEASE_S: i64 = 60;
/// Tries before a delivery that keeps failing (not a rate limit) is given up.
pub const MAX_ATTEMPTS: i64 = 8;

impl App {
    /// The routes `typed` names: an id, or every route with that short name (both
    /// directions of a line are two routes).
    fn routes_typed(&self, typed: &str) -> Vec<FollowedRoute> {
        let ds = self.dataset();
        let tt = &ds.timetable;
        let t = typed.trim();
        let fold = |s: &str| s.trim().to_lowercase();
        let want = fold(t);
        let found: Vec<RouteIdx> = match tt.route_by_id(t) {
            Some(r) => vec![r],
            None => (0..tt.routes().len())
                .map(RouteIdx::new)
                .filter(|&r| !want.is_empty() && fold(&tt.route(r).short_name) == want)
                .collect(),
        };
        found
            .into_iter()
            .map(|r| FollowedRoute {
                id: tt.route(r).id.clone(),
                short_name: tt.route(r).short_name.clone(),
                long_name: tt.route(r).long_name.clone(),
            })
            .collect()
    }

    /// Subscribes chat `chat_id` to the alerts of the routes `typed` names; the routes.
    pub async fn follow_route_alerts(
        &self,
        chat_id: i64,
        typed: &str,
        lang: Lang,
    ) -> Result<Vec<FollowedRoute>, Error> {
        let o = self.require_observatory(lang)?;
        let routes = self.routes_typed(typed);
        if routes.is_empty() {
            return Err(Error::NotFound(i18n::t(
                lang,
                "bot.alerts.no_route",
                &[("text", &typed.trim())],
            )));
        }
        let now = crate::now_unix();
        for r in &routes {
            o.store
                .subscribe_alerts(chat_id, &r.id, now)
                .await
                .map_err(|e| Error::from_store(&e, lang))?;
        }
        Ok(routes)
    }

    /// Unsubscribes chat `chat_id` from the routes `typed` names (all: `None`); how many
    /// subscriptions ended.
    pub async fn unfollow_route_alerts(
        &self,
        chat_id: i64,
        typed: Option<&str>,
        lang: Lang,
    ) -> Result<u64, Error> {
        let o = self.require_observatory(lang)?;
        let map = |e: store::StoreError| Error::from_store(&e, lang);
        match typed {
            None => o.store.unsubscribe_alerts(chat_id, None).await.map_err(map),
            Some(t) => {
                let mut n = 0;
                for r in self.routes_typed(t) {
                    n += o
                        .store
                        .unsubscribe_alerts(chat_id, Some(&r.id))
                        .await
                        .map_err(map)?;
                }
                Ok(n)
            }
        }
    }

    /// The routes chat `chat_id` follows (those still in the timetable).
    pub async fn followed_routes(
        &self,
        chat_id: i64,
        lang: Lang,
    ) -> Result<Vec<FollowedRoute>, Error> {
        let o = self.require_observatory(lang)?;
        let ids = o
            .store
            .alert_subscriptions(chat_id)
            .await
            .map_err(|e| Error::from_store(&e, lang))?;
        let ds = self.dataset();
        let tt = &ds.timetable;
        Ok(ids
            .iter()
            .filter_map(|id| tt.route_by_id(id))
            .map(|r| FollowedRoute {
                id: tt.route(r).id.clone(),
                short_name: tt.route(r).short_name.clone(),
                long_name: tt.route(r).long_name.clone(),
            })
            .collect())
    }

    /// The alerts due to subscribed chats, leased to the caller (another process does not
    /// send them meanwhile), each rendered in its chat's language. A delivery of a version
    /// since replaced, or of an alert since ended, is marked done unsent: a chat is told the
    /// latest once.
    pub async fn alerts_to_tell(&self, limit: i64) -> Result<Vec<AlertToTell>, Error> {
        let Some(o) = self.observatory() else {
            return Ok(Vec::new());
        };
        let map = |e: store::StoreError| Error::from_store(&e, Lang::default());
        let now = crate::now_unix();
        let leased = o
            .store
            .lease_alert_deliveries(now, LEASE_S, limit)
            .await
            .map_err(map)?;
        let ds = self.dataset();
        let tt = &ds.timetable;
        let mut out = Vec::new();
        for d in leased {
            let stored = o.store.alert(&d.alert_id).await.map_err(map)?;
            let current = stored
                .as_ref()
                .filter(|a| a.ended_at.is_none() && a.version == d.version);
            let Some(a) = current.and_then(|s| serde_json::from_str::<AlertIn>(&s.body).ok())
            else {
                o.store.alert_delivered(d.id, now).await.map_err(map)?;
                continue;
            };
            let lang = Lang::parse(&d.lang).unwrap_or_default();
            out.push(AlertToTell {
                delivery: d.id,
                chat_id: d.chat_id,
                attempts: d.attempts,
                text: render(tt, &a, lang),
            });
        }
        Ok(out)
    }

    /// A delivery was sent.
    pub async fn alert_told(&self, delivery: i64) -> Result<(), Error> {
        let o = self.require_observatory(Lang::default())?;
        o.store
            .alert_delivered(delivery, crate::now_unix())
            .await
            .map_err(|e| Error::from_store(&e, Lang::default()))
    }

    /// A delivery failed: tried again after a back-off growing with its tries, or given up
    /// after [`MAX_ATTEMPTS`] or when the chat is gone (`chat_gone`: it blocked the bot or
    /// was deleted — its subscriptions end too).
    pub async fn alert_not_told(&self, t: &AlertToTell, chat_gone: bool) -> Result<(), Error> {
        let o = self.require_observatory(Lang::default())?;
        let map = |e: store::StoreError| Error::from_store(&e, Lang::default());
        let give_up = chat_gone || t.attempts >= MAX_ATTEMPTS;
        let backoff = 30_i64.saturating_mul(1 << t.attempts.clamp(0, 7));
        o.store
            .alert_delivery_failed(t.delivery, crate::now_unix() + backoff, give_up)
            .await
            .map_err(map)?;
        if chat_gone {
            o.store
                .unsubscribe_alerts(t.chat_id, None)
                .await
                .map_err(map)?;
        }
        Ok(())
    }
}

/// An alert as a chat message: what it does, to which routes, the text, the link.
fn render(tt: &Timetable, a: &AlertIn, lang: Lang) -> String {
    let pick = |t: &Texts| {
        match lang {
            Lang::En => t.en.clone(),
            Lang::Qu => t.qu.clone(),
            Lang::Es => None,
        }
        .filter(|x| !x.trim().is_empty())
        .unwrap_or_else(|| t.es.clone())
    };
    let mut names: Vec<String> = a
        .informed
        .iter()
        .filter_map(|e| e.route.as_deref())
        .filter_map(|r| tt.route_by_id(r))
        .map(|r| tt.route(r).short_name.clone())
        .collect();
    names.sort();
    names.dedup();
    let mut text = i18n::t(
        lang,
        "bot.alerts.told",
        &[
            (
                "effect",
                &i18n::t(lang, &format!("alerts.effect.{}", a.effect.as_str()), &[]),
            ),
            ("header", &pick(&a.header)),
        ],
    );
    if !names.is_empty() {
        text.push('\n');
        text.push_str(&i18n::t(
            lang,
            "bot.alerts.routes",
            &[("routes", &names.join(", "))],
        ));
    }
    if let Some(d) = &a.description {
        text.push_str("\n\n");
        text.push_str(&pick(d));
    }
    if let Some(u) = &a.url {
        text.push('\n');
        text.push_str(u);
    }
    text.push_str("\n\n");
    text.push_str(&i18n::t(lang, "bot.alerts.stop_hint", &[]));
    text
}
