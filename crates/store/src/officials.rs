//! Officials' tokens: created, checked, revoked.

use super::*;
use sqlx::Row;
use std::str::FromStr;

impl Store {
    /// Creates an official and returns their bearer token; only its hash is stored, so this
    /// is the only time it can be seen.
    pub async fn create_official(&self, name: &str, role: Role, now: i64) -> Result<String> {
        self.create_token(name, role, &[], now).await
    }

    /// Creates an operator of `agencies` (namespaced agency ids) and returns their token.
    pub async fn create_operator(
        &self,
        name: &str,
        agencies: &[String],
        now: i64,
    ) -> Result<String> {
        self.create_token(name, Role::Operator, agencies, now).await
    }

    async fn create_token(
        &self,
        name: &str,
        role: Role,
        agencies: &[String],
        now: i64,
    ) -> Result<String> {
        let mut bytes = [0u8; 24];
        rand::rng().fill(&mut bytes);
        let token = format!(
            "pdr_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        self.write_one(
            sqlx::query(
                "INSERT INTO officials (id, name, role, token_hash, created_at, agencies)
             VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new_id())
            .bind(name)
            .bind(role.as_str())
            .bind(sha256_hex(&token))
            .bind(now)
            .bind(agencies.join("\n")),
        )
        .await?;
        Ok(token)
    }

    /// The official a bearer token belongs to, unless unknown or revoked.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Official>> {
        let row = sqlx::query(
            "SELECT name, role, agencies FROM officials
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(sha256_hex(token))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let role: String = r.try_get(1)?;
            let agencies: String = r.try_get(2)?;
            Ok(Official {
                agencies: agencies
                    .lines()
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
                name: r.try_get(0)?,
                role: Role::from_str(&role)
                    .map_err(|()| StoreError::Open(format!("unknown role `{role}` stored")))?,
            })
        })
        .transpose()
    }

    /// Revokes every token of an official by name; returns how many.
    pub async fn revoke_official(&self, name: &str, now: i64) -> Result<u64> {
        self.write_one(
            sqlx::query(
                "UPDATE officials SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(name),
        )
        .await
    }
}
