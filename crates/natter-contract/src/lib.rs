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

mod edit;
mod error;
mod live;
mod names;
mod people;
mod validate;

pub use natter_markup::{Block, Inline, markup};
pub use validate::{JsonObject, room_name};

use serde::{Deserialize, Serialize};

pub use edit::{DeleteMessage, EditMessage, Revision};
pub use error::{Ack, AckError, ErrorCode};
pub use live::*;
pub use names::*;
pub use people::{
    CreateRoom, Invite, Joined, Me, OpenDm, ReadMarker, RoomInfo, RoomKind, RoomRequest, User,
};

/// Event names, as they travel on the wire.
pub mod event {
    /// Client → server: post a message ([`super::SendMessage`], acked with [`super::SendAck`]).
    /// Server → clients in the room: a stored message ([`super::ChatMessage`]).
    /// The name is the classic Socket.IO tutorial's.
    pub const CHAT_MESSAGE: &str = "chat message";
    /// Client → server: change one's own message ([`super::EditMessage`], acked with
    /// [`super::SendAck`]: where the edit was stored). The room hears the edit as a
    /// [`CHAT_MESSAGE`] of kind `edit`.
    pub const EDIT_MESSAGE: &str = "edit message";
    /// Client → server: [`super::DeleteMessage`], acked and heard like [`EDIT_MESSAGE`].
    pub const DELETE_MESSAGE: &str = "delete message";
    /// Client → server: subscribe to a room's live messages and fetch those after a `seq`
    /// ([`super::SyncRequest`], acked with [`super::PageAck`]).
    pub const SYNC: &str = "sync";
    /// Client → server: catch up on many rooms at once after a (re)connect ([`super::SyncRooms`],
    /// acked with `Ack<`[`super::Synced`]`>`): subscribes to each, and answers only for the
    /// rooms that have something new.
    pub const SYNC_ROOMS: &str = "sync rooms";
    /// Client → server: fetch older messages ([`super::HistoryRequest`], acked with
    /// [`super::PageAck`]).
    pub const HISTORY: &str = "history";
    /// Client → server: the public rooms ([`super::RoomInfo`]s, acked as `Ack<Vec<RoomInfo>>`).
    pub const ROOMS: &str = "rooms";
    /// Client → server: the user's rooms and DMs with unread counts (`Ack<Vec<Joined>>`).
    pub const SIDEBAR: &str = "sidebar";
    /// Client → server: [`super::CreateRoom`], acked with `Ack<Joined>`.
    pub const CREATE_ROOM: &str = "create room";
    /// Client → server: [`super::RoomRequest`], acked with `Ack<Joined>`.
    pub const JOIN_ROOM: &str = "join room";
    /// Client → server: [`super::RoomRequest`], acked with `Ack<()>`.
    pub const LEAVE_ROOM: &str = "leave room";
    /// Client → server: [`super::OpenDm`], acked with `Ack<Joined>` (the DM, perhaps empty).
    pub const OPEN_DM: &str = "open dm";
    /// Client → server and server → the user's tabs: [`super::ReadMarker`].
    pub const READ: &str = "read";
    /// Server → the user's tabs: a room joined or a DM begun ([`super::Joined`]).
    pub const ROOM_ADDED: &str = "room added";
    /// Server → the user's tabs: a room left ([`super::RoomRequest`]).
    pub const ROOM_REMOVED: &str = "room removed";
    /// Server → every tab: [`super::PresenceChange`].
    pub const PRESENCE: &str = "presence";
    /// Client → server: who is online now (acked as `Ack<Vec<i64>>`, user ids).
    pub const ONLINE: &str = "online";
    /// Client → server: a room's members ([`super::RoomRequest`], acked as
    /// `Ack<Vec<Member>>`, at most [`super::MAX_MEMBERS`], by name).
    pub const MEMBERS: &str = "members";
    /// Client → server, volatile: [`super::RoomRequest`], "I am typing". Server → the room:
    /// [`super::TypingSignal`].
    pub const TYPING: &str = "typing";
    /// Server → a room's sockets, every heartbeat interval: [`super::Beacon`], the room's
    /// latest `seq`. A message a node stored but never broadcast (it died in between, or its
    /// broadcast was lost on the way to another node) is found by it within one interval.
    pub const BEACON: &str = "beacon";
}

/// What the server pushes, decoded in one place from an event's name and first argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    Message(ChatMessage),
    Read(ReadMarker),
    RoomAdded(Joined),
    RoomRemoved(RoomRequest),
    Presence(PresenceChange),
    Typing(TypingSignal),
    Beacon(Beacon),
}

impl ServerEvent {
    /// `None` for an event this contract does not define, or a payload that does not match it:
    /// such input is dropped, never acted on half-parsed.
    pub fn decode(name: &str, payload: Option<serde_json::Value>) -> Option<ServerEvent> {
        fn parse<T: serde::de::DeserializeOwned>(payload: Option<serde_json::Value>) -> Option<T> {
            serde_json::from_value(payload?).ok()
        }
        match name {
            event::CHAT_MESSAGE => parse(payload).map(ServerEvent::Message),
            event::READ => parse(payload).map(ServerEvent::Read),
            event::ROOM_ADDED => parse(payload).map(ServerEvent::RoomAdded),
            event::ROOM_REMOVED => parse(payload).map(ServerEvent::RoomRemoved),
            event::PRESENCE => parse(payload).map(ServerEvent::Presence),
            event::TYPING => parse(payload).map(ServerEvent::Typing),
            event::BEACON => parse(payload).map(ServerEvent::Beacon),
            _ => None,
        }
    }

    /// The event name it travels under.
    pub fn name(&self) -> &'static str {
        match self {
            ServerEvent::Message(_) => event::CHAT_MESSAGE,
            ServerEvent::Read(_) => event::READ,
            ServerEvent::RoomAdded(_) => event::ROOM_ADDED,
            ServerEvent::RoomRemoved(_) => event::ROOM_REMOVED,
            ServerEvent::Presence(_) => event::PRESENCE,
            ServerEvent::Typing(_) => event::TYPING,
            ServerEvent::Beacon(_) => event::BEACON,
        }
    }
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
    /// A UUID the client made (v7: time-ordered), unique among the author's messages: a
    /// resend with the same id gets the original ack. The author is the session's user.
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
    pub author: User,
    /// The author's id for this message; unique per author.
    pub client_id: String,
    pub body: String,
    /// Server time of acceptance, milliseconds since the Unix epoch.
    pub sent_at: i64,
    /// A message, or a system line about its author; left out on the wire for a message.
    #[serde(default, skip_serializing_if = "MessageKind::is_message")]
    pub kind: MessageKind,
    /// For an edit or a delete: the `seq` of the message it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<u64>,
    /// For a message: the latest edit or delete its body reflects; `None` if never changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<Revision>,
    /// The body's Markdown tree (`natter_markup::markup`), made by the server; `None`, and
    /// left out on the wire, when the body is plain text. Derived from `body`, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markup: Option<Vec<natter_markup::Block>>,
}

/// What a line of a room's history is. System lines are stored and numbered like messages, so
/// they come in order with them, through sync and history alike; their body is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    #[default]
    Message,
    /// The author joined the room.
    Joined,
    /// The author left the room.
    Left,
    /// The author changed the body of message `target` to this row's body.
    Edit,
    /// The author deleted message `target`.
    Delete,
}

impl MessageKind {
    pub fn is_message(&self) -> bool {
        *self == MessageKind::Message
    }

    /// The name stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Message => "message",
            MessageKind::Joined => "joined",
            MessageKind::Left => "left",
            MessageKind::Edit => "edit",
            MessageKind::Delete => "delete",
        }
    }

    /// From the `kind` column; an unknown value reads as a message.
    pub fn from_stored(kind: &str) -> MessageKind {
        match kind {
            "joined" => MessageKind::Joined,
            "left" => MessageKind::Left,
            "edit" => MessageKind::Edit,
            "delete" => MessageKind::Delete,
            _ => MessageKind::Message,
        }
    }
}

/// The ack of a [`SendMessage`]: where the message was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub id: i64,
    pub seq: u64,
    pub sent_at: i64,
    /// The stored message's `markup`, for a client that places it from the ack alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markup: Option<Vec<natter_markup::Block>>,
    /// The `@name`s in the body that name nobody in the room: stored all the same (they may
    /// be plain words), but nobody was notified, and the sender is told so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_mentions: Vec<String>,
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

/// Most rooms one [`SyncRooms`] may name.
pub const MAX_SYNC_ROOMS: usize = 500;

/// Where a client is in one room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    pub room: String,
    pub after_seq: u64,
}

/// Server → a room's sockets, each heartbeat interval: the newest `seq` stored in `room`. A
/// client that holds less syncs (after the same short wait as for a gap in the live stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beacon {
    pub room: String,
    pub seq: u64,
}

/// Subscribe to every room named and get what follows each cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRooms {
    pub rooms: Vec<Cursor>,
}

/// The answer to [`SyncRooms`]: a page (at most [`MAX_PAGE`], `has_more` says if there is more)
/// for each room with messages after its cursor, and the rooms refused. A room in neither is
/// up to date.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Synced {
    pub pages: Vec<Page>,
    pub refused: Vec<Refused>,
}

/// One room of a [`SyncRooms`] the server would not answer for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    pub room: String,
    pub code: ErrorCode,
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
