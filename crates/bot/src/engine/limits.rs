//! Per-chat rate limits of plans and reports.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// What is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Limit {
    /// `/ruta` and later departures.
    Plan,
    /// `/reportar`.
    Report,
}

/// Sliding-window counters per chat; memory is bounded by pruning idle chats.
#[derive(Debug, Default)]
pub(super) struct Limits {
    seen: HashMap<(i64, Limit), VecDeque<Instant>>,
}

impl Limits {
    /// Takes one use if fewer than `max` in `window`; otherwise the seconds to wait.
    pub(super) fn take(
        &mut self,
        chat: i64,
        kind: Limit,
        max: u32,
        window: Duration,
    ) -> Result<(), u64> {
        let now = Instant::now();
        if self.seen.len() > 100_000 {
            self.seen
                .retain(|_, q| q.back().is_some_and(|&t| now - t < window));
        }
        let q = self.seen.entry((chat, kind)).or_default();
        while q.front().is_some_and(|&t| now - t >= window) {
            q.pop_front();
        }
        if max == 0 || q.len() < max as usize {
            q.push_back(now);
            return Ok(());
        }
        let oldest = q.front().copied().unwrap_or(now);
        Err((window.saturating_sub(now - oldest)).as_secs().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_with_the_wait_and_forget_old_uses() {
        let mut l = Limits::default();
        let w = Duration::from_secs(60);
        assert!(l.take(1, Limit::Plan, 2, w).is_ok());
        assert!(l.take(1, Limit::Plan, 2, w).is_ok());
        let wait = l.take(1, Limit::Plan, 2, w).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        // Other riders and other kinds are counted apart; 0 means no limit.
        assert!(l.take(2, Limit::Plan, 2, w).is_ok());
        assert!(l.take(1, Limit::Report, 2, w).is_ok());
        assert!(l.take(1, Limit::Plan, 0, w).is_ok());
        // A window that has passed frees the rider again.
        assert!(l.take(3, Limit::Plan, 1, Duration::ZERO).is_ok());
        assert!(l.take(3, Limit::Plan, 1, Duration::ZERO).is_ok());
    }
}
