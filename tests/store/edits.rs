//! Edits and deletes in the store: rows of the log with their own seq that rewrite their
//! message in the same transaction, refused (taking no seq) unless the message is the
//! author's own and not deleted, one after another even within one batch.

use natter::server::store::{Draft, StoreError};
use natter_contract::{DEFAULT_ROOM, MessageKind, User};

use crate::{
    cases::client_id,
    fixtures::{InsertAs, TestDb, ann},
};

const ROOM: &str = DEFAULT_ROOM;

fn change<'a>(
    author: &'a User,
    id: &'a str,
    kind: MessageKind,
    target: u64,
    body: &'a str,
) -> Draft<'a> {
    Draft {
        room: ROOM,
        author,
        client_id: id,
        body,
        kind,
        target: Some(target),
    }
}

pub async fn edits_and_deletes_rewrite_their_message(db: TestDb) {
    let store = &*db.store;
    let bob = store
        .create_user(&natter_contract::user_name("bob").unwrap(), None)
        .await
        .unwrap();
    let mine = store
        .insert_as(ROOM, &client_id(), "draft")
        .await
        .unwrap()
        .message;
    let theirs = Draft {
        room: ROOM,
        author: &bob,
        client_id: &client_id(),
        body: "bob's",
        kind: MessageKind::Message,
        target: None,
    };
    let theirs = store.insert(&theirs).await.unwrap().message;

    let ids: [String; 6] = std::array::from_fn(|_| client_id());
    let (edit, delete) = (MessageKind::Edit, MessageKind::Delete);
    let batch = [
        change(ann(), &ids[0], edit, mine.seq, "final"),
        change(ann(), &ids[1], edit, theirs.seq, "hijacked"),
        change(ann(), &ids[2], delete, mine.seq, "ignored"),
        change(ann(), &ids[3], edit, mine.seq, "too late"),
        change(ann(), &ids[4], edit, 999, "nothing there"),
        change(ann(), &ids[5], delete, theirs.seq, ""),
    ];
    let results = store.insert_batch(&batch).await;
    let outcome: Vec<Result<(MessageKind, u64), String>> = results
        .iter()
        .map(|r| match r {
            Ok(inserted) => Ok((inserted.message.kind, inserted.message.seq)),
            Err(error) => Err(format!("{error:?}")),
        })
        .collect();
    let next = theirs.seq + 1;
    assert_eq!(
        outcome,
        [
            Ok((edit, next)),
            Err(format!("{:?}", StoreError::Forbidden)),
            Ok((delete, next + 1)),
            Err(format!("{:?}", StoreError::MessageDeleted)),
            Err(format!("{:?}", StoreError::UnknownMessage)),
            Err(format!("{:?}", StoreError::Forbidden)),
        ]
    );
    assert_eq!(
        store.latest_seq(ROOM).await.unwrap(),
        next + 1,
        "refusals take no seq"
    );

    let page = store.after(ROOM, mine.seq - 1, 10).await.unwrap();
    let find = |seq| page.messages.iter().find(|m| m.seq == seq).unwrap();
    let deleted = find(mine.seq);
    assert!(
        deleted.is_deleted() && deleted.body.is_empty(),
        "{deleted:?}"
    );
    assert_eq!(deleted.revision.map(|r| r.seq), Some(next + 1));
    assert_eq!(
        find(next).body,
        "",
        "a delete blanks the message's edits too"
    );
    assert_eq!((find(next).kind, find(next).target), (edit, Some(mine.seq)));
    assert_eq!(find(theirs.seq).body, "bob's");
    assert_eq!(find(theirs.seq).revision, None);

    // One at a time, an edit rewrites its message and the page shows it edited.
    let id = client_id();
    let alone = Draft {
        author: &bob,
        ..change(&bob, &id, edit, theirs.seq, "bob's, edited")
    };
    let stored = store.insert(&alone).await.unwrap();
    let resent = store.insert(&alone).await.unwrap();
    assert!(resent.duplicate && resent.message == stored.message);
    let latest = store.latest(ROOM, 10).await.unwrap();
    let edited = latest
        .messages
        .iter()
        .find(|m| m.seq == theirs.seq)
        .unwrap();
    assert_eq!(edited.body, "bob's, edited");
    assert_eq!(
        edited.revision.map(|r| (r.seq, r.deleted)),
        Some((stored.message.seq, false))
    );
}
