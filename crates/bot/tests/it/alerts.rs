//! `/alertas` through the fake Bot API: a chat follows a line (both its directions), an
//! editor's new or changed alert reaches every follower once — through Telegram's flood
//! control and a restart of the bot — a chat that blocked the bot is given up with its
//! subscriptions, and a chat that left is told nothing more.

use crate::{Harness, text};
use app::alerts::{AlertIn, Informed, Texts};
use std::time::Duration;

/// A line with two routes (its two directions): its short name and the routes' ids.
fn a_line() -> (String, Vec<String>) {
    let tt = crate::timetable();
    let mut by: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in tt.routes() {
        by.entry(r.short_name.clone())
            .or_default()
            .push(r.id.clone());
    }
    by.into_iter()
        .find(|(name, ids)| ids.len() == 2 && !name.contains(' ') && name.len() > 3)
        .unwrap()
}

fn alert(route: &str, es: &str) -> AlertIn {
    AlertIn {
        cause: app::alerts::Cause::STRIKE,
        effect: app::alerts::Effect::NO_SERVICE,
        active: Vec::new(),
        informed: vec![Informed {
            route: Some(route.to_string()),
            ..Informed::default()
        }],
        header: Texts {
            es: es.to_string(),
            en: Some(format!("EN {es}")),
            qu: None,
        },
        description: None,
        url: None,
    }
}

/// Messages to `chat` that carry `needle`, after waiting a little for the deliverer.
async fn told(h: &Harness, chat: i64, needle: &str) -> usize {
    tokio::time::sleep(Duration::from_millis(900)).await;
    h.fake
        .sent_to(chat)
        .iter()
        .filter(|c| c.text().contains(needle))
        .count()
}

#[tokio::test]
async fn followers_are_told_each_alert_once_through_flood_control_and_a_restart() {
    let mut h = Harness::start().await;
    let (line, ids) = a_line();
    let (ana, beto, caro) = (7001, 7002, 7003);
    let r = h.say(ana, &format!("/alertas {line}")).await;
    assert!(text(&r).contains(&line), "{}", text(&r));
    h.say(beto, &format!("/alertas {line}")).await;
    // Caro follows another line; unknown lines are said so.
    let r = h.say(caro, "/alertas ZZZ-nada").await;
    assert!(text(&r).contains("ZZZ-nada"), "{}", text(&r));
    let tt = crate::timetable();
    let other = tt
        .routes()
        .iter()
        .find(|r| r.short_name != line)
        .unwrap()
        .id
        .clone();
    h.say(caro, &format!("/alertas {other}")).await;
    h.fake.block(beto);

    let token = h
        .store()
        .create_official("ana", store::Role::Editor, 0)
        .await
        .unwrap();
    let editor = h
        .state
        .authenticate(Some(&token), store::Role::Editor, i18n::Lang::Es)
        .await
        .unwrap();
    // An alert on both directions: Ana, following both, is told once.
    let mut a = alert(&ids[0], "Paro de transportistas");
    a.informed.push(Informed {
        route: Some(ids[1].clone()),
        ..Informed::default()
    });
    let made = h
        .state
        .create_alert(&editor, &a, app::now_unix(), i18n::Lang::Es)
        .await
        .unwrap();
    assert_eq!(told(&h, ana, "Paro de transportistas").await, 1);
    assert_eq!(told(&h, caro, "Paro de transportistas").await, 0);
    // Beto blocked the bot: given up, and his subscriptions with it.
    assert!(
        h.state
            .followed_routes(beto, i18n::Lang::Es)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        h.store().alert_delivery_counts(&made.id).await.unwrap(),
        (1, 1, 0),
        "(sent, given up, waiting)"
    );

    // Changed under Telegram's flood control: told once more, after waiting it out.
    h.fake.flood("sendMessage", 2, 1);
    h.state
        .update_alert(
            &editor,
            &made.id,
            &alert(&ids[0], "Paro hasta el martes"),
            app::now_unix(),
            i18n::Lang::Es,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(told(&h, ana, "Paro hasta el martes").await, 1);

    // Written while the bot is down: told after it comes back.
    h.running.take().unwrap().stop().await;
    h.state
        .update_alert(
            &editor,
            &made.id,
            &alert(&ids[0], "Paro suspendido"),
            app::now_unix(),
            i18n::Lang::Es,
        )
        .await
        .unwrap();
    h.restart().await;
    assert_eq!(told(&h, ana, "Paro suspendido").await, 1);

    // `/alertas` lists what she follows and the alerts in force.
    let r = h.say(ana, "/alertas").await;
    assert!(
        text(&r).contains(&line) && text(&r).contains("Paro suspendido"),
        "{}",
        text(&r)
    );
    // Left: told nothing more.
    let r = h.say(ana, "/alertas no").await;
    assert!(!text(&r).is_empty());
    let editor = h
        .state
        .authenticate(Some(&token), store::Role::Editor, i18n::Lang::Es)
        .await
        .unwrap();
    h.state
        .create_alert(
            &editor,
            &alert(&ids[0], "Desvío nuevo"),
            app::now_unix(),
            i18n::Lang::Es,
        )
        .await
        .unwrap();
    assert_eq!(told(&h, ana, "Desvío nuevo").await, 0);
}
