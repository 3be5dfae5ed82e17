//! Upgrades: a database an older paradero wrote, opened by this one. Migration `0010` puts
//! every age band in the one vocabulary (the Arequipa Bus survey's bands) without guessing.

use store::{AgeBand, Store};

/// Rows as paradero wrote them before migration 0010: one report, trip, rating and survey
/// response per first-vocabulary band.
fn older_rows() -> Vec<String> {
    let bands = ["menor_18", "18_29", "30_44", "45_59", "60_mas"];
    let mut rows = Vec::new();
    for (i, band) in bands.iter().enumerate() {
        rows.push(format!(
            "INSERT INTO reports (id, reference, category, zone, occurred_at, local_hour,
                 reported_at, gender, age_band, channel, status, updated_at)
             VALUES ({i} + 1, 'R-{i}', 'acoso_verbal', 'z:1:1', 1700000000, 8, 1700000000,
                 'mujer', '{band}', 'web', 'open', 1700000000)"
        ));
        rows.push(format!(
            "INSERT INTO trips (id, planned_at, local_day, local_hour, channel, origin_zone,
                 dest_zone, found, gender, age_band)
             VALUES ({i} + 1, 1700000000, '2023-11-14', 8, 'web', 'z:1:1', 'z:1:2', 1,
                 'mujer', '{band}')"
        ));
        rows.push(format!(
            "INSERT INTO surveys (id, answered_at, local_hour, safety, gender, age_band, channel)
             VALUES ({i} + 1, 1700000000, 8, 3, 'hombre', '{band}', 'web')"
        ));
        rows.push(format!(
            "INSERT INTO survey_responses (id, survey, version, answered_at, local_hour, gender,
                 age_band, channel)
             VALUES ({i} + 1, 'perfil', 1, 1700000000, 8, 'no_binario', '{band}', 'web')"
        ));
    }
    rows
}

/// What each table holds after the upgrade: (age_band, age_band_before) by row id.
async fn bands_of(url: &str, table: &str) -> Vec<(Option<String>, Option<String>)> {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let rows = sqlx::query(&format!(
        "SELECT age_band, age_band_before FROM {table} ORDER BY id"
    ))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.iter()
        .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
        .collect()
}

async fn the_upgrade_maps_what_fits_and_keeps_what_straddles(url: &str) {
    let rows = older_rows();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    store::testing::older_database(url, 9, &rows).await.unwrap();
    let s = Store::open(url).await.unwrap();
    let some = |w: &str| Some(w.to_string());
    let expected = vec![
        (some("menor_18"), None),
        (some("18_35"), None),
        (None, some("30_44")),
        (None, some("45_59")),
        (None, some("60_mas")),
    ];
    for table in ["reports", "trips", "surveys", "survey_responses"] {
        assert_eq!(bands_of(url, table).await, expected, "{table}");
    }
    // And the store reads every upgraded report in the one vocabulary, genders untouched.
    let r = s.report("R-1").await.unwrap().unwrap();
    assert_eq!(r.age_band, Some(AgeBand::From18To35));
    assert_eq!(r.gender, Some(store::Gender::Woman));
    assert_eq!(s.report("R-3").await.unwrap().unwrap().age_band, None);
    s.close().await;
}

/// Two processes (the server and the bot) that start on an updated seed at once: one stores
/// the next version, the other finds it there; neither fails.
async fn two_processes_seed_at_once(url: &str) {
    let (a, b) = (
        Store::open(url).await.unwrap(),
        Store::open(url).await.unwrap(),
    );
    assert!(a.seed_survey("perfil", "v1", 0, 1).await.unwrap());
    for round in 0..20 {
        let body = format!("v{}", round + 2);
        let (x, y) = tokio::join!(
            a.seed_survey("perfil", &body, 0, 2),
            b.seed_survey("perfil", &body, 0, 2)
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        assert!(x ^ y, "round {round}: exactly one stores it ({x}, {y})");
    }
    let latest = a.surveys_latest().await.unwrap();
    assert_eq!(latest[0].version, 21);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn seeding_races_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    two_processes_seed_at_once(&format!("sqlite://{}/p.db", dir.path().display())).await;
}

#[tokio::test]
async fn seeding_races_postgres() {
    two_processes_seed_at_once(&crate::store::postgres_database("paradero_seed").await).await;
}

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("paradero.db").display());
    the_upgrade_maps_what_fits_and_keeps_what_straddles(&url).await;
}

#[tokio::test]
async fn postgres() {
    let url = crate::store::postgres_database("paradero_up").await;
    the_upgrade_maps_what_fits_and_keeps_what_straddles(&url).await;
}
