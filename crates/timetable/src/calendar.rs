//! Service calendars: on which days a service operates, as deduplicated bitsets.

use crate::time::Day;

/// The set of days a service operates, as a bitset starting at `first`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ServiceDays {
    first: i32,
    bits: Vec<u64>,
}

impl ServiceDays {
    /// A service on exactly the given days (duplicates allowed).
    pub fn from_days(days: impl IntoIterator<Item = Day>) -> ServiceDays {
        let mut v: Vec<i32> = days.into_iter().map(|d| d.0).collect();
        v.sort_unstable();
        v.dedup();
        let Some((&first, &last)) = v.first().zip(v.last()) else {
            return ServiceDays::default();
        };
        let words = ((last - first) as usize) / 64 + 1;
        let mut bits = vec![0u64; words];
        for d in v {
            let o = (d - first) as usize;
            bits[o / 64] |= 1 << (o % 64);
        }
        ServiceDays { first, bits }
    }

    /// A service from `calendar.txt` (weekday mask, Monday first, `start..=end`), with
    /// `calendar_dates.txt` exceptions applied: `added` days switched on, `removed` switched off.
    pub fn from_calendar(
        weekdays: [bool; 7],
        start: Day,
        end: Day,
        added: &[Day],
        removed: &[Day],
    ) -> ServiceDays {
        let mut days = Vec::new();
        if start <= end {
            let mut d = start;
            while d <= end {
                if weekdays[d.weekday() as usize] {
                    days.push(d);
                }
                d = d.offset(1);
            }
        }
        days.extend_from_slice(added);
        let mut s = ServiceDays::from_days(days);
        for &r in removed {
            s.clear(r);
        }
        s.trim();
        s
    }

    fn clear(&mut self, d: Day) {
        let o = i64::from(d.0) - i64::from(self.first);
        if o >= 0 && (o as usize) < self.bits.len() * 64 {
            let o = o as usize;
            self.bits[o / 64] &= !(1 << (o % 64));
        }
    }

    /// Drops empty words at both ends, so equal sets compare equal.
    fn trim(&mut self) {
        while self.bits.last() == Some(&0) {
            self.bits.pop();
        }
        let lead = self.bits.iter().take_while(|&&w| w == 0).count();
        if lead == self.bits.len() {
            *self = ServiceDays::default();
            return;
        }
        if lead > 0 {
            self.bits.drain(..lead);
            self.first += 64 * lead as i32;
        }
    }

    /// Whether the service operates on `d`.
    #[inline]
    pub fn contains(&self, d: Day) -> bool {
        let o = i64::from(d.0) - i64::from(self.first);
        if o < 0 {
            return false;
        }
        let o = o as usize;
        self.bits
            .get(o / 64)
            .is_some_and(|w| w >> (o % 64) & 1 == 1)
    }

    /// Whether the service never operates.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }

    /// First and last day of operation.
    pub fn span(&self) -> Option<(Day, Day)> {
        let first = self.iter().next()?;
        let last_word = self.bits.iter().rposition(|&w| w != 0)?;
        let last = self.first
            + (last_word * 64) as i32
            + (63 - self.bits[last_word].leading_zeros() as i32);
        Some((first, Day(last)))
    }

    /// Days of operation, in order.
    pub fn iter(&self) -> impl Iterator<Item = Day> + '_ {
        self.bits.iter().enumerate().flat_map(move |(w, &bits)| {
            (0..64)
                .filter(move |b| bits >> b & 1 == 1)
                .map(move |b| Day(self.first + (w * 64 + b) as i32))
        })
    }

    /// Heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn weekday_calendar_with_exceptions() {
        // Weekdays in November 2026, minus Monday 23rd, plus Sunday 22nd.
        let s = ServiceDays::from_calendar(
            [true, true, true, true, true, false, false],
            d("20261101"),
            d("20261130"),
            &[d("20261122")],
            &[d("20261123")],
        );
        assert!(s.contains(d("20261124")));
        assert!(!s.contains(d("20261123")));
        assert!(s.contains(d("20261122")));
        assert!(!s.contains(d("20261121")));
        assert!(!s.contains(d("20261201")));
        assert!(!s.contains(d("20261031")));
        assert_eq!(s.iter().count(), 21 - 1 + 1);
        assert_eq!(s.span(), Some((d("20261102"), d("20261130"))));
    }

    #[test]
    fn calendar_dates_only_services_and_equality() {
        let a = ServiceDays::from_calendar(
            [false; 7],
            d("20260101"),
            d("20261231"),
            &[d("20261225")],
            &[],
        );
        let b = ServiceDays::from_days([d("20261225")]);
        assert_eq!(a, b);
        assert!(a.contains(d("20261225")));
        let empty = ServiceDays::from_calendar([true; 7], d("20260102"), d("20260101"), &[], &[]);
        assert!(empty.is_empty());
        assert_eq!(empty, ServiceDays::default());
        let removed_all = ServiceDays::from_calendar(
            [true; 7],
            d("20260101"),
            d("20260101"),
            &[],
            &[d("20260101")],
        );
        assert_eq!(removed_all, ServiceDays::default());
    }

    #[test]
    fn long_calendars_are_compact() {
        let s = ServiceDays::from_calendar([true; 7], d("20000101"), d("21000101"), &[], &[]);
        assert!(s.heap_bytes() < 5_000);
        assert!(s.contains(d("20261123")));
        assert!(s.contains(d("21000101")));
        assert!(!s.contains(d("21000102")));
    }
}
