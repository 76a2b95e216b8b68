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
/// themself); unread counts only others' messages after the marker, through the
/// `(room, seq)` index.
pub(super) const JOINED: &str = "\
    SELECT r.id AS room, r.kind, r.topic, r.last_seq AS latest_seq, me.read_seq, \
      (SELECT COUNT(*) FROM messages x \
        WHERE x.room = r.id AND x.seq > me.read_seq AND x.author_id <> me.user_id) AS unread, \
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

/// Implements [`Directory`] for a store with a `pool` field (see `sql_backend` for why a macro).
macro_rules! sql_directory {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::server::store::Directory for $store {
            async fn create_user(
                &self,
                name: &natter_contract::UserName,
                password_hash: Option<&str>,
            ) -> Result<natter_contract::User, $crate::server::store::StoreError> {
                use $crate::server::store::{StoreError, backend::is_unique_violation};
                let mut tx = self.pool.begin().await.map_err(StoreError::not_stored)?;
                let created = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO users (name, name_key, skeleton, password_hash) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(&name.display)
                .bind(&name.key)
                .bind(&name.skeleton)
                .bind(password_hash)
                .fetch_one(&mut *tx)
                .await;
                let id = match created {
                    Ok(id) => id,
                    Err(error) if is_unique_violation(&error) => {
                        return Err(StoreError::NameTaken);
                    }
                    Err(error) => return Err(StoreError::not_stored(error)),
                };
                sqlx::query(
                    "INSERT INTO members (room, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind($crate::server::store::directory::default_room())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::not_stored)?;
                tx.commit().await.map_err(StoreError::not_stored)?;
                Ok(natter_contract::User {
                    id,
                    name: name.display.clone(),
                })
            }

            async fn find_user(
                &self,
                key: &str,
            ) -> Result<Option<$crate::server::store::Account>, $crate::server::store::StoreError>
            {
                let row = sqlx::query_as::<_, $crate::server::store::directory::AccountRow>(
                    "SELECT id, name, password_hash FROM users WHERE name_key = $1",
                )
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::server::store::StoreError::read)?;
                Ok(row.map(Into::into))
            }

            async fn create_session(
                &self,
                token_hash: &str,
                user: i64,
                expires_at: i64,
            ) -> Result<(), $crate::server::store::StoreError> {
                use $crate::server::store::StoreError;
                // Expired sessions are left to `expire_sessions`, which also closes their
                // sockets; deleting them here would hide those sockets from it.
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                )
                .bind(token_hash)
                .bind(user)
                .bind(expires_at)
                .execute(&self.pool)
                .await
                .map_err(StoreError::not_stored)?;
                Ok(())
            }

            async fn touch_session(
                &self,
                token_hash: &str,
                now: i64,
                expires_at: i64,
            ) -> Result<Option<$crate::server::store::Account>, $crate::server::store::StoreError>
            {
                use $crate::server::store::StoreError;
                // SQLite's RETURNING sees only the updated table, hence two statements.
                let user: Option<i64> = sqlx::query_scalar(
                    "UPDATE sessions SET expires_at = $3 \
                     WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id",
                )
                .bind(token_hash)
                .bind(now)
                .bind(expires_at)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::read)?;
                let Some(user) = user else { return Ok(None) };
                let row = sqlx::query_as::<_, $crate::server::store::directory::AccountRow>(
                    "SELECT id, name, password_hash FROM users WHERE id = $1",
                )
                .bind(user)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::read)?;
                Ok(row.map(Into::into))
            }

            async fn find_session(
                &self,
                token_hash: &str,
                now: i64,
            ) -> Result<
                Option<($crate::server::store::Account, i64)>,
                $crate::server::store::StoreError,
            > {
                let row: Option<(i64, String, Option<String>, i64)> = sqlx::query_as(
                    "SELECT u.id, u.name, u.password_hash, s.expires_at \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::server::store::StoreError::read)?;
                Ok(row.map(|(id, name, password_hash, expires_at)| {
                    let user = natter_contract::User { id, name };
                    ($crate::server::store::Account { user, password_hash }, expires_at)
                }))
            }

            async fn delete_session(
                &self,
                token_hash: &str,
            ) -> Result<(), $crate::server::store::StoreError> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::server::store::StoreError::not_stored)?;
                Ok(())
            }

            async fn expire_sessions(
                &self,
                now: i64,
            ) -> Result<Vec<String>, $crate::server::store::StoreError> {
                sqlx::query_scalar("DELETE FROM sessions WHERE expires_at <= $1 RETURNING token_hash")
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::server::store::StoreError::not_stored)
            }

            async fn public_rooms(
                &self,
            ) -> Result<Vec<natter_contract::RoomInfo>, $crate::server::store::StoreError> {
                let rows: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT r.id, r.topic, (SELECT COUNT(*) FROM members m WHERE m.room = r.id) \
                     FROM rooms r WHERE r.kind = 'public' ORDER BY r.id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::server::store::StoreError::read)?;
                Ok(rows
                    .into_iter()
                    .map(|(room, topic, members)| natter_contract::RoomInfo {
                        room,
                        topic,
                        members: members.unsigned_abs(),
                    })
                    .collect())
            }

            async fn create_room(
                &self,
                room: &str,
                topic: &str,
                creator: i64,
            ) -> Result<(), $crate::server::store::StoreError> {
                use $crate::server::store::{StoreError, backend::is_unique_violation};
                let mut tx = self.pool.begin().await.map_err(StoreError::not_stored)?;
                let created = sqlx::query("INSERT INTO rooms (id, kind, topic) VALUES ($1, 'public', $2)")
                    .bind(room)
                    .bind(topic)
                    .execute(&mut *tx)
                    .await;
                match created {
                    Ok(_) => {}
                    Err(error) if is_unique_violation(&error) => return Err(StoreError::RoomTaken),
                    Err(error) => return Err(StoreError::not_stored(error)),
                }
                sqlx::query("INSERT INTO members (room, user_id) VALUES ($1, $2)")
                    .bind(room)
                    .bind(creator)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::not_stored)?;
                tx.commit().await.map_err(StoreError::not_stored)
            }

            async fn join_room(
                &self,
                room: &str,
                user: i64,
            ) -> Result<(), $crate::server::store::StoreError> {
                use $crate::server::store::StoreError;
                let joined = sqlx::query(
                    "INSERT INTO members (room, user_id) \
                     SELECT id, $2 FROM rooms WHERE id = $1 AND kind = 'public' \
                     ON CONFLICT DO NOTHING",
                )
                .bind(room)
                .bind(user)
                .execute(&self.pool)
                .await
                .map_err(StoreError::not_stored)?;
                if joined.rows_affected() == 0 && !self.is_member(room, user).await? {
                    return Err(StoreError::UnknownRoom);
                }
                Ok(())
            }

            async fn leave_room(
                &self,
                room: &str,
                user: i64,
            ) -> Result<bool, $crate::server::store::StoreError> {
                let left = sqlx::query(
                    "DELETE FROM members WHERE room = $1 AND user_id = $2 \
                     AND room IN (SELECT id FROM rooms WHERE kind = 'public')",
                )
                .bind(room)
                .bind(user)
                .execute(&self.pool)
                .await
                .map_err($crate::server::store::StoreError::not_stored)?;
                Ok(left.rows_affected() > 0)
            }

            async fn ensure_dm(
                &self,
                room: &str,
                a: i64,
                b: i64,
            ) -> Result<(), $crate::server::store::StoreError> {
                use $crate::server::store::StoreError;
                let mut tx = self.pool.begin().await.map_err(StoreError::not_stored)?;
                let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1 OR id = $2")
                    .bind(a)
                    .bind(b)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::not_stored)?;
                if found < if a == b { 1 } else { 2 } {
                    return Err(StoreError::UnknownUser);
                }
                sqlx::query("INSERT INTO rooms (id, kind) VALUES ($1, 'dm') ON CONFLICT DO NOTHING")
                    .bind(room)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::not_stored)?;
                for user in [a, b] {
                    sqlx::query(
                        "INSERT INTO members (room, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(room)
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::not_stored)?;
                }
                tx.commit().await.map_err(StoreError::not_stored)
            }

            async fn is_member(
                &self,
                room: &str,
                user: i64,
            ) -> Result<bool, $crate::server::store::StoreError> {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT user_id FROM members WHERE room = $1 AND user_id = $2")
                        .bind(room)
                        .bind(user)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::server::store::StoreError::read)?;
                Ok(found.is_some())
            }

            async fn member_of(
                &self,
                user: i64,
                rooms: &[&str],
            ) -> Result<Vec<String>, $crate::server::store::StoreError> {
                if rooms.is_empty() {
                    return Ok(Vec::new());
                }
                let mut query = sqlx::QueryBuilder::<$db>::new("SELECT room FROM members WHERE user_id = ");
                query.push_bind(user).push(" AND room IN (");
                let mut list = query.separated(", ");
                for room in rooms {
                    list.push_bind(*room);
                }
                query.push(")");
                query
                    .build_query_scalar()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::server::store::StoreError::read)
            }

            async fn latest_seqs(
                &self,
                rooms: &[&str],
            ) -> Result<Vec<(String, u64)>, $crate::server::store::StoreError> {
                if rooms.is_empty() {
                    return Ok(Vec::new());
                }
                let mut query = sqlx::QueryBuilder::<$db>::new("SELECT id, last_seq FROM rooms WHERE id IN (");
                let mut list = query.separated(", ");
                for room in rooms {
                    list.push_bind(*room);
                }
                query.push(")");
                let rows: Vec<(String, i64)> = query
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::server::store::StoreError::read)?;
                Ok(rows.into_iter().map(|(room, seq)| (room, seq.unsigned_abs())).collect())
            }

            async fn joined(
                &self,
                user: i64,
                room: Option<&str>,
            ) -> Result<Vec<natter_contract::Joined>, $crate::server::store::StoreError> {
                let rows = sqlx::query_as::<_, $crate::server::store::directory::JoinedRow>(
                    $crate::server::store::directory::JOINED,
                )
                .bind(user)
                .bind(room)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::server::store::StoreError::read)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn mark_read(
                &self,
                room: &str,
                user: i64,
                seq: u64,
            ) -> Result<Option<u64>, $crate::server::store::StoreError> {
                use $crate::server::store::StoreError;
                let seq = i64::try_from(seq).map_err(|_| StoreError::SeqOutOfRange)?;
                sqlx::query(
                    "UPDATE members SET read_seq = $3 WHERE room = $1 AND user_id = $2 \
                     AND read_seq < $3 AND $3 <= (SELECT last_seq FROM rooms WHERE id = $1)",
                )
                .bind(room)
                .bind(user)
                .bind(seq)
                .execute(&self.pool)
                .await
                .map_err(StoreError::not_stored)?;
                let now: Option<i64> = sqlx::query_scalar(
                    "SELECT read_seq FROM members WHERE room = $1 AND user_id = $2",
                )
                .bind(room)
                .bind(user)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::read)?;
                Ok(now.map(i64::unsigned_abs))
            }
        }
    };
}
pub(super) use sql_directory;
