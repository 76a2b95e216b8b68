//! Group commit: `insert_batch` must answer exactly as one `insert` after another would.

use std::time::Duration;

use natter::server::store::{Draft, Inserted, SharedStore, StoreError};
use natter_contract::{DEFAULT_ROOM, MAX_PAGE, MessageKind};

use crate::{
    cases::client_id,
    fixtures::{InsertAs, TestDb},
};

const ROOM: &str = DEFAULT_ROOM;

fn draft<'a>(room: &'a str, client_id: &'a str, body: &'a str) -> Draft<'a> {
    Draft {
        room,
        author: crate::fixtures::ann(),
        client_id,
        body,
        kind: MessageKind::Message,
        target: None,
    }
}

/// `(room, seq, duplicate)` of a stored result.
fn placed(result: &Result<Inserted, StoreError>) -> (&str, u64, bool) {
    let inserted = result.as_ref().unwrap();
    let message = &inserted.message;
    (message.room.as_str(), message.seq, inserted.duplicate)
}

pub async fn a_batch_answers_like_inserts_in_order(db: TestDb) {
    let store = &*db.store;
    db.create_room("second").await;
    let earlier = client_id();
    store.insert_as(ROOM, &earlier, "earlier").await.unwrap();
    let [a, b, c, d, x] = std::array::from_fn(|_| client_id());
    let batch = [
        draft(ROOM, &a, "a"),
        draft("second", &b, "b"),
        draft(ROOM, &c, "c"),
        draft(ROOM, &a, "a, resent while queued"),
        draft("nowhere", &x, "x"),
        draft(ROOM, &earlier, "earlier, resent"),
        draft("second", &d, "d"),
    ];
    let results = store.insert_batch(&batch).await;
    assert_eq!(results.len(), batch.len());
    assert_eq!(placed(&results[0]), (ROOM, 2, false));
    assert_eq!(placed(&results[1]), ("second", 1, false));
    assert_eq!(placed(&results[2]), (ROOM, 3, false));
    assert_eq!(placed(&results[3]), (ROOM, 2, true));
    assert!(matches!(results[4], Err(StoreError::UnknownRoom)));
    assert_eq!(placed(&results[5]), (ROOM, 1, true));
    assert_eq!(placed(&results[6]), ("second", 2, false));
    let first = &results[0].as_ref().unwrap().message;
    assert_eq!(results[3].as_ref().unwrap().message, *first);
    assert_eq!(first.body, "a", "the first copy is the one stored");

    assert_eq!(db.count_messages().await, 5);
    let general = store.after(ROOM, 0, MAX_PAGE).await.unwrap();
    let bodies: Vec<_> = general.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["earlier", "a", "c"]);
    assert_eq!(general.latest_seq, 3);
    let second = store.after("second", 0, MAX_PAGE).await.unwrap();
    let bodies: Vec<_> = second.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["b", "d"]);
    // Ids grow with seq, as they would one insert at a time.
    assert!(general.messages.windows(2).all(|w| w[0].id < w[1].id));
    // Nothing was used up by the refused or resent drafts.
    assert_eq!(store.insert_as(ROOM, &x, "x").await.unwrap().message.seq, 4);
    assert!(store.insert_batch(&[]).await.is_empty());
}

/// Batches sharing ids, checked against the store before any of them could write (as on
/// several nodes): each id is stored once, with gapless seqs, every copy is answered with the
/// stored message, and the ids only one batch had still go in.
pub async fn racing_batches_store_each_id_once(db: TestDb) {
    const TASKS: usize = 3;
    let shared: Vec<String> = (0..5).map(|_| client_id()).collect();
    let lock = db.lock_writes().await;
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store: SharedStore = db.store.clone();
            let mut ids = shared.clone();
            ids.rotate_left(task);
            ids.insert(task, client_id());
            tokio::spawn(async move {
                let drafts: Vec<Draft<'_>> = ids.iter().map(|id| draft(ROOM, id, id)).collect();
                let results = store.insert_batch(&drafts).await;
                let answers = results.into_iter().map(|result| result.unwrap().message);
                answers.collect::<Vec<_>>()
            })
        })
        .collect();
    // Reads go on under the lock: every batch finds none of its ids, then waits to write, so
    // all but the first to get the lock hit the UNIQUE constraint.
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.release().await;
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.unwrap());
    }
    let expected = shared.len() + TASKS;
    assert_eq!(answers.len(), TASKS * (shared.len() + 1));
    assert_eq!(db.count_messages().await, expected as i64);
    let stored = db.store.after(ROOM, 0, MAX_PAGE).await.unwrap().messages;
    let seqs: Vec<u64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=expected as u64).collect::<Vec<_>>());
    for answer in &answers {
        let original = stored.iter().find(|m| m.client_id == answer.client_id);
        assert_eq!(Some(answer), original, "every copy gets the stored message");
    }
}

/// A failed transaction refuses the whole batch with `not_stored` and writes none of it.
pub async fn a_locked_database_refuses_the_whole_batch(db: TestDb) {
    let store = &*db.store;
    let ids: Vec<String> = (0..3).map(|_| client_id()).collect();
    let drafts: Vec<Draft<'_>> = ids.iter().map(|id| draft(ROOM, id, "blocked")).collect();
    let lock = db.lock_writes().await;
    let refused = store.insert_batch(&drafts).await;
    assert!(
        refused
            .iter()
            .all(|result| matches!(result, Err(StoreError::NotStored(_)))),
        "{refused:?}"
    );
    lock.release().await;
    assert_eq!(db.count_messages().await, 0);
    let stored = store.insert_batch(&drafts).await;
    let seqs: Vec<_> = stored.iter().map(|r| placed(r).1).collect();
    assert_eq!(seqs, [1, 2, 3]);
}

/// A message the database refuses on its own (Postgres stores no NUL in TEXT; the server's
/// validation stops it earlier) fails alone: the rest of its batch is stored.
pub async fn one_refused_message_does_not_sink_its_batch(db: TestDb) {
    let store = &*db.store;
    let ids: Vec<String> = (0..3).map(|_| client_id()).collect();
    let bodies = ["before", "nul \0 inside", "after"];
    let drafts: Vec<Draft<'_>> = ids
        .iter()
        .zip(bodies)
        .map(|(id, body)| draft(ROOM, id, body))
        .collect();
    let results = store.insert_batch(&drafts).await;
    let nul_stored = results[1].is_ok();
    if !nul_stored {
        assert!(
            matches!(results[1], Err(StoreError::NotStored(_))),
            "{results:?}"
        );
    }
    let stored = store.after(ROOM, 0, MAX_PAGE).await.unwrap().messages;
    let stored: Vec<_> = stored.iter().map(|m| m.body.as_str()).collect();
    let expected: Vec<_> = bodies
        .into_iter()
        .filter(|body| nul_stored || !body.contains('\0'))
        .collect();
    assert_eq!(stored, expected);
    assert_eq!(placed(&results[2]).1, expected.len() as u64);
}
