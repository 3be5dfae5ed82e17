//! Operators' GPS, pushed: an operator's batch of positions (JSON, or a GTFS-Realtime
//! VehiclePositions message) checked against the agencies its token speaks for, placed on the
//! routes' lines by [`realtime::fleet`], and published as the next generation of what is live.
//!
//! With the observatory's database, each accepted batch is also written to `live_positions`
//! before it is answered; every process on the database reads the batches of the others
//! (`follow_positions`), so a position pushed to one process is used by all within a couple
//! of seconds, and a restarted process picks up the vehicles of the last minutes.

use crate::{App, Dataset, Error, Official, Role};
use i18n::Lang;
use realtime::fleet::{Fleet, Lines, Ping};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use timetable::{Coord, RouteIdx, Timetable};

/// The source name pushed positions are published under.
const SOURCE: &str = "operators";

/// One position an operator sends.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PositionIn {
    /// The operator's code for the vehicle (1–64 characters), such as its plate.
    #[cfg_attr(feature = "openapi", schema(example = "AQP-123"))]
    pub vehicle: String,
    /// The route: its id (`17445532` or `arequipa:17445532`) or its short name (`Enace`:
    /// both directions, told apart by where the bus goes).
    #[cfg_attr(feature = "openapi", schema(example = "Enace"))]
    pub route: String,
    /// 0 or 1, when known.
    #[serde(default)]
    pub direction: Option<u8>,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// When the position was taken, Unix seconds.
    pub timestamp: i64,
    /// Speed, km/h.
    #[serde(default)]
    pub speed_kmh: Option<f64>,
    /// Heading, degrees clockwise from north.
    #[serde(default)]
    pub heading: Option<f64>,
}

/// A batch of positions.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PositionsIn {
    /// Up to `operators.max_batch` positions.
    pub positions: Vec<PositionIn>,
}

/// What became of a batch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PositionsTaken {
    /// Positions placed on their routes.
    pub accepted: usize,
    /// Positions not used, by reason: `bad_position`, `bad_vehicle`, `unknown_route`,
    /// `off_route`, `jump`, `out_of_order`, `from_the_future`, `too_old`.
    pub dropped: BTreeMap<String, usize>,
    /// Vehicles now tracked (of every operator).
    pub vehicles: usize,
    /// The generation of what is live that includes this batch.
    pub generation: u64,
}

/// The operators' vehicles, for the timetable whose lines they are placed on.
#[derive(Debug, Default)]
pub(crate) struct FleetState {
    timetable: Weak<Timetable>,
    lines: Arc<Lines>,
    fleet: Fleet,
    /// Batches of other processes already taken (ids), with when they were received.
    taken: BTreeMap<i64, i64>,
    /// The newest batch time read from the database (milliseconds).
    read_ms: i64,
    /// Batches observed, and how many of them the last publication included (with its
    /// generation and vehicle count): a batch is answered once a publication includes it.
    observed: u64,
    published: u64,
    published_as: (u64, usize),
    /// Service delivered, counted from the stops the buses pass (every process counts every
    /// bus: its own batches and those it follows).
    pub(crate) delivered: realtime::service::Delivered,
    /// Whether `delivered` was resumed from the cells stored (once per timetable).
    pub(crate) resumed: bool,
}

/// The settings of pushed positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorSettings {
    /// Positions one request may carry.
    pub max_batch: usize,
    /// Seconds a vehicle stays after it was last heard from.
    pub vehicle_timeout_s: u64,
    /// Days raw positions are kept.
    pub keep_positions_days: u64,
}

impl OperatorSettings {
    /// From the configuration.
    pub fn from_config(cfg: &config::OperatorsConfig) -> OperatorSettings {
        OperatorSettings {
            max_batch: cfg.max_batch,
            vehicle_timeout_s: cfg.vehicle_timeout_s,
            keep_positions_days: cfg.keep_positions_days,
        }
    }
}

/// A position resolved to the timetable, as stored for the other processes (route ids, not
/// indices: another process may have its own timetable).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Stored {
    v: String,
    r: Vec<String>,
    d: Option<u8>,
    lat: f64,
    lon: f64,
    t: i64,
    s: Option<f64>,
    h: Option<f32>,
}

impl App {
    /// An operator's batch of positions (see the module), from `who` (authenticated with
    /// at least [`Role::Operator`]): refused whole when a position names a route of an agency
    /// the token does not speak for (forbidden), or past `operators.max_batch` (too large).
    /// Positions that cannot be placed are dropped and counted by reason; the others move
    /// their vehicles.
    pub async fn take_positions(
        &self,
        who: &Official,
        positions: Vec<PositionIn>,
        now: i64,
        lang: Lang,
    ) -> Result<PositionsTaken, Error> {
        crate::officials::require(who, Role::Operator, lang)?;
        let max = self.settings.operators.max_batch;
        if positions.len() > max {
            return Err(Error::TooLarge(i18n::t(
                lang,
                "positions.too_many",
                &[("n", &positions.len()), ("max", &max)],
            )));
        }
        let ds = self.dataset();
        let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
        let mut pings = Vec::with_capacity(positions.len());
        for p in &positions {
            match resolve(&ds.timetable, who, p, lang)? {
                Ok(ping) => pings.push(ping),
                Err(reason) => *dropped.entry(reason.into()).or_default() += 1,
            }
        }
        self.share_positions(&ds, &pings, now, lang).await?;
        let (accepted, batch) = self.observe(&ds, &pings, now, &mut dropped);
        let (generation, vehicles) = self.publish(&ds, batch, now).await;
        Ok(PositionsTaken {
            accepted,
            dropped,
            vehicles,
            generation,
        })
    }

    /// The same, from a GTFS-Realtime VehiclePositions message (`application/x-protobuf`):
    /// each entity's vehicle id (else label, else the entity's id), route (its trip's, else
    /// `route_id`), position, timestamp (else the header's), speed and bearing.
    pub async fn take_positions_protobuf(
        &self,
        who: &Official,
        bytes: &[u8],
        now: i64,
        lang: Lang,
    ) -> Result<PositionsTaken, Error> {
        let msg = realtime::decode(bytes).map_err(|e| {
            Error::Invalid(i18n::t(
                lang,
                "realtime.unreadable",
                &[("feed", &SOURCE), ("text", &e)],
            ))
        })?;
        let ds = self.dataset();
        let header_t = msg.header.timestamp.and_then(|t| i64::try_from(t).ok());
        let positions =
            msg.entity
                .iter()
                .filter_map(|e| {
                    let v = e.vehicle.as_ref()?;
                    let p = v.position.as_ref();
                    let trip = v.trip.as_ref();
                    let route =
                        trip.and_then(|t| t.trip_id.as_deref())
                            .and_then(|id| {
                                ds.timetable.feeds().iter().find_map(|f| {
                                    ds.timetable.trip_by_id(&format!("{}:{id}", f.id))
                                })
                            })
                            .map(|t| ds.timetable.route(ds.timetable.trip(t).route).id.clone())
                            .or_else(|| trip.and_then(|t| t.route_id.clone()))
                            .unwrap_or_default();
                    Some(PositionIn {
                        vehicle: v
                            .vehicle
                            .as_ref()
                            .and_then(|d| d.id.clone().or_else(|| d.label.clone()))
                            .unwrap_or_else(|| e.id.clone()),
                        route,
                        direction: trip
                            .and_then(|t| t.direction_id)
                            .and_then(|d| u8::try_from(d).ok()),
                        lat: p.map_or(f64::NAN, |p| f64::from(p.latitude)),
                        lon: p.map_or(f64::NAN, |p| f64::from(p.longitude)),
                        timestamp: v
                            .timestamp
                            .and_then(|t| i64::try_from(t).ok())
                            .or(header_t)
                            .unwrap_or(now),
                        speed_kmh: p.and_then(|p| p.speed).map(|s| f64::from(s) * 3.6),
                        heading: p.and_then(|p| p.bearing).map(f64::from),
                    })
                })
                .collect();
        self.take_positions(who, positions, now, lang).await
    }

    /// Places resolved positions on their lines; (accepted, the batch's number). Quick (no
    /// prediction): a batch waits for the lock only while another is placed or predicted.
    fn observe(
        &self,
        ds: &Dataset,
        pings: &[Ping],
        now: i64,
        dropped: &mut BTreeMap<String, usize>,
    ) -> (usize, u64) {
        let timeout = i64::try_from(self.settings.operators.vehicle_timeout_s).unwrap_or(120);
        let (accepted, batch) = {
            let mut guard = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
            let state = &mut *guard;
            state.for_timetable(&ds.timetable);
            let mut accepted = 0;
            for ping in pings {
                match state.fleet.observe(&state.lines, ping, now, timeout) {
                    Ok(()) => accepted += 1,
                    Err(reason) => *dropped.entry(reason.as_str().into()).or_default() += 1,
                }
            }
            let tz = planner::clock::timezone(&ds.timetable);
            for p in state.fleet.take_passed() {
                state.delivered.record(&ds.timetable, &state.lines, tz, &p);
            }
            state.observed += 1;
            (accepted, state.observed)
        };
        for (reason, n) in dropped.iter() {
            self.metrics.count(
                "paradero_realtime_positions_dropped_total",
                &[("feed", SOURCE.to_string()), ("reason", reason.clone())],
                *n as u64,
            );
        }
        self.metrics.count(
            "paradero_realtime_positions_total",
            &[("feed", SOURCE.to_string())],
            accepted as u64,
        );
        (accepted, batch)
    }

    /// Publishes the fleet as it is once batch `batch` is in it; (generation, vehicles).
    /// Group commit: one publication at a time, and a batch observed while another was being
    /// published rides along with the next (or finds itself already published), so that
    /// publications — each a prediction of the whole fleet — are not one per batch.
    async fn publish(&self, ds: &Dataset, batch: u64, now: i64) -> (u64, usize) {
        let _turn = self.publishing.lock().await;
        let timeout = i64::try_from(self.settings.operators.vehicle_timeout_s).unwrap_or(120);
        let (upto, vehicles, overlay) = {
            let mut guard = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
            let state = &mut *guard;
            if state.published >= batch {
                return state.published_as;
            }
            state.fleet.forget_before(now - timeout);
            let (vehicles, overlay) = state.fleet.live(&ds.timetable, &state.lines, now, timeout);
            (state.observed, Arc::new(vehicles), Arc::new(overlay))
        };
        let tracked = vehicles.len();
        self.metrics.gauge_labelled(
            "paradero_realtime_vehicles",
            &[("feed", SOURCE.to_string())],
            tracked as f64,
        );
        let timeout_s = self.settings.operators.vehicle_timeout_s;
        let generation = self.swap_live(ds, |live| {
            live.with_source(SOURCE, overlay.clone(), vehicles.clone(), now, timeout_s)
        });
        let mut state = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
        state.published = state.published.max(upto);
        state.published_as = (generation, tracked);
        (generation, tracked)
    }

    /// Writes a batch for the other processes (and for after a restart); nothing to do
    /// without the observatory's database. A database that cannot take it refuses the batch
    /// (503): nothing was placed, the operator sends it again.
    async fn share_positions(
        &self,
        ds: &Dataset,
        pings: &[Ping],
        now: i64,
        lang: Lang,
    ) -> Result<(), Error> {
        let Some(o) = self.observatory() else {
            return Ok(());
        };
        if pings.is_empty() {
            return Ok(());
        }
        let tt = &ds.timetable;
        let body: Vec<Stored> = pings
            .iter()
            .map(|p| Stored {
                v: p.vehicle.clone(),
                r: p.routes.iter().map(|r| tt.route(*r).id.clone()).collect(),
                d: p.direction,
                lat: p.coord.lat(),
                lon: p.coord.lon(),
                t: p.at,
                s: p.speed_mps,
                h: p.heading,
            })
            .collect();
        let json = serde_json::to_string(&body).unwrap_or_default();
        let id = o
            .store
            .put_live_positions(self.origin(), &json, now * 1000)
            .await
            .map_err(|e| Error::from_store(&e, lang))?;
        let mut state = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
        state.taken.insert(id, now);
        Ok(())
    }

    /// Reads the batches other processes (or this one before a restart) wrote since the last
    /// read and places them; returns how many batches. Old batches are deleted on the way.
    pub async fn follow_positions(&self, now: i64) -> Result<usize, Error> {
        let Some(o) = self.observatory() else {
            return Ok(0);
        };
        let timeout = i64::try_from(self.settings.operators.vehicle_timeout_s).unwrap_or(120);
        let since_ms = {
            let state = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
            // A little overlap: a batch written just before the last read may commit after it.
            (state.read_ms - 5_000).max((now - timeout) * 1000)
        };
        let rows = o
            .store
            .live_positions_since(since_ms)
            .await
            .map_err(|e| Error::from_store(&e, Lang::default()))?;
        let ds = self.dataset();
        let tt = &ds.timetable;
        let mut pings = Vec::new();
        let mut batches = 0;
        {
            let mut state = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
            for (id, received_ms, body) in rows {
                state.read_ms = state.read_ms.max(received_ms);
                if state.taken.insert(id, received_ms / 1000).is_some() {
                    continue;
                }
                batches += 1;
                let stored: Vec<Stored> = serde_json::from_str(&body).unwrap_or_default();
                pings.extend(stored.into_iter().filter_map(|s| {
                    Some(Ping {
                        vehicle: s.v,
                        routes: s.r.iter().filter_map(|r| tt.route_by_id(r)).collect(),
                        direction: s.d,
                        coord: Coord::new(s.lat, s.lon).ok()?,
                        at: s.t,
                        speed_mps: s.s,
                        heading: s.h,
                    })
                }));
            }
            let oldest = now - timeout;
            state.taken.retain(|_, at| *at >= oldest);
        }
        if batches > 0 {
            pings.sort_by_key(|p| p.at);
            let mut dropped = BTreeMap::new();
            let (_, batch) = self.observe(&ds, &pings, now, &mut dropped);
            self.publish(&ds, batch, now).await;
        }
        // Raw positions are kept `keep_positions_days` (then only service delivered's sums).
        let keep = i64::try_from(self.settings.operators.keep_positions_days).unwrap_or(7) * 86_400;
        o.store
            .delete_live_positions_before((now - keep) * 1000)
            .await
            .map_err(|e| Error::from_store(&e, Lang::default()))?;
        Ok(batches)
    }
}

impl FleetState {
    /// The lines placed on (for what service delivered reads of them).
    pub(crate) fn lines(&self) -> &Arc<Lines> {
        &self.lines
    }
    /// Makes it serve `tt` (see [`FleetState::for_timetable`]).
    pub(crate) fn serve(&mut self, tt: &Arc<Timetable>) {
        self.for_timetable(tt);
    }
    /// Starts afresh (lines and vehicles) when the timetable served changed.
    fn for_timetable(&mut self, tt: &Arc<Timetable>) {
        if !std::ptr::eq(self.timetable.as_ptr(), Arc::as_ptr(tt)) {
            self.timetable = Arc::downgrade(tt);
            self.lines = Arc::new(Lines::new(tt));
            self.fleet = Fleet::default();
            self.delivered = realtime::service::Delivered::default();
            self.resumed = false;
        }
    }
}

/// A position as the timetable knows it, or why it is dropped; an error (the whole batch
/// refused) when it names a route of another agency.
fn resolve(
    tt: &Timetable,
    who: &Official,
    p: &PositionIn,
    lang: Lang,
) -> Result<Result<Ping, &'static str>, Error> {
    let vehicle = p.vehicle.trim();
    if vehicle.is_empty() || vehicle.chars().count() > 64 || vehicle.chars().any(char::is_control) {
        return Ok(Err("bad_vehicle"));
    }
    // Six decimals (a tenth of a metre) is more than any GPS knows.
    let r6 = |x: f64| (x * 1e6).round() / 1e6;
    let Ok(coord) = Coord::new(r6(p.lat), r6(p.lon)) else {
        return Ok(Err("bad_position"));
    };
    let wanted = p.route.trim();
    let named = |r: &timetable::Route| {
        !wanted.is_empty()
            && (r.id == wanted
                || r.id.split_once(':').is_some_and(|(_, id)| id == wanted)
                || r.short_name.eq_ignore_ascii_case(wanted))
    };
    let mine = |r: &timetable::Route| {
        let agency = &tt.agencies()[r.agency.idx()].id;
        who.agencies.iter().any(|a| a == agency)
    };
    let routes: Vec<RouteIdx> = tt
        .routes()
        .iter()
        .enumerate()
        .filter(|(_, r)| named(r) && mine(r))
        .map(|(i, _)| RouteIdx::new(i))
        .collect();
    if routes.is_empty() {
        if tt.routes().iter().any(named) {
            return Err(Error::Forbidden(i18n::t(
                lang,
                "positions.not_your_route",
                &[("route", &wanted)],
            )));
        }
        return Ok(Err("unknown_route"));
    }
    Ok(Ok(Ping {
        vehicle: vehicle.to_string(),
        routes,
        direction: p.direction.filter(|d| *d <= 1),
        coord,
        at: p.timestamp,
        speed_mps: p
            .speed_kmh
            .filter(|s| s.is_finite() && (0.0..=200.0).contains(s))
            .map(|s| s / 3.6),
        heading: p
            .heading
            .filter(|h| h.is_finite() && (0.0..=360.0).contains(h))
            .map(|h| h as f32),
    }))
}

/// A new fleet state (for `App::new`).
pub(crate) fn fleet_state() -> Mutex<FleetState> {
    Mutex::new(FleetState::default())
}
