//! The default store: one SQLite file in the data directory.

use std::{path::Path, time::Duration};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{
    OpenError, WRITE_TIMEOUT, directory::sql_directory, invites::sql_invites, sql::sql_backend,
};

/// The database file's name inside `--data-dir`.
pub const FILE_NAME: &str = "natter.db";

/// Readers (sync, history, SSR) run beside the one writer; WAL lets them.
const MAX_CONNECTIONS: u32 = 8;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it and its directory if missing) and migrates the database at `path`.
    pub async fn open(path: &Path) -> Result<SqliteStore, OpenError> {
        SqliteStore::open_with_busy_timeout(path, WRITE_TIMEOUT).await
    }

    /// [`SqliteStore::open`] with another wait for a locked database, so a test can see a
    /// write give up without waiting the production timeout.
    pub async fn open_with_busy_timeout(
        path: &Path,
        busy_timeout: Duration,
    ) -> Result<SqliteStore, OpenError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        // WAL: readers never block the writer. NORMAL: no fsync per commit; a commit survives
        // the process crashing, while a power cut may lose the last few (never corrupting the
        // file). That is the price of acking after commit without an fsync per message.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy_timeout)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(busy_timeout.max(WRITE_TIMEOUT))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

sql_backend!(SqliteStore, sqlx::Sqlite);
sql_directory!(SqliteStore, sqlx::Sqlite);
sql_invites!(SqliteStore);
