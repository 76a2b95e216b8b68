//! `natter backup PATH`: a consistent copy of the live SQLite database.
//!
//! `VACUUM INTO` reads the database inside one read transaction, so the copy is the database
//! as of one commit even while the server keeps writing (WAL lets both go on at once), and
//! it comes out compacted, with no `-wal` file beside it. Copying `natter.db` with `cp` while
//! the server runs can miss what is still in the WAL, or catch a page half-written.

use std::path::{Path, PathBuf};

use sqlx::{
    ConnectOptions, Connection,
    sqlite::{SqliteConnectOptions, SqliteConnection},
};

use super::{Config, store::SQLITE_FILE_NAME};

/// Why a backup was not made; `main` prints it and exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "Natter stores in Postgres here (DATABASE_URL); back it up with pg_dump, e.g. \
         `pg_dump --format=custom --file=natter.dump \"$DATABASE_URL\"` (see the README)"
    )]
    Postgres,
    #[error("there is no database at {0} (is --data-dir right?)")]
    NoDatabase(PathBuf),
    #[error("{0} already exists; a backup never overwrites a file")]
    Exists(PathBuf),
    #[error("the backup failed: {0}")]
    Sqlite(#[from] sqlx::Error),
    #[error("the copy at {path} failed its integrity check: {report}")]
    Corrupt { path: PathBuf, report: String },
}

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub from: PathBuf,
    pub bytes: u64,
    pub messages: i64,
}

/// Copies the database of `config` to `dest`, then checks the copy.
pub async fn backup(config: &Config, dest: &Path) -> Result<Backup, BackupError> {
    if config.database_url.is_some() {
        return Err(BackupError::Postgres);
    }
    let from = config.data_dir.join(SQLITE_FILE_NAME);
    if !from.is_file() {
        return Err(BackupError::NoDatabase(from));
    }
    if dest.exists() {
        return Err(BackupError::Exists(dest.to_owned()));
    }
    // Not through `SqliteStore::open`: that would migrate, and a backup must copy a database
    // as it is, even one this build would refuse to run on.
    let mut live = SqliteConnectOptions::new()
        .filename(&from)
        .read_only(true)
        .connect()
        .await?;
    sqlx::query("VACUUM INTO ?")
        .bind(dest.to_string_lossy().as_ref())
        .execute(&mut live)
        .await?;
    live.close().await?;

    let mut copy = SqliteConnectOptions::new()
        .filename(dest)
        .read_only(true)
        .connect()
        .await?;
    let report: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut copy)
        .await?;
    if report != "ok" {
        return Err(BackupError::Corrupt {
            path: dest.to_owned(),
            report,
        });
    }
    let messages = count_messages(&mut copy).await?;
    copy.close().await?;
    let bytes = std::fs::metadata(dest).map_or(0, |meta| meta.len());
    Ok(Backup {
        from,
        bytes,
        messages,
    })
}

async fn count_messages(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(conn)
        .await
}
