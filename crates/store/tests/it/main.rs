//! Store tests; see store.rs.
mod store;
