//! GTFS-Realtime applied to the timetable: the live runs of a `FeedMessage`'s TripUpdates as an
//! immutable [`Overlay`] (built aside, then swapped in whole by its owner, as the timetable is
//! on a reload). Pure: no I/O, no clock (the caller says what "now" is), no panics on any
//! input — a message that cannot be used is counted in [`Applied`], never fatal.
//!
//! Rules, where feeds and planners disagree (OpenTripPlanner and MOTIS differ on the first):
//! - A `StopTimeEvent` with both `time` and `delay`: **`time` wins**.
//! - A stop without an update takes the delay of the last update before it (forward
//!   propagation); stops before the first update keep the schedule, lowered only as far as
//!   needed to keep times non-decreasing (OpenTripPlanner's default).
//! - `NO_DATA` keeps the schedule at that stop, and stops propagating the delay before it.
//! - `SKIPPED`: the run neither stops nor can be boarded there; times still flow through it.
//! - `CANCELED`: the run does not run (its departures are not offered).
//! - A trip not running on the service day asked is not resurrected; an unknown trip, or one
//!   `ADDED` (the timetable lacks its stops), is counted.
//! - A frequency-based trip's `start_time` picks its run, which must lie in one of the trip's
//!   windows that day; `UNSCHEDULED` takes any start (the run is the template's times from
//!   it). `DUPLICATED` runs the scheduled trip again at the start date and time of its
//!   `trip_properties`. These live beside the timetable's columns ([`ExtraRun`]).
//! - A message older than `max_age_s` (by its header's timestamp, against the caller's "now")
//!   is not applied; `max_age_s = 0` turns the check off, so a recording replays at its date.

/// The GTFS-Realtime messages (generated from the official `.proto` by
/// `proto/regenerate.sh`).
#[allow(
    missing_docs,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic
)]
#[path = "transit_realtime.rs"]
pub mod proto;

pub mod alerts;
pub mod fleet;
pub mod service;

pub use proto::FeedMessage;
use proto::trip_descriptor::ScheduleRelationship as TripRel;
use proto::trip_update::stop_time_update::ScheduleRelationship as StopRel;
use proto::trip_update::{StopTimeEvent, StopTimeUpdate};

use chrono::TimeZone;
use std::collections::HashMap;
use timetable::{Day, PatternIdx, Secs, Timetable, TripIdx, TripKind};

/// Reads a `FeedMessage` from its protobuf bytes.
pub fn decode(bytes: &[u8]) -> Result<FeedMessage, String> {
    <FeedMessage as prost::Message>::decode(bytes).map_err(|e| format!("not GTFS-Realtime: {e}"))
}

/// One run as it is live: its predicted times at each stop of its pattern (seconds after the
/// service day's noon minus 12 h, as the timetable's), and the stops it skips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRun {
    /// Predicted arrival at each stop position.
    pub arrivals: Vec<Secs>,
    /// Predicted departure at each stop position.
    pub departures: Vec<Secs>,
    /// Skipped stop positions (neither boarded nor left there).
    pub skipped: Vec<bool>,
    /// Whether the run was canceled.
    pub canceled: bool,
    /// Whether each position's time came from the feed (its own update) rather than from
    /// propagation or the schedule.
    pub observed: Vec<bool>,
    /// The vehicle's id or label, if the feed gave one.
    pub vehicle: Option<String>,
    /// Stop positions from here on are the timetable's (shifted by the delay before them),
    /// not a prediction: too far ahead to say ([`fleet::HORIZON_S`]). The stop count when
    /// every time is predicted.
    pub horizon: usize,
    /// When the run stops being live (Unix seconds): its vehicle not heard from; `None`:
    /// with its message.
    pub expires_at: Option<i64>,
}

/// A live run that is not a column of the timetable: a run of a frequency-based trip (at its
/// start time), an unscheduled run of a pattern (a bus on the road that no timetable run
/// matches), or a duplicate of a scheduled trip.
#[derive(Debug, Clone)]
pub struct ExtraRun {
    /// The trip it runs as (a frequency template, or the trip duplicated).
    pub trip: TripIdx,
    /// Its start (departure from the first stop), seconds of the service day, as scheduled.
    pub start: Secs,
    /// Whether no timetable run matches it.
    pub unscheduled: bool,
    /// Its times.
    pub run: std::sync::Arc<LiveRun>,
}

/// What applying a message did, for `/metrics` and the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Runs made live (canceled ones included).
    pub runs: usize,
    /// Of them, canceled.
    pub canceled: usize,
    /// Stop updates used.
    pub stop_updates: usize,
    /// Stop updates whose stop is not on the run's pattern (or has no stop id).
    pub unmatched_stops: usize,
    /// TripUpdates naming a trip the timetable does not have.
    pub unknown_trips: usize,
    /// TripUpdates for a trip that does not run on its service day.
    pub not_running: usize,
    /// TripUpdates adding a trip the timetable lacks (`ADDED`/`NEW`): not applied.
    pub added: usize,
    /// TripUpdates that cannot be applied as sent: no trip id, or a relationship that does
    /// not fit the trip (say, `DUPLICATED` of a frequency template).
    pub unsupported: usize,
    /// Runs of frequency-based trips, or duplicates, without a readable start time.
    pub bad_start_times: usize,
    /// TripUpdates with an unreadable start date.
    pub bad_dates: usize,
    /// Whether the whole message was older than allowed (then nothing else is counted).
    pub too_old: bool,
}

/// The live runs of one message, by trip and service day.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    runs: HashMap<(TripIdx, Day), std::sync::Arc<LiveRun>>,
    extra: HashMap<(PatternIdx, Day), Vec<ExtraRun>>,
    /// Every live run by pattern index, for routing (built by [`Overlay::index`]; a vector,
    /// not a map: routing looks a pattern up at every boarding).
    by_pattern: Vec<PatternRuns>,
    /// The message's header timestamp (Unix seconds; 0 if absent).
    pub feed_time: i64,
    /// What applying it did.
    pub applied: Applied,
}

/// A live run as routing reads it: on a pattern, on a service day, over a timetable column
/// or beside them.
#[derive(Debug, Clone)]
pub struct PatternRun {
    /// Its service day.
    pub day: Day,
    /// The timetable column it replaces; `None` for a run beside the columns.
    pub column: Option<u32>,
    /// The trip it runs as.
    pub trip: TripIdx,
    /// For a run beside the columns: its scheduled start (seconds of the service day).
    pub start: Secs,
    /// Its times.
    pub run: std::sync::Arc<LiveRun>,
    /// Until when it is live (its run's `expires_at`, kept here to be read without a jump).
    pub expires_at: Option<i64>,
}

/// A pattern's live runs, with the times routing compares laid out as the timetable's are
/// (position-major: the runs' keys at one stop side by side), so that looking for a live run
/// to board reads one cache line rather than three allocations per run.
#[derive(Debug, Clone, Default)]
pub struct PatternRuns {
    /// The runs.
    pub runs: Vec<PatternRun>,
    /// `departures[pos * runs.len() + r]`: run `r`'s predicted departure at `pos` (seconds of
    /// its service day), or `i32::MAX` where it cannot be boarded (canceled, skipped).
    pub departures: Vec<i32>,
    /// Arrivals the same way, `i32::MIN` where it cannot be left.
    pub arrivals: Vec<i32>,
}

impl PatternRuns {
    fn new(runs: Vec<PatternRun>) -> PatternRuns {
        let n = runs.len();
        let stops = runs
            .iter()
            .map(|r| r.run.departures.len())
            .min()
            .unwrap_or(0);
        let mut departures = vec![i32::MAX; stops * n];
        let mut arrivals = vec![i32::MIN; stops * n];
        for (r, pr) in runs.iter().enumerate() {
            if pr.run.canceled {
                continue;
            }
            for pos in 0..stops {
                if !pr.run.skipped[pos] {
                    let time = |t: Secs| i32::try_from(t).unwrap_or(i32::MAX - 1);
                    departures[pos * n + r] = time(pr.run.departures[pos]);
                    arrivals[pos * n + r] = time(pr.run.arrivals[pos]).max(i32::MIN + 1);
                }
            }
        }
        PatternRuns {
            runs,
            departures,
            arrivals,
        }
    }
}

impl Overlay {
    /// Indexes the live runs by pattern (done once, when the overlay is made).
    pub(crate) fn index(&mut self, tt: &Timetable) {
        let mut by: Vec<Vec<PatternRun>> = vec![Vec::new(); tt.patterns().len()];
        let expires = |r: &LiveRun| r.expires_at;
        for (&(trip, day), run) in &self.runs {
            let t = tt.trip(trip);
            if let TripKind::Scheduled { col } = t.kind {
                by[t.pattern.idx()].push(PatternRun {
                    day,
                    column: Some(col),
                    trip,
                    start: 0,
                    run: run.clone(),
                    expires_at: expires(run),
                });
            }
        }
        for (&(p, day), runs) in &self.extra {
            for r in runs {
                by[p.idx()].push(PatternRun {
                    day,
                    column: None,
                    trip: r.trip,
                    start: r.start,
                    run: r.run.clone(),
                    expires_at: expires(&r.run),
                });
            }
        }
        if by.iter().all(Vec::is_empty) {
            by.clear();
        }
        self.by_pattern = by.into_iter().map(PatternRuns::new).collect();
    }

    /// The live runs of pattern `p`, any day.
    pub fn pattern_runs(&self, p: PatternIdx) -> &[PatternRun] {
        self.by_pattern
            .get(p.idx())
            .map_or(&[], |b| b.runs.as_slice())
    }

    /// The same, with their times laid out for routing.
    pub fn pattern_block(&self, p: PatternIdx) -> Option<&PatternRuns> {
        self.by_pattern.get(p.idx()).filter(|b| !b.runs.is_empty())
    }

    /// The live run of `trip` on service day `day`, if the feed spoke of it.
    pub fn run(&self, trip: TripIdx, day: Day) -> Option<&LiveRun> {
        self.runs.get(&(trip, day)).map(|r| &**r)
    }
    /// The live runs of pattern `p` on `day` that are not timetable columns.
    pub fn extra_runs(&self, p: PatternIdx, day: Day) -> &[ExtraRun] {
        self.extra.get(&(p, day)).map_or(&[], Vec::as_slice)
    }
    /// The live runs over timetable columns: (trip, service day, run), in no order.
    pub fn columns(&self) -> impl Iterator<Item = (TripIdx, Day, &LiveRun)> + '_ {
        self.runs.iter().map(|(&(t, d), r)| (t, d, &**r))
    }
    /// The live runs beside the columns: (service day, run), in no order.
    pub fn extras(&self) -> impl Iterator<Item = (Day, &ExtraRun)> + '_ {
        self.extra
            .iter()
            .flat_map(|(&(_, d), runs)| runs.iter().map(move |r| (d, r)))
    }
    /// How many runs are live.
    pub fn len(&self) -> usize {
        self.runs.len() + self.extra.values().map(Vec::len).sum::<usize>()
    }
    /// Whether no run is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a message is applied.
#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// "Now", Unix seconds (the caller's clock).
    pub now: i64,
    /// Older messages are not applied; 0: no check (replaying a recording).
    pub max_age_s: u64,
}

/// The live runs of `msg`'s TripUpdates for the feed namespaced `feed` in `tt` (trip ids in
/// the message are the feed's own; the timetable's carry `feed:`).
pub fn apply(tt: &Timetable, feed: &str, msg: &FeedMessage, opts: ApplyOptions) -> Overlay {
    let feed_time = msg
        .header
        .timestamp
        .map_or(0, |t| i64::try_from(t).unwrap_or(0));
    let mut out = Overlay {
        feed_time,
        ..Overlay::default()
    };
    if opts.max_age_s > 0
        && opts.now - feed_time > i64::try_from(opts.max_age_s).unwrap_or(i64::MAX)
    {
        out.applied.too_old = true;
        return out;
    }
    let tz: chrono_tz::Tz = tt
        .feeds()
        .iter()
        .find(|f| f.id == feed)
        .or_else(|| tt.feeds().first())
        .and_then(|f| f.timezone.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    for entity in &msg.entity {
        if let Some(update) = &entity.trip_update {
            apply_update(tt, feed, tz, update, &mut out);
        }
    }
    out.index(tt);
    out
}

/// Where a live run goes: over a timetable column, or beside them.
enum Slot {
    Column,
    Extra { start: Secs, unscheduled: bool },
}

/// One TripUpdate into `out` (or counted in `out.applied` when it cannot be used).
fn apply_update(
    tt: &Timetable,
    feed: &str,
    tz: chrono_tz::Tz,
    update: &proto::TripUpdate,
    out: &mut Overlay,
) {
    let a = &mut out.applied;
    let desc = &update.trip;
    #[allow(deprecated)]
    let relationship = match desc.schedule_relationship() {
        TripRel::Replacement => TripRel::Scheduled,
        TripRel::Deleted => TripRel::Canceled,
        r => r,
    };
    let Some(trip_id) = desc.trip_id.as_deref() else {
        a.unsupported += 1;
        return;
    };
    if relationship == TripRel::Added {
        // A trip the timetable lacks: its stops and times would make a new pattern.
        a.added += 1;
        return;
    }
    let Some(trip) = tt.trip_by_id(&namespaced(feed, trip_id)) else {
        a.unknown_trips += 1;
        return;
    };
    let t = tt.trip(trip);
    let props = update.trip_properties.as_ref();
    let date = match relationship {
        TripRel::Duplicated => props.and_then(|p| p.start_date.as_deref()),
        _ => None,
    }
    .or(desc.start_date.as_deref());
    let day = match date {
        Some(d) => match parse_date(d) {
            Some(day) => day,
            None => {
                a.bad_dates += 1;
                return;
            }
        },
        // No date: the service day of the message (or the one before, for a run past
        // midnight), whichever the trip runs on.
        None => {
            let today = local_day(tz, out.feed_time);
            [today, today.offset(-1)]
                .into_iter()
                .find(|d| tt.service_active(t.service, *d))
                .unwrap_or(today)
        }
    };
    // A duplicate runs on its own date; anything else only on a day its trip runs.
    if relationship != TripRel::Duplicated && !tt.service_active(t.service, day) {
        a.not_running += 1;
        return;
    }
    let p = t.pattern;
    let n = tt.pattern(p).n_stops();
    let start_time = match relationship {
        TripRel::Duplicated => props.and_then(|p| p.start_time.as_deref()),
        _ => None,
    }
    .or(desc.start_time.as_deref());
    let Some((col, slot)) = slot_of(tt, trip, relationship, (day, start_time), a) else {
        return;
    };
    // The schedule the updates apply to: the column's times, or the template's shifted to
    // the run's start.
    let shift = match slot {
        Slot::Column => 0,
        Slot::Extra { start, .. } => i64::from(start) - i64::from(tt.departure(p, 0, col)),
    };
    let sched = |t: Secs| clamp(i64::from(t) + shift);
    let sched_arr: Vec<Secs> = (0..n).map(|i| sched(tt.arrival(p, i, col))).collect();
    let sched_dep: Vec<Secs> = (0..n).map(|i| sched(tt.departure(p, i, col))).collect();
    let mut run = LiveRun {
        arrivals: sched_arr.clone(),
        departures: sched_dep.clone(),
        skipped: vec![false; n],
        canceled: relationship == TripRel::Canceled,
        observed: vec![false; n],
        vehicle: update
            .vehicle
            .as_ref()
            .and_then(|v| v.id.clone().or_else(|| v.label.clone()))
            .filter(|v| !v.is_empty()),
        horizon: n,
        expires_at: None,
    };
    if run.canceled {
        a.canceled += 1;
    } else {
        let base = service_day_start(tz, day);
        let stops = tt.pattern_stops(p);
        let (used, unmatched) = live_times(
            &update.stop_time_update,
            |id, from| {
                let want = tt.stop_by_id(&namespaced(feed, id))?;
                (from..n).find(|&i| stops[i] == want)
            },
            base,
            &sched_arr,
            &sched_dep,
            &mut run,
        );
        a.stop_updates += used;
        a.unmatched_stops += unmatched;
    }
    a.runs += 1;
    let run = std::sync::Arc::new(run);
    match slot {
        Slot::Column => {
            out.runs.insert((trip, day), run);
        }
        Slot::Extra { start, unscheduled } => {
            let runs = out.extra.entry((p, day)).or_default();
            // The same run spoken of twice: the later entity wins.
            runs.retain(|r| !(r.trip == trip && r.start == start));
            runs.push(ExtraRun {
                trip,
                start,
                unscheduled,
                run,
            });
        }
    }
}

/// A feed's own id as the timetable spells it (`feed:id`); the feed `""` is a timetable
/// written by hand (tests), whose ids are bare.
fn namespaced(feed: &str, id: &str) -> String {
    if feed.is_empty() {
        id.to_string()
    } else {
        format!("{feed}:{id}")
    }
}

/// Which column's times a TripUpdate applies to, and where its live run goes; `None` (and
/// counted in `a`) when it cannot be placed: a run needing a start time without one, a
/// frequency run outside its trip's windows, or a relationship that does not fit the trip.
fn slot_of(
    tt: &Timetable,
    trip: TripIdx,
    relationship: TripRel,
    (day, start_time): (Day, Option<&str>),
    a: &mut Applied,
) -> Option<(usize, Slot)> {
    let p = tt.trip(trip).pattern;
    let mut start = || {
        let s = start_time.and_then(parse_time);
        if s.is_none() {
            a.bad_start_times += 1;
        }
        s
    };
    match (tt.trip(trip).kind, relationship) {
        (TripKind::Scheduled { col }, TripRel::Scheduled | TripRel::Canceled) => {
            Some((col as usize, Slot::Column))
        }
        (TripKind::Scheduled { col }, TripRel::Duplicated) => Some((
            col as usize,
            Slot::Extra {
                start: start()?,
                unscheduled: false,
            },
        )),
        (TripKind::Frequency, TripRel::Scheduled | TripRel::Canceled | TripRel::Unscheduled) => {
            // The start time picks the run (any start for an unscheduled one).
            let start = start()?;
            let in_window = tt.windows(p).iter().any(|w| {
                w.trip == trip
                    && tt.service_active(w.service, day)
                    && (w.start..w.end).contains(&start)
            });
            if relationship != TripRel::Unscheduled && !in_window {
                a.not_running += 1;
                return None;
            }
            Some((
                0,
                Slot::Extra {
                    start,
                    unscheduled: relationship == TripRel::Unscheduled,
                },
            ))
        }
        _ => {
            a.unsupported += 1;
            None
        }
    }
}

/// `HH:MM:SS` (hours may pass 24, as GTFS allows), seconds of the service day.
fn parse_time(s: &str) -> Option<Secs> {
    let mut it = s.split(':').map(|x| x.parse::<u32>().ok());
    let (h, m, sec) = (it.next()??, it.next()??, it.next()??);
    (it.next().is_none() && m < 60 && sec < 60 && h < 48).then_some(h * 3600 + m * 60 + sec)
}

/// Applies a trip's stop updates to `run` (which starts as the schedule): returns the updates
/// used and those whose stop is not on the pattern.
fn live_times(
    updates: &[StopTimeUpdate],
    position_of: impl Fn(&str, usize) -> Option<usize>,
    base: i64,
    sched_arr: &[Secs],
    sched_dep: &[Secs],
    run: &mut LiveRun,
) -> (usize, usize) {
    let n = sched_arr.len();
    let (mut used, mut unmatched) = (0, 0);
    // The delay in force at each position (None: the schedule), from the updates in order.
    let mut delay_from: Vec<Option<i64>> = vec![None; n];
    let mut next = 0;
    let mut first_update = n;
    for u in updates {
        let Some(pos) = u.stop_id.as_deref().and_then(|id| position_of(id, next)) else {
            unmatched += 1;
            continue;
        };
        used += 1;
        first_update = first_update.min(pos);
        next = pos + 1;
        match u.schedule_relationship() {
            StopRel::NoData => {
                delay_from[pos] = Some(0);
                // The schedule from here until the next update.
                for d in delay_from.iter_mut().skip(pos + 1) {
                    *d = Some(0);
                }
                continue;
            }
            StopRel::Skipped => run.skipped[pos] = true,
            _ => {}
        }
        let at = |e: &Option<StopTimeEvent>, sched: Secs| -> Option<i64> {
            let e = e.as_ref()?;
            // `time` wins over `delay` when both are given.
            e.time
                .map(|t| t.saturating_sub(base))
                .or_else(|| e.delay.map(|d| i64::from(sched) + i64::from(d)))
                // A time days away from its service day is no prediction; bounded so that no
                // hostile value overflows what follows.
                .map(|t| t.clamp(-10 * 86_400, 10 * 86_400))
        };
        let arr = at(&u.arrival, sched_arr[pos]);
        let dep = at(&u.departure, sched_dep[pos]);
        let (arr, dep) = match (arr, dep) {
            (Some(a), Some(d)) => (a, d.max(a)),
            (Some(a), None) => (
                a,
                a.max(i64::from(sched_dep[pos]) + (a - i64::from(sched_arr[pos]))),
            ),
            (None, Some(d)) => (
                (i64::from(sched_arr[pos]) + d - i64::from(sched_dep[pos])).min(d),
                d,
            ),
            (None, None) => continue,
        };
        run.arrivals[pos] = clamp(arr);
        run.departures[pos] = clamp(dep);
        run.observed[pos] = true;
        // The departure's delay carries on to the stops after, until another update.
        let delay = dep - i64::from(sched_dep[pos]);
        for d in delay_from.iter_mut().skip(pos + 1) {
            *d = Some(delay);
        }
    }
    for i in 0..n {
        if run.observed[i] {
            continue;
        }
        if let Some(d) = delay_from[i] {
            run.arrivals[i] = clamp(i64::from(sched_arr[i]) + d);
            run.departures[i] = clamp(i64::from(sched_dep[i]) + d);
        }
    }
    // Non-decreasing: forward from the first update, then backward before it only as far as
    // needed (an early run lowers the stops just before its first update).
    for i in first_update.min(n)..n {
        if i > 0 {
            run.arrivals[i] = run.arrivals[i].max(run.departures[i - 1]);
        }
        run.departures[i] = run.departures[i].max(run.arrivals[i]);
    }
    // (No update at all: nothing to lower — a TripUpdate without stop updates is the schedule.)
    for i in (0..first_update.min(n.saturating_sub(1))).rev() {
        run.departures[i] = run.departures[i].min(run.arrivals[i + 1]);
        run.arrivals[i] = run.arrivals[i].min(run.departures[i]);
    }
    (used, unmatched)
}

pub(crate) fn clamp(t: i64) -> Secs {
    t.clamp(0, i64::from(Secs::MAX)) as Secs
}

/// `YYYYMMDD`.
fn parse_date(s: &str) -> Option<Day> {
    chrono::NaiveDate::parse_from_str(s, "%Y%m%d")
        .ok()
        .map(Day::from_date)
}

/// The local date of a Unix time.
pub(crate) fn local_day(tz: chrono_tz::Tz, t: i64) -> Day {
    let d = tz.timestamp_opt(t, 0).single().map_or_else(
        || chrono::DateTime::UNIX_EPOCH.date_naive(),
        |d| d.date_naive(),
    );
    Day::from_date(d)
}

/// The Unix time a service day's times count from: noon minus 12 h, local (GTFS's definition,
/// right on the days clocks change).
pub fn service_day_start(tz: chrono_tz::Tz, day: Day) -> i64 {
    let noon = day.date().and_hms_opt(12, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&noon)
        .earliest()
        .map_or(0, |t| t.timestamp())
        - 12 * 3600
}

/// A vehicle where a feed last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    /// The operator's code for it (`vehicle.id`, else its label): for officials only.
    pub code: Option<String>,
    /// The run it serves, when the feed says and the timetable has it.
    pub trip: Option<TripIdx>,
    /// Its route: the trip's, else the one the feed names.
    pub route: Option<timetable::RouteIdx>,
    /// 0 or 1, when known.
    pub direction: Option<u8>,
    /// Where.
    pub coord: timetable::Coord,
    /// Heading, degrees clockwise from north, when given.
    pub bearing: Option<f32>,
    /// When it was there (Unix seconds).
    pub seen_at: i64,
    /// The start of the run it serves (seconds of the service day), for a run of a
    /// frequency-based trip or an unscheduled one.
    pub run_start: Option<Secs>,
    /// Whether it serves no run the timetable has.
    pub unscheduled: bool,
}

/// What reading positions did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Vehicles kept.
    pub vehicles: usize,
    /// Positions dropped: no position, or not a coordinate on Earth.
    pub bad_positions: usize,
    /// Positions from the future (more than a minute ahead of "now").
    pub from_the_future: usize,
    /// Positions older than the age allowed.
    pub too_old: usize,
    /// Positions naming neither a trip nor a route the timetable has.
    pub unknown: usize,
}

/// The vehicles of a VehiclePositions message for the feed namespaced `feed`: on their trip
/// and route where the timetable has them. A position that is not one, from the future or
/// older than `opts.max_age_s` (when not 0) is dropped and counted.
pub fn vehicles(
    tt: &Timetable,
    feed: &str,
    msg: &FeedMessage,
    opts: ApplyOptions,
) -> (Vec<Vehicle>, Seen) {
    let mut seen = Seen::default();
    let mut out = Vec::new();
    let header = msg
        .header
        .timestamp
        .map_or(0, |t| i64::try_from(t).unwrap_or(0));
    let max_age = i64::try_from(opts.max_age_s).unwrap_or(i64::MAX);
    for e in &msg.entity {
        let Some(v) = &e.vehicle else { continue };
        let Some(p) = &v.position else {
            seen.bad_positions += 1;
            continue;
        };
        // GTFS-Realtime sends `float`: six decimals (a tenth of a metre) is all it holds.
        let r6 = |x: f32| (f64::from(x) * 1e6).round() / 1e6;
        let Ok(coord) = timetable::Coord::new(r6(p.latitude), r6(p.longitude)) else {
            seen.bad_positions += 1;
            continue;
        };
        let at = v
            .timestamp
            .and_then(|t| i64::try_from(t).ok())
            .unwrap_or(header);
        if at > opts.now + 60 {
            seen.from_the_future += 1;
            continue;
        }
        if opts.max_age_s > 0 && opts.now - at > max_age {
            seen.too_old += 1;
            continue;
        }
        let desc = v.trip.as_ref();
        let trip = desc
            .and_then(|d| d.trip_id.as_deref())
            .and_then(|id| tt.trip_by_id(&namespaced(feed, id)));
        let route = trip.map(|t| tt.trip(t).route).or_else(|| {
            desc.and_then(|d| d.route_id.as_deref())
                .and_then(|id| tt.route_by_id(&namespaced(feed, id)))
        });
        if route.is_none() {
            seen.unknown += 1;
            continue;
        }
        let direction = desc
            .and_then(|d| d.direction_id)
            .and_then(|d| u8::try_from(d).ok())
            .filter(|d| *d <= 1)
            .or_else(|| trip.and_then(|t| tt.trip(t).direction));
        let code = v
            .vehicle
            .as_ref()
            .and_then(|d| d.id.clone().or_else(|| d.label.clone()))
            .filter(|c| !c.is_empty());
        out.push(Vehicle {
            code,
            trip,
            route,
            direction,
            coord,
            bearing: p
                .bearing
                .filter(|b| b.is_finite() && (0.0..=360.0).contains(b)),
            seen_at: at,
            run_start: None,
            unscheduled: false,
        });
    }
    seen.vehicles = out.len();
    (out, seen)
}

/// What is live across the feeds, as served: each feed's latest overlay, until it expires.
/// Immutable: a new message makes a new `Live` (the next generation), swapped in whole.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// Bumped by every overlay taken in; answers say which one they read.
    pub generation: u64,
    feeds: Vec<FeedLive>,
    /// The alerts officials wrote (not a feed's: they never expire as a whole, and make no
    /// answer "live"), each active in its own periods.
    official_alerts: std::sync::Arc<Vec<alerts::Alert>>,
}

#[derive(Debug, Clone)]
struct FeedLive {
    feed: String,
    overlay: std::sync::Arc<Overlay>,
    /// Its vehicles, and how long one stays after it was last seen (seconds).
    vehicles: std::sync::Arc<Vec<Vehicle>>,
    vehicle_timeout_s: i64,
    /// When it was taken in (Unix seconds).
    applied_at: i64,
    /// When it stops being live (Unix seconds); `None`: never (a replay).
    expires_at: Option<i64>,
    /// Its service alerts, each active in its own periods; until `alerts_expire_at`.
    alerts: std::sync::Arc<Vec<alerts::Alert>>,
    alerts_expire_at: Option<i64>,
}

impl Live {
    /// This, with `feed`'s overlay replaced by `overlay` taken in at `now`: live until its
    /// message is `max_age_s` old (by its header's time, or `now` without one); 0: always.
    pub fn with(&self, feed: &str, overlay: Overlay, now: i64, max_age_s: u64) -> Live {
        let since = if overlay.feed_time > 0 {
            overlay.feed_time
        } else {
            now
        };
        self.with_feed(feed, now, |f| {
            f.overlay = std::sync::Arc::new(overlay);
            f.applied_at = now;
            f.expires_at = expiry(since, max_age_s);
        })
    }

    /// This, with `feed`'s vehicles replaced by `vehicles` (seen at `now`); each stays
    /// `timeout_s` after it was last seen.
    pub fn with_vehicles(
        &self,
        feed: &str,
        vehicles: Vec<Vehicle>,
        now: i64,
        timeout_s: u64,
    ) -> Live {
        self.with_feed(feed, now, |f| {
            f.vehicles = std::sync::Arc::new(vehicles);
            f.vehicle_timeout_s = i64::try_from(timeout_s).unwrap_or(i64::MAX);
        })
    }

    /// This, with source `name`'s runs and vehicles replaced at once (a fleet tracked from
    /// positions: each run carries its own expiry, each vehicle stays `timeout_s`).
    pub fn with_source(
        &self,
        name: &str,
        overlay: std::sync::Arc<Overlay>,
        vehicles: std::sync::Arc<Vec<Vehicle>>,
        now: i64,
        timeout_s: u64,
    ) -> Live {
        self.with_feed(name, now, |f| {
            f.overlay = overlay;
            f.vehicles = vehicles;
            f.vehicle_timeout_s = i64::try_from(timeout_s).unwrap_or(i64::MAX);
            f.applied_at = now;
            f.expires_at = None;
        })
    }

    /// This, with `feed`'s alerts replaced by `alerts` (read at `now`, from a message whose
    /// header says `feed_time`): served until the message is `max_age_s` old (0: always).
    pub fn with_alerts(
        &self,
        feed: &str,
        alerts: Vec<alerts::Alert>,
        (now, feed_time): (i64, i64),
        max_age_s: u64,
    ) -> Live {
        let since = if feed_time > 0 { feed_time } else { now };
        self.with_feed(feed, now, |f| {
            f.alerts = std::sync::Arc::new(alerts);
            f.alerts_expire_at = expiry(since, max_age_s);
        })
    }

    /// This, with the officials' alerts replaced by `alerts`.
    pub fn with_official_alerts(&self, alerts: std::sync::Arc<Vec<alerts::Alert>>) -> Live {
        Live {
            generation: self.generation + 1,
            feeds: self.feeds.clone(),
            official_alerts: alerts,
        }
    }

    /// The officials' alerts (all of them, active or not).
    pub fn official_alerts(&self) -> &std::sync::Arc<Vec<alerts::Alert>> {
        &self.official_alerts
    }

    /// The next generation, with `feed`'s entry changed by `edit` (a new entry, with nothing
    /// predicted, seen or announced and never expiring, when the feed had none).
    fn with_feed(&self, feed: &str, now: i64, edit: impl FnOnce(&mut FeedLive)) -> Live {
        let mut feeds = self.feeds.clone();
        let i = match feeds.iter().position(|f| f.feed == feed) {
            Some(i) => i,
            None => {
                feeds.push(FeedLive {
                    feed: feed.to_string(),
                    overlay: std::sync::Arc::new(Overlay::default()),
                    vehicles: std::sync::Arc::default(),
                    vehicle_timeout_s: 0,
                    applied_at: now,
                    expires_at: None,
                    alerts: std::sync::Arc::default(),
                    alerts_expire_at: None,
                });
                feeds.len() - 1
            }
        };
        edit(&mut feeds[i]);
        Live {
            generation: self.generation + 1,
            feeds,
            official_alerts: std::sync::Arc::clone(&self.official_alerts),
        }
    }

    /// What is live at `now`.
    pub fn at(&self, now: i64) -> LiveAt<'_> {
        LiveAt { live: self, now }
    }
}

/// When something taken in at `since` stops being live: `max_age_s` later; 0: never.
fn expiry(since: i64, max_age_s: u64) -> Option<i64> {
    (max_age_s > 0).then(|| since.saturating_add(i64::try_from(max_age_s).unwrap_or(i64::MAX)))
}

/// [`Live`] as of one instant: expired overlays are not read.
#[derive(Debug, Clone, Copy)]
pub struct LiveAt<'a> {
    live: &'a Live,
    now: i64,
}

impl<'a> LiveAt<'a> {
    fn current(&self) -> impl Iterator<Item = &'a FeedLive> + '_ {
        let now = self.now;
        self.live
            .feeds
            .iter()
            .filter(move |f| f.expires_at.is_none_or(|e| now <= e))
    }
    /// The live run of `trip` on `day`, from whichever feed's overlay has it.
    pub fn run(&self, trip: TripIdx, day: Day) -> Option<&'a LiveRun> {
        let now = self.now;
        self.current()
            .filter_map(|f| f.overlay.run(trip, day))
            .find(|r| r.expires_at.is_none_or(|e| now <= e))
    }
    /// The live runs of pattern `p` on `day` that are not timetable columns (frequency-based,
    /// unscheduled or duplicated runs), across the feeds.
    pub fn extra_runs(&self, p: PatternIdx, day: Day) -> impl Iterator<Item = &'a ExtraRun> + '_ {
        let now = self.now;
        self.current()
            .flat_map(move |f| f.overlay.extra_runs(p, day))
            .filter(move |r| r.run.expires_at.is_none_or(|e| now <= e))
    }
    /// Seconds since the newest live overlay was taken in; `None` when nothing is live.
    pub fn age_s(&self) -> Option<i64> {
        self.current().map(|f| self.now - f.applied_at).min()
    }
    /// The vehicles seen recently enough, across the feeds.
    pub fn vehicles(&self) -> impl Iterator<Item = &'a Vehicle> + '_ {
        let now = self.now;
        self.live.feeds.iter().flat_map(move |f| {
            f.vehicles
                .iter()
                .filter(move |v| now - v.seen_at <= f.vehicle_timeout_s)
        })
    }
    /// The generation read.
    pub fn generation(&self) -> u64 {
        self.live.generation
    }
    /// Whether any run is live at all (routing's fast path when not).
    pub fn any_runs(&self) -> bool {
        self.live
            .feeds
            .iter()
            .any(|f| !f.overlay.by_pattern.is_empty())
    }
    /// The live runs of pattern `p` now, with a code that finds each again
    /// ([`LiveAt::pattern_run`]).
    pub fn pattern_runs(&self, p: PatternIdx) -> impl Iterator<Item = (u32, &'a PatternRun)> + '_ {
        let now = self.now;
        self.current_coded()
            .flat_map(move |(fi, f)| {
                f.overlay
                    .pattern_runs(p)
                    .iter()
                    .enumerate()
                    .map(move |(ri, r)| (fi | ri as u32, r))
            })
            .filter(move |(_, r)| r.expires_at.is_none_or(|e| now <= e))
    }
    /// The feeds live now, each with the code of its first run (its index, shifted: run
    /// codes are `feed << 20 | run`).
    fn current_coded(&self) -> impl Iterator<Item = (u32, &'a FeedLive)> + '_ {
        let now = self.now;
        self.live
            .feeds
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.expires_at.is_none_or(|e| now <= e))
            .map(|(fi, f)| ((fi as u32) << 20, f))
    }
    /// The live runs of pattern `p` now, feed by feed, with their times laid out for routing:
    /// (the code of the block's first run — codes of its runs follow — and the block), and
    /// whether all of them are live now (else read [`LiveAt::pattern_runs`], which leaves
    /// the expired out).
    pub fn pattern_blocks(
        &self,
        p: PatternIdx,
    ) -> impl Iterator<Item = (u32, &'a PatternRuns, bool)> + '_ {
        let now = self.now;
        self.current_coded().filter_map(move |(code, f)| {
            let b = f.overlay.pattern_block(p)?;
            let all = b.runs.iter().all(|r| r.expires_at.is_none_or(|e| now <= e));
            Some((code, b, all))
        })
    }
    /// The live run `code` of pattern `p` (as [`LiveAt::pattern_runs`] numbered it).
    pub fn pattern_run(&self, p: PatternIdx, code: u32) -> Option<&'a PatternRun> {
        let f = self.live.feeds.get((code >> 20) as usize)?;
        f.overlay.pattern_runs(p).get((code & 0xF_FFFF) as usize)
    }
    /// "Now", as this view reads.
    pub fn now(&self) -> i64 {
        self.now
    }
    /// The alerts active now: the officials', then the feeds'.
    pub fn alerts(&self) -> impl Iterator<Item = &'a alerts::Alert> + '_ {
        self.alerts_active_at(self.now)
    }
    /// The alerts served now that are active at `t` (a trip later today, tomorrow).
    pub fn alerts_active_at(&self, t: i64) -> impl Iterator<Item = &'a alerts::Alert> + '_ {
        let now = self.now;
        self.live
            .official_alerts
            .iter()
            .chain(
                self.live
                    .feeds
                    .iter()
                    .filter(move |f| f.alerts_expire_at.is_none_or(|e| now <= e))
                    .flat_map(|f| f.alerts.iter()),
            )
            .filter(move |a| a.active_at(t))
    }
    /// Every alert served now, active now or not: the officials', then the feeds'.
    pub fn alerts_served(&self) -> impl Iterator<Item = &'a alerts::Alert> + '_ {
        self.live.official_alerts.iter().chain(self.feed_alerts())
    }
    /// The feeds' alerts served now (active now or not).
    pub fn feed_alerts(&self) -> impl Iterator<Item = &'a alerts::Alert> + '_ {
        let now = self.now;
        self.live
            .feeds
            .iter()
            .filter(move |f| f.alerts_expire_at.is_none_or(|e| now <= e))
            .flat_map(|f| f.alerts.iter())
    }
    /// The feeds' live runs, feed by feed: (feed name, overlay), the expired left out.
    pub fn overlays(&self) -> impl Iterator<Item = (&'a str, &'a Overlay)> + '_ {
        self.current().map(|f| (f.feed.as_str(), &*f.overlay))
    }
}
