//! Reloading the feeds: the new timetable is swapped in whole; a reload that fails leaves the
//! one being served, and says why.

use crate::arequipa;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

fn dataset(loaded_at: SystemTime) -> app::Dataset {
    app::Dataset {
        timetable: arequipa(),
        streets: None,
        places: None,
        loaded_at,
    }
}

#[tokio::test]
async fn a_reload_swaps_the_timetable_whole_or_keeps_the_one_served() {
    let first = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    // (call → what the loader gives): a good feed, then a broken one.
    let loader: app::Loader = Arc::new(move || match counted.fetch_add(1, Ordering::SeqCst) {
        0 => Ok(dataset(SystemTime::now())),
        _ => Err("stops.txt: line 3: bad stop_lat".into()),
    });
    let a = app::App::new(
        dataset(first),
        app::Settings {
            loader: Some(loader),
            ..app::Settings::default()
        },
    );
    assert_eq!(a.dataset().loaded_at, first);
    let reloaded = a.reload().await.unwrap();
    assert!(reloaded.loaded_at > first);
    assert_eq!(a.dataset().loaded_at, reloaded.loaded_at);
    let failed = a.reload().await.unwrap_err();
    assert!(failed.contains("bad stop_lat"), "{failed}");
    assert_eq!(
        a.dataset().loaded_at,
        reloaded.loaded_at,
        "the one served stays"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Without a loader, reloading is refused, not attempted.
    let fixed = crate::app_with(None);
    assert!(fixed.reload().await.is_err());
}
