//! The rules a request must follow, shared so the client refuses early with the same words
//! the server would use.

use crate::{ErrorCode, HistoryRequest, MAX_MESSAGE_CHARS, MAX_PAGE, SendMessage, SyncRequest};

/// A room a request names: a public room's name or a DM key. Anything else cannot exist.
pub fn room_name(room: &str) -> Result<(), ErrorCode> {
    if crate::new_room_name(room).is_ok() || crate::dm_members(room).is_some() {
        Ok(())
    } else {
        Err(ErrorCode::UnknownRoom)
    }
}

fn page_limit(limit: Option<u32>) -> Result<u32, ErrorCode> {
    match limit {
        None => Ok(MAX_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ErrorCode::SeqOutOfRange),
    }
}

/// A client's payload as the server reads it: `T` from a JSON object only. serde's derived
/// `Deserialize` also builds a struct from an array of its fields in order (`["hi"]` as a
/// `SendMessage`), a second wire shape the contract does not define and clients must not
/// come to rely on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonObject<T>(pub T);

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let object = serde_json::Map::deserialize(deserializer)?;
        T::deserialize(serde_json::Value::Object(object))
            .map(JsonObject)
            .map_err(D::Error::custom)
    }
}

impl SendMessage {
    pub fn validate(&self) -> Result<(), ErrorCode> {
        room_and_id(&self.room, &self.client_id)?;
        message_body(&self.body)
    }
}

/// The room and the resend key of anything a user writes (a message, an edit, a delete).
pub(crate) fn room_and_id(room: &str, client_id: &str) -> Result<(), ErrorCode> {
    room_name(room)?;
    if uuid::Uuid::try_parse(client_id).is_err() {
        return Err(ErrorCode::InvalidId);
    }
    Ok(())
}

/// The rules of a message's body, new or edited.
pub(crate) fn message_body(body: &str) -> Result<(), ErrorCode> {
    if body.trim().is_empty() {
        Err(ErrorCode::EmptyMessage)
    } else if body.chars().count() > MAX_MESSAGE_CHARS {
        Err(ErrorCode::MessageTooLong)
    } else if body.contains('\0') {
        // Valid JSON and UTF-8, but Postgres refuses NUL in TEXT: stopping it here keeps it
        // from failing every message that shares its transaction, forever, as a retry.
        Err(ErrorCode::InvalidPayload)
    } else {
        Ok(())
    }
}

impl SyncRequest {
    /// The page size to use.
    pub fn validate(&self) -> Result<u32, ErrorCode> {
        room_name(&self.room)?;
        page_limit(self.limit)
    }
}

impl crate::SyncRooms {
    /// Each room named once, at most [`crate::MAX_SYNC_ROOMS`] of them; the rooms' names are
    /// checked one by one, so a bad one fails alone.
    pub fn validate(&self) -> Result<(), ErrorCode> {
        let mut seen = std::collections::BTreeSet::new();
        if self.rooms.len() > crate::MAX_SYNC_ROOMS
            || !self.rooms.iter().all(|c| seen.insert(c.room.as_str()))
        {
            return Err(ErrorCode::InvalidPayload);
        }
        Ok(())
    }
}

impl HistoryRequest {
    /// The page size to use.
    pub fn validate(&self) -> Result<u32, ErrorCode> {
        room_name(&self.room)?;
        if self.before_seq == 0 {
            return Err(ErrorCode::SeqOutOfRange);
        }
        page_limit(self.limit)
    }
}

#[cfg(test)]
mod tests {
    use crate::*;
    use serde_json::json;

    const ID: &str = "0192f0c1-7a3b-7c4d-8e5f-1234567890ab";

    #[test]
    fn payloads_are_read_from_objects_only() {
        let object = json!({ "room": "general", "client_id": ID, "body": "hi" });
        let JsonObject(message) =
            serde_json::from_value::<JsonObject<SendMessage>>(object).unwrap();
        assert_eq!(message.body, "hi");
        // serde's derive alone would take the fields in order from an array.
        let array = json!(["general", ID, "hi"]);
        assert!(serde_json::from_value::<SendMessage>(array.clone()).is_ok());
        assert!(serde_json::from_value::<JsonObject<SendMessage>>(array).is_err());
        let unknown = json!({ "room": "general", "client_id": ID, "body": "hi", "as": "admin" });
        assert!(serde_json::from_value::<JsonObject<SendMessage>>(unknown).is_err());
    }

    fn send(body: &str) -> SendMessage {
        SendMessage {
            room: DEFAULT_ROOM.into(),
            client_id: ID.into(),
            body: body.into(),
        }
    }

    #[test]
    fn ack_wire_shape() {
        let ok: SendAck = Ack::Ok(Sent {
            id: 7,
            seq: 3,
            sent_at: 1,
            markup: None,
            unknown_mentions: Vec::new(),
        });
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"ok": {"id": 7, "seq": 3, "sent_at": 1}})
        );
        let err: SendAck = Ack::Error(ErrorCode::EmptyMessage.into());
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"error": {"code": "empty_message", "message": "An empty message was not sent."}})
        );
    }

    #[test]
    fn message_rules() {
        assert_eq!(send("").validate(), Err(ErrorCode::EmptyMessage));
        assert_eq!(send(" \t\n").validate(), Err(ErrorCode::EmptyMessage));
        assert_eq!(send("hi").validate(), Ok(()));
        assert_eq!(send("a\0b").validate(), Err(ErrorCode::InvalidPayload));
        assert_eq!(send(&"é".repeat(MAX_MESSAGE_CHARS)).validate(), Ok(()));
        assert_eq!(
            send(&"é".repeat(MAX_MESSAGE_CHARS + 1)).validate(),
            Err(ErrorCode::MessageTooLong)
        );
        let bad_id = SendMessage {
            client_id: "not-a-uuid".into(),
            ..send("x")
        };
        assert_eq!(bad_id.validate(), Err(ErrorCode::InvalidId));
        let bad_room = SendMessage {
            room: "../etc".into(),
            ..send("x")
        };
        assert_eq!(bad_room.validate(), Err(ErrorCode::UnknownRoom));
    }

    #[test]
    fn page_rules() {
        let sync = |after_seq, limit| SyncRequest {
            room: "general".into(),
            after_seq,
            limit,
        };
        assert_eq!(sync(0, None).validate(), Ok(MAX_PAGE));
        assert_eq!(sync(5, Some(10)).validate(), Ok(10));
        assert_eq!(sync(5, Some(0)).validate(), Err(ErrorCode::SeqOutOfRange));
        assert_eq!(
            sync(5, Some(MAX_PAGE + 1)).validate(),
            Err(ErrorCode::SeqOutOfRange)
        );
        let history = |before_seq| HistoryRequest {
            room: "general".into(),
            before_seq,
            limit: None,
        };
        assert_eq!(history(0).validate(), Err(ErrorCode::SeqOutOfRange));
        assert_eq!(history(9).validate(), Ok(MAX_PAGE));
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_rejected() {
        let parse = |s| serde_json::from_str::<SendMessage>(s);
        assert!(parse(r#"{"room":"general","client_id":"x","body":"x","admin":true}"#).is_err());
        assert!(parse(r#"{"room":"general","client_id":"x","body":3}"#).is_err());
        assert!(parse(r#"{"room":"general","client_id":"x","body":"x"}"#).is_ok());
    }

    #[test]
    fn transient_errors_keep_the_message() {
        assert!(ErrorCode::NotStored.is_transient());
        assert!(!ErrorCode::MessageTooLong.is_transient());
    }
}
