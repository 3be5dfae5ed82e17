//! The public catalogue: a fixed list of tables over fixed domains, computed once per closed
//! period from the records of that period, with every person's contribution bounded, then
//! protected with differential privacy ([`crate::privacy`]) and stored. Public answers select
//! cells of stored releases ([`crate::publish`]); nothing public is computed from records.
//!
//! Periods are calendar months and, inside each, the "weeks" 1–7, 8–14, 15–21, 22–28 and
//! 29–end, so that a month is exactly its weeks and the running month is the sum of its
//! closed weeks (no extra release, no extra privacy loss). A record belongs to the period in
//! which it *arrived* (a plan when it was asked for, a report when it was filed), so a late
//! report never changes a period already released.

use crate::{Category, HOUR_BANDS, hour_band};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Who a record belongs to, for bounding contributions: a bot rider's handle (all their
/// records are one person) or, for anonymous records, the record itself.
pub type Person = String;

/// A planned trip as the release reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct TripRow {
    /// The person.
    pub person: Person,
    /// Local day of the month it was planned (1–31).
    pub day: u8,
    /// When (Unix seconds), to keep a person's first records.
    pub at: i64,
    /// Local hour of travel.
    pub local_hour: u8,
    /// Consented gender.
    pub gender: Option<String>,
    /// Consented purpose.
    pub purpose: Option<String>,
    /// Whether a journey was found, and its figures (minutes, transfers).
    pub journey: Option<JourneyFigures>,
    /// Routes ridden (the first three count).
    pub routes: Vec<String>,
    /// Whether the rider asked for the safer option (`prefer=safer`, the page's toggle, the
    /// bot's button): counted like any trip attribute.
    pub safer: bool,
}

/// Door-to-door figures of the best journey found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JourneyFigures {
    /// Minutes door to door.
    pub travel_min: u32,
    /// Minutes waiting.
    pub wait_min: u32,
    /// Minutes walking.
    pub walk_min: u32,
    /// Changes of vehicle.
    pub transfers: u32,
}

/// An incident report as the release reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The person (the rider, or the report itself when anonymous).
    pub person: Person,
    /// Local day of the month it was filed.
    pub day: u8,
    /// When it was filed.
    pub at: i64,
    /// Category key.
    pub category: String,
    /// Reporter's gender.
    pub gender: Option<String>,
    /// Local hour it happened.
    pub local_hour: u8,
    /// Route, if given.
    pub route_id: Option<String>,
    /// Zone of the place.
    pub zone: String,
    /// Acknowledged within 48 h of being filed (as of the release).
    pub acknowledged_48h: bool,
    /// Hours from filing to closing, if closed (as of the release).
    pub closed_after_h: Option<u32>,
}

/// A survey answer as the release reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyRow {
    /// The person.
    pub person: Person,
    /// Local day of the month it was answered.
    pub day: u8,
    /// When.
    pub at: i64,
    /// Local hour of the trip it is about.
    pub local_hour: u8,
    /// Respondent's gender.
    pub gender: Option<String>,
    /// Route it is about.
    pub route_id: Option<String>,
    /// Perceived safety, 1–5.
    pub safety: Option<u8>,
    /// Satisfaction, 1–5.
    pub satisfaction: Option<u8>,
    /// For an answer to a survey defined as data: the cells `survey.question.option` of the
    /// options it chose (empty for a route's two-score answer).
    pub answers: Vec<String>,
}

/// The records of one month (a release of a week reads the same bounded set, restricted to
/// the week's days, so that the month's bound holds across its weeks).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    /// Planned trips.
    pub trips: Vec<TripRow>,
    /// Reports.
    pub reports: Vec<ReportRow>,
    /// Survey answers.
    pub surveys: Vec<SurveyRow>,
}

/// The domains of the dimensions: fixed before looking at the records (so that which cells
/// exist reveals nothing), from the configuration and the timetable.
#[derive(Debug, Clone, PartialEq)]
pub struct Domains {
    /// Incident categories.
    pub categories: Vec<Category>,
    /// Route ids of the timetable.
    pub routes: Vec<String>,
    /// Zones covering the network.
    pub zones: Vec<String>,
    /// Options of every version of every survey defined as data, `survey.question.option`.
    pub answers: Vec<String>,
    /// The most of those cells one answer can fall in (over every version).
    pub answer_cells: u32,
}

/// What one person may contribute per month, records beyond are left out of the releases
/// (they are stored and handled all the same). Within a table a person counts at most once
/// per cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    /// Trips per person per month.
    pub trips: u32,
    /// Reports per person per month.
    pub reports: u32,
    /// Survey answers per person per month.
    pub surveys: u32,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            trips: 20,
            reports: 1,
            surveys: 2,
        }
    }
}

/// The kind of record a table counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Planned trips.
    Trips,
    /// Incident reports.
    Reports,
    /// Survey answers.
    Surveys,
}

/// A dimension of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// Gender (declared, or `sin_dato`).
    Gender,
    /// Time band of the day.
    HourBand,
    /// Part of the day (day, evening, night), for the safer-trip planner's zones.
    DayPart,
    /// Trip purpose.
    Purpose,
    /// Incident category.
    Category,
    /// Incident family (harassment, theft, aggression, other).
    Family,
    /// Route.
    Route,
    /// Zone.
    Zone,
    /// What happened to a report (received, acknowledged within 48 h, closed within …).
    Outcome,
    /// What the rider asked the planner for: the fastest trip or the safer option.
    Preference,
    /// An option of a survey defined as data, `survey.question.option`.
    Answer,
}

impl Dim {
    /// Its name in answers and filters.
    pub fn name(self) -> &'static str {
        match self {
            Dim::Gender => "gender",
            Dim::HourBand => "hour_band",
            Dim::DayPart => "day_part",
            Dim::Purpose => "purpose",
            Dim::Category => "category",
            Dim::Family => "family",
            Dim::Route => "route",
            Dim::Zone => "zone",
            Dim::Outcome => "outcome",
            Dim::Preference => "preference",
            Dim::Answer => "answer",
        }
    }

    /// The dimension called `name`.
    pub fn parse(name: &str) -> Option<Dim> {
        [
            Dim::Gender,
            Dim::HourBand,
            Dim::DayPart,
            Dim::Purpose,
            Dim::Category,
            Dim::Family,
            Dim::Route,
            Dim::Zone,
            Dim::Outcome,
            Dim::Preference,
            Dim::Answer,
        ]
        .into_iter()
        .find(|d| d.name() == name)
    }
}

/// What a measure adds up per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// One per record (per person per cell).
    Count,
    /// A figure of the record, clamped to `0..=max`.
    Sum(Field, u32),
}

/// Figures a measure can sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Trip minutes door to door.
    TravelMin,
    /// Trip minutes waiting.
    WaitMin,
    /// Trip minutes walking.
    WalkMin,
    /// Trip transfers.
    Transfers,
    /// Perceived safety score.
    Safety,
    /// Satisfaction score.
    Satisfaction,
}

/// One noisy vector of a table: its name, what it sums, its share of the budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasureSpec {
    /// Name (`count`, `travel_min`, …).
    pub name: &'static str,
    /// What it adds up.
    pub value: Value,
    /// Share of its kind's privacy budget (weights of a kind sum to 1).
    pub weight: f64,
}

/// One table of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// Stable id (its title and definition are in the catalog).
    pub id: &'static str,
    /// Records it counts.
    pub kind: Kind,
    /// Its dimensions.
    pub dims: &'static [Dim],
    /// Its measures.
    pub measures: &'static [MeasureSpec],
    /// Which records count: survey tables only answers to their question.
    pub filter: Filter,
}

/// Which records of a kind a table reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Every record.
    All,
    /// Trips for which a journey was found.
    Found,
    /// Survey answers with a safety score.
    HasSafety,
    /// Survey answers with a satisfaction score.
    HasSatisfaction,
    /// Answers to surveys defined as data.
    HasAnswers,
}

const COUNT: MeasureSpec = MeasureSpec {
    name: "count",
    value: Value::Count,
    weight: 0.0,
};

const fn count(weight: f64) -> MeasureSpec {
    MeasureSpec { weight, ..COUNT }
}

const fn sum(name: &'static str, field: Field, max: u32, weight: f64) -> MeasureSpec {
    MeasureSpec {
        name,
        value: Value::Sum(field, max),
        weight,
    }
}

/// The catalogue. Weights are each table's share of its kind's budget, set where the
/// utility benchmark (`cargo bench -p paradero-bench --bench privacy`) showed the errors
/// officials would see; they sum to 1 per kind.
pub const CATALOGUE: &[TableSpec] = &[
    TableSpec {
        id: "trips",
        kind: Kind::Trips,
        dims: &[Dim::Gender, Dim::HourBand],
        measures: &[count(0.22)],
        filter: Filter::All,
    },
    TableSpec {
        id: "trips_by_purpose",
        kind: Kind::Trips,
        dims: &[Dim::Purpose, Dim::Gender],
        measures: &[count(0.13)],
        filter: Filter::All,
    },
    TableSpec {
        id: "trips_by_preference",
        kind: Kind::Trips,
        dims: &[Dim::Preference, Dim::Gender],
        measures: &[count(0.10)],
        filter: Filter::All,
    },
    TableSpec {
        id: "trip_times",
        kind: Kind::Trips,
        dims: &[Dim::Gender],
        measures: &[
            count(0.07),
            sum("travel_min", Field::TravelMin, 120, 0.07),
            sum("wait_min", Field::WaitMin, 45, 0.07),
            sum("walk_min", Field::WalkMin, 45, 0.07),
            sum("transfers", Field::Transfers, 4, 0.07),
        ],
        filter: Filter::Found,
    },
    TableSpec {
        id: "demand",
        kind: Kind::Trips,
        dims: &[Dim::Route],
        measures: &[count(0.20)],
        filter: Filter::Found,
    },
    TableSpec {
        id: "incidents",
        kind: Kind::Reports,
        dims: &[Dim::Category, Dim::Gender],
        measures: &[count(0.24)],
        filter: Filter::All,
    },
    TableSpec {
        id: "incidents_by_hour",
        kind: Kind::Reports,
        dims: &[Dim::Category, Dim::HourBand],
        measures: &[count(0.20)],
        filter: Filter::All,
    },
    TableSpec {
        id: "incidents_by_route",
        kind: Kind::Reports,
        dims: &[Dim::Route],
        measures: &[count(0.12)],
        filter: Filter::All,
    },
    TableSpec {
        id: "incidents_by_zone",
        kind: Kind::Reports,
        dims: &[Dim::Zone],
        measures: &[count(0.18)],
        filter: Filter::All,
    },
    TableSpec {
        id: "zone_risk",
        kind: Kind::Reports,
        dims: &[Dim::Zone, Dim::DayPart, Dim::Family],
        measures: &[count(0.16)],
        filter: Filter::All,
    },
    TableSpec {
        id: "report_handling",
        kind: Kind::Reports,
        dims: &[Dim::Outcome],
        measures: &[count(0.10)],
        filter: Filter::All,
    },
    TableSpec {
        id: "perceived_safety",
        kind: Kind::Surveys,
        dims: &[Dim::Gender, Dim::HourBand],
        measures: &[count(0.175), sum("safety", Field::Safety, 5, 0.175)],
        filter: Filter::HasSafety,
    },
    TableSpec {
        id: "satisfaction",
        kind: Kind::Surveys,
        dims: &[Dim::Route],
        measures: &[
            count(0.175),
            sum("satisfaction", Field::Satisfaction, 5, 0.175),
        ],
        filter: Filter::HasSatisfaction,
    },
    TableSpec {
        id: "survey_answers",
        kind: Kind::Surveys,
        dims: &[Dim::Answer, Dim::Gender],
        measures: &[count(0.30)],
        filter: Filter::HasAnswers,
    },
];

/// The label of an undeclared value.
pub const UNDECLARED: &str = "sin_dato";

/// Parts of the day of the zone-risk table: day, evening, night (hours inclusive).
pub const DAY_PARTS: [(&str, u8, u8); 3] = [("06-17", 6, 17), ("18-20", 18, 20), ("21-05", 21, 5)];

/// The part of the day of a local hour.
pub fn day_part(hour: u8) -> &'static str {
    match hour {
        6..=17 => "06-17",
        18..=20 => "18-20",
        _ => "21-05",
    }
}

/// Incident families, for the zone table and the safer-trip planner.
pub const FAMILIES: [&str; 4] = ["acoso", "robo", "agresion", "otro"];

/// What happened to reports: received, acknowledged within 48 h, and closed within a day,
/// three days, a week, a month, or later.
pub const OUTCOMES: [&str; 7] = [
    "received",
    "acknowledged_48h",
    "closed_1d",
    "closed_3d",
    "closed_7d",
    "closed_30d",
    "closed_later",
];

/// Trip purposes (and undeclared).
pub const PURPOSES: [&str; 8] = [
    "trabajo",
    "estudio",
    "cuidado",
    "salud",
    "compras",
    "recreacion",
    "otro",
    UNDECLARED,
];

/// What riders asked the planner for.
pub const PREFERENCES: [&str; 2] = ["fastest", "safer"];

/// Genders (and undeclared).
pub const GENDERS: [&str; 5] = [
    "mujer",
    "hombre",
    "no_binario",
    "prefiero_no_decir",
    UNDECLARED,
];

/// A category's family: its own, else derived from paradero's keys.
pub fn family_of(c: &Category) -> &'static str {
    FAMILIES
        .iter()
        .find(|f| **f == c.family)
        .copied()
        .unwrap_or_else(|| crate::family_of_key(c))
}

/// The groups of the public category tree, in order: harassment, aggression, theft, and the
/// quality of the service.
pub const GROUPS: [&str; 4] = ["acoso", "agresion", "robo", "servicio"];

/// A category's group in the public tree.
pub fn group_of(c: &Category) -> &'static str {
    match family_of(c) {
        "otro" => "servicio",
        f => f,
    }
}

/// The values of a dimension, in order.
pub fn domain(d: Dim, domains: &Domains) -> Vec<String> {
    let strs = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect();
    match d {
        Dim::Gender => strs(&GENDERS),
        Dim::HourBand => HOUR_BANDS.iter().map(|b| b.0.to_string()).collect(),
        Dim::DayPart => DAY_PARTS.iter().map(|b| b.0.to_string()).collect(),
        Dim::Purpose => strs(&PURPOSES),
        Dim::Category => domains.categories.iter().map(|c| c.key.clone()).collect(),
        Dim::Family => strs(&FAMILIES),
        Dim::Route => domains
            .routes
            .iter()
            .cloned()
            .chain([UNDECLARED.to_string()])
            .collect(),
        Dim::Zone => domains.zones.clone(),
        Dim::Outcome => strs(&OUTCOMES),
        Dim::Preference => strs(&PREFERENCES),
        Dim::Answer => domains.answers.clone(),
    }
}

/// The 1-based index of the week holding `day` (1–7 → 1, …, 29–31 → 5).
pub fn week_of(day: u8) -> u8 {
    day.saturating_sub(1) / 7 + 1
}

/// The exact (un-noised) values of one table: per measure, one value per cell, cells in
/// row-major order over the dimensions' domains.
#[derive(Debug, Clone, PartialEq)]
pub struct Exact {
    /// The table.
    pub spec: &'static TableSpec,
    /// Domains of its dimensions.
    pub values: Vec<Vec<String>>,
    /// Per measure, per cell.
    pub measures: Vec<Vec<i64>>,
    /// The most cells one record can fall in ([`cells_per_record`]).
    pub cells_per_record: u32,
}

/// Cells a record falls in, with its figures; `None` when the table does not read it.
struct Hit {
    cells: Vec<usize>,
    figures: [u32; 6],
}

fn figure(h: &Hit, f: Field) -> u32 {
    h.figures[f as usize]
}

/// Position of each value of each dimension, for fast cell lookup.
struct Index {
    maps: Vec<HashMap<String, usize>>,
    strides: Vec<usize>,
    cells: usize,
}

impl Index {
    fn new(values: &[Vec<String>]) -> Index {
        let mut strides = vec![1; values.len()];
        for i in (0..values.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * values[i + 1].len();
        }
        Index {
            maps: values
                .iter()
                .map(|v| v.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect())
                .collect(),
            strides,
            cells: values.iter().map(Vec::len).product(),
        }
    }

    /// Cells for each combination of the given values per dimension (several values on one
    /// dimension: a trip's routes, a report's outcomes). Values outside the domain drop the
    /// record from this table.
    fn cells(&self, per_dim: &[Vec<&str>]) -> Vec<usize> {
        let mut out = vec![0usize];
        for (d, vals) in per_dim.iter().enumerate() {
            let mut next = Vec::with_capacity(out.len() * vals.len());
            for v in vals {
                if let Some(&i) = self.maps[d].get(*v) {
                    next.extend(out.iter().map(|c| c + i * self.strides[d]));
                }
            }
            out = next;
        }
        out
    }
}

fn or_undeclared(v: Option<&String>) -> &str {
    v.map_or(UNDECLARED, String::as_str)
}

fn trip_hit(t: &TripRow, spec: &TableSpec, idx: &Index) -> Option<Hit> {
    if spec.filter == Filter::Found && t.journey.is_none() {
        return None;
    }
    let band = hour_band(t.local_hour);
    let routes: Vec<&str> = t.routes.iter().take(3).map(String::as_str).collect();
    let per_dim: Vec<Vec<&str>> = spec
        .dims
        .iter()
        .map(|d| match d {
            Dim::Gender => vec![or_undeclared(t.gender.as_ref())],
            Dim::HourBand => vec![band],
            Dim::Purpose => vec![or_undeclared(t.purpose.as_ref())],
            Dim::Route => routes.clone(),
            Dim::Preference => vec![PREFERENCES[usize::from(t.safer)]],
            _ => vec![],
        })
        .collect();
    let j = t.journey.unwrap_or(JourneyFigures {
        travel_min: 0,
        wait_min: 0,
        walk_min: 0,
        transfers: 0,
    });
    Some(Hit {
        cells: idx.cells(&per_dim),
        figures: [j.travel_min, j.wait_min, j.walk_min, j.transfers, 0, 0],
    })
}

fn report_hit(r: &ReportRow, spec: &TableSpec, idx: &Index, families: &HashMap<&str, &str>) -> Hit {
    let band = hour_band(r.local_hour);
    let family = families.get(r.category.as_str()).copied().unwrap_or("otro");
    let mut outcomes = vec!["received"];
    if r.acknowledged_48h {
        outcomes.push("acknowledged_48h");
    }
    if let Some(h) = r.closed_after_h {
        outcomes.push(match h {
            0..=24 => "closed_1d",
            25..=72 => "closed_3d",
            73..=168 => "closed_7d",
            169..=720 => "closed_30d",
            _ => "closed_later",
        });
    }
    let per_dim: Vec<Vec<&str>> = spec
        .dims
        .iter()
        .map(|d| match d {
            Dim::Gender => vec![or_undeclared(r.gender.as_ref())],
            Dim::HourBand => vec![band],
            Dim::DayPart => vec![day_part(r.local_hour)],
            Dim::Category => vec![r.category.as_str()],
            Dim::Family => vec![family],
            Dim::Route => vec![or_undeclared(r.route_id.as_ref())],
            Dim::Zone => vec![r.zone.as_str()],
            Dim::Outcome => outcomes.clone(),
            Dim::Purpose | Dim::Preference | Dim::Answer => vec![],
        })
        .collect();
    Hit {
        cells: idx.cells(&per_dim),
        figures: [0; 6],
    }
}

fn survey_hit(s: &SurveyRow, spec: &TableSpec, idx: &Index, answer_cells: u32) -> Option<Hit> {
    match spec.filter {
        Filter::HasSafety if s.safety.is_none() => return None,
        Filter::HasSatisfaction if s.satisfaction.is_none() => return None,
        Filter::HasAnswers if s.answers.is_empty() => return None,
        _ => {}
    }
    // An answer falls in at most `answer_cells` cells (its definition says so; a stored
    // answer that says otherwise is cut there, so the sensitivity holds whatever is stored).
    let answers: Vec<&str> = s
        .answers
        .iter()
        .take(answer_cells as usize)
        .map(String::as_str)
        .collect();
    let band = hour_band(s.local_hour);
    let per_dim: Vec<Vec<&str>> = spec
        .dims
        .iter()
        .map(|d| match d {
            Dim::Gender => vec![or_undeclared(s.gender.as_ref())],
            Dim::HourBand => vec![band],
            Dim::Route => vec![or_undeclared(s.route_id.as_ref())],
            Dim::Answer => answers.clone(),
            _ => vec![],
        })
        .collect();
    Some(Hit {
        cells: idx.cells(&per_dim),
        figures: [
            0,
            0,
            0,
            0,
            u32::from(s.safety.unwrap_or(0)),
            u32::from(s.satisfaction.unwrap_or(0)),
        ],
    })
}

/// The most cells one record can fall in, per table (its L2 sensitivity is the square root of
/// this times the records a person may contribute).
pub fn cells_per_record(spec: &TableSpec, domains: &Domains) -> u32 {
    if spec.dims.contains(&Dim::Answer) {
        domains.answer_cells.max(1)
    } else if spec.dims.contains(&Dim::Outcome) {
        // received, acknowledged within 48 h, and one "closed" bucket.
        3
    } else if spec.dims.contains(&Dim::Route) && spec.kind == Kind::Trips {
        3
    } else {
        1
    }
}

/// Keeps each person's first `bound` records (by time), in the input's order otherwise.
fn bounded<T>(rows: &[T], bound: u32, person: impl Fn(&T) -> (&str, i64)) -> Vec<&T> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| person(&rows[i]).1);
    let mut used: HashMap<&str, u32> = HashMap::new();
    let mut keep = vec![false; rows.len()];
    for i in order {
        let n = used.entry(person(&rows[i]).0).or_default();
        if *n < bound {
            *n += 1;
            keep[i] = true;
        }
    }
    rows.iter()
        .zip(keep)
        .filter_map(|(r, k)| k.then_some(r))
        .collect()
}

/// The exact tables of the catalogue over `records`, for the days `days` of the month
/// (all of them for the month's release, a week's for a week's). With `bounds`, each
/// person's contribution is bounded (first records of the month, once per cell); without,
/// every record counts (the officials' internal figures).
pub fn tabulate(
    records: &Records,
    domains: &Domains,
    bounds: Option<Bounds>,
    days: std::ops::RangeInclusive<u8>,
) -> Vec<Exact> {
    let unbounded = u32::MAX;
    let b = bounds.unwrap_or(Bounds {
        trips: unbounded,
        reports: unbounded,
        surveys: unbounded,
    });
    // The month's bound first, then the period's days: a week reads what the month reads.
    let trips: Vec<&TripRow> = bounded(&records.trips, b.trips, |t| (&t.person, t.at))
        .into_iter()
        .filter(|t| days.contains(&t.day))
        .collect();
    let reports: Vec<&ReportRow> = bounded(&records.reports, b.reports, |r| (&r.person, r.at))
        .into_iter()
        .filter(|r| days.contains(&r.day))
        .collect();
    let surveys: Vec<&SurveyRow> = bounded(&records.surveys, b.surveys, |s| (&s.person, s.at))
        .into_iter()
        .filter(|s| days.contains(&s.day))
        .collect();
    let families: HashMap<&str, &str> = domains
        .categories
        .iter()
        .map(|c| (c.key.as_str(), family_of(c)))
        .collect();
    CATALOGUE
        .iter()
        .map(|spec| {
            let values: Vec<Vec<String>> = spec.dims.iter().map(|d| domain(*d, domains)).collect();
            let idx = Index::new(&values);
            let hits: Vec<(&str, Hit)> = match spec.kind {
                Kind::Trips => trips
                    .iter()
                    .filter_map(|t| Some((t.person.as_str(), trip_hit(t, spec, &idx)?)))
                    .collect(),
                Kind::Reports => reports
                    .iter()
                    .map(|r| (r.person.as_str(), report_hit(r, spec, &idx, &families)))
                    .collect(),
                Kind::Surveys => surveys
                    .iter()
                    .filter_map(|s| {
                        Some((
                            s.person.as_str(),
                            survey_hit(s, spec, &idx, domains.answer_cells)?,
                        ))
                    })
                    .collect(),
            };
            let mut measures = vec![vec![0i64; idx.cells]; spec.measures.len()];
            // A person counts once per cell when bounded (their first record there).
            let mut seen: HashSet<(&str, usize)> = HashSet::new();
            for (person, hit) in &hits {
                for &cell in &hit.cells {
                    if bounds.is_some() && !seen.insert((person, cell)) {
                        continue;
                    }
                    for (m, spec_m) in spec.measures.iter().enumerate() {
                        measures[m][cell] += match spec_m.value {
                            Value::Count => 1,
                            Value::Sum(f, max) => i64::from(figure(hit, f).min(max)),
                        };
                    }
                }
            }
            Exact {
                spec,
                values,
                measures,
                cells_per_record: cells_per_record(spec, domains),
            }
        })
        .collect()
}

/// Days of a period of a month with `days_in_month` days: the whole month, or week 1–5.
pub fn period_days(week: Option<u8>, days_in_month: u8) -> std::ops::RangeInclusive<u8> {
    match week {
        None => 1..=days_in_month,
        Some(w) => {
            let first = (w.clamp(1, 5) - 1) * 7 + 1;
            let last = if w >= 5 { days_in_month } else { first + 6 };
            first..=last.min(days_in_month)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Domains {
        Domains {
            categories: crate::default_categories(),
            routes: vec!["r1".into(), "r2".into()],
            zones: vec!["z:1:1".into(), "z:1:2".into()],
            answers: Vec::new(),
            answer_cells: 0,
        }
    }

    fn report(person: &str, day: u8, at: i64, cat: &str, zone: &str) -> ReportRow {
        ReportRow {
            person: person.into(),
            day,
            at,
            category: cat.into(),
            gender: Some("mujer".into()),
            local_hour: 19,
            route_id: Some("r1".into()),
            zone: zone.into(),
            acknowledged_48h: true,
            closed_after_h: Some(30),
        }
    }

    fn table<'a>(t: &'a [Exact], id: &str) -> &'a Exact {
        t.iter().find(|e| e.spec.id == id).unwrap()
    }

    fn cell(e: &Exact, key: &[&str]) -> i64 {
        let idx = Index::new(&e.values);
        let per: Vec<Vec<&str>> = key.iter().map(|k| vec![*k]).collect();
        e.measures[0][idx.cells(&per)[0]]
    }

    #[test]
    fn weights_of_each_kind_sum_to_one() {
        for kind in [Kind::Trips, Kind::Reports, Kind::Surveys] {
            let w: f64 = CATALOGUE
                .iter()
                .filter(|t| t.kind == kind)
                .flat_map(|t| t.measures)
                .map(|m| m.weight)
                .sum();
            assert!((w - 1.0).abs() < 1e-9, "{kind:?}: {w}");
        }
    }

    #[test]
    fn a_persons_contribution_is_bounded_per_month_and_per_cell() {
        let mut r = Records::default();
        // A bot rider reports three times (days 2, 3 and 20), an anonymous reporter once.
        r.reports.push(report("rider-a", 3, 300, "robo", "z:1:1"));
        r.reports
            .push(report("rider-a", 2, 200, "acoso_verbal", "z:1:2"));
        r.reports.push(report("rider-a", 20, 2000, "robo", "z:1:1"));
        r.reports.push(report("anon-1", 3, 310, "robo", "z:1:1"));
        let d = domains();
        let bounds = Bounds {
            reports: 2,
            ..Bounds::default()
        };
        let month = tabulate(&r, &d, Some(bounds), 1..=30);
        let inc = table(&month, "incidents");
        // rider-a's first two (days 2 and 3) count; the third does not.
        assert_eq!(cell(inc, &["robo", "mujer"]), 2);
        assert_eq!(cell(inc, &["acoso_verbal", "mujer"]), 1);
        // Week 3 (days 15–21) holds rider-a's third report, which the month's bound left out.
        let week3 = tabulate(&r, &d, Some(bounds), period_days(Some(3), 30));
        assert_eq!(cell(table(&week3, "incidents"), &["robo", "mujer"]), 0);
        // Unbounded (internal figures): every record.
        let all = tabulate(&r, &d, None, 1..=30);
        assert_eq!(cell(table(&all, "incidents"), &["robo", "mujer"]), 3);
        // Handling: one report in up to three cells, a person once per cell.
        let h = table(&month, "report_handling");
        assert_eq!(h.measures[0][0], 2, "received");
        assert_eq!(h.measures[0][1], 2, "acknowledged within 48 h");
        assert_eq!(h.measures[0][3], 2, "closed within 3 days");
        // The zones: totals for the map, and by part of the day and family.
        let z = table(&month, "incidents_by_zone");
        assert_eq!(cell(z, &["z:1:1"]), 2);
        let z = table(&month, "zone_risk");
        assert_eq!(cell(z, &["z:1:1", "18-20", "robo"]), 2);
        assert_eq!(cell(z, &["z:1:2", "18-20", "acoso"]), 1);
    }

    #[test]
    fn survey_answers_count_each_option_once_per_person_and_within_the_bound() {
        let mut d = domains();
        let seeds = crate::questionnaire::seeds();
        (d.answers, d.answer_cells) = crate::questionnaire::release_domain(&seeds);
        let answer = |person: &str, at: i64, keys: &[&str]| SurveyRow {
            person: person.into(),
            day: 2,
            at,
            local_hour: 8,
            gender: Some("mujer".into()),
            route_id: None,
            safety: None,
            satisfaction: None,
            answers: keys.iter().map(|k| (*k).to_string()).collect(),
        };
        let r = Records {
            surveys: vec![
                answer(
                    "rider-a",
                    1,
                    &["mujeres.segura.2", "mujeres.situaciones.robo"],
                ),
                // The same rider again, same option: once per cell.
                answer("rider-a", 2, &["mujeres.segura.2"]),
                // A third answer: beyond the bound of two a month.
                answer("rider-a", 3, &["mujeres.segura.5"]),
                answer("q:1", 4, &["mujeres.segura.2", "no.such.cell"]),
            ],
            ..Records::default()
        };
        let t = tabulate(&r, &d, Some(Bounds::default()), 1..=31);
        let a = table(&t, "survey_answers");
        assert_eq!(cell(a, &["mujeres.segura.2", "mujer"]), 2);
        assert_eq!(cell(a, &["mujeres.situaciones.robo", "mujer"]), 1);
        assert_eq!(cell(a, &["mujeres.segura.5", "mujer"]), 0);
        assert_eq!(a.cells_per_record, d.answer_cells);
        // The two-score tables do not read these answers.
        assert_eq!(
            table(&t, "perceived_safety").measures[0]
                .iter()
                .sum::<i64>(),
            0
        );
    }

    #[test]
    fn weeks_partition_the_month() {
        for n in [28u8, 29, 30, 31] {
            let mut days = Vec::new();
            for w in 1..=5 {
                days.extend(period_days(Some(w), n));
            }
            assert_eq!(days, (1..=n).collect::<Vec<_>>(), "{n}");
        }
        assert_eq!(week_of(1), 1);
        assert_eq!(week_of(28), 4);
        assert_eq!(week_of(31), 5);
    }

    #[test]
    fn trips_fall_in_each_route_they_ride_and_sums_are_clamped() {
        let r = Records {
            trips: vec![TripRow {
                person: "t1".into(),
                day: 1,
                at: 1,
                local_hour: 7,
                gender: None,
                purpose: Some("cuidado".into()),
                journey: Some(JourneyFigures {
                    travel_min: 500,
                    wait_min: 10,
                    walk_min: 5,
                    transfers: 1,
                }),
                routes: vec!["r1".into(), "r2".into(), "nope".into()],
                safer: true,
            }],
            ..Records::default()
        };
        let t = tabulate(&r, &domains(), Some(Bounds::default()), 1..=31);
        let demand = table(&t, "demand");
        assert_eq!(demand.measures[0][..2], [1, 1]);
        let times = table(&t, "trip_times");
        let undeclared = GENDERS.iter().position(|g| *g == UNDECLARED).unwrap();
        assert_eq!(
            times.measures[1][undeclared], 120,
            "travel clamped to 120 min"
        );
        assert_eq!(times.measures[2][undeclared], 10);
        // The safer option is a trip attribute: counted under `safer`, not under `fastest`.
        let pref = table(&t, "trips_by_preference");
        assert_eq!(cell(pref, &["safer", UNDECLARED]), 1);
        assert_eq!(cell(pref, &["fastest", UNDECLARED]), 0);
        let fastest = Records {
            trips: vec![TripRow {
                safer: false,
                ..r.trips[0].clone()
            }],
            ..Records::default()
        };
        let t = tabulate(&fastest, &domains(), Some(Bounds::default()), 1..=31);
        let pref = table(&t, "trips_by_preference");
        assert_eq!(cell(pref, &["fastest", UNDECLARED]), 1);
        assert_eq!(cell(pref, &["safer", UNDECLARED]), 0);
    }
}
