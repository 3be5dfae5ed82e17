//! paradero's cross-crate integration tests (one binary, one module per area).

mod gtfs_tolerance;
mod shipped_feeds;
