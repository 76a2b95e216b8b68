//! The sidebar's side of the driver: live messages and read markers into unread counts,
//! rooms added and removed, and the read marker of the room in view.

use super::{Clock, Driver, Emit, Status, Storage, Waiting, alerts::calls_for};
use natter_contract::{ChatMessage, Joined, ReadMarker, ServerEvent, event};

impl<P: Emit + Storage + Clock> Driver<P> {
    pub(super) fn on_server_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::Message(message) => self.on_message(message),
            ServerEvent::Read(marker) => {
                // Another tab or device read it: this one agrees.
                let me = self.session.me();
                let counts = self.session.timeline(&marker.room).map(|t| {
                    let after = t.messages().filter(|m| m.seq > marker.seq);
                    let others: Vec<_> = after
                        .filter(|m| Some(m.author.id) != me.map(|me| me.id))
                        .collect();
                    let mentions = others
                        .iter()
                        .filter(|m| me.and_then(|me| calls_for(m, me)) == Some(false))
                        .count();
                    (others.len() as u64, mentions as u64)
                });
                let (unread, mentions) = counts.unwrap_or((0, 0));
                self.update_line(&marker.room, |line| {
                    if marker.seq >= line.read_seq {
                        line.read_seq = marker.seq;
                        line.unread = unread;
                        line.mentions = mentions;
                    }
                });
            }
            ServerEvent::RoomAdded(line) => {
                // A conversation someone just began: its first messages come by sync, not
                // live, and still call for the reader (`alerts.rs`).
                if natter_contract::dm_members(&line.room).is_some() {
                    self.new_dms.insert(line.room.clone());
                }
                self.add_room(line);
            }
            ServerEvent::RoomRemoved(request) => {
                self.rooms.retain(|r| r.room != request.room);
                self.session.forget(&request.room);
            }
            ServerEvent::Presence(change) => self.on_presence(&change),
            ServerEvent::Typing(signal) => self.on_typing(signal),
            ServerEvent::Beacon(beacon) => {
                let actions = self.session.on_beacon(&beacon.room, beacon.seq);
                self.perform(actions);
            }
        }
    }

    pub(super) fn on_message(&mut self, message: ChatMessage) {
        let mine = self
            .session
            .me()
            .is_some_and(|me| me.id == message.author.id);
        let seq = message.seq;
        // System lines ("ann joined") are not news to count.
        let counts = !mine && message.kind.is_message();
        let mentions_me = self
            .session
            .me()
            .is_some_and(|me| calls_for(&message, me) == Some(false));
        self.live.spoke(&message.room, message.author.id);
        self.on_membership_line(&message);
        self.alert_if_called(&message);
        self.update_line(&message.room, |line| {
            if seq > line.latest_seq && counts && seq > line.read_seq {
                line.unread += 1;
                line.mentions += u64::from(mentions_me);
            }
            line.latest_seq = line.latest_seq.max(seq);
        });
        let actions = self.session.on_message(message);
        self.perform(actions);
    }

    /// A sidebar line, new or updated; its room is followed from now on, so its messages count
    /// as unread while another room is shown.
    pub(super) fn add_room(&mut self, line: Joined) {
        let room = line.room.clone();
        match self.rooms.iter_mut().find(|r| r.room == line.room) {
            Some(existing) => *existing = line,
            None => self.rooms.push(line),
        }
        self.follow(&room);
    }

    pub(super) fn line(&self, room: &str) -> Option<&Joined> {
        self.rooms.iter().find(|r| r.room == room)
    }

    pub(super) fn update_line(&mut self, room: &str, f: impl FnOnce(&mut Joined)) {
        if let Some(line) = self.rooms.iter_mut().find(|r| r.room == room) {
            f(line);
        }
    }

    /// After every change: announce a finished catch-up, and move the read marker of the room
    /// in view while the window has focus.
    pub(super) fn settle_view(&mut self) {
        if let Some(n) = self.session.caught_up().filter(|_| self.was_away) {
            self.was_away = false;
            let plural = if n == 1 { "" } else { "s" };
            self.notice = Some(format!("back online · {n} new message{plural}"));
        }
        let room = self.shown.clone();
        let Some(seq) = self
            .session
            .timeline(&room)
            .and_then(|t| t.messages().last().map(|m| m.seq))
        else {
            return;
        };
        self.update_line(&room, |line| line.latest_seq = line.latest_seq.max(seq));
        let behind = self
            .line(&room)
            .is_some_and(|line| line.read_seq < seq || line.unread > 0 || line.mentions > 0);
        if !behind || !self.focused || self.status != Status::Connected {
            return;
        }
        self.update_line(&room, |line| {
            line.read_seq = seq;
            line.unread = 0;
            line.mentions = 0;
        });
        self.request(event::READ, ReadMarker { room, seq }, Waiting::Read);
    }
}
