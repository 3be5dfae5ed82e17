//! A chat rider's own things: their reports, erasure, and the notifications of their
//! reports' changes (claimed once, given back when sending failed).

use crate::{at_the_plaza, file, fresh};
use app::riders;
use i18n::Lang;
use store::{Channel, Role};

#[tokio::test]
async fn a_rider_sees_their_reports_is_notified_once_and_can_erase_everything() {
    let f = fresh().await;
    let o = &f.obs;
    let chat = riders::BotChat {
        chat_id: 42,
        rider: "rider-1".into(),
        lang: "qu".into(),
        state: "{}".into(),
    };
    riders::save_chat(o, &chat, Lang::Es).await.unwrap();
    assert_eq!(
        riders::chat(o, 42, Lang::Es).await.unwrap(),
        Some(chat.clone())
    );
    let secret = file(
        o,
        &at_the_plaza("acoso_verbal", Some("rider-1"), Channel::Bot),
    )
    .await;
    file(o, &at_the_plaza("robo", Some("someone-else"), Channel::Bot)).await;
    let mine = riders::reports_of(o, "rider-1", 10, Lang::Es)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].report.category, "acoso_verbal");

    // An official moves it: one notification, claimed once, given back when sending fails.
    let token = o
        .store()
        .create_official("edu", Role::Editor, 0)
        .await
        .unwrap();
    let editor = app::officials::authenticate(o, Some(&token), Role::Editor, Lang::Es)
        .await
        .unwrap();
    let case = mine[0].report.reference.clone();
    app::reports::change_status(
        o,
        &editor,
        &case,
        store::Status::InProgress,
        "en camino",
        Lang::Es,
    )
    .await
    .unwrap();
    let pending = riders::pending_notifications(o, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    let n = &pending[0];
    assert_eq!((n.chat_id, n.note.as_str()), (42, "en camino"));
    assert!(riders::claim(o, n.id).await.unwrap());
    assert!(!riders::claim(o, n.id).await.unwrap(), "claimed twice");
    riders::give_back(o, n.id).await.unwrap();
    assert!(
        riders::claim(o, n.id).await.unwrap(),
        "given back, claimed again"
    );
    let mine = riders::reports_of(o, "rider-1", 10, Lang::Es)
        .await
        .unwrap();
    assert_eq!(mine[0].history.last().unwrap().note, "en camino");

    // Erasure: the conversation goes, the report stays (for the statistics) but is no longer
    // theirs; its secret still follows it.
    let erased = riders::erase(o, "rider-1", 42, Lang::Es).await.unwrap();
    assert_eq!(erased.reports_unlinked, 1);
    assert_eq!(riders::chat(o, 42, Lang::Es).await.unwrap(), None);
    assert!(
        riders::reports_of(o, "rider-1", 10, Lang::Es)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app::reports::follow(o, &secret, None, Lang::Es)
            .await
            .is_ok()
    );
}
