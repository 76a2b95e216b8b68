//! The store test suite, run against both backends: SQLite in a temp file and the Postgres at
//! 127.0.0.1:5432 in a schema of its own. Without Postgres the Postgres half fails; it never
//! skips.
#![cfg(feature = "ssr")]

#[path = "store/batch.rs"]
mod batch;
#[path = "store/cases.rs"]
mod cases;
#[path = "store/edits.rs"]
mod edits;
#[path = "store/fixtures.rs"]
mod fixtures;
#[path = "store/people.rs"]
mod people;

use std::time::Duration;

use fixtures::TestDb;

/// Long enough for an unloaded write, short enough to keep the lock test quick.
const SHORT_LOCK_WAIT: Duration = Duration::from_millis(300);

macro_rules! suite {
    ($backend:ident, $with_lock_wait:ident) => {
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_inserts_get_gapless_seqs() {
                cases::concurrent_inserts_get_gapless_seqs(TestDb::$backend().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn resend_returns_the_original() {
                cases::resend_returns_the_original(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn pages_have_no_holes_or_duplicates() {
                cases::pages_have_no_holes_or_duplicates(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn unknown_rooms_are_refused() {
                cases::unknown_rooms_are_refused(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn out_of_range_requests_are_refused() {
                cases::out_of_range_requests_are_refused(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn a_restart_keeps_messages_and_seq() {
                cases::a_restart_keeps_messages_and_seq(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn a_locked_database_means_not_stored() {
                let db = TestDb::$with_lock_wait(SHORT_LOCK_WAIT).await;
                cases::a_locked_database_means_not_stored(db).await;
            }

            #[tokio::test]
            async fn a_newer_database_is_refused() {
                cases::a_newer_database_is_refused(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn a_batch_answers_like_inserts_in_order() {
                batch::a_batch_answers_like_inserts_in_order(TestDb::$backend().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn racing_batches_store_each_id_once() {
                batch::racing_batches_store_each_id_once(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn one_refused_message_does_not_sink_its_batch() {
                let db = TestDb::$backend().await;
                batch::one_refused_message_does_not_sink_its_batch(db).await;
            }

            #[tokio::test]
            async fn edits_and_deletes_rewrite_their_message() {
                edits::edits_and_deletes_rewrite_their_message(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn names_are_unique_by_key_and_by_look() {
                people::names_are_unique_by_key_and_by_look(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn sessions_slide_and_expire() {
                people::sessions_slide_and_expire(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn rooms_and_membership() {
                people::rooms_and_membership(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn a_dm_appears_with_its_first_message() {
                people::a_dm_appears_with_its_first_message(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn unread_counts_follow_the_marker() {
                people::unread_counts_follow_the_marker(TestDb::$backend().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn invites_are_used_up_and_expire() {
                people::invites_are_used_up_and_expire(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn mentions_are_counted_apart() {
                people::mentions_are_counted_apart(TestDb::$backend().await).await;
            }

            #[tokio::test]
            async fn a_locked_database_refuses_the_whole_batch() {
                let db = TestDb::$with_lock_wait(SHORT_LOCK_WAIT).await;
                batch::a_locked_database_refuses_the_whole_batch(db).await;
            }
        }
    };
}

suite!(sqlite, sqlite_with_lock_wait);
suite!(postgres, postgres_with_lock_wait);

#[tokio::test]
async fn sqlite_creates_its_directory_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/natter.db");
    let store = natter::server::store::SqliteStore::open(&path)
        .await
        .unwrap();
    assert!(path.is_file());
    use natter::server::store::ChatStore;
    assert_eq!(
        store
            .latest_seq(natter_contract::DEFAULT_ROOM)
            .await
            .unwrap(),
        0
    );
    store.close().await;
}

/// A database from before names: its messages survive the migration, owned by `anonymous`,
/// with their ids and seqs.
#[tokio::test]
async fn messages_from_before_names_are_kept() {
    use natter::server::store::{ChatStore, SqliteStore};
    use sqlx::{ConnectOptions, sqlite::SqliteConnectOptions};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    {
        let mut migrator = sqlx::migrate::Migrator::new(std::path::Path::new("migrations/sqlite"))
            .await
            .unwrap();
        migrator.migrations = migrator.migrations[..1].to_vec().into();
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let mut conn = options.connect().await.unwrap();
        migrator.run(&mut conn).await.unwrap();
        for seq in 1..=3_i64 {
            sqlx::query(
                "INSERT INTO messages (room, seq, client_id, body, sent_at) \
                 VALUES ('general', $1, $2, $3, 0)",
            )
            .bind(seq)
            .bind(format!("old-{seq}"))
            .bind(format!("before names {seq}"))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        sqlx::query("UPDATE rooms SET last_seq = 3")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let page = store
        .after(natter_contract::DEFAULT_ROOM, 0, 10)
        .await
        .unwrap();
    let kept: Vec<_> = page
        .messages
        .iter()
        .map(|m| (m.seq, m.author.name.as_str(), m.body.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            (1, "anonymous", "before names 1"),
            (2, "anonymous", "before names 2"),
            (3, "anonymous", "before names 3")
        ]
    );
    store.close().await;
}
