//! Who is here and who is typing: state that lives only while people are connected, and is
//! never stored.

use crate::User;
use serde::{Deserialize, Serialize};

/// How long a user stays online after their last tab disconnected, unless the server is told
/// otherwise: a reload or a network blip reconnects well within it, so nobody flaps.
pub const PRESENCE_GRACE_MS: u64 = 10_000;
/// A client sends at most one typing signal per this long while someone types.
pub const TYPING_EVERY_MS: i64 = 2_000;
/// A typing indicator with no new signal for this long goes away.
pub const TYPING_TTL_MS: i64 = 5_000;
/// The member list shows at most this many members of a room, by name.
pub const MAX_MEMBERS: u32 = 500;

/// Server → every tab: who came online and who went offline since the last change. Changes are
/// gathered and sent together, at most a few times a second, so that a whole node's clients
/// reconnecting at once cost each tab one event rather than one per user.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PresenceChange {
    pub online: Vec<i64>,
    pub offline: Vec<i64>,
}

/// Client → server (volatile, no ack needed): I am typing in `room`. Server → the room's
/// other members: `user` is typing there, or (`typing: false`) has stopped, because their last
/// tab disconnected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingSignal {
    pub room: String,
    pub user: User,
    pub typing: bool,
}

/// One member of a room, as the member list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user: User,
    pub online: bool,
}

/// "A is typing…", "A and B are typing…", "Several people are typing…"; `None` for nobody.
pub fn typing_label(names: &[&str]) -> Option<String> {
    match names {
        [] => None,
        [a] => Some(format!("{a} is typing…")),
        [a, b] => Some(format!("{a} and {b} are typing…")),
        _ => Some("Several people are typing…".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_labels() {
        assert_eq!(typing_label(&[]), None);
        assert_eq!(typing_label(&["ana"]).as_deref(), Some("ana is typing…"));
        assert_eq!(
            typing_label(&["ana", "bo"]).as_deref(),
            Some("ana and bo are typing…")
        );
        assert_eq!(
            typing_label(&["ana", "bo", "cy"]).as_deref(),
            Some("Several people are typing…")
        );
    }
}
