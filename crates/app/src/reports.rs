//! Reports of incidents: validate, file, follow, erase, list and move along the workflow.
//!
//! A report's public handle is a secret only its reporter holds; officials work with a case
//! id (`C-…`). Lookups by secret take at least [`LOOKUP_FLOOR`], found or not, so that timing
//! tells nothing.

use crate::{Error, Obs, now_unix, officials, word};
use i18n::Lang;
use planner::clock::{timezone as tz, unix_to_local};
use store::{AgeBand, Channel, Gender, NewReport, ReportFilter, Role, Status};
use timetable::{Coord, Timetable};

/// Lookups by secret take at least this long, found or not.
pub const LOOKUP_FLOOR: std::time::Duration = std::time::Duration::from_millis(120);

/// A report as submitted, checked against the timetable and the configuration.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// Category key.
    pub category: Option<&'a str>,
    /// Point.
    pub lat: Option<f64>,
    /// Point.
    pub lon: Option<f64>,
    /// Stop id.
    pub stop_id: Option<&'a str>,
    /// Route id.
    pub route_id: Option<&'a str>,
    /// When it happened, local `YYYY-MM-DDTHH:MM` or Unix seconds; `None`: now.
    pub occurred_at: Option<i64>,
    /// Free text.
    pub description: Option<&'a str>,
    /// Reporter's gender.
    pub gender: Option<&'a str>,
    /// Reporter's age band.
    pub age_band: Option<&'a str>,
    /// Channel.
    pub channel: Channel,
    /// Hashed rider handle.
    pub rider: Option<String>,
    /// Who was involved (a road actor key), if said.
    pub actor_involved: Option<&'a str>,
    /// Who was the victim (a road actor key), if said.
    pub actor_victim: Option<&'a str>,
}

/// Validates a report: every problem is [`Error::Invalid`] or [`Error::Unprocessable`]
/// naming the field.
pub(crate) fn validate(
    tt: &Timetable,
    o: &Obs,
    r: &ReportInput<'_>,
    now: i64,
    lang: Lang,
) -> Result<NewReport, Error> {
    let cat = r.category.unwrap_or("");
    crate::categories::fileable(o, cat, lang)?;
    let o = &o.settings;
    let stop = match r.stop_id {
        None => None,
        Some(id) => Some(tt.stop_by_id(id).ok_or_else(|| {
            Error::Unprocessable(i18n::t(lang, "error.unknown_stop", &[("id", &id)]))
        })?),
    };
    let point = match (r.lat, r.lon, stop) {
        (Some(lat), Some(lon), _) => Some(Coord::new(lat, lon).map_err(|_| {
            Error::Invalid(i18n::t(
                lang,
                "error.bad_coordinate",
                &[("text", &format!("{lat},{lon}"))],
            ))
        })?),
        (None, None, Some(s)) => Some(tt.stop(s).coord),
        _ => None,
    };
    let Some(point) = point else {
        return Err(Error::Invalid(i18n::t(lang, "obs.no_place", &[])));
    };
    let nearest = tt
        .stop_index()
        .nearest(point)
        .map_or(f64::INFINITY, |x| x.1);
    if nearest > o.max_distance_m {
        return Err(Error::Unprocessable(i18n::t(
            lang,
            "obs.outside_area",
            &[("km", &format!("{:.1}", nearest / 1000.0))],
        )));
    }
    let route = crate::words::route(tt, r.route_id, lang)?;
    let occurred = r.occurred_at.unwrap_or(now);
    let (_, hour) = unix_to_local(tt, occurred);
    let shown = || {
        use chrono::TimeZone;
        tz(tt).timestamp_opt(occurred, 0).single().map_or_else(
            || occurred.to_string(),
            |d| d.format("%Y-%m-%d %H:%M").to_string(),
        )
    };
    if occurred > now + 300 {
        return Err(Error::Unprocessable(i18n::t(
            lang,
            "obs.future",
            &[("text", &shown())],
        )));
    }
    if occurred < now - 366 * 86_400 {
        return Err(Error::Unprocessable(i18n::t(
            lang,
            "obs.too_old",
            &[("text", &shown())],
        )));
    }
    let description = r.description.map(observatory::plain_text);
    let description = description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if let Some(d) = description {
        let n = d.chars().count();
        if n > o.max_description_chars {
            return Err(Error::Invalid(i18n::t(
                lang,
                "obs.description_too_long",
                &[("n", &n), ("max", &o.max_description_chars)],
            )));
        }
    }
    let gender = word::<Gender>(lang, "gender", r.gender)?;
    let age_band = word::<AgeBand>(lang, "age_band", r.age_band)?;
    let actor = |field: &str, v: Option<&str>| -> Result<Option<String>, Error> {
        match v.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) if o.road_actors.iter().any(|a| a == v) => Ok(Some(v.to_string())),
            Some(v) => Err(Error::Invalid(i18n::t(
                lang,
                "obs.unknown_actor",
                &[
                    ("field", &field),
                    ("text", &v),
                    ("allowed", &o.road_actors.join(", ")),
                ],
            ))),
        }
    };
    let actors = store::RoadActors {
        involved: actor("actor_involved", r.actor_involved)?,
        victim: actor("actor_victim", r.actor_victim)?,
    };
    Ok(NewReport {
        category: cat.to_string(),
        lat: Some(point.lat()),
        lon: Some(point.lon()),
        stop_id: stop.map(|s| tt.stop(s).id.clone()),
        route_id: route,
        zone: observatory::zone::zone_of(point.lat(), point.lon(), o.zone_cell_m),
        occurred_at: occurred,
        occurred_at_given: r.occurred_at.is_some(),
        local_hour: hour,
        description: description.map(str::to_string),
        gender,
        age_band,
        channel: r.channel,
        rider: r.rider.clone(),
        actors,
    })
}

/// A report filed.
#[derive(Debug, Clone)]
pub struct Filed {
    /// The reporter's secret reference (shown once).
    pub secret: String,
    /// Its status.
    pub status: Status,
    /// True when an idempotency key matched an earlier submission (nothing new stored).
    pub replayed: bool,
}

/// Stores a validated report. With an `idempotency_key` already used for the same
/// submission, answers the first report again; used for another, [`Error::Unprocessable`].
pub(crate) async fn file(
    o: &Obs,
    new: &NewReport,
    idempotency_key: Option<&str>,
    lang: Lang,
) -> Result<Filed, Error> {
    let created = o
        .store
        .create_report(new, idempotency_key, now_unix())
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    Ok(Filed {
        secret: created.secret,
        status: created.report.status,
        replayed: created.replayed,
    })
}

/// A report and its history, as its reporter (or an official) may see it.
#[derive(Debug, Clone)]
pub struct Followed {
    /// The report.
    pub report: store::Report,
    /// Its status changes, oldest first.
    pub history: Vec<store::ReportEvent>,
}

/// Waits until [`LOOKUP_FLOOR`] has passed since `started`.
async fn floor(started: tokio::time::Instant) {
    tokio::time::sleep_until(started + LOOKUP_FLOOR).await;
}

fn unknown(reference: &str, lang: Lang) -> Error {
    Error::NotFound(i18n::t(lang, "obs.unknown_report", &[("text", &reference)]))
}

/// A report by its reporter's secret, or by its case id (`C-…`) with an official's `token`.
/// Unknown or not, the answer takes at least [`LOOKUP_FLOOR`].
pub(crate) async fn follow(
    o: &Obs,
    reference: &str,
    token: Option<&str>,
    lang: Lang,
) -> Result<Followed, Error> {
    let started = tokio::time::Instant::now();
    let found = if reference.starts_with("C-") {
        officials::authenticate(o, token, Role::Viewer, lang).await?;
        o.store.report(reference).await
    } else {
        o.store.report_by_secret(reference).await
    }
    .map_err(|e| Error::from_store(&e, lang))?;
    // The same work whether or not it exists: the history query runs either way.
    let history = o
        .store
        .report_events(found.as_ref().map_or("", |r| r.reference.as_str()))
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    floor(started).await;
    let report = found.ok_or_else(|| unknown(reference, lang))?;
    Ok(Followed { report, history })
}

/// Several reports by id, as Open311 asks for them: with an official (`who`, viewer or above)
/// by case id, else by the reporters' secrets. Unknown ids are left out; each found one comes
/// with the id it was asked by. Without an official the answer takes at least
/// [`LOOKUP_FLOOR`], whatever was found.
pub(crate) async fn follow_ids(
    o: &Obs,
    ids: &[&str],
    who: Option<&store::Official>,
    lang: Lang,
) -> Result<Vec<(String, Followed)>, Error> {
    let started = tokio::time::Instant::now();
    if let Some(who) = who {
        officials::require(who, Role::Viewer, lang)?;
    }
    let failed = |e: store::StoreError| Error::from_store(&e, lang);
    let mut out = Vec::new();
    for &id in ids {
        let found = if who.is_some() {
            o.store.report(id).await
        } else {
            o.store.report_by_secret(id).await
        }
        .map_err(failed)?;
        // The same work whether or not it exists: the history query runs either way.
        let history = o
            .store
            .report_events(found.as_ref().map_or("", |r| r.reference.as_str()))
            .await
            .map_err(failed)?;
        if let Some(report) = found {
            out.push((id.to_string(), Followed { report, history }));
        }
    }
    if who.is_none() {
        floor(started).await;
    }
    Ok(out)
}

/// Raw reports with their histories, for an official (viewer or above).
pub(crate) async fn list_followed(
    o: &Obs,
    who: &store::Official,
    filter: &ReportFilter,
    lang: Lang,
) -> Result<Vec<Followed>, Error> {
    let reports = list(o, who, filter, lang).await?;
    with_histories(o, reports, lang).await
}

/// Each report with its status changes, oldest first.
pub(crate) async fn with_histories(
    o: &Obs,
    reports: Vec<store::Report>,
    lang: Lang,
) -> Result<Vec<Followed>, Error> {
    let mut out = Vec::with_capacity(reports.len());
    for report in reports {
        let history = o
            .store
            .report_events(&report.reference)
            .await
            .map_err(|e| Error::from_store(&e, lang))?;
        out.push(Followed { report, history });
    }
    Ok(out)
}

/// Right to erasure: deletes the report whose secret is `secret`, and its history. Unknown
/// or not, the answer takes at least [`LOOKUP_FLOOR`].
pub(crate) async fn erase(o: &Obs, secret: &str, lang: Lang) -> Result<(), Error> {
    let started = tokio::time::Instant::now();
    let erased = o
        .store
        .erase_report_by_secret(secret)
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    floor(started).await;
    if erased {
        Ok(())
    } else {
        Err(unknown(secret, lang))
    }
}

/// Raw reports with place and description, for an official (viewer or above).
pub(crate) async fn list(
    o: &Obs,
    who: &store::Official,
    filter: &ReportFilter,
    lang: Lang,
) -> Result<Vec<store::Report>, Error> {
    officials::require(who, Role::Viewer, lang)?;
    o.store
        .reports(filter)
        .await
        .map_err(|e| Error::from_store(&e, lang))
}

/// Moves a report along the workflow with a note (an editor, authenticated by the caller
/// first with [`officials::authenticate`]); the reporter is notified
/// through the channel they used (the store queues the notification with the change).
pub(crate) async fn change_status(
    o: &Obs,
    who: &store::Official,
    reference: &str,
    to: Status,
    note: &str,
    lang: Lang,
) -> Result<Followed, Error> {
    officials::require(who, Role::Editor, lang)?;
    let note = observatory::plain_text(note);
    let note = note.as_str();
    let n = note.chars().count();
    if n > o.settings.max_description_chars {
        return Err(Error::Invalid(i18n::t(
            lang,
            "obs.description_too_long",
            &[("n", &n), ("max", &o.settings.max_description_chars)],
        )));
    }
    let report = o
        .store
        .change_status(reference, to, note, &who.name, now_unix())
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    let history = o
        .store
        .report_events(&report.reference)
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    Ok(Followed { report, history })
}
