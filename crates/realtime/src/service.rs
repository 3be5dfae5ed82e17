//! Service delivered against service promised, from the buses' passages at stops
//! ([`crate::fleet::Passage`]), aggregated as they come (never by rescanning positions): per
//! route, direction, local day and hour,
//! - runs observed (passages at the line's timing point, its middle stop) against runs the
//!   timetable promises there (its frequencies), and the vehicles in service;
//! - headways at every stop: their regularity (coefficient of variation) and the **excess
//!   waiting time** — the average wait riders arriving at random had (Σh² / 2Σh) beyond the
//!   one the scheduled headways promise (ΣH² / 2ΣH), as London measures high-frequency
//!   services;
//! - travel times between stops against the timetable's for the same stretches.
//!
//! A headway is counted in the hour it ends (when the bus came). Vehicle codes are kept in
//! memory only while their hour is open, to count vehicles; a cell holds no code.

use crate::fleet::{Lines, Passage};
use chrono::{TimeZone, Timelike};
use std::collections::{HashMap, HashSet};
use timetable::{Day, RouteIdx, Timetable};

/// Where a figure belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    /// Local service day (the calendar day of the passage).
    pub day: Day,
    /// The route.
    pub route: RouteIdx,
    /// 0 or 1 (0 when the feed does not say).
    pub direction: u8,
    /// Local hour, 0–23.
    pub hour: u8,
}

/// The sums one cell keeps (additive: cells merge by adding, except `until`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cell {
    /// Passages at the timing point (runs observed).
    pub runs: u32,
    /// Runs the timetable promises at the timing point in that hour (frequencies).
    pub promised: f64,
    /// Vehicles seen serving it.
    pub vehicles: u32,
    /// Headways observed (at every stop).
    pub headways: u32,
    /// Σh, seconds.
    pub h_sum: f64,
    /// Σh², seconds².
    pub h_sq: f64,
    /// Headways with a scheduled headway known, and ΣH, ΣH² of those.
    pub sched_n: u32,
    /// ΣH over the headways with a promise.
    pub sched_sum: f64,
    /// ΣH² over them.
    pub sched_sq: f64,
    /// Σh over the same headways (so that the excess compares like with like).
    pub h_sum_sched: f64,
    /// Σh² over them.
    pub h_sq_sched: f64,
    /// Seconds travelled between consecutive passages of a vehicle.
    pub travel_obs_s: f64,
    /// The timetable's seconds for the same stretches.
    pub travel_sched_s: f64,
    /// The latest passage counted (Unix seconds): after a restart, older ones are not
    /// counted again.
    pub until: i64,
}

impl Cell {
    /// Mean observed headway, seconds.
    pub fn mean_headway_s(&self) -> Option<f64> {
        (self.headways > 0).then(|| self.h_sum / f64::from(self.headways))
    }
    /// Coefficient of variation of the observed headways (0: perfectly regular).
    pub fn headway_cv(&self) -> Option<f64> {
        let n = f64::from(self.headways);
        (self.headways >= 2 && self.h_sum > 0.0).then(|| {
            let mean = self.h_sum / n;
            let var = (self.h_sq / n - mean * mean).max(0.0);
            var.sqrt() / mean
        })
    }
    /// Average wait of a rider arriving at random, seconds (Σh² / 2Σh).
    pub fn awt_s(&self) -> Option<f64> {
        (self.h_sum_sched > 0.0).then(|| self.h_sq_sched / (2.0 * self.h_sum_sched))
    }
    /// The wait the scheduled headways promise, seconds (ΣH² / 2ΣH).
    pub fn swt_s(&self) -> Option<f64> {
        (self.sched_sum > 0.0).then(|| self.sched_sq / (2.0 * self.sched_sum))
    }
    /// Excess waiting time, seconds: AWT − SWT (negative when better than promised).
    pub fn ewt_s(&self) -> Option<f64> {
        Some(self.awt_s()? - self.swt_s()?)
    }
    /// Observed travel time over the timetable's, for the stretches observed.
    pub fn travel_ratio(&self) -> Option<f64> {
        (self.travel_sched_s > 0.0).then(|| self.travel_obs_s / self.travel_sched_s)
    }
    /// Adds `o`, an earlier count of the same cell (resumed after a restart): the promise
    /// and the vehicles are the cell's, not summed.
    pub fn add(&mut self, o: &Cell) {
        let (promised, vehicles) = (self.promised.max(o.promised), self.vehicles.max(o.vehicles));
        self.pool(o);
        self.promised = promised;
        self.vehicles = vehicles;
    }
    /// Pools `o`, another hour's or day's cell, into this one: runs, promises and sums add;
    /// vehicles is the most in any one of them.
    pub fn pool(&mut self, o: &Cell) {
        self.runs += o.runs;
        self.promised += o.promised;
        self.vehicles = self.vehicles.max(o.vehicles);
        self.headways += o.headways;
        self.h_sum += o.h_sum;
        self.h_sq += o.h_sq;
        self.sched_n += o.sched_n;
        self.sched_sum += o.sched_sum;
        self.sched_sq += o.sched_sq;
        self.h_sum_sched += o.h_sum_sched;
        self.h_sq_sched += o.h_sq_sched;
        self.travel_obs_s += o.travel_obs_s;
        self.travel_sched_s += o.travel_sched_s;
        self.until = self.until.max(o.until);
    }
}

/// Headways longer than this are not headways but the service's end (a night, a day off).
const MAX_HEADWAY_S: i64 = 3 * 3600;

/// The aggregator: cells, and what it must remember between passages.
#[derive(Debug, Default)]
pub struct Delivered {
    cells: HashMap<CellKey, Cell>,
    /// The last passage at each (line, stop position).
    last_at_stop: HashMap<(u32, u32), i64>,
    /// Each vehicle's last passage: (line, position, when).
    last_of_vehicle: HashMap<u64, (u32, u32, i64)>,
    /// Vehicles seen per cell (hashes), while the cell is open.
    seen: HashMap<CellKey, HashSet<u64>>,
    /// Cells changed since the last [`Delivered::take_changed`].
    changed: HashSet<CellKey>,
    /// For cells resumed after a restart: passages up to then were counted already.
    resumed: HashMap<CellKey, i64>,
}

impl Delivered {
    /// Starts from cells counted before (loaded after a restart): passages up to each
    /// cell's `until` are not counted again.
    pub fn resume(&mut self, cells: impl IntoIterator<Item = (CellKey, Cell)>) {
        for (k, c) in cells {
            self.resumed.insert(k, c.until);
            self.cells.entry(k).or_default().add(&c);
        }
    }

    /// Counts one passage.
    pub fn record(&mut self, tt: &Timetable, lines: &Lines, tz: chrono_tz::Tz, p: &Passage) {
        let line = lines.line(p.line);
        let Some(local) = tz.timestamp_opt(p.at, 0).single() else {
            return;
        };
        let day = Day::from_date(local.date_naive());
        let key = CellKey {
            day,
            route: line.route,
            direction: line.direction.unwrap_or(0),
            hour: local.hour() as u8,
        };
        if self.resumed.get(&key).is_some_and(|&until| p.at <= until) {
            return;
        }
        let secs = local.num_seconds_from_midnight() as i64;
        let promised_h = scheduled_headway(tt, line.pattern, day, secs);
        let timing = (line.stops_along().len() / 2) as u32;
        let vehicle_hash = hash(&p.vehicle);
        let prev_here = self.last_at_stop.insert((p.line, p.pos), p.at);
        let prev_vehicle = self
            .last_of_vehicle
            .insert(vehicle_hash, (p.line, p.pos, p.at));
        let cell = self.cells.entry(key).or_default();
        cell.until = cell.until.max(p.at);
        if p.pos == timing {
            cell.runs += 1;
        }
        if let Some(h) = promised_h {
            // Runs promised in the hour at the timing point: 3600 / H.
            cell.promised = cell.promised.max(3600.0 / h as f64);
        }
        if let Some(prev) = prev_here {
            let h = p.at - prev;
            if h > 0 && h <= MAX_HEADWAY_S {
                let hf = h as f64;
                cell.headways += 1;
                cell.h_sum += hf;
                cell.h_sq += hf * hf;
                if let Some(sh) = promised_h {
                    let s = sh as f64;
                    cell.sched_n += 1;
                    cell.sched_sum += s;
                    cell.sched_sq += s * s;
                    cell.h_sum_sched += hf;
                    cell.h_sq_sched += hf * hf;
                }
            }
        }
        if let Some((l, pos, at)) = prev_vehicle
            && l == p.line
            && pos < p.pos
            && p.at > at
            && p.at - at <= MAX_HEADWAY_S
        {
            let off = line.offsets();
            let sched = off[p.pos as usize].0 - off[pos as usize].1;
            if sched > 0 {
                cell.travel_obs_s += (p.at - at) as f64;
                cell.travel_sched_s += sched as f64;
            }
        }
        let seen = self.seen.entry(key).or_default();
        if seen.insert(vehicle_hash) {
            cell.vehicles = cell.vehicles.max(seen.len() as u32);
        }
        self.changed.insert(key);
    }

    /// The cell of `key`, if any passage was counted there.
    pub fn cell(&self, key: &CellKey) -> Option<&Cell> {
        self.cells.get(key)
    }

    /// Every cell, in no order.
    pub fn cells(&self) -> impl Iterator<Item = (&CellKey, &Cell)> {
        self.cells.iter()
    }

    /// The cells changed since the last call, with their values now.
    pub fn take_changed(&mut self) -> Vec<(CellKey, Cell)> {
        let keys: Vec<CellKey> = self.changed.drain().collect();
        keys.into_iter()
            .filter_map(|k| self.cells.get(&k).map(|c| (k, *c)))
            .collect()
    }

    /// Marks `keys` changed again (their write failed: written with the next).
    pub fn mark_changed(&mut self, keys: impl IntoIterator<Item = CellKey>) {
        self.changed.extend(keys);
    }

    /// Forgets cells (and vehicles seen) of days before `day`, and what it remembers of
    /// passages before `t`.
    pub fn forget_before(&mut self, day: Day, t: i64) {
        self.cells.retain(|k, _| k.day >= day);
        self.seen.retain(|k, _| k.day >= day);
        self.resumed.retain(|k, _| k.day >= day);
        self.last_at_stop.retain(|_, at| *at >= t);
        self.last_of_vehicle.retain(|_, v| v.2 >= t);
    }
}

/// The scheduled headway of `pattern` at `secs` of local `day` (its frequencies), if any.
pub fn scheduled_headway(
    tt: &Timetable,
    pattern: timetable::PatternIdx,
    day: Day,
    secs: i64,
) -> Option<u32> {
    tt.windows(pattern)
        .iter()
        .filter(|w| i64::from(w.start) <= secs && secs < i64::from(w.end))
        .filter(|w| tt.service_active(w.service, day))
        .map(|w| w.headway)
        .min()
}

fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}
