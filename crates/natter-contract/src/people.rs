//! Who writes, and where: users, rooms, membership and read markers, as they travel.

use serde::{Deserialize, Serialize};

/// A user as others see them: the stable id, and the name (which never changes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: String,
}

/// Public or a conversation between two users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    Public,
    Dm,
}

/// A public room in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub room: String,
    pub topic: String,
    pub members: u64,
}

/// One line of a user's sidebar: a room they are in, or a DM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    /// The room key: a public room's name, or `dm.<lo>.<hi>` ([`crate::dm_room`]).
    pub room: String,
    pub kind: RoomKind,
    /// For a DM, the other user (the user themself in a DM with themself).
    pub peer: Option<User>,
    pub topic: String,
    pub latest_seq: u64,
    /// The user's read marker: everything up to this seq has been seen.
    pub read_seq: u64,
    /// Messages by others after `read_seq`.
    pub unread: u64,
    /// Those of the `unread` that mention the user (`@name`), counted apart in the sidebar.
    #[serde(default)]
    pub mentions: u64,
}

/// Create a public room; the creator joins it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    pub room: String,
    #[serde(default)]
    pub topic: String,
}

/// Join or leave a public room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomRequest {
    pub room: String,
}

/// Open (or find) the DM with the user called `name`. The room appears in the sidebars with
/// its first message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenDm {
    pub name: String,
}

/// Client → server: the user has seen `room` up to `seq`. Server → the user's every tab: the
/// marker moved (markers only move forward).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadMarker {
    pub room: String,
    pub seq: u64,
}

/// Who this session belongs to, and where they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user: User,
    pub has_password: bool,
    pub rooms: Vec<Joined>,
    /// An administrator (`--admin`, or the first user) of a server that admits new names by
    /// invite: the page offers to make invite links.
    #[serde(default)]
    pub can_invite: bool,
}

/// An invite link an administrator made: joining through `path` claims a new name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// `/?invite=<token>`, to put after the site's address.
    pub path: String,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
    /// Good for one new account, else for any number until it expires.
    pub single_use: bool,
}
