//! GTFS-Realtime out: what paradero knows live — the feeds' and the operators' buses' runs,
//! their positions, and the service alerts (officials' and the feeds') — re-published as
//! full-dataset `FeedMessage`s, so that any app reading GTFS-Realtime shows the city's buses.
//!
//! A snapshot is built once per generation of what is live (and of the officials' alerts)
//! and kind, then served to every request until the next generation: never rebuilt per
//! request. Ids are paradero's namespaced ones (`arequipa:123`), or, for one feed asked by
//! name, that feed's own, as its static GTFS has them. Vehicle codes are never published
//! (they identify a driver's shift): a vehicle is its run.

use crate::{App, Error};
use prost::Message;
use realtime::proto;
use std::sync::{Arc, Mutex, OnceLock};
use timetable::{Day, PatternIdx, Timetable, TripIdx, TripKind};

/// A snapshot is built again after this long even when nothing changed, so that its
/// header's timestamp stays fresh (readers take an old one for a dead feed).
const FRESH_S: i64 = 30;

/// Which of the three feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `TripUpdate`s: predicted times of the runs live.
    TripUpdates,
    /// `VehiclePosition`s.
    VehiclePositions,
    /// `Alert`s.
    Alerts,
}

impl Kind {
    /// From the path's last segment.
    pub fn from_path(s: &str) -> Option<Kind> {
        match s {
            "trip-updates" => Some(Kind::TripUpdates),
            "vehicle-positions" => Some(Kind::VehiclePositions),
            "alerts" => Some(Kind::Alerts),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::TripUpdates => "trip-updates",
            Kind::VehiclePositions => "vehicle-positions",
            Kind::Alerts => "alerts",
        }
    }
}

/// One built feed, served as is until what is live changes.
#[derive(Debug)]
pub struct Snapshot {
    /// The protobuf `FeedMessage`.
    pub bytes: Vec<u8>,
    /// An entity tag for conditional requests (quoted).
    pub etag: String,
    /// The header's timestamp (Unix seconds).
    pub timestamp: u64,
    /// Entities.
    pub entities: usize,
    message: proto::FeedMessage,
    json: OnceLock<Vec<u8>>,
}

impl Snapshot {
    /// The same as JSON, for people: GTFS-Realtime's field names, enums by name.
    pub fn json(&self) -> &[u8] {
        self.json
            .get_or_init(|| serde_json::to_vec_pretty(&to_json(&self.message)).unwrap_or_default())
    }
}

/// The snapshots built, by (kind, feed), with the version of what is live they were built
/// from.
#[derive(Debug, Default)]
pub(crate) struct Snapshots {
    built: Mutex<Vec<Built>>,
}

/// A snapshot, with what it was built for: (kind, feed, (timetable, generation), it).
type Built = (Kind, Option<String>, (usize, u64), Arc<Snapshot>);

impl App {
    /// The `kind` feed as of now (all feeds' ids namespaced; or only `feed`'s, with its own
    /// ids): the snapshot of the current generation, built on its first request.
    pub fn gtfs_rt(
        &self,
        kind: Kind,
        feed: Option<&str>,
        now: i64,
        lang: i18n::Lang,
    ) -> Result<Arc<Snapshot>, Error> {
        let ds = self.dataset();
        let tt = &ds.timetable;
        if let Some(f) = feed
            && !tt.feeds().iter().any(|x| x.id == f)
        {
            let ids: Vec<&str> = tt.feeds().iter().map(|x| x.id.as_str()).collect();
            return Err(Error::NotFound(i18n::t(
                lang,
                "gtfs_rt.unknown_feed",
                &[("feed", &f), ("feeds", &ids.join(", "))],
            )));
        }
        let state = self.live.load();
        let same = std::ptr::eq(state.timetable_ptr(), Arc::as_ptr(tt));
        let version = (
            Arc::as_ptr(tt) as usize,
            if same { state.live().generation } else { 0 },
        );
        let mut built = self
            .gtfs_rt_snapshots
            .built
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((.., snap)) = built.iter().find(|(k, f, v, snap)| {
            *k == kind
                && f.as_deref() == feed
                && *v == version
                && i64::try_from(snap.timestamp).unwrap_or(0) + FRESH_S >= now
        }) {
            return Ok(Arc::clone(snap));
        }
        let empty = realtime::Live::default();
        let live = if same {
            state.live().at(now)
        } else {
            empty.at(now)
        };
        let ids = Ids { feed };
        let entity = match kind {
            Kind::TripUpdates => trip_updates(tt, live, &ids, now),
            Kind::VehiclePositions => vehicle_positions(tt, live, &ids),
            Kind::Alerts => alerts(tt, live, &ids),
        };
        let timestamp = u64::try_from(now).unwrap_or(0);
        let message = proto::FeedMessage {
            header: proto::FeedHeader {
                gtfs_realtime_version: "2.0".into(),
                incrementality: Some(proto::feed_header::Incrementality::FullDataset as i32),
                timestamp: Some(timestamp),
            },
            entity,
        };
        let bytes = message.encode_to_vec();
        let snap = Arc::new(Snapshot {
            etag: format!(
                "\"{}-{}-{:x}-{}\"",
                kind.name(),
                feed.unwrap_or("all"),
                version.1,
                timestamp
            ),
            timestamp,
            entities: message.entity.len(),
            bytes,
            message,
            json: OnceLock::new(),
        });
        built.retain(|(k, f, _, _)| !(*k == kind && f.as_deref() == feed));
        built.push((kind, feed.map(str::to_string), version, Arc::clone(&snap)));
        Ok(snap)
    }
}

/// How ids are written: namespaced, or one feed's own.
struct Ids<'a> {
    feed: Option<&'a str>,
}

impl Ids<'_> {
    /// `id` as published; `None` when it is another feed's.
    fn out(&self, id: &str) -> Option<String> {
        match self.feed {
            None => Some(id.to_string()),
            Some(f) => id
                .strip_prefix(f)
                .and_then(|r| r.strip_prefix(':'))
                .map(str::to_string),
        }
    }
}

fn rel(r: proto::trip_descriptor::ScheduleRelationship) -> Option<i32> {
    Some(r as i32)
}

/// The trip descriptor of a run of `trip` on `day` (a frequency-based or unscheduled run:
/// with its start time).
fn descriptor(
    tt: &Timetable,
    ids: &Ids<'_>,
    trip: TripIdx,
    day: Day,
    start: Option<timetable::Secs>,
    unscheduled: bool,
) -> Option<proto::TripDescriptor> {
    use proto::trip_descriptor::ScheduleRelationship as R;
    let t = tt.trip(trip);
    let exact = match t.kind {
        TripKind::Scheduled { .. } => true,
        TripKind::Frequency => start.is_some_and(|s| {
            tt.windows(t.pattern)
                .iter()
                .any(|w| w.trip == trip && w.exact && w.start <= s && s < w.end)
        }),
    };
    Some(proto::TripDescriptor {
        trip_id: Some(ids.out(&t.id)?),
        route_id: Some(ids.out(&tt.route(t.route).id)?),
        direction_id: t.direction.map(u32::from),
        start_time: start.map(|s| timetable::time::Hms(s).to_string()),
        start_date: Some(day.date().format("%Y%m%d").to_string()),
        // A run of a trip of frequencies.txt without exact times, or one no timetable run
        // matches: UNSCHEDULED, as the specification says; else SCHEDULED.
        schedule_relationship: rel(if unscheduled || !exact {
            R::Unscheduled
        } else {
            R::Scheduled
        }),
        ..Default::default()
    })
}

fn trip_updates(
    tt: &Timetable,
    live: realtime::LiveAt<'_>,
    ids: &Ids<'_>,
    now: i64,
) -> Vec<proto::FeedEntity> {
    use proto::trip_update::stop_time_update::ScheduleRelationship as S;
    use proto::trip_update::{StopTimeEvent, StopTimeUpdate};
    let tz = planner::clock::timezone(tt);
    let mut out = Vec::new();
    let mut add = |trip: TripIdx,
                   day: Day,
                   start: Option<timetable::Secs>,
                   unscheduled: bool,
                   run: &realtime::LiveRun| {
        if run.expires_at.is_some_and(|e| e < now) {
            return;
        }
        let Some(mut trip_d) = descriptor(tt, ids, trip, day, start, unscheduled) else {
            return;
        };
        let base = realtime::service_day_start(tz, day);
        let p: PatternIdx = tt.trip(trip).pattern;
        let stops = tt.pattern_stops(p);
        let mut updates = Vec::new();
        if run.canceled {
            trip_d.schedule_relationship =
                rel(proto::trip_descriptor::ScheduleRelationship::Canceled);
        } else {
            for (i, &s) in stops.iter().enumerate().take(run.horizon.min(stops.len())) {
                let Some(stop_id) = ids.out(&tt.stop(s).id) else {
                    continue;
                };
                if run.skipped.get(i).copied().unwrap_or(false) {
                    updates.push(StopTimeUpdate {
                        stop_id: Some(stop_id),
                        schedule_relationship: Some(S::Skipped as i32),
                        ..Default::default()
                    });
                    continue;
                }
                let ev = |secs: Option<&timetable::Secs>| {
                    secs.map(|&t| StopTimeEvent {
                        time: Some(base + i64::from(t)),
                        ..Default::default()
                    })
                };
                updates.push(StopTimeUpdate {
                    stop_id: Some(stop_id),
                    arrival: ev(run.arrivals.get(i)),
                    departure: ev(run.departures.get(i)),
                    schedule_relationship: Some(S::Scheduled as i32),
                    ..Default::default()
                });
            }
        }
        let id = format!(
            "{}:{}:{}",
            trip_d.trip_id.as_deref().unwrap_or(""),
            trip_d.start_date.as_deref().unwrap_or(""),
            trip_d.start_time.as_deref().unwrap_or("")
        );
        out.push(proto::FeedEntity {
            id,
            trip_update: Some(proto::TripUpdate {
                trip: trip_d,
                stop_time_update: updates,
                timestamp: u64::try_from(now).ok(),
                ..Default::default()
            }),
            ..Default::default()
        });
    };
    for (_, overlay) in live.overlays() {
        for (trip, day, run) in overlay.columns() {
            add(trip, day, None, false, run);
        }
        for (day, x) in overlay.extras() {
            add(x.trip, day, Some(x.start), x.unscheduled, &x.run);
        }
    }
    // Two buses may serve the same run of a frequency-based trip (bunched): both are kept,
    // with distinct entity ids.
    out.sort_by(|a, b| a.id.cmp(&b.id));
    let mut prev = String::new();
    let mut n = 1;
    for e in &mut out {
        if e.id == prev {
            n += 1;
            e.id = format!("{prev}#{n}");
        } else {
            prev = e.id.clone();
            n = 1;
        }
    }
    out
}

fn vehicle_positions(
    tt: &Timetable,
    live: realtime::LiveAt<'_>,
    ids: &Ids<'_>,
) -> Vec<proto::FeedEntity> {
    use proto::trip_descriptor::ScheduleRelationship as R;
    let mut out = Vec::new();
    for v in live.vehicles() {
        let route = v.route.or(v.trip.map(|t| tt.trip(t).route));
        let Some(route) = route else { continue };
        let Some(route_id) = ids.out(&tt.route(route).id) else {
            continue;
        };
        let trip = match v.trip {
            Some(t) => {
                let Some(trip_id) = ids.out(&tt.trip(t).id) else {
                    continue;
                };
                let exact = matches!(tt.trip(t).kind, TripKind::Scheduled { .. });
                Some(proto::TripDescriptor {
                    trip_id: Some(trip_id),
                    route_id: Some(route_id.clone()),
                    direction_id: v.direction.map(u32::from),
                    start_time: v.run_start.map(|s| timetable::time::Hms(s).to_string()),
                    schedule_relationship: rel(
                        if v.unscheduled || !exact && v.run_start.is_some() {
                            R::Unscheduled
                        } else {
                            R::Scheduled
                        },
                    ),
                    ..Default::default()
                })
            }
            None => Some(proto::TripDescriptor {
                route_id: Some(route_id.clone()),
                direction_id: v.direction.map(u32::from),
                ..Default::default()
            }),
        };
        out.push(proto::FeedEntity {
            id: String::new(),
            vehicle: Some(proto::VehiclePosition {
                trip,
                position: Some(proto::Position {
                    latitude: v.coord.lat() as f32,
                    longitude: v.coord.lon() as f32,
                    bearing: v.bearing,
                    ..Default::default()
                }),
                timestamp: u64::try_from(v.seen_at).ok(),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    // Ids by place in a stable order (a vehicle's code is not published).
    out.sort_by(|a, b| {
        let k = |e: &proto::FeedEntity| {
            let v = e.vehicle.as_ref();
            let t = v.and_then(|v| v.trip.as_ref());
            (
                t.and_then(|t| t.route_id.clone()),
                t.and_then(|t| t.trip_id.clone()),
                t.and_then(|t| t.start_time.clone()),
                v.and_then(|v| v.timestamp),
            )
        };
        k(a).cmp(&k(b))
    });
    for (i, e) in out.iter_mut().enumerate() {
        e.id = format!("v{}", i + 1);
    }
    out
}

fn translated(texts: &[(String, String)]) -> Option<proto::TranslatedString> {
    (!texts.is_empty()).then(|| proto::TranslatedString {
        translation: texts
            .iter()
            .map(|(l, t)| proto::translated_string::Translation {
                text: t.clone(),
                language: (!l.is_empty()).then(|| l.clone()),
            })
            .collect(),
    })
}

fn alerts(tt: &Timetable, live: realtime::LiveAt<'_>, ids: &Ids<'_>) -> Vec<proto::FeedEntity> {
    use proto::alert::{Cause, Effect};
    let now = live.now();
    let mut out = Vec::new();
    let official = live
        .alerts_served()
        .filter(|a| a.active.is_empty() || a.active.iter().any(|&(_, e)| e == 0 || now < e));
    for a in official {
        let sel = |agency: Option<String>, route: Option<String>, stop: Option<String>| {
            proto::EntitySelector {
                agency_id: agency,
                route_id: route,
                stop_id: stop,
                ..Default::default()
            }
        };
        let mut informed = Vec::new();
        if a.everywhere {
            informed.extend(
                tt.agencies()
                    .iter()
                    .filter_map(|g| ids.out(&g.id))
                    .map(|g| sel(Some(g), None, None)),
            );
        }
        informed.extend(
            a.agencies
                .iter()
                .filter_map(|&g| ids.out(&tt.agencies()[g.idx()].id))
                .map(|g| sel(Some(g), None, None)),
        );
        informed.extend(
            a.routes
                .iter()
                .filter_map(|&r| ids.out(&tt.route(r).id))
                .map(|r| sel(None, Some(r), None)),
        );
        informed.extend(
            a.stops
                .iter()
                .filter_map(|&s| ids.out(&tt.stop(s).id))
                .map(|s| sel(None, None, Some(s))),
        );
        informed.extend(a.route_stops.iter().filter_map(|&(r, s)| {
            Some(sel(
                None,
                Some(ids.out(&tt.route(r).id)?),
                Some(ids.out(&tt.stop(s).id)?),
            ))
        }));
        if informed.is_empty() {
            continue;
        }
        let t = |x: i64| (x != 0).then(|| u64::try_from(x).ok()).flatten();
        out.push(proto::FeedEntity {
            id: if a.source == crate::alerts::SOURCE {
                a.id.clone()
            } else {
                format!("{}:{}", a.source, a.id)
            },
            alert: Some(proto::Alert {
                active_period: a
                    .active
                    .iter()
                    .map(|&(s, e)| proto::TimeRange {
                        start: t(s),
                        end: t(e),
                    })
                    .collect(),
                informed_entity: informed,
                cause: Cause::from_str_name(a.cause).map(|c| c as i32),
                effect: Effect::from_str_name(a.effect).map(|c| c as i32),
                url: translated(&a.url),
                header_text: translated(&a.header),
                description_text: translated(&a.description),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    out
}

/// A `FeedMessage` as JSON: the fields this module writes, by GTFS-Realtime's names, enums
/// by name.
fn to_json(m: &proto::FeedMessage) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    fn put<T: Into<Value>>(o: &mut Map<String, Value>, k: &str, v: Option<T>) {
        if let Some(v) = v {
            o.insert(k.to_string(), v.into());
        }
    }
    let trip = |t: &proto::TripDescriptor| {
        let mut o = Map::new();
        put(&mut o, "trip_id", t.trip_id.clone());
        put(&mut o, "route_id", t.route_id.clone());
        put(&mut o, "direction_id", t.direction_id);
        put(&mut o, "start_time", t.start_time.clone());
        put(&mut o, "start_date", t.start_date.clone());
        put(
            &mut o,
            "schedule_relationship",
            t.schedule_relationship
                .and_then(|r| proto::trip_descriptor::ScheduleRelationship::try_from(r).ok())
                .map(|r| r.as_str_name()),
        );
        Value::Object(o)
    };
    let texts = |t: &Option<proto::TranslatedString>| {
        t.as_ref().map(|t| {
            json!({"translation": t.translation.iter().map(|x| {
                let mut o = Map::new();
                o.insert("text".into(), x.text.clone().into());
                put(&mut o, "language", x.language.clone());
                Value::Object(o)
            }).collect::<Vec<_>>()})
        })
    };
    let entities: Vec<Value> = m
        .entity
        .iter()
        .map(|e| {
            let mut o = Map::new();
            o.insert("id".into(), e.id.clone().into());
            if let Some(u) = &e.trip_update {
                let stus: Vec<Value> = u
                    .stop_time_update
                    .iter()
                    .map(|s| {
                        let mut x = Map::new();
                        put(&mut x, "stop_id", s.stop_id.clone());
                        put(&mut x, "arrival", s.arrival.as_ref().and_then(|a| a.time).map(|t| json!({"time": t})));
                        put(&mut x, "departure", s.departure.as_ref().and_then(|a| a.time).map(|t| json!({"time": t})));
                        put(
                            &mut x,
                            "schedule_relationship",
                            s.schedule_relationship
                                .and_then(|r| {
                                    proto::trip_update::stop_time_update::ScheduleRelationship::try_from(r).ok()
                                })
                                .map(|r| r.as_str_name()),
                        );
                        Value::Object(x)
                    })
                    .collect();
                let mut x = Map::new();
                x.insert("trip".into(), trip(&u.trip));
                x.insert("stop_time_update".into(), stus.into());
                put(&mut x, "timestamp", u.timestamp);
                o.insert("trip_update".into(), Value::Object(x));
            }
            if let Some(v) = &e.vehicle {
                let mut x = Map::new();
                put(&mut x, "trip", v.trip.as_ref().map(trip));
                put(
                    &mut x,
                    "position",
                    v.position.as_ref().map(|p| {
                        let mut o = Map::new();
                        o.insert("latitude".into(), json!(p.latitude));
                        o.insert("longitude".into(), json!(p.longitude));
                        put(&mut o, "bearing", p.bearing);
                        Value::Object(o)
                    }),
                );
                put(&mut x, "timestamp", v.timestamp);
                o.insert("vehicle".into(), Value::Object(x));
            }
            if let Some(a) = &e.alert {
                let mut x = Map::new();
                x.insert(
                    "active_period".into(),
                    a.active_period
                        .iter()
                        .map(|p| {
                            let mut o = Map::new();
                            put(&mut o, "start", p.start);
                            put(&mut o, "end", p.end);
                            Value::Object(o)
                        })
                        .collect::<Vec<_>>()
                        .into(),
                );
                x.insert(
                    "informed_entity".into(),
                    a.informed_entity
                        .iter()
                        .map(|s| {
                            let mut o = Map::new();
                            put(&mut o, "agency_id", s.agency_id.clone());
                            put(&mut o, "route_id", s.route_id.clone());
                            put(&mut o, "stop_id", s.stop_id.clone());
                            Value::Object(o)
                        })
                        .collect::<Vec<_>>()
                        .into(),
                );
                put(&mut x, "cause", a.cause.and_then(|c| proto::alert::Cause::try_from(c).ok()).map(|c| c.as_str_name()));
                put(&mut x, "effect", a.effect.and_then(|c| proto::alert::Effect::try_from(c).ok()).map(|c| c.as_str_name()));
                put(&mut x, "url", texts(&a.url));
                put(&mut x, "header_text", texts(&a.header_text));
                put(&mut x, "description_text", texts(&a.description_text));
                o.insert("alert".into(), Value::Object(x));
            }
            Value::Object(o)
        })
        .collect();
    json!({
        "header": {
            "gtfs_realtime_version": m.header.gtfs_realtime_version,
            "incrementality": "FULL_DATASET",
            "timestamp": m.header.timestamp,
        },
        "entity": entities,
    })
}
