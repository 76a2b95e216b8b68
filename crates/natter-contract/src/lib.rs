//! The event contract between Natter's server and its clients.
//!
//! Every event name and payload lives here once, as serde types, so the server (socketioxide)
//! and the browser client (our own Socket.IO crate, compiled to wasm) cannot drift apart.
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

/// Event names, as they travel on the wire.
pub mod event {
    /// Client → server: send a message (payload [`super::SendMessage`], ack [`super::SendAck`]).
    /// Server → clients: a message was accepted (payload [`super::ChatMessage`]).
    /// The name is the classic Socket.IO tutorial's, so its Node server and ours speak alike.
    pub const CHAT_MESSAGE: &str = "chat message";
}

/// Longest message body the server accepts, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// What a client sends to post a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub body: String,
}

/// A message the server accepted, as broadcast to every client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Server-assigned, strictly increasing: clients order and de-duplicate by it.
    pub id: u64,
    pub body: String,
    /// Server time of acceptance, milliseconds since the Unix epoch.
    pub sent_at: i64,
}

/// Machine-readable reasons a request was refused; the UI turns them into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    EmptyMessage,
    MessageTooLong,
    InvalidPayload,
    Internal,
}

impl ErrorCode {
    /// Text shown to the user.
    pub fn describe(self) -> &'static str {
        match self {
            ErrorCode::EmptyMessage => "An empty message was not sent.",
            ErrorCode::MessageTooLong => "That message is too long (4,000 characters at most).",
            ErrorCode::InvalidPayload => "The server could not read that request.",
            ErrorCode::Internal => "The server failed to handle that request; try again.",
        }
    }
}

/// An error carried in an ack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<ErrorCode> for AckError {
    fn from(code: ErrorCode) -> Self {
        AckError { code, message: code.describe().to_owned() }
    }
}

/// Every ack is `{"ok": …}` or `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ack<T> {
    Ok(T),
    Error(AckError),
}

/// What the server acks a [`SendMessage`] with: the id it assigned.
pub type SendAck = Ack<Sent>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub id: u64,
}

impl SendMessage {
    /// The server's rules for a body, shared so the client can refuse early with the same words.
    pub fn validate(&self) -> Result<(), ErrorCode> {
        if self.body.trim().is_empty() {
            Err(ErrorCode::EmptyMessage)
        } else if self.body.chars().count() > MAX_MESSAGE_CHARS {
            Err(ErrorCode::MessageTooLong)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ack_wire_shape() {
        let ok: SendAck = Ack::Ok(Sent { id: 7 });
        assert_eq!(serde_json::to_value(&ok).unwrap(), json!({"ok": {"id": 7}}));
        let err: SendAck = Ack::Error(ErrorCode::EmptyMessage.into());
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"error": {"code": "empty_message", "message": "An empty message was not sent."}})
        );
    }

    #[test]
    fn validation() {
        let m = |b: &str| SendMessage { body: b.into() }.validate();
        assert_eq!(m(""), Err(ErrorCode::EmptyMessage));
        assert_eq!(m(" \t\n"), Err(ErrorCode::EmptyMessage));
        assert_eq!(m("hi"), Ok(()));
        assert_eq!(m(&"é".repeat(MAX_MESSAGE_CHARS)), Ok(()));
        assert_eq!(m(&"é".repeat(MAX_MESSAGE_CHARS + 1)), Err(ErrorCode::MessageTooLong));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(serde_json::from_str::<SendMessage>(r#"{"body":"x","admin":true}"#).is_err());
        assert!(serde_json::from_str::<SendMessage>(r#"{"body":3}"#).is_err());
    }
}
