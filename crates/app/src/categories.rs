//! The incident categories as a tree riders choose from (page, bot, API clients): groups
//! (harassment, aggression, theft, the service), each with its categories, labelled in the
//! asker's language, with the family the indicators and safer trips count them in.

use crate::Error;
use i18n::Lang;
use observatory::release::{GROUPS, family_of, group_of};
use serde::Serialize;

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

impl crate::App {
    /// The categories reports are filed under, as a tree.
    pub fn categories(&self, lang: Lang) -> Result<CategoryTree, Error> {
        let o = self.require_observatory(lang)?;
        let groups = GROUPS
            .iter()
            .map(|g| CategoryGroup {
                code: (*g).to_string(),
                label: i18n::t(lang, &format!("category_group.{g}"), &[]),
                categories: o
                    .settings
                    .categories
                    .iter()
                    .filter(|c| group_of(c) == *g)
                    .map(|c| CategoryNode {
                        code: c.key.clone(),
                        label: i18n::t(lang, &format!("category.{}", c.key), &[]),
                        family: family_of(c).to_string(),
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
