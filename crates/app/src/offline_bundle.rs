//! The phone's timetable bundles (`offline` crate): one per feed of the dataset being served,
//! written on first request and kept until a reload brings a new dataset (whose bundles then
//! carry a new version, which the riders' page notices and fetches).

use crate::{App, Dataset, Error};
use i18n::Lang;
/// The layout bundles are written in (the page's router reads this one only).
pub use offline::FORMAT;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, Weak};

/// One feed's bundle, ready to serve.
#[derive(Debug)]
pub struct Bundle {
    /// The bytes (`offline::export`).
    pub bytes: Arc<[u8]>,
    /// Its version: the payload's SHA-256, hex; quoted, it is the ETag.
    pub version: String,
    /// What it says of itself (feed, when loaded, service span).
    pub meta: offline::Meta,
    /// Bytes on the wire when compressed with gzip (what the page tells the rider it costs).
    pub gzip_bytes: usize,
}

/// A timetable and its bundles by feed. Weak: a reload's old timetable is not kept alive for
/// its bundles (and its address cannot be reused while the `Weak` stands).
type OfTimetable = (Weak<timetable::Timetable>, HashMap<String, Arc<Bundle>>);

/// Bundles of the dataset last asked about.
#[derive(Default, Debug)]
pub(crate) struct Bundles {
    of: Mutex<Option<OfTimetable>>,
}

impl App {
    /// The bundle of feed `feed` of the dataset served now; 404 for a feed not loaded.
    pub async fn offline_bundle(
        &self,
        ds: Arc<Dataset>,
        feed: &str,
        lang: Lang,
    ) -> Result<Arc<Bundle>, Error> {
        if !ds.timetable.feeds().iter().any(|f| f.id == feed) {
            return Err(Error::NotFound(i18n::t(
                lang,
                "offline.unknown_feed",
                &[("feed", &feed)],
            )));
        }
        {
            let of = self.bundles.of.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((tt, map)) = of.as_ref()
                && std::ptr::eq(tt.as_ptr(), Arc::as_ptr(&ds.timetable))
                && let Some(b) = map.get(feed)
            {
                return Ok(Arc::clone(b));
            }
        }
        let settings = offline::Settings::of(
            &ds.timetable,
            &self.settings.planner,
            &self.settings.routing,
        );
        let loaded = ds
            .loaded_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let (tt, id) = (Arc::clone(&ds.timetable), feed.to_string());
        let built = tokio::task::spawn_blocking(move || {
            let (bytes, meta) = offline::export(&tt, &id, settings, loaded)?;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(&bytes).ok()?;
            let gzip_bytes = gz.finish().ok()?.len();
            Some(Bundle {
                version: offline::checksum(&bytes)?,
                bytes: bytes.into(),
                meta,
                gzip_bytes,
            })
        })
        .await
        .map_err(|_| Error::Internal("writing the offline bundle stopped unexpectedly".into()))?
        .ok_or_else(|| Error::Internal("the offline bundle could not be written".into()))?;
        let b = Arc::new(built);
        let mut of = self.bundles.of.lock().unwrap_or_else(|e| e.into_inner());
        match of.as_mut() {
            Some((tt, map)) if std::ptr::eq(tt.as_ptr(), Arc::as_ptr(&ds.timetable)) => {
                map.insert(feed.to_string(), Arc::clone(&b));
            }
            _ => {
                *of = Some((
                    Arc::downgrade(&ds.timetable),
                    HashMap::from([(feed.to_string(), Arc::clone(&b))]),
                ));
            }
        }
        Ok(b)
    }
}
