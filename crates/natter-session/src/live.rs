//! Who is online and who is typing, as one page sees it; sans-IO, the time passed in.

//!
//! Plain vectors throughout: a page holds a handful of typers and rooms, and every new map type
//! would cost the wasm bundle several kilobytes for nothing.

use natter_contract::{PresenceChange, TYPING_EVERY_MS, TYPING_TTL_MS, TypingSignal, User};

#[derive(Debug, Default)]
pub struct Live {
    /// Sorted user ids.
    online: Vec<i64>,
    /// Who is typing where (in the order they started), and until when.
    typers: Vec<Typer>,
    /// When this page last told the server it was typing, per room.
    signalled: Vec<(String, i64)>,
}

#[derive(Debug)]
struct Typer {
    room: String,
    user: User,
    until: i64,
}

impl Live {
    /// Everyone online, as the server listed them after a connect.
    pub fn set_online(&mut self, users: Vec<i64>) {
        self.online = users;
        self.online.sort_unstable();
        self.online.dedup();
    }

    pub fn mark_online(&mut self, user: i64) {
        if let Err(at) = self.online.binary_search(&user) {
            self.online.insert(at, user);
        }
    }

    pub fn apply(&mut self, change: &PresenceChange) {
        for user in &change.online {
            self.mark_online(*user);
        }
        for user in &change.offline {
            if let Ok(at) = self.online.binary_search(user) {
                self.online.remove(at);
            }
        }
    }

    pub fn is_online(&self, user: i64) -> bool {
        self.online.binary_search(&user).is_ok()
    }

    /// A typing signal from the server; one's own (from another tab) is ignored. Returns when
    /// the indicator ends unless renewed, for a wake-up then.
    pub fn heard(&mut self, signal: TypingSignal, me: i64, now: i64) -> Option<i64> {
        if signal.user.id == me {
            return None;
        }
        if !signal.typing {
            self.spoke(&signal.room, signal.user.id);
            return None;
        }
        let until = now + TYPING_TTL_MS;
        let mut known = self.typers.iter_mut();
        match known.find(|t| t.room == signal.room && t.user.id == signal.user.id) {
            Some(typer) => typer.until = until,
            None => self.typers.push(Typer {
                room: signal.room,
                user: signal.user,
                until,
            }),
        }
        Some(until)
    }

    /// `user` sent a message in `room` (or stopped): they are no longer typing there.
    pub fn spoke(&mut self, room: &str, user: i64) {
        self.typers.retain(|t| t.room != room || t.user.id != user);
    }

    /// This page lost its connection: what it knew of typing is stale.
    pub fn disconnected(&mut self) {
        self.typers.clear();
        self.signalled.clear();
    }

    /// Ends the indicators not renewed by `now`.
    pub fn expire(&mut self, now: i64) {
        self.typers.retain(|t| t.until > now);
    }

    /// Who is typing in `room`, first starter first.
    pub fn typing(&self, room: &str) -> Vec<&str> {
        let here = self.typers.iter().filter(|t| t.room == room);
        here.map(|t| t.user.name.as_str()).collect()
    }

    /// Whether a keystroke in `room` at `now` should be signalled: at most once per
    /// [`TYPING_EVERY_MS`] per room.
    pub fn should_signal(&mut self, room: &str, now: i64) -> bool {
        match self.signalled.iter_mut().find(|(r, _)| r == room) {
            Some((_, last)) if now - *last < TYPING_EVERY_MS => false,
            Some((_, last)) => {
                *last = now;
                true
            }
            None => {
                self.signalled.push((room.to_owned(), now));
                true
            }
        }
    }

    /// The message was sent: the next keystroke signals again at once.
    pub fn sent(&mut self, room: &str) {
        self.signalled.retain(|(r, _)| r != room);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, name: &str) -> User {
        User {
            id,
            name: name.into(),
        }
    }

    fn typing(room: &str, id: i64, name: &str, typing: bool) -> TypingSignal {
        TypingSignal {
            room: room.into(),
            user: user(id, name),
            typing,
        }
    }

    #[test]
    fn an_indicator_lasts_five_seconds_from_the_last_signal() {
        let mut live = Live::default();
        assert_eq!(
            live.heard(typing("general", 2, "bo", true), 1, 0),
            Some(5_000)
        );
        assert_eq!(
            live.heard(typing("general", 2, "bo", true), 1, 2_000),
            Some(7_000)
        );
        live.expire(6_999);
        assert_eq!(live.typing("general"), vec!["bo"]);
        live.expire(7_000);
        assert!(live.typing("general").is_empty());
    }

    #[test]
    fn ones_own_typing_is_never_shown() {
        let mut live = Live::default();
        assert_eq!(live.heard(typing("general", 1, "ana", true), 1, 0), None);
        assert!(live.typing("general").is_empty());
    }

    #[test]
    fn sending_stopping_and_disconnecting_end_an_indicator() {
        let mut live = Live::default();
        live.heard(typing("general", 2, "bo", true), 1, 0);
        live.heard(typing("general", 3, "cy", true), 1, 0);
        live.heard(typing("design", 2, "bo", true), 1, 0);
        assert_eq!(live.typing("general"), vec!["bo", "cy"]);
        live.spoke("general", 2);
        assert_eq!(live.typing("general"), vec!["cy"]);
        assert_eq!(live.typing("design"), vec!["bo"], "other rooms are apart");
        live.heard(typing("general", 3, "cy", false), 1, 10);
        assert!(live.typing("general").is_empty());
        live.disconnected();
        assert!(live.typing("design").is_empty());
    }

    #[test]
    fn a_page_signals_at_most_once_per_two_seconds_per_room() {
        let mut live = Live::default();
        assert!(live.should_signal("general", 0));
        assert!(!live.should_signal("general", 1_999));
        assert!(live.should_signal("design", 1_000));
        assert!(live.should_signal("general", 2_000));
        live.sent("general");
        assert!(
            live.should_signal("general", 2_001),
            "a new message starts over"
        );
    }

    #[test]
    fn presence_follows_the_list_then_the_changes() {
        let mut live = Live::default();
        live.set_online(vec![2, 1]);
        live.apply(&PresenceChange {
            online: vec![3],
            offline: vec![1],
        });
        assert!(!live.is_online(1));
        assert!(live.is_online(2) && live.is_online(3));
    }
}
