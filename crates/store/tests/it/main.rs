//! Store tests; see store.rs.
mod faults;
mod store;
mod upgrade;
