//! "Share my trip": a link a trusted contact opens to see the planned itinerary and when the
//! rider should arrive. The trip travels in the link's fragment (`#…`), which browsers never
//! send to a server: paradero keeps nothing of it, and `/compartir` shows nothing after the
//! link's expiry. The riders' page builds the same link in the browser (`web/app.js`); the
//! chatbot builds it here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use i18n::Lang;
use planner::{Itinerary, ItineraryLeg};
use serde::Serialize;

/// One leg as the shared page reads it (short keys: the link stays short enough for a chat).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum SharedLeg<'a> {
    Walk {
        /// Minutes.
        w: i64,
        /// To (a stop's name, empty for the destination).
        t: &'a str,
    },
    Ride {
        r: &'a str,
        h: &'a str,
        b: &'a str,
        bt: &'a str,
        a: &'a str,
        at: &'a str,
    },
}

/// What the fragment holds (version 1).
#[derive(Debug, Serialize)]
struct Shared<'a> {
    v: u8,
    dep: &'a str,
    arr: &'a str,
    /// Expiry, Unix milliseconds.
    exp: i64,
    legs: Vec<SharedLeg<'a>>,
}

fn clock(iso: &str) -> &str {
    iso.get(11..16).unwrap_or("")
}

/// When a shared link of `it` stops showing it: its arrival plus `hours_after_arrival`, Unix
/// milliseconds (`None` for an arrival that is not RFC 3339).
pub fn expiry_ms(it: &Itinerary, hours_after_arrival: f64) -> Option<i64> {
    let arr = chrono::DateTime::parse_from_rfc3339(&it.arrival).ok()?;
    Some(arr.timestamp_millis() + (hours_after_arrival.max(0.0) * 3_600_000.0) as i64)
}

/// The link to `it` on the page at `web_url` (the deployment's public address), in `lang`.
pub fn link(web_url: &str, lang: Lang, it: &Itinerary, hours_after_arrival: f64) -> Option<String> {
    let legs = it
        .legs
        .iter()
        .map(|l| match l {
            ItineraryLeg::Walk { to, duration_s, .. } => SharedLeg::Walk {
                w: (i64::from(*duration_s) + 30).max(0) / 60,
                t: to.as_ref().map_or("", |s| s.name.as_str()),
            },
            ItineraryLeg::Ride {
                route_short_name,
                headsign,
                board,
                alight,
                ..
            } => SharedLeg::Ride {
                r: route_short_name,
                h: headsign,
                b: &board.name,
                bt: clock(board.time.as_deref().unwrap_or("")),
                a: &alight.name,
                at: clock(alight.time.as_deref().unwrap_or("")),
            },
        })
        .collect();
    let shared = Shared {
        v: 1,
        dep: &it.departure,
        arr: &it.arrival,
        exp: expiry_ms(it, hours_after_arrival)?,
        legs,
    };
    let json = serde_json::to_vec(&shared).ok()?;
    Some(format!(
        "{}/compartir?lang={}#{}",
        web_url.trim_end_matches('/'),
        lang.code(),
        URL_SAFE_NO_PAD.encode(json)
    ))
}

/// The trip a link carries, as JSON (for tests and for anyone checking what a link holds).
pub fn decode(link: &str) -> Option<serde_json::Value> {
    let fragment = link.split_once('#')?.1;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(fragment).ok()?).ok()
}
