//! The cities one server serves (`[[cities]]`): each is a set of the timetable's feeds with
//! its name, its map's home view and its languages. A stop belongs to its feed's city; a
//! point to the city of the stop nearest to it. Riders choose their city (the page's
//! `/{id}`, the bot's `/ciudad`), and searches, plans and departures stay within it; a plan
//! from one city to another is refused ([`planner::PlanError::DifferentCities`]).

use crate::{Dataset, Error};
use timetable::{Coord, FeedIdx, StopIdx, Timetable};

/// A city as served: its configuration read against the timetable being served.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CityView {
    /// Its address (`/trujillo`) and the `city` parameter's value.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its feeds' ids (the namespaces of its stop, route and trip ids).
    pub feeds: Vec<String>,
    /// The map's home view, `[west, south, east, north]`: configured, else its stops' box.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<f64>>))]
    pub home: Option<[f64; 4]>,
    /// The languages offered, the default first.
    pub languages: Vec<String>,
    /// How many stops it has.
    pub stops: usize,
    /// Whether walks follow real streets there (an OpenStreetMap extract covers its stops).
    pub streets: bool,
    /// Its feeds in the timetable.
    #[serde(skip)]
    pub feed_idx: Vec<FeedIdx>,
}

impl CityView {
    /// Whether the city holds `feed`.
    pub fn has_feed(&self, feed: FeedIdx) -> bool {
        self.feed_idx.contains(&feed)
    }
}

/// The cities of `configured` against `ds` (their feeds found by id; a city none of whose
/// feeds is loaded is left out, and a loaded feed no city names is a city of its own, named
/// after it). One pass over the stops.
pub fn views(configured: &[config::CityConfig], ds: &Dataset) -> Vec<CityView> {
    let tt = &ds.timetable;
    let mut configured = configured.to_vec();
    for f in tt.feeds() {
        if !configured.iter().any(|c| c.feeds.contains(&f.id)) {
            configured.push(config::CityConfig::of_feed(&f.id));
        }
    }
    let mut out: Vec<CityView> = configured
        .iter()
        .map(|c| CityView {
            id: c.id.clone(),
            name: c.name.clone(),
            feeds: c.feeds.clone(),
            home: c.home,
            languages: c.languages.clone(),
            stops: 0,
            streets: false,
            feed_idx: tt
                .feeds()
                .iter()
                .enumerate()
                .filter(|(_, f)| c.feeds.contains(&f.id))
                .map(|(i, _)| FeedIdx(i as u32))
                .collect(),
        })
        .collect();
    out.retain(|c| !c.feed_idx.is_empty());
    let of_feed = feed_owner(&out, tt);
    let mut boxes: Vec<Option<[f64; 4]>> = vec![None; out.len()];
    let snaps = ds.streets.as_deref().map(|s| &s.stops.snaps);
    for (i, s) in tt.stops().iter().enumerate() {
        let Some(c) = of_feed.get(s.feed.idx()).copied().flatten() else {
            continue;
        };
        out[c].stops += 1;
        if snaps.is_some_and(|sn| sn.get(i).is_some_and(Option::is_some)) {
            out[c].streets = true;
        }
        let (x, y) = (s.coord.lon(), s.coord.lat());
        let b = boxes[c].get_or_insert([x, y, x, y]);
        b[0] = b[0].min(x);
        b[1] = b[1].min(y);
        b[2] = b[2].max(x);
        b[3] = b[3].max(y);
    }
    for (v, b) in out.iter_mut().zip(boxes) {
        if v.home.is_none() {
            v.home = b;
        }
    }
    out
}

/// For each feed of `tt`, the index in `cities` of the city holding it.
fn feed_owner(cities: &[CityView], tt: &Timetable) -> Vec<Option<usize>> {
    (0..tt.feeds().len())
        .map(|f| {
            let f = FeedIdx(f as u32);
            cities.iter().position(|c| c.has_feed(f))
        })
        .collect()
}

/// The city of a stop.
pub fn of_stop(cities: &[CityView], tt: &Timetable, stop: StopIdx) -> Option<usize> {
    let feed = tt.stops().get(stop.idx())?.feed;
    cities.iter().position(|c| c.has_feed(feed))
}

/// The city of a point: that of the stop nearest to it.
pub fn of_point(cities: &[CityView], tt: &Timetable, at: Coord) -> Option<usize> {
    let (stop, _) = tt.stop_index().nearest(at)?;
    of_stop(cities, tt, StopIdx(stop))
}

/// The city of a planning endpoint.
pub fn of_endpoint(cities: &[CityView], tt: &Timetable, e: &planner::Endpoint) -> Option<usize> {
    match e {
        planner::Endpoint::Stops(s) => s.first().and_then(|s| of_stop(cities, tt, *s)),
        planner::Endpoint::Coord(c) => of_point(cities, tt, *c),
    }
}

/// The city `id` among `cities`, or a not-found error listing those served.
pub fn find<'a>(
    cities: &'a [CityView],
    id: &str,
    lang: i18n::Lang,
) -> Result<(usize, &'a CityView), Error> {
    cities
        .iter()
        .enumerate()
        .find(|(_, c)| c.id == id)
        .ok_or_else(|| {
            let list: Vec<&str> = cities.iter().map(|c| c.id.as_str()).collect();
            // Only an address-like id is repeated back (never markup).
            let slug = id.len() <= 40
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            let id = if slug { id } else { "…" };
            Error::NotFound(i18n::t(
                lang,
                "error.unknown_city",
                &[("id", &id), ("list", &list.join(", "))],
            ))
        })
}

/// Refuses a plan whose origin and destination lie in different cities, or outside `within`
/// (a city's index) when the rider chose one. A point farther than `max_access_m` from every
/// stop is in no city: the planner says it is outside the area.
pub fn check_plan(
    cities: &[CityView],
    tt: &Timetable,
    req: &planner::PlanRequest,
    within: Option<usize>,
    max_access_m: f64,
) -> Result<(), planner::PlanError> {
    if cities.len() < 2 {
        return Ok(());
    }
    // One nearest-stop lookup per point: its distance and its city.
    let city = |e: &planner::Endpoint| match e {
        planner::Endpoint::Coord(c) => tt
            .stop_index()
            .nearest(*c)
            .filter(|&(_, d)| d <= max_access_m)
            .and_then(|(s, _)| of_stop(cities, tt, StopIdx(s))),
        e => of_endpoint(cities, tt, e),
    };
    let from = city(&req.from);
    let to = city(&req.to);
    let name = |i: usize| cities[i].name.clone();
    if let (Some(a), Some(b)) = (from, to)
        && a != b
    {
        return Err(planner::PlanError::DifferentCities {
            from: name(a),
            to: name(b),
        });
    }
    if let Some(w) = within {
        for e in [from, to].into_iter().flatten() {
            if e != w {
                return Err(planner::PlanError::OtherCity {
                    place: name(e),
                    chosen: name(w),
                });
            }
        }
    }
    Ok(())
}

/// A feed's validity as officials see it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedValidity {
    /// The feed's id.
    pub feed: String,
    /// The last day it holds: its `feed_info.txt` end date, else its last day of service.
    pub until: Option<timetable::Day>,
    /// Days from `today` to `until` (negative: expired).
    pub days_left: Option<i64>,
}

/// Days within which a feed's end is flagged to officials.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

impl FeedValidity {
    /// Whether it ends within [`EXPIRY_WARNING_DAYS`] (or has ended).
    pub fn expiring(&self) -> bool {
        self.days_left.is_some_and(|d| d <= EXPIRY_WARNING_DAYS)
    }
}

/// Each feed's validity on `today`.
pub fn validity(tt: &Timetable, today: timetable::Day) -> Vec<FeedValidity> {
    tt.feeds()
        .iter()
        .map(|f| {
            let until = match (f.valid_until, f.service_span) {
                (Some(v), Some((_, last))) => Some(v.min(last)),
                (Some(v), None) => Some(v),
                (None, span) => span.map(|s| s.1),
            };
            FeedValidity {
                feed: f.id.clone(),
                until,
                days_left: until.map(|u| (u.date() - today.date()).num_days()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use timetable::Day;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn a_feed_ends_at_its_end_date_or_its_last_service_day_whichever_is_first() {
        let tt = timetable::text::parse("route R: A 08:00 B 08:10").unwrap();
        let span_end = tt.feeds()[0].service_span.unwrap().1;
        let v = validity(&tt, day("20261207"));
        assert_eq!(v[0].until, Some(span_end));
        assert_eq!(
            v[0].days_left,
            Some((span_end.date() - day("20261207").date()).num_days())
        );
        let on = |today: &str| validity(&tt, day(today))[0].clone();
        assert_eq!(
            v[0].expiring(),
            v[0].days_left.unwrap() <= EXPIRY_WARNING_DAYS
        );
        // A month before: flagged; two months before: not; after: flagged, negative.
        let before = |n: i32| span_end.offset(-n).to_string().replace('-', "");
        assert!(on(&before(EXPIRY_WARNING_DAYS as i32)).expiring());
        assert!(!on(&before(EXPIRY_WARNING_DAYS as i32 + 1)).expiring());
        let after = on(&span_end.offset(3).to_string().replace('-', ""));
        assert_eq!(after.days_left, Some(-3));
        assert!(after.expiring());
    }
}
