//! The people side of the store: users, sessions, rooms and who is in them.
//!
//! Both backends run the same statements ([`sql_directory`]); uniqueness (names, their
//! lookalikes, room names) is left to the database's UNIQUE constraints, so two nodes racing
//! for one name cannot both win.

use async_trait::async_trait;
use natter_contract::{DEFAULT_ROOM, Joined, RoomInfo, RoomKind, User, UserName};

use super::StoreError;

/// A user with what signing in checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user: User,
    /// argon2id PHC string; `None` when the user set no password.
    pub password_hash: Option<String>,
}

#[async_trait]
pub trait Directory: Send + Sync + 'static {
    /// A new user, already in [`DEFAULT_ROOM`]. [`StoreError::NameTaken`] when the name's key
    /// or skeleton belongs to someone.
    async fn create_user(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
    ) -> Result<User, StoreError>;

    /// By the case-insensitive key ([`UserName::key`]).
    async fn find_user(&self, key: &str) -> Result<Option<Account>, StoreError>;

    async fn create_session(
        &self,
        token_hash: &str,
        user: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;

    /// The session's user and expiry if it has not expired by `now`; a read, no write.
    async fn find_session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(Account, i64)>, StoreError>;

    /// The session's user if it has not expired by `now`; its expiry moves to `expires_at`
    /// (the sliding window).
    async fn touch_session(
        &self,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<Option<Account>, StoreError>;

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Deletes the sessions expired by `now`; their token hashes, so that their sockets can
    /// be closed too.
    async fn expire_sessions(&self, now: i64) -> Result<Vec<String>, StoreError>;

    /// The public rooms, by name.
    async fn public_rooms(&self) -> Result<Vec<RoomInfo>, StoreError>;

    /// A public room; its creator joins it. [`StoreError::RoomTaken`] if the name exists.
    async fn create_room(&self, room: &str, topic: &str, creator: i64) -> Result<(), StoreError>;

    /// Joins a public room (again is fine). [`StoreError::UnknownRoom`] for anything else.
    async fn join_room(&self, room: &str, user: i64) -> Result<(), StoreError>;

    /// Leaves a public room; `false` if the user was not in it.
    async fn leave_room(&self, room: &str, user: i64) -> Result<bool, StoreError>;

    /// The DM room `room` (a [`natter_contract::dm_room`] key) with both members, created if
    /// it does not exist yet; [`StoreError::UnknownUser`] if either user does not exist.
    async fn ensure_dm(&self, room: &str, a: i64, b: i64) -> Result<(), StoreError>;

    async fn is_member(&self, room: &str, user: i64) -> Result<bool, StoreError>;

    /// The room's members by name, at most `limit` of them.
    async fn members(&self, room: &str, limit: u32) -> Result<Vec<User>, StoreError>;

    /// Which of the name keys (`natter_contract::UserName::key`) belong to the room's members.
    async fn members_named(&self, room: &str, keys: &[String]) -> Result<Vec<String>, StoreError>;

    /// Which of `rooms` the user is in, in one query.
    async fn member_of(&self, user: i64, rooms: &[&str]) -> Result<Vec<String>, StoreError>;

    /// The newest seq of each of `rooms` that exists, in one query.
    async fn latest_seqs(&self, rooms: &[&str]) -> Result<Vec<(String, u64)>, StoreError>;

    /// The user's rooms and DMs with their unread counts; only `room` when given. DMs without
    /// messages are left out: a conversation appears with its first message.
    async fn joined(&self, user: i64, room: Option<&str>) -> Result<Vec<Joined>, StoreError>;

    /// Moves the user's read marker forward to `seq` (never back, never past the room's
    /// newest); returns where it is now, or `None` if the user is not a member.
    async fn mark_read(&self, room: &str, user: i64, seq: u64) -> Result<Option<u64>, StoreError>;
}

/// A `joined` row: the membership, the room, and for DMs the other member.
#[derive(sqlx::FromRow)]
pub(super) struct JoinedRow {
    room: String,
    kind: String,
    topic: String,
    latest_seq: i64,
    read_seq: i64,
    unread: i64,
    mentions: i64,
    peer_id: Option<i64>,
    peer_name: Option<String>,
}

impl From<JoinedRow> for Joined {
    fn from(row: JoinedRow) -> Self {
        let kind = if row.kind == "dm" {
            RoomKind::Dm
        } else {
            RoomKind::Public
        };
        let peer = match (row.peer_id, row.peer_name) {
            (Some(id), Some(name)) => Some(User { id, name }),
            _ => None,
        };
        Joined {
            room: row.room,
            kind,
            peer,
            topic: row.topic,
            latest_seq: row.latest_seq.unsigned_abs(),
            read_seq: row.read_seq.unsigned_abs(),
            unread: row.unread.unsigned_abs(),
            mentions: row.mentions.unsigned_abs(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AccountRow {
    id: i64,
    name: String,
    password_hash: Option<String>,
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Self {
        Account {
            user: User {
                id: row.id,
                name: row.name,
            },
            password_hash: row.password_hash,
        }
    }
}

/// The `joined` query: for a DM the peer is the other member (or the user, in a DM with
/// themself); unread counts only others' messages (not system lines, edits, or deleted
/// messages) after the marker, through the `(room, seq)` index; mentions those of them that
/// name the user, through the `mentions` key `(user_id, room, seq)`.
pub(super) const JOINED: &str = "\
    SELECT r.id AS room, r.kind, r.topic, r.last_seq AS latest_seq, me.read_seq, \
      (SELECT COUNT(*) FROM messages x \
        WHERE x.room = r.id AND x.seq > me.read_seq AND x.author_id <> me.user_id \
          AND x.kind = 'message' AND NOT x.deleted) AS unread, \
      (SELECT COUNT(*) FROM mentions n JOIN messages x ON x.room = n.room AND x.seq = n.seq \
        WHERE n.user_id = me.user_id AND n.room = r.id AND n.seq > me.read_seq \
          AND NOT x.deleted) AS mentions, \
      p.id AS peer_id, p.name AS peer_name \
    FROM members me JOIN rooms r ON r.id = me.room \
    LEFT JOIN users p ON r.kind = 'dm' AND p.id = COALESCE( \
      (SELECT o.user_id FROM members o \
        WHERE r.kind = 'dm' AND o.room = r.id AND o.user_id <> me.user_id LIMIT 1), \
      me.user_id) \
    WHERE me.user_id = $1 AND ($2 IS NULL OR r.id = $2) \
      AND ($2 IS NOT NULL OR r.kind = 'public' OR r.last_seq > 0) \
    ORDER BY r.kind DESC, r.id";

pub(super) fn default_room() -> &'static str {
    DEFAULT_ROOM
}

mod sql;
pub(super) use sql::sql_directory;
