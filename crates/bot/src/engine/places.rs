//! Reading a place from what a rider sends: a shared location, a typed name or coordinates,
//! or a button among the choices offered.

use super::prompts::{rows_of, stop_label};
use super::{Engine, Input, Out};
use crate::dialogue::Place;
use app::{Coord, StopIdx};
use i18n::{Lang, t};

/// How far from a place its stops are looked for, metres.
const NEAR_STOPS_M: f64 = 300.0;

/// What a rider's input picked.
pub(super) enum Picked {
    One(Place),
    Many(Vec<Place>, Out),
    Nothing(String),
}

impl Engine {
    pub(super) fn choice_out(&self, lang: Lang, key: &str, choices: &[Place]) -> Out {
        let b = choices
            .iter()
            .enumerate()
            .map(|(i, p)| (p.label.clone(), format!("p:{i}")))
            .collect();
        Out::buttons(t(lang, key, &[]), rows_of(b, 1))
    }

    /// Reads a place from a location, a typed name or coordinates, or a button among
    /// `choices`.
    pub(super) fn place(
        &self,
        lang: Lang,
        choices: &[Place],
        input: Input,
        routes_too: bool,
        city: Option<&str>,
    ) -> Picked {
        let tt = self.app.dataset().timetable.clone();
        match input {
            Input::Location(lat, lon) => match Coord::new(lat, lon) {
                Ok(c) => {
                    let nearest = tt.stop_index().nearest(c).map_or(f64::INFINITY, |n| n.1);
                    if nearest > self.app.settings().planner.max_access_m {
                        return Picked::Nothing(t(
                            lang,
                            "obs.outside_area",
                            &[("km", &format!("{:.1}", nearest / 1000.0))],
                        ));
                    }
                    let ds = self.app.dataset();
                    let label = app::places::point_name(&ds, c).map_or_else(
                        || t(lang, "bot.your_location", &[]),
                        |(p, _)| t(lang, "bot.near", &[("place", &p.name)]),
                    );
                    Picked::One(Place {
                        label,
                        stops: vec![],
                        point: Some((lat, lon)),
                        route: None,
                    })
                }
                Err(_) => Picked::Nothing(t(lang, "bot.place.not_found", &[("text", &"?")])),
            },
            Input::Button(b) => match b
                .strip_prefix("p:")
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| choices.get(i))
            {
                Some(p) => Picked::One(p.clone()),
                None => Picked::Nothing(t(lang, "bot.stale", &[])),
            },
            Input::Text(s) => {
                // Coordinates typed or pasted.
                if let Ok(app::Endpoint::Coord(c)) = app::parse_endpoint(&tt, &s) {
                    return self.place(
                        lang,
                        choices,
                        Input::Location(c.lat(), c.lon()),
                        false,
                        city,
                    );
                }
                let ds = self.app.dataset();
                let mut found: Vec<Place> = app::places::find(&ds, &s, 6)
                    .into_iter()
                    .filter(|p| routes_too || p.route.is_none())
                    .filter_map(|p| self.found_place(lang, &tt, p))
                    .collect();
                // Only places the network reaches are offered: a place farther from every stop
                // than a plan walks (or, for departures, than its stops are looked for) could
                // only be refused after it is picked.
                let reach = if routes_too {
                    self.app.settings().planner.max_access_m
                } else {
                    NEAR_STOPS_M
                };
                found.retain(|p| {
                    p.point.is_none_or(|(lat, lon)| {
                        Coord::new(lat, lon)
                            .is_ok_and(|c| tt.stop_index().nearest(c).is_some_and(|n| n.1 <= reach))
                    })
                });
                // Within the rider's city (`/ciudad`), when chosen.
                found.retain(|p| self.in_city(&ds, city, p));
                if !routes_too {
                    // Departures are at stops: stops found by name first, then places (their
                    // stops are offered next).
                    found.sort_by_key(|p| p.stops.is_empty());
                }
                match found.len() {
                    0 => Picked::Nothing(t(lang, "bot.place.not_found", &[("text", &s.trim())])),
                    1 => Picked::One(found.into_iter().next().expect("one")),
                    _ => {
                        let out = self.choice_out(lang, "bot.place.which", &found);
                        Picked::Many(found, out)
                    }
                }
            }
            Input::Command(..) | Input::Photo(_) | Input::Other => {
                Picked::Nothing(t(lang, "bot.use_buttons", &[]))
            }
        }
    }

    /// Whether a place lies in the city `city` (any place when none is chosen).
    fn in_city(&self, ds: &std::sync::Arc<app::Dataset>, city: Option<&str>, p: &Place) -> bool {
        let Some(city) = city else { return true };
        let views = self.app.cities_of(ds);
        let tt = &ds.timetable;
        let of = match (&p.point, p.stops.first()) {
            (Some((lat, lon)), _) => Coord::new(*lat, *lon)
                .ok()
                .and_then(|c| app::cities::of_point(&views, tt, c)),
            (None, Some(id)) => tt
                .stop_by_id(id)
                .and_then(|s| app::cities::of_stop(&views, tt, s)),
            (None, None) => None,
        };
        of.is_none_or(|i| views[i].id == city)
    }

    /// A place found by name, as the conversation keeps it: stops (with the routes calling
    /// there) or a point on the map (a street, a corner, a market).
    fn found_place(&self, lang: Lang, tt: &app::Timetable, p: app::places::Place) -> Option<Place> {
        if p.stops.is_empty() {
            return Some(Place {
                label: p.name,
                stops: vec![],
                point: Some((p.lat, p.lon)),
                route: None,
            });
        }
        let first = tt.stop_by_id(&p.stops[0])?;
        let label = match &p.route {
            Some(r) => format!(
                "{} ({})",
                stop_label(lang, tt, first),
                t(
                    lang,
                    "bot.on_route",
                    &[("route", &tt.route(tt.route_by_id(r)?).short_name)]
                )
            ),
            None => {
                let routes = app::stop_routes(tt, first);
                let shown: Vec<String> = routes.iter().take(4).cloned().collect();
                format!(
                    "{} · {}",
                    p.name,
                    t(lang, "bot.routes_list", &[("routes", &shown.join(", "))])
                )
            }
        };
        Some(Place {
            label,
            stops: p.stops,
            point: None,
            route: p.route,
        })
    }

    /// The stops around a point offered for departures: within this, nearest first.
    pub(super) fn near_stops(&self, lang: Lang, lat: f64, lon: f64) -> Result<Vec<Place>, String> {
        let tt = self.app.dataset().timetable.clone();
        let c =
            Coord::new(lat, lon).map_err(|_| t(lang, "bot.place.not_found", &[("text", &"?")]))?;
        let near: Vec<(u32, f64)> = tt
            .stop_index()
            .within(c, NEAR_STOPS_M)
            .into_iter()
            .take(5)
            .collect();
        if near.is_empty() {
            return Err(t(lang, "bot.dep.none_near", &[]));
        }
        Ok(near
            .into_iter()
            .map(|(s, d)| {
                let s = StopIdx(s);
                Place {
                    label: format!("{} · {} m", stop_label(lang, &tt, s), d.round()),
                    stops: vec![tt.stop(s).id.clone()],
                    point: None,
                    route: None,
                }
            })
            .collect())
    }
}
