//! "Share my trip": the link carries the itinerary in its fragment (never sent to a server)
//! and says when it stops showing it; the metrics the public reads leave out the operator's.

use crate::{app_with, fresh};
use app::Audience;
use std::sync::Arc;

#[tokio::test]
async fn a_shared_link_carries_the_trip_in_its_fragment_until_an_hour_after_arrival() {
    let a = app_with(None);
    let ds = a.dataset();
    let tt = &ds.timetable;
    let (from, to) = ("-16.3989,-71.5369", "-16.3720,-71.5520");
    let req = app::PlanRequest {
        from: app::parse_endpoint(tt, from).unwrap(),
        to: app::parse_endpoint(tt, to).unwrap(),
        day: tt.feeds()[0].service_span.unwrap().0,
        time: 8 * 3600,
        arrive_by: false,
        window_secs: None,
        options: Default::default(),
        lang: i18n::Lang::Qu,
        safer: false,
    };
    let plan = a.plan(Arc::clone(&ds), req).await.unwrap();
    let it = &plan.itineraries[0];
    let link = app::share::link("https://paradero.example/", i18n::Lang::Qu, it, 1.0).unwrap();
    let (page, fragment) = link.split_once('#').unwrap();
    // What a server sees of the link: the page and the language, nothing of the trip.
    assert_eq!(page, "https://paradero.example/compartir?lang=qu");
    assert!(!fragment.is_empty());
    let trip = app::share::decode(&link).unwrap();
    assert_eq!(trip["v"], 1);
    assert_eq!(trip["dep"], it.departure.as_str());
    assert_eq!(trip["legs"].as_array().unwrap().len(), it.legs.len());
    let arrival = chrono::DateTime::parse_from_rfc3339(&it.arrival).unwrap();
    assert_eq!(trip["exp"], arrival.timestamp_millis() + 3_600_000);
    // A negative allowance is none; an arrival that is not a time makes no link.
    assert_eq!(
        app::share::expiry_ms(it, -5.0),
        Some(arrival.timestamp_millis())
    );
    let mut broken = it.clone();
    broken.arrival = "later".into();
    assert!(app::share::link("https://x", i18n::Lang::Es, &broken, 1.0).is_none());
}

#[tokio::test]
async fn the_public_metrics_leave_out_the_observatorys_writer() {
    let f = fresh().await;
    let public = f.app.render_metrics(Audience::Public);
    let operator = f.app.render_metrics(Audience::Operator);
    let writer = "paradero_observatory_trips_written_total";
    assert!(operator.contains(writer), "{operator}");
    assert!(!public.contains(writer), "{public}");
    for both in [&public, &operator] {
        assert!(both.contains("paradero_feed_loaded_timestamp_seconds"));
    }
}
