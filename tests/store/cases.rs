//! The store's contract, written once and run against every backend (see `tests/store.rs`).

use std::{collections::BTreeSet, time::Duration};

use natter::server::store::{ChatStore, OpenError, SharedStore, StoreError};
use natter_contract::{ChatMessage, DEFAULT_ROOM, MAX_PAGE};

use crate::fixtures::{InsertAs, TestDb};

const ROOM: &str = DEFAULT_ROOM;

pub fn client_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn post(store: &dyn ChatStore, room: &str, body: &str) -> ChatMessage {
    let inserted = store.insert_as(room, &client_id(), body).await.unwrap();
    assert!(!inserted.duplicate);
    inserted.message
}

fn seqs(messages: &[ChatMessage]) -> Vec<u64> {
    messages.iter().map(|message| message.seq).collect()
}

/// Every message of the room, walking forwards in pages of `limit`.
async fn walk_forwards(store: &dyn ChatStore, room: &str, limit: u32) -> Vec<ChatMessage> {
    let mut all: Vec<ChatMessage> = Vec::new();
    loop {
        let after = all.last().map_or(0, |message| message.seq);
        let page = store.after(room, after, limit).await.unwrap();
        assert!(page.messages.len() <= limit as usize);
        all.extend(page.messages);
        if !page.has_more {
            assert_eq!(all.last().map_or(0, |m| m.seq), page.latest_seq);
            return all;
        }
    }
}

/// Every message of the room, walking backwards from the newest in pages of `limit`.
async fn walk_backwards(store: &dyn ChatStore, room: &str, limit: u32) -> Vec<ChatMessage> {
    let mut page = store.latest(room, limit).await.unwrap();
    let mut all = page.messages.clone();
    while page.has_more {
        page = store.before(room, all[0].seq, limit).await.unwrap();
        assert!(!page.messages.is_empty() && page.messages.len() <= limit as usize);
        all.splice(0..0, page.messages.iter().cloned());
    }
    all
}

pub async fn concurrent_inserts_get_gapless_seqs(db: TestDb) {
    const TASKS: u64 = 8;
    const EACH: u64 = 50;
    // What `/readyz` asks of the store.
    db.store.ping().await.unwrap();
    let tasks = (0..TASKS).map(|task| {
        let store: SharedStore = db.store.clone();
        tokio::spawn(async move {
            let mut seqs = Vec::new();
            for n in 0..EACH {
                let message = post(&*store, ROOM, &format!("{task}/{n}")).await;
                seqs.push(message.seq);
            }
            seqs
        })
    });
    let mut all = Vec::new();
    for task in tasks {
        let seqs = task.await.unwrap();
        assert!(seqs.is_sorted(), "one task's seqs went backwards: {seqs:?}");
        all.extend(seqs);
    }
    all.sort_unstable();
    assert_eq!(all, (1..=TASKS * EACH).collect::<Vec<_>>());
    assert_eq!(db.store.latest_seq(ROOM).await.unwrap(), TASKS * EACH);
    assert_eq!(db.count_messages().await, 400);
    let stored = walk_forwards(&*db.store, ROOM, MAX_PAGE).await;
    assert_eq!(seqs(&stored), (1..=TASKS * EACH).collect::<Vec<_>>());
}

pub async fn resend_returns_the_original(db: TestDb) {
    let store = &*db.store;
    let id = client_id();
    let first = store.insert_as(ROOM, &id, "hello").await.unwrap();
    assert!(!first.duplicate);
    assert_eq!(
        (first.message.seq, first.message.body.as_str()),
        (1, "hello")
    );
    for body in ["hello", "edited on the way"] {
        let again = store.insert_as(ROOM, &id, body).await.unwrap();
        assert!(again.duplicate);
        assert_eq!(again.message, first.message, "the original, untouched");
    }
    assert_eq!(db.count_messages().await, 1);
    assert_eq!(post(store, ROOM, "next").await.seq, 2, "no seq was used up");

    // Many copies at once: one is stored, all get its ack.
    let racer = client_id();
    let copies = (0..8).map(|_| {
        let (store, racer) = (db.store.clone(), racer.clone());
        tokio::spawn(async move { store.insert_as(ROOM, &racer, "raced").await.unwrap() })
    });
    let mut results = Vec::new();
    for copy in copies {
        results.push(copy.await.unwrap());
    }
    assert_eq!(results.iter().filter(|r| !r.duplicate).count(), 1);
    assert!(results.iter().all(|r| r.message == results[0].message));
    assert_eq!(results[0].message.seq, 3);
    assert_eq!(db.count_messages().await, 3);
    assert_eq!(post(store, ROOM, "after the race").await.seq, 4);
}

pub async fn pages_have_no_holes_or_duplicates(db: TestDb) {
    let store = &*db.store;
    db.create_room("side").await;
    for n in 1..=57 {
        post(store, ROOM, &format!("message {n} «ünïcode» 'quoted'")).await;
        if n % 10 == 0 {
            post(store, "side", "elsewhere").await;
        }
    }
    let expected: Vec<u64> = (1..=57).collect();
    for limit in [1, 10, 56, 57, MAX_PAGE] {
        let forwards = walk_forwards(store, ROOM, limit).await;
        assert_eq!(seqs(&forwards), expected, "forwards by {limit}");
        assert!(forwards.iter().all(|m| m.room == ROOM));
        let backwards = walk_backwards(store, ROOM, limit).await;
        assert_eq!(backwards, forwards, "backwards by {limit}");
    }
    let bodies: BTreeSet<_> = walk_forwards(store, ROOM, 10)
        .await
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert!(bodies.contains("message 7 «ünïcode» 'quoted'"));
    // Each room counts on its own.
    assert_eq!(
        seqs(&walk_forwards(store, "side", 2).await),
        [1, 2, 3, 4, 5]
    );

    let page = store.after(ROOM, 50, 5).await.unwrap();
    assert_eq!(
        (seqs(&page.messages), page.has_more, page.latest_seq),
        (vec![51, 52, 53, 54, 55], true, 57)
    );
    let page = store.before(ROOM, 8, 5).await.unwrap();
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![3, 4, 5, 6, 7], true)
    );
    let page = store.before(ROOM, 3, 5).await.unwrap();
    assert_eq!((seqs(&page.messages), page.has_more), (vec![1, 2], false));
    let page = store.latest(ROOM, 3).await.unwrap();
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![55, 56, 57], true)
    );
}

pub async fn unknown_rooms_are_refused(db: TestDb) {
    let store = &*db.store;
    let id = client_id();
    let refused = store.insert_as("nowhere", &id, "hi").await;
    assert!(
        matches!(refused, Err(StoreError::UnknownRoom)),
        "{refused:?}"
    );
    assert!(matches!(
        store.after("nowhere", 0, 10).await,
        Err(StoreError::UnknownRoom)
    ));
    assert!(matches!(
        store.before("nowhere", 1, 10).await,
        Err(StoreError::UnknownRoom)
    ));
    assert!(matches!(
        store.latest("nowhere", 10).await,
        Err(StoreError::UnknownRoom)
    ));
    assert!(matches!(
        store.latest_seq("nowhere").await,
        Err(StoreError::UnknownRoom)
    ));
    // The refused id was not used up.
    let stored = store.insert_as(ROOM, &id, "hi").await.unwrap();
    assert_eq!((stored.duplicate, stored.message.seq), (false, 1));
    assert_eq!(db.count_messages().await, 1);
}

pub async fn out_of_range_requests_are_refused(db: TestDb) {
    let store = &*db.store;
    let empty = store.after(ROOM, 0, 10).await.unwrap();
    assert_eq!(
        (empty.messages.len(), empty.has_more, empty.latest_seq),
        (0, false, 0)
    );
    assert_eq!(store.latest(ROOM, 10).await.unwrap().messages, []);
    for n in 1..=3 {
        post(store, ROOM, &format!("{n}")).await;
    }
    let caught_up = store.after(ROOM, 3, 10).await.unwrap();
    assert_eq!(
        (
            caught_up.messages.len(),
            caught_up.has_more,
            caught_up.latest_seq
        ),
        (0, false, 3)
    );
    assert_eq!(
        seqs(&store.before(ROOM, 4, 10).await.unwrap().messages),
        [1, 2, 3]
    );
    for refused in [
        store.after(ROOM, 4, 10).await,
        store.after(ROOM, u64::MAX, 10).await,
        store.before(ROOM, 0, 10).await,
        store.before(ROOM, 5, 10).await,
        store.before(ROOM, u64::MAX, 10).await,
        store.after(ROOM, 0, 0).await,
        store.after(ROOM, 0, MAX_PAGE + 1).await,
        store.before(ROOM, 2, 0).await,
        store.latest(ROOM, 0).await,
    ] {
        assert!(
            matches!(refused, Err(StoreError::SeqOutOfRange)),
            "{refused:?}"
        );
    }
}

pub async fn a_restart_keeps_messages_and_seq(mut db: TestDb) {
    let before: Vec<ChatMessage> = {
        let mut stored = Vec::new();
        for n in 1..=3 {
            stored.push(post(&*db.store, ROOM, &format!("{n}")).await);
        }
        stored
    };
    db.reopen().await;
    let store = &*db.store;
    assert_eq!(store.after(ROOM, 0, 10).await.unwrap().messages, before);
    assert_eq!(store.latest_seq(ROOM).await.unwrap(), 3);
    let resent = store
        .insert_as(ROOM, &before[1].client_id, "2")
        .await
        .unwrap();
    assert!(resent.duplicate);
    assert_eq!(resent.message, before[1]);
    assert_eq!(post(store, ROOM, "4").await.seq, 4);
}

/// Another client holds the write lock longer than the store waits: the insert gives up as
/// NotStored, leaves nothing behind, and the same message goes in once the lock is gone.
pub async fn a_locked_database_means_not_stored(db: TestDb) {
    let store = &*db.store;
    post(store, ROOM, "before the lock").await;
    let lock = db.lock_writes().await;
    let id = client_id();
    let started = std::time::Instant::now();
    let refused = store.insert_as(ROOM, &id, "blocked").await;
    assert!(
        matches!(refused, Err(StoreError::NotStored(_))),
        "{refused:?}"
    );
    assert_eq!(
        refused.unwrap_err().code(),
        natter_contract::ErrorCode::NotStored
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "gave up after {:?}",
        started.elapsed()
    );
    lock.release().await;

    assert_eq!(db.count_messages().await, 1);
    assert_eq!(store.latest_seq(ROOM).await.unwrap(), 1);
    let retried = store.insert_as(ROOM, &id, "blocked").await.unwrap();
    assert_eq!((retried.duplicate, retried.message.seq), (false, 2));
    assert_eq!(
        seqs(&store.after(ROOM, 0, 10).await.unwrap().messages),
        [1, 2]
    );
}

/// A database a newer Natter migrated is refused at start-up, saying so, and left as it was.
pub async fn a_newer_database_is_refused(mut db: TestDb) {
    db.store
        .insert_as("general", "before-upgrade", "kept")
        .await
        .unwrap();
    db.execute(
        "INSERT INTO _sqlx_migrations \
         (version, description, success, checksum, execution_time) \
         SELECT 9999, 'from a newer natter', success, checksum, execution_time \
         FROM _sqlx_migrations WHERE version = 1",
    )
    .await;
    let refused = db.try_reopen().await.unwrap_err();
    assert!(
        matches!(refused, OpenError::NewerDatabase { version: 9999 }),
        "{refused:?}"
    );
    let said = refused.to_string();
    assert!(
        said.contains("newer Natter") && said.contains("9999"),
        "{said}"
    );
    db.execute("DELETE FROM _sqlx_migrations WHERE version = 9999")
        .await;
    db.reopen().await;
    let page = db.store.latest("general", 10).await.unwrap();
    assert_eq!(page.messages.last().unwrap().body, "kept");
}
