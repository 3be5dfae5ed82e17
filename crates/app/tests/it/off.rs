//! A deployment without the observatory (`observatory.enabled = false`): every use case of
//! the observatory answers "not found" in the asker's language, and changes nothing.

use crate::{app_with, at_the_plaza};
use app::{Channel, Error, Official, ReportFilter, Role, Status};
use i18n::Lang;

#[tokio::test]
async fn every_use_case_of_the_observatory_says_it_is_off_in_the_askers_language() {
    let a = app_with(None);
    let who = Official {
        name: "ana".into(),
        role: Role::Admin,
        agencies: vec![],
    };
    let filter = ReportFilter {
        from: 0,
        to: i64::MAX,
        status: None,
        category: None,
        limit: 10,
    };
    let report = at_the_plaza("robo", None, Channel::Api);
    let edit = app::categories::CategoryEdit {
        group: None,
        family: None,
        es: "Robo".into(),
        en: None,
        qu: None,
        position: None,
    };
    let rating = app::ratings::RatingInput {
        route_id: None,
        safety: Some(3),
        satisfaction: Some(3),
        at: None,
        gender: None,
        age_band: None,
        channel: Channel::Api,
        rider: None,
    };
    let answer = app::questionnaires::AnswerInput::default();
    let query = app::indicators::IndicatorQuery::default();
    let chat = app::riders::BotChat {
        chat_id: 1,
        rider: "r".into(),
        lang: "es".into(),
        state: "{}".into(),
    };
    for lang in [Lang::Es, Lang::En, Lang::Qu] {
        let said = i18n::t(lang, "obs.unavailable", &[]);
        // (use case, its answer as an error) — each must be NotFound with that message.
        let answers: Vec<(&str, Option<Error>)> = vec![
            (
                "authenticate",
                a.authenticate(Some("t"), Role::Viewer, lang).await.err(),
            ),
            ("check_report", a.check_report(&report, lang).err()),
            (
                "file_report",
                a.file_report(&report, None, lang).await.err(),
            ),
            (
                "follow_report",
                a.follow_report("R-x", None, lang).await.err(),
            ),
            (
                "follow_reports",
                a.follow_reports(&["R-x"], None, lang).await.err(),
            ),
            (
                "followed_reports",
                a.followed_reports(&who, &filter, lang).await.err(),
            ),
            ("reports", a.reports(&who, &filter, lang).await.err()),
            (
                "change_status",
                a.change_status(&who, "C-x", Status::Closed, "", lang)
                    .await
                    .err(),
            ),
            ("erase_report", a.erase_report("R-x", lang).await.err()),
            (
                "add_photo",
                a.add_photo("R-x", None, vec![1, 2, 3], lang).await.err(),
            ),
            ("photos", a.photos(&who, &["C-x".into()], lang).await.err()),
            ("photo", a.photo(&who, "C-x", "p", lang).await.err()),
            (
                "put_category",
                a.put_category(&who, "robo", &edit, lang).await.err(),
            ),
            (
                "retire_category",
                a.retire_category(&who, "robo", false, lang).await.err(),
            ),
            ("rate_ride", a.rate_ride(&rating, lang).await.err()),
            ("questionnaires", a.questionnaires(lang).await.err()),
            (
                "questionnaire",
                a.questionnaire("mujeres", None, lang).await.err(),
            ),
            (
                "answer_questionnaire",
                a.answer_questionnaire("mujeres", &answer, lang).await.err(),
            ),
            (
                "publish_questionnaire",
                a.publish_questionnaire(&who, "x", "", lang).await.err(),
            ),
            (
                "retire_questionnaire",
                a.retire_questionnaire(&who, "x", lang).await.err(),
            ),
            (
                "export_questionnaire",
                a.export_questionnaire(&who, "x", (0, 1), false, lang)
                    .await
                    .err(),
            ),
            ("indicators", a.indicators(&query, lang).await.err()),
            (
                "internal_figures",
                a.internal_figures(&who, (0, 1), lang).await.err(),
            ),
            ("rider_chat", a.rider_chat(1, lang).await.err()),
            (
                "save_rider_chat",
                a.save_rider_chat(&chat, lang).await.err(),
            ),
            ("rider_reports", a.rider_reports("r", 10, lang).await.err()),
            ("erase_rider", a.erase_rider("r", 1, lang).await.err()),
        ];
        for (case, got) in answers {
            assert_eq!(
                got,
                Some(Error::NotFound(said.clone())),
                "{case} in {lang:?}"
            );
        }
    }
    // What the chatbot's outbox and the page ask in the background: nothing, quietly.
    assert_eq!(a.pending_notifications(10).await, Ok(Vec::new()));
    assert_eq!(a.any_released().await, None);
}
