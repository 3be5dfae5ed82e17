//! The observatory's store, its settings, and the background writer of trip records.

use observatory::Category;
use observatory::publish::Release;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use store::{Store, TripRecord};
use tokio::sync::{mpsc, oneshot};

/// Observatory parameters.
#[derive(Debug, Clone)]
pub struct ObservatorySettings {
    /// The privacy-loss budget of the public statistics.
    pub budget: observatory::privacy::Budget,
    /// Zone grid cell side, metres.
    pub zone_cell_m: f64,
    /// Longest description, characters.
    pub max_description_chars: usize,
    /// Incident categories.
    pub categories: Vec<Category>,
    /// A place farther than this from every stop is outside the area, metres.
    pub max_distance_m: f64,
    /// Limits on photos.
    pub photos: crate::photos::PhotoSettings,
    /// Road actors a report may name (keys; labels in the catalog as `actor.<key>`).
    pub road_actors: Vec<String>,
}

impl ObservatorySettings {
    /// The observatory's parameters from the configuration (their only mapping).
    pub fn from_config(cfg: &config::Config) -> ObservatorySettings {
        let o = &cfg.observatory;
        ObservatorySettings {
            budget: o.privacy.budget(),
            zone_cell_m: o.zone_cell_m,
            max_description_chars: o.max_description_chars,
            categories: o
                .categories
                .iter()
                .map(|c| Category {
                    key: c.key.clone(),
                    harassment: c.harassment,
                    family: String::new(),
                })
                .collect(),
            max_distance_m: cfg.planner.max_access_m,
            photos: crate::photos::PhotoSettings::from_config(&o.photos),
            road_actors: o.road_actors.clone(),
        }
    }
}

impl Default for ObservatorySettings {
    /// The configuration's defaults.
    fn default() -> Self {
        ObservatorySettings::from_config(&config::Config::default())
    }
}

enum Msg {
    Trip(Box<TripRecord>),
    Flush(oneshot::Sender<()>),
}

/// The store, its settings, and the background writer of trip records.
#[derive(Debug)]
pub struct Obs {
    /// The database.
    pub(crate) store: Store,
    /// Parameters.
    pub settings: ObservatorySettings,
    tx: mpsc::Sender<Msg>,
    counters: Arc<TripCounters>,
    /// Stored releases already parsed, by (month, week): a release is never replaced.
    parsed: std::sync::RwLock<HashMap<(String, u8), Arc<Release>>>,
    /// Photos are decoded one at a time.
    pub(crate) photo_turn: tokio::sync::Semaphore,
    /// Uploads waiting for (or holding) the decode turn.
    pub(crate) photo_queue: std::sync::atomic::AtomicUsize,
    /// The bundled surveys were stored (once per process).
    pub(crate) surveys_seeded: tokio::sync::OnceCell<()>,
    /// The incident categories as last read from the store (the seed until then).
    pub(crate) catalogue: arc_swap::ArcSwap<observatory::categories::Catalogue>,
    /// One refresh at a time, so that an older read never replaces a newer one; holds
    /// whether this process has seen the categories stored (then it only reads them).
    refreshing: tokio::sync::Mutex<bool>,
}

/// How often a process re-reads the categories (officials may change them through another
/// process sharing the database).
pub const CATEGORIES_REFRESH: std::time::Duration = std::time::Duration::from_secs(15);

/// What happened to trip records on their way to the store.
#[derive(Debug, Default)]
pub struct TripCounters {
    /// Dropped because the queue was full (the store was slower than the planner, or down).
    pub dropped: AtomicU64,
    /// Batches whose write failed and was retried.
    pub failed_writes: AtomicU64,
    /// Records written.
    pub written: AtomicU64,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

/// Trips buffered before the request path starts dropping them (counted) rather than wait.
const QUEUE: usize = 65_536;
/// Parsed releases kept in memory (a year of months and weeks is 72).
pub const PARSED_RELEASES: usize = 96;
/// Trips written per transaction.
const BATCH: usize = 512;
/// Waits between retries of a failed batch.
const RETRY_FIRST: std::time::Duration = std::time::Duration::from_millis(200);
const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(5);

impl Obs {
    /// Starts the trip writer on the current tokio runtime.
    pub fn start(store: Store, settings: ObservatorySettings) -> Arc<Obs> {
        let (tx, rx) = mpsc::channel::<Msg>(QUEUE);
        let counters = Arc::new(TripCounters::default());
        tokio::spawn(write_trips(store.clone(), rx, counters.clone()));
        let seed = crate::categories::seed(&settings.categories);
        let obs = Arc::new(Obs {
            store,
            settings,
            tx,
            counters,
            parsed: std::sync::RwLock::default(),
            photo_turn: tokio::sync::Semaphore::new(1),
            photo_queue: std::sync::atomic::AtomicUsize::new(0),
            surveys_seeded: tokio::sync::OnceCell::new(),
            catalogue: arc_swap::ArcSwap::from_pointee(seed),
            refreshing: tokio::sync::Mutex::new(false),
        });
        // The categories: stored at first start, then re-read now and then.
        let weak = Arc::downgrade(&obs);
        tokio::spawn(async move {
            loop {
                let Some(o) = weak.upgrade() else { return };
                if let Err(e) = o.refresh_categories().await {
                    tracing::warn!("the categories could not be read; keeping the last: {e}");
                }
                drop(o);
                tokio::time::sleep(CATEGORIES_REFRESH).await;
            }
        });
        obs
    }

    /// The incident categories now (groups and categories, retired ones too).
    pub fn catalogue(&self) -> Arc<observatory::categories::Catalogue> {
        self.catalogue.load_full()
    }

    /// Stores the seed if the store has no categories, reads them, and uses them from now on.
    pub async fn refresh_categories(
        &self,
    ) -> Result<Arc<observatory::categories::Catalogue>, store::StoreError> {
        let mut seeded = self.refreshing.lock().await;
        // The seed needs a write transaction: once stored, a refresh is a read only.
        if !*seeded {
            let seed = crate::categories::seed(&self.settings.categories);
            self.store.seed_categories(&seed, crate::now_unix()).await?;
            *seeded = true;
        }
        let read = Arc::new(self.store.categories().await?);
        self.catalogue.store(read.clone());
        Ok(read)
    }

    /// Queues a trip record; never waits (a full queue drops it and counts).
    pub fn record(&self, t: TripRecord) {
        if self.tx.try_send(Msg::Trip(Box::new(t))).is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until every trip queued so far is written, or `within` has passed (the store
    /// may be down); returns whether everything was written.
    pub async fn flush_within(&self, within: std::time::Duration) -> bool {
        let (done, wait) = oneshot::channel();
        tokio::time::timeout(within, async {
            self.tx.send(Msg::Flush(done)).await.is_ok() && wait.await.is_ok()
        })
        .await
        .unwrap_or(false)
    }

    /// Writes the trips still queued (for 5 s at most: the store may be down) and closes the
    /// store (2 s at most), so that a stop never hangs on a database that does not answer.
    pub async fn close(&self) {
        if !self.flush_within(std::time::Duration::from_secs(5)).await {
            tracing::error!(
                "the store did not take the last trip records within 5 s; exiting without them"
            );
        }
        if tokio::time::timeout(std::time::Duration::from_secs(2), self.store.close())
            .await
            .is_err()
        {
            tracing::warn!("the store's connections did not close within 2 s");
        }
    }

    /// Removes, in the background, photo files that no report row names and that are older
    /// than [`store::PHOTO_SWEEP_AFTER`] (left by a write that failed after the file). Only
    /// serving processes sweep.
    pub fn spawn_photo_sweep(&self) {
        let store = self.store.clone();
        tokio::spawn(async move {
            match store.sweep_photo_files(store::PHOTO_SWEEP_AFTER).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(files = n, "removed photo files without a report"),
                Err(e) => tracing::warn!(error = %e, "could not sweep photo files"),
            }
        });
    }

    /// The store, for tests that plant or check records (feature `test-support`).
    #[cfg(feature = "test-support")]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Waits until every trip queued so far is written.
    pub async fn flush(&self) {
        let _ = self.flush_within(std::time::Duration::MAX).await;
    }

    /// Trip records dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// The trip writer's counters.
    pub fn trip_counters(&self) -> &TripCounters {
        &self.counters
    }

    /// A stored release parsed earlier, by (month, week; 0 for the month).
    pub fn cached_release(&self, period: &(String, u8)) -> Option<Arc<Release>> {
        self.parsed
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(period)
            .cloned()
    }

    /// Keeps a parsed release (stored releases never change, so this never goes stale). At
    /// most [`PARSED_RELEASES`] are kept: readers mostly ask for the latest periods.
    pub fn cache_release(&self, period: (String, u8), release: Release) {
        let mut parsed = self
            .parsed
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if parsed.len() >= PARSED_RELEASES {
            parsed.clear();
        }
        parsed.insert(period, Arc::new(release));
    }

    /// Deletes a stored release and forgets its parse, so that the period can be computed
    /// again with fresh noise (attack tests measure what many draws reveal; no running
    /// server ever replaces a release, which is why the parse cache never goes stale).
    #[cfg(feature = "test-support")]
    pub async fn delete_release(&self, month: &str, week: u8) -> Result<u64, store::StoreError> {
        let n = self.store.delete_release(month, week).await?;
        self.parsed
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(month.to_string(), week));
        Ok(n)
    }
}

/// The trip writer: takes what is queued (up to a batch) and writes it in one transaction. A
/// failed batch is kept and retried with a growing pause, so a full disk or a database
/// restart loses nothing that fits in the queue; meanwhile new records wait in the queue and
/// only a full queue drops (and counts) them.
async fn write_trips(store: Store, mut rx: mpsc::Receiver<Msg>, counters: Arc<TripCounters>) {
    let mut batch: Vec<TripRecord> = Vec::with_capacity(BATCH);
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    let mut pause = RETRY_FIRST;
    loop {
        // Wait for work only when nothing is pending; then take whatever is queued.
        if batch.is_empty() {
            match rx.recv().await {
                Some(Msg::Trip(t)) => batch.push(*t),
                Some(Msg::Flush(done)) => flushes.push(done),
                None => return,
            }
        }
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(Msg::Trip(t)) => batch.push(*t),
                Ok(Msg::Flush(done)) => {
                    flushes.push(done);
                    // Trips queued after this flush may wait for the next batch.
                    break;
                }
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            if let Err(e) = store.record_trips(&batch).await {
                let failed = counters.failed_writes.fetch_add(1, Ordering::Relaxed);
                if failed.is_power_of_two() || failed == 0 {
                    tracing::error!(error = %e, trips = batch.len(), retry_in_ms = pause.as_millis() as u64,
                        "recording trips failed; keeping them and retrying");
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(RETRY_MAX);
                continue;
            }
            counters
                .written
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            batch.clear();
            pause = RETRY_FIRST;
        }
        for f in flushes.drain(..) {
            let _ = f.send(());
        }
    }
}
