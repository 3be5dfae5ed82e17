//! RAPTOR tests: golden journeys written as text, the validator, and the oracle comparisons.

mod golden;
