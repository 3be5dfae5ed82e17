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

/// A questionnaire of one question, as an admin would send it.
fn paradero() -> String {
    let l = |es: &str, en: &str, qu: &str| serde_json::json!({ "es": es, "en": en, "qu": qu });
    serde_json::json!({
        "code": "paradero",
        "title": l("Tu paradero", "Your stop", "Paraderoyki"),
        "intro": l("Una pregunta.", "One question.", "Huk tapukuy."),
        "outro": l("Gracias.", "Thank you.", "Sulpayki."),
        "questions": [{
            "code": "luz",
            "kind": "single",
            "text": l("¿Tu paradero tiene luz de noche?", "Is your stop lit at night?",
                "¿Paraderoykiqa tutapi k'anchayniyuqchu?"),
            "options": [
                { "code": "si", "label": l("Sí", "Yes", "Arí") },
                { "code": "no", "label": l("No", "No", "Manam") },
            ],
        }],
    })
    .to_string()
}

#[tokio::test]
async fn an_admin_publishes_a_questionnaire_riders_answer_it_and_officials_export_it() {
    let f = fresh().await;
    let a = &f.app;
    let lang = i18n::Lang::Es;
    let viewer = f.official("ana", Role::Viewer).await;
    let admin = f.official("rosa", Role::Admin).await;
    let e = a
        .publish_questionnaire(&viewer, "paradero", &paradero(), lang)
        .await;
    assert!(matches!(e, Err(Error::Forbidden(_))), "{e:?}");
    let e = a
        .publish_questionnaire(&admin, "paradero", "code = ", lang)
        .await;
    assert!(
        matches!(e, Err(Error::Invalid(_) | Error::Unprocessable(_))),
        "{e:?}"
    );
    let published = a
        .publish_questionnaire(&admin, "paradero", &paradero(), lang)
        .await
        .unwrap();
    assert_eq!(
        (published.code.as_str(), published.version),
        ("paradero", 1)
    );

    // (answer, accepted): a known option; an option the question does not have.
    let answer = |option: &str| app::questionnaires::AnswerInput {
        answers: [(
            "luz".to_string(),
            app::questionnaire::Given::Text(option.into()),
        )]
        .into_iter()
        .collect(),
        channel: Some(app::Channel::Web),
        ..Default::default()
    };
    let recorded = a
        .answer_questionnaire("paradero", &answer("no"), lang)
        .await
        .unwrap();
    assert_eq!((recorded.version, recorded.outro.as_str()), (1, "Gracias."));
    let e = a
        .answer_questionnaire("paradero", &answer("tal_vez"), lang)
        .await;
    assert!(
        matches!(e, Err(Error::Invalid(_) | Error::Unprocessable(_))),
        "{e:?}"
    );

    let now = app::now_unix();
    let csv = a
        .export_questionnaire(&viewer, "paradero", (now - 60, now + 60), false, lang)
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "a header and the one answer: {csv}");
    assert!(lines[1].contains(",luz,no,"), "{csv}");
    let e = a
        .export_questionnaire(&viewer, "nada", (now - 60, now + 60), false, lang)
        .await;
    assert!(matches!(e, Err(Error::NotFound(_))), "{e:?}");
}
