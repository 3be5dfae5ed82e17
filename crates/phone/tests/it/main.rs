//! The phone's router as the page's worker calls it, on the host: the answers the page reads,
//! errors as problems with the HTTP API's statuses, nothing that panics on bad input.

use phone::Phone;
use std::path::Path;

fn phone() -> Phone {
    let feed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/arequipa.zip");
    let tt = gtfs::load(
        &[gtfs::FeedSpec::from_path(feed)],
        &gtfs::LoadConfig::default(),
    )
    .expect("the Arequipa feed loads")
    .timetable;
    let settings = offline::Settings::of(
        &tt,
        &planner::PlannerConfig::default(),
        &raptor::Options::default(),
    );
    let (bytes, _) = offline::export(&tt, "arequipa", settings, 0).expect("exported");
    Phone::load(&bytes).expect("loaded")
}

/// Monday 7 December 2026, 13:00 in Lima (UTC−5).
const NOW: i64 = 1_796_666_400;

#[test]
fn answers_what_the_page_asks_and_refuses_what_it_cannot() {
    let mut p = phone();
    assert_eq!(p.about()["feed"], "arequipa");
    let (s, plan) = p.answer(
        "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&lang=en",
        NOW,
    );
    assert_eq!(s, 200, "{plan}");
    // No time asked: now, on the phone's clock, in the feed's time zone.
    assert_eq!(plan["date"], "2026-12-07");
    let first = &plan["itineraries"][0];
    assert!(
        first["departure"].as_str().unwrap() >= "2026-12-07T13:00",
        "{first}"
    );
    let (s, arrive) = p.answer(
        "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&arrive_by=2026-12-08T09:00",
        NOW,
    );
    assert_eq!(s, 200);
    assert!(arrive["itineraries"][0]["arrival"].as_str().unwrap() <= "2026-12-08T09:00:00-05:00");
    // Places and stops by name, and a stop's departures.
    let (s, found) = p.answer("/v1/stops?q=plaza&limit=3", NOW);
    assert_eq!(s, 200);
    let stop = found["stops"][0]["id"].as_str().unwrap().to_string();
    let (s, places) = p.answer("/v1/places?q=plaza&limit=3", NOW);
    assert_eq!(s, 200);
    assert!(!places["places"].as_array().unwrap().is_empty());
    let path = format!(
        "/v1/stops/{}/departures?limit=4&at=2026-12-08T08:00",
        stop.replace(':', "%3A")
    );
    let (s, deps) = p.answer(&path, NOW);
    assert_eq!(s, 200, "{deps}");
    assert_eq!(deps["stop"]["id"], stop.as_str());
    // Errors as the API gives them, in the asker's language.
    for (path, status) in [
        ("/v1/plan?from=-16.3989,-71.5369", 400),
        ("/v1/plan?from=nan,nan&to=-16.4250,-71.5200", 400),
        ("/v1/plan?from=arequipa:nope&to=-16.4250,-71.5200", 404),
        (
            "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=25:99",
            400,
        ),
        (
            "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=08:00&arrive_by=09:00",
            422,
        ),
        (
            "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&window=forever",
            400,
        ),
        (
            "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&wheelchair=maybe",
            400,
        ),
        ("/v1/plan?from=-12.05,-77.04&to=-16.4250,-71.5200", 422),
        ("/v1/stops/arequipa%3Anope/departures", 404),
        (
            "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&max_transfers=99",
            400,
        ),
        (
            "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&max_walk_m=-1",
            400,
        ),
        ("/v1/vehicles?bbox=1,2,3,4", 404),
        ("", 404),
    ] {
        let (s, body) = p.answer(path, NOW);
        assert_eq!(s, status, "{path}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}"
        );
    }
    let (_, es) = p.answer(
        "/v1/plan?from=arequipa:nope&to=-16.4250,-71.5200&lang=es",
        NOW,
    );
    let (_, qu) = p.answer(
        "/v1/plan?from=arequipa:nope&to=-16.4250,-71.5200&lang=qu",
        NOW,
    );
    assert_ne!(es["detail"], qu["detail"]);
    // Anything at all: an answer, never a panic.
    for junk in [
        "?",
        "/v1/plan?%",
        "/v1/stops/%FF%FE/departures",
        "/v1/places?q=%00%00",
        "/v1/plan?from=\u{1F68C},1&to=1,1",
    ] {
        let (s, _) = p.answer(junk, NOW);
        assert!((200..600).contains(&s), "{junk}");
    }
}

#[test]
fn a_damaged_bundle_is_refused_and_says_why() {
    let e = Phone::load(b"PRDROTT\0\x01\x00 too short")
        .err()
        .expect("refused");
    assert!(e.to_string().contains("download it again"));
}
