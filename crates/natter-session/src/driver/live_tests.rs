//! Presence, members and typing through the driver, on the recording platform.

use super::super::tests::{Fake, ME, connected, live, message, names, push, take, user};
use super::*;
use natter_protocol::client::ClientEvent;
use serde_json::json;

fn typing(d: &mut Driver<Fake>, room: &str, author: i64, typing: bool) {
    let signal = TypingSignal {
        room: room.into(),
        user: user(author),
        typing,
    };
    push(d, event::TYPING, serde_json::to_value(signal).unwrap());
}

#[test]
fn keystrokes_signal_at_most_once_per_two_seconds_and_never_offline() {
    let mut d = connected(Fake::default());
    d.typing("general");
    d.io.now = 1_999;
    d.typing("general");
    assert_eq!(d.io.signals, [(event::TYPING, json!({"room": "general"}))]);
    d.io.now = 2_000;
    d.typing("general");
    d.typing("not-followed");
    assert_eq!(d.io.signals.len(), 2);
    d.on_event(ClientEvent::Reconnecting {
        attempt: 1,
        delay_ms: 100,
    });
    d.io.now = 10_000;
    d.typing("general");
    assert_eq!(d.io.signals.len(), 2, "nothing is signalled while away");
}

#[test]
fn others_typing_shows_until_they_send_or_it_runs_out() {
    let mut d = connected(Fake::default());
    typing(&mut d, "general", 2, true);
    typing(&mut d, "general", ME, true);
    assert_eq!(d.typing_label().as_deref(), Some("user2 is typing…"));
    assert_eq!(d.io.typing_wakes, [5_050], "woken when it runs out");
    typing(&mut d, "general", 3, true);
    assert_eq!(
        d.typing_label().as_deref(),
        Some("user2 and user3 are typing…")
    );
    live(&mut d, message("general", 1, 2));
    assert_eq!(d.typing_label().as_deref(), Some("user3 is typing…"));
    d.io.now = 5_000;
    d.on_wake(Wake::Typing);
    assert_eq!(d.typing_label(), None);
    typing(&mut d, "other", 2, true);
    assert_eq!(d.typing_label(), None, "another room's typing is not shown");
    typing(&mut d, "general", 2, true);
    typing(&mut d, "general", 2, false);
    assert_eq!(d.typing_label(), None, "stopped: their tab closed");
}

#[test]
fn presence_comes_from_the_list_then_from_changes() {
    let mut d = connected(Fake::default());
    d.on_event(ClientEvent::Connected { nsp: "/".into() });
    let emitted = take(&mut d);
    let (ticket, ..) = emitted.iter().find(|e| e.1 == event::ONLINE).unwrap();
    d.on_reply(*ticket, Ok(json!({"ok": [2, 3]})));
    assert!(d.is_online(2) && d.is_online(3) && !d.is_online(4));
    push(
        &mut d,
        event::PRESENCE,
        json!({"online": [4], "offline": [2]}),
    );
    assert!(!d.is_online(2) && d.is_online(4));
}

#[test]
fn the_shown_rooms_members_are_asked_for_on_show() {
    let mut d = connected(Fake::default());
    d.show("other", None);
    let emitted = take(&mut d);
    assert_eq!(names(&emitted)[0], event::MEMBERS);
    assert_eq!(emitted[0].2, json!({"room": "other"}));
    let members = json!({"ok": [
        {"user": {"id": 2, "name": "user2"}, "online": true},
        {"user": {"id": 5, "name": "user5"}, "online": false},
    ]});
    d.on_reply(emitted[0].0, Ok(members));
    assert_eq!(d.members(), [user(2), user(5)]);
    assert!(d.is_online(2) && !d.is_online(5));
    d.show("general", None);
    assert!(d.members().is_empty(), "another room's list is not kept");
}

#[test]
fn join_and_leave_lines_in_the_shown_room_change_its_member_list() {
    let mut d = connected(Fake::default());
    assert!(
        d.members().is_empty(),
        "the fake answered the members with none"
    );
    let line = |room: &str, seq, id, name: &str, kind| ChatMessage {
        kind,
        author: User {
            id,
            name: name.into(),
        },
        ..message(room, seq, 0)
    };
    let names = |d: &Driver<Fake>| {
        d.members()
            .iter()
            .map(|m| m.name.clone())
            .collect::<Vec<_>>()
    };
    live(&mut d, line("general", 1, 9, "zed", MessageKind::Joined));
    live(&mut d, line("general", 2, 7, "Ann", MessageKind::Joined));
    live(&mut d, line("general", 3, 7, "Ann", MessageKind::Joined));
    assert_eq!(names(&d), ["Ann", "zed"], "in name order, once each");
    live(&mut d, line("other", 1, 8, "bo", MessageKind::Joined));
    assert_eq!(
        names(&d),
        ["Ann", "zed"],
        "another room's line is not this list's"
    );
    live(&mut d, line("general", 4, 7, "Ann", MessageKind::Left));
    assert_eq!(names(&d), ["zed"]);
}
