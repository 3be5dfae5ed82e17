//! The search: rounds of pattern scans and footpath relaxations, in either direction.

use crate::journey::{Journey, Leg, Place, Ride, Run};
use crate::scratch::{
    DAY_OFFSETS, FootLabel, INF, Item, MAX_ROUNDS, RideLabel, SOURCE, Scratch, label_round,
};
use crate::{Options, Request, StopWalk, Wheelchair};
use timetable::{
    Accessibility, DAY, Footpath, PatternIdx, SameStopTransfer, ServiceIdx, StopIdx, Timetable,
    flags,
};

const DAY_I: i32 = DAY as i32;

/// Per-query constants.
pub(crate) struct Ctx<'a> {
    pub(crate) tt: &'a Timetable,
    pub(crate) rounds: usize,
    pub(crate) slack: i32,
    pub(crate) speed: Option<f64>,
    pub(crate) max_leg_m: u32,
    pub(crate) wheelchair: Wheelchair,
    /// Stops not to board or alight at (the safer planner's hot spots at that hour).
    pub(crate) avoid: Option<&'a [bool]>,
    pub(crate) max_time: i32,
    /// rRAPTOR: keys carry forward across rounds and runs, pruning is per round.
    pub(crate) range: bool,
    /// Real time, when anything is live: live runs replace their columns (or run beside).
    pub(crate) live: Option<realtime::LiveAt<'a>>,
    /// The query's service day (live runs are of absolute days).
    pub(crate) day: timetable::Day,
}

/// Answers a depart-at or arrive-by query: the Pareto set over (arrival — or, arrive-by,
/// departure — time, rides), fewest rides first. Journeys without any ride are not returned.
pub fn search(tt: &Timetable, sc: &mut Scratch, req: &Request<'_>, opts: &Options) -> Vec<Journey> {
    let ctx = prepare(tt, sc, req, opts, false);
    sc.reset_labels();
    set_goal(
        &ctx,
        sc,
        if req.arrive_by {
            req.access
        } else {
            req.egress
        },
        req.arrive_by,
    );
    // The result is the only allocation a warm query makes (plus each journey's legs).
    let mut out = Vec::with_capacity(ctx.rounds);
    if req.arrive_by {
        run::<true>(&ctx, sc, -req.time, req.egress, req.access, None);
        collect::<true>(&ctx, sc, opts, &mut out);
    } else {
        run::<false>(&ctx, sc, req.time, req.access, req.egress, None);
        collect::<false>(&ctx, sc, opts, &mut out);
    }
    clear_targets(
        sc,
        if req.arrive_by {
            req.access
        } else {
            req.egress
        },
    );
    out
}

/// rRAPTOR: all Pareto-optimal journeys (later departure, earlier arrival, fewer rides) for
/// departures within `window_secs` after `req.time` (from the window's last minute, the next
/// journeys may leave after the window). Departures are tried minute by minute, latest first,
/// reusing labels. `req.arrive_by` is ignored (range queries depart).
pub fn range(
    tt: &Timetable,
    sc: &mut Scratch,
    req: &Request<'_>,
    window_secs: u32,
    opts: &Options,
) -> Vec<Journey> {
    let ctx = prepare(tt, sc, req, opts, true);
    sc.reset_labels();
    set_goal(&ctx, sc, req.egress, false);
    let mut all = Vec::new();
    let mut t = req.time + (window_secs as i32 / 60) * 60;
    let mut step = None;
    while t >= req.time {
        run::<false>(&ctx, sc, t, req.access, req.egress, step);
        step = Some(60);
        collect::<false>(&ctx, sc, opts, &mut all);
        t -= 60;
    }
    clear_targets(sc, req.egress);
    // Journeys found from the window's last minute may leave later (the rider waits): they
    // stay, both because they are that minute's answer and because they prune earlier ones.
    pareto(&mut all);
    all
}

/// Keeps journeys no other beats on (departure later-or-equal, arrival earlier-or-equal, rides
/// fewer-or-equal); duplicates removed. Sorted by departure, then rides.
fn pareto(js: &mut Vec<Journey>) {
    js.sort_by(|a, b| {
        b.departure
            .cmp(&a.departure)
            .then(a.arrival.cmp(&b.arrival))
            .then(a.rides.cmp(&b.rides))
    });
    let mut keep: Vec<Journey> = Vec::with_capacity(js.len());
    for j in js.drain(..) {
        let dominated = keep
            .iter()
            .any(|k| k.departure >= j.departure && k.arrival <= j.arrival && k.rides <= j.rides);
        if !dominated {
            keep.push(j);
        }
    }
    keep.sort_by(|a, b| a.departure.cmp(&b.departure).then(a.rides.cmp(&b.rides)));
    *js = keep;
}

pub(crate) fn prepare<'a>(
    tt: &'a Timetable,
    sc: &mut Scratch,
    req: &Request<'_>,
    opts: &'a Options,
    range: bool,
) -> Ctx<'a> {
    if !sc.fits(tt) {
        *sc = Scratch::new(tt);
    }
    let ns = sc.n_services;
    for (oi, off) in DAY_OFFSETS.enumerate() {
        let d = req.day.offset(off);
        for s in 0..ns {
            sc.active[oi * ns + s] = tt.service_active(ServiceIdx::new(s), d);
        }
    }
    for p in 0..sc.min_gap.len() {
        let p = PatternIdx::new(p);
        if tt.pattern(p).is_frequency() {
            sc.min_gap[p.idx()] = crate::scratch::min_gap(tt, p, &sc.active, ns);
        }
    }
    let filtering = !opts.excluded_route_types.is_empty() || !opts.excluded_agencies.is_empty();
    for (p, ok) in sc.pattern_ok.iter_mut().enumerate() {
        *ok = !filtering || {
            let r = tt.route(tt.pattern(PatternIdx::new(p)).route);
            !opts.excluded_route_types.contains(&r.route_type)
                && !opts.excluded_agencies.contains(&r.agency)
        };
    }
    let default_speed = tt.footpath_config().walking_speed_m_s;
    Ctx {
        tt,
        rounds: (opts.max_transfers as usize + 1).min(MAX_ROUNDS),
        slack: opts.transfer_slack as i32,
        speed: opts
            .walking_speed_m_s
            .filter(|s| s.is_finite() && *s > 0.0 && (*s - default_speed).abs() > 1e-9),
        max_leg_m: opts.max_walk_leg_m,
        wheelchair: opts.wheelchair,
        avoid: opts.avoid_stops.as_deref(),
        max_time: tt.max_time() as i32,
        range,
        live: opts
            .live
            .as_ref()
            .map(crate::LiveView::at)
            .filter(realtime::LiveAt::any_runs),
        day: req.day,
    }
}

fn set_goal(ctx: &Ctx<'_>, sc: &mut Scratch, targets: &[StopWalk], backward: bool) {
    if ctx.range {
        sc.goal.least_times(&sc.graph, targets, backward, ctx.speed);
    } else {
        sc.goal.straight(&sc.graph, targets, ctx.speed);
        // The landmarks' tables hold times at the timetable's walking speed.
        if ctx.speed.is_none() {
            sc.goal.landmarks(&sc.graph, targets, backward);
        }
    }
}

/// Whether a label with `key` at stop `s` in round `k` cannot lead to a destination arrival
/// better than the best of its round, even at the fastest (see `goal`).
#[inline]
fn beyond_goal(sc: &Scratch, k: usize, s: usize, key: i32) -> bool {
    let best = sc.dest_best[k];
    best < INF && key + sc.goal.lower_bound(s) >= best
}

fn clear_targets(sc: &mut Scratch, targets: &[StopWalk]) {
    for t in targets {
        sc.target_walk[t.stop.idx()] = INF;
    }
}

#[inline]
pub(crate) fn accessible(w: Wheelchair, a: Accessibility) -> bool {
    match w {
        Wheelchair::Off => true,
        Wheelchair::Accessible => a != Accessibility::No,
        Wheelchair::Strict => a == Accessibility::Yes,
    }
}

/// Wheelchair queries take step-free footpaths only.
#[inline]
pub(crate) fn walkable(ctx: &Ctx<'_>, f: &Footpath) -> bool {
    f.step_free || ctx.wheelchair == Wheelchair::Off
}

#[inline]
pub(crate) fn walk_secs(ctx: &Ctx<'_>, f: &Footpath) -> i32 {
    match ctx.speed {
        Some(v) if !f.explicit => (f64::from(f.distance_m) / v).ceil() as i32,
        _ => f.duration as i32,
    }
}

#[inline]
fn footpaths<const BACK: bool>(tt: &Timetable, s: StopIdx) -> &[Footpath] {
    if BACK {
        tt.incoming_footpaths(s)
    } else {
        tt.footpaths(s)
    }
}

/// Records a ride arrival at `s` in round `k` if it improves (on τ* for single queries, on
/// round k for range queries, where it is carried forward).
#[inline]
fn set_ride(
    ctx: &Ctx<'_>,
    sc: &mut Scratch,
    k: usize,
    s: usize,
    key: i32,
    label: RideLabel,
) -> bool {
    let c = sc.cell(s, k);
    if ctx.range {
        if key >= sc.ride_t[c] {
            return false;
        }
        for j in k..=ctx.rounds {
            let cj = sc.cell(s, j);
            if key < sc.ride_t[cj] {
                sc.ride_t[cj] = key;
                sc.dirty.push(cj as u32);
            } else {
                break;
            }
        }
    } else {
        if key >= sc.best_ride[s] {
            return false;
        }
        sc.best_ride[s] = key;
        sc.ride_t[c] = key;
        sc.dirty.push(c as u32);
    }
    sc.ride_l[c] = label;
    sc.touch(s);
    true
}

/// Records a walk arrival at `s` in round `k` if it improves (as [`set_ride`]).
#[inline]
fn set_foot(
    ctx: &Ctx<'_>,
    sc: &mut Scratch,
    k: usize,
    s: usize,
    key: i32,
    label: FootLabel,
) -> bool {
    let c = sc.cell(s, k);
    if ctx.range {
        if key >= sc.foot_t[c] {
            return false;
        }
        for j in k..=ctx.rounds {
            let cj = sc.cell(s, j);
            if key < sc.foot_t[cj] {
                sc.foot_t[cj] = key;
                sc.dirty.push(cj as u32 | 1 << 31);
            } else {
                break;
            }
        }
    } else {
        if key >= sc.best_foot[s] {
            return false;
        }
        sc.best_foot[s] = key;
        sc.foot_t[c] = key;
        sc.dirty.push(c as u32 | 1 << 31);
    }
    sc.foot_l[c] = label;
    sc.touch(s);
    true
}

/// The key a new ride or walk label at `s` in round `k` must beat.
#[inline]
fn bound(ctx: &Ctx<'_>, sc: &Scratch, times: &[i32], best: &[i32], k: usize, s: usize) -> i32 {
    let local = if ctx.range {
        times[sc.cell(s, k)]
    } else {
        best[s]
    };
    local.min(sc.dest_best[k])
}

/// Whether a walk reaching `s` at `key` in round `k` lets a rider board there no earlier than
/// a ride that reached `s` in round `k` or before: the walk would only repeat that ride's
/// boardings (and a walk cannot continue on foot), so it is not recorded.
#[inline]
fn ride_is_as_good(
    ctx: &Ctx<'_>,
    sc: &Scratch,
    k: usize,
    s: usize,
    key: i32,
    explicit: bool,
) -> bool {
    let ride = if ctx.range {
        sc.ride_t[sc.cell(s, k)]
    } else {
        sc.best_ride[s]
    };
    if ride >= INF {
        return false;
    }
    let after_ride = match ctx.tt.same_stop_transfer(StopIdx::new(s)) {
        SameStopTransfer::Default => ctx.slack,
        SameStopTransfer::MinTime(t) => t as i32,
        SameStopTransfer::Forbidden => return false,
    };
    let after_walk = if explicit { 0 } else { ctx.slack };
    key + after_walk >= ride + after_ride
}

#[inline]
fn improve(sc: &mut Scratch, s: usize) {
    if !sc.improved[s] {
        sc.improved[s] = true;
        sc.improved_list.push(s as u32);
    }
}

/// The earliest key at which a rider who has made `k_prev` rides can board at `s`, and
/// whether that comes from a footpath label.
#[inline]
fn ready_key(ctx: &Ctx<'_>, sc: &Scratch, k_prev: usize, s: usize) -> (i32, bool) {
    let i = sc.cell(s, k_prev);
    let r = sc.ride_t[i];
    let via_ride = if r < INF {
        match ctx.tt.same_stop_transfer(StopIdx::new(s)) {
            SameStopTransfer::Default => r + ctx.slack,
            SameStopTransfer::MinTime(t) => r + t as i32,
            SameStopTransfer::Forbidden => INF,
        }
    } else {
        INF
    };
    let f = sc.foot_t[i];
    let via_foot = if f < INF {
        // No slack after the walk from the origin (round 0) or an explicit transfer time.
        let j = label_round(sc, &sc.foot_t, s, k_prev);
        if j == 0 || sc.foot_l[sc.cell(s, j)].explicit {
            f
        } else {
            f + ctx.slack
        }
    } else {
        INF
    };
    if via_foot < via_ride {
        (via_foot, true)
    } else {
        (via_ride, false)
    }
}

/// The best run of pattern `p` boardable at `pos` with key ≥ `ready` (forward: earliest
/// departure at or after; backward: latest arrival at or before).
pub(crate) fn find_run<const BACK: bool>(
    ctx: &Ctx<'_>,
    sc: &Scratch,
    p: PatternIdx,
    pos: usize,
    ready: i32,
) -> Option<Run> {
    if ctx.live.is_none() {
        return find_run_among::<BACK>(ctx, sc, p, pos, ready, &PatternLive::NONE);
    }
    find_run_among::<BACK>(ctx, sc, p, pos, ready, &PatternLive::new(ctx, p))
}

/// The same, with the pattern's live runs gathered already.
fn find_run_among<const BACK: bool>(
    ctx: &Ctx<'_>,
    sc: &Scratch,
    p: PatternIdx,
    pos: usize,
    ready: i32,
    live: &PatternLive<'_>,
) -> Option<Run> {
    if BACK {
        latest_arriving(ctx, sc, p, pos, -ready, live)
    } else {
        earliest_departing(ctx, sc, p, pos, ready, live)
    }
}

/// Forward: the run of `p` departing `pos` earliest at or after `ready`.
fn earliest_departing(
    ctx: &Ctx<'_>,
    sc: &Scratch,
    p: PatternIdx,
    pos: usize,
    ready: i32,
    live: &PatternLive<'_>,
) -> Option<Run> {
    let tt = ctx.tt;
    let ns = sc.n_services;
    let (lo, hi) = (*DAY_OFFSETS.start(), *DAY_OFFSETS.end());
    let wheel = ctx.wheelchair;
    let trip_ok = |a: Accessibility| accessible(wheel, a);
    let is_freq = tt.pattern(p).is_frequency();
    let mut best: Option<(i32, Run)> = None;
    let d_lo = (ready - ctx.max_time).div_euclid(DAY_I)
        + i32::from((ready - ctx.max_time).rem_euclid(DAY_I) != 0);
    let d_hi = ready.div_euclid(DAY_I) + 1;
    for d in d_lo.max(lo)..=d_hi.min(hi) {
        let base = d * DAY_I;
        if best.is_some_and(|(b, _)| base >= b) {
            break;
        }
        let t = ready - base;
        let oi = (d - lo) as usize * ns;
        if is_freq {
            let off = tt.departure(p, pos, 0) as i32;
            for (wi, w) in tt.windows(p).iter().enumerate() {
                if !sc.active[oi + w.service.idx()]
                    || (wheel != Wheelchair::Off && !trip_ok(tt.trip(w.trip).wheelchair))
                {
                    continue;
                }
                if let Some(st) = w.next_start((t - off).max(0) as u32) {
                    let dep = st as i32 + off + base;
                    if best.is_none_or(|(b, _)| dep < b) {
                        best = Some((
                            dep,
                            Run {
                                index: wi as u32,
                                start: st,
                                frequency: true,
                                day_offset: d as i8,
                                live: None,
                            },
                        ));
                    }
                }
            }
        } else {
            let deps = tt.departures(p, pos);
            let svc = tt.pattern_trip_services(p);
            let wc = tt.pattern_trip_wheelchair(p);
            let t0 = t.max(0) as u32;
            let mut c = deps.partition_point(|&x| x < t0);
            while c < deps.len() {
                let dep = deps[c] as i32 + base;
                if best.is_some_and(|(b, _)| dep >= b) {
                    break;
                }
                if sc.active[oi + svc[c].idx()] && trip_ok(wc[c]) && !live_column(ctx, live, c, d) {
                    best = Some((
                        dep,
                        Run {
                            index: c as u32,
                            start: 0,
                            frequency: false,
                            day_offset: d as i8,
                            live: None,
                        },
                    ));
                    break;
                }
                c += 1;
            }
        }
        live_candidates::<false>(ctx, live, p, pos, d, t, &mut best);
    }
    best.map(|b| b.1)
}

/// Backward: the run of `p` arriving at `pos` latest at or before `latest`.
fn latest_arriving(
    ctx: &Ctx<'_>,
    sc: &Scratch,
    p: PatternIdx,
    pos: usize,
    latest: i32,
    live: &PatternLive<'_>,
) -> Option<Run> {
    let tt = ctx.tt;
    let ns = sc.n_services;
    let (lo, hi) = (*DAY_OFFSETS.start(), *DAY_OFFSETS.end());
    let wheel = ctx.wheelchair;
    let trip_ok = |a: Accessibility| accessible(wheel, a);
    let is_freq = tt.pattern(p).is_frequency();
    let mut best: Option<(i32, Run)> = None;
    let d_hi = latest.div_euclid(DAY_I);
    for d in (lo..=d_hi.min(hi)).rev() {
        let base = d * DAY_I;
        if best.is_some_and(|(b, _)| base + ctx.max_time < b) {
            break;
        }
        let t = latest - base;
        if t < 0 {
            continue;
        }
        let oi = (d - lo) as usize * ns;
        if is_freq {
            let off = tt.arrival(p, pos, 0) as i32;
            if t < off {
                continue;
            }
            for (wi, w) in tt.windows(p).iter().enumerate() {
                if !sc.active[oi + w.service.idx()]
                    || (wheel != Wheelchair::Off && !trip_ok(tt.trip(w.trip).wheelchair))
                {
                    continue;
                }
                if let Some(st) = w.latest_start((t - off) as u32) {
                    let arr = st as i32 + off + base;
                    if best.is_none_or(|(b, _)| arr > b) {
                        best = Some((
                            arr,
                            Run {
                                index: wi as u32,
                                start: st,
                                frequency: true,
                                day_offset: d as i8,
                                live: None,
                            },
                        ));
                    }
                }
            }
        } else {
            let arrs = tt.arrivals(p, pos);
            let svc = tt.pattern_trip_services(p);
            let wc = tt.pattern_trip_wheelchair(p);
            let mut c = arrs.partition_point(|&x| x as i32 <= t);
            while c > 0 {
                c -= 1;
                let arr = arrs[c] as i32 + base;
                if best.is_some_and(|(b, _)| arr <= b) {
                    break;
                }
                if sc.active[oi + svc[c].idx()] && trip_ok(wc[c]) && !live_column(ctx, live, c, d) {
                    best = Some((
                        arr,
                        Run {
                            index: c as u32,
                            start: 0,
                            frequency: false,
                            day_offset: d as i8,
                            live: None,
                        },
                    ));
                    break;
                }
            }
        }
        live_candidates::<true>(ctx, live, p, pos, d, t, &mut best);
    }
    best.map(|b| b.1)
}

/// Whether column `c` of `p` on the day `d` days from the query's is live (its times, or its
/// cancellation, are the real time's, not the timetable's).
#[inline]
fn live_column(ctx: &Ctx<'_>, live: &PatternLive<'_>, c: usize, d: i32) -> bool {
    !live.is_empty() && {
        let day = ctx.day.offset(d);
        live.any(|r| r.column == Some(c as u32) && r.day == day)
    }
}

/// The live runs of `p` on the day `d` days from the query's, as boarding candidates at `pos`
/// for a rider ready at `t` (seconds of that day): forward, departing at or after `t`;
/// backward, arriving at or before it. Canceled runs and skipped stops are never offered.
fn live_candidates<const BACK: bool>(
    ctx: &Ctx<'_>,
    live: &PatternLive<'_>,
    p: PatternIdx,
    pos: usize,
    d: i32,
    t: i32,
    best: &mut Option<(i32, Run)>,
) {
    if live.is_empty() {
        return;
    }
    let day = ctx.day.offset(d);
    let base = d * DAY_I;
    live.find_at::<BACK>(pos, |code, r, key| {
        if r.day != day
            || (ctx.wheelchair != Wheelchair::Off
                && !accessible(ctx.wheelchair, ctx.tt.trip(r.trip).wheelchair))
        {
            return false;
        }
        let better = if BACK {
            key <= t && best.is_none_or(|(b, _)| key + base > b)
        } else {
            key >= t && best.is_none_or(|(b, _)| key + base < b)
        };
        if better {
            let window = ctx
                .tt
                .windows(p)
                .iter()
                .position(|w| w.trip == r.trip && (w.start..w.end).contains(&r.start));
            *best = Some((
                key + base,
                Run {
                    index: match r.column {
                        Some(c) => c,
                        None => window.map_or(u32::MAX, |w| w as u32),
                    },
                    start: r.start,
                    frequency: r.column.is_none(),
                    day_offset: d as i8,
                    live: Some(code),
                },
            ));
        }
        false
    });
}

/// The run in hand during a pattern scan, resolved to its column and time offsets (or, live,
/// to its predicted times).
#[derive(Clone, Copy)]
struct InHand<'a> {
    run: Run,
    col: usize,
    /// Added to the column's times: the day offset, plus the run start for frequencies.
    off: i32,
    /// Same for the latest time a rider must be at a stop (inexact frequencies wait a headway).
    ready_off: i32,
    board_pos: u32,
    from_foot: bool,
    /// A live run's times (the day offset is added to them).
    live: Option<&'a realtime::LiveRun>,
    day: i32,
}

impl<'a> InHand<'a> {
    fn new(ctx: &Ctx<'a>, p: PatternIdx, run: Run, board_pos: u32, from_foot: bool) -> InHand<'a> {
        let tt = ctx.tt;
        let day = i32::from(run.day_offset) * DAY_I;
        let live = run
            .live
            .and_then(|code| ctx.live?.pattern_run(p, code))
            .map(|r| &*r.run);
        if run.frequency && live.is_none() {
            let w = &tt.windows(p)[run.index as usize];
            InHand {
                run,
                col: 0,
                off: day + run.start as i32,
                ready_off: day + w.ready_for(run.start) as i32,
                board_pos,
                from_foot,
                live,
                day,
            }
        } else {
            InHand {
                run,
                col: if run.frequency { 0 } else { run.index as usize },
                off: day,
                ready_off: day,
                board_pos,
                from_foot,
                live,
                day,
            }
        }
    }
}

fn scan<const BACK: bool>(ctx: &Ctx<'_>, sc: &mut Scratch, k: usize, p: PatternIdx, from: usize) {
    let tt = ctx.tt;
    let stops = tt.pattern_stops(p);
    let fl = tt.pattern_flags(p);
    let (deps, arrs, n_trips) = tt.pattern_times(p);
    let (board_flag, alight_flag) = if BACK {
        (flags::DROP_OFF, flags::PICKUP)
    } else {
        (flags::PICKUP, flags::DROP_OFF)
    };
    // Keys of the run in hand at a position: where it can be boarded, and where left (a live
    // run's predicted times).
    let board = |h: &InHand, pos: usize| -> i32 {
        match (h.live, BACK) {
            (Some(r), true) => -(r.arrivals[pos] as i32 + h.day),
            (Some(r), false) => r.departures[pos] as i32 + h.day,
            (None, true) => -(arrs[pos * n_trips + h.col] as i32 + h.off),
            (None, false) => deps[pos * n_trips + h.col] as i32 + h.off,
        }
    };
    let alight = |h: &InHand, pos: usize| -> i32 {
        match (h.live, BACK) {
            (Some(r), true) => -(r.departures[pos] as i32 + h.day),
            (Some(r), false) => r.arrivals[pos] as i32 + h.day,
            (None, true) => -(deps[pos * n_trips + h.col] as i32 + h.ready_off),
            (None, false) => arrs[pos * n_trips + h.col] as i32 + h.off,
        }
    };
    // A live run cannot be left where it skips the stop.
    let stops_at = |h: &InHand, pos: usize| h.live.is_none_or(|r| !r.skipped[pos]);
    let n = stops.len();
    // Runs are at least `min_gap` apart: an earlier run is catchable only that much earlier.
    // Real time breaks that only around live runs: with a live run in hand, or one of the
    // pattern's live runs boardable before the run in hand, the search looks again.
    let gap_slack = (sc.min_gap[p.idx()] - 1).max(0);
    let pattern_live = PatternLive::new(ctx, p);
    let look_again = |h: &InHand, pos: usize, ready: i32| -> bool {
        let b = board(h, pos);
        ready < b - gap_slack
            || (ready < b
                && (h.live.is_some()
                    || live_boards_between::<BACK>(ctx, &pattern_live, pos, ready, b)))
    };
    let mut cur: Option<InHand> = None;
    let steps = if BACK { from + 1 } else { n - from };
    let last = sc.pattern_last[p.idx()] as usize;
    for i in 0..steps {
        let pos = if BACK { from - i } else { from + i };
        // Past the last improved stop nothing can be boarded any more; once the run in hand
        // arrives after the best destination arrival, nothing later on it can help either.
        if (!BACK && pos > last) || (BACK && pos < last) {
            match &cur {
                None => break,
                Some(h) if alight(h, pos) >= sc.dest_best[k] => break,
                Some(_) => {}
            }
        }
        let s = stops[pos];
        let su = s.idx();
        if ctx.wheelchair != Wheelchair::Off && !accessible(ctx.wheelchair, tt.stop_wheelchair(s)) {
            continue;
        }
        if ctx
            .avoid
            .is_some_and(|a| a.get(su).copied().unwrap_or(false))
        {
            continue;
        }
        // A live run in hand that skips this stop cannot be left here, but a later run
        // boarded at the same place may stop (rare: only live runs skip).
        let skipping_alt;
        let hand = match &cur {
            Some(h) if !stops_at(h, pos) && fl[pos] & alight_flag != 0 => {
                skipping_alt = next_stopping::<BACK>(ctx, sc, p, h, pos, &board, &stops_at);
                skipping_alt.as_ref()
            }
            other => other.as_ref(),
        };
        if let Some(h) = hand
            && fl[pos] & alight_flag != 0
        {
            let key = alight(h, pos);
            if key < bound(ctx, sc, &sc.ride_t, &sc.best_ride, k, su)
                && !beyond_goal(sc, k, su, key)
            {
                let label = RideLabel {
                    pattern: p.0,
                    run: h.run,
                    board_pos: h.board_pos,
                    alight_pos: pos as u32,
                    from_foot: h.from_foot,
                    made: k as u8,
                };
                if set_ride(ctx, sc, k, su, key, label) {
                    improve(sc, su);
                    if !sc.ride_improved[su] {
                        sc.ride_improved[su] = true;
                        sc.ride_improved_list.push(su as u32);
                    }
                    // A destination stop: the rest of the round prunes with this arrival.
                    let w = sc.target_walk[su];
                    if w < INF && key + w < sc.dest_best[k] {
                        let at_dest = key + w;
                        sc.dest_best[k] = at_dest;
                        sc.dest_from[k] = (su as u32, false, true);
                    }
                }
            }
        }
        // Boarding only where the previous round improved: a stop reached earlier was a
        // boarding point in an earlier round already, with the same runs to choose from.
        if sc.marked[su] && fl[pos] & board_flag != 0 {
            let (ready, from_foot) = sc.ready_at[su];
            if ready < INF
                && cur.as_ref().is_none_or(|h| look_again(h, pos, ready))
                && let Some(run) = find_run_among::<BACK>(ctx, sc, p, pos, ready, &pattern_live)
            {
                let h = InHand::new(ctx, p, run, pos as u32, from_foot);
                if cur.as_ref().is_none_or(|c| board(&h, pos) < board(c, pos)) {
                    cur = Some(h);
                }
            }
        }
    }
}

/// The live runs of one pattern, gathered once per scan: asked at most boardings, walking
/// the feeds each time cost more than the rest of what live runs add; their times at a stop
/// are read side by side ([`realtime::PatternRuns`]).
struct PatternLive<'a> {
    blocks: [Option<(u32, &'a realtime::PatternRuns)>; PatternLive::HELD],
    n: usize,
    /// More feeds than fit, or some run expired: read them run by run from the view.
    slow: Option<(realtime::LiveAt<'a>, PatternIdx)>,
}

impl<'a> PatternLive<'a> {
    const HELD: usize = 2;

    /// None: the timetable alone.
    const NONE: PatternLive<'static> = PatternLive {
        blocks: [None; PatternLive::HELD],
        n: 0,
        slow: None,
    };

    fn new(ctx: &Ctx<'a>, p: PatternIdx) -> PatternLive<'a> {
        let mut out = PatternLive::NONE;
        let Some(live) = ctx.live else { return out };
        for (code, block, all_live) in live.pattern_blocks(p) {
            if out.n == PatternLive::HELD || !all_live {
                return PatternLive {
                    slow: Some((live, p)),
                    ..PatternLive::NONE
                };
            }
            out.blocks[out.n] = Some((code, block));
            out.n += 1;
        }
        out
    }

    fn is_empty(&self) -> bool {
        self.n == 0 && self.slow.is_none()
    }

    /// Calls `f(code, run, key)` for each run that can be boarded at `pos` (forward: its
    /// departure there; backward: its arrival), until `f` says stop; whether it did.
    fn find_at<const BACK: bool>(
        &self,
        pos: usize,
        mut f: impl FnMut(u32, &'a realtime::PatternRun, i32) -> bool,
    ) -> bool {
        if let Some((live, p)) = self.slow {
            return live.pattern_runs(p).any(|(code, r)| {
                !r.run.canceled && !r.run.skipped[pos] && {
                    let key = if BACK {
                        r.run.arrivals[pos]
                    } else {
                        r.run.departures[pos]
                    };
                    f(code, r, key as i32)
                }
            });
        }
        self.blocks[..self.n].iter().flatten().any(|&(base, b)| {
            let n = b.runs.len();
            let keys = if BACK { &b.arrivals } else { &b.departures };
            let Some(at) = keys.get(pos * n..(pos + 1) * n) else {
                return false;
            };
            at.iter().enumerate().any(|(r, &key)| {
                let none = if BACK { i32::MIN } else { i32::MAX };
                key != none && f(base | r as u32, &b.runs[r], key)
            })
        })
    }

    fn any(&self, f: impl Fn(&realtime::PatternRun) -> bool) -> bool {
        match self.slow {
            Some((live, p)) => live.pattern_runs(p).any(|(_, r)| f(r)),
            None => self.blocks[..self.n]
                .iter()
                .flatten()
                .any(|(_, b)| b.runs.iter().any(&f)),
        }
    }
}

/// Whether a live run of the pattern can be boarded at `pos` with a key in `[from, until)`
/// (keys as the scan's: departures forward, negated arrivals backward).
fn live_boards_between<const BACK: bool>(
    ctx: &Ctx<'_>,
    live: &PatternLive<'_>,
    pos: usize,
    from: i32,
    until: i32,
) -> bool {
    !live.is_empty()
        && live.find_at::<BACK>(pos, |_, r, key| {
            let d = r.day.0 - ctx.day.0;
            DAY_OFFSETS.contains(&d) && {
                let key = if BACK {
                    -(key + d * DAY_I)
                } else {
                    key + d * DAY_I
                };
                (from..until).contains(&key)
            }
        })
}

/// The first run after `h` boarded where `h` was that stops at `pos` (a few tries: live runs
/// that skip stops are rare).
fn next_stopping<'a, const BACK: bool>(
    ctx: &Ctx<'a>,
    sc: &Scratch,
    p: PatternIdx,
    h: &InHand<'a>,
    pos: usize,
    board: &impl Fn(&InHand, usize) -> i32,
    stops_at: &impl Fn(&InHand, usize) -> bool,
) -> Option<InHand<'a>> {
    let bp = h.board_pos as usize;
    let mut prev = *h;
    for _ in 0..8 {
        let run = find_run::<BACK>(ctx, sc, p, bp, board(&prev, bp) + 1)?;
        let next = InHand::new(ctx, p, run, h.board_pos, h.from_foot);
        if stops_at(&next, pos) {
            return Some(next);
        }
        prev = next;
    }
    None
}

/// One RAPTOR run from `sources` (walk times added to `key0`) towards `targets`. Labels of
/// earlier runs are kept (rRAPTOR); call `reset_labels` first for a fresh search.
fn run<const BACK: bool>(
    ctx: &Ctx<'_>,
    sc: &mut Scratch,
    key0: i32,
    sources: &[StopWalk],
    targets: &[StopWalk],
    step: Option<i32>,
) {
    let rounds = ctx.rounds;
    round_zero::<BACK>(ctx, sc, key0, sources, targets, step);
    std::mem::swap(&mut sc.marked, &mut sc.improved);
    std::mem::swap(&mut sc.marked_list, &mut sc.improved_list);

    for k in 1..=rounds {
        sc.dest_best[k] = sc.dest_best[k].min(sc.dest_best[k - 1]);
        mark_patterns::<BACK>(ctx, sc, k);
        for qi in 0..sc.pattern_queue.len() {
            let p = sc.pattern_queue[qi];
            let from = std::mem::replace(&mut sc.pattern_from[p as usize], u32::MAX) as usize;
            scan::<BACK>(ctx, sc, k, PatternIdx(p), from);
        }
        sc.pattern_queue.clear();
        // Only stops improved in the previous round were boarding points in this one.
        for mi in 0..sc.marked_list.len() {
            let s = sc.marked_list[mi] as usize;
            sc.marked[s] = false;
        }
        sc.marked_list.clear();
        walk_after_rides::<BACK>(ctx, sc, k);
        reach_targets(sc, k, targets);
        std::mem::swap(&mut sc.marked, &mut sc.improved);
        std::mem::swap(&mut sc.marked_list, &mut sc.improved_list);
        if sc.marked_list.is_empty() {
            break;
        }
    }
    for mi in 0..sc.marked_list.len() {
        let s = sc.marked_list[mi] as usize;
        sc.marked[s] = false;
    }
    sc.marked_list.clear();
}

/// Round 0: the walks from the source (a source that is a stop may also take one footpath),
/// the destination's walks noted; with an rRAPTOR `step`, stops whose next departure is the
/// same one step later are not marked (they cannot improve anything).
#[inline]
fn round_zero<const BACK: bool>(
    ctx: &Ctx<'_>,
    sc: &mut Scratch,
    key0: i32,
    sources: &[StopWalk],
    targets: &[StopWalk],
    step: Option<i32>,
) {
    for f in sc.dest_from.iter_mut() {
        f.2 = false;
    }
    for t in targets {
        let i = t.stop.idx();
        if (t.duration as i32) < sc.target_walk[i] {
            sc.target_walk[i] = t.duration as i32;
            sc.target_dist[i] = t.distance_m;
        }
    }
    // Round 0: walk from the source; a source that is a stop may also take one footpath.
    for a in sources {
        let key = key0 + a.duration as i32;
        let label = FootLabel {
            from: SOURCE,
            duration: a.duration,
            distance_m: a.distance_m,
            explicit: false,
            made: 0,
        };
        if set_foot(ctx, sc, 0, a.stop.idx(), key, label) {
            improve(sc, a.stop.idx());
        }
    }
    for a in sources.iter().filter(|a| a.duration == 0) {
        for f in footpaths::<BACK>(ctx.tt, a.stop) {
            if f.distance_m > ctx.max_leg_m || !walkable(ctx, f) {
                continue;
            }
            let d = walk_secs(ctx, f);
            let label = FootLabel {
                from: a.stop.0,
                duration: d as u32,
                distance_m: f.distance_m,
                explicit: f.explicit,
                made: 0,
            };
            if set_foot(ctx, sc, 0, f.to.idx(), key0 + d, label) {
                improve(sc, f.to.idx());
            }
        }
    }
    // rRAPTOR step (departures tried every `step` seconds, latest first): a stop whose next
    // departure is the same as one step later cannot improve anything, so it is not marked.
    if let Some(step) = step {
        for i in (0..sc.improved_list.len()).rev() {
            let s = sc.improved_list[i] as usize;
            let ready = sc.foot_t[sc.cell(s, 0)];
            if !departs_before(ctx, sc, s, ready, ready + step) {
                sc.improved[s] = false;
                sc.improved_list.swap_remove(i);
            }
        }
    }
}

/// The patterns through the stops improved in the previous round, each from its first such
/// stop (and to its last), queued for scanning in round `k`.
#[inline]
fn mark_patterns<const BACK: bool>(ctx: &Ctx<'_>, sc: &mut Scratch, k: usize) {
    for mi in 0..sc.marked_list.len() {
        let s = sc.marked_list[mi] as usize;
        let mut ready = ready_key(ctx, sc, k - 1, s);
        // The label was checked against the destination before the previous round found
        // its best arrival: check again.
        if ready.0 < INF && beyond_goal(sc, k, s, ready.0) {
            ready.0 = INF;
        }
        sc.ready_at[s] = ready;
        if ready.0 >= INF {
            continue;
        }
        for &(p, pos) in ctx.tt.stop_patterns(StopIdx::new(s)) {
            if !sc.pattern_ok[p.idx()] {
                continue;
            }
            let cur = &mut sc.pattern_from[p.idx()];
            if *cur == u32::MAX {
                *cur = pos;
                sc.pattern_last[p.idx()] = pos;
                sc.pattern_queue.push(p.0);
            } else {
                if (!BACK && pos < *cur) || (BACK && pos > *cur) {
                    *cur = pos;
                }
                let last = &mut sc.pattern_last[p.idx()];
                if (!BACK && pos > *last) || (BACK && pos < *last) {
                    *last = pos;
                }
            }
        }
    }
}

/// One footpath from each stop reached by a ride in round `k` (footpaths are sorted by
/// duration: past the destination's bound, so are the rest).
#[inline]
fn walk_after_rides<const BACK: bool>(ctx: &Ctx<'_>, sc: &mut Scratch, k: usize) {
    for ri in 0..sc.ride_improved_list.len() {
        let s = sc.ride_improved_list[ri] as usize;
        sc.ride_improved[s] = false;
        let base = sc.ride_t[sc.cell(s, k)];
        for f in footpaths::<BACK>(ctx.tt, StopIdx::new(s)) {
            if f.distance_m > ctx.max_leg_m || !walkable(ctx, f) {
                continue;
            }
            let d = walk_secs(ctx, f);
            let key = base + d;
            // Footpaths are sorted by duration: past the destination bound, so are the rest.
            if ctx.speed.is_none() && key >= sc.dest_best[k] {
                break;
            }
            if key < bound(ctx, sc, &sc.foot_t, &sc.best_foot, k, f.to.idx())
                && !ride_is_as_good(ctx, sc, k, f.to.idx(), key, f.explicit)
                && !beyond_goal(sc, k, f.to.idx(), key)
            {
                let label = FootLabel {
                    from: s as u32,
                    duration: d as u32,
                    distance_m: f.distance_m,
                    explicit: f.explicit,
                    made: k as u8,
                };
                if set_foot(ctx, sc, k, f.to.idx(), key, label) {
                    improve(sc, f.to.idx());
                }
            }
        }
    }
    sc.ride_improved_list.clear();
}

/// The destination's best arrival in round `k`: by a ride and the walk from its stop, or on
/// foot into a destination stop after a ride.
#[inline]
fn reach_targets(sc: &mut Scratch, k: usize, targets: &[StopWalk]) {
    for t in targets {
        let i = t.stop.idx();
        let w = sc.target_walk[i];
        let by_ride = sc.ride_t[sc.cell(i, k)].saturating_add(w);
        // Walking into a destination stop counts after a ride, not as a journey of its own.
        let foot = sc.foot_t[sc.cell(i, k)];
        let by_foot = if w == 0 && foot < INF && label_round(sc, &sc.foot_t, i, k) > 0 {
            foot
        } else {
            INF
        };
        let (best, via_foot) = if by_foot < by_ride {
            (by_foot, true)
        } else {
            (by_ride, false)
        };
        if best < sc.dest_best[k] {
            sc.dest_best[k] = best;
            sc.dest_from[k] = (i as u32, via_foot, true);
        }
    }
}

/// Whether leaving a stop at `from` rather than `until` can change the run caught there: some
/// run departs in `[from, until)`, or an inexact frequency serves it (its planned departure
/// moves with the rider's arrival).
fn departs_before(ctx: &Ctx<'_>, sc: &Scratch, s: usize, from: i32, until: i32) -> bool {
    let tt = ctx.tt;
    tt.stop_patterns(StopIdx::new(s)).iter().any(|&(p, pos)| {
        sc.pattern_ok[p.idx()]
            && tt.pattern_flags(p)[pos as usize] & flags::PICKUP != 0
            && (tt.windows(p).iter().any(|w| !w.exact)
                || find_run::<false>(ctx, sc, p, pos as usize, from)
                    .is_some_and(|r| r.departure(tt, ctx.live, p, pos as usize) < until))
    })
}

/// Journeys found by the last run, one per round that improved on fewer rides.
fn collect<const BACK: bool>(
    ctx: &Ctx<'_>,
    sc: &mut Scratch,
    opts: &Options,
    out: &mut Vec<Journey>,
) {
    let mut items = std::mem::take(&mut sc.items);
    let mut pending = std::mem::take(&mut sc.pending);
    for k in 1..=ctx.rounds {
        let (stop, via_foot, found) = sc.dest_from[k];
        if !found || sc.dest_best[k] >= sc.dest_best[k - 1] {
            continue;
        }
        items.clear();
        if reconstruct::<BACK>(ctx, sc, k, stop as usize, via_foot, &mut items) {
            let j = assemble::<BACK>(ctx.tt, ctx.live, &mut items, &mut pending);
            if j.walk_distance_m() <= opts.max_walk_total_m {
                out.push(j);
            }
        }
    }
    sc.items = items;
    sc.pending = pending;
}

fn reconstruct<const BACK: bool>(
    ctx: &Ctx<'_>,
    sc: &Scratch,
    k: usize,
    target: usize,
    via_foot: bool,
    items: &mut Vec<Item>,
) -> bool {
    let tt = ctx.tt;
    // Items in key order: from the target back to the source.
    let real = |a: Place, b: Place| if BACK { (b, a) } else { (a, b) };
    let end = if BACK {
        Place::Origin
    } else {
        Place::Destination
    };
    let start = if BACK {
        Place::Destination
    } else {
        Place::Origin
    };
    let (from, to) = real(Place::Stop(StopIdx::new(target)), end);
    items.push(Item::Walk {
        from,
        to,
        secs: sc.target_walk[target],
        distance_m: sc.target_dist[target],
        explicit: false,
    });
    let (mut stop, mut foot, mut round) = (target, via_foot, k);
    for _ in 0..(4 * MAX_ROUNDS + 4) {
        if foot {
            let l = sc.foot_l[sc.cell(stop, label_round(sc, &sc.foot_t, stop, round))];
            if l.from == SOURCE {
                let (a, b) = real(start, Place::Stop(StopIdx::new(stop)));
                items.push(Item::Walk {
                    from: a,
                    to: b,
                    secs: l.duration as i32,
                    distance_m: l.distance_m,
                    explicit: false,
                });
                return true;
            }
            let (a, b) = real(
                Place::Stop(StopIdx(l.from)),
                Place::Stop(StopIdx::new(stop)),
            );
            items.push(Item::Walk {
                from: a,
                to: b,
                secs: l.duration as i32,
                distance_m: l.distance_m,
                explicit: l.explicit,
            });
            stop = l.from as usize;
            round = l.made as usize;
            foot = l.made == 0;
        } else {
            let l = sc.ride_l[sc.cell(stop, label_round(sc, &sc.ride_t, stop, round))];
            items.push(Item::Ride(l));
            stop = tt.pattern_stops(PatternIdx(l.pattern))[l.board_pos as usize].idx();
            let Some(r) = (l.made as usize).checked_sub(1) else {
                return false;
            };
            round = r;
            foot = l.from_foot;
        }
    }
    false
}

pub(crate) fn assemble<const BACK: bool>(
    tt: &Timetable,
    live: Option<realtime::LiveAt<'_>>,
    items: &mut [Item],
    pending: &mut Vec<usize>,
) -> Journey {
    if !BACK {
        items.reverse();
    }
    let mut legs: Vec<Leg> = Vec::with_capacity(items.len());
    let mut cursor: Option<i32> = None;
    pending.clear();
    for &item in items.iter() {
        match item {
            Item::Ride(l) => {
                let p = PatternIdx(l.pattern);
                let (bp, ap) = if BACK {
                    (l.alight_pos, l.board_pos)
                } else {
                    (l.board_pos, l.alight_pos)
                };
                let stops = tt.pattern_stops(p);
                let ride = Ride {
                    pattern: p,
                    trip: l.run.trip(tt, live, p),
                    run: l.run,
                    board_pos: bp,
                    alight_pos: ap,
                    board_stop: stops[bp as usize],
                    alight_stop: stops[ap as usize],
                    ready: l.run.ready(tt, live, p, bp as usize),
                    departure: l.run.departure(tt, live, p, bp as usize),
                    arrival: l.run.arrival(tt, live, p, ap as usize),
                };
                // Walks before the first ride end when the rider must be at the stop.
                let mut t = ride.ready;
                for &wi in pending.iter().rev() {
                    if let Leg::Walk {
                        departure, arrival, ..
                    } = &mut legs[wi]
                    {
                        let secs = *departure;
                        *arrival = t;
                        *departure = t - secs;
                        t = *departure;
                    }
                }
                pending.clear();
                cursor = Some(ride.arrival);
                legs.push(Leg::Ride(ride));
            }
            Item::Walk {
                from,
                to,
                secs,
                distance_m,
                explicit,
            } => match cursor {
                Some(c) => {
                    legs.push(Leg::Walk {
                        from,
                        to,
                        departure: c,
                        arrival: c + secs,
                        distance_m,
                        explicit,
                    });
                    cursor = Some(c + secs);
                }
                None => {
                    // Duration parked in `departure` until the first ride fixes the times.
                    pending.push(legs.len());
                    legs.push(Leg::Walk {
                        from,
                        to,
                        departure: secs,
                        arrival: 0,
                        distance_m,
                        explicit,
                    });
                }
            },
        }
    }
    // Zero-length walks (origin or destination at a stop) say nothing.
    legs.retain(|l| !matches!(l, Leg::Walk { from, to, departure, arrival, .. } if departure == arrival && (matches!(from, Place::Origin) || matches!(to, Place::Destination))));
    let departure = match legs.first() {
        Some(Leg::Walk { departure, .. }) => *departure,
        Some(Leg::Ride(r)) => r.ready,
        None => 0,
    };
    let arrival = match legs.last() {
        Some(Leg::Walk { arrival, .. }) => *arrival,
        Some(Leg::Ride(r)) => r.arrival,
        None => 0,
    };
    let rides = legs.iter().filter(|l| matches!(l, Leg::Ride(_))).count() as u8;
    Journey {
        legs,
        departure,
        arrival,
        rides,
    }
}
