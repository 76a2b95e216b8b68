//! The rules every store follows, on top of the few statements a backend runs.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use std::collections::{HashMap, HashSet};

use natter_contract::{ChatMessage, MAX_PAGE, MessageKind, Page, Revision, User};

use super::{BackendError, ChatStore, Draft, Inserted, StoreError};

/// The SQL a backend runs; `seq`, `limit` and row ids are `i64` as the databases store them.
/// Each method is one statement or one transaction.
#[async_trait]
pub trait Backend: super::Directory + super::Invites {
    /// The stored messages among these `(author id, client_id)` keys, in no particular order.
    async fn find(&self, keys: &[(i64, &str)]) -> Result<Vec<ChatMessage>, sqlx::Error>;
    /// In one transaction: bump each room's `last_seq` by its number of messages and insert
    /// them under the new seqs, in slice order. `None` for a message whose room does not exist.
    /// An edit or a delete also rewrites its target, if that is still the author's undeleted
    /// message; if not (another node changed it since the check), the transaction rolls back
    /// with [`sqlx::Error::RowNotFound`].
    async fn append(&self, new: &[NewMessage<'_>])
    -> Result<Vec<Option<ChatMessage>>, sqlx::Error>;
    async fn last_seq(&self, room: &str) -> Result<Option<i64>, sqlx::Error>;
    /// The row at `seq` in `room`, if any.
    async fn at(&self, room: &str, seq: i64) -> Result<Option<ChatMessage>, sqlx::Error>;
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
    async fn ping(&self) -> Result<(), sqlx::Error>;
    async fn close(&self);
}

/// A message on its way into [`Backend::append`].
pub struct NewMessage<'a> {
    pub room: &'a str,
    pub author: &'a User,
    pub client_id: &'a str,
    pub body: &'a str,
    pub sent_at: i64,
    pub kind: natter_contract::MessageKind,
    pub target: Option<u64>,
}

#[async_trait]
impl<B: Backend> ChatStore for B {
    async fn insert(&self, draft: &Draft<'_>) -> Result<Inserted, StoreError> {
        match self.insert_together(std::slice::from_ref(draft)).await {
            // One result per draft; the fallback is unreachable, and says so if ever reached.
            Ok(mut inserted) => inserted.pop().unwrap_or_else(|| {
                let missing = "the batch insert returned no result".to_owned();
                Err(StoreError::not_stored(BackendError::new(missing)))
            }),
            // The same id sent twice at once: both passed the check, one lost the race and
            // rolled back (its seq bump with it), so the winner's row is the answer.
            Err(error) if is_unique_violation(&error) => match self.find(&[key(draft)]).await {
                Ok(found) => match found.into_iter().next() {
                    Some(message) => Ok(Inserted {
                        message,
                        duplicate: true,
                    }),
                    None => Err(StoreError::not_stored(error)),
                },
                Err(error) => Err(StoreError::not_stored(error)),
            },
            Err(error) => Err(StoreError::not_stored(error)),
        }
    }

    async fn insert_batch(&self, drafts: &[Draft<'_>]) -> Vec<Result<Inserted, StoreError>> {
        match self.insert_together(drafts).await {
            Ok(inserted) => inserted,
            // One message broke a constraint, typically another writer storing one of these
            // ids after the check, and the whole batch rolled back: one by one, the raced
            // message turns into a duplicate and the others still go in. Other errors
            // (locked, disk full) would fail each message again after the same wait, so the
            // first of those answers the rest of the batch.
            Err(error) if is_per_message(&error) => {
                let mut results: Vec<Result<Inserted, StoreError>> =
                    Vec::with_capacity(drafts.len());
                for draft in drafts {
                    let result = match results.last() {
                        Some(Err(StoreError::NotStored(error)))
                            if !error.driver().is_some_and(is_per_message) =>
                        {
                            Err(StoreError::NotStored(error.clone()))
                        }
                        _ => self.insert(draft).await,
                    };
                    results.push(result);
                }
                results
            }
            Err(error) => {
                let error = BackendError::from(error);
                let not_stored = || Err(StoreError::NotStored(error.clone()));
                drafts.iter().map(|_| not_stored()).collect()
            }
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
            .map_err(StoreError::read)?;
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

    async fn ping(&self) -> Result<(), StoreError> {
        Backend::ping(self).await.map_err(StoreError::read)
    }

    async fn close(&self) {
        Backend::close(self).await;
    }
}

/// The steps the blanket impl is built from (the batch insert and the reads); a private
/// extension keeps them off [`ChatStore`].
#[async_trait]
trait Steps {
    /// Dedupes `drafts` against the store and against each other, then appends the rest in
    /// one transaction. An `Err` means nothing was written.
    async fn insert_together(
        &self,
        drafts: &[Draft<'_>],
    ) -> Result<Vec<Result<Inserted, StoreError>>, sqlx::Error>;

    /// The rows the edits and deletes of `drafts` aim at.
    async fn targets<'a>(&self, drafts: &[Draft<'a>]) -> Result<Targets<'a>, sqlx::Error>;

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
impl<B: Backend> Steps for B {
    async fn insert_together(
        &self,
        drafts: &[Draft<'_>],
    ) -> Result<Vec<Result<Inserted, StoreError>>, sqlx::Error> {
        // Checking first keeps a resend from taking the room's write lock at all.
        let keys: Vec<(i64, &str)> = drafts.iter().map(key).collect();
        let stored = self.find(&keys).await?;
        let targets = self.targets(drafts).await?;
        let sent_at = now_millis();
        let mut fresh = Vec::with_capacity(drafts.len());
        // Deleted by an earlier draft of this batch.
        let mut deleted = HashSet::new();
        // Per draft: where its answer comes from.
        let mut plan = Vec::with_capacity(drafts.len());
        for (index, draft) in drafts.iter().enumerate() {
            let id = key(draft);
            plan.push(
                if let Some(found) = stored.iter().find(|m| (m.author.id, &*m.client_id) == id) {
                    Plan::Stored(found)
                } else if let Some(first) = drafts[..index].iter().position(|d| key(d) == id) {
                    // Resent while its first copy was still waiting in the same batch.
                    Plan::SameAs(first)
                } else if let Err(refusal) = may_change(draft, &targets, &deleted) {
                    Plan::Refused(refusal)
                } else {
                    if let (MessageKind::Delete, Some(target)) = (draft.kind, draft.target) {
                        deleted.insert((draft.room, target));
                    }
                    fresh.push(NewMessage {
                        room: draft.room,
                        author: draft.author,
                        client_id: draft.client_id,
                        body: if draft.kind == MessageKind::Delete {
                            ""
                        } else {
                            draft.body
                        },
                        sent_at,
                        kind: draft.kind,
                        target: draft.target,
                    });
                    Plan::Fresh(fresh.len() - 1)
                },
            );
        }
        let appended = self.append(&fresh).await?;
        let mut results: Vec<Result<Inserted, StoreError>> = Vec::with_capacity(drafts.len());
        for step in plan {
            let result = match step {
                Plan::Stored(message) => Ok(Inserted {
                    message: message.clone(),
                    duplicate: true,
                }),
                Plan::Fresh(index) => match &appended[index] {
                    Some(message) => Ok(Inserted {
                        message: message.clone(),
                        duplicate: false,
                    }),
                    None => Err(StoreError::UnknownRoom),
                },
                Plan::SameAs(first) => results[first].clone().map(|first| Inserted {
                    message: first.message,
                    duplicate: true,
                }),
                Plan::Refused(refusal) => Err(refusal),
            };
            results.push(result);
        }
        Ok(results)
    }

    async fn targets<'a>(&self, drafts: &[Draft<'a>]) -> Result<Targets<'a>, sqlx::Error> {
        let mut targets = Targets::new();
        for draft in drafts.iter().filter(|d| d.kind.is_change()) {
            let Some(target) = draft.target else { continue };
            if targets.contains_key(&(draft.room, target)) {
                continue;
            }
            // A seq past i64 cannot be stored, so it names no row.
            let row = match i64::try_from(target) {
                Ok(seq) => self.at(draft.room, seq).await?,
                Err(_) => None,
            };
            targets.insert((draft.room, target), row);
        }
        Ok(targets)
    }

    async fn known_last_seq(&self, room: &str) -> Result<i64, StoreError> {
        self.last_seq(room)
            .await
            .map_err(StoreError::read)?
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
            .map_err(StoreError::read)?;
        let has_more = trim(&mut messages, limit);
        messages.reverse();
        Ok(page(room, messages, has_more, latest))
    }
}

/// How [`Steps::insert_together`] answers one draft.
enum Plan<'a> {
    Stored(&'a ChatMessage),
    Fresh(usize),
    SameAs(usize),
    Refused(StoreError),
}

/// The messages the edits and deletes among a batch aim at, by `(room, seq)`; `None` for a
/// seq that holds no row.
type Targets<'a> = HashMap<(&'a str, u64), Option<ChatMessage>>;

/// Whether `draft` may be stored: anything but an edit or a delete may; those only when
/// aimed at a message of their author that is not deleted (in the store or by an earlier
/// draft of the batch).
fn may_change(
    draft: &Draft<'_>,
    targets: &Targets<'_>,
    deleted: &HashSet<(&str, u64)>,
) -> Result<(), StoreError> {
    if !draft.kind.is_change() {
        return Ok(());
    }
    let target = draft.target.ok_or(StoreError::UnknownMessage)?;
    let Some(Some(message)) = targets.get(&(draft.room, target)) else {
        return Err(StoreError::UnknownMessage);
    };
    if !message.kind.is_message() {
        Err(StoreError::UnknownMessage)
    } else if message.author.id != draft.author.id {
        Err(StoreError::Forbidden)
    } else if message.is_deleted() || deleted.contains(&(draft.room, target)) {
        Err(StoreError::MessageDeleted)
    } else {
        Ok(())
    }
}

/// What makes a message unique besides its place: its author and the author's resend key.
fn key<'a>(draft: &Draft<'a>) -> (i64, &'a str) {
    (draft.author.id, draft.client_id)
}

pub(super) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(error) if error.is_unique_violation())
}

/// An error that one message of a batch can cause: a broken constraint, data the column
/// refuses (Postgres class 22), an edit whose target changed meanwhile, or a deadlock with another node's batch over ids sent to two
/// rooms at once (class 40, which Postgres resolves by aborting one side). Unlike a lock
/// timeout or a lost connection, storing the messages one by one gets past it.
fn is_per_message(error: &sqlx::Error) -> bool {
    if matches!(error, sqlx::Error::RowNotFound) {
        // An edit's target changed between the check and the write (another node).
        return true;
    }
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    let postgres_class = |class: &str| {
        let postgres = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
        postgres.is_some_and(|error| error.code().starts_with(class))
    };
    !matches!(error.kind(), sqlx::error::ErrorKind::Other)
        || postgres_class("22")
        || postgres_class("40")
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

pub(super) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// The start of every query for [`Row`]s, a literal so statements stay `concat!`ed constants
/// (sqlx caches prepared statements by their text).
macro_rules! select_messages {
    () => {
        "SELECT m.id, m.room, m.seq, m.author_id, u.name AS author_name, m.client_id, m.body, \
         m.sent_at, m.kind, m.target_seq, m.revision_seq, m.revised_at, m.deleted \
         FROM messages m JOIN users u ON u.id = m.author_id "
    };
}
pub(super) use select_messages;

/// A `messages` row as both backends return it.
#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: i64,
    room: String,
    seq: i64,
    author_id: i64,
    author_name: String,
    client_id: String,
    body: String,
    sent_at: i64,
    kind: String,
    target_seq: Option<i64>,
    revision_seq: Option<i64>,
    revised_at: Option<i64>,
    deleted: bool,
}

impl From<Row> for ChatMessage {
    fn from(row: Row) -> Self {
        ChatMessage {
            room: row.room,
            // CHECK (seq > 0) in both schemas
            seq: row.seq.unsigned_abs(),
            id: row.id,
            author: User {
                id: row.author_id,
                name: row.author_name,
            },
            client_id: row.client_id,
            sent_at: row.sent_at,
            kind: MessageKind::from_stored(&row.kind),
            target: row.target_seq.map(i64::unsigned_abs),
            revision: row.revision_seq.map(|seq| Revision {
                seq: seq.unsigned_abs(),
                at: row.revised_at.unwrap_or(row.sent_at),
                deleted: row.deleted,
            }),
            // Derived, not stored: a parser fix shows in every old message, and it is cheap:
            // 1.2 µs for a 37-character plain line, 6.4 µs for a 94-character one with
            // emphasis, code, a URL, a mention, a quote and a list (release build, this machine).
            markup: natter_contract::markup(&row.body),
            body: row.body,
        }
    }
}
