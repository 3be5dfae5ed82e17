//! Surveys as data: listed in the asker's language, read by code, retired by admins only.

use crate::fresh;
use app::{Error, Role};

#[tokio::test]
async fn the_bundled_surveys_are_listed_read_and_retired_by_admins_only() {
    let f = fresh().await;
    let o = &f.obs;
    let codes = |list: &[app::questionnaires::SurveyView]| {
        let mut c: Vec<String> = list.iter().map(|s| s.code.clone()).collect();
        c.sort();
        c
    };
    let es = app::questionnaires::list(o, i18n::Lang::Es).await.unwrap();
    let qu = app::questionnaires::list(o, i18n::Lang::Qu).await.unwrap();
    assert_eq!(codes(&es), ["accesibilidad", "mujeres", "perfil"]);
    assert_eq!(codes(&qu), codes(&es));
    for (a, b) in es.iter().zip(&qu) {
        assert!(!a.questions.is_empty(), "{}", a.code);
        assert_ne!(
            a.title, b.title,
            "{}: one title in Spanish and Quechua",
            a.code
        );
    }
    let lang = i18n::Lang::Es;
    let (def, version) = app::questionnaires::get(o, "mujeres", None, lang)
        .await
        .unwrap();
    assert_eq!((def.code.as_str(), version), ("mujeres", 1));
    let e = app::questionnaires::get(o, "nada", None, lang).await;
    assert!(matches!(e, Err(Error::NotFound(_))), "{e:?}");

    let store = o.store();
    let (viewer, admin) = (
        store.create_official("ana", Role::Viewer, 0).await.unwrap(),
        store.create_official("rosa", Role::Admin, 0).await.unwrap(),
    );
    let who = |t: String| async move {
        app::officials::authenticate(o, Some(&t), Role::Viewer, lang)
            .await
            .unwrap()
    };
    let (viewer, admin) = (who(viewer).await, who(admin).await);
    let e = app::questionnaires::retire(o, &viewer, "mujeres", lang).await;
    assert!(matches!(e, Err(Error::Forbidden(_))), "{e:?}");
    app::questionnaires::retire(o, &admin, "mujeres", lang)
        .await
        .unwrap();
    let after = app::questionnaires::list(o, lang).await.unwrap();
    assert_eq!(codes(&after), ["accesibilidad", "perfil"]);
    // Its version stays readable (answers given keep their meaning); the latest does not.
    assert!(
        app::questionnaires::get(o, "mujeres", Some(1), lang)
            .await
            .is_ok()
    );
    let e = app::questionnaires::get(o, "mujeres", None, lang).await;
    assert!(matches!(e, Err(Error::NotFound(_))), "{e:?}");
    let e = app::questionnaires::retire(o, &admin, "mujeres", lang).await;
    assert!(matches!(e, Err(Error::NotFound(_))), "retired twice: {e:?}");
}
