//! The event contract between Natter's server and its clients.
//!
//! Every event name and payload lives here once, as serde types, so the server (socketioxide)
//! and the browser client (our own Socket.IO crate, compiled to wasm) cannot drift apart.
//!
//! Delivery model: every message belongs to a room and gets a per-room sequence number
//! (`seq`: 1, 2, 3… with no gaps) when the server stores it. Clients name each message they
//! send with their own UUID (`client_id`), so a resend is recognised and answered with the
//! original ack instead of being stored twice; and they catch up with [`event::SYNC`] after
//! the last `seq` they hold.
#![forbid(unsafe_code)]

mod error;
mod validate;

use serde::{Deserialize, Serialize};

pub use error::{Ack, AckError, ErrorCode};

/// Event names, as they travel on the wire.
pub mod event {
    /// Client → server: post a message ([`super::SendMessage`], acked with [`super::SendAck`]).
    /// Server → clients in the room: a stored message ([`super::ChatMessage`]).
    /// The name is the classic Socket.IO tutorial's.
    pub const CHAT_MESSAGE: &str = "chat message";
    /// Client → server: subscribe to a room's live messages and fetch those after a `seq`
    /// ([`super::SyncRequest`], acked with [`super::PageAck`]).
    pub const SYNC: &str = "sync";
    /// Client → server: fetch older messages ([`super::HistoryRequest`], acked with
    /// [`super::PageAck`]).
    pub const HISTORY: &str = "history";
}

/// The room every deployment has; more can be created in the store.
pub const DEFAULT_ROOM: &str = "general";
/// Longest message body the server accepts, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Largest page a client may ask for.
pub const MAX_PAGE: u32 = 200;
/// Messages rendered into the first HTML response.
pub const SSR_MESSAGES: u32 = 50;

/// What a client sends to post a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub room: String,
    /// A UUID the client made (v7: time-ordered). Unique across all messages: a resend with
    /// the same id gets the original ack.
    pub client_id: String,
    pub body: String,
}

/// A stored message, as broadcast and as returned by sync and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub room: String,
    /// Position in the room: 1, 2, 3… without gaps.
    pub seq: u64,
    /// The store's row id.
    pub id: i64,
    pub client_id: String,
    pub body: String,
    /// Server time of acceptance, milliseconds since the Unix epoch.
    pub sent_at: i64,
}

/// The ack of a [`SendMessage`]: where the message was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub id: i64,
    pub seq: u64,
    pub sent_at: i64,
}

pub type SendAck = Ack<Sent>;

/// Subscribe to `room` and get what follows `after_seq` (0 for everything), oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    pub room: String,
    pub after_seq: u64,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Older messages: those before `before_seq`, newest `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryRequest {
    pub room: String,
    pub before_seq: u64,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A contiguous run of a room's messages, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub room: String,
    pub messages: Vec<ChatMessage>,
    /// More messages exist beyond this page in the direction asked (newer for sync, older for
    /// history).
    pub has_more: bool,
    /// The room's newest `seq` when the page was read.
    pub latest_seq: u64,
}

pub type PageAck = Ack<Page>;
