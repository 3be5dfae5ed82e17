//! RAPTOR tests: golden journeys written as text, the validator, and the oracle comparisons.

mod alloc;
mod golden;
mod live;
