//! What calls for the reader, heard live: a direct message, or a message that mentions them.
//! The page turns each into a browser notification while it is hidden; the driver only says
//! which (sans-IO, like the rest).

use super::{Clock, Driver, Emit, Storage};
use natter_contract::{ChatMessage, Sent, User, dm_members};

/// A message that calls for the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub room: String,
    /// Who wrote it.
    pub from: String,
    /// Its text, without markup, at most [`ALERT_TEXT_CHARS`] characters.
    pub text: String,
    /// A direct message (else a mention).
    pub dm: bool,
}

/// Notifications show two or three lines; the rest is in the page.
pub const ALERT_TEXT_CHARS: usize = 140;

/// Alerts not yet taken: a page that never takes them keeps only the newest few.
const MAX_ALERTS: usize = 20;

/// Whether `message` calls for `me`: someone else's message (not a system line) in a DM of
/// theirs, or naming them (ASCII case folded, like the page's highlight).
pub fn calls_for(message: &ChatMessage, me: &User) -> Option<bool> {
    if message.author.id == me.id || !message.kind.is_message() || message.is_deleted() {
        return None;
    }
    let dm = dm_members(&message.room).is_some_and(|(a, b)| a == me.id || b == me.id);
    let blocks = message.blocks();
    let named = || {
        natter_markup::mentioned(&blocks)
            .iter()
            .any(|name| name.eq_ignore_ascii_case(&me.name))
    };
    (dm || named()).then_some(dm)
}

/// "Nobody in this room is called @bob, so no one by that name was notified."
pub fn unknown_mentions_warning(names: &[String]) -> Option<String> {
    let (last, rest) = names.split_last()?;
    let at = |name: &String| format!("@{name}");
    let listed = if rest.is_empty() {
        at(last)
    } else {
        let rest: Vec<String> = rest.iter().map(at).collect();
        format!("{} or {}", rest.join(", "), at(last))
    };
    let those = if rest.is_empty() {
        "that name"
    } else {
        "those names"
    };
    Some(format!(
        "Nobody in this room is called {listed}, so no one by {those} was notified."
    ))
}

impl<P: Emit + Storage + Clock> Driver<P> {
    pub(super) fn alert_if_called(&mut self, message: &ChatMessage) {
        let Some(dm) = self.session.me().and_then(|me| calls_for(message, me)) else {
            return;
        };
        let text = natter_markup::plain_text(&message.blocks());
        let mut text: String = text.chars().take(ALERT_TEXT_CHARS).collect();
        if text.chars().count() == ALERT_TEXT_CHARS {
            text.push('…');
        }
        if self.alerts.len() == MAX_ALERTS {
            self.alerts.remove(0);
        }
        self.alerts.push(Alert {
            room: message.room.clone(),
            from: message.author.name.clone(),
            text,
            dm,
        });
    }

    /// A stored message or edit whose `@name`s name nobody in the room: said, since the
    /// sender expects someone to have been called.
    pub(super) fn warn_of_unknown_mentions(&mut self, sent: &Sent) {
        if let Some(warning) = unknown_mentions_warning(&sent.unknown_mentions) {
            self.error = Some(warning);
        }
    }

    /// The alerts since the last call, oldest first.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.alerts)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Fake, ME, connected, live, message, push, take, user};
    use super::*;
    use natter_contract::{Joined, MessageKind, Page, RoomKind, dm_room, event};
    use serde_json::json;

    fn said(room: &str, seq: u64, author: i64, body: &str) -> ChatMessage {
        ChatMessage {
            body: body.into(),
            markup: natter_contract::markup(body),
            ..message(room, seq, author)
        }
    }

    #[test]
    fn a_mention_or_a_dm_heard_live_calls_for_the_reader_and_nothing_else_does() {
        let mut d = connected(Fake::default());
        live(&mut d, said("general", 1, 2, "hi **@USER1**, see `@user1`"));
        live(&mut d, said("general", 2, 2, "hi @user12 and @someone"));
        live(&mut d, said("general", 3, ME, "talking to myself @user1"));
        live(
            &mut d,
            said("general", 4, 2, "`@user1` in code is no mention"),
        );
        let dm = dm_room(ME, 2);
        live(&mut d, said(&dm, 1, 2, "psst"));
        let alerts = d.take_alerts();
        let got: Vec<_> = alerts
            .iter()
            .map(|a| (a.room.as_str(), a.text.as_str(), a.dm))
            .collect();
        assert_eq!(
            got,
            [
                ("general", "hi @USER1, see @user1", false),
                (dm.as_str(), "psst", true)
            ]
        );
        assert_eq!(alerts[0].from, "user2");
        assert!(d.take_alerts().is_empty(), "taken once");
    }

    #[test]
    fn system_lines_deleted_messages_and_others_dms_call_for_no_one() {
        let me = user(ME);
        let joined = ChatMessage {
            kind: MessageKind::Joined,
            ..said("general", 1, 2, "")
        };
        assert_eq!(calls_for(&joined, &me), None);
        assert_eq!(calls_for(&said(&dm_room(2, 3), 1, 2, "hi"), &me), None);
        assert_eq!(
            calls_for(&said("general", 1, 2, "@user1"), &me),
            Some(false)
        );
        let long = "@user1 ".repeat(40);
        let mut d = connected(Fake::default());
        live(&mut d, said("general", 1, 2, &long));
        let text = &d.take_alerts()[0].text;
        assert_eq!(text.chars().count(), ALERT_TEXT_CHARS + 1);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn a_conversation_someone_begins_calls_for_the_reader_with_its_first_message() {
        let mut d = connected(Fake::default());
        let dm = dm_room(ME, 2);
        let line = Joined {
            room: dm.clone(),
            kind: RoomKind::Dm,
            peer: Some(user(2)),
            topic: String::new(),
            latest_seq: 1,
            read_seq: 0,
            unread: 1,
            mentions: 0,
        };
        push(
            &mut d,
            event::ROOM_ADDED,
            serde_json::to_value(line).unwrap(),
        );
        let (ticket, name, _) = take(&mut d).pop().expect("the new DM is synced");
        assert_eq!(name, event::SYNC);
        let page = Page {
            room: dm.clone(),
            messages: vec![said(&dm, 1, 2, "hello there")],
            has_more: false,
            latest_seq: 1,
        };
        d.on_reply(ticket, Ok(json!({ "ok": page })));
        let alerts = d.take_alerts();
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(
            (alerts[0].text.as_str(), alerts[0].dm),
            ("hello there", true)
        );
    }

    #[test]
    fn mentions_are_counted_apart_until_read_here_or_in_another_tab() {
        let mut d = connected(Fake::default());
        live(&mut d, said("other", 1, 2, "hey @user1"));
        live(&mut d, said("other", 2, 2, "plain"));
        live(&mut d, said("other", 3, 2, "@USER1 again"));
        live(&mut d, said("other", 4, ME, "@user1 myself"));
        let counts = |d: &Driver<Fake>| (d.rooms()[1].unread, d.rooms()[1].mentions);
        assert_eq!(counts(&d), (3, 2));
        // Another tab read up to 2: one mention (seq 3) is left.
        push(&mut d, event::READ, json!({"room": "other", "seq": 2}));
        assert_eq!(counts(&d), (1, 1));
        d.show("other", None);
        assert_eq!(counts(&d), (0, 0));
    }

    #[test]
    fn an_ack_naming_unknown_mentions_is_said_to_the_sender() {
        assert_eq!(unknown_mentions_warning(&[]), None);
        assert_eq!(
            unknown_mentions_warning(&["bob".into()]).as_deref(),
            Some("Nobody in this room is called @bob, so no one by that name was notified.")
        );
        let mut d = connected(Fake::default());
        d.send("general", "hi @ann @bob @cy".into()).unwrap();
        let (ticket, _, _) = take(&mut d).remove(0);
        let ack =
            json!({"ok": {"id": 7, "seq": 1, "sent_at": 5, "unknown_mentions": ["bob", "cy"]}});
        d.on_reply(ticket, Ok(ack));
        assert_eq!(
            d.error(),
            Some(
                "Nobody in this room is called @bob or @cy, so no one by those names was notified."
            )
        );
        let held = d.session().timeline("general").unwrap().messages().count();
        assert_eq!(held, 1, "stored and kept all the same");
        d.send("general", "next".into()).unwrap();
        assert_eq!(d.error(), None, "until the next message");
    }
}
