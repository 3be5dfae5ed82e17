//! The public statistics: cells of stored releases, chosen by period and filtered, labelled
//! in the reader's language; never computed from records at request time.

use crate::{Error, Obs, releases};
use chrono::NaiveDate;
use i18n::Lang;
use observatory::publish::{Answer, Filters, Release, Table, Z95};
use observatory::release::{CATALOGUE, Dim};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use timetable::{Day, Timetable};

/// Which figures a reader asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndicatorQuery {
    /// A month, `YYYY-MM`: its release, else its closed weeks.
    pub month: Option<NaiveDate>,
    /// Released periods inside `from..=to`.
    pub from: Option<NaiveDate>,
    /// See `from`.
    pub to: Option<NaiveDate>,
    /// Cells to keep, by dimension name (`route`, `category`, `zone`, `gender`, `hour_band`,
    /// `family`, `purpose`, `preference`).
    pub filters: Vec<(String, String)>,
    /// One indicator only.
    pub indicator: Option<String>,
}

/// Tables computed from the timetable rather than from people: always public, exact.
pub const NETWORK_TABLES: [&str; 2] = ["accessibility", "supply"];

/// The filters a query may use, and the dimension each selects.
pub const FILTERS: [(&str, Dim); 8] = [
    ("route", Dim::Route),
    ("category", Dim::Category),
    ("zone", Dim::Zone),
    ("gender", Dim::Gender),
    ("hour_band", Dim::HourBand),
    ("family", Dim::Family),
    ("purpose", Dim::Purpose),
    ("preference", Dim::Preference),
];

/// The public figures of a range.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicators {
    /// First day covered, `YYYY-MM-DD`.
    pub from: String,
    /// Last day covered.
    pub to: String,
    /// The released periods summed (`2026-11`, `2026-11-w2`).
    pub periods: Vec<String>,
    /// The privacy guarantee of every figure.
    pub privacy: Privacy,
    /// Side of a zone cell, metres.
    pub zone_cell_m: f64,
    /// The tables.
    pub indicators: Vec<IndicatorTable>,
    /// The answer before labelling, for exports.
    #[serde(skip)]
    pub answer: Answer,
}

/// The guarantee, for a reader.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Privacy {
    /// ε per person per month of everything public.
    pub epsilon_per_month: f64,
    /// δ.
    pub delta: f64,
    /// ρ (zCDP) per person per month.
    pub rho_per_month: f64,
    /// What that means, in the reader's language.
    pub explanation: String,
}

/// One table, labelled. Tables of the network (`accessibility`, `supply`) are exact and have
/// no noise: their `sigma`, margins and totals are absent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorTable {
    /// Stable id.
    pub id: String,
    /// Title, in the reader's language.
    pub title: String,
    /// What it counts, in the reader's language.
    pub definition: String,
    /// Names of its dimensions.
    pub dimensions: Vec<String>,
    /// Names of the derived values in each row.
    pub measures: Vec<String>,
    /// Standard deviation of one cell's noise over the range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    /// 95 % margin of one cell's count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// Cells.
    pub rows: Vec<IndicatorRow>,
    /// Sum of the counts shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Its 95 % margin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_margin: Option<f64>,
}

/// One cell.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorRow {
    /// One value per dimension.
    pub key: Vec<String>,
    /// The count shown (never negative).
    pub count: i64,
    /// Its 95 % margin (absent for exact tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// Per derived measure, its value (null where the count cannot carry one).
    pub values: Vec<Option<f64>>,
    /// Their 95 % margins (absent for exact tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_margins: Option<Vec<Option<f64>>>,
    /// The count cannot be told apart from zero (absent for exact tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_margin: Option<bool>,
}

/// The public figures `q` asks for.
pub(crate) async fn read(
    o: &Obs,
    tt: &Timetable,
    q: &IndicatorQuery,
    lang: Lang,
) -> Result<Indicators, Error> {
    let filters = filters(o, q, lang)?;
    check_indicator(q, lang)?;
    let all = o
        .store
        .release_periods()
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    let chosen = choose_periods(&all, q, lang)?;
    if chosen.is_empty() {
        return Err(Error::NotFound(i18n::t(lang, "obs.no_release", &[])));
    }
    let releases = load(o, &chosen, lang).await?;
    let refs: Vec<&Release> = releases.iter().map(Arc::as_ref).collect();
    let harassment: Vec<String> = o
        .catalogue()
        .categories()
        .iter()
        .filter(|c| c.harassment)
        .map(|c| c.key.clone())
        .collect();
    let mut answer = observatory::publish::answer(&refs, &filters, &harassment);
    if let Some(one) = &q.indicator {
        answer.tables.retain(|t| &t.id == one);
    }
    let mut tables: Vec<IndicatorTable> = answer.tables.iter().map(|t| labelled(lang, t)).collect();
    if filters.is_empty() {
        let day = Day::parse(&answer.to).unwrap_or_else(|| planner::clock::now(tt).0);
        tables.extend(
            network_tables(tt, day, lang)
                .into_iter()
                .filter(|t| q.indicator.as_ref().is_none_or(|one| one == &t.id)),
        );
    }
    Ok(Indicators {
        from: answer.from.clone(),
        to: answer.to.clone(),
        periods: answer.periods.clone(),
        privacy: Privacy {
            epsilon_per_month: answer.epsilon_per_month,
            delta: answer.delta,
            rho_per_month: answer.rho_per_month,
            explanation: i18n::t(
                lang,
                "obs.privacy_explanation",
                &[("epsilon", &format!("{:.1}", answer.epsilon_per_month))],
            ),
        },
        zone_cell_m: o.settings.zone_cell_m,
        indicators: tables,
        answer,
    })
}

/// Every indicator id a query may name.
pub fn indicator_ids() -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .map(|t| t.id)
        .chain(observatory::publish::DERIVED)
        .chain(NETWORK_TABLES)
        .collect()
}

fn check_indicator(q: &IndicatorQuery, lang: Lang) -> Result<(), Error> {
    match &q.indicator {
        Some(one) if !indicator_ids().contains(&one.as_str()) => Err(Error::Invalid(i18n::t(
            lang,
            "obs.bad_value",
            &[
                ("text", one),
                ("field", &"indicator"),
                ("allowed", &indicator_ids().join(", ")),
            ],
        ))),
        _ => Ok(()),
    }
}

fn filters(o: &Obs, q: &IndicatorQuery, lang: Lang) -> Result<Filters, Error> {
    let mut out = Vec::new();
    for (key, value) in &q.filters {
        let Some((_, dim)) = FILTERS.iter().find(|(k, _)| k == key) else {
            continue;
        };
        if key == "category" && o.catalogue().category(value).is_none() {
            return Err(Error::Invalid(i18n::t(
                lang,
                "obs.unknown_category",
                &[("text", value)],
            )));
        }
        out.push((*dim, value.clone()));
    }
    Ok(out)
}

/// Stored releases, parsed once: a release is never replaced, so its parse is kept.
async fn load(o: &Obs, chosen: &[(String, u8)], lang: Lang) -> Result<Vec<Arc<Release>>, Error> {
    let missing: Vec<&(String, u8)> = chosen
        .iter()
        .filter(|k| o.cached_release(k).is_none())
        .collect();
    if !missing.is_empty() {
        let months: Vec<String> = missing
            .iter()
            .map(|(m, _)| m.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let stored = o
            .store
            .releases_of(&months)
            .await
            .map_err(|e| Error::from_store(&e, lang))?;
        for s in stored
            .iter()
            .filter(|s| chosen.contains(&(s.month.clone(), s.week)))
        {
            let parsed = releases::parse(std::slice::from_ref(s)).map_err(|e| {
                tracing::error!(error = %e, "a stored release does not read back");
                Error::Unavailable {
                    detail: i18n::t(lang, "store.unavailable", &[]),
                    retry_after_s: Some(60),
                }
            })?;
            if let Some(r) = parsed.into_iter().next() {
                o.cache_release((s.month.clone(), s.week), r);
            }
        }
    }
    Ok(chosen.iter().filter_map(|k| o.cached_release(k)).collect())
}

/// Which released periods a query covers: `month` (its release, else its closed weeks),
/// `from`/`to` (released months inside the range, else released weeks inside it), or by
/// default the latest released month (before any, the running month's closed weeks).
fn choose_periods(
    all: &[(String, u8)],
    q: &IndicatorQuery,
    lang: Lang,
) -> Result<Vec<(String, u8)>, Error> {
    let has = |m: &str, w: u8| all.iter().any(|(a, b)| a == m && *b == w);
    let month_or_weeks = |m: &str| -> Vec<(String, u8)> {
        if has(m, 0) {
            return vec![(m.to_string(), 0)];
        }
        (1..=5)
            .filter(|w| has(m, *w))
            .map(|w| (m.to_string(), w))
            .collect()
    };
    if let Some(m) = q.month {
        return Ok(month_or_weeks(&releases::month_name(m)));
    }
    if q.from.is_none() && q.to.is_none() {
        let latest = all.iter().find(|(_, w)| *w == 0).map(|(m, _)| m.clone());
        let running = all.iter().map(|(m, _)| m.clone()).max();
        return Ok(match (latest, running) {
            (Some(l), _) => vec![(l, 0)],
            (None, Some(r)) => month_or_weeks(&r),
            (None, None) => vec![],
        });
    }
    let from = q.from.unwrap_or(NaiveDate::MIN);
    let to = q.to.unwrap_or(NaiveDate::MAX);
    if from > to {
        return Err(Error::Unprocessable(i18n::t(lang, "obs.bad_range", &[])));
    }
    let months: BTreeSet<&String> = all.iter().map(|(m, _)| m).collect();
    Ok(months
        .into_iter()
        .flat_map(|m| periods_inside(m, from, to, &has))
        .collect())
}

/// A month's released periods inside `from..=to`: the month if it is inside and released,
/// else its released weeks inside.
fn periods_inside(
    month: &str,
    from: NaiveDate,
    to: NaiveDate,
    has: &impl Fn(&str, u8) -> bool,
) -> Vec<(String, u8)> {
    let periods = releases::closed_periods(month, NaiveDate::MAX);
    let inside = |p: &observatory::publish::Period| {
        let f = NaiveDate::parse_from_str(&p.from, "%Y-%m-%d").ok();
        let t = NaiveDate::parse_from_str(&p.to, "%Y-%m-%d").ok();
        f.zip(t).is_some_and(|(f, t)| f >= from && t <= to)
    };
    if periods
        .iter()
        .any(|p| p.week.is_none() && inside(p) && has(month, 0))
    {
        return vec![(month.to_string(), 0)];
    }
    periods
        .iter()
        .filter(|p| inside(p))
        .filter_map(|p| p.week)
        .filter(|w| has(month, *w))
        .map(|w| (month.to_string(), w))
        .collect()
}

fn title(lang: Lang, id: &str) -> (String, String) {
    (
        i18n::t(lang, &format!("indicator.{id}.title"), &[]),
        i18n::t(lang, &format!("indicator.{id}.definition"), &[]),
    )
}

fn labelled(lang: Lang, t: &Table) -> IndicatorTable {
    let (title, definition) = title(lang, &t.id);
    IndicatorTable {
        id: t.id.clone(),
        title,
        definition,
        dimensions: t.dimensions.clone(),
        measures: t.measures.clone(),
        sigma: Some(t.sigma),
        margin: Some(Z95 * t.sigma),
        rows: t
            .rows
            .iter()
            .map(|r| IndicatorRow {
                key: r.key.clone(),
                count: r.count,
                margin: Some(r.margin),
                values: r.values.clone(),
                value_margins: Some(r.value_margins.clone()),
                within_margin: Some(r.within_margin),
            })
            .collect(),
        total: Some(t.total),
        total_margin: Some(t.total_margin),
    }
}

fn exact_table(lang: Lang, id: &str, dimension: &str, measure: &str) -> IndicatorTable {
    let (title, definition) = title(lang, id);
    IndicatorTable {
        id: id.to_string(),
        title,
        definition,
        dimensions: vec![dimension.to_string()],
        measures: vec![measure.to_string()],
        sigma: None,
        margin: None,
        rows: Vec::new(),
        total: None,
        total_margin: None,
    }
}

fn exact_row(key: &str, count: usize, value: Option<f64>) -> IndicatorRow {
    IndicatorRow {
        key: vec![key.to_string()],
        count: i64::try_from(count).unwrap_or(i64::MAX),
        margin: None,
        values: vec![value],
        value_margins: None,
        within_margin: None,
    }
}

/// Network facts from the timetable (no people in them): stops and runs marked accessible,
/// and runs per hour by route on a reference day.
pub fn network_tables(tt: &Timetable, day: Day, lang: Lang) -> Vec<IndicatorTable> {
    let stops = tt.stops().len();
    let stops_ok = tt
        .stops()
        .iter()
        .filter(|s| s.wheelchair == timetable::Accessibility::Yes)
        .count();
    let (mut runs, mut runs_ok) = (0usize, 0usize);
    let mut per: BTreeMap<String, (usize, BTreeSet<u8>)> = BTreeMap::new();
    for (route, departure, wheelchair) in tt.runs_of_day(day) {
        runs += 1;
        runs_ok += usize::from(wheelchair == timetable::Accessibility::Yes);
        let e = per.entry(tt.route(route).id.clone()).or_default();
        e.0 += 1;
        e.1.insert(u8::try_from((departure / 3600) % 24).unwrap_or(0));
    }
    let share = |x: usize, n: usize| (n > 0).then(|| x as f64 / n as f64);
    let mut access = exact_table(lang, "accessibility", "of", "share_accessible");
    access.rows = vec![
        exact_row("stops", stops, share(stops_ok, stops)),
        exact_row("runs", runs, share(runs_ok, runs)),
    ];
    let mut supply = exact_table(lang, "supply", "route", "runs_per_hour");
    supply.rows = per
        .iter()
        .map(|(r, (n, hours))| exact_row(r, *n, Some(*n as f64 / hours.len().max(1) as f64)))
        .collect();
    vec![access, supply]
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v:.4}"))
}

/// One CSV for all released tables: each cell with its 95 % margin, and each derived value
/// with its own.
pub fn to_csv(a: &Answer) -> String {
    let mut out = String::from(
        "indicator,period_from,period_to,group,count,margin_95,within_margin,measure,value,value_margin_95,epsilon_per_month\n",
    );
    for t in &a.tables {
        for r in &t.rows {
            let group: Vec<String> = t
                .dimensions
                .iter()
                .zip(&r.key)
                .map(|(d, v)| format!("{d}={v}"))
                .collect();
            let head = format!(
                "{},{},{},{},{},{:.1},{}",
                t.id,
                a.from,
                a.to,
                csv_field(&group.join(";")),
                r.count,
                r.margin,
                r.within_margin
            );
            if t.measures.is_empty() {
                out.push_str(&format!("{head},,,,{:.3}\n", a.epsilon_per_month));
            }
            for (i, m) in t.measures.iter().enumerate() {
                out.push_str(&format!(
                    "{head},{m},{},{},{:.3}\n",
                    num(r.values.get(i).copied().flatten()),
                    num(r.value_margins.get(i).copied().flatten()),
                    a.epsilon_per_month
                ));
            }
        }
    }
    out
}
