//! Goal-directed pruning: a lower bound on the time from any stop to the destination.
//!
//! Stops are projected once onto a plane (equirectangular around the network's mean
//! latitude), where distances obey the triangle inequality. `vmax` is the fastest any part of
//! a journey moves in that plane: the fastest hop of any run (its straight-line length over
//! the least time any run of the pattern takes for it) and the fastest footpath. A journey
//! from stop `s` to the destination then takes at least `(|s − c| − r) / vmax`, where the
//! destination's stops lie within `r` of `c`, so a label whose key plus that bound cannot
//! beat the best destination arrival of its round is dropped: the answers do not change,
//! fewer labels are set and scanned. A hop with a distance but no time (or an instant
//! transfer between distinct places) makes `vmax` infinite, which turns pruning off.

use timetable::{PatternIdx, StopIdx, Timetable};

const EARTH_M: f64 = 6_371_000.0;

/// Plane coordinates of the stops, and the fastest movement in the timetable.
#[derive(Debug, Clone)]
pub(crate) struct Geometry {
    pub xy: Vec<(f64, f64)>,
    /// Metres per second; `None`: no finite bound (pruning off).
    pub vmax: Option<f64>,
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

impl Geometry {
    pub(crate) fn new(tt: &Timetable) -> Geometry {
        let n = tt.stops().len();
        let lat0 = if n == 0 {
            0.0
        } else {
            tt.stops().iter().map(|s| s.coord.lat()).sum::<f64>() / n as f64
        };
        let k = lat0.to_radians().cos();
        let xy: Vec<(f64, f64)> = tt
            .stops()
            .iter()
            .map(|s| {
                (
                    s.coord.lon().to_radians() * k * EARTH_M,
                    s.coord.lat().to_radians() * EARTH_M,
                )
            })
            .collect();
        let mut vmax: f64 = 0.0;
        let mut finite = true;
        let mut see = |d: f64, dt: i64| {
            // Below half a metre is the same place (duplicated stop times).
            if d < 0.5 {
                return;
            }
            if dt <= 0 {
                finite = false;
            } else {
                vmax = vmax.max(d / dt as f64);
            }
        };
        for p in 0..tt.patterns().len() {
            let p = PatternIdx::new(p);
            let stops = tt.pattern_stops(p);
            let (deps, arrs, n_trips) = tt.pattern_times(p);
            for pos in 0..stops.len().saturating_sub(1) {
                let d = dist(xy[stops[pos].idx()], xy[stops[pos + 1].idx()]);
                let dt = (0..n_trips)
                    .map(|t| {
                        i64::from(arrs[(pos + 1) * n_trips + t])
                            - i64::from(deps[pos * n_trips + t])
                    })
                    .min()
                    .unwrap_or(i64::MAX);
                see(d, dt);
            }
        }
        for s in 0..n {
            for f in tt.footpaths(StopIdx::new(s)) {
                see(dist(xy[s], xy[f.to.idx()]), i64::from(f.duration));
            }
        }
        Geometry {
            xy,
            vmax: (finite && vmax > 0.0).then_some(vmax),
        }
    }
}

/// Where the search is heading, for one query.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Goal {
    /// Centre of the destination's stops.
    pub c: (f64, f64),
    /// Radius around `c` holding them all.
    pub r: f64,
    /// Seconds per metre at the fastest; 0: no pruning.
    pub inv_v: f64,
}

impl Goal {
    /// The goal of `targets` (stop indices) for a query whose walks may go at `walk_m_s`.
    pub(crate) fn new(
        g: &Geometry,
        targets: impl Iterator<Item = usize> + Clone,
        walk_m_s: Option<f64>,
    ) -> Goal {
        let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
        for t in targets.clone() {
            sx += g.xy[t].0;
            sy += g.xy[t].1;
            n += 1;
        }
        let Some(vmax) = g.vmax.filter(|_| n > 0) else {
            return Goal::default();
        };
        let c = (sx / n as f64, sy / n as f64);
        let r = targets.map(|t| dist(c, g.xy[t])).fold(0.0, f64::max);
        // A query may walk faster than the timetable's footpaths (its own speed over the
        // footpath's walking distance, which is at least the straight line).
        let v = walk_m_s.map_or(vmax, |w| vmax.max(w * 1.01));
        Goal {
            c,
            r: r + 1.0,
            inv_v: 1.0 / v,
        }
    }

    /// Seconds the destination is at least away from stop `s`.
    #[inline]
    pub(crate) fn lower_bound(&self, g: &Geometry, s: usize) -> i32 {
        if self.inv_v == 0.0 {
            return 0;
        }
        let d = dist(self.c, g.xy[s]) - self.r;
        if d <= 0.0 {
            0
        } else {
            // One second of margin for rounding.
            ((d * self.inv_v) as i32 - 1).max(0)
        }
    }
}
