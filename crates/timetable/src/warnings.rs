//! Recoverable problems found while building a timetable, grouped by kind with a few examples.

use std::collections::BTreeMap;

/// How many examples of each kind are kept.
pub const EXAMPLES_PER_KIND: usize = 3;

/// One kind of warning: how often it happened and a few examples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarningGroup {
    /// Occurrences.
    pub count: u64,
    /// Up to [`EXAMPLES_PER_KIND`] examples ("stop_times.txt line 12: …").
    pub examples: Vec<String>,
}

/// Warnings grouped by a stable kind name (e.g. `stop_time_unknown_stop`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings {
    groups: BTreeMap<&'static str, WarningGroup>,
}

impl Warnings {
    /// Records one occurrence; `example` is only formatted while examples are still kept.
    pub fn push(&mut self, kind: &'static str, example: impl FnOnce() -> String) {
        let g = self.groups.entry(kind).or_default();
        g.count += 1;
        if g.examples.len() < EXAMPLES_PER_KIND {
            g.examples.push(example());
        }
    }
    /// Adds all of `other`.
    pub fn merge(&mut self, other: Warnings) {
        for (k, g) in other.groups {
            let mine = self.groups.entry(k).or_default();
            mine.count += g.count;
            for e in g.examples {
                if mine.examples.len() < EXAMPLES_PER_KIND {
                    mine.examples.push(e);
                }
            }
        }
    }
    /// Occurrences of one kind.
    pub fn count(&self, kind: &str) -> u64 {
        self.groups.get(kind).map_or(0, |g| g.count)
    }
    /// Occurrences of all kinds.
    pub fn total(&self) -> u64 {
        self.groups.values().map(|g| g.count).sum()
    }
    /// Groups in kind order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &WarningGroup)> {
        self.groups.iter().map(|(k, g)| (*k, g))
    }
    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}
