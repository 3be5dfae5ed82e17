//! A latency histogram that many threads update without a lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, seconds.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Counts of observations per bucket, their number and their sum; updated with atomics.
#[derive(Debug, Default)]
pub struct Timings {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

/// A reading of [`Timings`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// `(upper bound in seconds, observations at or below it)`, cumulative.
    pub buckets: Vec<(f64, u64)>,
    /// Observations.
    pub count: u64,
    /// Their sum, seconds.
    pub sum_s: f64,
}

impl Timings {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| secs <= b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// The cumulative counts so far.
    pub fn read(&self) -> Reading {
        let mut cumulative = 0;
        let buckets = BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(&b, n)| {
                cumulative += n.load(Ordering::Relaxed);
                (b, cumulative)
            })
            .collect();
        Reading {
            buckets,
            count: self.count.load(Ordering::Relaxed),
            sum_s: self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_bucket_and_add_up() {
        let t = Timings::default();
        t.observe(Duration::from_micros(300));
        t.observe(Duration::from_millis(20));
        t.observe(Duration::from_secs(9));
        let r = t.read();
        assert_eq!(r.count, 3);
        assert_eq!(r.buckets[0], (0.0005, 1));
        assert_eq!(r.buckets[5], (0.025, 2));
        assert_eq!(
            r.buckets.last(),
            Some(&(5.0, 2)),
            "9 s is above every bound"
        );
        assert!((r.sum_s - 9.0203).abs() < 1e-9);
    }
}
