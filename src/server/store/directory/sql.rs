//! The one implementation of [`super::Directory`], for both SQL backends.

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

            async fn members(
                &self,
                room: &str,
                limit: u32,
            ) -> Result<Vec<natter_contract::User>, $crate::server::store::StoreError> {
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id \
                     WHERE m.room = $1 ORDER BY u.name_key LIMIT $2",
                )
                .bind(room)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::server::store::StoreError::read)?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name)| natter_contract::User { id, name })
                    .collect())
            }

            async fn members_named(
                &self,
                room: &str,
                keys: &[String],
            ) -> Result<Vec<String>, $crate::server::store::StoreError> {
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                let mut query = sqlx::QueryBuilder::<$db>::new(
                    "SELECT u.name_key FROM members m JOIN users u ON u.id = m.user_id WHERE m.room = ",
                );
                query.push_bind(room).push(" AND u.name_key IN (");
                let mut list = query.separated(", ");
                for key in keys {
                    list.push_bind(key);
                }
                query.push(")");
                query
                    .build_query_scalar()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::server::store::StoreError::read)
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
pub(in crate::server::store) use sql_directory;
