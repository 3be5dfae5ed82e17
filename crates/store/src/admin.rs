//! A plain connection to a PostgreSQL server, for administration.

use super::*;

/// A plain connection to a PostgreSQL server, for administration (creating databases).
#[derive(Debug)]
pub struct Admin {
    pool: AnyPool,
}

impl Admin {
    /// Creates a database named with lower-case letters, digits and underscores.
    pub async fn create_database(&self, name: &str) -> Result<()> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Open(format!("bad database name `{name}`")));
        }
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Connects to a PostgreSQL server without migrating anything.
    pub async fn admin_connect(url: &str) -> Result<Admin> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        Ok(Admin { pool })
    }
}
