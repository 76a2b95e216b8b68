//! Edits and deletes: a room's history is an event log.
//!
//! An edit or a delete is a row of the room like a message, with its own `seq`
//! ([`MessageKind::Edit`] / [`MessageKind::Delete`], naming the message it changes in
//! [`ChatMessage::target`]), so it reaches clients through the same broadcast, sync and
//! history as messages do. The store also rewrites the message in place, so a page always
//! holds messages in their latest state; [`ChatMessage::revision`] says which change that
//! state includes, which makes applying a change again (a page that holds both the edited
//! message and its edit) a no-op: see [`ChatMessage::apply`].

use serde::{Deserialize, Serialize};

use crate::{
    ChatMessage, ErrorCode, MessageKind,
    validate::{message_body, room_and_id},
};

/// Client → server: replace the body of one's own message `seq` in `room`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditMessage {
    pub room: String,
    pub seq: u64,
    /// A fresh UUID for this edit: a resend gets the first ack instead of a second edit.
    pub client_id: String,
    pub body: String,
}

/// Client → server: delete one's own message `seq` in `room`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteMessage {
    pub room: String,
    pub seq: u64,
    /// As for [`EditMessage::client_id`].
    pub client_id: String,
}

/// The latest change a message has been through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// The `seq` of the edit or delete: the state includes every change up to it.
    pub seq: u64,
    /// When it was made, milliseconds since the Unix epoch.
    pub at: i64,
    /// The message was deleted (its body is gone).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl EditMessage {
    /// The body follows the rules of a new message.
    pub fn validate(&self) -> Result<(), ErrorCode> {
        target_seq(self.seq)?;
        room_and_id(&self.room, &self.client_id)?;
        message_body(&self.body)
    }
}

impl DeleteMessage {
    pub fn validate(&self) -> Result<(), ErrorCode> {
        target_seq(self.seq)?;
        room_and_id(&self.room, &self.client_id)
    }
}

fn target_seq(seq: u64) -> Result<(), ErrorCode> {
    if seq == 0 || i64::try_from(seq).is_err() {
        Err(ErrorCode::UnknownMessage)
    } else {
        Ok(())
    }
}

impl MessageKind {
    /// An edit or a delete: a change to another row, never shown as a line of its own.
    pub fn is_change(&self) -> bool {
        matches!(self, MessageKind::Edit | MessageKind::Delete)
    }
}

impl ChatMessage {
    /// What the body shows: the server's tree, or the plain text it stands for.
    pub fn blocks(&self) -> Vec<natter_markup::Block> {
        self.markup
            .clone()
            .unwrap_or_else(|| natter_markup::plain(&self.body))
    }

    pub fn is_deleted(&self) -> bool {
        self.revision.is_some_and(|r| r.deleted)
    }

    /// Brings this message up to `change` (an edit or a delete aimed at it); returns whether
    /// anything changed. A change it already includes, an older one, or one aimed elsewhere
    /// does nothing, and nothing revives a deleted message: so the events of a log can be
    /// applied in any number and order and end in the state the store holds.
    pub fn apply(&mut self, change: &ChatMessage) -> bool {
        let newer = self.revision.is_none_or(|r| r.seq < change.seq);
        if !newer
            || change.target != Some(self.seq)
            || change.room != self.room
            || !change.kind.is_change()
            || self.is_deleted()
        {
            return false;
        }
        let deleted = change.kind == MessageKind::Delete;
        (self.body, self.markup) = if deleted {
            (String::new(), None)
        } else {
            (change.body.clone(), change.markup.clone())
        };
        self.revision = Some(Revision {
            seq: change.seq,
            at: change.sent_at,
            deleted,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::User;

    fn row(seq: u64, kind: MessageKind, target: Option<u64>, body: &str) -> ChatMessage {
        ChatMessage {
            room: "general".into(),
            seq,
            id: seq as i64,
            author: User {
                id: 1,
                name: "ann".into(),
            },
            client_id: format!("c{seq}"),
            body: body.into(),
            sent_at: seq as i64 * 10,
            kind,
            target,
            revision: None,
            markup: None,
        }
    }

    #[test]
    fn edits_apply_once_in_seq_order_and_deletes_are_final() {
        let mut message = row(1, MessageKind::Message, None, "helo");
        let edit = row(2, MessageKind::Edit, Some(1), "hello");
        let again = row(3, MessageKind::Edit, Some(1), "hello!");
        assert!(message.apply(&edit));
        assert_eq!(message.body, "hello");
        assert!(message.apply(&again));
        assert!(!message.apply(&edit), "an older edit is already included");
        assert_eq!(message.body, "hello!");
        assert_eq!(message.revision.map(|r| (r.seq, r.at)), Some((3, 30)));

        let delete = row(4, MessageKind::Delete, Some(1), "");
        assert!(message.apply(&delete));
        assert!(message.is_deleted() && message.body.is_empty());
        let late = row(5, MessageKind::Edit, Some(1), "back");
        assert!(!message.apply(&late), "nothing revives a deleted message");
    }

    #[test]
    fn changes_aimed_elsewhere_do_nothing() {
        let mut message = row(1, MessageKind::Message, None, "hi");
        assert!(!message.apply(&row(2, MessageKind::Edit, Some(9), "x")));
        assert!(!message.apply(&row(3, MessageKind::Message, Some(1), "x")));
        let mut other_room = row(4, MessageKind::Edit, Some(1), "x");
        other_room.room = "random".into();
        assert!(!message.apply(&other_room));
        assert_eq!(message.body, "hi");
    }

    #[test]
    fn wire_shape() {
        let mut message = row(1, MessageKind::Message, None, "hi");
        let plain = serde_json::to_value(&message).unwrap();
        assert!(plain.get("revision").is_none() && plain.get("target").is_none());
        message.apply(&row(2, MessageKind::Delete, Some(1), ""));
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(
            json["revision"],
            serde_json::json!({"seq": 2, "at": 20, "deleted": true})
        );
        let edit = serde_json::to_value(row(3, MessageKind::Edit, Some(1), "x")).unwrap();
        assert_eq!(
            (edit["kind"].as_str(), edit["target"].as_u64()),
            (Some("edit"), Some(1))
        );
    }

    #[test]
    fn request_rules() {
        const ID: &str = "0192f0c1-7a3b-7c4d-8e5f-1234567890ab";
        let edit = |seq, body: &str| EditMessage {
            room: "general".into(),
            seq,
            client_id: ID.into(),
            body: body.into(),
        };
        assert_eq!(edit(1, "ok").validate(), Ok(()));
        assert_eq!(edit(0, "ok").validate(), Err(ErrorCode::UnknownMessage));
        assert_eq!(
            edit(u64::MAX, "ok").validate(),
            Err(ErrorCode::UnknownMessage)
        );
        assert_eq!(edit(1, " ").validate(), Err(ErrorCode::EmptyMessage));
        let long = "x".repeat(crate::MAX_MESSAGE_CHARS + 1);
        assert_eq!(edit(1, &long).validate(), Err(ErrorCode::MessageTooLong));
        let delete = DeleteMessage {
            room: "general".into(),
            seq: 1,
            client_id: "nope".into(),
        };
        assert_eq!(delete.validate(), Err(ErrorCode::InvalidId));
    }
}
