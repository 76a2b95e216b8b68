//! The statements both backends run.

/// Implements [`Backend`] for a store with a `pool` field. SQLite and Postgres run the same
/// statements (sqlx numbers `$N` parameters for SQLite too) and differ only in the pool type,
/// while sqlx's executor bounds, written generically, do not survive `async_trait`'s `Send`
/// requirement.
macro_rules! sql_backend {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::server::store::backend::Backend for $store {
            async fn find(
                &self,
                client_id: &str,
            ) -> Result<Option<natter_contract::ChatMessage>, sqlx::Error> {
                let row = sqlx::query_as::<_, $crate::server::store::backend::Row>(
                    "SELECT id, room, seq, client_id, body, sent_at FROM messages \
                     WHERE client_id = $1",
                )
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn append(
                &self,
                new: $crate::server::store::backend::NewMessage<'_>,
            ) -> Result<Option<natter_contract::ChatMessage>, sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                // The bump comes first so the transaction's first statement takes the write
                // lock (and waits for it), and the room row's lock orders concurrent inserts.
                let seq: Option<i64> = sqlx::query_scalar(
                    "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
                )
                .bind(new.room)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(seq) = seq else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO messages (room, seq, client_id, body, sent_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(new.room)
                .bind(seq)
                .bind(new.client_id)
                .bind(new.body)
                .bind(new.sent_at)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(natter_contract::ChatMessage {
                    room: new.room.to_owned(),
                    seq: seq.unsigned_abs(),
                    id,
                    client_id: new.client_id.to_owned(),
                    body: new.body.to_owned(),
                    sent_at: new.sent_at,
                }))
            }

            async fn last_seq(&self, room: &str) -> Result<Option<i64>, sqlx::Error> {
                sqlx::query_scalar("SELECT last_seq FROM rooms WHERE id = $1")
                    .bind(room)
                    .fetch_optional(&self.pool)
                    .await
            }

            async fn ascending(
                &self,
                room: &str,
                after: i64,
                upto: i64,
                limit: i64,
            ) -> Result<Vec<natter_contract::ChatMessage>, sqlx::Error> {
                let rows = sqlx::query_as::<_, $crate::server::store::backend::Row>(
                    "SELECT id, room, seq, client_id, body, sent_at FROM messages \
                     WHERE room = $1 AND seq > $2 AND seq <= $3 ORDER BY seq ASC LIMIT $4",
                )
                .bind(room)
                .bind(after)
                .bind(upto)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn descending(
                &self,
                room: &str,
                before: i64,
                limit: i64,
            ) -> Result<Vec<natter_contract::ChatMessage>, sqlx::Error> {
                let rows = sqlx::query_as::<_, $crate::server::store::backend::Row>(
                    "SELECT id, room, seq, client_id, body, sent_at FROM messages \
                     WHERE room = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
                )
                .bind(room)
                .bind(before)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}
pub(super) use sql_backend;
