//! Every conversation through the fake Bot API.

use crate::{Harness, buttons, text};
use i18n::{Lang, t};
use std::time::Duration;
use store::{Channel, Status};

const HOME: (f64, f64) = (-16.3989, -71.5369);
const WORK: (f64, f64) = (-16.4250, -71.5200);

fn yesterday() -> String {
    let (day, _) = planner::clock::now(&crate::timetable());
    day.offset(-1).to_string()
}

#[tokio::test]
async fn start_sets_language_menu_and_an_optional_profile() {
    let h = Harness::start().await;
    // The command menu is set for every language, Spanish also as the default.
    let cmds = h
        .fake
        .wait_calls("setmycommands", 4, Duration::from_secs(10))
        .await;
    let langs: Vec<Option<&str>> = cmds
        .iter()
        .map(|c| c.params.get("language_code").and_then(|v| v.as_str()))
        .collect();
    for l in [Some("es"), Some("en"), Some("qu"), None] {
        assert!(langs.contains(&l), "commands for {l:?}: {langs:?}");
    }
    let qu = cmds
        .iter()
        .find(|c| c.params["language_code"] == "qu")
        .unwrap();
    assert!(qu.params["commands"].to_string().contains("mis_reportes"));

    let chat = 101;
    let r = h.say(chat, "/start").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.welcome", &[])));
    assert_eq!(buttons(&r), ["lang:es", "lang:en", "lang:qu"]);
    let r = h.press(chat, "lang:qu").await;
    assert!(
        text(&r).contains(&t(Lang::Qu, "bot.privacy", &[])),
        "{}",
        text(&r)
    );
    assert_eq!(buttons(&r), ["consent:yes", "consent:no"]);
    let r = h.press(chat, "consent:yes").await;
    assert!(buttons(&r).contains(&"g:mujer".to_string()));
    let r = h.press(chat, "g:mujer").await;
    assert!(buttons(&r).contains(&"a:18_35".to_string()));
    let r = h.press(chat, "a:18_35").await;
    assert!(buttons(&r).contains(&"n:caregiver".to_string()));
    let r = h.press(chat, "n:caregiver").await;
    assert!(text(&r).contains(&t(Lang::Qu, "bot.profile.saved", &[])));
    let stored = h.store().bot_chat(chat).await.unwrap().unwrap();
    assert_eq!(stored.lang, "qu");
    assert!(stored.state.contains("mujer") && stored.state.contains("\"caregiver\":true"));

    // /perfil shows it in Quechua and can withdraw consent.
    let r = h.say(chat, "/perfil").await;
    assert!(text(&r).contains("warmi"), "{}", text(&r));
    let r = h.press(chat, "profile:withdraw").await;
    assert!(text(&r).contains(&t(Lang::Qu, "bot.profile.withdrawn", &[])));
    let stored = h.store().bot_chat(chat).await.unwrap().unwrap();
    assert!(
        !stored.state.contains("mujer"),
        "profile gone: {}",
        stored.state
    );

    // /idioma switches back; declining the profile keeps nothing.
    h.say(chat, "/idioma").await;
    let r = h.press(chat, "lang:en").await;
    assert!(text(&r).contains(&t(Lang::En, "bot.lang_set", &[])));
    let other = 102;
    h.say(other, "/start").await;
    h.press(other, "lang:es").await;
    let r = h.press(other, "consent:no").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.profile.none", &[])));
    assert!(
        h.store()
            .bot_chat(other)
            .await
            .unwrap()
            .unwrap()
            .state
            .contains("\"profile\":null")
    );
}

#[tokio::test]
async fn route_by_location_and_typed_name_with_later_departures_and_a_survey() {
    let h = Harness::start().await;
    let chat = 201;
    let r = h.say(chat, "/ruta").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.ask.from", &[])));
    // A one-tap "share my location" keyboard.
    assert_eq!(
        r[0].params
            .pointer("/reply_markup/keyboard/0/0/request_location")
            .and_then(|v| v.as_bool()),
        Some(true),
        "{}",
        r[0].params
    );
    let r = h.locate(chat, HOME.0, HOME.1).await;
    // The shared location is named after the place it is at (the city's place list).
    let near = t(Lang::Es, "bot.near", &[("place", &"Plaza de Armas")]);
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.ask.to", &[("from", &near)])),
        "{}",
        text(&r)
    );
    // A typed name that matches several places is offered as buttons.
    let mut r = h.say(chat, "charcani").await;
    if buttons(&r).iter().any(|b| b.starts_with("p:")) {
        assert!(text(&r).contains(&t(Lang::Es, "bot.place.which", &[])));
        r = h.press(chat, "p:0").await;
    }
    assert_eq!(buttons(&r), ["when:now"], "{}", text(&r));
    let r = h.say(chat, "08:00").await;
    let plan = text(&r);
    assert!(plan.contains("Opción 1"), "{plan}");
    assert!(plan.contains("Toma la ruta"), "{plan}");
    assert!(buttons(&r).contains(&"later".to_string()));
    let first_dep = first_time(&plan);
    // Later departures leave after the ones shown.
    let r = h.press(chat, "later").await;
    let later = text(&r);
    assert!(later.contains("Opción 1"), "{later}");
    let later_dep = first_time(&later);
    assert!(later_dep > first_dep, "{later_dep} after {first_dep}");
    // Both plans were recorded for the observatory, as the bot's, linked to the rider.
    h.state.observatory().unwrap().flush().await;
    assert_eq!(h.store().count_trips().await.unwrap(), 2);

    // Rate the trip: the route comes from the plan.
    let mut r = h.press(chat, "rate").await;
    if buttons(&r).iter().any(|b| b.starts_with("r:")) {
        r = h.press(chat, "r:0").await;
    }
    assert_eq!(buttons(&r), ["s:1", "s:2", "s:3", "s:4", "s:5"]);
    h.press(chat, "s:2").await;
    let r = h.press(chat, "s:4").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.survey.thanks", &[])));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let groups = h
        .store()
        .survey_groups(now - 3600, now + 3600)
        .await
        .unwrap();
    assert_eq!(groups.iter().map(|g| g.answers).sum::<i64>(), 1);
    assert_eq!(groups.iter().map(|g| g.safety_sum).sum::<i64>(), 2);
}

/// The first clock time (`HH:MM`) of option 1: its departure, exact or estimated.
fn first_time(plan: &str) -> String {
    let after = plan.split("Opción 1").nth(1).unwrap_or_default();
    let b = after.as_bytes();
    (0..b.len().saturating_sub(4))
        .find(|&i| {
            b[i].is_ascii_digit()
                && b[i + 1].is_ascii_digit()
                && b[i + 2] == b':'
                && b[i + 3].is_ascii_digit()
                && b[i + 4].is_ascii_digit()
        })
        .map(|i| after[i..i + 5].to_string())
        .unwrap_or_else(|| panic!("no time in option 1: {plan}"))
}

#[tokio::test]
async fn departures_at_a_shared_location() {
    let h = Harness::start().await;
    let chat = 301;
    let r = h.say(chat, "/salidas").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.ask.stop", &[])));
    let mut r = h.locate(chat, HOME.0, HOME.1).await;
    if buttons(&r).iter().any(|b| b.starts_with("p:")) {
        r = h.press(chat, "p:0").await;
    }
    let s = text(&r);
    assert!(s.starts_with("Próximas salidas en"), "{s}");
    assert!(s.contains("• ") && s.contains(" min)"), "{s}");
    // A venue picked in Telegram counts as its location; a typed street name works too.
    h.say(chat, "/salidas").await;
    let mut r = h
        .after(chat, |f| {
            f.venue(chat, HOME.0, HOME.1, "Plaza de Armas");
        })
        .await;
    if buttons(&r).iter().any(|b| b.starts_with("p:")) {
        r = h.press(chat, "p:0").await;
    }
    assert!(text(&r).starts_with("Próximas salidas en"), "{}", text(&r));
    let mut r = h.say(chat, "/salidas charcani").await;
    while buttons(&r).iter().any(|b| b.starts_with("p:")) {
        r = h.press(chat, "p:0").await;
    }
    assert!(text(&r).starts_with("Próximas salidas en"), "{}", text(&r));
    // A typed place that is no stop (a plaza, a mall): the stops around it, then departures,
    // as /ruta finds the same places.
    for place in ["plaza de armas", "mall aventura"] {
        h.say(chat, "/salidas").await;
        let mut r = h.say(chat, place).await;
        assert!(
            !text(&r).contains(&t(Lang::Es, "bot.stale", &[])),
            "{place}: {}",
            text(&r)
        );
        while buttons(&r).iter().any(|b| b.starts_with("p:")) {
            r = h.press(chat, "p:0").await;
        }
        assert!(
            text(&r).starts_with("Próximas salidas en"),
            "{place}: {}",
            text(&r)
        );
    }
    // Far from every stop: said so, and the question stays.
    h.say(chat, "/salidas").await;
    let r = h.locate(chat, -12.0464, -77.0428).await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.dep.none_near", &[])));
}

/// Walks chat `chat` through a report; returns its reference.
async fn report(h: &Harness, chat: i64, category: &str, anonymous: bool) -> String {
    let r = h.say(chat, "/reportar").await;
    // The groups first (paradero's four and the Trujillo observatory's eight), then the
    // categories of the one chosen, with a way back.
    let groups = buttons(&r);
    assert_eq!(groups.len(), 12, "every group offered: {groups:?}");
    assert_eq!(groups[0], "grp:acoso");
    let group = h
        .state
        .observatory()
        .unwrap()
        .catalogue()
        .category(category)
        .and_then(|c| c.parent.clone())
        .unwrap();
    let r = h.press(chat, &format!("grp:{group}")).await;
    let b = buttons(&r);
    assert!(b.contains(&format!("cat:{category}")), "{b:?}");
    assert_eq!(b.last().map(String::as_str), Some("grp:"));
    let r = h.press(chat, &format!("cat:{category}")).await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.ask.where", &[])));
    let r = h.locate(chat, HOME.0, HOME.1).await;
    assert_eq!(buttons(&r), ["when:now", "when:today", "when:other"]);
    let r = h.press(chat, "when:other").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.ask.day_time", &[])));
    let r = h.say(chat, &format!("{} 07:45", yesterday())).await;
    assert_eq!(buttons(&r), ["desc:skip"], "{}", text(&r));
    let r = h.say(chat, "Un hombre me siguió desde el paradero.").await;
    // Who was involved (a button per configured actor), then the victim (skipped).
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.ask.actor_involved", &[]))
            && buttons(&r).contains(&"act:conductor_combi".to_string()),
        "{}",
        text(&r)
    );
    let r = h.press(chat, "act:conductor_combi").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.ask.actor_victim", &[])));
    let r = h.press(chat, "act:skip").await;
    let r = if buttons(&r).contains(&"g:mujer".to_string()) {
        h.press(chat, "g:mujer").await;
        h.press(chat, "a:36_50").await
    } else {
        r
    };
    let summary = text(&r);
    assert!(summary.contains(&t(Lang::Es, &format!("category.{category}"), &[])));
    assert!(
        summary.contains("07:45") && summary.contains("me siguió"),
        "{summary}"
    );
    assert_eq!(buttons(&r), ["send", "send:anon", "cancel"]);
    let r = h
        .press(chat, if anonymous { "send:anon" } else { "send" })
        .await;
    let done = text(&r);
    done.split_whitespace()
        .find(|w| w.starts_with("R-"))
        .unwrap_or_else(|| panic!("a reference in {done}"))
        .trim_end_matches(['.', ':', ','])
        .to_string()
}

#[tokio::test]
async fn reports_land_in_the_store_and_the_indicators_and_reporters_are_notified() {
    let h = Harness::start().await;
    let (a, b, c) = (401, 402, 403);
    let ra = report(&h, a, "acoso_verbal", false).await;
    let rb = report(&h, b, "acoso_verbal", false).await;
    let rc = report(&h, c, "acoso_verbal", true).await;
    // What the rider got is the secret: officials know the report by its case id.
    let stored = h.store().report_by_secret(&ra).await.unwrap().unwrap();
    assert_ne!(stored.reference, ra);
    assert_eq!(stored.category, "acoso_verbal");
    assert_eq!(stored.channel, Channel::Bot);
    assert_eq!(stored.gender, Some(store::Gender::Woman));
    assert_eq!(stored.age_band, Some(store::AgeBand::From36To50));
    assert_eq!(
        stored.description.as_deref(),
        Some("Un hombre me siguió desde el paradero.")
    );
    assert_eq!(stored.actors.involved.as_deref(), Some("conductor_combi"));
    assert_eq!(stored.actors.victim, None);
    assert_eq!(stored.local_hour, 7);
    let rider = h.store().bot_chat(a).await.unwrap().unwrap().rider;
    assert_eq!(
        h.store().reports_of_rider(&rider, 10).await.unwrap().len(),
        1,
        "linked to the chat's rider"
    );
    // The anonymous one is linked to nobody.
    let rider_c = h.store().bot_chat(c).await.unwrap().unwrap().rider;
    assert!(
        h.store()
            .reports_of_rider(&rider_c, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(h.store().report_by_secret(&rc).await.unwrap().is_some());

    // Officials' internal (exact) figures count them at once; the public ones only once a
    // release of the period is out.
    let token = h
        .store()
        .create_official("ana", store::Role::Viewer, 0)
        .await
        .unwrap();
    let who = h
        .state
        .authenticate(Some(&token), store::Role::Viewer, Lang::Es)
        .await
        .unwrap();
    let internal = |id: &'static str| {
        let (app, who) = (h.state.clone(), who.clone());
        async move {
            let now = app::now_unix();
            app.internal_figures(&who, (now - 30 * 86_400, now + 86_400), Lang::Es)
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.id == id)
                .unwrap()
                .rows
        }
    };
    let rows = internal("incidents").await;
    let row = rows
        .iter()
        .find(|r| r.key == ["acoso_verbal", "mujer"])
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(row.count, 3);

    // /mis_reportes: category, day and status — never the secret again.
    let r = h.say(a, "/mis_reportes").await;
    let mine = text(&r);
    assert!(
        mine.contains(&t(Lang::Es, "category.acoso_verbal", &[])) && mine.contains("abierto"),
        "{mine}"
    );
    assert!(!mine.contains(&ra), "{mine}");
    let before = h.fake.sent_to(a).len();
    h.store()
        .change_status(
            &stored.reference,
            Status::Acknowledged,
            "Serenazgo revisará el paradero esta noche.",
            "ana",
            stored.reported_at + 60,
        )
        .await
        .unwrap();
    let sent = h
        .fake
        .wait_sent(a, before + 1, Duration::from_secs(10))
        .await;
    let note = sent[before..].iter().map(|c| c.text()).collect::<String>();
    assert!(
        note.contains(&t(Lang::Es, "category.acoso_verbal", &[]))
            && note.contains("recibido")
            && note.contains("Serenazgo"),
        "{note}"
    );
    assert!(
        !note.contains(&stored.reference) && !note.contains(&ra),
        "{note}"
    );
    assert!(
        h.store()
            .pending_notifications(10)
            .await
            .unwrap()
            .is_empty()
    );
    // Told once, not again on the next round of the notifier.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(h.fake.sent_to(a).len(), before + 1);
    let r = h.say(a, "/mis_reportes").await;
    assert!(text(&r).contains("recibido") && text(&r).contains("Serenazgo"));
    let _ = rb;

    // Survey answers on demand (/encuesta, route typed) reach the figures too.
    for (chat, safety) in [(a, "s:2"), (b, "s:4")] {
        h.say(chat, "/encuesta").await;
        let mut r = h.say(chat, "Cotaspa 4").await;
        if buttons(&r).iter().any(|x| x.starts_with("r:")) {
            r = h.press(chat, "r:0").await;
        }
        assert_eq!(
            buttons(&r),
            ["s:1", "s:2", "s:3", "s:4", "s:5"],
            "{}",
            text(&r)
        );
        h.press(chat, safety).await;
        let r = h.press(chat, "s:5").await;
        assert!(text(&r).contains(&t(Lang::Es, "bot.survey.thanks", &[])));
    }
    let rows = internal("perceived_safety").await;
    let n: i64 = rows.iter().map(|r| r.count).sum();
    let sum: f64 = rows
        .iter()
        .map(|r| r.count as f64 * r.values[0].unwrap())
        .sum();
    assert_eq!(n, 2, "{rows:?}");
    assert_eq!(sum / n as f64, 3.0, "mean of 2 and 4");
}

#[tokio::test]
async fn a_restart_mid_dialogue_loses_nothing() {
    let mut h = Harness::start().await;
    let chat = 501;
    h.say(chat, "/reportar").await;
    h.press(chat, "cat:robo").await;
    h.restart().await;
    // The new process picks the dialogue up where it was: a place is asked.
    let r = h.locate(chat, HOME.0, HOME.1).await;
    assert_eq!(
        buttons(&r),
        ["when:now", "when:today", "when:other"],
        "{}",
        text(&r)
    );
    h.press(chat, "when:now").await;
    h.press(chat, "desc:skip").await;
    h.press(chat, "act:skip").await;
    h.press(chat, "act:skip").await;
    h.press(chat, "g:skip").await;
    let r = h.press(chat, "a:skip").await;
    assert!(text(&r).contains(&t(Lang::Es, "category.robo", &[])));
    h.restart().await;
    let r = h.press(chat, "send").await;
    assert!(text(&r).contains("R-"), "{}", text(&r));
}

#[tokio::test]
async fn unexpected_input_at_each_step_gets_help_and_the_dialogue_goes_on() {
    let h = Harness::start().await;
    let chat = 601;
    let use_buttons = t(Lang::Es, "bot.use_buttons", &[]);
    let media = t(Lang::Es, "bot.unexpected_media", &[]);
    // Idle: a sticker, text, an unknown command.
    let r = h
        .after(chat, |f| {
            f.sticker(chat);
        })
        .await;
    assert!(text(&r).contains(&media));
    let r = h.say(chat, "hola").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.idle_hint", &[])));
    let r = h.say(chat, "/volar").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.unknown_command", &[("name", &"volar")])));
    // Route: gibberish, an over-long message, a photo, a place far away, a bad time.
    h.say(chat, "/ruta").await;
    let r = h.say(chat, "xqzzyv").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.place.not_found", &[("text", &"xqzzyv")])));
    let r = h.say(chat, &"a".repeat(5000)).await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.too_long", &[("max", &200)])));
    let r = h
        .after(chat, |f| {
            f.photo(chat);
        })
        .await;
    assert!(text(&r).contains(&media));
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.ask.from", &[])),
        "asked again"
    );
    let r = h.locate(chat, -12.0464, -77.0428).await;
    assert!(text(&r).contains("km"), "outside the area: {}", text(&r));
    let r = h.say(chat, "-16.3989,-71.5369").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.your_location", &[])));
    h.locate(chat, WORK.0, WORK.1).await;
    let r = h.say(chat, "25:99").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.bad_time", &[])));
    let r = h.press(chat, "p:7").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.stale", &[])));
    let r = h.press(chat, "when:now").await;
    assert!(text(&r).contains("Opción 1") || text(&r).contains(&t(Lang::Es, "plan.none", &[])));
    // Report: text where a category button is expected, a made-up category, a time in the
    // future, a description over the limit.
    h.say(chat, "/reportar").await;
    let r = h.say(chat, "robo").await;
    assert!(text(&r).contains(&use_buttons));
    let r = h.press(chat, "cat:ovni").await;
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.stale", &[])),
        "{}",
        text(&r)
    );
    h.press(chat, "cat:robo").await;
    h.locate(chat, HOME.0, HOME.1).await;
    h.press(chat, "when:other").await;
    let (today, _) = planner::clock::now(&crate::timetable());
    let r = h.say(chat, &format!("{} 10:00", today.offset(3))).await;
    assert!(text(&r).contains("futuro"), "{}", text(&r));
    let r = h.say(chat, &format!("{} 10:00", yesterday())).await;
    assert_eq!(buttons(&r), ["desc:skip"]);
    let r = h.say(chat, &"x".repeat(1500)).await;
    assert!(
        text(&r).contains(&t(
            Lang::Es,
            "obs.description_too_long",
            &[("n", &1500), ("max", &1000)]
        )),
        "{}",
        text(&r)
    );
    h.press(chat, "desc:skip").await;
    h.press(chat, "act:skip").await;
    let r = h.press(chat, "act:skip").await;
    assert!(buttons(&r).contains(&"g:skip".to_string()));
    // /cancelar leaves the dialogue; nothing was stored.
    let r = h.say(chat, "/cancelar").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.cancelled", &[])));
    let rider = h.store().bot_chat(chat).await.unwrap().unwrap().rider;
    assert!(
        h.store()
            .reports_of_rider(&rider, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A command with arguments answers the first question at once.
    let r = h.say(chat, "/ruta xqzzyv").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.place.not_found", &[("text", &"xqzzyv")])));
}

#[tokio::test]
async fn erasure_removes_profile_dialogue_trips_surveys_and_links() {
    let h = Harness::start().await;
    let chat = 701;
    h.say(chat, "/start").await;
    h.press(chat, "lang:es").await;
    h.press(chat, "consent:yes").await;
    h.press(chat, "g:mujer").await;
    h.press(chat, "a:18_35").await;
    h.press(chat, "n:none").await;
    h.say(chat, "/ruta").await;
    h.locate(chat, HOME.0, HOME.1).await;
    h.locate(chat, WORK.0, WORK.1).await;
    h.press(chat, "when:now").await;
    h.say(chat, "/encuesta").await;
    let r = h.say(chat, "A").await;
    let mut r = r;
    if buttons(&r).iter().any(|b| b.starts_with("r:")) {
        r = h.press(chat, "r:0").await;
    }
    assert!(buttons(&r).contains(&"s:3".to_string()), "{}", text(&r));
    h.press(chat, "s:3").await;
    h.press(chat, "s:3").await;
    let reference = report(&h, chat, "robo", false).await;
    h.state.observatory().unwrap().flush().await;
    let rider = h.store().bot_chat(chat).await.unwrap().unwrap().rider;

    let r = h.say(chat, "/borrar").await;
    assert_eq!(buttons(&r), ["erase:yes", "erase:no"]);
    let r = h.press(chat, "erase:no").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.cancelled", &[])));
    h.say(chat, "/borrar").await;
    let r = h.press(chat, "erase:yes").await;
    assert!(
        text(&r).contains(&t(
            Lang::Es,
            "bot.erase.done",
            &[("trips", &1), ("surveys", &1), ("reports", &1)]
        )),
        "{}",
        text(&r)
    );
    assert_eq!(h.store().bot_chat(chat).await.unwrap(), None);
    assert!(
        h.store()
            .reports_of_rider(&rider, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let kept = h
        .store()
        .report_by_secret(&reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.category, "robo", "the report stays, anonymous");
    // Starting again is a new rider: nothing of the old one shows.
    let r = h.say(chat, "/mis_reportes").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.my_reports.none", &[])));
    assert_ne!(
        h.store().bot_chat(chat).await.unwrap().unwrap().rider,
        rider
    );
}

#[tokio::test]
async fn flood_control_and_per_rider_limits() {
    let h = Harness::with(bot::BotSettings {
        reports_per_hour: 1,
        plans_per_minute: 1,
        ..bot::BotSettings::default()
    })
    .await;
    let chat = 801;
    // Telegram says "retry after 1 s" once: the reply still arrives, a second later.
    h.fake.flood("sendMessage", 1, 1);
    let started = std::time::Instant::now();
    let r = h.say(chat, "/ayuda").await;
    assert!(text(&r).contains("/ruta"));
    assert!(started.elapsed() >= Duration::from_secs(1));
    // One report an hour here: the second /reportar is refused with the wait.
    h.say(chat, "/reportar").await;
    let r = h.say(chat, "/reportar").await;
    assert!(text(&r).contains("105"), "{}", text(&r));
    // One plan a minute here.
    for round in 0..2 {
        h.say(chat, "/ruta").await;
        h.locate(chat, HOME.0, HOME.1).await;
        h.locate(chat, WORK.0, WORK.1).await;
        let r = h.press(chat, "when:now").await;
        if round == 1 {
            let lead = i18n::template(Lang::Es, "bot.limited.plans")
                .unwrap()
                .split('{')
                .next()
                .unwrap();
            assert!(text(&r).contains(lead), "{}", text(&r));
        }
    }
}

#[tokio::test]
async fn webhook_mode_checks_the_secret_and_answers() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let fake = bot::fake::FakeTelegram::start().await;
    let state = crate::app_state(&url).await;
    let engine = std::sync::Arc::new(bot::Engine::new(state, bot::BotSettings::default()).unwrap());
    let secret = "s3cret-token-0123456789";
    let (router, running) = bot::start_webhook(
        &crate::connection(&fake),
        engine,
        "https://paradero.example/telegram/hook",
        secret,
    )
    .await
    .unwrap();
    let set = fake
        .wait_calls("setwebhook", 1, Duration::from_secs(5))
        .await;
    assert_eq!(set[0].params["secret_token"], secret);
    assert_eq!(
        set[0].params["url"],
        "https://paradero.example/telegram/hook"
    );
    let update = serde_json::json!({ "update_id": 1, "message": { "message_id": 1, "date": 0,
        "chat": { "id": 901, "type": "private", "first_name": "R" },
        "from": { "id": 901, "is_bot": false, "first_name": "R" }, "text": "/ayuda",
        "entities": [{ "type": "bot_command", "offset": 0, "length": 6 }] } });
    let post = |s: &str| {
        axum::http::Request::post("/telegram/hook")
            .header("content-type", "application/json")
            .header("X-Telegram-Bot-Api-Secret-Token", s)
            .body(axum::body::Body::from(update.to_string()))
            .unwrap()
    };
    let res = router.clone().oneshot(post("wrong-secret")).await.unwrap();
    assert_eq!(res.status(), 401);
    let res = router.oneshot(post(secret)).await.unwrap();
    assert_eq!(res.status(), 200);
    let sent = fake.wait_sent(901, 1, Duration::from_secs(10)).await;
    assert!(sent[0].text().contains("/ruta"), "{}", sent[0].text());
    running.stop().await;
}

#[tokio::test]
async fn a_full_database_is_told_and_the_same_report_is_sent_once_space_is_back() {
    let h = Harness::start().await;
    let chat = 901;
    h.say(chat, "/reportar").await;
    h.press(chat, "cat:robo").await;
    h.locate(chat, HOME.0, HOME.1).await;
    h.press(chat, "when:now").await;
    // A long description (the most the configuration allows): its row needs more room than
    // any page has left once the fillers below are in, so the send cannot slip into a gap.
    let long: String = "Un hombre me siguió desde el paradero y me tocó. "
        .repeat(20)
        .chars()
        .take(990)
        .collect();
    h.say(chat, &long).await;
    h.press(chat, "act:skip").await;
    h.press(chat, "act:skip").await;
    h.press(chat, "g:skip").await;
    let r = h.press(chat, "a:skip").await;
    assert_eq!(buttons(&r), ["send", "send:anon", "cancel"]);
    // The disk fills up: SQLite's page cap at the current size, and rows until no free
    // space is left in the pages there are.
    let store = h.store();
    store.limit_sqlite_pages(Some(1));
    // Every table the send touches (reports, idempotency keys, chats) is filled too, with
    // rows of falling size so no page keeps room. A failed insert does not mean every page
    // is full (ids and secrets are random, so each try lands on other pages of the table and
    // its indexes): each kind goes on until it has failed many times in a row. Fillers look
    // like the rider's report where an index orders them (times around now, hashed rider
    // handles), so that report has no emptier end of an index to land in.
    let mut fillers = 0;
    let mut n = 0i64;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for size in [900usize, 100, 1] {
        let (mut report_fails, mut chat_fails) = (0, 0);
        while report_fails < 300 || chat_fails < 100 {
            n += 1;
            if report_fails < 300 {
                let r = store::NewReport {
                    category: "robo".into(),
                    lat: Some(-16.3),
                    lon: Some(-71.5),
                    stop_id: None,
                    route_id: None,
                    zone: "z:0:0".into(),
                    occurred_at: now - 3600 + n % 7200,
                    occurred_at_given: true,
                    local_hour: 8,
                    description: Some("d".repeat(size)),
                    gender: None,
                    age_band: None,
                    channel: Channel::Api,
                    rider: None,
                    actors: store::RoadActors::default(),
                };
                match store
                    .create_report(&r, Some(&format!("filler-{n}")), 0)
                    .await
                {
                    Ok(_) => {
                        fillers += 1;
                        report_fails = 0;
                    }
                    Err(store::StoreError::DiskFull) => report_fails += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            if chat_fails < 100 {
                let chat_row = store::BotChat {
                    chat_id: 1_000_000 + n,
                    rider: format!("filler-{n}"),
                    lang: "es".into(),
                    state: "s".repeat(size),
                };
                match store.save_bot_chat(&chat_row, 0).await {
                    Ok(()) => chat_fails = 0,
                    Err(store::StoreError::DiskFull) => chat_fails += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(n < 200_000, "the database never filled up");
        }
    }
    let r = h.press(chat, "send").await;
    assert_eq!(
        text(&r),
        t(Lang::Es, "store.disk_full", &[]),
        "the rider is told what happened"
    );
    // Space is back: the dialogue is still at the summary (nothing was lost), and sending
    // stores the report once.
    store.limit_sqlite_pages(None);
    let r = h.press(chat, "send").await;
    let done = text(&r);
    assert!(done.contains("R-"), "{done}");
    let all = store
        .reports(&store::ReportFilter {
            from: 0,
            to: i64::MAX,
            status: None,
            category: None,
            limit: 5000,
        })
        .await
        .unwrap();
    assert_eq!(all.len(), fillers + 1, "one report");
    assert_eq!(
        all.iter()
            .filter(|r| r.description.as_deref() == Some(long.trim()))
            .count(),
        1,
        "the rider's report, once"
    );
}

/// A risk surface as a release would give: every zone served around the origin hot at night
/// for every family, the rest calm.
fn night_surface(tt: &timetable::Timetable, day: timetable::Day) -> planner::safety::RiskSurface {
    let families: Vec<String> = ["acoso", "robo", "agresion"].map(String::from).to_vec();
    let mut zones: Vec<String> = tt
        .stops()
        .iter()
        .map(|s| observatory::zone::zone_of(s.coord.lat(), s.coord.lon(), 500.0))
        .collect();
    zones.sort();
    zones.dedup();
    let near = |z: &str| {
        tt.stops().iter().any(|s| {
            observatory::zone::zone_of(s.coord.lat(), s.coord.lon(), 500.0) == z
                && s.coord
                    .distance_m(timetable::Coord::new(HOME.0, HOME.1).unwrap())
                    < 900.0
        })
    };
    let mut cells = Vec::new();
    for z in &zones {
        let hot = near(z);
        for part in 0..3 {
            for f in &families {
                cells.push(planner::safety::ReleasedCell {
                    zone: z.clone(),
                    part,
                    family: f.clone(),
                    count: if hot && part == 2 { 60.0 } else { 0.0 },
                    margin: 6.0,
                });
            }
        }
    }
    planner::safety::surface(
        tt,
        day,
        500.0,
        "2026-10".into(),
        &families,
        &cells,
        planner::safety::SaferConfig::default(),
    )
}

#[tokio::test]
async fn the_safer_route_and_a_shared_trip_from_the_route_answer() {
    let h = Harness::with(bot::BotSettings {
        web_url: Some("https://paradero.example.org/".into()),
        ..bot::BotSettings::default()
    })
    .await;
    let tt = crate::timetable();
    let (today, _) = planner::clock::now(&tt);
    // Without a release there is no safer-route button.
    let chat = 1701;
    h.say(chat, "/ruta").await;
    h.locate(chat, HOME.0, HOME.1).await;
    h.locate(chat, WORK.0, WORK.1).await;
    let r = h.say(chat, "21:30").await;
    assert!(text(&r).contains("Opción 1"), "{}", text(&r));
    assert!(
        !buttons(&r).contains(&"safer".to_string()),
        "{:?}",
        buttons(&r)
    );
    assert!(
        buttons(&r).contains(&"share".to_string()),
        "{:?}",
        buttons(&r)
    );

    // Share: a link to the page whose fragment holds the first option, expiring an hour
    // after its arrival.
    let r = h.press(chat, "share").await;
    let msg = text(&r);
    let url = msg
        .split_whitespace()
        .find(|w| w.starts_with("https://paradero.example.org/compartir?lang=es#"))
        .unwrap_or_else(|| panic!("no link in {msg}"));
    let trip = app::share::decode(url).expect("a trip in the fragment");
    assert_eq!(trip["v"], 1);
    let legs = trip["legs"].as_array().unwrap();
    assert!(legs.iter().any(|l| l.get("r").is_some()), "{trip}");
    let arr = chrono::DateTime::parse_from_rfc3339(trip["arr"].as_str().unwrap()).unwrap();
    assert_eq!(
        trip["exp"].as_i64().unwrap(),
        arr.timestamp_millis() + 3_600_000
    );
    assert!(
        msg.contains(&trip["arr"].as_str().unwrap()[11..16]),
        "{msg}"
    );
    // Sharing is not another trip for the observatory.
    h.state.observatory().unwrap().flush().await;
    assert_eq!(h.store().count_trips().await.unwrap(), 1);

    // With a release that marks the origin's zones at night: the button, and the answer
    // either differs (with what it adds and avoids) or says the fastest is already safer.
    h.state
        .set_risk(Some(std::sync::Arc::new(night_surface(&tt, today))));
    let chat = 1702;
    h.say(chat, "/ruta").await;
    h.locate(chat, HOME.0, HOME.1).await;
    h.locate(chat, WORK.0, WORK.1).await;
    let r = h.say(chat, "21:30").await;
    assert!(
        buttons(&r).contains(&"safer".to_string()),
        "{:?}",
        buttons(&r)
    );
    let r = h.press(chat, "safer").await;
    let answer = text(&r);
    assert!(
        answer.contains(&t(Lang::Es, "bot.safer.header", &[]))
            || answer.contains(&t(Lang::Es, "bot.safer.same", &[])),
        "{answer}"
    );
    // The safer request is counted as a trip attribute of the rider's second plan.
    h.state.observatory().unwrap().flush().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let rows = h
        .store()
        .release_records(now - 3600, now + 3600, |_| 1)
        .await
        .unwrap();
    assert_eq!(rows.trips.len(), 3);
    assert_eq!(rows.trips.iter().filter(|t| t.safer).count(), 1);
}

#[tokio::test]
async fn a_photo_sent_while_describing_goes_with_the_report_without_its_metadata() {
    let h = Harness::start().await;
    let chat = 7_301;
    h.say(chat, "/start").await;
    h.press(chat, "lang:es").await;
    h.say(chat, "/reportar").await;
    h.press(chat, "cat:robo").await;
    h.locate(chat, HOME.0, HOME.1).await;
    let r = h.press(chat, "when:now").await;
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.ask.photo", &[])),
        "the description step offers a photo: {}",
        text(&r)
    );
    // A photo elsewhere is still unexpected; here it is kept for the report.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&image::RgbImage::from_fn(64, 48, |x, _| {
            image::Rgb([x as u8 * 3, 40, 200])
        }))
        .unwrap();
    let sent = jpeg.clone();
    let r = h
        .after(chat, |f| {
            f.photo_of(chat, jpeg);
        })
        .await;
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.report.photo_kept", &[])),
        "{}",
        text(&r)
    );
    assert_eq!(buttons(&r), ["desc:skip"], "the description is still asked");
    h.say(chat, "Me quitaron el celular al bajar.").await;
    h.press(chat, "act:motociclista").await;
    let r = h.press(chat, "act:pasajero").await;
    let r = if buttons(&r).contains(&"g:mujer".to_string()) {
        h.press(chat, "g:mujer").await;
        h.press(chat, "a:36_50").await
    } else {
        r
    };
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.report.with_photo", &[])),
        "the summary says a photo goes: {}",
        text(&r)
    );
    let r = h.press(chat, "send:anon").await;
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.report.photo_added", &[])),
        "{}",
        text(&r)
    );
    let secret = text(&r)
        .split_whitespace()
        .find(|w| w.starts_with("R-"))
        .unwrap()
        .trim_end_matches(['.', ':', ','])
        .to_string();
    let case = h
        .store()
        .report_by_secret(&secret)
        .await
        .unwrap()
        .unwrap()
        .reference;
    let photos = h
        .store()
        .photos_of(std::slice::from_ref(&case))
        .await
        .unwrap();
    assert_eq!(photos.len(), 1);
    let (meta, kept) = h
        .store()
        .photo(&case, &photos[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((meta.width, meta.height), (64, 48));
    assert_ne!(kept, sent, "re-encoded, not stored as sent");
    let stored = h.store().report(&case).await.unwrap().unwrap();
    assert_eq!(stored.actors.involved.as_deref(), Some("motociclista"));
    assert_eq!(stored.actors.victim.as_deref(), Some("pasajero"));
    assert!(image::load_from_memory(&kept).is_ok());
}

#[tokio::test]
async fn surveys_as_data_one_question_at_a_time_with_ticks_skips_and_conditions() {
    let h = Harness::start().await;
    let chat = 131;
    let store = h.store();
    h.say(chat, "/start").await;
    h.press(chat, "lang:es").await;
    // The end of /start offers the profile survey.
    let r = h.press(chat, "consent:no").await;
    assert!(buttons(&r).contains(&"q:perfil".to_string()), "{r:?}");
    let r = h.press(chat, "q:perfil").await;
    assert!(text(&r).contains("Pregunta 1 de 3"), "{}", text(&r));
    assert_eq!(
        buttons(&r),
        [
            "o:mujer",
            "o:hombre",
            "o:no_binario",
            "o:prefiero_no_decir",
            "o:skip"
        ]
    );
    h.press(chat, "o:mujer").await;
    // Optional questions can be skipped.
    let r = h.press(chat, "o:skip").await;
    assert!(text(&r).contains("Pregunta 3 de 3"), "{}", text(&r));
    // A button of another question is stale: the same question again.
    let r = h.press(chat, "o:diario").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.stale", &[])));
    assert!(text(&r).contains("Pregunta 3 de 3"));
    let r = h.press(chat, "o:no").await;
    assert!(text(&r).contains("Gracias"), "{}", text(&r));
    assert_eq!(store.count_responses("perfil").await.unwrap(), 1);

    // /encuestas lists the live surveys; women's safety with ticks.
    let r = h.say(chat, "/encuestas").await;
    assert_eq!(
        buttons(&r),
        ["q:perfil", "q:mujeres", "q:accesibilidad"],
        "{}",
        text(&r)
    );
    let r = h.press(chat, "q:mujeres").await;
    assert!(
        text(&r).contains("Queremos conocer"),
        "the introduction first"
    );
    h.press(chat, "o:diario").await;
    h.press(chat, "o:estudio").await;
    // Multiple choice: ticks, «Listo» needs one, an exclusive option goes alone.
    let r = h.press(chat, "o:done").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.questionnaire.pick_one", &[])));
    let labels = |r: &[bot::fake::Call]| -> String {
        r.iter()
            .flat_map(bot::fake::Call::buttons)
            .map(|(label, _)| label)
            .collect::<Vec<_>>()
            .join("|")
    };
    let r = h.press(chat, "o:manana").await;
    assert!(labels(&r).contains("☑ Mañana"), "{}", labels(&r));
    h.press(chat, "o:tarde_noche").await;
    let r = h.press(chat, "o:done").await;
    assert!(text(&r).contains("Pregunta 4 de 8"), "{}", text(&r));
    // A scale: best first.
    assert_eq!(buttons(&r)[..5], ["o:5", "o:4", "o:3", "o:2", "o:1"]);
    h.press(chat, "o:2").await;
    h.press(chat, "o:miradas").await;
    let r = h.press(chat, "o:ninguna").await;
    assert_eq!(
        labels(&r).matches('☑').count(),
        1,
        "«ninguna» unticks the rest: {}",
        labels(&r)
    );
    h.press(chat, "o:miradas").await;
    h.press(chat, "o:seguimiento").await;
    h.press(chat, "o:done").await;
    h.press(chat, "o:skip").await;
    h.press(chat, "o:skip").await;
    // Free text: too long is refused, the question stays; then the survey is filed.
    let r = h.say(chat, &"x".repeat(501)).await;
    assert!(text(&r).contains("500"), "{}", text(&r));
    let r = h.say(chat, "Más luz en los paraderos.").await;
    assert!(
        text(&r).contains("Gracias por tu participación"),
        "{}",
        text(&r)
    );
    let lines = store
        .export_responses("mujeres", 0, i64::MAX, true)
        .await
        .unwrap();
    let mut got: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l.question.clone(),
                l.option.clone().or(l.text.clone()).unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("comentarios", "Más luz en los paraderos."),
            ("frecuencia", "diario"),
            ("horario", "manana"),
            ("horario", "tarde_noche"),
            ("motivo", "estudio"),
            ("segura", "2"),
            ("situaciones", "miradas"),
            ("situaciones", "seguimiento"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(
        lines
            .iter()
            .all(|l| l.rider.is_some() && l.channel == "bot")
    );

    // Accessibility: an older person without a disability is not asked its type.
    h.say(chat, "/encuestas").await;
    h.press(chat, "q:accesibilidad").await;
    let r = h.press(chat, "o:skip").await;
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.questionnaire.required", &[])),
        "the first question is required: {}",
        text(&r)
    );
    let r = h.press(chat, "o:adulto_mayor").await;
    assert!(text(&r).contains("Pregunta 3 de 8"), "{}", text(&r));
    h.say(chat, "/cancelar").await;
    assert_eq!(store.count_responses("accesibilidad").await.unwrap(), 0);

    // /borrar takes the survey answers too.
    h.say(chat, "/borrar").await;
    h.press(chat, "erase:yes").await;
    assert_eq!(store.count_responses("mujeres").await.unwrap(), 0);
    assert_eq!(store.count_responses("perfil").await.unwrap(), 0);
}
