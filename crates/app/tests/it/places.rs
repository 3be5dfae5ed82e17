//! Places as riders look for them in Arequipa: the shipped place list (the Arequipa Bus
//! app's search data) searched with typos, tapped points named, and the network drawn.

use app::{App, Coord};
use i18n::Lang;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The application serving Arequipa as shipped, with its place list.
fn shipped() -> Arc<App> {
    static APP: OnceLock<Arc<App>> = OnceLock::new();
    APP.get_or_init(|| {
        let feeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds");
        let (city, named) = app::city::shipped_arequipa(&feeds).unwrap();
        assert!(named > 0, "the list names some of the feed's unnamed stops");
        App::new(app::city::dataset(city), app::Settings::default())
    })
    .clone()
}

/// What riders of Arequipa type (from the first-minute findings), with typos, and the place
/// that must come first — or be among the first three.
#[tokio::test]
async fn riders_find_arequipas_places_by_name_with_typos() {
    let a = shipped();
    let cases: [(&str, &str, usize); 16] = [
        ("plaza de armas", "Plaza de Armas", 1),
        ("plaza de armaz", "Plaza de Armas", 1),
        ("mall aventura", "Mall Aventura Plaza", 1),
        ("mall aventrua", "Mall Aventura Plaza", 1),
        ("mercado san camilo", "Mercado San Camilo", 1),
        ("mercado sn camilo", "Mercado San Camilo", 1),
        ("yanahuara", "Yanahuara", 1),
        ("yanahura", "Yanahuara", 1),
        (
            "hospital honorio delgado",
            "Hospital Regional Honorio Delgado Espinoza",
            1,
        ),
        ("hospitl goyeneche", "Hospital Goyeneche", 1),
        ("universidad la salle", "Universidad La Salle", 1),
        (
            "universidad catolica san pablo",
            "Universidad Católica San Pablo",
            3,
        ),
        ("cayma", "Cayma", 1),
        (
            "ejercito y jerusalen",
            "Avenida Ejército y Calle Jerusalén",
            1,
        ),
        ("terminal terrestre", "Terminal Terrestre de Arequipa", 3),
        ("plaza yanahuara", "Plaza de Yanahuara", 1),
    ];
    let mut misses = Vec::new();
    for (q, want, within) in cases {
        let found = a.find_places(a.dataset(), q.into(), 5).await.unwrap();
        let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
        if !names.iter().take(within).any(|n| *n == want) {
            misses.push(format!(
                "{q:?} → {names:?} (wanted {want:?} in the first {within})"
            ));
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
}

#[tokio::test]
async fn what_cannot_be_a_search_finds_nothing_and_never_fails() {
    let a = shipped();
    let long = "avenida ".repeat(40);
    // (query, limit) → nothing found, or at most `limit`.
    let cases: [(&str, usize, bool); 6] = [
        ("", 5, true),
        ("p", 5, true),
        ("plaza", 0, true),
        ("%$#@!*&^ ¿¡", 5, true),
        (&long, 5, false),
        ("plaza", 2, false),
    ];
    for (q, limit, none) in cases {
        let found = a.find_places(a.dataset(), q.into(), limit).await.unwrap();
        assert!(found.len() <= limit, "{q:?}");
        if none {
            assert!(found.is_empty(), "{q:?}: {found:?}");
        }
    }
}

#[test]
fn a_tapped_point_is_named_after_what_is_there_and_nothing_outside_the_city() {
    let a = shipped();
    let ds = a.dataset();
    let plaza = Coord::new(-16.3989, -71.5369).unwrap();
    let named = app::places::reverse(&ds, plaza, Lang::Es).expect("the plaza is named");
    assert!(!named.name.is_empty());
    assert!(
        app::places::reverse(&ds, Coord::new(-12.0464, -77.0428).unwrap(), Lang::Es).is_none(),
        "Lima"
    );
}

#[test]
fn the_network_map_draws_every_route_inside_its_bounds() {
    let a = shipped();
    let tt = a.dataset().timetable.clone();
    let map = app::map::network(&tt);
    assert_eq!(map.features.len(), tt.routes().len());
    let [w, s, e, n] = map.bbox.expect("stops have a box");
    for st in tt.stops() {
        let (lat, lon) = (st.coord.lat(), st.coord.lon());
        assert!(
            (s..=n).contains(&lat) && (w..=e).contains(&lon),
            "{}",
            st.name
        );
    }
}

#[test]
fn departures_come_in_order_from_the_time_asked_and_no_more_than_asked() {
    let a = shipped();
    let tt = a.dataset().timetable.clone();
    let day = app::Day::parse("2026-12-07").unwrap();
    let at = 8 * 3600;
    let mut seen = 0;
    for stop in (0..tt.stops().len()).step_by(97) {
        let stop = app::StopIdx::new(stop);
        let deps = a
            .departures(&a.dataset(), stop, (day, at), 5, app::now_unix())
            .departures;
        assert!(deps.len() <= 5);
        for pair in deps.windows(2) {
            assert!(pair[0].departure_secs <= pair[1].departure_secs, "{pair:?}");
        }
        for d in &deps {
            assert!(d.departure_secs >= at, "{d:?}");
            // The wait in whole minutes, rounded up.
            let gap = d.departure_secs - at;
            assert!(
                d.wait_min * 60 >= gap && d.wait_min * 60 < gap + 60,
                "{d:?}"
            );
        }
        seen += deps.len();
    }
    assert!(seen > 0, "some stop has a bus after 08:00 on a Monday");
}
