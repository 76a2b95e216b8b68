//! The statements both backends run.

/// Implements [`Backend`] for a store with a `pool` field. SQLite and Postgres run the same
/// statements (sqlx numbers `$N` parameters for SQLite too) and differ only in the pool type,
/// while sqlx's executor bounds, written generically, do not survive `async_trait`'s `Send`
/// requirement.
macro_rules! sql_backend {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::server::store::backend::Backend for $store {
            async fn find(
                &self,
                keys: &[(i64, &str)],
            ) -> Result<Vec<natter_contract::ChatMessage>, sqlx::Error> {
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                // One `author_id = ? AND client_id IN (…)` per author, OR-ed: SQLite answers
                // each through the UNIQUE (author_id, client_id) index, whereas a row-value
                // `(author_id, client_id) IN (…)` scans the whole table (EXPLAIN QUERY PLAN,
                // SQLite 3.40): a cost per batch that grows with the history.
                let mut by_author: std::collections::BTreeMap<i64, Vec<&str>> =
                    std::collections::BTreeMap::new();
                for (author, id) in keys {
                    by_author.entry(*author).or_default().push(id);
                }
                let mut query = sqlx::QueryBuilder::<$db>::new(concat!(
                    $crate::server::store::backend::select_messages!(),
                    "WHERE "
                ));
                for (index, (author, ids)) in by_author.iter().enumerate() {
                    query.push(if index == 0 {
                        "(m.author_id = "
                    } else {
                        " OR (m.author_id = "
                    });
                    query.push_bind(*author).push(" AND m.client_id IN (");
                    let mut list = query.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    query.push("))");
                }
                let rows = query
                    .build_query_as::<$crate::server::store::backend::Row>()
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn append(
                &self,
                new: &[$crate::server::store::backend::NewMessage<'_>],
            ) -> Result<Vec<Option<natter_contract::ChatMessage>>, sqlx::Error> {
                use $crate::server::store::numbering::{Numbered, Parsed, Rooms, with_ids};
                if new.is_empty() {
                    return Ok(Vec::new());
                }
                let parsed: Vec<Parsed> = new.iter().map(Parsed::of).collect();
                let mut rooms = Rooms::count(new);
                let mut tx = self.pool.begin().await?;
                // The bumps come first so the transaction's first statement takes the write
                // lock (and waits for it), and the room rows' locks order concurrent inserts;
                // always in room-name order, so two nodes' batches cannot deadlock.
                for (room, count) in rooms.counts() {
                    let last: Option<i64> = sqlx::query_scalar(
                        "UPDATE rooms SET last_seq = last_seq + $2 WHERE id = $1 \
                         RETURNING last_seq",
                    )
                    .bind(room)
                    .bind(count)
                    .fetch_optional(&mut *tx)
                    .await?;
                    rooms.numbered_up_to(room, last);
                }
                let numbered = rooms.number(new);
                if numbered.iter().all(Option::is_none) {
                    tx.rollback().await?;
                    return Ok(vec![None; new.len()]);
                }
                let mut insert = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO messages \
                     (room, seq, author_id, client_id, body, sent_at, kind, target_seq) ",
                );
                insert.push_values(numbered.iter().flatten(), |mut row, numbered| {
                    let Numbered { new, seq } = numbered;
                    row.push_bind(new.room)
                        .push_bind(*seq)
                        .push_bind(new.author.id)
                        .push_bind(new.client_id)
                        .push_bind(new.body)
                        .push_bind(new.sent_at)
                        .push_bind(new.kind.as_str())
                        .push_bind(new.target.and_then(|seq| i64::try_from(seq).ok()));
                });
                insert.push(" RETURNING id, room, seq");
                let ids: Vec<(i64, String, i64)> =
                    insert.build_query_as().fetch_all(&mut *tx).await?;
                let appended = with_ids(numbered, &ids)?;
                for change in appended.iter().flatten().filter(|m| m.kind.is_change()) {
                    $crate::server::store::sql::rewrite_target!(change, &mut *tx);
                }
                for (message, parsed) in appended.iter().zip(&parsed) {
                    if let Some(message) = message {
                        $crate::server::store::sql::record_mentions!(
                            $db,
                            message,
                            &parsed.mentions,
                            &mut *tx
                        );
                    }
                }
                tx.commit().await?;
                let appended = appended
                    .into_iter()
                    .zip(parsed)
                    .map(|(message, parsed)| {
                        message.map(|mut message| {
                            message.markup = parsed.markup;
                            message
                        })
                    })
                    .collect();
                Ok(appended)
            }

            async fn last_seq(&self, room: &str) -> Result<Option<i64>, sqlx::Error> {
                sqlx::query_scalar("SELECT last_seq FROM rooms WHERE id = $1")
                    .bind(room)
                    .fetch_optional(&self.pool)
                    .await
            }

            async fn at(
                &self,
                room: &str,
                seq: i64,
            ) -> Result<Option<natter_contract::ChatMessage>, sqlx::Error> {
                let row = sqlx::query_as::<_, $crate::server::store::backend::Row>(concat!(
                    $crate::server::store::backend::select_messages!(),
                    "WHERE m.room = $1 AND m.seq = $2"
                ))
                .bind(room)
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn ascending(
                &self,
                room: &str,
                after: i64,
                upto: i64,
                limit: i64,
            ) -> Result<Vec<natter_contract::ChatMessage>, sqlx::Error> {
                let rows = sqlx::query_as::<_, $crate::server::store::backend::Row>(concat!(
                    $crate::server::store::backend::select_messages!(),
                    "WHERE m.room = $1 AND m.seq > $2 AND m.seq <= $3 ORDER BY m.seq ASC LIMIT $4"
                ))
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
                let rows = sqlx::query_as::<_, $crate::server::store::backend::Row>(concat!(
                    $crate::server::store::backend::select_messages!(),
                    "WHERE m.room = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3"
                ))
                .bind(room)
                .bind(before)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn ping(&self) -> Result<(), sqlx::Error> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map(drop)
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}
pub(super) use sql_backend;

/// Inside `append`'s transaction: brings the message an edit or delete (`change`, just
/// inserted) aims at to its new state, guarded by what the batch checked (the author's, a
/// message, not deleted), and blanks a deleted message's earlier edits too, so its words are
/// gone from every row. A guard that fails rolls the batch back as `RowNotFound`.
macro_rules! rewrite_target {
    ($change:expr, $tx:expr) => {{
        let change: &natter_contract::ChatMessage = $change;
        let seq = i64::try_from(change.seq).map_err(|_| sqlx::Error::RowNotFound)?;
        let target = change
            .target
            .and_then(|seq| i64::try_from(seq).ok())
            .ok_or(sqlx::Error::RowNotFound)?;
        let deleted = change.kind == natter_contract::MessageKind::Delete;
        let rewritten = sqlx::query(
            "UPDATE messages SET body = $1, revision_seq = $2, revised_at = $3, deleted = $4 \
             WHERE room = $5 AND seq = $6 AND author_id = $7 AND kind = 'message' \
             AND NOT deleted",
        )
        .bind(&change.body)
        .bind(seq)
        .bind(change.sent_at)
        .bind(deleted)
        .bind(&change.room)
        .bind(target)
        .bind(change.author.id)
        .execute($tx)
        .await?;
        if rewritten.rows_affected() != 1 {
            return Err(sqlx::Error::RowNotFound);
        }
        if deleted {
            sqlx::query(
                "UPDATE messages SET body = '' WHERE room = $1 AND target_seq = $2 \
                 AND kind = 'edit'",
            )
            .bind(&change.room)
            .bind(target)
            .execute($tx)
            .await?;
        }
    }};
}
pub(super) use rewrite_target;

/// Inside `append`'s transaction: the `mentions` rows of a message just inserted, or of the
/// message an edit (just inserted) changes, replacing the ones it had. Only the room's
/// members other than the author count as mentioned, resolved by `name_key` here, so a
/// member who joined since the sender checked is counted too.
macro_rules! record_mentions {
    ($db:ty, $message:expr, $keys:expr, $tx:expr) => {{
        let message: &natter_contract::ChatMessage = $message;
        let keys: &[String] = $keys;
        if let Some(seq) = $crate::server::store::numbering::mentions_seq(message) {
            if message.kind == natter_contract::MessageKind::Edit {
                sqlx::query("DELETE FROM mentions WHERE room = $1 AND seq = $2")
                    .bind(&message.room)
                    .bind(seq)
                    .execute($tx)
                    .await?;
            }
            if !keys.is_empty() {
                let mut insert = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO mentions (room, seq, user_id) SELECT m.room, ",
                );
                insert
                    .push_bind(seq)
                    .push(", u.id FROM members m JOIN users u ON u.id = m.user_id WHERE m.room = ")
                    .push_bind(&message.room)
                    .push(" AND u.id <> ")
                    .push_bind(message.author.id)
                    .push(" AND u.name_key IN (");
                let mut list = insert.separated(", ");
                for key in keys {
                    list.push_bind(key);
                }
                insert.push(")");
                insert.build().execute($tx).await?;
            }
        }
    }};
}
pub(super) use record_mentions;
