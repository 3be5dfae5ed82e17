//! The incident categories as a tree riders choose from (page, bot, API clients): groups
//! (harassment, aggression, theft, the service), each with its categories, labelled in the
//! asker's language, with the family the indicators and safer trips count them in.

use crate::{Error, Obs, officials};
use i18n::Lang;
use observatory::categories::{Catalogue, Node};
use observatory::questionnaire::Labels;
use serde::Serialize;
use store::{Official, Role};

/// `GET /v1/categories`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryTree {
    /// The groups, in the order to show them; a group without categories is left out.
    pub groups: Vec<CategoryGroup>,
    /// The road actors a report may name as involved or victim (`actor_involved`,
    /// `actor_victim`), in the configured order.
    pub actors: Vec<RoadActor>,
}

/// A road actor.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoadActor {
    /// The key a report sends.
    pub code: String,
    /// Its name, in the asker's language.
    pub label: String,
}

/// A group of categories.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryGroup {
    /// `acoso`, `agresion`, `robo` or `servicio`.
    pub code: String,
    /// Its name, in the asker's language.
    pub label: String,
    /// Its categories, in the configured order.
    pub categories: Vec<CategoryNode>,
}

/// A category a report can be filed under.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryNode {
    /// The key a report sends (`category`, Open311 `service_code`).
    pub code: String,
    /// Its name, in the asker's language.
    pub label: String,
    /// The incident family it is counted in (`acoso`, `robo`, `agresion`, `otro`).
    pub family: String,
}

/// The seed of the categories: the configured ones (labels from the catalog) and the
/// Trujillo observatory's hierarchy.
pub fn seed(configured: &[observatory::Category]) -> Catalogue {
    Catalogue::seed(configured, |key| Labels {
        es: i18n::t(Lang::Es, key, &[]),
        en: i18n::t(Lang::En, key, &[]),
        qu: i18n::t(Lang::Qu, key, &[]),
    })
}

impl crate::App {
    /// The categories reports are filed under, as a tree (retired ones left out).
    pub fn categories(&self, lang: Lang) -> Result<CategoryTree, Error> {
        let o = self.require_observatory(lang)?;
        let cat = o.catalogue();
        let l = lang.code();
        let groups = cat
            .groups()
            .into_iter()
            .filter(|g| !g.retired)
            .map(|g| CategoryGroup {
                code: g.code.clone(),
                label: g.labels.get(l).to_string(),
                categories: cat
                    .children(&g.code)
                    .into_iter()
                    .filter(|c| !c.retired)
                    .map(|c| CategoryNode {
                        code: c.code.clone(),
                        label: c.labels.get(l).to_string(),
                        family: c.family.clone(),
                    })
                    .collect(),
            })
            .filter(|g: &CategoryGroup| !g.categories.is_empty())
            .collect();
        let actors = o
            .settings
            .road_actors
            .iter()
            .map(|a| RoadActor {
                code: a.clone(),
                label: i18n::t(lang, &format!("actor.{a}"), &[]),
            })
            .collect();
        Ok(CategoryTree { groups, actors })
    }
}

/// A group or category as officials send it (`PUT /v1/categories/{code}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryEdit {
    /// The group a category belongs to; absent for a group.
    #[serde(default)]
    pub group: Option<String>,
    /// A category's family: `acoso`, `robo`, `agresion` or `otro` (absent: kept, or `otro`
    /// for a new category).
    #[serde(default)]
    pub family: Option<String>,
    /// Name in Spanish (required).
    pub es: String,
    /// Name in English (absent: kept as it is).
    #[serde(default)]
    pub en: Option<String>,
    /// Name in Quechua (absent: kept as it is).
    #[serde(default)]
    pub qu: Option<String>,
    /// Place in its list (default: last).
    #[serde(default)]
    pub position: Option<i32>,
}

/// Adds or changes a group or a category (admins): rename, move to another group, reorder,
/// bring back a retired one. Takes effect at once in this process and within
/// [`crate::observatory::CATEGORIES_REFRESH`] in others. Returns whether it was new.
pub(crate) async fn put(
    o: &Obs,
    who: &Official,
    code: &str,
    edit: &CategoryEdit,
    lang: Lang,
) -> Result<bool, Error> {
    officials::require(who, Role::Admin, lang)?;
    let cat = o
        .refresh_categories()
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    let group = edit.group.as_deref().filter(|g| !g.is_empty());
    let siblings = match group {
        None => cat.groups(),
        Some(g) => cat.children(g),
    };
    let existing = match group {
        None => cat.group(code),
        Some(_) => cat.category(code),
    };
    let position = edit.position.unwrap_or_else(|| {
        existing.map_or_else(
            || siblings.iter().map(|n| n.position + 1).max().unwrap_or(0),
            |n| n.position,
        )
    });
    let keep = |given: &Option<String>, old: fn(&Node) -> &str| {
        given.as_ref().map_or_else(
            || existing.map(old).unwrap_or_default().to_string(),
            |g| observatory::plain_text(g).trim().to_string(),
        )
    };
    let node = Node {
        code: code.to_string(),
        parent: group.map(str::to_string),
        family: match (&edit.family, group, existing) {
            (Some(f), _, _) => f.clone(),
            (None, None, _) => String::new(),
            (None, Some(_), Some(old)) => old.family.clone(),
            (None, Some(_), None) => "otro".into(),
        },
        labels: Labels {
            es: observatory::plain_text(&edit.es).trim().to_string(),
            en: keep(&edit.en, |n| &n.labels.en),
            qu: keep(&edit.qu, |n| &n.labels.qu),
        },
        position,
        retired: false,
    };
    cat.check(&node)
        .map_err(|e| Error::Unprocessable(i18n::t(lang, "obs.bad_category", &[("text", &e)])))?;
    let created = o
        .store
        .put_category(&node, &who.name, crate::now_unix())
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    o.refresh_categories()
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    tracing::info!(category = %code, group = ?group, by = %who.name, created, "category saved");
    Ok(created)
}

/// Retires a category (or, with `group`, a group and so all its categories): no new reports;
/// its reports and released cells stay.
pub(crate) async fn retire(
    o: &Obs,
    who: &Official,
    code: &str,
    group: bool,
    lang: Lang,
) -> Result<(), Error> {
    officials::require(who, Role::Admin, lang)?;
    o.refresh_categories()
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    let done = o
        .store
        .retire_category(code, group, &who.name, crate::now_unix())
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    o.refresh_categories()
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    if done {
        tracing::info!(category = %code, group, by = %who.name, "category retired");
        Ok(())
    } else {
        Err(Error::NotFound(i18n::t(
            lang,
            "obs.unknown_category",
            &[("text", &code)],
        )))
    }
}

/// A category as the report forms check it: [`Error::Invalid`] if unknown or retired.
pub(crate) fn fileable(o: &Obs, code: &str, lang: Lang) -> Result<(), Error> {
    let cat = o.catalogue();
    if cat.fileable(code) {
        return Ok(());
    }
    let key = if cat.category(code).is_some() {
        "obs.retired_category"
    } else {
        "obs.unknown_category"
    };
    Err(Error::Invalid(i18n::t(lang, key, &[("text", &code)])))
}
