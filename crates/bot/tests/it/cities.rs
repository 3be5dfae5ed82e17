//! Two cities in one bot: `/ciudad` chooses (buttons, or the name typed after it), the first
//! trip planned sets it for a rider who never chose, and a trip from one city to the other,
//! or outside the chosen city, is refused with how to change it.

use crate::{Harness, buttons, text};
use i18n::{Lang, t};

const AREQUIPA: (f64, f64) = (-16.3989, -71.5369);
const AREQUIPA_2: (f64, f64) = (-16.4250, -71.5200);
const TRUJILLO: (f64, f64) = (-8.1116, -79.0288);
const TRUJILLO_2: (f64, f64) = (-8.0900, -79.0400);

/// `/ruta` from `from` to `to` at 08:00: the bot's answer to the time.
async fn trip(h: &Harness, chat: i64, from: (f64, f64), to: (f64, f64)) -> String {
    h.say(chat, "/ruta").await;
    h.locate(chat, from.0, from.1).await;
    let r = h.locate(chat, to.0, to.1).await;
    assert_eq!(buttons(&r), ["when:now"], "{}", text(&r));
    text(&h.say(chat, "08:00").await)
}

#[tokio::test]
async fn a_rider_chooses_a_city_and_plans_within_it() {
    let h = Harness::two_cities().await;
    let chat = 901;
    let r = h.say(chat, "/ciudad").await;
    assert!(
        text(&r).contains(&t(Lang::Es, "bot.city.choose", &[])),
        "{}",
        text(&r)
    );
    assert_eq!(buttons(&r), ["city:arequipa", "city:trujillo"]);
    let r = h.press(chat, "city:trujillo").await;
    assert_eq!(
        text(&r),
        t(Lang::Es, "bot.city.set", &[("city", &"Trujillo")])
    );
    // Now asked again, it says where the rider is.
    let r = h.say(chat, "/ciudad").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.city.current", &[("city", &"Trujillo")])));
    // A trip in Arequipa while in Trujillo: refused, with the way out.
    let answer = trip(&h, chat, AREQUIPA, AREQUIPA_2).await;
    assert!(
        answer.contains(&t(
            Lang::Es,
            "error.other_city",
            &[("place", &"Arequipa"), ("chosen", &"Trujillo")]
        )),
        "{answer}"
    );
    assert!(answer.contains("/ciudad"), "{answer}");
    // In Trujillo: planned.
    let answer = trip(&h, chat, TRUJILLO, TRUJILLO_2).await;
    assert!(answer.contains("Opción 1"), "{answer}");
    // Typed after the command, by name (accents and case do not matter).
    let r = h.say(chat, "/ciudad AREQUIPA").await;
    assert_eq!(
        text(&r),
        t(Lang::Es, "bot.city.set", &[("city", &"Arequipa")])
    );
    let r = h.say(chat, "/ciudad lima").await;
    assert_eq!(
        text(&r),
        t(
            Lang::Es,
            "bot.city.unknown",
            &[("text", &"lima"), ("cities", &"Arequipa, Trujillo")]
        )
    );
}

#[tokio::test]
async fn a_trip_between_cities_is_refused_and_the_first_trip_sets_the_city() {
    let h = Harness::two_cities().await;
    let chat = 902;
    let answer = trip(&h, chat, AREQUIPA, TRUJILLO).await;
    assert!(
        answer.contains(&t(
            Lang::Es,
            "error.different_cities",
            &[("from", &"Arequipa"), ("to", &"Trujillo")]
        )),
        "{answer}"
    );
    // A rider who never chose is in the city of their first trip.
    let answer = trip(&h, chat, AREQUIPA, AREQUIPA_2).await;
    assert!(answer.contains("Opción 1"), "{answer}");
    let r = h.say(chat, "/ciudad").await;
    assert!(text(&r).contains(&t(Lang::Es, "bot.city.current", &[("city", &"Arequipa")])));
    // In Quechua too.
    h.say(chat, "/idioma").await;
    h.press(chat, "lang:qu").await;
    let r = h.say(chat, "/llaqta").await;
    assert!(
        text(&r).contains(&t(Lang::Qu, "bot.city.current", &[("city", &"Arequipa")])),
        "{}",
        text(&r)
    );
}

#[tokio::test]
async fn one_city_is_never_offered_as_a_menu_of_one() {
    let h = Harness::start().await;
    let r = h.say(903, "/ciudad").await;
    assert!(buttons(&r).is_empty(), "{}", text(&r));
    assert_eq!(
        text(&r),
        t(Lang::Es, "bot.city.only", &[("city", &"Arequipa")])
    );
}
