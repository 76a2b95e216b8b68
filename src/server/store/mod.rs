//! Where messages live: a [`ChatStore`], SQLite by default or Postgres.
//!
//! The store, not the socket layer, decides `seq`: each room row carries its `last_seq`, bumped
//! in the same transaction as the message insert, so numbers are gapless and a failed write
//! leaves no trace. `client_id` is UNIQUE, which turns a client's resend into a lookup of the
//! original instead of a second copy.
//!
//! The backends only speak SQL (`backend::Backend`); the rules every store follows (dedupe,
//! range checks, page shapes) live once, in `backend`'s blanket [`ChatStore`] impl.

mod backend;
mod directory;
mod error;
mod invites;
mod numbering;
mod postgres;
mod sql;
mod sqlite;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use natter_contract::{ChatMessage, Page, User};

pub use directory::{Account, Directory};
pub use error::{BackendError, OpenError, StoreError};
pub use invites::Invites;

pub use postgres::PgStore;
pub use sqlite::{FILE_NAME as SQLITE_FILE_NAME, SqliteStore};

use super::Config;

/// What the server holds: one store shared by the socket handlers, the writer task and the
/// server functions.
pub type SharedStore = Arc<dyn ChatStore>;

/// How long a write waits for a lock or a pooled connection before it gives up as
/// [`StoreError::NotStored`]: long enough to ride out a checkpoint, short enough that the
/// client hears back well within its ack timeout.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Persistence of rooms and their messages, and (through [`Directory`]) of the people in them.
#[async_trait]
pub trait ChatStore: Directory + Invites {
    /// Stores a message as the room's next `seq`. A `client_id` its author used before returns
    /// the message stored under it, untouched, with `duplicate: true`. An edit or a delete
    /// also rewrites its target in the same transaction.
    async fn insert(&self, draft: &Draft<'_>) -> Result<Inserted, StoreError>;

    /// Stores `drafts` as if [`ChatStore::insert`]ed one after another, in order, and returns
    /// one result per draft in the same order. A store may commit them together (the SQL
    /// stores do, in one transaction), which is what lets one writer keep up with a busy room.
    async fn insert_batch(&self, drafts: &[Draft<'_>]) -> Vec<Result<Inserted, StoreError>> {
        let mut results = Vec::with_capacity(drafts.len());
        for draft in drafts {
            results.push(self.insert(draft).await);
        }
        results
    }

    /// Messages with `seq > after_seq`, oldest first, at most `limit` of them.
    async fn after(&self, room: &str, after_seq: u64, limit: u32) -> Result<Page, StoreError>;

    /// The newest `limit` messages with `seq < before_seq`, oldest first.
    async fn before(&self, room: &str, before_seq: u64, limit: u32) -> Result<Page, StoreError>;

    /// The newest `limit` messages, oldest first.
    async fn latest(&self, room: &str, limit: u32) -> Result<Page, StoreError>;

    /// The room's newest `seq`, 0 while it is empty.
    async fn latest_seq(&self, room: &str) -> Result<u64, StoreError>;

    /// A round trip to the database, for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Closes the connections; later calls fail.
    async fn close(&self);
}

/// A message to store: where, by whom, under which resend key, and what. An edit or a delete
/// (`kind`) names the `seq` of the message it changes as `target`; it is stored only if that
/// is a message of the same author, not deleted, and refused with the reason otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub room: &'a str,
    pub author: &'a User,
    pub client_id: &'a str,
    pub body: &'a str,
    pub kind: natter_contract::MessageKind,
    pub target: Option<u64>,
}

/// The outcome of [`ChatStore::insert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inserted {
    pub message: ChatMessage,
    /// The `client_id` was already stored: `message` is the original and nothing was written.
    pub duplicate: bool,
}

/// The store the flags ask for: Postgres for a `--database-url`, else SQLite in `--data-dir`.
pub async fn open(config: &Config) -> Result<SharedStore, OpenError> {
    Ok(match &config.database_url {
        Some(url) => {
            let store = PgStore::connect(url.as_str()).await?;
            tracing::info!(url = ?url, "storing messages in Postgres");
            Arc::new(store)
        }
        None => {
            let path = config.data_dir.join(sqlite::FILE_NAME);
            let store = SqliteStore::open(&path).await?;
            tracing::info!(path = %path.display(), "storing messages in SQLite");
            Arc::new(store)
        }
    })
}
