//! The rules every store follows, on top of the few statements a backend runs.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use natter_contract::{ChatMessage, MAX_PAGE, Page};

use super::{ChatStore, Inserted, StoreError};

/// The SQL a backend runs; `seq`, `limit` and row ids are `i64` as the databases store them.
/// Each method is one statement or one transaction.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn find(&self, client_id: &str) -> Result<Option<ChatMessage>, sqlx::Error>;
    /// In one transaction: bump the room's `last_seq` and insert the message under it. `None`
    /// when the room does not exist.
    async fn append(&self, new: NewMessage<'_>) -> Result<Option<ChatMessage>, sqlx::Error>;
    async fn last_seq(&self, room: &str) -> Result<Option<i64>, sqlx::Error>;
    /// `after < seq <= upto`, ascending, at most `limit`.
    async fn ascending(
        &self,
        room: &str,
        after: i64,
        upto: i64,
        limit: i64,
    ) -> Result<Vec<ChatMessage>, sqlx::Error>;
    /// `seq < before`, descending, at most `limit`.
    async fn descending(
        &self,
        room: &str,
        before: i64,
        limit: i64,
    ) -> Result<Vec<ChatMessage>, sqlx::Error>;
    async fn close(&self);
}

/// A message on its way into [`Backend::append`].
pub struct NewMessage<'a> {
    pub room: &'a str,
    pub client_id: &'a str,
    pub body: &'a str,
    pub sent_at: i64,
}

#[async_trait]
impl<B: Backend> ChatStore for B {
    async fn insert(
        &self,
        room: &str,
        client_id: &str,
        body: &str,
    ) -> Result<Inserted, StoreError> {
        // Checking first keeps a resend from taking the room's write lock at all.
        if let Some(message) = self.find(client_id).await.map_err(StoreError::NotStored)? {
            return Ok(Inserted {
                message,
                duplicate: true,
            });
        }
        let new = NewMessage {
            room,
            client_id,
            body,
            sent_at: now_millis(),
        };
        match self.append(new).await {
            Ok(Some(message)) => Ok(Inserted {
                message,
                duplicate: false,
            }),
            Ok(None) => Err(StoreError::UnknownRoom),
            // The same id sent twice at once: both passed the check, one lost the race and
            // rolled back (its seq bump with it), so the winner's row is the answer.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                match self.find(client_id).await {
                    Ok(Some(message)) => Ok(Inserted {
                        message,
                        duplicate: true,
                    }),
                    Ok(None) => Err(StoreError::NotStored(sqlx::Error::Database(error))),
                    Err(error) => Err(StoreError::NotStored(error)),
                }
            }
            Err(error) => Err(StoreError::NotStored(error)),
        }
    }

    async fn after(&self, room: &str, after_seq: u64, limit: u32) -> Result<Page, StoreError> {
        let limit = page_limit(limit)?;
        let latest = self.known_last_seq(room).await?;
        let after = i64::try_from(after_seq).map_err(|_| StoreError::SeqOutOfRange)?;
        if after > latest {
            return Err(StoreError::SeqOutOfRange);
        }
        // Bounded by the `last_seq` just read, and a room's seqs commit in order, so the page
        // holds no holes and agrees with its own `latest_seq`.
        let mut messages = self
            .ascending(room, after, latest, limit + 1)
            .await
            .map_err(StoreError::Read)?;
        let has_more = trim(&mut messages, limit);
        Ok(page(room, messages, has_more, latest))
    }

    async fn before(&self, room: &str, before_seq: u64, limit: u32) -> Result<Page, StoreError> {
        let limit = page_limit(limit)?;
        let latest = self.known_last_seq(room).await?;
        let before = i64::try_from(before_seq).map_err(|_| StoreError::SeqOutOfRange)?;
        // `latest + 1` is "everything"; beyond that the client holds seqs this store never
        // gave out (another database, or one restored from an older backup).
        if before == 0 || before > latest.saturating_add(1) {
            return Err(StoreError::SeqOutOfRange);
        }
        self.newest_before(room, before, limit, latest).await
    }

    async fn latest(&self, room: &str, limit: u32) -> Result<Page, StoreError> {
        let limit = page_limit(limit)?;
        let latest = self.known_last_seq(room).await?;
        self.newest_before(room, latest.saturating_add(1), limit, latest)
            .await
    }

    async fn latest_seq(&self, room: &str) -> Result<u64, StoreError> {
        Ok(self.known_last_seq(room).await?.unsigned_abs())
    }

    async fn close(&self) {
        Backend::close(self).await;
    }
}

/// Shared by the blanket impl only; a private extension keeps them off [`ChatStore`].
#[async_trait]
trait Reads {
    async fn known_last_seq(&self, room: &str) -> Result<i64, StoreError>;
    /// The page of the newest `limit` before `before`, stamped with the `latest` the caller
    /// read (read once, so the page cannot claim a newer seq than it has checked against).
    async fn newest_before(
        &self,
        room: &str,
        before: i64,
        limit: i64,
        latest: i64,
    ) -> Result<Page, StoreError>;
}

#[async_trait]
impl<B: Backend> Reads for B {
    async fn known_last_seq(&self, room: &str) -> Result<i64, StoreError> {
        self.last_seq(room)
            .await
            .map_err(StoreError::Read)?
            .ok_or(StoreError::UnknownRoom)
    }

    async fn newest_before(
        &self,
        room: &str,
        before: i64,
        limit: i64,
        latest: i64,
    ) -> Result<Page, StoreError> {
        let mut messages = self
            .descending(room, before, limit + 1)
            .await
            .map_err(StoreError::Read)?;
        let has_more = trim(&mut messages, limit);
        messages.reverse();
        Ok(page(room, messages, has_more, latest))
    }
}

fn page_limit(limit: u32) -> Result<i64, StoreError> {
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(i64::from(limit))
    } else {
        Err(StoreError::SeqOutOfRange)
    }
}

/// Drops the extra row fetched to learn whether more exist.
fn trim(messages: &mut Vec<ChatMessage>, limit: i64) -> bool {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = messages.len() > limit;
    messages.truncate(limit);
    has_more
}

fn page(room: &str, messages: Vec<ChatMessage>, has_more: bool, latest: i64) -> Page {
    Page {
        room: room.to_owned(),
        messages,
        has_more,
        latest_seq: latest.unsigned_abs(),
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// A `messages` row as both backends return it.
#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: i64,
    room: String,
    seq: i64,
    client_id: String,
    body: String,
    sent_at: i64,
}

impl From<Row> for ChatMessage {
    fn from(row: Row) -> Self {
        ChatMessage {
            room: row.room,
            // CHECK (seq > 0) in both schemas
            seq: row.seq.unsigned_abs(),
            id: row.id,
            client_id: row.client_id,
            body: row.body,
            sent_at: row.sent_at,
        }
    }
}
