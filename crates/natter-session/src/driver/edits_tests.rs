//! Editing and deleting through the driver, on the recording platform.

use super::super::tests::{Fake, ME, connected, live, message, names, take};
use super::*;
use natter_contract::{ChatMessage, MessageKind};
use serde_json::json;

fn change(seq: u64, kind: MessageKind, target: u64, body: &str) -> ChatMessage {
    ChatMessage {
        kind,
        target: Some(target),
        body: body.into(),
        ..message("general", seq, ME)
    }
}

fn shown(d: &Driver<Fake>) -> Vec<(u64, String, bool)> {
    let timeline = d.session().timeline("general").unwrap();
    let messages = timeline.messages();
    messages
        .map(|m| (m.seq, m.body.clone(), m.is_deleted()))
        .collect()
}

#[test]
fn an_edit_is_sent_and_shown_once_the_room_hears_it() {
    let mut d = connected(Fake::default());
    live(&mut d, message("general", 1, ME));
    take(&mut d); // the read marker
    d.edit("general", 1, "fixed".into()).unwrap();
    let emitted = take(&mut d);
    assert_eq!(names(&emitted), [event::EDIT_MESSAGE]);
    let (ticket, _, payload) = &emitted[0];
    assert_eq!(
        (payload["seq"].clone(), payload["body"].clone()),
        (json!(1), json!("fixed"))
    );
    assert_eq!(
        shown(&d),
        [(1, "m1".into(), false)],
        "nothing changes before the store has it"
    );

    live(&mut d, change(2, MessageKind::Edit, 1, "fixed"));
    d.on_reply(
        *ticket,
        Ok(json!({"ok": {"id": 2, "seq": 2, "sent_at": 5}})),
    );
    assert_eq!(shown(&d), [(1, "fixed".into(), false)]);
    assert_eq!(d.error(), None);

    d.delete("general", 1).unwrap();
    live(&mut d, change(3, MessageKind::Delete, 1, ""));
    assert_eq!(shown(&d), [(1, String::new(), true)]);
    assert_eq!(d.rooms()[0].unread, 0, "changes are not news");
}

#[test]
fn what_the_page_can_tell_is_refused_at_once_and_the_servers_refusals_are_shown() {
    let mut d = connected(Fake::default());
    live(&mut d, message("general", 1, 2));
    live(&mut d, message("general", 2, ME));
    take(&mut d); // the read markers
    assert_eq!(
        d.edit("general", 1, "mine".into()),
        Err(ErrorCode::Forbidden)
    );
    assert_eq!(d.delete("general", 9), Err(ErrorCode::UnknownMessage));
    let long = "x".repeat(natter_contract::MAX_MESSAGE_CHARS + 1);
    assert_eq!(d.edit("general", 2, long), Err(ErrorCode::MessageTooLong));
    assert_eq!(d.error(), Some(ErrorCode::MessageTooLong.describe()));
    assert!(take(&mut d).is_empty(), "nothing was sent");

    d.delete("general", 2).unwrap();
    let (ticket, ..) = take(&mut d).remove(0);
    let refused =
        json!({"error": {"code": "message_deleted", "message": "That message was deleted."}});
    d.on_reply(ticket, Ok(refused));
    assert_eq!(d.error(), Some("That message was deleted."));

    d.edit("general", 2, "again".into()).unwrap();
    let (ticket, ..) = take(&mut d).remove(0);
    d.on_reply(ticket, Err(Failure::Lost));
    assert!(
        d.error().unwrap().contains("did not reach"),
        "{:?}",
        d.error()
    );
}
