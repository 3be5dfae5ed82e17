//! The officials' internal figures: exact counts over a range, every record counted, for
//! viewers and above only; never published.

use crate::{Error, Obs, officials, releases};
use i18n::Lang;
use store::{Official, Role};
use timetable::Timetable;

/// One table of exact figures.
#[derive(Debug, Clone, PartialEq)]
pub struct InternalTable {
    /// The table's id (its title is in the catalog as `indicator.{id}.title`).
    pub id: &'static str,
    /// Names of its dimensions.
    pub dimensions: Vec<&'static str>,
    /// Names of its mean measures (`{measure}_mean`).
    pub measures: Vec<String>,
    /// Its non-empty cells.
    pub rows: Vec<InternalRow>,
}

/// One cell of an internal table.
#[derive(Debug, Clone, PartialEq)]
pub struct InternalRow {
    /// One value per dimension.
    pub key: Vec<String>,
    /// Records in the cell.
    pub count: i64,
    /// Per mean measure, its mean over the cell.
    pub values: Vec<Option<f64>>,
}

/// Every cell key of a table, in the order of its measures' vectors.
pub fn cell_keys(values: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for vals in values {
        out = out
            .into_iter()
            .flat_map(|k: Vec<String>| {
                vals.iter().map(move |v| {
                    let mut k = k.clone();
                    k.push(v.clone());
                    k
                })
            })
            .collect();
    }
    out
}

/// The exact figures of `[from, to)` for `who` (viewer or above).
pub(crate) async fn figures(
    o: &Obs,
    who: &Official,
    tt: &std::sync::Arc<Timetable>,
    from: i64,
    to: i64,
    lang: Lang,
) -> Result<Vec<InternalTable>, Error> {
    officials::require(who, Role::Viewer, lang)?;
    let records = releases::exact_records(o, tt, from, to)
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    let domains = releases::domains(tt, o)
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    let exact = tokio::task::spawn_blocking(move || {
        observatory::release::tabulate(&records, &domains, None, 1..=31)
    })
    .await
    .map_err(|_| Error::Internal("the tables stopped".into()))?;
    Ok(exact
        .iter()
        .map(|e| {
            let keys = cell_keys(&e.values);
            let counts = &e.measures[0];
            InternalTable {
                id: e.spec.id,
                dimensions: e.spec.dims.iter().map(|d| d.name()).collect(),
                measures: e
                    .spec
                    .measures
                    .iter()
                    .skip(1)
                    .map(|m| format!("{}_mean", m.name))
                    .collect(),
                rows: keys
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| counts[*i] != 0)
                    .map(|(i, key)| InternalRow {
                        key,
                        count: counts[i],
                        values: e
                            .measures
                            .iter()
                            .skip(1)
                            .map(|m| (counts[i] > 0).then(|| m[i] as f64 / counts[i] as f64))
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect())
}
