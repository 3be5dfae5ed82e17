//! Itineraries as short readable text, in the rider's language (catalog keys `plan.*`).

use crate::{Itinerary, ItineraryLeg, Plan, StopRef};
use i18n::{Lang, t};

/// Walking steps listed under a walk in text answers (the rest is on the map).
const BRIEF_STEPS: usize = 3;

fn hm(iso: &str) -> &str {
    iso.get(11..16).unwrap_or(iso)
}

fn stop_name(lang: Lang, s: &StopRef) -> String {
    stop_display_name(lang, &s.name, &s.id)
}

/// A stop's name for riders; OSM's unnamed nodes (`Innominada`) as "an unnamed stop (id)".
pub fn stop_display_name(lang: Lang, name: &str, id: &str) -> String {
    if crate::places::unnamed(name) {
        format!("{} ({id})", t(lang, "stop.unnamed", &[]))
    } else {
        name.to_string()
    }
}

fn transfers(lang: Lang, n: u8) -> String {
    match n {
        0 => t(lang, "plan.transfers.0", &[]),
        1 => t(lang, "plan.transfers.1", &[]),
        n => t(lang, "plan.transfers.n", &[("n", &n)]),
    }
}

fn minutes(secs: i32) -> i32 {
    (secs + 59) / 60
}

/// How a ride stands: live against the timetable (boarded as the bus is predicted, not a
/// headway), else its headway (`every_key`), else nothing.
fn ride_timing(
    lang: Lang,
    realtime: bool,
    delay_s: Option<i32>,
    headway_s: Option<u32>,
    every_key: &str,
) -> Option<String> {
    if realtime {
        let minutes = (delay_s.unwrap_or(0).abs() + 30) / 60;
        let key = match delay_s {
            None => "plan.ride.live_unscheduled",
            Some(_) if minutes == 0 => "plan.ride.live_on_time",
            Some(d) if d > 0 => "plan.ride.live_late",
            Some(_) => "plan.ride.live_early",
        };
        return Some(t(lang, key, &[("minutes", &minutes)]));
    }
    headway_s.map(|h| t(lang, every_key, &[("minutes", &(h / 60))]))
}

/// One itinerary, as lines of text.
pub fn render_itinerary(lang: Lang, n: usize, it: &Itinerary) -> String {
    let approx = |key: &'static str| -> String {
        if it.approximate {
            format!("{key}.approx")
        } else {
            key.to_string()
        }
    };
    let mut out = t(
        lang,
        &approx("plan.option"),
        &[
            ("n", &n),
            ("dep", &hm(&it.departure)),
            ("arr", &hm(&it.arrival)),
            ("minutes", &minutes(it.duration_s)),
            ("transfers", &transfers(lang, it.transfers)),
        ],
    );
    out.push('\n');
    for leg in &it.legs {
        let line = match leg {
            ItineraryLeg::Walk {
                to,
                duration_s,
                distance_m,
                from,
                steps,
                ..
            } => {
                let mut l = if from.is_none() && to.is_none() {
                    t(
                        lang,
                        "plan.walk_only",
                        &[("minutes", &minutes(*duration_s)), ("meters", distance_m)],
                    )
                } else {
                    let dest = to.as_ref().map_or_else(
                        || t(lang, "plan.walk.destination", &[]),
                        |s| stop_name(lang, s),
                    );
                    t(
                        lang,
                        "plan.walk",
                        &[
                            ("minutes", &minutes(*duration_s)),
                            ("meters", distance_m),
                            ("to", &dest),
                        ],
                    )
                };
                // Briefly, the steps along the streets (when the city's map is loaded).
                for st in steps.iter().take(BRIEF_STEPS) {
                    l.push_str("\n   · ");
                    l.push_str(&st.instruction);
                }
                if steps.len() > BRIEF_STEPS {
                    l.push_str("\n   · …");
                }
                l
            }
            ItineraryLeg::Ride {
                route_short_name,
                headsign,
                board,
                alight,
                intermediate_stops,
                headway_s,
                realtime,
                delay_s,
                alerts,
                ..
            } => {
                // Service alerts first: a strike or a detour matters before any time.
                let mut l = String::new();
                for a in alerts {
                    l.push_str(&t(lang, "plan.alert", &[("header", &a.header)]));
                    l.push_str("\n   ");
                }
                l += &t(
                    lang,
                    &approx("plan.ride"),
                    &[
                        ("route", route_short_name),
                        ("headsign", headsign),
                        ("stop", &stop_name(lang, board)),
                        ("time", &hm(board.time.as_deref().unwrap_or(""))),
                    ],
                );
                if let Some(when) = ride_timing(
                    lang,
                    *realtime,
                    *delay_s,
                    *headway_s,
                    &approx("plan.ride.every"),
                ) {
                    l.push(' ');
                    l.push_str(&when);
                }
                l.push_str("\n   ");
                l.push_str(&t(
                    lang,
                    &approx("plan.alight"),
                    &[
                        ("stop", &stop_name(lang, alight)),
                        ("time", &hm(alight.time.as_deref().unwrap_or(""))),
                        ("stops", &(intermediate_stops.len() + 1)),
                    ],
                ));
                l
            }
        };
        out.push_str(" - ");
        out.push_str(&line);
        out.push('\n');
    }
    let fare = it.fare.as_ref().map_or_else(
        || t(lang, "plan.fare.unknown", &[]),
        |f| format!("{:.2} {}", f.amount, f.currency).trim().to_string(),
    );
    out.push_str("   ");
    out.push_str(&t(
        lang,
        "plan.summary",
        &[
            ("walk_min", &minutes(it.walk_s)),
            ("wait_min", &minutes(it.wait_s)),
            ("fare", &fare),
        ],
    ));
    // CO₂ only where the bus clearly emits less than the car (see `Co2`).
    if it.co2.bus_clearly_less {
        out.push_str(", ");
        out.push_str(&t(
            lang,
            "plan.co2",
            &[
                ("bus_kg", &format!("{:.2}", it.co2.bus_g / 1000.0)),
                ("car_kg", &format!("{:.2}", it.co2.car_g / 1000.0)),
            ],
        ));
    }
    out.push('\n');
    out
}

/// Option `n` of a plan for service day `date`: a trip that leaves after midnight says so.
pub fn render_option(lang: Lang, n: usize, it: &Itinerary, date: &str) -> String {
    let text = render_itinerary(lang, n, it);
    if it.departure.get(..10).is_some_and(|d| d > date) {
        format!("{} {text}", t(lang, "plan.next_day", &[]))
    } else {
        text
    }
}

/// What is said once, before a plan's options (every door): that no bus runs at the time
/// asked and when the first leaves; that the times are estimates.
pub fn plan_notes(lang: Lang, plan: &Plan) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(at) = &plan.service_resumes {
        let time = at.get(11..16).unwrap_or(at);
        let tomorrow = at.get(..10).is_some_and(|d| d > plan.date.as_str());
        let key = if tomorrow {
            "plan.service_resumes_tomorrow"
        } else {
            "plan.service_resumes"
        };
        notes.push(t(lang, key, &[("time", &time)]));
    }
    if plan.itineraries.iter().any(|it| it.approximate) {
        notes.push(t(lang, "plan.estimated", &[]));
    }
    notes
}

/// A whole plan as text.
pub fn render_text(lang: Lang, plan: &Plan) -> String {
    if plan.itineraries.is_empty() {
        return t(lang, "plan.none", &[]) + "\n";
    }
    let notes = plan_notes(lang, plan);
    let note = if notes.is_empty() {
        String::new()
    } else {
        notes.join("\n") + "\n\n"
    };
    note + &plan
        .itineraries
        .iter()
        .enumerate()
        .map(|(i, it)| render_option(lang, i + 1, it, &plan.date))
        .collect::<Vec<_>>()
        .join("\n")
}
