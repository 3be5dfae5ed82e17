//! Officials' service alerts: written by editors, checked (a clear refusal, nothing stored),
//! served at once where they matter — a stop's departures, the legs whose route or stops they
//! inform, in the rider's language — in every process on the database, and ended.

use crate::{Fresh, app_with, fresh, fresh_on_postgres};
use app::alerts::{AlertIn, Effect, Informed, Period, Texts};
use app::{Error, Role};
use i18n::Lang;
use std::sync::Arc;
use timetable::{Day, StopIdx};

/// A stop of Arequipa, the route calling there, and a stop three further along it.
fn a_ride(f: &Fresh) -> (StopIdx, String, StopIdx) {
    let ds = f.app.dataset();
    let tt = &ds.timetable;
    let (p, stops) = (0..tt.patterns().len())
        .map(timetable::PatternIdx::new)
        .map(|p| (p, tt.pattern_stops(p)))
        .find(|(_, s)| s.len() > 10)
        .unwrap();
    (stops[2], tt.route(tt.pattern(p).route).id.clone(), stops[5])
}

fn alert_on(informed: Vec<Informed>, es: &str) -> AlertIn {
    AlertIn {
        cause: app::alerts::Cause::CONSTRUCTION,
        effect: Effect::DETOUR,
        active: Vec::new(),
        informed,
        header: Texts {
            es: es.to_string(),
            en: Some(format!("EN {es}")),
            qu: None,
        },
        description: None,
        url: Some("https://arequipa.gob.pe/desvios".into()),
    }
}

fn route(id: &str) -> Informed {
    Informed {
        route: Some(id.to_string()),
        ..Informed::default()
    }
}

/// The headers of the alerts on the first ride of a plan from `from` to `to` at 08:00 on
/// 2026-12-07.
async fn leg_alerts(a: &app::App, from: StopIdx, to: StopIdx, lang: Lang) -> Vec<String> {
    let ds = a.dataset();
    let req = app::PlanRequest {
        from: planner::Endpoint::Stops(vec![from]),
        to: planner::Endpoint::Stops(vec![to]),
        day: Day::parse("2026-12-07").unwrap(),
        time: 8 * 3600,
        arrive_by: false,
        window_secs: None,
        options: Default::default(),
        lang,
        safer: false,
    };
    let plan = a.plan(ds, req).await.unwrap();
    // What the bot and `paradero plan` say carries them too, before the ride.
    let text = planner::render_itinerary(lang, 1, &plan.itineraries[0]);
    plan.itineraries[0]
        .legs
        .iter()
        .find_map(|l| match l {
            planner::ItineraryLeg::Ride { alerts, .. } => Some(
                alerts
                    .iter()
                    .inspect(|a| assert!(text.contains(&a.header), "{text}"))
                    .map(|a| a.header.clone())
                    .collect(),
            ),
            _ => None,
        })
        .unwrap()
}

async fn written_alerts_are_served_where_they_matter_and_ended(f: Fresh) {
    let editor = f.official("ana", Role::Editor).await;
    let (from, route_id, to) = a_ride(&f);
    let now = app::now_unix();
    let ds = f.app.dataset();
    assert!(f.app.alerts_at(&ds, from, now, Lang::Es).is_empty());
    assert!(leg_alerts(&f.app, from, to, Lang::Es).await.is_empty());

    let out = f
        .app
        .create_alert(
            &editor,
            &alert_on(vec![route(&route_id)], "Desvío <b>hoy</b>"),
            now,
            Lang::Es,
        )
        .await
        .unwrap();
    assert!(out.id.starts_with("AL-") && out.active_now, "{out:?}");
    // At the stop, in the asker's language; Quechua not written falls back to Spanish.
    let at = |lang| {
        f.app
            .alerts_at(&ds, from, now, lang)
            .into_iter()
            .map(|a| (a.id, a.source, a.header, a.effect))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        at(Lang::En),
        [(
            out.id.clone(),
            "paradero".to_string(),
            "EN Desvío <b>hoy</b>".to_string(),
            "DETOUR".to_string()
        )]
    );
    assert_eq!(at(Lang::Qu)[0].2, "Desvío <b>hoy</b>");
    // On the leg riding that route.
    assert_eq!(
        leg_alerts(&f.app, from, to, Lang::Es).await,
        ["Desvío <b>hoy</b>"]
    );

    // Another route's alert is not this leg's; the network's list has both.
    let ds2 = f.app.dataset();
    let other = (0..ds2.timetable.routes().len())
        .map(app::RouteIdx::new)
        .map(|r| ds2.timetable.route(r).id.clone())
        .find(|id| *id != route_id)
        .unwrap();
    f.app
        .create_alert(
            &editor,
            &alert_on(vec![route(&other)], "Otra ruta"),
            now,
            Lang::Es,
        )
        .await
        .unwrap();
    assert_eq!(
        leg_alerts(&f.app, from, to, Lang::Es).await,
        ["Desvío <b>hoy</b>"]
    );
    assert_eq!(f.app.alerts(now, Lang::Es).await.unwrap().alerts.len(), 2);

    // Edited: the next version, served at once.
    let edited = f
        .app
        .update_alert(
            &editor,
            &out.id,
            &alert_on(vec![route(&route_id)], "Desvío hasta el lunes"),
            now,
            Lang::Es,
        )
        .await
        .unwrap();
    assert_eq!(edited.version, 2);
    assert_eq!(
        leg_alerts(&f.app, from, to, Lang::Es).await,
        ["Desvío hasta el lunes"]
    );

    // Ended: no longer served anywhere; ending it again is "not found".
    f.app
        .end_alert(&editor, &out.id, now, Lang::Es)
        .await
        .unwrap();
    assert!(leg_alerts(&f.app, from, to, Lang::Es).await.is_empty());
    assert!(f.app.alerts_at(&ds, from, now, Lang::Es).is_empty());
    assert!(matches!(
        f.app.end_alert(&editor, &out.id, now, Lang::Es).await,
        Err(Error::NotFound(_))
    ));
    let listed = f.app.alerts(now, Lang::Es).await.unwrap().alerts;
    assert_eq!(
        listed
            .iter()
            .map(|a| a.header.es.as_str())
            .collect::<Vec<_>>(),
        ["Otra ruta"]
    );
}

#[tokio::test]
async fn written_alerts_are_served_where_they_matter_and_ended_on_sqlite() {
    written_alerts_are_served_where_they_matter_and_ended(fresh().await).await;
}

#[tokio::test]
async fn written_alerts_are_served_where_they_matter_and_ended_on_postgres() {
    written_alerts_are_served_where_they_matter_and_ended(fresh_on_postgres().await).await;
}

#[tokio::test]
async fn an_alert_for_tomorrow_is_on_tomorrows_legs_not_on_todays_departures() {
    let f = fresh().await;
    let editor = f.official("ana", Role::Editor).await;
    let (from, route_id, to) = a_ride(&f);
    let mut a = alert_on(vec![route(&route_id)], "Paro el 8");
    a.active = vec![Period {
        start: Some("2026-12-08T00:00".into()),
        end: Some("2026-12-09T00:00".into()),
    }];
    // Written on the 7th at 12:00 (Lima).
    let noon_7th = 1_796_662_800;
    f.app
        .create_alert(&editor, &a, noon_7th, Lang::Es)
        .await
        .unwrap();
    let ds = f.app.dataset();
    assert!(f.app.alerts_at(&ds, from, noon_7th, Lang::Es).is_empty());
    // A plan on the 7th has it not; the list says it is to come.
    assert!(leg_alerts(&f.app, from, to, Lang::Es).await.is_empty());
    let listed = f.app.alerts(noon_7th, Lang::Es).await.unwrap().alerts;
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].active_now);
    assert!(
        f.app
            .alerts_at(&ds, from, noon_7th + 86_400, Lang::Es)
            .len()
            == 1
    );
}

#[tokio::test]
async fn bad_alerts_are_refused_by_reason_and_nothing_is_stored() {
    let f = fresh().await;
    let editor = f.official("ana", Role::Editor).await;
    let (from, route_id, _) = a_ride(&f);
    let ds = f.app.dataset();
    let far_stop = ds
        .timetable
        .stops()
        .iter()
        .map(|s| s.id.clone())
        .find(|id| {
            let s = ds.timetable.stop_by_id(id).unwrap();
            ds.timetable
                .stop_patterns(s)
                .iter()
                .all(|(p, _)| ds.timetable.route(ds.timetable.pattern(*p).route).id != route_id)
        })
        .unwrap();
    let ok = || alert_on(vec![route(&route_id)], "Desvío");
    let cases: Vec<(AlertIn, &str)> = vec![
        (
            {
                let mut a = ok();
                a.header.es = "  ".into();
                a
            },
            "castellano",
        ),
        (
            {
                let mut a = ok();
                a.header.es = "x".repeat(201);
                a
            },
            "201",
        ),
        (
            {
                let mut a = ok();
                a.description = Some(Texts {
                    es: "y".repeat(2001),
                    en: None,
                    qu: None,
                });
                a
            },
            "2001",
        ),
        (
            {
                let mut a = ok();
                a.url = Some("javascript:alert(1)".into());
                a
            },
            "javascript",
        ),
        (
            {
                let mut a = ok();
                a.informed = vec![];
                a
            },
            "Diga a qué afecta",
        ),
        (
            {
                let mut a = ok();
                a.informed = vec![Informed::default()];
                a
            },
            "elemento 1",
        ),
        (
            {
                let mut a = ok();
                a.informed = vec![route("arequipa:nada")];
                a
            },
            "arequipa:nada",
        ),
        (
            {
                let mut a = ok();
                a.informed = vec![Informed {
                    stop: Some("arequipa:nada".into()),
                    ..Informed::default()
                }];
                a
            },
            "paradero «arequipa:nada»",
        ),
        (
            {
                let mut a = ok();
                a.informed = vec![Informed {
                    agency: Some("x:9".into()),
                    ..Informed::default()
                }];
                a
            },
            "x:9",
        ),
        (
            {
                let mut a = ok();
                a.informed = vec![Informed {
                    route: Some(route_id.clone()),
                    stop: Some(far_stop.clone()),
                    agency: None,
                }];
                a
            },
            "no para",
        ),
        (
            {
                let mut a = ok();
                a.active = vec![Period {
                    start: Some("2026-12-10T10:00".into()),
                    end: Some("2026-12-10T10:00".into()),
                }];
                a
            },
            "antes de empezar",
        ),
        (
            {
                let mut a = ok();
                a.active = vec![Period {
                    start: Some("mañana".into()),
                    end: None,
                }];
                a
            },
            "mañana",
        ),
        (
            {
                let mut a = ok();
                a.active = vec![Period::default(); 21];
                a
            },
            "21",
        ),
    ];
    for (a, says) in cases {
        match f
            .app
            .create_alert(&editor, &a, app::now_unix(), Lang::Es)
            .await
        {
            Err(Error::Unprocessable(m)) => assert!(m.contains(says), "{m:?} should say {says:?}"),
            other => panic!("{a:?} gave {other:?}"),
        }
    }
    assert!(
        f.app
            .alerts(app::now_unix(), Lang::Es)
            .await
            .unwrap()
            .alerts
            .is_empty()
    );
    assert!(
        f.app
            .alerts_at(&ds, from, app::now_unix(), Lang::Es)
            .is_empty()
    );
}

async fn another_process_serves_and_ends_it_within_a_follow(f: Fresh) {
    let editor = f.official("ana", Role::Editor).await;
    let (from, route_id, _) = a_ride(&f);
    let other = app_with(Some(Arc::clone(&f.obs)));
    let ds = other.dataset();
    let now = app::now_unix();
    other.follow_alerts().await.unwrap();
    let out = f
        .app
        .create_alert(
            &editor,
            &alert_on(vec![route(&route_id)], "Desvío"),
            now,
            Lang::Es,
        )
        .await
        .unwrap();
    assert!(
        other.alerts_at(&ds, from, now, Lang::Es).is_empty(),
        "not before it reads"
    );
    other.follow_alerts().await.unwrap();
    assert_eq!(other.alerts_at(&ds, from, now, Lang::Es)[0].id, out.id);
    f.app
        .end_alert(&editor, &out.id, now, Lang::Es)
        .await
        .unwrap();
    other.follow_alerts().await.unwrap();
    assert!(other.alerts_at(&ds, from, now, Lang::Es).is_empty());
}

#[tokio::test]
async fn another_process_serves_and_ends_it_within_a_follow_on_sqlite() {
    another_process_serves_and_ends_it_within_a_follow(fresh().await).await;
}

#[tokio::test]
async fn another_process_serves_and_ends_it_within_a_follow_on_postgres() {
    another_process_serves_and_ends_it_within_a_follow(fresh_on_postgres().await).await;
}

async fn followers_are_told_once_and_gone_chats_are_given_up(f: Fresh) {
    let editor = f.official("ana", Role::Editor).await;
    let (_, route_id, _) = a_ride(&f);
    let (ana, beto) = (501, 502);
    let ds = f.app.dataset();
    let short = ds
        .timetable
        .route(ds.timetable.route_by_id(&route_id).unwrap())
        .short_name
        .clone();
    // A line by its short name follows every route of that name.
    let followed = f
        .app
        .follow_route_alerts(ana, &short, Lang::Es)
        .await
        .unwrap();
    assert!(followed.iter().any(|r| r.id == route_id), "{followed:?}");
    f.app
        .follow_route_alerts(beto, &route_id, Lang::Es)
        .await
        .unwrap();
    assert!(matches!(
        f.app
            .follow_route_alerts(ana, "no-such-line", Lang::Es)
            .await,
        Err(Error::NotFound(_))
    ));
    let now = app::now_unix();
    let made = f
        .app
        .create_alert(
            &editor,
            &alert_on(vec![route(&route_id)], "Paro"),
            now,
            Lang::Es,
        )
        .await
        .unwrap();
    let due = f.app.alerts_to_tell(10).await.unwrap();
    let mut chats: Vec<i64> = due.iter().map(|d| d.chat_id).collect();
    chats.sort_unstable();
    assert_eq!(chats, [ana, beto]);
    assert!(
        due.iter()
            .all(|d| d.text.contains("Paro") && d.text.contains(&short))
    );
    // Leased: not handed out again while being sent.
    assert!(f.app.alerts_to_tell(10).await.unwrap().is_empty());
    let (to_ana, to_beto) = if due[0].chat_id == ana {
        (&due[0], &due[1])
    } else {
        (&due[1], &due[0])
    };
    f.app.alert_told(to_ana.delivery).await.unwrap();
    // Beto blocked the bot: given up, and his subscription with it.
    f.app.alert_not_told(to_beto, true).await.unwrap();
    assert!(
        f.app
            .followed_routes(beto, Lang::Es)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.obs.store().alert_delivery_counts(&made.id).await.unwrap(),
        (1, 1, 0)
    );
    // Edited: Ana is told the new version, once; ended before it is sent: not at all.
    f.app
        .update_alert(
            &editor,
            &made.id,
            &alert_on(vec![route(&route_id)], "Paro hasta el lunes"),
            now,
            Lang::Es,
        )
        .await
        .unwrap();
    f.app
        .end_alert(&editor, &made.id, now, Lang::Es)
        .await
        .unwrap();
    assert!(f.app.alerts_to_tell(10).await.unwrap().is_empty());
    // Erasing the chat erases its subscriptions.
    f.app.erase_rider("rider-ana", ana, Lang::Es).await.unwrap();
    assert!(
        f.app
            .followed_routes(ana, Lang::Es)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn followers_are_told_once_and_gone_chats_are_given_up_on_sqlite() {
    followers_are_told_once_and_gone_chats_are_given_up(fresh().await).await;
}

#[tokio::test]
async fn followers_are_told_once_and_gone_chats_are_given_up_on_postgres() {
    followers_are_told_once_and_gone_chats_are_given_up(fresh_on_postgres().await).await;
}
