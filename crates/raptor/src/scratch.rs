//! Per-thread working memory, sized once for a timetable and reused by every query.

use crate::journey::{Place, Run};
use timetable::Timetable;

/// "Not reached" key. Half of `i32::MAX` so that adding a walk never overflows.
pub(crate) const INF: i32 = i32::MAX / 2;
/// Rounds the scratch is sized for (rides); `Options::max_transfers` is clamped to fit.
pub(crate) const MAX_ROUNDS: usize = 16;
/// Cells per stop in the label arrays (rounds 0..=MAX_ROUNDS).
pub(crate) const STRIDE: usize = MAX_ROUNDS + 1;
/// Service-day offsets (relative to the query day) whose runs a query may use: earlier days'
/// runs still going past midnight, the query day, and the next day.
pub(crate) const DAY_OFFSETS: std::ops::RangeInclusive<i32> = -4..=1;

/// How a stop was reached by a ride in some round.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RideLabel {
    pub pattern: u32,
    pub run: Run,
    /// Position where the search boarded (key order: the real alighting stop when backward).
    pub board_pos: u32,
    /// Position where the search alighted.
    pub alight_pos: u32,
    /// Whether the boarding used the previous round's footpath label (else its ride label).
    pub from_foot: bool,
    /// Round the ride was made in.
    pub made: u8,
}

/// How a stop was reached on foot in some round.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FootLabel {
    /// Stop walked from, or [`SOURCE`] for the origin (destination when backward).
    pub from: u32,
    pub duration: u32,
    pub distance_m: u32,
    /// Explicit `transfers.txt` time: no slack added on top.
    pub explicit: bool,
    pub made: u8,
}

pub(crate) const SOURCE: u32 = u32::MAX;

/// A step of a journey being reconstructed, in search order.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Item {
    Walk {
        from: Place,
        to: Place,
        secs: i32,
        distance_m: u32,
        explicit: bool,
    },
    Ride(RideLabel),
}

/// Reusable working memory for queries on one timetable. Create one per thread; building one
/// costs a few Dijkstras over the network (tens of milliseconds on a city), cloning a fresh
/// one only copies its arrays (the read-only bound tables are shared).
#[derive(Debug, Clone)]
pub struct Scratch {
    pub(crate) n_stops: usize,
    /// Key reached in round k, at [`Scratch::cell`]`(stop, k)` (round-major). Range queries carry keys forward (the
    /// earliest with at most k rides, non-increasing in k) so later runs can prune per round;
    /// single queries write only the round that improved and prune with `best_*`. The label
    /// is stored only in the round that made it: the lowest round holding the same key
    /// ([`label_round`]).
    pub(crate) ride_t: Vec<i32>,
    pub(crate) ride_l: Vec<RideLabel>,
    pub(crate) foot_t: Vec<i32>,
    pub(crate) foot_l: Vec<FootLabel>,
    /// Single queries: best key over all rounds so far (the paper's τ*), for pruning.
    pub(crate) best_ride: Vec<i32>,
    pub(crate) best_foot: Vec<i32>,
    /// Cells of `ride_t` (bit 31 clear) and `foot_t` (bit 31 set) written since the last reset.
    pub(crate) dirty: Vec<u32>,
    /// Stops whose `best_*` were written since the last reset.
    pub(crate) touched: Vec<bool>,
    pub(crate) touched_list: Vec<u32>,
    pub(crate) marked: Vec<bool>,
    pub(crate) marked_list: Vec<u32>,
    pub(crate) improved: Vec<bool>,
    pub(crate) improved_list: Vec<u32>,
    pub(crate) ride_improved: Vec<bool>,
    pub(crate) ride_improved_list: Vec<u32>,
    /// Per marked stop: the key from which a rider can board there in this round, and
    /// whether it comes from a walk ([`crate::search`]'s `ready_key`, once per round instead
    /// of once per pattern through the stop).
    pub(crate) ready_at: Vec<(i32, bool)>,
    pub(crate) pattern_from: Vec<u32>,
    /// Last position (in scan order) of a stop improved in the previous round, per pattern.
    pub(crate) pattern_last: Vec<u32>,
    pub(crate) pattern_queue: Vec<u32>,
    pub(crate) pattern_ok: Vec<bool>,
    /// Per pattern, for the current query's days: a lower bound on the time between two
    /// runs at any stop (0 if unknown), so a scan skips looking for an earlier run when the
    /// rider is not ready that early.
    pub(crate) min_gap: Vec<i32>,
    /// `active[(offset - first offset) * n_services + service]`.
    pub(crate) active: Vec<bool>,
    pub(crate) n_services: usize,
    pub(crate) dest_best: [i32; MAX_ROUNDS + 1],
    pub(crate) dest_from: [(u32, bool, bool); MAX_ROUNDS + 1],
    pub(crate) target_walk: Vec<i32>,
    pub(crate) target_dist: Vec<u32>,
    /// The timetable's stops in a plane, least travel times between them and the landmarks'
    /// tables (goal-directed pruning). Read-only after building, so clones share it.
    pub(crate) graph: std::sync::Arc<crate::goal::Graph>,
    /// The current query's lower bounds to its destination (origin when backward).
    pub(crate) goal: crate::goal::Goal,
    /// Reconstruction buffers, reused so that a warm query allocates only its result.
    pub(crate) items: Vec<Item>,
    pub(crate) pending: Vec<usize>,
}

impl Scratch {
    /// Working memory for queries on `tt`.
    pub fn new(tt: &Timetable) -> Scratch {
        let n = tt.stops().len();
        let cells = n * STRIDE;
        Scratch {
            n_stops: n,
            ride_t: vec![INF; cells],
            ride_l: vec![RideLabel::default(); cells],
            foot_t: vec![INF; cells],
            foot_l: vec![FootLabel::default(); cells],
            best_ride: vec![INF; n],
            best_foot: vec![INF; n],
            dirty: Vec::with_capacity(4 * n),
            touched: vec![false; n],
            touched_list: Vec::with_capacity(n),
            marked: vec![false; n],
            marked_list: Vec::with_capacity(n),
            improved: vec![false; n],
            improved_list: Vec::with_capacity(n),
            ride_improved: vec![false; n],
            ride_improved_list: Vec::with_capacity(n),
            ready_at: vec![(INF, false); n],
            pattern_from: vec![u32::MAX; tt.patterns().len()],
            pattern_last: vec![0; tt.patterns().len()],
            pattern_queue: Vec::with_capacity(tt.patterns().len()),
            pattern_ok: vec![true; tt.patterns().len()],
            min_gap: vec![0; tt.patterns().len()],
            active: vec![false; tt.services().len() * DAY_OFFSETS.count()],
            n_services: tt.services().len(),
            dest_best: [INF; MAX_ROUNDS + 1],
            dest_from: [(0, false, false); MAX_ROUNDS + 1],
            target_walk: vec![INF; n],
            target_dist: vec![0; n],
            graph: std::sync::Arc::new(crate::goal::Graph::new(tt)),
            goal: crate::goal::Goal::new(n),
            items: Vec::with_capacity(4 * MAX_ROUNDS + 4),
            pending: Vec::with_capacity(4),
        }
    }

    /// Whether this scratch was made for a timetable of this shape.
    pub(crate) fn fits(&self, tt: &Timetable) -> bool {
        self.n_stops == tt.stops().len()
            && self.pattern_ok.len() == tt.patterns().len()
            && self.n_services == tt.services().len()
    }

    /// Forgets all labels (only the cells written since the last reset are touched).
    pub(crate) fn reset_labels(&mut self) {
        for &c in &self.dirty {
            if c & (1 << 31) == 0 {
                self.ride_t[c as usize] = INF;
            } else {
                self.foot_t[(c & !(1 << 31)) as usize] = INF;
            }
        }
        self.dirty.clear();
        for &s in &self.touched_list {
            self.best_ride[s as usize] = INF;
            self.best_foot[s as usize] = INF;
            self.touched[s as usize] = false;
        }
        self.touched_list.clear();
        self.dest_best = [INF; MAX_ROUNDS + 1];
    }

    /// Index of (stop, round) in the label arrays.
    #[inline(always)]
    pub(crate) fn cell(&self, s: usize, k: usize) -> usize {
        k * self.n_stops + s
    }

    #[inline]
    pub(crate) fn touch(&mut self, s: usize) {
        if !self.touched[s] {
            self.touched[s] = true;
            self.touched_list.push(s as u32);
        }
    }
}

/// A lower bound on the time between the departures of two distinct runs of a frequency
/// pattern at the same stop, among the runs of the windows active on the query's days
/// (`active` as in [`Scratch::active`]): the smallest headway, gap between consecutive
/// windows of a day, and gap from one day's last run to the next day's first. 0 when active
/// windows overlap, are inexact (any start is possible) or run past midnight (yesterday's
/// runs interleave), and for scheduled patterns.
pub(crate) fn min_gap(
    tt: &Timetable,
    p: timetable::PatternIdx,
    active: &[bool],
    n_services: usize,
) -> i32 {
    let ws = tt.windows(p);
    let mut gap = i64::MAX;
    // Start of the latest run so far, in seconds from the first day offset's midnight.
    let mut prev_last: Option<i64> = None;
    for oi in 0..DAY_OFFSETS.count() {
        let base = oi as i64 * i64::from(timetable::DAY);
        // Windows are sorted by start.
        for w in ws
            .iter()
            .filter(|w| active[oi * n_services + w.service.idx()])
        {
            if !w.exact || w.end > timetable::DAY {
                return 0;
            }
            let first = base + i64::from(w.start);
            if let Some(last) = prev_last {
                if first <= last {
                    return 0;
                }
                gap = gap.min(first - last);
            }
            if w.runs() > 1 {
                gap = gap.min(i64::from(w.headway));
            }
            prev_last = Some(first + i64::from((w.runs() - 1) * w.headway));
        }
    }
    if gap == i64::MAX {
        0
    } else {
        gap.min(i64::from(i32::MAX)) as i32
    }
}

/// The round whose label explains `times[(s, r)]`: the lowest round holding the same key.
#[inline]
pub(crate) fn label_round(sc: &Scratch, times: &[i32], s: usize, r: usize) -> usize {
    let t = times[sc.cell(s, r)];
    let mut j = r;
    while j > 0 && times[sc.cell(s, j - 1)] == t {
        j -= 1;
    }
    j
}
