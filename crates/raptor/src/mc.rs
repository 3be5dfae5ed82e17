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
use crate::search::{accessible, assemble, find_run, prepare, walk_secs, walkable};
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
    let ctx = prepare(tt, sc, req, opts, false);
    let n = tt.stops().len();
    let rate_of = |s: usize| rate[s].max(0.0);
    let mut labels: Vec<Label> = Vec::new();
    // Per stop, every label kept so far (any round): a new one must not be covered by them.
    let mut best: Vec<Vec<u32>> = vec![Vec::new(); n];
    // At the destination: (arrival, exposure, label, egress walk index).
    let mut target: Vec<(i32, f64, u32, usize)> = Vec::new();
    let covered_at_target = |target: &[(i32, f64, u32, usize)], l: &Label| {
        target
            .iter()
            .any(|&(a, e, _, _)| a <= l.arrival && e <= l.exposure + 1e-9)
    };
    // Adds `l` at `s` unless covered; returns its index.
    let add = |labels: &mut Vec<Label>,
               best: &mut Vec<Vec<u32>>,
               target: &[(i32, f64, u32, usize)],
               s: usize,
               l: Label|
     -> Option<u32> {
        if l.arrival >= INF
            || covered_at_target(target, &l)
            || best[s].iter().any(|&i| labels[i as usize].covers(&l))
        {
            return None;
        }
        best[s].retain(|&i| !l.covers(&labels[i as usize]));
        let i = labels.len() as u32;
        labels.push(l);
        best[s].push(i);
        Some(i)
    };
    // Labels made in the round before, per stop (boarding points of this round).
    let mut last_round: Vec<(usize, u32)> = Vec::new();
    let slack = ctx.slack;
    // The label after walking footpath `f` from label `l` (number `i`), if the rider may.
    let walk_on = |l: &Label, i: u32, f: &timetable::Footpath| {
        if f.distance_m > ctx.max_leg_m || !walkable(&ctx, f) {
            return None;
        }
        let t = walk_secs(&ctx, f);
        let (s, to) = (l.stop as usize, f.to.idx());
        let arrival = l.arrival + t;
        Some(Label {
            stop: to as u32,
            arrival,
            ready: if f.explicit { arrival } else { arrival + slack },
            exposure: l.exposure + f64::from(t) * (rate_of(s) + rate_of(to)) / 2.0,
            via: Via::Walk {
                from: s as u32,
                secs: t,
                distance_m: f.distance_m,
                explicit: f.explicit,
                prev: i,
            },
        })
    };
    for w in req.access {
        let s = w.stop.idx();
        let secs = w.duration as i32;
        let l = Label {
            stop: s as u32,
            arrival: req.time + secs,
            ready: req.time + secs,
            exposure: f64::from(secs) * rate_of(s),
            via: Via::Access {
                secs,
                distance_m: w.distance_m,
            },
        };
        if let Some(i) = add(&mut labels, &mut best, &target, s, l) {
            last_round.push((s, i));
            if secs == 0 {
                // An origin at a stop may walk to a nearby stop first (no slack after it).
                let origin = labels[i as usize];
                for f in tt.footpaths(w.stop) {
                    let Some(mut l) = walk_on(&origin, i, f) else {
                        continue;
                    };
                    l.ready = l.arrival;
                    if let Some(j) = add(&mut labels, &mut best, &target, f.to.idx(), l) {
                        last_round.push((f.to.idx(), j));
                    }
                }
            }
        }
    }
    let egress_at = |s: usize| {
        req.egress
            .iter()
            .enumerate()
            .filter(move |(_, w)| w.stop.idx() == s)
    };
    let stop_ok = |s: StopIdx| {
        (ctx.wheelchair == Wheelchair::Off || accessible(ctx.wheelchair, tt.stop_wheelchair(s)))
            && !ctx
                .avoid
                .is_some_and(|a| a.get(s.idx()).copied().unwrap_or(false))
    };
    for k in 1..=ctx.rounds {
        if last_round.is_empty() {
            break;
        }
        // Patterns through this round's boarding points, from the earliest such position.
        // (The scratch's per-pattern slots, left as they were found: `u32::MAX`.)
        let mut from: Vec<(PatternIdx, u32)> = Vec::new();
        for &(s, _) in &last_round {
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
        // The boarding labels by stop: `last_round` sorted, each stop's run found by search.
        last_round.sort_unstable();
        let boarding = |s: usize| {
            let lo = last_round.partition_point(|&(t, _)| t < s);
            let hi = last_round.partition_point(|&(t, _)| t <= s);
            &last_round[lo..hi]
        };
        let mut this_round: Vec<(usize, u32)> = Vec::new();
        for (p, start) in from {
            let stops = tt.pattern_stops(p);
            let fl = tt.pattern_flags(p);
            let mut hand: Vec<InHand> = Vec::new();
            for (pos, &stop) in stops.iter().enumerate().skip(start as usize) {
                if !stop_ok(stop) {
                    continue;
                }
                let s = stop.idx();
                if fl[pos] & flags::DROP_OFF != 0 {
                    for h in &hand {
                        let arrival = h.run.arrival(tt, p, pos);
                        let ready = match tt.same_stop_transfer(stop) {
                            SameStopTransfer::Default => arrival + slack,
                            SameStopTransfer::MinTime(t) => arrival + t as i32,
                            SameStopTransfer::Forbidden => INF,
                        };
                        let l = Label {
                            stop: s as u32,
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
                        };
                        if let Some(i) = add(&mut labels, &mut best, &target, s, l) {
                            this_round.push((s, i));
                        }
                    }
                }
                if fl[pos] & flags::PICKUP != 0 {
                    for &(_, li) in boarding(s) {
                        let l = labels[li as usize];
                        if l.ready >= INF {
                            continue;
                        }
                        let Some(run) = find_run::<false>(&ctx, sc, p, pos, l.ready) else {
                            continue;
                        };
                        let departure = run.departure(tt, p, pos);
                        // From the origin the rider leaves just in time (the journey's walk
                        // ends when the run must be caught): only a planned wait counts.
                        let waiting_from = if k == 1 {
                            run.ready(tt, p, pos)
                        } else {
                            l.arrival
                        };
                        let wait = (departure - waiting_from).max(0);
                        let h = InHand {
                            run,
                            board_pos: pos as u32,
                            exposure: l.exposure + f64::from(wait) * rate_of(s),
                            prev: li,
                        };
                        // Keep runs no other in hand beats on both time and exposure (runs of a
                        // pattern never overtake: earlier here is earlier everywhere after).
                        let dep = |x: &InHand| x.run.departure(tt, p, pos);
                        if hand
                            .iter()
                            .any(|o| dep(o) <= departure && o.exposure <= h.exposure + 1e-9)
                        {
                            continue;
                        }
                        hand.retain(|o| !(departure <= dep(o) && h.exposure <= o.exposure + 1e-9));
                        hand.push(h);
                    }
                }
            }
        }
        // One footpath after the rides of this round.
        let rides = this_round.clone();
        for (s, i) in rides {
            // A label covered since it was made is not walked on.
            if !best[s].contains(&i) {
                continue;
            }
            let l = labels[i as usize];
            for f in tt.footpaths(StopIdx::new(s)) {
                let Some(w) = walk_on(&l, i, f) else {
                    continue;
                };
                if let Some(j) = add(&mut labels, &mut best, &target, f.to.idx(), w) {
                    this_round.push((f.to.idx(), j));
                }
            }
        }
        // The destination: from a ride, any egress walk; from a walk, only a stop that is the
        // destination itself (walk 0).
        for &(s, i) in &this_round {
            if !best[s].contains(&i) {
                continue;
            }
            let l = labels[i as usize];
            for (wi, w) in egress_at(s) {
                if matches!(l.via, Via::Walk { .. }) && w.duration > 0 {
                    continue;
                }
                let secs = w.duration as i32;
                let a = l.arrival + secs;
                let e = l.exposure + f64::from(secs) * rate_of(s);
                if target
                    .iter()
                    .any(|&(ta, te, _, _)| ta <= a && te <= e + 1e-9)
                {
                    continue;
                }
                target.retain(|&(ta, te, _, _)| !(a <= ta && e <= te + 1e-9));
                target.push((a, e, i, wi));
            }
        }
        last_round = this_round
            .into_iter()
            .filter(|(s, i)| best[*s].contains(i))
            .collect();
    }
    target.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut pending = Vec::new();
    target
        .into_iter()
        .map(|(_, exposure, i, wi)| {
            let w = &req.egress[wi];
            // Items from the destination back to the origin, as `assemble` takes them.
            let mut items = vec![Item::Walk {
                from: Place::Stop(w.stop),
                to: Place::Destination,
                secs: w.duration as i32,
                distance_m: w.distance_m,
                explicit: false,
            }];
            let mut at = i;
            loop {
                let l = labels[at as usize];
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
                        break;
                    }
                }
            }
            (assemble::<false>(tt, &mut items, &mut pending), exposure)
        })
        .collect()
}
