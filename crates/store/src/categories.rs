//! Incident categories as data: read them all, seed them once, change one (officials).

use crate::{Result, Store};
use observatory::categories::{Catalogue, Node};
use observatory::questionnaire::Labels;
use sqlx::Row;

impl Store {
    /// Every group and category, retired ones too.
    pub async fn categories(&self) -> Result<Catalogue> {
        let rows = sqlx::query(
            "SELECT code, parent, family, label_es, label_en, label_qu, position, retired_at
             FROM categories",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut nodes = Vec::with_capacity(rows.len());
        for r in &rows {
            let retired: Option<i64> = r.try_get(7)?;
            nodes.push(Node {
                code: r.try_get(0)?,
                parent: r.try_get(1)?,
                family: r.try_get(2)?,
                labels: Labels {
                    es: r.try_get(3)?,
                    en: r.try_get(4)?,
                    qu: r.try_get(5)?,
                },
                position: r.try_get(6)?,
                retired: retired.is_some(),
            });
        }
        Ok(Catalogue { nodes })
    }

    /// Stores `seed` unless there are categories already (one transaction). Returns whether
    /// it was stored.
    pub async fn seed_categories(&self, seed: &Catalogue, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM categories")
            .fetch_one(tx.conn())
            .await?
            .try_get(0)?;
        if n > 0 {
            return Ok(false);
        }
        // Another process may seed at the same moment: its rows win, ours are skipped.
        for node in &seed.nodes {
            insert(tx.conn(), node, "seed", now, true).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Creates or changes a group or category (and brings it back if retired). Returns
    /// whether it was new.
    pub async fn put_category(&self, node: &Node, by: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE categories SET parent = $1, family = $2, label_es = $3, label_en = $4,
                 label_qu = $5, position = $6, retired_at = NULL, updated_at = $7,
                 updated_by = $8
             WHERE is_group = $9 AND code = $10",
        )
        .bind(node.parent.as_deref())
        .bind(&node.family)
        .bind(&node.labels.es)
        .bind(&node.labels.en)
        .bind(&node.labels.qu)
        .bind(node.position)
        .bind(now)
        .bind(by)
        .bind(i32::from(node.parent.is_none()))
        .bind(&node.code)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            insert(tx.conn(), node, by, now, false).await?;
        }
        tx.commit().await?;
        Ok(changed == 0)
    }

    /// Retires a group or a category. Returns whether it was live.
    pub async fn retire_category(
        &self,
        code: &str,
        group: bool,
        by: &str,
        now: i64,
    ) -> Result<bool> {
        let n = self
            .write_one(
                sqlx::query(
                    "UPDATE categories SET retired_at = $1, updated_at = $2, updated_by = $3
                     WHERE is_group = $4 AND code = $5 AND retired_at IS NULL",
                )
                .bind(now)
                .bind(now)
                .bind(by)
                .bind(i32::from(group))
                .bind(code),
            )
            .await?;
        Ok(n > 0)
    }
}

async fn insert(
    conn: &mut sqlx::AnyConnection,
    node: &Node,
    by: &str,
    now: i64,
    if_absent: bool,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO categories (code, is_group, parent, family, label_es, label_en, label_qu,
             position, retired_at, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11){}",
        if if_absent {
            " ON CONFLICT DO NOTHING"
        } else {
            ""
        }
    );
    sqlx::query(&sql)
        .bind(&node.code)
        .bind(i32::from(node.parent.is_none()))
        .bind(node.parent.as_deref())
        .bind(&node.family)
        .bind(&node.labels.es)
        .bind(&node.labels.en)
        .bind(&node.labels.qu)
        .bind(node.position)
        .bind(node.retired.then_some(now))
        .bind(now)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}
