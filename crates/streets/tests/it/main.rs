//! The street network on the shipped extract of central São Paulo, and on synthetic grids.

use std::sync::OnceLock;
use streets::{Extract, Streets};

mod places;
mod tables;
mod walks;

/// The extract, read once.
pub fn extract() -> &'static Extract {
    static X: OnceLock<Extract> = OnceLock::new();
    X.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../feeds/sao-paulo.osm.pbf");
        streets::read(std::path::Path::new(path), 64).expect("the shipped extract reads")
    })
}

/// Its streets, without stops.
pub fn streets() -> &'static Streets {
    static S: OnceLock<Streets> = OnceLock::new();
    S.get_or_init(|| Streets::build(extract(), &[], streets::StreetsConfig::default()))
}
