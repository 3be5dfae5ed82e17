//! A chat rider's own things: their reports, erasure, and the notifications of their
//! reports' changes (claimed once, given back when sending failed).

use crate::{at_the_plaza, file, fresh};
use app::riders;
use i18n::Lang;
use store::{Channel, Role};

#[tokio::test]
async fn a_rider_sees_their_reports_is_notified_once_and_can_erase_everything() {
    let f = fresh().await;
    let (o, a) = (&f.obs, &f.app);
    let chat = riders::BotChat {
        chat_id: 42,
        rider: "rider-1".into(),
        lang: "qu".into(),
        state: "{}".into(),
    };
    a.save_rider_chat(&chat, Lang::Es).await.unwrap();
    assert_eq!(
        a.rider_chat(42, Lang::Es).await.unwrap(),
        Some(chat.clone())
    );
    let secret = file(
        a,
        &at_the_plaza("acoso_verbal", Some("rider-1"), Channel::Bot),
    )
    .await;
    file(a, &at_the_plaza("robo", Some("someone-else"), Channel::Bot)).await;
    let mine = a.rider_reports("rider-1", 10, Lang::Es).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].report.category, "acoso_verbal");

    // An official moves it: one notification, claimed once, given back when sending fails.
    let token = o
        .store()
        .create_official("edu", Role::Editor, 0)
        .await
        .unwrap();
    let editor = a
        .authenticate(Some(&token), Role::Editor, Lang::Es)
        .await
        .unwrap();
    let case = mine[0].report.reference.clone();
    a.change_status(
        &editor,
        &case,
        store::Status::InProgress,
        "en camino",
        Lang::Es,
    )
    .await
    .unwrap();
    let pending = a.pending_notifications(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    let n = &pending[0];
    assert_eq!((n.chat_id, n.note.as_str()), (42, "en camino"));
    assert!(a.claim_notification(n.id).await.unwrap());
    assert!(!a.claim_notification(n.id).await.unwrap(), "claimed twice");
    a.give_back_notification(n.id).await.unwrap();
    assert!(
        a.claim_notification(n.id).await.unwrap(),
        "given back, claimed again"
    );
    let mine = a.rider_reports("rider-1", 10, Lang::Es).await.unwrap();
    assert_eq!(mine[0].history.last().unwrap().note, "en camino");

    // Erasure: the conversation goes, the report stays (for the statistics) but is no longer
    // theirs; its secret still follows it.
    let erased = a.erase_rider("rider-1", 42, Lang::Es).await.unwrap();
    assert_eq!(erased.reports_unlinked, 1);
    assert_eq!(a.rider_chat(42, Lang::Es).await.unwrap(), None);
    assert!(
        a.rider_reports("rider-1", 10, Lang::Es)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(a.follow_report(&secret, None, Lang::Es).await.is_ok());
}
