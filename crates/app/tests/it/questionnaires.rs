//! Surveys as data: listed in the asker's language, read by code, retired by admins only.

use crate::fresh;
use app::{Error, Role};

#[tokio::test]
async fn the_bundled_surveys_are_listed_read_and_retired_by_admins_only() {
    let f = fresh().await;
    let (o, a) = (&f.obs, &f.app);
    let codes = |list: &[app::questionnaires::SurveyView]| {
        let mut c: Vec<String> = list.iter().map(|s| s.code.clone()).collect();
        c.sort();
        c
    };
    let es = a.questionnaires(i18n::Lang::Es).await.unwrap();
    let qu = a.questionnaires(i18n::Lang::Qu).await.unwrap();
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
    let (def, version) = a.questionnaire("mujeres", None, lang).await.unwrap();
    assert_eq!((def.code.as_str(), version), ("mujeres", 1));
    let e = a.questionnaire("nada", None, lang).await;
    assert!(matches!(e, Err(Error::NotFound(_))), "{e:?}");

    let store = o.store();
    let (viewer, admin) = (
        store.create_official("ana", Role::Viewer, 0).await.unwrap(),
        store.create_official("rosa", Role::Admin, 0).await.unwrap(),
    );
    let who =
        |t: String| async move { a.authenticate(Some(&t), Role::Viewer, lang).await.unwrap() };
    let (viewer, admin) = (who(viewer).await, who(admin).await);
    let e = a.retire_questionnaire(&viewer, "mujeres", lang).await;
    assert!(matches!(e, Err(Error::Forbidden(_))), "{e:?}");
    a.retire_questionnaire(&admin, "mujeres", lang)
        .await
        .unwrap();
    let after = a.questionnaires(lang).await.unwrap();
    assert_eq!(codes(&after), ["accesibilidad", "perfil"]);
    // Its version stays readable (answers given keep their meaning); the latest does not.
    assert!(a.questionnaire("mujeres", Some(1), lang).await.is_ok());
    let e = a.questionnaire("mujeres", None, lang).await;
    assert!(matches!(e, Err(Error::NotFound(_))), "{e:?}");
    let e = a.retire_questionnaire(&admin, "mujeres", lang).await;
    assert!(matches!(e, Err(Error::NotFound(_))), "retired twice: {e:?}");
}
