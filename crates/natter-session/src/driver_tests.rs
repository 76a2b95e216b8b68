//! The driver against a recording platform: what it emits, stores and asks to be woken for,
//! and what it makes of the answers.

use super::*;
use crate::{Outgoing, OutgoingState};
use natter_contract::{ChatMessage, RoomKind, User};
use natter_protocol::{client::DisconnectReason, engine::CloseReason};
use serde_json::json;

#[derive(Default)]
pub(super) struct Fake {
    pub(super) now: i64,
    emitted: Vec<(Ticket, &'static str, Value)>,
    pub(super) signals: Vec<(&'static str, Value)>,
    wakes: Vec<u64>,
    pub(super) typing_wakes: Vec<u64>,
    gap_wakes: Vec<u64>,
    storage: MemoryStorage,
}

impl Emit for Fake {
    fn emit(&mut self, ticket: Ticket, name: &'static str, payload: Value) {
        self.emitted.push((ticket, name, payload));
    }
    fn signal(&mut self, name: &'static str, payload: Value) {
        self.signals.push((name, payload));
    }
}

impl Storage for Fake {
    fn load(&self, key: &str) -> Option<Vec<Outgoing>> {
        self.storage.load(key)
    }
    fn save(&mut self, key: &str, outbox: &[Outgoing]) {
        self.storage.save(key, outbox);
    }
}

impl Clock for Fake {
    fn now_ms(&self) -> i64 {
        self.now
    }
    fn wake_after(&mut self, ms: u64, wake: Wake) {
        match wake {
            Wake::Resend => self.wakes.push(ms),
            Wake::Typing => self.typing_wakes.push(ms),
            Wake::Gaps => self.gap_wakes.push(ms),
        }
    }
}

pub(super) const ME: i64 = 1;
const KEY: &str = "natter.outbox.1";

pub(super) fn user(id: i64) -> User {
    User {
        id,
        name: format!("user{id}"),
    }
}

fn line(room: &str, latest_seq: u64, read_seq: u64, unread: u64) -> Joined {
    Joined {
        room: room.into(),
        kind: RoomKind::Public,
        peer: None,
        topic: String::new(),
        latest_seq,
        read_seq,
        unread,
        mentions: 0,
    }
}

pub(super) fn message(room: &str, seq: u64, author: i64) -> ChatMessage {
    ChatMessage {
        room: room.into(),
        seq,
        id: seq as i64,
        author: user(author),
        client_id: format!("c{room}{seq}"),
        body: format!("m{seq}"),
        sent_at: 0,
        kind: natter_contract::MessageKind::Message,
        target: None,
        revision: None,
        markup: None,
    }
}

fn empty(room: &str) -> Page {
    Page {
        room: room.into(),
        messages: Vec::new(),
        has_more: false,
        latest_seq: 0,
    }
}

/// User 1, in `rooms`.
pub(super) fn me(rooms: Vec<Joined>) -> Me {
    Me {
        user: user(ME),
        has_password: false,
        rooms,
        can_invite: false,
    }
}

/// A driver for user 1, in `general` (shown) and `other`, connected, with every request of
/// the connect answered as "nothing new".
pub(super) fn connected(fake: Fake) -> Driver<Fake> {
    let me = me(vec![line("general", 0, 0, 0), line("other", 0, 0, 0)]);
    let mut d = Driver::start(fake, me, Some(("general".into(), empty("general"))));
    d.set_focused(true);
    d.on_event(ClientEvent::Connected { nsp: "/".into() });
    for (ticket, name, _) in take(&mut d) {
        let ok = match name {
            event::SYNC_ROOMS => json!({"ok": {"pages": [], "refused": []}}),
            _ => json!({"ok": []}),
        };
        d.on_reply(ticket, Ok(ok));
    }
    d
}

pub(super) fn take(d: &mut Driver<Fake>) -> Vec<(Ticket, &'static str, Value)> {
    std::mem::take(&mut d.io.emitted)
}

pub(super) fn names(emitted: &[(Ticket, &'static str, Value)]) -> Vec<&'static str> {
    emitted.iter().map(|(_, name, _)| *name).collect()
}

/// The server pushes the event `name` with `payload`.
pub(super) fn push(d: &mut Driver<Fake>, name: &str, payload: Value) {
    d.on_event(ClientEvent::Event {
        nsp: "/".into(),
        name: name.into(),
        args: vec![payload],
        attachments: Vec::new(),
        ack_id: None,
    });
}

pub(super) fn live(d: &mut Driver<Fake>, m: ChatMessage) {
    push(d, event::CHAT_MESSAGE, serde_json::to_value(m).unwrap());
}

#[test]
fn a_connect_asks_for_every_room_in_one_sync_and_reloads_the_sidebar() {
    let me = me(vec![line("general", 0, 0, 0), line("other", 0, 0, 0)]);
    let mut d = Driver::start(Fake::default(), me, None);
    assert!(
        take(&mut d).is_empty(),
        "nothing goes out before the connect"
    );
    d.on_event(ClientEvent::Connected { nsp: "/".into() });
    assert_eq!(d.status(), Status::Connected);
    let emitted = take(&mut d);
    assert_eq!(
        names(&emitted),
        [
            event::SYNC_ROOMS,
            event::ROOMS,
            event::SIDEBAR,
            event::ONLINE
        ]
    );
    let rooms: Vec<&str> = emitted[0].2["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["room"].as_str().unwrap())
        .collect();
    assert_eq!(rooms, ["general", "other"]);
}

#[test]
fn a_message_goes_out_stored_and_settles_on_its_ack() {
    let mut d = connected(Fake {
        now: 1_700_000_000_123,
        ..Fake::default()
    });
    d.send("general", "hello".into()).unwrap();
    let emitted = take(&mut d);
    assert_eq!(names(&emitted), [event::CHAT_MESSAGE]);
    let (ticket, _, payload) = &emitted[0];
    let id = uuid::Uuid::parse_str(payload["client_id"].as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 7);
    let (secs, _) = id.get_timestamp().unwrap().to_unix();
    assert_eq!(secs, 1_700_000_000, "the id carries the driver's clock");
    assert_eq!(d.io.storage.load(KEY).unwrap().len(), 1, "kept until acked");

    let ack = json!({"ok": {"id": 7, "seq": 1, "sent_at": 5}});
    assert_eq!(d.on_reply(*ticket, Ok(ack)), None);
    assert!(d.io.storage.load(KEY).unwrap().is_empty());
    let held: Vec<u64> = d
        .session()
        .timeline("general")
        .unwrap()
        .messages()
        .map(|m| m.seq)
        .collect();
    assert_eq!(held, [1]);
    // Shown, focused and connected: our own message moves the read marker.
    assert_eq!(names(&take(&mut d)), [event::READ]);
}

#[test]
fn not_stored_waits_for_the_wake_up_then_sends_the_same_id_again() {
    let mut d = connected(Fake::default());
    d.send("general", "hello".into()).unwrap();
    let (ticket, _, first) = take(&mut d).remove(0);
    let refusal = json!({"error": {"code": "not_stored", "message": "could not store"}});
    d.on_reply(ticket, Ok(refusal));
    assert_eq!(d.io.wakes, [crate::RESEND_DELAY_MS]);
    assert!(take(&mut d).is_empty(), "no hammering before the wake-up");
    assert_eq!(d.error(), Some("could not store"), "the refusal is shown");
    d.on_wake(Wake::Resend);
    let again = take(&mut d);
    assert_eq!(again[0].2["client_id"], first["client_id"]);
}

#[test]
fn a_permanent_refusal_marks_the_message_failed() {
    let mut d = connected(Fake::default());
    d.send("general", "hello".into()).unwrap();
    let (ticket, _, _) = take(&mut d).remove(0);
    let refusal = json!({"error": {"code": "forbidden", "message": "not a member"}});
    d.on_reply(ticket, Ok(refusal));
    let pending: Vec<_> = d.session().pending("general").collect();
    assert!(matches!(pending[0].state, OutgoingState::Failed(_)));
}

#[test]
fn a_garbled_ack_counts_as_lost_and_the_message_goes_again_on_reconnect() {
    let mut d = connected(Fake::default());
    d.send("general", "hello".into()).unwrap();
    let (ticket, _, first) = take(&mut d).remove(0);
    d.on_reply(ticket, Ok(json!({"what": 1})));
    assert_eq!(d.error(), None);
    d.on_event(ClientEvent::Disconnected {
        nsp: "/".into(),
        reason: DisconnectReason::Engine(CloseReason::TransportClose),
    });
    assert_eq!(d.status(), Status::Reconnecting);
    d.on_event(ClientEvent::Connected { nsp: "/".into() });
    let again = take(&mut d);
    let resent = again
        .iter()
        .find(|(_, name, _)| *name == event::CHAT_MESSAGE);
    assert_eq!(resent.unwrap().2["client_id"], first["client_id"]);
}

#[test]
fn unread_counts_others_messages_in_rooms_not_shown_or_not_focused() {
    let mut d = connected(Fake::default());
    live(&mut d, message("other", 1, 2));
    live(&mut d, message("other", 2, ME));
    assert_eq!(d.rooms()[1].unread, 1, "our own message is not unread");
    assert!(take(&mut d).is_empty(), "a room not shown is not read");

    d.set_focused(false);
    live(&mut d, message("general", 1, 2));
    assert_eq!(d.rooms()[0].unread, 1);
    assert!(take(&mut d).is_empty(), "an unfocused window reads nothing");

    d.set_focused(true);
    let emitted = take(&mut d);
    assert_eq!(names(&emitted), [event::READ]);
    assert_eq!(emitted[0].2, json!({"room": "general", "seq": 1}));
    assert_eq!(d.rooms()[0].unread, 0);
    assert_eq!(d.rooms()[0].read_seq, 1);
}

#[test]
fn opening_a_room_marks_where_its_unread_part_began_and_another_tab_agrees() {
    let mut d = connected(Fake::default());
    for seq in 1..=3 {
        live(&mut d, message("other", seq, 2));
    }
    assert_eq!(d.rooms()[1].unread, 3);
    // Another tab read up to 2: one left.
    push(&mut d, event::READ, json!({"room": "other", "seq": 2}));
    assert_eq!((d.rooms()[1].read_seq, d.rooms()[1].unread), (2, 1));
    d.show("other", None);
    assert_eq!(d.unread_from(), Some(2), "the divider goes after seq 2");
    assert_eq!(d.rooms()[1].unread, 0);
    let emitted = take(&mut d);
    assert_eq!(names(&emitted), [event::MEMBERS, event::READ]);
    assert_eq!(emitted[1].2, json!({"room": "other", "seq": 3}));
}

#[test]
fn the_stored_outbox_keeps_what_other_tabs_typed() {
    let mut fake = Fake::default();
    let theirs = Outgoing {
        room: "general".into(),
        client_id: "another-tab".into(),
        body: "theirs".into(),
        created_at: 0,
        state: OutgoingState::Queued,
    };
    fake.storage.save(KEY, std::slice::from_ref(&theirs));
    let mut d = connected(fake);
    // Restored and ours now: it is sent (once the connect has happened).
    assert!(
        d.session()
            .outbox()
            .iter()
            .any(|o| o.client_id == "another-tab")
    );
    // A tab that never had it keeps it while saving its own.
    d.io.storage.save(
        KEY,
        &[
            theirs.clone(),
            Outgoing {
                client_id: "third-tab".into(),
                ..theirs
            },
        ],
    );
    d.send("general", "mine".into()).unwrap();
    let stored: Vec<String> =
        d.io.storage
            .load(KEY)
            .unwrap()
            .into_iter()
            .map(|o| o.client_id)
            .collect();
    assert!(stored.contains(&"third-tab".to_owned()), "{stored:?}");
    assert_eq!(stored.iter().filter(|id| *id == "another-tab").count(), 1);
}

#[test]
fn a_room_created_is_followed_and_reported() {
    let mut d = connected(Fake::default());
    let ticket = d.create_room("new-room".into(), "a topic".into());
    assert_eq!(
        take(&mut d)[0].2,
        json!({"room": "new-room", "topic": "a topic"})
    );
    let ack = json!({"ok": serde_json::to_value(line("new-room", 0, 0, 0)).unwrap()});
    assert_eq!(
        d.on_reply(ticket, Ok(ack)),
        Some(Done::Created("new-room".into()))
    );
    assert!(d.rooms().iter().any(|r| r.room == "new-room"));
    assert!(d.session().timeline("new-room").is_some());
    // Following a room while connected syncs it from the start.
    assert_eq!(names(&take(&mut d)), [event::SYNC]);
    // An answer nobody waits for is ignored.
    assert_eq!(d.on_reply(ticket, Ok(json!({"ok": null}))), None);
}

#[test]
fn a_room_removed_elsewhere_is_forgotten() {
    let mut d = connected(Fake::default());
    push(&mut d, event::ROOM_REMOVED, json!({"room": "other"}));
    assert_eq!(d.rooms().len(), 1);
    assert!(d.session().timeline("other").is_none());
}

#[test]
fn an_unauthorized_connect_signs_the_page_out() {
    let me = me(Vec::new());
    let mut d = Driver::start(Fake::default(), me, None);
    d.on_event(ClientEvent::ConnectError {
        nsp: "/".into(),
        message: "unauthorized".into(),
        data: None,
    });
    assert!(d.signed_out());
    assert_eq!(d.status(), Status::Offline);
}

#[test]
fn a_refused_connect_says_why_in_words() {
    let me = me(Vec::new());
    let mut d = Driver::start(Fake::default(), me, None);
    d.on_event(ClientEvent::ConnectError {
        nsp: "/".into(),
        message: "too_many_sessions".into(),
        data: None,
    });
    assert!(!d.signed_out());
    assert_eq!(d.status(), Status::Offline);
    assert_eq!(
        d.error(),
        Some(ErrorCode::TooManySessions.describe()),
        "the contract's text, not its code"
    );
}

#[test]
fn back_online_counts_what_the_catch_up_brought() {
    let mut d = connected(Fake::default());
    d.on_event(ClientEvent::Disconnected {
        nsp: "/".into(),
        reason: DisconnectReason::Engine(CloseReason::TransportClose),
    });
    d.on_event(ClientEvent::Connected { nsp: "/".into() });
    for (ticket, name, _) in take(&mut d) {
        let ok = match name {
            event::SYNC_ROOMS => {
                let page = Page {
                    room: "other".into(),
                    messages: vec![message("other", 1, 2), message("other", 2, 2)],
                    has_more: false,
                    latest_seq: 2,
                };
                json!({"ok": {"pages": [page], "refused": []}})
            }
            _ => json!({"ok": []}),
        };
        d.on_reply(ticket, Ok(ok));
    }
    assert_eq!(d.notice(), Some("back online · 2 new messages"));
}

#[test]
fn a_beacon_ahead_of_the_shown_room_syncs_it_after_the_gap_wait() {
    let mut d = connected(Fake::default());
    push(&mut d, event::BEACON, json!({"room": "general", "seq": 3}));
    assert_eq!(d.io.gap_wakes, [crate::GAP_WAIT_MS]);
    assert!(take(&mut d).is_empty(), "nothing asked before the wait");
    d.on_wake(Wake::Gaps);
    let emitted = take(&mut d);
    assert_eq!(names(&emitted), [event::SYNC]);
    assert_eq!(emitted[0].2["after_seq"], 0);
}
