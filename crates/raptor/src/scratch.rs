//! Per-thread working memory, sized once for a timetable and reused by every query.

use crate::journey::Run;
use timetable::Timetable;

/// "Not reached" key. Half of `i32::MAX` so that adding a walk never overflows.
pub(crate) const INF: i32 = i32::MAX / 2;
/// Rounds the scratch is sized for (rides); `Options::max_transfers` is clamped to fit.
pub(crate) const MAX_ROUNDS: usize = 16;
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
    /// Round the ride was made in (a carried-forward copy keeps the original round).
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

/// Reusable working memory for queries on one timetable. Create one per thread.
#[derive(Debug, Clone)]
pub struct Scratch {
    pub(crate) n_stops: usize,
    pub(crate) ride_t: Vec<i32>,
    pub(crate) ride_l: Vec<RideLabel>,
    pub(crate) foot_t: Vec<i32>,
    pub(crate) foot_l: Vec<FootLabel>,
    /// Indices of `ride_t` (bit 31 clear) and `foot_t` (bit 31 set) written since the last reset.
    pub(crate) dirty: Vec<u32>,
    pub(crate) marked: Vec<bool>,
    pub(crate) marked_list: Vec<u32>,
    pub(crate) improved: Vec<bool>,
    pub(crate) improved_list: Vec<u32>,
    pub(crate) ride_improved: Vec<bool>,
    pub(crate) ride_improved_list: Vec<u32>,
    pub(crate) pattern_from: Vec<u32>,
    pub(crate) pattern_queue: Vec<u32>,
    pub(crate) pattern_ok: Vec<bool>,
    /// `active[(offset - first offset) * n_services + service]`.
    pub(crate) active: Vec<bool>,
    pub(crate) n_services: usize,
    pub(crate) dest_best: [i32; MAX_ROUNDS + 1],
    pub(crate) dest_from: [(u32, bool, bool); MAX_ROUNDS + 1],
    pub(crate) target_walk: Vec<i32>,
    pub(crate) target_dist: Vec<u32>,
}

impl Scratch {
    /// Working memory for queries on `tt`.
    pub fn new(tt: &Timetable) -> Scratch {
        let n = tt.stops().len();
        let cells = n * (MAX_ROUNDS + 1);
        Scratch {
            n_stops: n,
            ride_t: vec![INF; cells],
            ride_l: vec![RideLabel::default(); cells],
            foot_t: vec![INF; cells],
            foot_l: vec![FootLabel::default(); cells],
            dirty: Vec::with_capacity(1024),
            marked: vec![false; n],
            marked_list: Vec::with_capacity(n),
            improved: vec![false; n],
            improved_list: Vec::with_capacity(n),
            ride_improved: vec![false; n],
            ride_improved_list: Vec::with_capacity(n),
            pattern_from: vec![u32::MAX; tt.patterns().len()],
            pattern_queue: Vec::with_capacity(tt.patterns().len()),
            pattern_ok: vec![true; tt.patterns().len()],
            active: vec![false; tt.services().len() * DAY_OFFSETS.count()],
            n_services: tt.services().len(),
            dest_best: [INF; MAX_ROUNDS + 1],
            dest_from: [(0, false, false); MAX_ROUNDS + 1],
            target_walk: vec![INF; n],
            target_dist: vec![0; n],
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
        for &i in &self.dirty {
            if i & (1 << 31) == 0 {
                self.ride_t[i as usize] = INF;
            } else {
                self.foot_t[(i & !(1 << 31)) as usize] = INF;
            }
        }
        self.dirty.clear();
        self.dest_best = [INF; MAX_ROUNDS + 1];
    }
}
