//! Journeys as the search returns them: plain indices and times, no strings.

use timetable::{DAY, PatternIdx, Secs, StopIdx, Timetable, TripIdx};

/// One vehicle run of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Run {
    /// Scheduled: trip column. Frequency: window index within the pattern (`u32::MAX` for a
    /// live run that matches no window).
    pub index: u32,
    /// Frequency: the run's start (departure from the pattern's first stop). Scheduled: 0.
    pub start: Secs,
    /// Whether this is a frequency run (or a live run beside the timetable's columns).
    pub frequency: bool,
    /// Service day of the run relative to the query day (−1: yesterday's run past midnight).
    pub day_offset: i8,
    /// A live run (real time): its code in the live view searched
    /// ([`realtime::LiveAt::pattern_run`]); its times are the predicted ones.
    pub live: Option<u32>,
}

/// The live times of `run`, if it is live and `live` still has it.
fn live_run<'a>(
    run: &Run,
    live: Option<realtime::LiveAt<'a>>,
    p: PatternIdx,
) -> Option<&'a realtime::PatternRun> {
    live?.pattern_run(p, run.live?)
}

impl Run {
    fn day(&self) -> i32 {
        i32::from(self.day_offset) * DAY as i32
    }
    /// Whether the run stops at `pos` (a live run may skip it: then it cannot be left there).
    pub fn stops_at(&self, live: Option<realtime::LiveAt<'_>>, p: PatternIdx, pos: usize) -> bool {
        live_run(self, live, p).is_none_or(|r| !r.run.skipped.get(pos).copied().unwrap_or(false))
    }
    /// Vehicle departure at position `pos`, seconds after midnight of the query day: the
    /// predicted one for a live run.
    #[inline]
    pub fn departure(
        &self,
        tt: &Timetable,
        live: Option<realtime::LiveAt<'_>>,
        p: PatternIdx,
        pos: usize,
    ) -> i32 {
        match live_run(self, live, p) {
            Some(r) => r.run.departures[pos] as i32 + self.day(),
            None => self.scheduled_departure(tt, p, pos),
        }
    }
    /// The timetable's departure at `pos` (for a live run, what it is late or early against).
    #[inline]
    pub fn scheduled_departure(&self, tt: &Timetable, p: PatternIdx, pos: usize) -> i32 {
        let t = if self.frequency {
            self.start + tt.departure(p, pos, 0)
        } else {
            tt.departure(p, pos, self.index as usize)
        };
        t as i32 + self.day()
    }
    /// Vehicle arrival at position `pos`, seconds after midnight of the query day: the
    /// predicted one for a live run.
    #[inline]
    pub fn arrival(
        &self,
        tt: &Timetable,
        live: Option<realtime::LiveAt<'_>>,
        p: PatternIdx,
        pos: usize,
    ) -> i32 {
        if let Some(r) = live_run(self, live, p) {
            return r.run.arrivals[pos] as i32 + self.day();
        }
        let t = if self.frequency {
            self.start + tt.arrival(p, pos, 0)
        } else {
            tt.arrival(p, pos, self.index as usize)
        };
        t as i32 + self.day()
    }
    /// Latest time a rider must be at position `pos` to take this run: the departure, except
    /// for inexact frequencies, where the rider plans for a full headway's wait (a live run
    /// is taken when it is predicted).
    #[inline]
    pub fn ready(
        &self,
        tt: &Timetable,
        live: Option<realtime::LiveAt<'_>>,
        p: PatternIdx,
        pos: usize,
    ) -> i32 {
        if self.live.is_some() || !self.frequency {
            return self.departure(tt, live, p, pos);
        }
        let w = &tt.windows(p)[self.index as usize];
        (w.ready_for(self.start) + tt.departure(p, pos, 0)) as i32 + self.day()
    }
    /// The GTFS trip (for a frequency run: its template).
    pub fn trip(
        &self,
        tt: &Timetable,
        live: Option<realtime::LiveAt<'_>>,
        p: PatternIdx,
    ) -> TripIdx {
        if let Some(r) = live_run(self, live, p) {
            return r.trip;
        }
        match (self.frequency, tt.windows(p).get(self.index as usize)) {
            (true, Some(w)) => w.trip,
            (true, None) => tt.pattern_trips(p)[0],
            (false, _) => tt.pattern_trips(p)[self.index as usize],
        }
    }
}

/// Where a walk starts or ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The query's origin.
    Origin,
    /// The query's destination.
    Destination,
    /// A stop.
    Stop(StopIdx),
}

/// A ride on one vehicle run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ride {
    /// Pattern ridden.
    pub pattern: PatternIdx,
    /// GTFS trip (template for frequency runs).
    pub trip: TripIdx,
    /// The run.
    pub run: Run,
    /// Boarding position in the pattern.
    pub board_pos: u32,
    /// Alighting position in the pattern.
    pub alight_pos: u32,
    /// Boarding stop.
    pub board_stop: StopIdx,
    /// Alighting stop.
    pub alight_stop: StopIdx,
    /// Latest time to be at the boarding stop (seconds after midnight of the query day).
    pub ready: i32,
    /// Vehicle departure from the boarding stop.
    pub departure: i32,
    /// Vehicle arrival at the alighting stop.
    pub arrival: i32,
}

/// A leg of a journey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    /// Walking.
    Walk {
        /// From.
        from: Place,
        /// To.
        to: Place,
        /// Start, seconds after midnight of the query day.
        departure: i32,
        /// End.
        arrival: i32,
        /// Metres.
        distance_m: u32,
        /// Whether the duration is an explicit `transfers.txt` time.
        explicit: bool,
    },
    /// Riding.
    Ride(Ride),
}

/// A journey from origin to destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journey {
    /// Legs in travel order.
    pub legs: Vec<Leg>,
    /// Latest time to leave the origin, seconds after midnight of the query day.
    pub departure: i32,
    /// Arrival at the destination.
    pub arrival: i32,
    /// Vehicles ridden.
    pub rides: u8,
}

impl Journey {
    /// Changes of vehicle.
    pub fn transfers(&self) -> u8 {
        self.rides.saturating_sub(1)
    }
    /// Metres walked in all.
    pub fn walk_distance_m(&self) -> u32 {
        self.legs
            .iter()
            .map(|l| {
                if let Leg::Walk { distance_m, .. } = l {
                    *distance_m
                } else {
                    0
                }
            })
            .sum()
    }
    /// Seconds walking in all.
    pub fn walk_secs(&self) -> i32 {
        self.legs
            .iter()
            .map(|l| {
                if let Leg::Walk {
                    departure, arrival, ..
                } = l
                {
                    arrival - departure
                } else {
                    0
                }
            })
            .sum()
    }
    /// Ride legs.
    pub fn rides(&self) -> impl Iterator<Item = &Ride> {
        self.legs
            .iter()
            .filter_map(|l| if let Leg::Ride(r) = l { Some(r) } else { None })
    }
}
