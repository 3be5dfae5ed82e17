//! McRAPTOR (Delling, Pajor, Werneck 2012, §4) with two criteria for the safer planner:
//! arrival time and *exposure* — seconds waiting at a stop or walking, each weighted by a
//! per-stop rate (the risk above the city's average there, at that hour). Each stop keeps a
//! bag of labels no other label beats on both arrival and exposure (and on when the rider
//! can board next); a pattern is scanned with a bag of runs in hand, each with the exposure
//! of boarding it. The answer is the Pareto set at the destination, as ordinary journeys.
//!
//! Depart-at only. It follows the rules of [`crate::search`] (boarding and alighting flags,
//! wheelchairs, avoided stops, transfer slack, one footpath per round, the runs of nearby
//! service days) and reuses its run lookup and journey assembly, but none of its pruning by
//! lower bounds: it is the measured alternative to the generalized cost over two plain
//! searches that the planner uses (see crates/planner/README.md, "Safer trips").

use crate::journey::{Journey, Place, Run};
use crate::scratch::{INF, Item, RideLabel, Scratch};
use crate::search::{Ctx, accessible, assemble, find_run, prepare, walk_secs, walkable};
use crate::{Options, Request, Wheelchair};
use timetable::{PatternIdx, SameStopTransfer, StopIdx, Timetable, flags};

/// How a label was reached.
#[derive(Clone, Copy, Debug)]
enum Via {
    /// Walking from the origin.
    Access { secs: i32, distance_m: u32 },
    /// Riding, after label `prev`.
    Ride { label: RideLabel, prev: u32 },
    /// Walking from stop `from`, after label `prev`.
    Walk {
        from: u32,
        secs: i32,
        distance_m: u32,
        explicit: bool,
        prev: u32,
    },
}

#[derive(Clone, Copy, Debug)]
struct Label {
    /// The stop it is at.
    stop: u32,
    arrival: i32,
    /// When a vehicle can be boarded here next (arrival plus the transfer rule).
    ready: i32,
    exposure: f64,
    via: Via,
}

impl Label {
    /// Whether the rider got here on a vehicle (and so may walk on: one footpath per round).
    fn by_ride(&self) -> bool {
        matches!(self.via, Via::Ride { .. })
    }

    /// Whether `self` is at least as good as `o` on every criterion; a label reached on foot
    /// never covers one reached by a ride, which may still walk on.
    fn covers(&self, o: &Label) -> bool {
        self.arrival <= o.arrival
            && self.ready <= o.ready
            && self.exposure <= o.exposure + 1e-9
            && (self.by_ride() || !o.by_ride())
    }
}

/// A run in hand while scanning a pattern.
#[derive(Clone, Copy)]
struct InHand {
    run: Run,
    board_pos: u32,
    exposure: f64,
    prev: u32,
}

/// The Pareto set over (arrival, exposure) of journeys from `req.access` to `req.egress`
/// departing at `req.time` (`req.arrive_by` is not supported: the answer is empty), where a
/// second waiting or walking at stop `s` costs `rate[s]` (a walk between two stops the mean
/// of their rates; the walks from the origin and to the destination their stop's rate).
/// Journeys without a ride are not returned. Sorted by arrival.
pub fn search_exposure(
    tt: &Timetable,
    sc: &mut Scratch,
    req: &Request<'_>,
    opts: &Options,
    rate: &[f64],
) -> Vec<(Journey, f64)> {
    if req.arrive_by || rate.len() != tt.stops().len() {
        return Vec::new();
    }
    // Real time as the fastest search reads it: live runs boarded when predicted, canceled
    // runs and skipped stops never.
    let ctx = prepare(tt, sc, req, opts, false);
    let mut m = Mc {
        tt,
        ctx: &ctx,
        rate,
        labels: Vec::new(),
        best: vec![Vec::new(); tt.stops().len()],
        target: Vec::new(),
    };
    let mut last_round = m.leave_origin(req);
    for k in 1..=ctx.rounds {
        if last_round.is_empty() {
            break;
        }
        let from = patterns_from(tt, sc, &last_round);
        // The boarding labels by stop: `last_round` sorted, each stop's run found by search.
        last_round.sort_unstable();
        let mut this_round: Vec<(usize, u32)> = Vec::new();
        for (p, start) in from {
            m.scan(sc, p, start, k, &last_round, &mut this_round);
        }
        // One footpath after the rides of this round.
        let rides = this_round.clone();
        for (s, i) in rides {
            // A label covered since it was made is not walked on.
            if m.best[s].contains(&i) {
                m.walk_from(s, i, false, &mut this_round);
            }
        }
        for &(s, i) in &this_round {
            if m.best[s].contains(&i) {
                m.reach_destination(req, s, i);
            }
        }
        last_round = this_round
            .into_iter()
            .filter(|(s, i)| m.best[*s].contains(i))
            .collect();
    }
    m.journeys(req)
}

/// One McRAPTOR search's labels: every label made, each stop's bag (the labels no other
/// covers, of any round) and the Pareto set at the destination.
struct Mc<'a> {
    tt: &'a Timetable,
    ctx: &'a Ctx<'a>,
    rate: &'a [f64],
    labels: Vec<Label>,
    best: Vec<Vec<u32>>,
    /// At the destination: (arrival, exposure, label, egress walk index).
    target: Vec<(i32, f64, u32, usize)>,
}

impl Mc<'_> {
    /// The exposure rate at stop `s` (never negative).
    fn rate_of(&self, s: usize) -> f64 {
        self.rate[s].max(0.0)
    }

    /// Adds `l` at `s` unless the destination's set or the stop's bag covers it; drops the
    /// labels of the bag it covers. Returns its number.
    fn add(&mut self, s: usize, l: Label) -> Option<u32> {
        if l.arrival >= INF
            || self
                .target
                .iter()
                .any(|&(a, e, _, _)| a <= l.arrival && e <= l.exposure + 1e-9)
            || self.best[s]
                .iter()
                .any(|&i| self.labels[i as usize].covers(&l))
        {
            return None;
        }
        let labels = &self.labels;
        self.best[s].retain(|&i| !l.covers(&labels[i as usize]));
        let i = self.labels.len() as u32;
        self.labels.push(l);
        self.best[s].push(i);
        Some(i)
    }

    /// The label after walking footpath `f` from label `i`, if the rider may.
    fn walk_on(&self, i: u32, f: &timetable::Footpath) -> Option<Label> {
        let ctx = self.ctx;
        if f.distance_m > ctx.max_leg_m || !walkable(ctx, f) {
            return None;
        }
        let l = &self.labels[i as usize];
        let t = walk_secs(ctx, f);
        let (s, to) = (l.stop as usize, f.to.idx());
        let arrival = l.arrival + t;
        Some(Label {
            stop: to as u32,
            arrival,
            ready: if f.explicit {
                arrival
            } else {
                arrival + ctx.slack
            },
            exposure: l.exposure + f64::from(t) * (self.rate_of(s) + self.rate_of(to)) / 2.0,
            via: Via::Walk {
                from: s as u32,
                secs: t,
                distance_m: f.distance_m,
                explicit: f.explicit,
                prev: i,
            },
        })
    }

    /// Walks every footpath from label `i` at `s`, adding what is not covered to `out`; from
    /// the origin (`no_slack`) the rider may board just as she arrives.
    fn walk_from(&mut self, s: usize, i: u32, no_slack: bool, out: &mut Vec<(usize, u32)>) {
        let tt = self.tt;
        for f in tt.footpaths(StopIdx::new(s)) {
            let Some(mut l) = self.walk_on(i, f) else {
                continue;
            };
            if no_slack {
                l.ready = l.arrival;
            }
            if let Some(j) = self.add(f.to.idx(), l) {
                out.push((f.to.idx(), j));
            }
        }
    }

    /// The labels of the walks from the origin (and, from an origin at a stop, one footpath
    /// further, with no slack after it): the boarding points of the first round.
    fn leave_origin(&mut self, req: &Request<'_>) -> Vec<(usize, u32)> {
        let mut first = Vec::new();
        for w in req.access {
            let s = w.stop.idx();
            let secs = w.duration as i32;
            let l = Label {
                stop: s as u32,
                arrival: req.time + secs,
                ready: req.time + secs,
                exposure: f64::from(secs) * self.rate_of(s),
                via: Via::Access {
                    secs,
                    distance_m: w.distance_m,
                },
            };
            if let Some(i) = self.add(s, l) {
                first.push((s, i));
                if secs == 0 {
                    self.walk_from(s, i, true, &mut first);
                }
            }
        }
        first
    }

    /// Whether the rider may use stop `s` (wheelchair, avoided stops).
    fn stop_ok(&self, s: StopIdx) -> bool {
        let ctx = self.ctx;
        (ctx.wheelchair == Wheelchair::Off
            || accessible(ctx.wheelchair, self.tt.stop_wheelchair(s)))
            && !ctx
                .avoid
                .is_some_and(|a| a.get(s.idx()).copied().unwrap_or(false))
    }

    /// Scans pattern `p` from position `start` in round `k` with a bag of runs in hand:
    /// alighting makes labels (into `out`), boarding from `boarding` (sorted by stop) takes
    /// runs no other in hand beats on both time and exposure.
    fn scan(
        &mut self,
        sc: &mut Scratch,
        p: PatternIdx,
        start: u32,
        k: usize,
        boarding: &[(usize, u32)],
        out: &mut Vec<(usize, u32)>,
    ) {
        let tt = self.tt;
        let stops = tt.pattern_stops(p);
        let fl = tt.pattern_flags(p);
        let mut hand: Vec<InHand> = Vec::new();
        for (pos, &stop) in stops.iter().enumerate().skip(start as usize) {
            if !self.stop_ok(stop) {
                continue;
            }
            let s = stop.idx();
            if fl[pos] & flags::DROP_OFF != 0 {
                for h in &hand {
                    if !h.run.stops_at(self.ctx.live, p, pos) {
                        continue;
                    }
                    let l = self.alight(h, p, pos, k);
                    if let Some(i) = self.add(s, l) {
                        out.push((s, i));
                    }
                }
            }
            if fl[pos] & flags::PICKUP != 0 {
                let lo = boarding.partition_point(|&(t, _)| t < s);
                let hi = boarding.partition_point(|&(t, _)| t <= s);
                for &(_, li) in &boarding[lo..hi] {
                    if let Some(h) = self.board(sc, li, p, pos, k) {
                        // Keep runs no other in hand beats on both time and exposure (runs of
                        // a timetable never overtake: earlier here is earlier everywhere
                        // after; a live run may be overtaken, so it is kept beside them).
                        let live = self.ctx.live;
                        let departure = h.run.departure(tt, live, p, pos);
                        let dep = |x: &InHand| x.run.departure(tt, live, p, pos);
                        let both_timetabled =
                            |o: &InHand| o.run.live.is_none() && h.run.live.is_none();
                        if hand.iter().any(|o| {
                            both_timetabled(o)
                                && dep(o) <= departure
                                && o.exposure <= h.exposure + 1e-9
                        }) {
                            continue;
                        }
                        hand.retain(|o| {
                            !(both_timetabled(o)
                                && departure <= dep(o)
                                && h.exposure <= o.exposure + 1e-9)
                        });
                        hand.push(h);
                    }
                }
            }
        }
    }

    /// The label of getting off run `h` at position `pos` of pattern `p`, in round `k`.
    fn alight(&self, h: &InHand, p: PatternIdx, pos: usize, k: usize) -> Label {
        let tt = self.tt;
        let stop = tt.pattern_stops(p)[pos];
        let arrival = h.run.arrival(tt, self.ctx.live, p, pos);
        let ready = match tt.same_stop_transfer(stop) {
            SameStopTransfer::Default => arrival + self.ctx.slack,
            SameStopTransfer::MinTime(t) => arrival + t as i32,
            SameStopTransfer::Forbidden => INF,
        };
        Label {
            stop: stop.0,
            arrival,
            ready,
            exposure: h.exposure,
            via: Via::Ride {
                label: RideLabel {
                    pattern: p.0,
                    run: h.run,
                    board_pos: h.board_pos,
                    alight_pos: pos as u32,
                    from_foot: false,
                    made: k as u8,
                },
                prev: h.prev,
            },
        }
    }

    /// The first run of `p` label `li` can board at `pos`, with the exposure of waiting for
    /// it. From the origin (round 1) the rider leaves just in time: only a planned wait counts.
    fn board(
        &self,
        sc: &mut Scratch,
        li: u32,
        p: PatternIdx,
        pos: usize,
        k: usize,
    ) -> Option<InHand> {
        let l = self.labels[li as usize];
        if l.ready >= INF {
            return None;
        }
        let run = find_run::<false>(self.ctx, sc, p, pos, l.ready)?;
        let tt = self.tt;
        let departure = run.departure(tt, self.ctx.live, p, pos);
        let waiting_from = if k == 1 {
            run.ready(tt, self.ctx.live, p, pos)
        } else {
            l.arrival
        };
        let wait = (departure - waiting_from).max(0);
        Some(InHand {
            run,
            board_pos: pos as u32,
            exposure: l.exposure + f64::from(wait) * self.rate_of(l.stop as usize),
            prev: li,
        })
    }

    /// Offers label `i` at `s` to the destination: from a ride, by any egress walk; from a
    /// walk, only at a stop that is the destination itself (walk 0).
    fn reach_destination(&mut self, req: &Request<'_>, s: usize, i: u32) {
        let l = self.labels[i as usize];
        for (wi, w) in req.egress.iter().enumerate() {
            if w.stop.idx() != s || (matches!(l.via, Via::Walk { .. }) && w.duration > 0) {
                continue;
            }
            let secs = w.duration as i32;
            let a = l.arrival + secs;
            let e = l.exposure + f64::from(secs) * self.rate_of(s);
            if self
                .target
                .iter()
                .any(|&(ta, te, _, _)| ta <= a && te <= e + 1e-9)
            {
                continue;
            }
            self.target
                .retain(|&(ta, te, _, _)| !(a <= ta && e <= te + 1e-9));
            self.target.push((a, e, i, wi));
        }
    }

    /// The destination's Pareto set as journeys with their exposure, by arrival.
    fn journeys(mut self, req: &Request<'_>) -> Vec<(Journey, f64)> {
        self.target
            .sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut pending = Vec::new();
        let target = std::mem::take(&mut self.target);
        target
            .into_iter()
            .map(|(_, exposure, i, wi)| {
                let mut items = self.items(req, i, wi);
                (
                    assemble::<false>(self.tt, self.ctx.live, &mut items, &mut pending),
                    exposure,
                )
            })
            .collect()
    }

    /// The items from the destination back to the origin, as `assemble` takes them.
    fn items(&self, req: &Request<'_>, i: u32, wi: usize) -> Vec<Item> {
        let w = &req.egress[wi];
        let mut items = vec![Item::Walk {
            from: Place::Stop(w.stop),
            to: Place::Destination,
            secs: w.duration as i32,
            distance_m: w.distance_m,
            explicit: false,
        }];
        let mut at = i;
        loop {
            let l = self.labels[at as usize];
            let here = Place::Stop(StopIdx(l.stop));
            match l.via {
                Via::Ride { label, prev } => {
                    items.push(Item::Ride(label));
                    at = prev;
                }
                Via::Walk {
                    from,
                    secs,
                    distance_m,
                    explicit,
                    prev,
                } => {
                    items.push(Item::Walk {
                        from: Place::Stop(StopIdx(from)),
                        to: here,
                        secs,
                        distance_m,
                        explicit,
                    });
                    at = prev;
                }
                Via::Access { secs, distance_m } => {
                    items.push(Item::Walk {
                        from: Place::Origin,
                        to: here,
                        secs,
                        distance_m,
                        explicit: false,
                    });
                    return items;
                }
            }
        }
    }
}

/// The patterns through this round's boarding points, each from the earliest such position
/// (the scratch's per-pattern slots are left as they were found: `u32::MAX`).
fn patterns_from(
    tt: &Timetable,
    sc: &mut Scratch,
    last_round: &[(usize, u32)],
) -> Vec<(PatternIdx, u32)> {
    let mut from: Vec<(PatternIdx, u32)> = Vec::new();
    for &(s, _) in last_round {
        for &(p, pos) in tt.stop_patterns(StopIdx::new(s)) {
            if !sc.pattern_ok[p.idx()] {
                continue;
            }
            let slot = &mut sc.pattern_from[p.idx()];
            if *slot == u32::MAX {
                sc.pattern_queue.push(p.0);
            }
            *slot = (*slot).min(pos);
        }
    }
    for &p in &sc.pattern_queue {
        let at = std::mem::replace(&mut sc.pattern_from[p as usize], u32::MAX);
        from.push((PatternIdx(p), at));
    }
    sc.pattern_queue.clear();
    from
}
