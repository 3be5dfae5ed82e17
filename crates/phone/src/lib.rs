//! The router on the rider's phone. The riders' page runs this crate, compiled to WebAssembly,
//! in a Web Worker: it reads the feed's offline bundle (`offline` crate) and answers the
//! page's questions — `/v1/plan`, `/v1/stops/{id}/departures`, `/v1/places`, `/v1/stops` —
//! with the same JSON the HTTP API gives, from the same planner code, without live data.
//!
//! The WebAssembly interface is six plain functions over linear memory (no generated glue):
//! `phone_alloc`/`phone_free` for buffers, `phone_load(ptr, len)` for a bundle and
//! `phone_answer(ptr, len, now)` for a request path with its query, each returning a status and
//! leaving its JSON in an output buffer read with `phone_out_ptr`/`phone_out_len`. (Prefixed: a
//! bare `free` or `alloc` would stand in for the C library's on a native build.) [`Phone`] is
//! the same in Rust, for tests on the host.

use i18n::Lang;
use planner::{PlanRequest, PlannerConfig};
use raptor::Scratch;
use serde_json::{Value, json};
use std::cell::RefCell;
use timetable::{Day, Secs, Timetable};

/// A loaded bundle, ready to answer.
#[allow(missing_debug_implementations)]
pub struct Phone {
    tt: Timetable,
    settings: offline::Settings,
    meta: offline::Meta,
    scratch: Scratch,
}

/// A request's query parameters.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
}

fn problem(status: u16, detail: String) -> (u16, Value) {
    (status, json!({ "status": status, "detail": detail }))
}

impl Phone {
    /// Reads a bundle (refused with the reason when damaged or foreign).
    pub fn load(bytes: &[u8]) -> Result<Phone, offline::BundleError> {
        let b = offline::import(bytes)?;
        Ok(Phone {
            scratch: Scratch::new(&b.timetable),
            tt: b.timetable,
            settings: b.settings,
            meta: b.meta,
        })
    }

    /// What the bundle says of itself, with its size in stops and routes.
    pub fn about(&self) -> Value {
        json!({
            "feed": self.meta.feed,
            "feed_version": self.meta.feed_version,
            "loaded_unix": self.meta.loaded_unix,
            "service_from": self.meta.service_from,
            "service_to": self.meta.service_to,
            "stops": self.tt.stops().len(),
            "routes": self.tt.routes().len(),
        })
    }

    /// The timetable read from the bundle.
    pub fn timetable(&self) -> &Timetable {
        &self.tt
    }

    /// Answers `path?query` as the HTTP API would, as of Unix time `now` (the phone's clock):
    /// the status and the JSON body.
    pub fn answer(&mut self, path_and_query: &str, now: i64) -> (u16, Value) {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let params = Params(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        );
        let get = |k: &str| params.get(k);
        let lang = get("lang").and_then(Lang::parse).unwrap_or_default();
        let today = planner::clock::at_unix(&self.tt, now);
        if path == "/v1/plan" {
            return self.plan(&params, lang, today);
        }
        if let Some(id) = path
            .strip_prefix("/v1/stops/")
            .and_then(|r| r.strip_suffix("/departures"))
        {
            let id = form_urlencoded::parse(format!("x={id}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            return self.departures(&id, &params, lang, today);
        }
        if path == "/v1/places" || path == "/v1/stops" {
            let q = get("q").unwrap_or("");
            let limit = get("limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(8)
                .clamp(1, 50);
            return (200, self.search(path == "/v1/places", q, limit));
        }
        problem(
            404,
            i18n::t(lang, "offline.not_on_phone", &[("path", &path)]),
        )
    }

    fn plan(&mut self, params: &Params, lang: Lang, today: (Day, Secs)) -> (u16, Value) {
        let get = |k: &str| params.get(k);
        let plan_error = |e: planner::PlanError| {
            let status = match e {
                planner::PlanError::UnknownStop(_) => 404,
                planner::PlanError::BadCoordinate(_) => 400,
                _ => 422,
            };
            problem(status, e.localized(lang))
        };
        let Some((from, to)) = get("from").zip(get("to")) else {
            return problem(400, i18n::t(lang, "offline.need_from_to", &[]));
        };
        let from = match planner::parse_endpoint(&self.tt, from) {
            Ok(x) => x,
            Err(e) => return plan_error(e),
        };
        let to = match planner::parse_endpoint(&self.tt, to) {
            Ok(x) => x,
            Err(e) => return plan_error(e),
        };
        let when = |k: &str| {
            get(k).map(|v| {
                planner::when::parse(v, today.0, None).map_err(|e| problem(400, e.localized(lang)))
            })
        };
        let (at, by) = match (when("at").transpose(), when("arrive_by").transpose()) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        if at.is_some() && by.is_some() {
            return problem(422, i18n::t(lang, "error.at_and_arrive_by", &[]));
        }
        let (day, time) = by.or(at).unwrap_or(today);
        let window_secs = match get("window") {
            None => None,
            Some(w) => match timetable::text::parse_duration(w) {
                Ok(x) if x <= 6 * 3600 => Some(x).filter(|&x| x > 0),
                _ => {
                    return problem(400, i18n::t(lang, "error.bad_window", &[("text", &w)]));
                }
            },
        };
        let mut options = self.settings.options(&self.tt);
        let Some(wheelchair) = planner::wheelchair_param(get("wheelchair")) else {
            let value = get("wheelchair").unwrap_or("");
            return problem(
                400,
                i18n::t(lang, "error.wheelchair_param", &[("value", &value)]),
            );
        };
        options.wheelchair = wheelchair;
        // As the API reads them: a number out of its range is a 400 naming it.
        let number = |k: &str, d: u32, max: u32| match get(k) {
            None => Ok(d),
            Some(v) => v.parse::<u32>().ok().filter(|&x| x <= max).ok_or_else(|| {
                problem(
                    400,
                    i18n::t(
                        lang,
                        "error.param_number",
                        &[("key", &k), ("min", &0), ("max", &max), ("value", &v)],
                    ),
                )
            }),
        };
        options.max_transfers = match number("max_transfers", options.max_transfers.into(), 15) {
            Ok(x) => x as u8,
            Err(e) => return e,
        };
        options.max_walk_leg_m = match number("max_walk_m", options.max_walk_leg_m, 5_000) {
            Ok(x) => x,
            Err(e) => return e,
        };
        let req = PlanRequest {
            from,
            to,
            day,
            time,
            arrive_by: by.is_some(),
            window_secs,
            options,
            lang,
            safer: false,
        };
        let cfg: &PlannerConfig = &self.settings.planner;
        match planner::plan(&self.tt, &mut self.scratch, cfg, &req) {
            Ok(p) => (200, serde_json::to_value(p).unwrap_or(Value::Null)),
            Err(e) => plan_error(e),
        }
    }

    fn stop_json(&self, s: timetable::StopIdx) -> Value {
        let st = self.tt.stop(s);
        json!({ "id": st.id, "name": st.name, "lat": st.coord.lat(), "lon": st.coord.lon() })
    }

    fn departures(
        &self,
        id: &str,
        params: &Params,
        lang: Lang,
        today: (Day, Secs),
    ) -> (u16, Value) {
        let get = |k: &str| params.get(k);
        let Some(stop) = self.tt.stop_by_id(id) else {
            return problem(404, i18n::t(lang, "error.unknown_stop", &[("id", &id)]));
        };
        let (day, time) = match get("at").map(|v| planner::when::parse(v, today.0, None)) {
            None => today,
            Some(Ok(x)) => x,
            Some(Err(e)) => return problem(400, e.localized(lang)),
        };
        let limit = get("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(10)
            .clamp(1, 50);
        let found = planner::departures(&self.tt, stop, day, time as i32, limit, None);
        (
            200,
            json!({ "stop": self.stop_json(stop), "departures": found, "alerts": [] }),
        )
    }

    fn search(&self, places: bool, q: &str, limit: usize) -> Value {
        if places {
            let found: Vec<Value> = planner::find_places(&self.tt, q, limit)
                .into_iter()
                .filter(|m| !m.stops.is_empty())
                .map(|m| {
                    let c = self.tt.stop(m.stops[0]).coord;
                    json!({
                        "name": m.name,
                        "type": "stop",
                        "lat": c.lat(),
                        "lon": c.lon(),
                        "stops": m.stops.iter().map(|&s| self.tt.stop(s).id.clone()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            return json!({ "places": found });
        }
        let folded = planner::fold(q.trim());
        let stops: Vec<Value> = planner::search_stops(&self.tt, &folded)
            .into_iter()
            .take(limit)
            .map(|s| self.stop_json(s))
            .collect();
        let routes: Vec<Value> = planner::search_routes(&self.tt, &folded)
            .into_iter()
            .take(limit)
            .map(|r| {
                let route = self.tt.route(r);
                json!({
                    "id": route.id, "short_name": route.short_name, "long_name": route.long_name,
                    "color": route.color, "text_color": route.text_color, "route_type": route.route_type,
                })
            })
            .collect();
        json!({ "stops": stops, "routes": routes })
    }
}

// ---- the WebAssembly interface ----

thread_local! {
    static PHONE: RefCell<Option<Phone>> = const { RefCell::new(None) };
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn put(v: &Value) {
    OUT.with(|o| *o.borrow_mut() = serde_json::to_vec(v).unwrap_or_default());
}

/// A buffer of `len` bytes for the page to write into.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn phone_alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len);
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Gives back a buffer from [`phone_alloc`].
///
/// # Safety
/// `ptr` and `len` must be those of one [`phone_alloc`] call, freed once.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn phone_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller passes a pointer and capacity from `alloc`, once.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
}

/// Reads the bundle in `ptr..ptr+len`: 0 and what it is, or 1 and why it was refused.
///
/// # Safety
/// `ptr..ptr+len` must be a buffer from [`phone_alloc`], written by the caller.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn phone_load(ptr: *const u8, len: usize) -> u32 {
    // SAFETY: the caller wrote `len` bytes at `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    match Phone::load(bytes) {
        Ok(p) => {
            put(&p.about());
            PHONE.with(|s| *s.borrow_mut() = Some(p));
            0
        }
        Err(e) => {
            put(&json!({ "detail": e.to_string() }));
            1
        }
    }
}

/// Answers the request path and query in `ptr..ptr+len` (UTF-8) as of Unix time `now`: the
/// HTTP status, the JSON in the output buffer.
///
/// # Safety
/// `ptr..ptr+len` must be a buffer from [`phone_alloc`], written by the caller.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn phone_answer(ptr: *const u8, len: usize, now: f64) -> u32 {
    // SAFETY: the caller wrote `len` bytes at `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    let path = String::from_utf8_lossy(bytes);
    let (status, v) = PHONE.with(|s| match s.borrow_mut().as_mut() {
        Some(p) => p.answer(&path, now as i64),
        None => problem(503, "no timetable loaded".into()),
    });
    put(&v);
    status.into()
}

/// Where the last answer is.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn phone_out_ptr() -> *const u8 {
    OUT.with(|o| o.borrow().as_ptr())
}

/// How long the last answer is.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn phone_out_len() -> usize {
    OUT.with(|o| o.borrow().len())
}
