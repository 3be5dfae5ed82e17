//! Whether the buses really came: service delivered against service licensed, for officials
//! (exact, by day and hour, with the planned trips beside) and the public (weekly, by hour
//! band). Counted as positions come (`realtime::service`), written every few seconds as
//! cells (replaced as their hour fills) and read back as sums — never by rescanning
//! positions. Vehicles are not riders: no privacy budget is spent; no vehicle code is kept
//! in a cell (a code and its times would say a driver's shift) — see ARCHITECTURE.md.

use crate::{App, Error};
use i18n::Lang;
use realtime::service::{Cell, CellKey};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use store::ServiceRow;
use timetable::{Day, RouteIdx};

/// One line of the figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceFigure {
    /// Local day (`YYYY-MM-DD`), when by day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// Namespaced route id.
    pub route_id: String,
    /// Its short name.
    pub route_short_name: String,
    /// 0 or 1.
    pub direction: u8,
    /// Local hour (0–23), or the hour band (`06-08`) in the public weekly figures.
    pub hour: String,
    /// Runs observed at the line's timing point (its middle stop).
    pub runs: i64,
    /// Runs the timetable promises there (its frequencies).
    pub runs_promised: f64,
    /// Most vehicles seen serving it in one hour.
    pub vehicles: i64,
    /// Mean observed headway, minutes.
    pub mean_headway_min: Option<f64>,
    /// Coefficient of variation of the observed headways (0: regular; ≥ 1: bunching).
    pub headway_cv: Option<f64>,
    /// Average wait of a rider arriving at random, minutes.
    pub awt_min: Option<f64>,
    /// The wait the timetable promises, minutes.
    pub swt_min: Option<f64>,
    /// Excess waiting time: riders' wait beyond the promise, minutes.
    pub ewt_min: Option<f64>,
    /// Observed trip time (the timetable's scaled by the travel observed), minutes.
    pub trip_time_min: Option<f64>,
    /// The timetable's trip time, minutes.
    pub scheduled_trip_time_min: Option<f64>,
    /// Trips riders planned on the route in that hour (officials only; exact).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_trips: Option<i64>,
}

/// `GET /v1/observatory/service` and `GET /v1/service`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceReport {
    /// First local day.
    pub from: String,
    /// Last local day.
    pub to: String,
    /// Routes by their excess waiting time over the period, worst first; within a route,
    /// by direction, day and hour.
    pub figures: Vec<ServiceFigure>,
}

impl ServiceReport {
    /// As CSV (one header line, the figures' fields).
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "day",
            "route_id",
            "route_short_name",
            "direction",
            "hour",
            "runs",
            "runs_promised",
            "vehicles",
            "mean_headway_min",
            "headway_cv",
            "awt_min",
            "swt_min",
            "ewt_min",
            "trip_time_min",
            "scheduled_trip_time_min",
            "planned_trips",
        ]);
        let o = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_default();
        for f in &self.figures {
            let _ = w.write_record([
                f.day.clone().unwrap_or_default(),
                f.route_id.clone(),
                f.route_short_name.clone(),
                f.direction.to_string(),
                f.hour.clone(),
                f.runs.to_string(),
                format!("{:.1}", f.runs_promised),
                f.vehicles.to_string(),
                o(f.mean_headway_min),
                o(f.headway_cv),
                o(f.awt_min),
                o(f.swt_min),
                o(f.ewt_min),
                o(f.trip_time_min),
                o(f.scheduled_trip_time_min),
                f.planned_trips.map(|n| n.to_string()).unwrap_or_default(),
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

fn cell_of(r: &ServiceRow) -> Cell {
    Cell {
        runs: u32::try_from(r.runs).unwrap_or(0),
        promised: r.promised,
        vehicles: u32::try_from(r.vehicles).unwrap_or(0),
        headways: u32::try_from(r.headways).unwrap_or(0),
        h_sum: r.h_sum,
        h_sq: r.h_sq,
        sched_n: u32::try_from(r.sched_n).unwrap_or(0),
        sched_sum: r.sched_sum,
        sched_sq: r.sched_sq,
        h_sum_sched: r.h_sum_sched,
        h_sq_sched: r.h_sq_sched,
        travel_obs_s: r.travel_obs_s,
        travel_sched_s: r.travel_sched_s,
        until: r.until,
    }
}

fn row_of(k: &CellKey, c: &Cell, route_id: &str) -> ServiceRow {
    ServiceRow {
        day: k.day.date().format("%Y-%m-%d").to_string(),
        route_id: route_id.to_string(),
        direction: i64::from(k.direction),
        hour: i64::from(k.hour),
        runs: i64::from(c.runs),
        promised: c.promised,
        vehicles: i64::from(c.vehicles),
        headways: i64::from(c.headways),
        h_sum: c.h_sum,
        h_sq: c.h_sq,
        sched_n: i64::from(c.sched_n),
        sched_sum: c.sched_sum,
        sched_sq: c.sched_sq,
        h_sum_sched: c.h_sum_sched,
        h_sq_sched: c.h_sq_sched,
        travel_obs_s: c.travel_obs_s,
        travel_sched_s: c.travel_sched_s,
        until: c.until,
    }
}

/// Sums cells of several hours or days into one ([`Cell::pool`]).
fn pool(cells: &[Cell]) -> Cell {
    cells.iter().fold(Cell::default(), |mut out, c| {
        out.pool(c);
        out
    })
}

/// How figures are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// Per day and hour.
    DayHour,
    /// Per hour, the period's days together (the heat map).
    Hour,
    /// Per hour band, the period's days together (the public's weekly figures).
    Band,
}

impl App {
    /// Writes the cells of service delivered changed since the last call (resuming, the
    /// first time for a timetable, from those stored for today and yesterday). Called every
    /// few seconds beside the positions; `false` when there was nothing to write.
    pub async fn flush_service(&self, now: i64) -> Result<bool, Error> {
        let Some(o) = self.observatory() else {
            return Ok(false);
        };
        let map = |e: store::StoreError| Error::from_store(&e, Lang::default());
        let ds = self.dataset();
        let tt = &ds.timetable;
        let (today, _) = planner::clock::now(tt);
        let resumed = self.fleet.lock().unwrap_or_else(|e| e.into_inner()).resumed;
        if !resumed {
            let (from, to) = (
                today.offset(-1).date().format("%Y-%m-%d").to_string(),
                today.date().format("%Y-%m-%d").to_string(),
            );
            let stored = o.store.service_cells(&from, &to, None).await.map_err(map)?;
            let cells: Vec<(CellKey, Cell)> = stored
                .iter()
                .filter_map(|r| {
                    Some((
                        CellKey {
                            day: Day::parse(&r.day)?,
                            route: tt.route_by_id(&r.route_id)?,
                            direction: u8::try_from(r.direction).ok()?,
                            hour: u8::try_from(r.hour).ok()?,
                        },
                        cell_of(r),
                    ))
                })
                .collect();
            let mut state = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
            state.serve(tt);
            if !state.resumed {
                state.delivered.resume(cells);
                state.resumed = true;
            }
        }
        let rows: Vec<ServiceRow> = {
            let mut state = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
            state.serve(tt);
            // Two days of cells in memory; passages remembered for three hours.
            state
                .delivered
                .forget_before(today.offset(-1), now - 3 * 3600);
            state
                .delivered
                .take_changed()
                .iter()
                .map(|(k, c)| row_of(k, c, &tt.route(k.route).id))
                .collect()
        };
        if rows.is_empty() {
            return Ok(false);
        }
        if let Err(e) = o.store.put_service_cells(&rows).await {
            // Not lost: marked changed again, written with the next flush.
            let mut state = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
            state.delivered.mark_changed(rows.iter().filter_map(|r| {
                Some(CellKey {
                    day: Day::parse(&r.day)?,
                    route: tt.route_by_id(&r.route_id)?,
                    direction: u8::try_from(r.direction).ok()?,
                    hour: u8::try_from(r.hour).ok()?,
                })
            }));
            return Err(map(e));
        }
        Ok(true)
    }

    /// Service delivered on local days `from..=to`, grouped `by`, of one route when given;
    /// `official`: with the planned trips beside (exact).
    pub async fn service_delivered(
        &self,
        (from, to): (Day, Day),
        route: Option<RouteIdx>,
        by: By,
        official: bool,
        lang: Lang,
    ) -> Result<ServiceReport, Error> {
        let o = self.require_observatory(lang)?;
        let map = |e: store::StoreError| Error::from_store(&e, lang);
        let ds = self.dataset();
        let tt = &ds.timetable;
        let iso = |d: Day| d.date().format("%Y-%m-%d").to_string();
        let route_id = route.map(|r| tt.route(r).id.clone());
        // Summed by the database unless asked day by day.
        let rows = match by {
            By::DayHour => {
                o.store
                    .service_cells(&iso(from), &iso(to), route_id.as_deref())
                    .await
            }
            By::Hour | By::Band => {
                o.store
                    .service_cells_by_hour(&iso(from), &iso(to), route_id.as_deref())
                    .await
            }
        }
        .map_err(map)?;
        let planned: HashMap<(String, i64), i64> = if official {
            o.store
                .planned_by_route_hour(&iso(from), &iso(to))
                .await
                .map_err(map)?
                .into_iter()
                .map(|(r, h, n)| ((r, h), n))
                .collect()
        } else {
            HashMap::new()
        };
        // The timetable's trip time per route and direction: its longest line's.
        let mut trip_time: HashMap<(RouteIdx, u8), i64> = HashMap::new();
        {
            let mut state = self.fleet.lock().unwrap_or_else(|e| e.into_inner());
            state.serve(tt);
            for (_, l) in state.lines().iter() {
                let t = l.offsets().last().map_or(0, |o| o.0);
                let e = trip_time
                    .entry((l.route, l.direction.unwrap_or(0)))
                    .or_default();
                *e = (*e).max(t);
            }
        }
        let band = |h: i64| observatory::hour_band(u8::try_from(h).unwrap_or(0)).to_string();
        type Key = (String, u8, Option<String>, String);
        let mut groups: BTreeMap<Key, (Vec<Cell>, i64)> = BTreeMap::new();
        for r in &rows {
            let key = (
                r.route_id.clone(),
                u8::try_from(r.direction).unwrap_or(0),
                (by == By::DayHour).then(|| r.day.clone()),
                match by {
                    By::Band => band(r.hour),
                    _ => format!("{:02}", r.hour),
                },
            );
            let g = groups.entry(key).or_default();
            g.0.push(cell_of(r));
        }
        if official {
            // Planned trips are per route and hour (a route's two directions are one in
            // riders' plans): beside direction 0, or the only direction seen.
            let mut by_route_hour: HashMap<(String, String), i64> = HashMap::new();
            for ((route, hour), n) in &planned {
                let h = match by {
                    By::Band => band(*hour),
                    _ => format!("{hour:02}"),
                };
                *by_route_hour.entry((route.clone(), h)).or_default() += n;
            }
            for (k, g) in groups.iter_mut() {
                if k.1 == 0 {
                    g.1 += by_route_hour
                        .get(&(k.0.clone(), k.3.clone()))
                        .copied()
                        .unwrap_or(0);
                }
            }
        }
        let min = |s: Option<f64>| s.map(|v| (v / 60.0 * 100.0).round() / 100.0);
        let mut figures: Vec<(f64, ServiceFigure)> = Vec::new();
        let mut worst: HashMap<String, Cell> = HashMap::new();
        for ((route_id, direction, day, hour), (cells, planned_n)) in groups {
            let c = pool(&cells);
            let w = worst.entry(route_id.clone()).or_default();
            *w = pool(&[*w, c]);
            let r = tt.route_by_id(&route_id);
            let sched = r
                .and_then(|r| trip_time.get(&(r, direction)))
                .map(|&s| s as f64);
            figures.push((
                0.0,
                ServiceFigure {
                    day,
                    route_short_name: r
                        .map(|r| tt.route(r).short_name.clone())
                        .unwrap_or_default(),
                    route_id,
                    direction,
                    hour,
                    runs: i64::from(c.runs),
                    runs_promised: (c.promised * 10.0).round() / 10.0,
                    vehicles: i64::from(c.vehicles),
                    mean_headway_min: min(c.mean_headway_s()),
                    headway_cv: c.headway_cv().map(|v| (v * 100.0).round() / 100.0),
                    awt_min: min(c.awt_s()),
                    swt_min: min(c.swt_s()),
                    ewt_min: min(c.ewt_s()),
                    trip_time_min: min(sched.zip(c.travel_ratio()).map(|(s, k)| s * k)),
                    scheduled_trip_time_min: min(sched),
                    planned_trips: official.then_some(planned_n),
                },
            ));
        }
        for f in &mut figures {
            f.0 = worst
                .get(&f.1.route_id)
                .and_then(Cell::ewt_s)
                .unwrap_or(f64::NEG_INFINITY);
        }
        // Worst routes first; the sort is stable, so each route keeps its own order.
        figures.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.route_id.cmp(&b.1.route_id))
        });
        Ok(ServiceReport {
            from: iso(from),
            to: iso(to),
            figures: figures.into_iter().map(|(_, f)| f).collect(),
        })
    }
}
