//! Following reports: by the reporter's secret, or by case id with an official's token; a
//! public lookup takes the same time found or not.

use crate::{at_the_plaza, file, fresh};
use app::reports::LOOKUP_FLOOR;
use i18n::Lang;
use store::{Channel, Role};

#[tokio::test]
async fn reports_are_followed_by_secret_publicly_and_by_case_id_by_officials() {
    let f = fresh().await;
    let (o, a) = (&f.obs, &f.app);
    let secret = file(a, &at_the_plaza("acoso_verbal", None, Channel::Api)).await;
    let started = std::time::Instant::now();
    let found = a
        .follow_reports(&[&secret, "nope", "C-UNKNOWN"], None, Lang::Es)
        .await
        .unwrap();
    assert!(started.elapsed() >= LOOKUP_FLOOR);
    // Found by its secret, answered under the id it was asked by; unknown ids left out.
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, secret);
    let case = found[0].1.report.reference.clone();
    assert!(case.starts_with("C-") && case != secret);
    // Nothing found publicly still takes the floor, and a case id opens nothing publicly.
    let started = std::time::Instant::now();
    assert!(
        a.follow_reports(&[&case], None, Lang::Es)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(started.elapsed() >= LOOKUP_FLOOR);
    // An official reads by case id, not by secret; a role below viewer cannot exist, but a
    // token's official is checked again here.
    let token = o
        .store()
        .create_official("vera", Role::Viewer, 0)
        .await
        .unwrap();
    let who = a
        .authenticate(Some(&token), Role::Viewer, Lang::Es)
        .await
        .unwrap();
    let by_case = a
        .follow_reports(&[&case, &secret], Some(&who), Lang::Es)
        .await
        .unwrap();
    assert_eq!(by_case.len(), 1);
    assert_eq!(by_case[0].1.report.reference, case);
    assert_eq!(
        by_case[0].1.report.description.as_deref(),
        Some("un hombre me siguió")
    );
}

#[tokio::test]
async fn officials_list_reports_with_their_history() {
    let f = fresh().await;
    let (o, a) = (&f.obs, &f.app);
    file(a, &at_the_plaza("acoso_verbal", None, Channel::Web)).await;
    file(a, &at_the_plaza("robo", None, Channel::Bot)).await;
    let viewer = o
        .store()
        .create_official("vera", Role::Viewer, 0)
        .await
        .unwrap();
    let editor = o
        .store()
        .create_official("edu", Role::Editor, 0)
        .await
        .unwrap();
    let auth = |t: String| async move {
        a.authenticate(Some(&t), Role::Viewer, Lang::Es)
            .await
            .unwrap()
    };
    let (viewer, editor) = (auth(viewer).await, auth(editor).await);
    let filter = store::ReportFilter {
        from: 0,
        to: i64::MAX,
        status: None,
        category: None,
        limit: 10,
    };
    let listed = a
        .followed_reports(&viewer, &filter, Lang::Es)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|f| f.history.is_empty()));
    // As stored, with the place and the words the reporter gave.
    let raw = a.reports(&viewer, &filter, Lang::Es).await.unwrap();
    assert_eq!(raw.len(), 2);
    assert!(
        raw.iter()
            .all(|r| r.description.as_deref() == Some("un hombre me siguió"))
    );
    let case = listed[0].report.reference.clone();
    a.change_status(
        &editor,
        &case,
        store::Status::Acknowledged,
        "visto",
        Lang::Es,
    )
    .await
    .unwrap();
    // A viewer may read but not move a report.
    let refused = a
        .change_status(&viewer, &case, store::Status::Closed, "", Lang::Es)
        .await
        .unwrap_err();
    assert!(matches!(refused, app::Error::Forbidden(_)), "{refused:?}");
    let listed = a
        .followed_reports(&viewer, &filter, Lang::Es)
        .await
        .unwrap();
    let moved = listed.iter().find(|f| f.report.reference == case).unwrap();
    assert_eq!(moved.history.len(), 1);
    assert_eq!(moved.history[0].note, "visto");
}

#[tokio::test]
async fn filing_is_one_call_that_stores_nothing_it_refuses_and_replays_a_retry() {
    let f = crate::fresh().await;
    let app = crate::app_with(Some(std::sync::Arc::clone(&f.obs)));
    let lang = i18n::Lang::Es;
    let good = crate::at_the_plaza("acoso_verbal", None, app::Channel::Api);
    let mut unknown = good.clone();
    unknown.category = Some("no_such_category");
    let mut far = good.clone();
    (far.lat, far.lon) = (Some(-12.0464), Some(-77.0428));
    for bad in [&unknown, &far] {
        let e = app.file_report(bad, None, lang).await.unwrap_err();
        assert!(
            matches!(e, app::Error::Unprocessable(_) | app::Error::Invalid(_)),
            "{e:?}"
        );
    }
    let first = app.file_report(&good, Some("k-1"), lang).await.unwrap();
    let again = app.file_report(&good, Some("k-1"), lang).await.unwrap();
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.secret, again.secret, "a retry is the same report");
    let all = f
        .obs
        .store()
        .reports(&app::ReportFilter {
            from: 0,
            to: app::now_unix() + 10,
            status: None,
            category: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "only the good report, once");
    // Without an observatory there is nothing to file into.
    let bare = crate::app_with(None);
    let e = bare.file_report(&good, None, lang).await.unwrap_err();
    assert!(matches!(e, app::Error::NotFound(_)), "{e:?}");
}
