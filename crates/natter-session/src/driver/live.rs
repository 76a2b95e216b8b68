//! The driver's side of presence and typing: who is online, the shown room's members, and
//! "A is typing…".

use super::{Clock, Driver, Emit, Status, Storage, Waiting, Wake};
use crate::Failure;
use natter_contract::{
    ChatMessage, MAX_MEMBERS, Member, MessageKind, PresenceChange, RoomRequest, TYPING_TTL_MS,
    TypingSignal, User, event, typing_label,
};
use serde_json::Value;

impl<P: Emit + Storage + Clock> Driver<P> {
    /// The user typed in `room`'s composer: tell the room, at most once per
    /// [`natter_contract::TYPING_EVERY_MS`], volatile (a signal lost offline is worthless).
    pub fn typing(&mut self, room: &str) {
        if self.status != Status::Connected || self.session.timeline(room).is_none() {
            return;
        }
        if self.live.should_signal(room, self.io.now_ms()) {
            let request = RoomRequest {
                room: room.to_owned(),
            };
            let payload = serde_json::to_value(request).unwrap_or(Value::Null);
            self.io.signal(event::TYPING, payload);
        }
    }

    /// "A is typing…" for the shown room, or `None`.
    pub fn typing_label(&self) -> Option<String> {
        typing_label(&self.live.typing(&self.shown))
    }

    pub fn is_online(&self, user: i64) -> bool {
        self.live.is_online(user)
    }

    /// The shown room's members, by name (at most [`natter_contract::MAX_MEMBERS`]).
    pub fn members(&self) -> &[User] {
        &self.members
    }

    pub(super) fn on_presence(&mut self, change: &PresenceChange) {
        self.live.apply(change);
    }

    pub(super) fn on_typing(&mut self, signal: TypingSignal) {
        let Some(me) = self.session.me().map(|me| me.id) else {
            return;
        };
        if self.live.heard(signal, me, self.io.now_ms()).is_some() {
            // A little after the end, so the indicator is surely over when checked.
            self.io
                .wake_after(TYPING_TTL_MS.unsigned_abs() + 50, Wake::Typing);
        }
    }

    /// Asks for the shown room's members, once connected.
    pub(super) fn request_members(&mut self) {
        if self.status == Status::Connected && !self.shown.is_empty() {
            let room = self.shown.clone();
            let waiting = Waiting::Members(room.clone());
            self.request(event::MEMBERS, RoomRequest { room }, waiting);
        }
    }

    /// A join or leave line heard in the shown room changes its member list at once: the list
    /// is otherwise asked for only on connecting and on opening a room.
    pub(super) fn on_membership_line(&mut self, line: &ChatMessage) {
        if line.room != self.shown {
            return;
        }
        let who = &line.author;
        let listed = self.members.iter().any(|m| m.id == who.id);
        match line.kind {
            MessageKind::Joined if !listed && self.members.len() < MAX_MEMBERS as usize => {
                // The server orders by lowercase name; ASCII folding keeps Unicode's case
                // tables out of the wasm, and misplaces at most a non-ASCII name until reload.
                let key = who.name.to_ascii_lowercase();
                let at = self
                    .members
                    .partition_point(|m| m.name.to_ascii_lowercase() < key);
                self.members.insert(at, who.clone());
            }
            MessageKind::Left => self.members.retain(|m| m.id != who.id),
            _ => {}
        }
    }

    pub(super) fn on_members(&mut self, room: &str, reply: Result<Value, Failure>) {
        let Ok(members) = self.decode::<Vec<Member>>(reply) else {
            return;
        };
        for member in members.iter().filter(|m| m.online) {
            self.live.mark_online(member.user.id);
        }
        if room == self.shown {
            self.members = members.into_iter().map(|m| m.user).collect();
        }
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
