//! The whole store suite, run against SQLite (a file in a temp dir) and against a real
//! PostgreSQL server (`PARADERO_TEST_POSTGRES_URL`, which `.ci/test` starts on loopback): each
//! test gets a fresh database of its own.

use store::*;

/// A fresh store of each kind, and what must be kept alive meanwhile.
pub struct Fresh {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/sub/paradero.db", dir.path().display());
    Fresh {
        store: Store::open(&url).await.unwrap(),
        _dir: Some(dir),
    }
}

pub async fn postgres() -> Fresh {
    Fresh {
        store: Store::open(&postgres_database("paradero_t").await)
            .await
            .unwrap(),
        _dir: None,
    }
}

/// The URL of a fresh, empty database on the test PostgreSQL server, named `prefix…`.
pub async fn postgres_database(prefix: &str) -> String {
    let base = std::env::var("PARADERO_TEST_POSTGRES_URL").expect(
        "PARADERO_TEST_POSTGRES_URL must point at a PostgreSQL server: run the tests with \
         `bash .ci/test`, which starts one on loopback",
    );
    let name = format!("{prefix}{:016x}", rand_u64());
    let admin = Store::admin_connect(&base).await.unwrap();
    admin.create_database(&name).await.unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

/// Runs one async test body against both backends.
macro_rules! both {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let f = super::sqlite().await;
                assert_eq!(f.store.backend(), store::Backend::Sqlite);
                $body(&f.store).await;
            }
            #[tokio::test]
            async fn postgres() {
                let f = super::postgres().await;
                assert_eq!(f.store.backend(), store::Backend::Postgres);
                $body(&f.store).await;
            }
        }
    };
}

const NOW: i64 = 1_795_000_000;

fn report(category: &str, lat: f64, lon: f64, at: i64) -> NewReport {
    NewReport {
        category: category.into(),
        lat: Some(lat),
        lon: Some(lon),
        stop_id: None,
        route_id: Some("arequipa:17658212".into()),
        zone: "z:-3279:-14307".into(),
        occurred_at: at,
        occurred_at_given: true,
        local_hour: 8,
        description: Some("Un hombre me tocó en el bus.".into()),
        gender: Some(Gender::Woman),
        age_band: Some(AgeBand::From18To35),
        channel: Channel::Web,
        rider: Some("rider-a".into()),
        actors: store::RoadActors::default(),
    }
}

fn trip(hour: u8, gender: Option<Gender>, rider: Option<&str>) -> TripRecord {
    TripRecord {
        planned_at: NOW,
        local_day: "2026-11-23".into(),
        local_hour: hour,
        channel: Channel::Api,
        origin_zone: "z:1:1".into(),
        dest_zone: "z:2:2".into(),
        best: Some(BestJourney {
            travel_s: 1200,
            wait_s: 120,
            walk_s: 300,
            transfers: 1,
            routes: vec!["r1".into(), "r2".into()],
        }),
        profile: gender.map(|g| Profile {
            gender: Some(g),
            purpose: Some(Purpose::Care),
            ..Profile::default()
        }),
        rider: rider.map(str::to_string),
        safer: false,
    }
}

async fn reports_round_trip_and_link_duplicates(s: &Store) {
    let a = s
        .create_report(
            &report("acoso_tocamientos", -16.4, -71.53, NOW - 600),
            None,
            NOW,
        )
        .await
        .unwrap();
    assert!(!a.replayed);
    // The officials' case id and the reporter's secret are different things.
    assert!(a.report.reference.starts_with("C-") && a.report.reference.len() == 12);
    assert!(
        a.secret.starts_with("R-") && a.secret.len() == 22,
        "{}",
        a.secret
    );
    assert_eq!(
        s.report_by_secret(&a.secret).await.unwrap().as_ref(),
        Some(&a.report)
    );
    assert_eq!(s.report_by_secret(&a.report.reference).await.unwrap(), None);
    assert_eq!(a.report.status, Status::Open);
    assert_eq!(a.report.duplicate_of, None);
    assert_eq!(a.report.gender, Some(Gender::Woman));
    assert_eq!(
        s.report(&a.report.reference).await.unwrap().as_ref(),
        Some(&a.report)
    );
    // 100 m away, an hour later, same category: linked, not merged.
    let b = s
        .create_report(
            &report("acoso_tocamientos", -16.4009, -71.53, NOW + 3000),
            None,
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        b.report.duplicate_of.as_deref(),
        Some(a.report.reference.as_str())
    );
    assert_ne!(b.report.reference, a.report.reference);
    // Other category, or 500 m away, or 3 h later: not a duplicate.
    for r in [
        report("robo", -16.4, -71.53, NOW),
        report("acoso_tocamientos", -16.4045, -71.53, NOW),
        report("acoso_tocamientos", -16.4, -71.53, NOW + 3 * 3600),
    ] {
        let c = s.create_report(&r, None, NOW).await.unwrap();
        assert_eq!(c.report.duplicate_of, None, "{r:?}");
    }
    assert_eq!(s.report("R-NOPE").await.unwrap(), None);
    // Erasure needs the secret: the case id erases nothing through the public path.
    assert!(!s.erase_report_by_secret(&a.report.reference).await.unwrap());
    assert!(s.erase_report_by_secret(&a.secret).await.unwrap());
    assert_eq!(s.report(&a.report.reference).await.unwrap(), None);
    assert_eq!(
        s.report(&b.report.reference)
            .await
            .unwrap()
            .unwrap()
            .duplicate_of,
        None,
        "the link to an erased report goes with it"
    );
}
both!(
    reports_round_trip_and_link_duplicates,
    super::reports_round_trip_and_link_duplicates
);

async fn idempotency_keys_never_duplicate(s: &Store) {
    let r = report("robo", -16.4, -71.53, NOW);
    let first = s.create_report(&r, Some("key-1"), NOW).await.unwrap();
    let again = s.create_report(&r, Some("key-1"), NOW + 5).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.report.reference, first.report.reference);
    assert_eq!(
        again.secret, first.secret,
        "the retry gets the same secret back"
    );
    let all = s
        .reports(&ReportFilter {
            from: 0,
            to: i64::MAX,
            status: None,
            category: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "a retried POST stores nothing new");
    // The same key for something else is refused, and stores nothing.
    let mut other = r.clone();
    other.description = Some("otra cosa".into());
    assert!(matches!(
        s.create_report(&other, Some("key-1"), NOW).await,
        Err(StoreError::KeyReused)
    ));
    // Concurrent retries of one submission: one report.
    let mut handles = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        let r = report("sobrecarga", -16.41, -71.52, NOW);
        handles.push(tokio::spawn(async move {
            s.create_report(&r, Some("key-2"), NOW).await
        }));
    }
    let mut refs = std::collections::BTreeSet::new();
    for h in handles {
        let c = h.await.unwrap().unwrap();
        refs.insert((c.report.reference, c.secret));
    }
    assert_eq!(refs.len(), 1, "{refs:?}");
    // What a copy of the database holds opens nothing: neither the secrets nor the keys
    // that would unseal them are in the table.
    let dump = s.idempotency_dump().await;
    assert!(dump.len() >= 10, "{dump:?}");
    let (_, secret2) = refs.into_iter().next().unwrap();
    for held in [&first.secret, &secret2] {
        let bare = held.trim_start_matches("R-");
        assert!(
            dump.iter().all(|v| !v.contains(bare)),
            "a report secret is readable in the idempotency table: {dump:?}"
        );
    }
    assert!(
        dump.iter()
            .all(|v| !v.contains("key-1") && !v.contains("key-2"))
    );
    // A day later the keys are expired.
    assert_eq!(
        s.expire_idempotency_keys(NOW + IDEMPOTENCY_TTL_S + 1)
            .await
            .unwrap(),
        2
    );
}
both!(
    idempotency_keys_never_duplicate,
    super::idempotency_keys_never_duplicate
);

async fn status_workflow_moves_forward_with_notes(s: &Store) {
    let r = s
        .create_report(&report("robo", -16.4, -71.53, NOW), None, NOW)
        .await
        .unwrap()
        .report;
    let ack = s
        .change_status(
            &r.reference,
            Status::Acknowledged,
            "Recibido",
            "ana",
            NOW + 60,
        )
        .await
        .unwrap();
    assert_eq!(ack.status, Status::Acknowledged);
    assert_eq!(ack.acknowledged_at, Some(NOW + 60));
    assert!(matches!(
        s.change_status(&r.reference, Status::Open, "x", "ana", NOW + 61)
            .await,
        Err(StoreError::BadTransition { .. })
    ));
    let closed = s
        .change_status(
            &r.reference,
            Status::Closed,
            "Se habló con la empresa",
            "luis",
            NOW + 3600,
        )
        .await
        .unwrap();
    assert_eq!(closed.closed_at, Some(NOW + 3600));
    assert_eq!(closed.acknowledged_at, Some(NOW + 60), "kept");
    let events = s.report_events(&r.reference).await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.status, e.note.as_str(), e.official.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (Status::Acknowledged, "Recibido", "ana"),
            (Status::Closed, "Se habló con la empresa", "luis")
        ]
    );
    assert!(matches!(
        s.change_status("R-NOPE", Status::Closed, "", "x", NOW)
            .await,
        Err(StoreError::UnknownReport(_))
    ));
}
both!(
    status_workflow_moves_forward_with_notes,
    super::status_workflow_moves_forward_with_notes
);

async fn trips_are_grouped_and_erasable(s: &Store) {
    let trips = vec![
        trip(7, Some(Gender::Woman), Some("rider-a")),
        trip(7, Some(Gender::Woman), None),
        trip(7, None, None),
        trip(18, Some(Gender::Man), Some("rider-a")),
    ];
    s.record_trips(&trips).await.unwrap();
    assert_eq!(s.count_trips().await.unwrap(), 4);
    let mut groups = s.trip_groups("0000-01-01", "9999-12-31").await.unwrap();
    groups.sort_by_key(|g| (g.local_hour, g.gender.clone()));
    let summary: Vec<(u8, Option<&str>, i64, i64)> = groups
        .iter()
        .map(|g| (g.local_hour, g.gender.as_deref(), g.trips, g.travel_s))
        .collect();
    assert_eq!(
        summary,
        vec![
            (7, None, 1, 1200),
            (7, Some("mujer"), 2, 2400),
            (18, Some("hombre"), 1, 1200)
        ]
    );
    s.add_survey(&NewSurvey {
        answered_at: NOW,
        local_hour: 7,
        route_id: Some("r1".into()),
        safety: Some(2),
        satisfaction: Some(3),
        gender: Some(Gender::Woman),
        age_band: None,
        channel: Channel::Bot,
        rider: Some("rider-a".into()),
    })
    .await
    .unwrap();
    let rep = s
        .create_report(&report("robo", -16.4, -71.53, NOW), None, NOW)
        .await
        .unwrap();
    let erased = s.erase_rider("rider-a").await.unwrap();
    assert_eq!(
        erased,
        Erased {
            trips: 2,
            surveys: 1,
            reports_unlinked: 1
        }
    );
    assert_eq!(s.count_trips().await.unwrap(), 2);
    // The report stays for the officials, no longer linked to the rider.
    assert!(s.report(&rep.report.reference).await.unwrap().is_some());
    assert_eq!(s.erase_rider("rider-a").await.unwrap().trips, 0);
    // Retention.
    assert_eq!(s.delete_trips_before(NOW + 1).await.unwrap(), 2);
    assert_eq!(s.count_trips().await.unwrap(), 0);
}
both!(
    trips_are_grouped_and_erasable,
    super::trips_are_grouped_and_erasable
);

async fn officials_tokens_are_hashed_and_revocable(s: &Store) {
    let token = s.create_official("ana", Role::Editor, NOW).await.unwrap();
    assert!(token.starts_with("pdr_") && token.len() > 40);
    let who = s.authenticate(&token).await.unwrap().unwrap();
    assert_eq!(
        who,
        Official {
            name: "ana".into(),
            role: Role::Editor,
            agencies: vec![],
        }
    );
    // An operator's token speaks for its agencies, and for nothing of the observatory.
    let agencies = ["arequipa:0".to_string(), "arequipa:3".to_string()];
    let op = s
        .create_operator("transcayma", &agencies, NOW)
        .await
        .unwrap();
    let who = s.authenticate(&op).await.unwrap().unwrap();
    assert_eq!(
        (who.role, who.agencies),
        (Role::Operator, agencies.to_vec())
    );
    assert!(Role::Operator < Role::Viewer);
    assert_eq!(s.authenticate("pdr_wrong").await.unwrap(), None);
    assert_eq!(s.authenticate("").await.unwrap(), None);
    assert_eq!(s.revoke_official("ana", NOW).await.unwrap(), 1);
    assert_eq!(s.authenticate(&token).await.unwrap(), None);
}
both!(
    officials_tokens_are_hashed_and_revocable,
    super::officials_tokens_are_hashed_and_revocable
);

/// Pushed positions shared between processes: written, read back from a time on, in order,
/// and deleted once old.
async fn live_positions_are_shared_then_forgotten(s: &Store) {
    let ms = NOW * 1000;
    let a = s.put_live_positions("p1", "[1]", ms).await.unwrap();
    let b = s.put_live_positions("p2", "[2]", ms + 500).await.unwrap();
    let all = s.live_positions_since(ms).await.unwrap();
    assert_eq!(
        all,
        vec![(a, ms, "[1]".to_string()), (b, ms + 500, "[2]".to_string())]
    );
    assert_eq!(s.live_positions_since(ms + 1).await.unwrap().len(), 1);
    assert_eq!(s.delete_live_positions_before(ms + 500).await.unwrap(), 1);
    assert_eq!(s.live_positions_since(0).await.unwrap()[0].0, b);
}
both!(
    live_positions_are_shared_then_forgotten,
    super::live_positions_are_shared_then_forgotten
);

/// An updated seed becomes the next version of an unchanged earlier seed, and never
/// overrides what officials published or retired.
async fn updated_seeds_become_versions_but_never_override_officials(s: &Store) {
    let latest = |s: &Store| {
        let s = s.clone();
        async move {
            let v = s.surveys_latest().await.unwrap();
            let p = v.iter().find(|x| x.code == "perfil").unwrap();
            (
                p.version,
                p.body.clone(),
                p.created_by.clone(),
                p.retired_at.is_some(),
            )
        }
    };
    assert!(s.seed_survey("perfil", "A", 0, NOW).await.unwrap());
    assert!(!s.seed_survey("perfil", "A", 0, NOW).await.unwrap());
    assert_eq!(latest(s).await, (1, "A".into(), "seed".into(), false));
    assert!(s.seed_survey("perfil", "B", 0, NOW + 1).await.unwrap());
    assert_eq!(latest(s).await, (2, "B".into(), "seed".into(), false));
    assert_eq!(
        s.survey_version("perfil", 1).await.unwrap().unwrap().body,
        "A"
    );
    // An official's version stays the latest; so does a retirement.
    assert_eq!(
        s.publish_survey("perfil", "O", "ana", NOW + 2)
            .await
            .unwrap(),
        3
    );
    assert!(!s.seed_survey("perfil", "C", 0, NOW + 3).await.unwrap());
    assert_eq!(latest(s).await, (3, "O".into(), "ana".into(), false));
    assert!(s.seed_survey("mujeres", "M", 1, NOW).await.unwrap());
    assert!(s.retire_survey("mujeres", NOW + 1).await.unwrap());
    assert!(!s.seed_survey("mujeres", "M2", 1, NOW + 2).await.unwrap());
}

both!(
    updated_seeds_become_versions_but_never_override_officials,
    super::updated_seeds_become_versions_but_never_override_officials
);

#[tokio::test]
async fn bad_urls_are_clear_errors() {
    let e = Store::open("mysql://x").await.unwrap_err();
    assert!(e.to_string().contains("sqlite://"), "{e}");
    let e = Store::open("postgres://nobody@127.0.0.1:1/x")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cannot open the database"), "{e}");
}

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/p.db", dir.path().display());
    let s = Store::open(&url).await.unwrap();
    let r = s
        .create_report(&report("robo", -16.4, -71.53, NOW), None, NOW)
        .await
        .unwrap();
    s.close().await;
    let s = Store::open(&url).await.unwrap();
    assert!(s.report(&r.report.reference).await.unwrap().is_some());
}

async fn bot_chats_and_the_notification_outbox(s: &Store) {
    use store::BotChat;
    assert_eq!(s.bot_chat(42).await.unwrap(), None);
    let mut chat = BotChat {
        chat_id: 42,
        rider: "rider-a".into(),
        lang: "qu".into(),
        state: r#"{"step":{"step":"idle"}}"#.into(),
    };
    s.save_bot_chat(&chat, NOW).await.unwrap();
    chat.state = r#"{"step":{"step":"report_category"}}"#.into();
    s.save_bot_chat(&chat, NOW + 1).await.unwrap();
    assert_eq!(
        s.bot_chat(42).await.unwrap(),
        Some(chat.clone()),
        "upserted"
    );

    // A report of the chat's rider, and one of nobody's.
    let mine = s
        .create_report(&report("robo", -16.4, -71.53, NOW), None, NOW)
        .await
        .unwrap()
        .report;
    let mut anon = report("robo", -16.3, -71.6, NOW);
    anon.rider = None;
    let theirs = s.create_report(&anon, None, NOW).await.unwrap().report;
    assert_eq!(
        s.reports_of_rider("rider-a", 10)
            .await
            .unwrap()
            .iter()
            .map(|r| r.reference.as_str())
            .collect::<Vec<_>>(),
        vec![mine.reference.as_str()]
    );
    assert!(s.pending_notifications(10).await.unwrap().is_empty());
    for r in [&mine, &theirs] {
        s.change_status(
            &r.reference,
            Status::Acknowledged,
            "Lo vemos",
            "ana",
            NOW + 5,
        )
        .await
        .unwrap();
    }
    let pending = s.pending_notifications(10).await.unwrap();
    assert_eq!(
        pending.len(),
        1,
        "only the linked report is told: {pending:?}"
    );
    let n = &pending[0];
    assert_eq!(
        (
            n.chat_id,
            n.lang.as_str(),
            n.reference.as_str(),
            n.status,
            n.note.as_str()
        ),
        (
            42,
            "qu",
            mine.reference.as_str(),
            Status::Acknowledged,
            "Lo vemos"
        )
    );
    assert!(s.claim_notification(n.id, NOW + 6).await.unwrap());
    assert!(
        !s.claim_notification(n.id, NOW + 6).await.unwrap(),
        "claimed once"
    );
    assert!(s.pending_notifications(10).await.unwrap().is_empty());
    s.release_notification(n.id).await.unwrap();
    assert_eq!(
        s.pending_notifications(10).await.unwrap().len(),
        1,
        "given back"
    );
    assert!(s.claim_notification(n.id, NOW + 7).await.unwrap());

    // Erasure: the chat, its pending notifications and the link to its reports go.
    s.change_status(&mine.reference, Status::Closed, "Listo", "ana", NOW + 7)
        .await
        .unwrap();
    assert_eq!(s.pending_notifications(10).await.unwrap().len(), 1);
    let e = s.erase_rider("rider-a").await.unwrap();
    assert_eq!(e.reports_unlinked, 1);
    assert!(s.delete_bot_chat(42).await.unwrap());
    assert!(!s.delete_bot_chat(42).await.unwrap());
    assert_eq!(s.bot_chat(42).await.unwrap(), None);
    assert!(s.pending_notifications(10).await.unwrap().is_empty());
    assert!(s.reports_of_rider("rider-a", 10).await.unwrap().is_empty());
    assert_eq!(
        s.report(&mine.reference).await.unwrap().unwrap().status,
        Status::Closed,
        "kept"
    );
    let h1 = store::new_handle();
    assert_eq!(h1.len(), 32);
    assert_ne!(h1, store::new_handle());
}
both!(
    bot_chats_and_the_notification_outbox,
    super::bot_chats_and_the_notification_outbox
);

/// Photo files whose row never committed (a crash in between) or whose report was erased
/// while the file could not be deleted are swept; the files of live photos stay.
#[tokio::test]
async fn photo_files_without_a_row_are_swept_and_live_ones_kept() {
    let f = sqlite().await;
    let dir = match f.store.photo_storage() {
        PhotoStorage::Files(dir) => dir.clone(),
        other => panic!("a SQLite store keeps photos in files, not {other:?}"),
    };
    let created = f
        .store
        .create_report(&report("robo", -16.3989, -71.5369, NOW), None, NOW)
        .await
        .unwrap();
    let photo = NewPhoto {
        content_type: "image/jpeg".into(),
        width: 1,
        height: 1,
        bytes: vec![0xFF, 0xD8, 0xFF, 0xD9],
    };
    let added = f
        .store
        .add_photo_by_secret(&created.secret, &photo, 3, NOW)
        .await
        .unwrap();
    let AddPhoto::Added(meta) = added else {
        panic!("{added:?}")
    };
    // An orphan and an unfinished temporary file, as a crash would leave them: while they
    // are young they may be a write still in progress, and stay.
    let orphan = dir.join("0123456789abcdef0123456789abcdef.jpg");
    let tmp = dir.join(".feedfeedfeedfeedfeedfeedfeedfeed.tmp");
    std::fs::write(&orphan, b"x").unwrap();
    std::fs::write(&tmp, b"x").unwrap();
    assert_eq!(
        f.store.sweep_photo_files(PHOTO_SWEEP_AFTER).await.unwrap(),
        0
    );
    assert!(orphan.exists() && tmp.exists());
    // An hour later they are orphans for sure.
    age(&orphan, PHOTO_SWEEP_AFTER);
    age(&tmp, PHOTO_SWEEP_AFTER);
    age(&dir.join(format!("{}.jpg", meta.id)), PHOTO_SWEEP_AFTER);
    assert_eq!(
        f.store.sweep_photo_files(PHOTO_SWEEP_AFTER).await.unwrap(),
        1
    );
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, [format!("{}.jpg", meta.id)]);
    let (_, bytes) = f.store.photo(&meta.case, &meta.id).await.unwrap().unwrap();
    assert_eq!(bytes, photo.bytes);
    // A second photo over a limit of one is refused and leaves no file.
    let full = f
        .store
        .add_photo_by_secret(&created.secret, &photo, 1, NOW)
        .await
        .unwrap();
    assert_eq!(full, AddPhoto::Full(1));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

/// Sets a file's modification time `by` (plus a minute) into the past.
fn age(path: &std::path::Path, by: std::time::Duration) {
    let then = std::time::SystemTime::now() - by - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(then)
        .unwrap();
}

/// Another store on the SQLite file of `f`, as a second process would open it, and the
/// folder of `f`'s photos.
async fn another_process(f: &Fresh) -> (Store, std::path::PathBuf) {
    let PhotoStorage::Files(dir) = f.store.photo_storage().clone() else {
        panic!("a SQLite store keeps photos in files")
    };
    let url = format!(
        "sqlite://{}",
        dir.parent().unwrap().join("paradero.db").display()
    );
    (Store::open(&url).await.unwrap(), dir)
}

/// The race a second round of attacks found: a photo's file is renamed into place, its row
/// waits for SQLite's write lock (another process is writing), and meanwhile another process
/// sweeps the folder. The file must survive, the row commit, and the photo be readable.
#[tokio::test]
async fn a_sweep_never_takes_the_file_of_a_photo_still_committing() {
    let f = sqlite().await;
    let (writer, dir) = another_process(&f).await;
    let created = f
        .store
        .create_report(&report("robo", -16.3989, -71.5369, NOW), None, NOW)
        .await
        .unwrap();
    // Two more processes on the same file: one writing, one sweeping.
    let sweeper = another_process(&f)
        .await
        .0
        .with_photo_storage(PhotoStorage::Files(dir.clone()));
    let held = writer.hold_write().await.unwrap();
    let photo = NewPhoto {
        content_type: "image/jpeg".into(),
        width: 1,
        height: 1,
        bytes: vec![0xFF, 0xD8, 0xFF, 0xD9],
    };
    let adding = {
        let (store, secret, photo) = (f.store.clone(), created.secret.clone(), photo.clone());
        tokio::spawn(async move { store.add_photo_by_secret(&secret, &photo, 3, NOW).await })
    };
    // Wait until the file is in place (its row cannot commit while the lock is held).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
    while std::fs::read_dir(&dir).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".jpg"))
        })
        .count()
    }) == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the photo file never appeared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        sweeper.sweep_photo_files(PHOTO_SWEEP_AFTER).await.unwrap(),
        0
    );
    drop(held);
    let added = adding.await.unwrap().unwrap();
    let AddPhoto::Added(meta) = added else {
        panic!("{added:?}")
    };
    let (_, bytes) = f.store.photo(&meta.case, &meta.id).await.unwrap().unwrap();
    assert_eq!(bytes, photo.bytes, "an acknowledged photo lost its file");
}

/// A write cancelled while it waits for `BEGIN IMMEDIATE` (a client that hung up while
/// another process held the write lock) must not put its connection back in the pool inside
/// the transaction its BEGIN opens later.
#[tokio::test]
async fn a_write_cancelled_while_beginning_leaves_no_connection_in_a_transaction() {
    let f = sqlite().await;
    let (other, _) = another_process(&f).await;
    for round in 0..5 {
        let held = other.hold_write().await.unwrap();
        let r = report("robo", -16.3989, -71.5369, NOW + round);
        let cancelled = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            f.store.create_report(&r, None, NOW),
        )
        .await;
        assert!(
            cancelled.is_err(),
            "the write should still be waiting for the lock"
        );
        drop(held);
        // The cancelled BEGIN goes on in SQLite's worker and takes the lock once it is free.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(f.store.connections_left_in_a_transaction().await, 0);
        let r = report("robo", -16.3989, -71.5369, NOW + 100 + round);
        tokio::time::timeout(
            std::time::Duration::from_secs(3),
            f.store.create_report(&r, None, NOW),
        )
        .await
        .expect("a write after the cancelled one must not wait for a lost transaction")
        .expect("and it must commit");
    }
}

/// A disconnect storm: hundreds of writes cancelled at random points (before, during and
/// after BEGIN, inside the transaction, during COMMIT) by clients that hang up, two stores
/// writing the same file. Afterwards no pooled connection is inside a transaction, every
/// write that returned Ok is there, and writes go on at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_storm_leaves_every_connection_clean() {
    let f = sqlite().await;
    let (other, _) = another_process(&f).await;
    let mut tasks = Vec::new();
    for w in 0..8u64 {
        let store = if w % 2 == 0 {
            f.store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            let mut kept = Vec::new();
            for i in 0..60u64 {
                let at = NOW + i64::try_from(w * 1000 + i).unwrap();
                let r = report("robo", -16.3989, -71.5369, at);
                // Spread from "at once" to "after it would have finished".
                let after = std::time::Duration::from_micros((w * 7919 + i * 104_729) % 3000);
                if let Ok(Ok(c)) =
                    tokio::time::timeout(after, store.create_report(&r, None, at)).await
                {
                    kept.push(c.report.reference);
                }
            }
            kept
        }));
    }
    let mut kept = Vec::new();
    for t in tasks {
        kept.extend(t.await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(f.store.connections_left_in_a_transaction().await, 0);
    assert_eq!(other.connections_left_in_a_transaction().await, 0);
    for reference in &kept {
        assert!(
            f.store.report(reference).await.unwrap().is_some(),
            "acknowledged report {reference} is missing"
        );
    }
    let r = report("robo", -16.3989, -71.5369, NOW);
    tokio::time::timeout(
        std::time::Duration::from_secs(3),
        f.store.create_report(&r, None, NOW),
    )
    .await
    .expect("writes go on after the storm")
    .unwrap();
}
