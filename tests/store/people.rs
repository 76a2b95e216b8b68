//! The people side of the store (`Directory`), run against every backend like the rest.

use natter::server::store::{ChatStore, StoreError};
use natter_contract::{DEFAULT_ROOM, RoomKind, User, dm_room, user_name};

use crate::fixtures::{InsertAs, TestDb, ann};

async fn create(store: &dyn ChatStore, name: &str) -> Result<User, StoreError> {
    store.create_user(&user_name(name).unwrap(), None).await
}

pub async fn names_are_unique_by_key_and_by_look(db: TestDb) {
    let store = db.store.as_ref();
    let admin = create(store, "Admin").await.unwrap();
    assert_eq!(admin.name, "Admin");
    for taken in ["admin", "ADMIN", "\u{410}dmin" /* Cyrillic А */] {
        let refused = create(store, taken).await;
        assert!(
            matches!(refused, Err(StoreError::NameTaken)),
            "{taken}: {refused:?}"
        );
    }
    let found = store.find_user("admin").await.unwrap().unwrap();
    assert_eq!(found.user, admin);
    assert_eq!(found.password_hash, None);
    assert!(store.find_user("nobody").await.unwrap().is_none());
    // Every new user is in the default room.
    assert!(store.is_member(DEFAULT_ROOM, admin.id).await.unwrap());
}

pub async fn sessions_slide_and_expire(db: TestDb) {
    let store = db.store.as_ref();
    let user = ann().id;
    store.create_session("h1", user, 1_000).await.unwrap();
    let account = store
        .touch_session("h1", 500, 5_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&account.user, ann());
    // Slid to 5,000: still valid at 4,000, which the first expiry was not.
    assert!(
        store
            .touch_session("h1", 4_000, 9_000)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .touch_session("h1", 9_000, 20_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .touch_session("unknown", 0, 1)
            .await
            .unwrap()
            .is_none()
    );
    store.create_session("h2", user, i64::MAX).await.unwrap();
    store.delete_session("h2").await.unwrap();
    assert!(store.touch_session("h2", 0, 1).await.unwrap().is_none());
    // h1 was last slid to 9,000: the sweep at 9,000 ends it with h3, and keeps h4.
    store.create_session("h3", user, 100).await.unwrap();
    store.create_session("h4", user, 9_001).await.unwrap();
    let mut ended = store.expire_sessions(9_000).await.unwrap();
    ended.sort();
    assert_eq!(ended, ["h1", "h3"]);
    assert!(store.expire_sessions(9_000).await.unwrap().is_empty());
    assert!(
        store
            .touch_session("h4", 9_000, 9_500)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn rooms_and_membership(db: TestDb) {
    let store = db.store.as_ref();
    let bob = create(store, "bob").await.unwrap();
    store
        .create_room("design", "pixels", ann().id)
        .await
        .unwrap();
    let again = store.create_room("design", "", bob.id).await;
    assert!(matches!(again, Err(StoreError::RoomTaken)), "{again:?}");
    let rooms = store.public_rooms().await.unwrap();
    let listed: Vec<_> = rooms.iter().map(|r| (r.room.as_str(), r.members)).collect();
    assert_eq!(listed, [("design", 1), (DEFAULT_ROOM, 2)]);
    assert_eq!(rooms[0].topic, "pixels");

    assert!(!store.is_member("design", bob.id).await.unwrap());
    store.join_room("design", bob.id).await.unwrap();
    store.join_room("design", bob.id).await.unwrap();
    assert!(store.is_member("design", bob.id).await.unwrap());
    let nowhere = store.join_room("nowhere", bob.id).await;
    assert!(
        matches!(nowhere, Err(StoreError::UnknownRoom)),
        "{nowhere:?}"
    );
    assert!(store.leave_room("design", bob.id).await.unwrap());
    assert!(!store.leave_room("design", bob.id).await.unwrap());
    assert!(!store.is_member("design", bob.id).await.unwrap());
}

pub async fn a_dm_appears_with_its_first_message(db: TestDb) {
    let store = db.store.as_ref();
    let bob = create(store, "bob").await.unwrap();
    let room = dm_room(ann().id, bob.id);
    store.ensure_dm(&room, ann().id, bob.id).await.unwrap();
    store.ensure_dm(&room, ann().id, bob.id).await.unwrap();
    // Nobody else can join it as a public room.
    let carol = create(store, "carol").await.unwrap();
    assert!(store.join_room(&room, carol.id).await.is_err());
    let sidebar = store.joined(ann().id, None).await.unwrap();
    assert!(
        sidebar.iter().all(|line| line.room != room),
        "empty DM listed"
    );
    let asked = store.joined(ann().id, Some(&room)).await.unwrap();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        (asked[0].kind, asked[0].peer.as_ref()),
        (RoomKind::Dm, Some(&bob))
    );

    store
        .insert_as(&room, &crate::cases::client_id(), "hi bob")
        .await
        .unwrap();
    let bobs = store.joined(bob.id, None).await.unwrap();
    let line = bobs.iter().find(|line| line.room == room).unwrap();
    assert_eq!(line.peer.as_ref(), Some(ann()));
    assert_eq!((line.latest_seq, line.unread), (1, 1));
    assert!(
        store
            .joined(carol.id, Some(&room))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn unread_counts_follow_the_marker(db: TestDb) {
    let store = db.store.as_ref();
    let bob = create(store, "bob").await.unwrap();
    for body in ["one", "two", "three"] {
        store
            .insert_as(DEFAULT_ROOM, &crate::cases::client_id(), body)
            .await
            .unwrap();
    }
    // A system line is numbered like a message and read back as what it is, but is not news.
    let joined = natter::server::store::Draft {
        room: DEFAULT_ROOM,
        author: ann(),
        client_id: &crate::cases::client_id(),
        body: "",
        kind: natter_contract::MessageKind::Joined,
        target: None,
    };
    assert_eq!(store.insert(&joined).await.unwrap().message.seq, 4);
    let page = store.after(DEFAULT_ROOM, 3, 10).await.unwrap();
    assert_eq!(page.messages[0].kind, natter_contract::MessageKind::Joined);
    let unread = |lines: Vec<natter_contract::Joined>| {
        let line = lines.into_iter().find(|l| l.room == DEFAULT_ROOM).unwrap();
        (line.read_seq, line.unread)
    };
    assert_eq!(unread(store.joined(bob.id, None).await.unwrap()), (0, 3));
    // Her own messages are never unread for the author.
    assert_eq!(unread(store.joined(ann().id, None).await.unwrap()), (0, 0));
    assert_eq!(
        store.mark_read(DEFAULT_ROOM, bob.id, 2).await.unwrap(),
        Some(2)
    );
    assert_eq!(unread(store.joined(bob.id, None).await.unwrap()), (2, 1));
    // Never back, never past the newest.
    assert_eq!(
        store.mark_read(DEFAULT_ROOM, bob.id, 1).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        store.mark_read(DEFAULT_ROOM, bob.id, 99).await.unwrap(),
        Some(2)
    );
    let carol = create(store, "carol").await.unwrap();
    store.leave_room(DEFAULT_ROOM, carol.id).await.unwrap();
    assert_eq!(
        store.mark_read(DEFAULT_ROOM, carol.id, 1).await.unwrap(),
        None
    );
}

/// Mentions are counted apart from the unread, for the members named (by key, so any case),
/// never for the author; an edit rewrites them, a delete and the marker clear them.
pub async fn mentions_are_counted_apart(db: TestDb) {
    use natter::server::store::Draft;
    use natter_contract::MessageKind;
    let store = db.store.as_ref();
    let bob = create(store, "Bob").await.unwrap();
    let carol = create(store, "carol").await.unwrap();
    let dave = create(store, "dave").await.unwrap();
    store.leave_room(DEFAULT_ROOM, dave.id).await.unwrap();
    let counts = |user: i64| async move {
        let lines = store.joined(user, Some(DEFAULT_ROOM)).await.unwrap();
        lines.first().map(|line| (line.unread, line.mentions))
    };
    let said = |body: &'static str| async move {
        let id = crate::cases::client_id();
        store
            .insert_as(DEFAULT_ROOM, &id, body)
            .await
            .unwrap()
            .message
            .seq
    };
    // Ann names bob (in another case), herself, dave (not in the room), a stranger, and
    // carol only inside code, which is no mention.
    let first = said("hi @bob, @ann here; @dave @nobody `@carol`").await;
    said("@BOB again, and @bob").await;
    said("nothing to see").await;
    assert_eq!(counts(bob.id).await, Some((3, 2)));
    assert_eq!(counts(carol.id).await, Some((3, 0)));
    assert_eq!(counts(ann().id).await, Some((0, 0)));
    assert_eq!(
        store
            .members_named(
                DEFAULT_ROOM,
                &["bob".into(), "dave".into(), "nobody".into()]
            )
            .await
            .unwrap(),
        ["bob"]
    );

    // An edit moves the first message's mention from bob to carol.
    let edit_id = crate::cases::client_id();
    let edit = Draft {
        room: DEFAULT_ROOM,
        author: ann(),
        client_id: &edit_id,
        body: "hi @carol",
        kind: MessageKind::Edit,
        target: Some(first),
    };
    store.insert(&edit).await.unwrap();
    assert_eq!(counts(bob.id).await, Some((3, 1)));
    assert_eq!(counts(carol.id).await, Some((3, 1)));
    // Deleted, it mentions nobody.
    let delete_id = crate::cases::client_id();
    let delete = Draft {
        kind: MessageKind::Delete,
        client_id: &delete_id,
        body: "",
        ..edit
    };
    store.insert(&delete).await.unwrap();
    assert_eq!(counts(carol.id).await, Some((2, 0)));
    // Read up to the newest: nothing left to count.
    let latest = store.latest_seq(DEFAULT_ROOM).await.unwrap();
    store.mark_read(DEFAULT_ROOM, bob.id, latest).await.unwrap();
    assert_eq!(counts(bob.id).await, Some((0, 0)));
}

/// An invite is good until it expires, once if single-use, and only by its own hash.
pub async fn invites_are_used_up_and_expire(db: TestDb) {
    let store = &db.store;
    assert_eq!(store.first_user().await.unwrap(), Some(ann().id));
    let now = 1_000_000;
    store
        .create_invite("once", ann().id, now + 10, true)
        .await
        .unwrap();
    store
        .create_invite("many", ann().id, now + 10, false)
        .await
        .unwrap();
    assert!(store.redeem_invite("once", now).await.unwrap());
    assert!(!store.redeem_invite("once", now).await.unwrap(), "used up");
    // An account that was not made after all gives its use back.
    store.return_invite("once").await.unwrap();
    assert!(store.redeem_invite("once", now).await.unwrap());
    assert!(!store.redeem_invite("once", now).await.unwrap());
    for _ in 0..3 {
        assert!(store.redeem_invite("many", now).await.unwrap());
    }
    assert!(
        !store.redeem_invite("many", now + 10).await.unwrap(),
        "expired"
    );
    assert!(!store.redeem_invite("nothing", now).await.unwrap());
    // Two people racing for one single-use link: one has it.
    store
        .create_invite("race", ann().id, now + 10, true)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        store.redeem_invite("race", now),
        store.redeem_invite("race", now)
    );
    assert!(a.unwrap() ^ b.unwrap(), "exactly one redeemed it");
}
