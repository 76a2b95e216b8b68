//! Natter's client-side delivery logic, with no I/O: the browser app and the native test
//! clients drive the same [`Session`].
//!
//! - **Server → client, no loss, no duplicate:** each room's [`Timeline`] holds messages by
//!   `seq`; a hole (or a reconnect) produces a [`Action::Sync`] for what follows the last
//!   contiguous `seq`, and a message already held is dropped.
//! - **Client → server, exactly once:** a message typed is put in the outbox with a fresh
//!   `client_id` and sent with an ack, one at a time, in order. It stays in the outbox until
//!   acked (the caller persists the outbox on [`Action::SaveOutbox`]), is resent after a
//!   timeout or a reconnect, and the server's `UNIQUE(client_id)` turns resends into the
//!   original ack.
//! - **One driver:** [`Driver`] carries out the actions over three small traits (emit, storage,
//!   time) and keeps the sidebar's unread counts; the browser and the test clients only
//!   implement those traits.
#![forbid(unsafe_code)]

pub mod driver;
mod gaps;
mod live;
mod outbox;
mod timeline;

pub use driver::{
    Alert, Clock, Done, Driver, Emit, MemoryStorage, Status, Storage, Ticket, Wake, calls_for,
};
pub use gaps::GAP_WAIT_MS;
pub use outbox::{Outgoing, OutgoingState};
pub use timeline::Timeline;

use gaps::Gaps;
use natter_contract::{
    AckError, ChatMessage, Cursor, ErrorCode, HistoryRequest, Page, SendMessage, Sent, SyncRequest,
    SyncRooms, Synced, User,
};
use outbox::Outbox;
use std::collections::{BTreeMap, BTreeSet};

/// What the caller must do for the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Emit SYNC with an ack; report with [`Session::on_sync`].
    Sync(SyncRequest),
    /// Emit SYNC ROOMS with an ack (after every connect: all rooms in one request); report
    /// with [`Session::on_sync_rooms`], handing the request back.
    SyncRooms(SyncRooms),
    /// Emit the message with an ack; report with [`Session::on_send`].
    Send(SendMessage),
    /// Emit HISTORY with an ack; report with [`Session::on_history`].
    History(HistoryRequest),
    /// The outbox changed: persist [`Session::outbox`].
    SaveOutbox,
    /// The server could not store a message just now: call [`Session::resume`] after this
    /// many milliseconds, rather than hammering a locked or full database.
    ResumeAfter(u64),
    /// A room has a hole in its live stream, or is behind a beacon: call
    /// [`Session::check_gaps`] after this many milliseconds (see `gaps.rs`).
    CheckGapsAfter(u64),
}

/// How long to wait before resending after the server said it could not store a message.
pub const RESEND_DELAY_MS: u64 = 2_000;

/// How a request ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with an error.
    Rejected(AckError),
    /// No answer: ack timeout or disconnect. The request may or may not have been handled.
    Lost,
}

#[derive(Debug, Default)]
pub struct Session {
    /// Whose session this is: the author of what the outbox sends. Resend keys are unique per
    /// author, so only this user's messages settle outbox entries.
    me: Option<User>,
    rooms: BTreeMap<String, Timeline>,
    outbox: Outbox,
    connected: bool,
    /// Rooms with a SYNC in flight: a second one would fetch the same page twice.
    syncing: BTreeSet<String>,
    /// Rooms with a HISTORY request in flight.
    loading_older: BTreeSet<String>,
    /// Messages that arrived through sync since the last reconnect, for "back online (N new)".
    caught_up: Option<usize>,
    /// Sending waits for [`Session::resume`] after the store refused a write.
    paused: bool,
    /// Holes waiting to be synced, unless they fill first.
    gaps: Gaps,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// A session for `user`, whose outbox it sends.
    pub fn for_user(user: User) -> Session {
        Session {
            me: Some(user),
            ..Session::default()
        }
    }

    pub fn me(&self) -> Option<&User> {
        self.me.as_ref()
    }

    /// Stops following `room` (left, or removed by the server).
    pub fn forget(&mut self, room: &str) {
        self.rooms.remove(room);
        self.syncing.remove(room);
        self.loading_older.remove(room);
        self.gaps.forget(room);
    }

    /// The rooms followed, by key.
    pub fn rooms(&self) -> impl Iterator<Item = &str> {
        self.rooms.keys().map(String::as_str)
    }

    /// Follow `room`, starting from a snapshot of its newest messages if there is one.
    pub fn join(&mut self, room: &str, snapshot: Option<&Page>) -> Vec<Action> {
        let timeline = snapshot.map(Timeline::from_page).unwrap_or_default();
        self.rooms.insert(room.to_owned(), timeline);
        if self.connected {
            self.sync(room)
        } else {
            Vec::new()
        }
    }

    /// Messages typed in an earlier page life that were never acked.
    pub fn restore_outbox(&mut self, items: Vec<Outgoing>) {
        self.outbox.restore(items);
    }

    /// After every connect and reconnect: catch up on each room, resend the outbox head.
    pub fn connected(&mut self) -> Vec<Action> {
        self.connected = true;
        self.syncing.clear();
        self.loading_older.clear();
        self.caught_up = Some(0);
        // One request for every room, whatever their number: the server answers only for the
        // rooms with something new.
        let rooms: Vec<Cursor> = self
            .rooms
            .iter()
            .map(|(room, timeline)| Cursor {
                room: room.clone(),
                after_seq: timeline.synced(),
            })
            .collect();
        self.syncing.extend(rooms.iter().map(|c| c.room.clone()));
        let mut actions = Vec::new();
        if !rooms.is_empty() {
            actions.push(Action::SyncRooms(SyncRooms { rooms }));
        }
        self.paused = false;
        actions.extend(self.next_send());
        actions
    }

    pub fn disconnected(&mut self) {
        self.connected = false;
        // The count starts again with the next connect's catch-up.
        self.caught_up = None;
        self.outbox.requeue_in_flight();
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Queue a message typed by the user; `client_id` is a fresh UUID (v7) from the caller.
    pub fn compose(
        &mut self,
        room: &str,
        client_id: String,
        body: String,
        now_ms: i64,
    ) -> Result<Vec<Action>, ErrorCode> {
        let message = SendMessage {
            room: room.to_owned(),
            client_id,
            body,
        };
        message.validate()?;
        if !self.rooms.contains_key(room) {
            return Err(ErrorCode::UnknownRoom);
        }
        self.outbox.push(message, now_ms);
        let mut actions = vec![Action::SaveOutbox];
        actions.extend(self.next_send());
        Ok(actions)
    }

    /// Put a failed message back in line.
    pub fn retry(&mut self, client_id: &str) -> Vec<Action> {
        self.outbox.retry(client_id);
        let mut actions = vec![Action::SaveOutbox];
        actions.extend(self.next_send());
        actions
    }

    /// Drop a failed message for good.
    pub fn discard(&mut self, client_id: &str) -> Vec<Action> {
        self.outbox.remove(client_id);
        vec![Action::SaveOutbox]
    }

    /// A live message from the server.
    pub fn on_message(&mut self, message: ChatMessage) -> Vec<Action> {
        let room = message.room.clone();
        let mut actions = self.settle(&message);
        let Some(timeline) = self.rooms.get_mut(&room) else {
            return actions;
        };
        timeline.insert(message);
        if timeline.has_gap() {
            actions.extend(self.notice_gap(&room));
        }
        actions
    }

    pub fn on_sync(&mut self, room: &str, result: Result<Page, Failure>) -> Vec<Action> {
        self.syncing.remove(room);
        let page = match result {
            Ok(page) => page,
            // Lost: the next connect syncs again. Rejected: nothing to retry.
            Err(_) => return Vec::new(),
        };
        let mut actions = Vec::new();
        for message in page.messages {
            actions.extend(self.settle(&message));
            let news = message.kind.is_message();
            if let Some(timeline) = self.rooms.get_mut(room)
                && timeline.insert(message)
                && news
                && let Some(n) = self.caught_up.as_mut()
            {
                *n += 1;
            }
        }
        let gap = self
            .rooms
            .get(room)
            .is_some_and(|t| t.has_gap() || page.latest_seq > t.synced());
        if page.has_more || gap {
            actions.extend(self.sync(room));
        }
        actions
    }

    /// The answer to [`Action::SyncRooms`]: pages for the rooms with news; the rooms in neither
    /// list are up to date; a refused room is no longer followed (left, say, in another tab).
    pub fn on_sync_rooms(
        &mut self,
        request: &SyncRooms,
        result: Result<Synced, Failure>,
    ) -> Vec<Action> {
        for cursor in &request.rooms {
            self.syncing.remove(&cursor.room);
        }
        let Ok(synced) = result else {
            // Lost: the next connect asks again. Rejected as a whole: nothing to retry.
            return Vec::new();
        };
        let mut actions = Vec::new();
        for page in synced.pages {
            let room = page.room.clone();
            if request.rooms.iter().any(|c| c.room == room) {
                self.syncing.insert(room.clone());
                actions.extend(self.on_sync(&room, Ok(page)));
            }
        }
        for refused in synced.refused {
            if matches!(refused.code, ErrorCode::Forbidden | ErrorCode::UnknownRoom) {
                self.forget(&refused.room);
            }
        }
        actions
    }

    pub fn on_send(&mut self, client_id: &str, result: Result<Sent, Failure>) -> Vec<Action> {
        let mut actions = Vec::new();
        match result {
            Ok(sent) => {
                if let Some(out) = self.outbox.get(client_id) {
                    // The broadcast normally comes first; if this client is not subscribed it
                    // never comes, and the ack has all it takes to place the message.
                    let message = ChatMessage {
                        room: out.room.clone(),
                        seq: sent.seq,
                        id: sent.id,
                        author: self.me.clone().unwrap_or(User {
                            id: 0,
                            name: String::new(),
                        }),
                        client_id: out.client_id.clone(),
                        body: out.body.clone(),
                        sent_at: sent.sent_at,
                        kind: natter_contract::MessageKind::Message,
                        target: None,
                        revision: None,
                        markup: sent.markup,
                    };
                    actions.extend(self.on_message(message));
                }
            }
            Err(Failure::Rejected(error)) if !error.code.is_transient() => {
                self.outbox.fail(client_id, error);
                actions.push(Action::SaveOutbox);
            }
            Err(Failure::Rejected(error)) => {
                // Not stored (locked, disk full, over the rate): keep it, and try again when
                // the server said, or a little later.
                self.outbox.requeue(client_id);
                self.paused = true;
                let wait = error.retry_after_ms.unwrap_or(RESEND_DELAY_MS);
                return vec![Action::ResumeAfter(wait)];
            }
            // Lost: the same id goes again, and the server answers a copy it already stored
            // with the original ack.
            Err(Failure::Lost) => self.outbox.requeue(client_id),
        }
        actions.extend(self.next_send());
        actions
    }

    /// Resend after [`Action::ResumeAfter`].
    pub fn resume(&mut self) -> Vec<Action> {
        self.paused = false;
        self.next_send()
    }

    fn next_send(&mut self) -> Vec<Action> {
        if self.connected && !self.paused {
            self.outbox.next_send().into_iter().collect()
        } else {
            Vec::new()
        }
    }

    /// Ask for the page before the oldest message held in `room`.
    pub fn load_older(&mut self, room: &str) -> Vec<Action> {
        let Some(timeline) = self.rooms.get(room) else {
            return Vec::new();
        };
        let Some(before_seq) = timeline.oldest() else {
            return Vec::new();
        };
        if !self.connected || !timeline.has_older() || !self.loading_older.insert(room.to_owned()) {
            return Vec::new();
        }
        vec![Action::History(HistoryRequest {
            room: room.to_owned(),
            before_seq,
            limit: Some(natter_contract::SSR_MESSAGES),
        })]
    }

    pub fn on_history(&mut self, room: &str, result: Result<Page, Failure>) {
        self.loading_older.remove(room);
        if let (Ok(page), Some(timeline)) = (result, self.rooms.get_mut(room)) {
            timeline.prepend(&page);
        }
    }

    pub fn timeline(&self, room: &str) -> Option<&Timeline> {
        self.rooms.get(room)
    }

    /// Messages of `room` not yet acked, in send order.
    pub fn pending(&self, room: &str) -> impl Iterator<Item = &Outgoing> {
        self.outbox.iter().filter(move |o| o.room == room)
    }

    pub fn outbox(&self) -> Vec<Outgoing> {
        self.outbox.iter().cloned().collect()
    }

    /// After a reconnect, once every room has caught up: how many messages it brought.
    pub fn caught_up(&self) -> Option<usize> {
        self.caught_up.filter(|_| self.syncing.is_empty())
    }

    fn sync(&mut self, room: &str) -> Vec<Action> {
        let Some(timeline) = self.rooms.get(room) else {
            return Vec::new();
        };
        if !self.connected || !self.syncing.insert(room.to_owned()) {
            return Vec::new();
        }
        vec![Action::Sync(SyncRequest {
            room: room.to_owned(),
            after_seq: timeline.synced(),
            limit: None,
        })]
    }

    /// A message of ours reached the store: it leaves the outbox.
    fn settle(&mut self, message: &ChatMessage) -> Vec<Action> {
        let ours = self.me.as_ref().is_none_or(|me| me.id == message.author.id);
        if ours && self.outbox.remove(&message.client_id) {
            vec![Action::SaveOutbox]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests;
