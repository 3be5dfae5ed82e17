//! paradero's cross-crate integration tests (one binary, one module per area).

mod dependencies;
mod gtfs_tolerance;
mod routing;
mod shipped_feeds;
