//! Places riders name: found by name (typos too) and by a tap.

use crate::streets;
use streets::extract::PlaceKind;
use streets::places::Kind;

#[test]
fn a_corner_is_found_by_its_two_streets_and_by_a_tap() {
    let st = streets();
    let found = st
        .places
        .corners_for(&st.graph, "avenida paulista y rua da consolacao", 3);
    let (name, at, _) = found
        .iter()
        .find(|(n, _, _)| n.contains("Avenida Paulista") && n.contains("Rua da Consolação"))
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(name.contains(" y "));
    // Tapping a few metres off the corner names it.
    let near = timetable::Coord::new(at.lat() + 0.0001, at.lon()).unwrap();
    let (kind, tapped) = st.places.reverse(&st.graph, &st.index, near).unwrap();
    assert_eq!(kind, Kind::Corner);
    assert!(
        tapped.contains("Paulista") && tapped.contains("Consolação"),
        "{tapped}"
    );
}

#[test]
fn a_named_place_is_found_by_name_with_typos_and_by_a_tap() {
    let st = streets();
    for q in ["Conjunto Nacional", "conjunto nacinal", "CONJUNTO nacional"] {
        let f = st.places.search(&st.graph, q, 3);
        let top = f.first().unwrap_or_else(|| panic!("{q}: nothing"));
        assert_eq!(top.entry.name, "Conjunto Nacional", "{q}");
        assert_eq!(top.entry.kind, Kind::Place(PlaceKind::Mall));
    }
    let mall = &st.places.search(&st.graph, "conjunto nacional", 1)[0].entry;
    let (kind, name) = st.places.reverse(&st.graph, &st.index, mall.at).unwrap();
    assert_eq!(
        (kind, name.as_str()),
        (Kind::Place(PlaceKind::Mall), "Conjunto Nacional")
    );
}

#[test]
fn a_street_is_found_with_a_typo_and_named_where_tapped() {
    let st = streets();
    let f = st.places.search(&st.graph, "av paulsta", 5);
    assert!(
        f.iter()
            .any(|x| x.entry.name == "Avenida Paulista" && x.entry.kind == Kind::Street),
        "{:?}",
        f.iter().map(|x| &x.entry.name).collect::<Vec<_>>()
    );
    assert!(st.places.search(&st.graph, "zzzz qqqq", 5).is_empty());
    // In the middle of a block of Avenida Paulista, away from corners.
    let block = st
        .places
        .search(&st.graph, "avenida paulista", 1)
        .remove(0)
        .entry
        .at;
    let (kind, name) = st.places.reverse(&st.graph, &st.index, block).unwrap();
    assert!(name.contains("Paulista"), "{kind:?} {name}");
}
