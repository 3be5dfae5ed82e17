//! paradero's cross-crate integration tests (one binary, one module per area).

mod dependencies;
mod gtfs_tolerance;
mod problems;
mod routing;
mod shipped_feeds;
