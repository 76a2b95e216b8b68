//! The store for several nodes or managed databases: Postgres, chosen by `--database-url`.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{
    OpenError, WRITE_TIMEOUT, directory::sql_directory, invites::sql_invites, sql::sql_backend,
};

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and migrates the database.
    pub async fn connect(url: &str) -> Result<PgStore, OpenError> {
        PgStore::connect_with(url.parse()?).await
    }

    /// With options built by the caller, e.g. a `search_path` that confines a test to its own
    /// schema.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PgStore, OpenError> {
        // A database that went away must fail a write within the client's patience, not
        // after sqlx's 30 s default.
        let pool = PgPoolOptions::new()
            .acquire_timeout(WRITE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }
}

sql_backend!(PgStore, sqlx::Postgres);
sql_directory!(PgStore, sqlx::Postgres);
sql_invites!(PgStore);
