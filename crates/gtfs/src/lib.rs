//! Reads GTFS feeds into paradero's [`timetable::Timetable`].
//!
//! We read the CSV ourselves (with the `csv` crate) rather than through `gtfs-structures`:
//! that crate deserialises each file all-or-nothing, so one broken row of a real feed fails
//! the whole load, and it does not tell which line and field. Here fatal problems (no
//! `stops.txt`, a malformed time) name the file, line and field; recoverable ones skip the row
//! and are counted as [`Warnings`].

mod error;
mod load;
mod read;
pub mod source;
pub mod table;

pub use error::GtfsError;
pub use load::{FeedSpec, LoadConfig, Loaded, load};
pub use source::Limits;
pub use timetable::Warnings;
