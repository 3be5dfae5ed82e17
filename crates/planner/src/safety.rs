//! Safer trips: a risk surface built from the observatory's public releases (never from raw
//! reports), used to weigh walking and waiting in zones with many incidents at that hour.
//!
//! The surface holds, per zone and part of the day, the smoothed incident rate relative to the
//! city's (1 = the city's average), and which incident families the release supports saying
//! something about there. A trip's *exposure* is its minutes walking and waiting, each weighted
//! by the relative risk where and when it happens; the safer trip minimises the travel time
//! plus `weight` × the exposure above the city's average, among the fastest search's options
//! and a second search that does not board or alight at hot stops at that hour.

use crate::{Itinerary, ItineraryLeg, Plan};
use i18n::{Lang, t};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use timetable::{StopIdx, Timetable};

/// Parts of the day the releases use, with their first and last hour.
pub const DAY_PARTS: [(u8, u8); 3] = [(6, 17), (18, 20), (21, 5)];

/// The part of the day (index into [`DAY_PARTS`]) of a local hour.
pub fn day_part(hour: u8) -> usize {
    match hour {
        6..=17 => 0,
        18..=20 => 1,
        _ => 2,
    }
}

/// One zone at one part of the day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RiskCell {
    /// Smoothed incident rate relative to the city's (1 = average).
    pub relative: f64,
    /// Bit `f` set: the release supports a note about family `f` here and then (its count
    /// clearly above its margin of error, and well above the city's rate).
    pub notes: u8,
}

/// How the safer planner weighs risk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SaferConfig {
    /// Seconds of travel a second of walking or waiting at twice the city's risk is worth.
    pub weight: f64,
    /// Stops in zones at least this many times the city's risk are avoided by the second
    /// search.
    pub hot: f64,
    /// How the safer candidates are found.
    pub search: SaferSearch,
}

/// How the safer planner finds candidates besides the fastest search's (the configuration's
/// `safety.search`: `second_search` or `pareto`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaferSearch {
    /// A second RAPTOR search that does not board or alight at hot stops at that hour.
    #[default]
    #[serde(rename = "second_search")]
    AvoidHotStops,
    /// McRAPTOR over (arrival, exposure): every journey no other beats on both
    /// ([`raptor::search_exposure`]); depart-at only (arrive-by uses the second search).
    Pareto,
}

impl Default for SaferConfig {
    fn default() -> Self {
        SaferConfig {
            weight: 1.0,
            hot: 2.0,
            search: SaferSearch::default(),
        }
    }
}

/// The risk surface of one release.
#[derive(Debug, Clone)]
pub struct RiskSurface {
    /// Zone side, metres (the release's grid).
    pub cell_m: f64,
    /// The release it comes from (`2026-11`).
    pub period: String,
    /// Incident families, in the order of [`RiskCell::notes`]'s bits.
    pub families: Vec<String>,
    cells: HashMap<(i64, i64), [RiskCell; 3]>,
    /// Per part of the day, the stops of the timetable in hot zones.
    avoid: [Arc<[bool]>; 3],
    /// Per part of the day and stop, what a second waiting or walking there adds to the
    /// exposure the safer planner weighs (risk above the city's × how unsafe riders feel).
    rates: [Arc<[f64]>; 3],
    /// The timetable's stops, for the rates.
    coords: Arc<[(f64, f64)]>,
    /// Riders' perceived safety per part of the day, from the release's survey means (`None`
    /// where the release has none, or its margin swamps it).
    pub perceived: [Option<Perceived>; 3],
    /// The same over the whole day.
    pub perceived_day: Option<Perceived>,
    /// Parameters.
    pub config: SaferConfig,
}

/// Riders' perceived safety, 1–5 (higher is safer), as the release's survey means give it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Perceived {
    /// Mean score.
    pub mean: f64,
    /// Its 95 % margin (± points).
    pub margin: f64,
}

/// A perceived-safety mean is used (to weigh, to say) only when its 95 % margin is at most
/// this many points of the 1–5 scale: beyond, the noise swamps any difference between parts
/// of the day.
pub const MAX_PERCEIVED_MARGIN: f64 = 0.5;

/// One released row of perceived safety (a gender in an hour band): the band's first local
/// hour, the count shown, the mean score and its margin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReleasedMean {
    /// First hour of the band.
    pub first_hour: u8,
    /// Answers shown (noisy).
    pub count: f64,
    /// Mean score shown.
    pub mean: f64,
    /// Its 95 % margin.
    pub margin: f64,
}

/// Released means pooled: weighted by the counts shown, margins combined as independent
/// errors; `None` without answers or when the margin is wider than [`MAX_PERCEIVED_MARGIN`].
fn pool<'a>(rows: impl Iterator<Item = &'a ReleasedMean>) -> Option<Perceived> {
    let (mut n, mut sum, mut var) = (0.0, 0.0, 0.0);
    for r in rows.filter(|r| r.count > 0.0 && r.mean.is_finite() && r.margin.is_finite()) {
        n += r.count;
        sum += r.count * r.mean;
        var += (r.count * r.margin).powi(2);
    }
    if n <= 0.0 {
        return None;
    }
    let p = Perceived {
        mean: sum / n,
        margin: var.sqrt() / n,
    };
    (p.margin <= MAX_PERCEIVED_MARGIN).then_some(p)
}

impl RiskSurface {
    /// A surface from cells given by zone name, for the stops of `tt`.
    pub fn new(
        tt: &Timetable,
        cell_m: f64,
        period: String,
        families: Vec<String>,
        cells: impl IntoIterator<Item = (String, usize, RiskCell)>,
        config: SaferConfig,
    ) -> RiskSurface {
        let mut map: HashMap<(i64, i64), [RiskCell; 3]> = HashMap::new();
        for (zone, part, cell) in cells {
            if let Some(z) = timetable::zone::parse_zone(&zone)
                && part < 3
            {
                map.entry(z).or_insert(
                    [RiskCell {
                        relative: 1.0,
                        notes: 0,
                    }; 3],
                )[part] = cell;
            }
        }
        let mut s = RiskSurface {
            cell_m,
            period,
            families,
            cells: map,
            avoid: [
                Arc::from(Vec::new()),
                Arc::from(Vec::new()),
                Arc::from(Vec::new()),
            ],
            rates: [
                Arc::from(Vec::new()),
                Arc::from(Vec::new()),
                Arc::from(Vec::new()),
            ],
            coords: Arc::from(Vec::new()),
            perceived: [None; 3],
            perceived_day: None,
            config,
        };
        s.rates = s.stop_rates(tt);
        s.avoid = [0, 1, 2].map(|part| {
            tt.stops()
                .iter()
                .map(|st| s.at(st.coord.lat(), st.coord.lon(), part).relative >= config.hot)
                .collect::<Vec<bool>>()
                .into()
        });
        s
    }

    /// The surface with riders' perceived safety from the release's survey means: a part of
    /// the day riders feel less safe in than the day as a whole weighs its risk more (the
    /// ratio of the day's mean to the part's, within ½–2), and itineraries then get a note
    /// where the release shows it clearly.
    pub fn with_perceived(mut self, rows: &[ReleasedMean]) -> RiskSurface {
        self.perceived =
            [0, 1, 2].map(|part| pool(rows.iter().filter(|r| day_part(r.first_hour) == part)));
        self.perceived_day = pool(rows.iter());
        self.rates = self.stop_rates_of(&self.stop_coords());
        self
    }

    fn stop_coords(&self) -> Vec<(f64, f64)> {
        self.coords.to_vec()
    }

    fn stop_rates(&mut self, tt: &Timetable) -> [Arc<[f64]>; 3] {
        self.coords = tt
            .stops()
            .iter()
            .map(|s| (s.coord.lat(), s.coord.lon()))
            .collect::<Vec<_>>()
            .into();
        self.stop_rates_of(&self.stop_coords())
    }

    fn stop_rates_of(&self, coords: &[(f64, f64)]) -> [Arc<[f64]>; 3] {
        [0, 1, 2].map(|part| {
            let feel = self.feel(part);
            coords
                .iter()
                .map(|&(lat, lon)| (self.at(lat, lon, part).relative - 1.0).max(0.0) * feel)
                .collect::<Vec<f64>>()
                .into()
        })
    }

    /// Per stop, what a second waiting or walking there adds to the exposure the safer
    /// planner weighs at that part of the day (for [`raptor::search_exposure`]).
    pub fn rates(&self, part: usize) -> Arc<[f64]> {
        Arc::clone(&self.rates[part.min(2)])
    }

    /// How much more (or less) risk counts in a part of the day for how safe riders feel
    /// then: 1 without clear survey means.
    pub fn feel(&self, part: usize) -> f64 {
        match (self.perceived[part.min(2)], self.perceived_day) {
            (Some(p), Some(d)) if p.mean > 0.0 => (d.mean / p.mean).clamp(0.5, 2.0),
            _ => 1.0,
        }
    }

    /// Whether riders feel clearly less safe in a part of the day than over the whole day
    /// (the part's mean plus its margin below the day's mean).
    fn feels_unsafe(&self, part: usize) -> Option<Perceived> {
        let (p, d) = (self.perceived[part.min(2)]?, self.perceived_day?);
        (p.mean + p.margin < d.mean).then_some(p)
    }

    /// The cell at a point and part of the day (average risk where the release says nothing).
    pub fn at(&self, lat: f64, lon: f64, part: usize) -> RiskCell {
        let z = timetable::zone::zone_cell(lat, lon, self.cell_m);
        self.cells.get(&z).map_or(
            RiskCell {
                relative: 1.0,
                notes: 0,
            },
            |c| c[part.min(2)],
        )
    }

    /// The stops the safer search does not board or alight at, in that part of the day.
    pub fn avoided(&self, part: usize) -> Arc<[bool]> {
        Arc::clone(&self.avoid[part.min(2)])
    }

    /// Zones the surface knows.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether it knows no zone.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// What the surface says of an itinerary.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SafetyInfo {
    /// Minutes walking and waiting, each weighted by the relative risk where and when (a
    /// minute at the city's average counts one).
    pub exposure_min: f64,
    /// Short notes the release supports ("Zona con reportes de robo entre 18 y 21 h").
    pub notes: Vec<String>,
    /// The release the notes come from.
    pub period: String,
}

/// The safer option, beside the fastest.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaferOption {
    /// The itinerary.
    pub itinerary: Itinerary,
    /// Minutes it takes longer than the fastest.
    pub minutes_added: f64,
    /// Exposure it avoids, in weighted minutes.
    pub exposure_avoided_min: f64,
    /// The same, for a person.
    pub summary: String,
}

fn hour_of(iso: &str) -> u8 {
    iso.get(11..13).and_then(|h| h.parse().ok()).unwrap_or(12)
}

/// Where and when an itinerary walks and waits: `(lat, lon, seconds, local hour)`.
fn moments(it: &Itinerary) -> Vec<(f64, f64, f64, u8)> {
    let mut out = Vec::new();
    let mut last_arrival: Option<i64> = None;
    for leg in &it.legs {
        match leg {
            ItineraryLeg::Walk {
                departure,
                duration_s,
                geometry,
                arrival,
                ..
            } => {
                let pts = &geometry.coordinates;
                let hour = hour_of(departure);
                let lens: Vec<f64> = pts
                    .windows(2)
                    .map(|w| ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt())
                    .collect();
                let total: f64 = lens.iter().sum();
                for (w, l) in pts.windows(2).zip(&lens) {
                    let share = if total > 0.0 { l / total } else { 1.0 };
                    let (lon, lat) = ((w[0][0] + w[1][0]) / 2.0, (w[0][1] + w[1][1]) / 2.0);
                    out.push((lat, lon, f64::from(*duration_s) * share, hour));
                }
                last_arrival = secs_of(arrival);
            }
            ItineraryLeg::Ride { board, alight, .. } => {
                let dep = board.time.as_deref().and_then(secs_of);
                if let (Some(a), Some(d)) = (last_arrival, dep)
                    && d > a
                {
                    let hour = board.time.as_deref().map_or(12, hour_of);
                    out.push((board.lat, board.lon, (d - a) as f64, hour));
                }
                last_arrival = alight.time.as_deref().and_then(secs_of);
            }
        }
    }
    out
}

/// Seconds of an RFC 3339 time (for differences only).
fn secs_of(iso: &str) -> Option<i64> {
    let t = chrono::DateTime::parse_from_rfc3339(iso).ok()?;
    Some(t.timestamp())
}

/// The exposure of an itinerary, its excess over the city's average, and the notes the
/// release supports along it (family bit, part of the day).
fn exposure(s: &RiskSurface, it: &Itinerary) -> (f64, f64, Vec<(usize, usize)>) {
    let (mut exp, mut excess) = (0.0, 0.0);
    let mut notes: Vec<(usize, usize)> = Vec::new();
    for (lat, lon, secs, hour) in moments(it) {
        let part = day_part(hour);
        let c = s.at(lat, lon, part);
        exp += secs * c.relative;
        excess += secs * (c.relative - 1.0).max(0.0) * s.feel(part);
        if s.feels_unsafe(part).is_some() && !notes.contains(&(PERCEIVED, part)) {
            notes.push((PERCEIVED, part));
        }
        for f in 0..s.families.len().min(8) {
            if c.notes & (1 << f) != 0 && !notes.contains(&(f, part)) {
                notes.push((f, part));
            }
        }
    }
    (exp / 60.0, excess, notes)
}

/// The note index for riders' perceived safety (families are 0–7).
const PERCEIVED: usize = usize::MAX;

fn note_text(lang: Lang, s: &RiskSurface, (f, part): (usize, usize)) -> String {
    let (from, to) = DAY_PARTS[part];
    if f == PERCEIVED {
        let p = s.feels_unsafe(part).unwrap_or(Perceived {
            mean: 0.0,
            margin: 0.0,
        });
        let one = |x: f64| {
            let v = format!("{x:.1}");
            if lang == Lang::En {
                v
            } else {
                v.replace('.', ",")
            }
        };
        return t(
            lang,
            "safety.note_perceived",
            &[
                ("from", &from),
                ("to", &((to + 1) % 24)),
                ("mean", &one(p.mean)),
                ("margin", &one(p.margin)),
            ],
        );
    }
    t(
        lang,
        "safety.note",
        &[
            (
                "family",
                &t(lang, &format!("safety.family.{}", s.families[f]), &[]),
            ),
            ("from", &from),
            ("to", &((to + 1) % 24)),
        ],
    )
}

/// Adds what the surface says to each itinerary of a plan (the safer option's too).
pub fn annotate(s: &RiskSurface, lang: Lang, plan: &mut Plan) {
    let safer = plan.safer.as_mut().map(|o| &mut o.itinerary);
    for it in plan.itineraries.iter_mut().chain(safer) {
        let (exp, _, notes) = exposure(s, it);
        it.safety = Some(SafetyInfo {
            exposure_min: (exp * 10.0).round() / 10.0,
            notes: notes.into_iter().map(|n| note_text(lang, s, n)).collect(),
            period: s.period.clone(),
        });
    }
}

/// The cost the safer planner minimises: travel time plus the weighted excess exposure.
pub fn cost(s: &RiskSurface, it: &Itinerary, arrive_by: bool) -> f64 {
    let (_, excess, _) = exposure(s, it);
    // Depart-at: the arrival; arrive-by: how early one must leave.
    let time = if arrive_by {
        -f64::from(it.departure_secs)
    } else {
        f64::from(it.arrival_secs)
    };
    time + s.config.weight * excess
}

/// The safer option among `candidates`, if it is not `fastest`.
pub fn choose(
    s: &RiskSurface,
    lang: Lang,
    fastest: &Itinerary,
    candidates: Vec<Itinerary>,
    arrive_by: bool,
) -> Option<SaferOption> {
    let best = candidates
        .into_iter()
        .min_by(|a, b| cost(s, a, arrive_by).total_cmp(&cost(s, b, arrive_by)))?;
    if best.legs == fastest.legs || cost(s, &best, arrive_by) >= cost(s, fastest, arrive_by) {
        return None;
    }
    // Later arrival (arrive-by: earlier departure) than the fastest.
    let later = if arrive_by {
        fastest.departure_secs - best.departure_secs
    } else {
        best.arrival_secs - fastest.arrival_secs
    };
    let minutes_added = f64::from(later).max(0.0) / 60.0;
    let avoided = exposure(s, fastest).0 - exposure(s, &best).0;
    let summary = t(
        lang,
        "safety.summary",
        &[
            ("minutes", &format!("{:.0}", minutes_added.ceil())),
            ("exposure", &format!("{:.0}", avoided.max(0.0))),
        ],
    );
    Some(SaferOption {
        itinerary: best,
        minutes_added: (minutes_added * 10.0).round() / 10.0,
        exposure_avoided_min: (avoided * 10.0).round() / 10.0,
        summary,
    })
}

/// The fastest itinerary of a plan: the earliest arrival (arrive-by: the latest departure),
/// then the fewest transfers.
pub fn fastest(plan: &Plan, arrive_by: bool) -> Option<&Itinerary> {
    plan.itineraries.iter().min_by_key(|i| {
        let time = if arrive_by {
            -i.departure_secs
        } else {
            i.arrival_secs
        };
        (time, i.transfers)
    })
}

/// Stops of a timetable in hot zones at a part of the day (for tests and tools).
pub fn hot_stops(s: &RiskSurface, part: usize) -> Vec<StopIdx> {
    s.avoided(part)
        .iter()
        .enumerate()
        .filter(|(_, h)| **h)
        .map(|(i, _)| StopIdx::new(i))
        .collect()
}

/// Service as exposure: vehicle departures from stops in each zone and part of `day` (the
/// timetable's, not people's: it costs no privacy). Where buses stop often, people wait and
/// walk often; a zone's incidents are weighed against that.
pub fn service_exposure(
    tt: &Timetable,
    day: timetable::Day,
    cell_m: f64,
) -> HashMap<(i64, i64), [f64; 3]> {
    let zone: Vec<(i64, i64)> = tt
        .stops()
        .iter()
        .map(|s| timetable::zone::zone_cell(s.coord.lat(), s.coord.lon(), cell_m))
        .collect();
    let mut out: HashMap<(i64, i64), [f64; 3]> = HashMap::new();
    let mut add = |stop: StopIdx, secs: u32| {
        let part = day_part(u8::try_from((secs / 3600) % 24).unwrap_or(0));
        out.entry(zone[stop.idx()]).or_default()[part] += 1.0;
    };
    for pi in 0..tt.patterns().len() {
        let p = timetable::PatternIdx::new(pi);
        let stops = tt.pattern_stops(p);
        if tt.pattern(p).is_frequency() {
            let offsets: Vec<u32> = (0..stops.len())
                .map(|pos| tt.departure(p, pos, 0))
                .collect();
            for w in tt.windows(p) {
                if !tt.service_active(w.service, day) {
                    continue;
                }
                for k in 0..w.runs() {
                    let start = w.start + k * w.headway;
                    for (pos, &s) in stops.iter().enumerate() {
                        add(s, start + offsets[pos]);
                    }
                }
            }
        } else {
            for (col, &svc) in tt.pattern_trip_services(p).iter().enumerate() {
                if tt.service_active(svc, day) {
                    for (pos, &s) in stops.iter().enumerate() {
                        add(s, tt.departure(p, pos, col));
                    }
                }
            }
        }
    }
    out
}

/// One released cell of incidents: zone, part of the day, family, the count shown, its 95 %
/// margin, and whether it is within its margin of zero.
#[derive(Clone, Debug, PartialEq)]
pub struct ReleasedCell {
    /// Zone name (`z:row:col`).
    pub zone: String,
    /// Part of the day (index into [`DAY_PARTS`]).
    pub part: usize,
    /// Family (`acoso`, `robo`, …).
    pub family: String,
    /// Count shown (noisy, never negative).
    pub count: f64,
    /// Its 95 % margin.
    pub margin: f64,
}

/// A family's relative risk in a zone and part of the day, and whether a note may say so.
type FamilyRisk = (usize, f64, bool);

/// The risk surface of released incident cells against service exposure, smoothed by
/// empirical Bayes: each zone's rate is shrunk toward the city's for that family and part of
/// the day with the weight of a typical zone's exposure (a Gamma–Poisson posterior mean), so a
/// handful of reports does not brand a neighbourhood. A note is kept only where the count is
/// at least twice its margin and the smoothed rate at least 1.5 times the city's.
#[allow(clippy::too_many_arguments)]
pub fn surface(
    tt: &Timetable,
    day: timetable::Day,
    cell_m: f64,
    period: String,
    families: &[String],
    released: &[ReleasedCell],
    config: SaferConfig,
) -> RiskSurface {
    let exposure = service_exposure(tt, day, cell_m);
    // A typical zone's exposure per part of the day: the prior's strength.
    let typical: [f64; 3] = [0, 1, 2].map(|part| {
        let mut v: Vec<f64> = exposure
            .values()
            .map(|e| e[part])
            .filter(|x| *x > 0.0)
            .collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(1.0)
    });
    let total_exposure: [f64; 3] =
        [0, 1, 2].map(|part| exposure.values().map(|e| e[part]).sum::<f64>().max(1.0));
    let fam = |f: &str| families.iter().position(|x| x == f);
    // City rates per family and part of the day.
    let mut counts = vec![[0.0f64; 3]; families.len()];
    for c in released {
        if let Some(f) = fam(&c.family) {
            counts[f][c.part.min(2)] += c.count;
        }
    }
    let city = |f: usize, part: usize| (counts[f][part] / total_exposure[part]).max(1e-9);
    // Per zone and part: relative risk per family.
    let mut by_zone: HashMap<(String, usize), Vec<FamilyRisk>> = HashMap::new();
    for c in released {
        let Some(f) = fam(&c.family) else { continue };
        let part = c.part.min(2);
        let e = timetable::zone::parse_zone(&c.zone)
            .and_then(|z| exposure.get(&z))
            .map_or(0.0, |e| e[part]);
        let m = city(f, part);
        let beta = typical[part];
        let rate = (c.count + m * beta) / (e + beta);
        let rr = rate / m;
        let reliable = c.count >= 2.0 * c.margin && c.count > 0.0 && rr >= 1.5;
        by_zone
            .entry((c.zone.clone(), part))
            .or_default()
            .push((f, rr, reliable));
    }
    let cells = by_zone.into_iter().map(|((zone, part), list)| {
        // Families not released for the zone count as average.
        let mut rr = vec![1.0; families.len()];
        let mut notes = 0u8;
        for (f, r, reliable) in list {
            rr[f] = r;
            if reliable && f < 8 {
                notes |= 1 << f;
            }
        }
        let relative = rr.iter().sum::<f64>() / rr.len().max(1) as f64;
        (zone, part, RiskCell { relative, notes })
    });
    RiskSurface::new(tt, cell_m, period, families.to_vec(), cells, config)
}
