//! The one driver of a [`Session`], shared by the browser page and the native test clients.
//!
//! It turns the session's [`Action`]s into requests, decodes their acks, runs the resend timer,
//! keeps the sidebar (rooms, unread counts, read markers) and merges the stored outbox across
//! tabs. It does no I/O itself: the platform emits, stores and keeps time behind three small
//! traits, and reports back with [`Driver::on_event`], [`Driver::on_reply`] and
//! [`Driver::on_wake`]. The browser copies what the driver holds into signals after each call.

use crate::{Action, Failure, Session, live::Live};
use natter_contract::{
    Ack, AckError, CreateRoom, ErrorCode, Joined, Me, Page, RoomInfo, RoomRequest, Sent,
    ServerEvent, SyncRooms, Synced, User, event,
};
use natter_protocol::client::ClientEvent;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

mod alerts;
mod edits;
mod live;
mod platform;
mod sidebar;

pub use alerts::{ALERT_TEXT_CHARS, Alert, calls_for};
pub use platform::{ACK_TIMEOUT_MS, Clock, Emit, MemoryStorage, Storage, Ticket, Wake};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Connected,
    Reconnecting,
    Offline,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Connected => "connected",
            Status::Reconnecting => "reconnecting",
            Status::Offline => "offline",
        }
    }
}

/// A request the caller asked for settled: what the UI may want to follow up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The room (by key) was created, and is followed.
    Created(String),
    Left(String),
}

/// What an ack in flight answers.
#[derive(Debug)]
enum Waiting {
    Sync(String),
    SyncRooms(SyncRooms),
    History(String),
    Send(String),
    Read,
    Directory,
    Sidebar,
    Create,
    Leave(String),
    Online,
    Members(String),
    /// An edit or a delete.
    Change,
}

/// localStorage key of a user's outbox: per user, so a browser shared by two people never
/// sends one's unsent messages as the other.
fn outbox_key(user_id: i64) -> String {
    format!("natter.outbox.{user_id}")
}

pub struct Driver<P> {
    io: P,
    session: Session,
    status: Status,
    transport: Option<&'static str>,
    /// The room shown, or "" for none.
    shown: String,
    focused: bool,
    /// The sidebar: rooms and DMs with their unread counts and read markers.
    rooms: Vec<Joined>,
    /// The public rooms, for the directory.
    directory: Vec<RoomInfo>,
    /// Where the shown room's unread part began when it was opened ("New messages").
    unread_from: Option<u64>,
    /// A passing remark, e.g. "back online · 3 new messages".
    notice: Option<String>,
    /// The last request that failed, in words.
    error: Option<String>,
    /// The server refused the session.
    signed_out: bool,
    /// Set by a disconnect, so the next catch-up is announced.
    was_away: bool,
    /// Every `client_id` this page has had in its outbox. Other tabs share the stored outbox;
    /// what is not ours is kept when we save, so closing one tab never drops another's
    /// unsent message.
    ours: HashSet<String>,
    /// Presence and typing.
    live: Live,
    /// The shown room's members, by name.
    members: Vec<User>,
    /// DMs and mentions heard live, for the page to notify of (`take_alerts`).
    alerts: Vec<alerts::Alert>,
    /// DMs added while this page ran, whose first sync brings news that calls for the reader.
    new_dms: HashSet<String>,
    next_ticket: Ticket,
    waiting: HashMap<Ticket, Waiting>,
}

impl<P: Emit + Storage + Clock> Driver<P> {
    /// The session of `me`, showing `shown` (a room and its server-rendered snapshot) if the
    /// user may see it, restoring the stored outbox and following every room of the sidebar.
    pub fn start(io: P, me: Me, shown: Option<(String, Page)>) -> Driver<P> {
        let outbox = io.load(&outbox_key(me.user.id)).unwrap_or_default();
        let (room, snapshot) = match shown {
            Some((room, page)) => (room, Some(page)),
            None => (String::new(), None),
        };
        let unread_from = me
            .rooms
            .iter()
            .find(|line| line.room == room && line.unread > 0)
            .map(|line| line.read_seq);
        let mut driver = Driver {
            io,
            session: Session::for_user(me.user),
            status: Status::Connecting,
            transport: None,
            shown: room.clone(),
            focused: false,
            rooms: Vec::new(),
            directory: Vec::new(),
            unread_from,
            notice: None,
            error: None,
            signed_out: false,
            was_away: false,
            ours: outbox.iter().map(|o| o.client_id.clone()).collect(),
            live: Live::default(),
            members: Vec::new(),
            alerts: Vec::new(),
            new_dms: HashSet::new(),
            next_ticket: 0,
            waiting: HashMap::new(),
        };
        driver.session.restore_outbox(outbox);
        if snapshot.is_some() {
            driver.session.join(&room, snapshot.as_ref());
        }
        for line in me.rooms {
            driver.add_room(line);
        }
        driver
    }

    pub fn session(&self) -> &Session {
        &self.session
    }
    pub fn status(&self) -> Status {
        self.status
    }
    pub fn transport(&self) -> Option<&'static str> {
        self.transport
    }
    pub fn shown(&self) -> &str {
        &self.shown
    }
    pub fn rooms(&self) -> &[Joined] {
        &self.rooms
    }
    pub fn directory(&self) -> &[RoomInfo] {
        &self.directory
    }
    pub fn unread_from(&self) -> Option<u64> {
        self.unread_from
    }
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    pub fn signed_out(&self) -> bool {
        self.signed_out
    }
    /// The platform, e.g. for a test to inspect what was stored.
    pub fn io(&self) -> &P {
        &self.io
    }

    /// Shows `room` (following it from `snapshot` if it is new to the session).
    pub fn show(&mut self, room: &str, snapshot: Option<&Page>) {
        self.unread_from = self
            .line(room)
            .filter(|line| line.unread > 0)
            .map(|line| line.read_seq);
        if self.shown != room {
            self.shown = room.to_owned();
            self.members.clear();
            self.request_members();
        }
        if self.session.timeline(room).is_none() {
            let actions = self.session.join(room, snapshot);
            self.perform(actions);
        }
        self.settle_view();
    }

    /// Follow `room` (as opening it would) without showing it.
    pub fn follow(&mut self, room: &str) {
        if self.session.timeline(room).is_none() {
            let actions = self.session.join(room, None);
            self.perform(actions);
        }
    }

    /// Whether the window has focus: only then does what it shows count as read.
    /// Unchanged, it does nothing: the browser reports focus before every call, and the call
    /// itself settles the view.
    pub fn set_focused(&mut self, focused: bool) {
        if self.focused != focused {
            self.focused = focused;
            self.settle_view();
        }
    }

    /// Queue a message in `room`; refused before sending (too long, room not followed…) with
    /// the code, which is also kept as [`Driver::error`].
    pub fn send(&mut self, room: &str, body: String) -> Result<(), ErrorCode> {
        let client_id = self.new_client_id();
        self.ours.insert(client_id.clone());
        let now = self.io.now_ms();
        match self.session.compose(room, client_id, body, now) {
            Ok(actions) => {
                self.error = None;
                self.live.sent(room);
                self.perform(actions);
                self.settle_view();
                Ok(())
            }
            Err(code) => {
                self.error = Some(code.describe().to_owned());
                Err(code)
            }
        }
    }

    pub fn retry(&mut self, client_id: &str) {
        let actions = self.session.retry(client_id);
        self.perform(actions);
    }

    pub fn discard(&mut self, client_id: &str) {
        let actions = self.session.discard(client_id);
        self.perform(actions);
    }

    pub fn load_older(&mut self, room: &str) {
        let actions = self.session.load_older(room);
        self.perform(actions);
    }

    /// Creates a public room; [`Done::Created`] comes with its ack.
    pub fn create_room(&mut self, room: String, topic: String) -> Ticket {
        self.request(
            event::CREATE_ROOM,
            CreateRoom { room, topic },
            Waiting::Create,
        )
    }

    /// Leaves a public room (every tab hears `room removed`); [`Done::Left`] comes with its ack.
    pub fn leave_room(&mut self, room: String) -> Ticket {
        let waiting = Waiting::Leave(room.clone());
        self.request(event::LEAVE_ROOM, RoomRequest { room }, waiting)
    }

    /// What the Socket.IO client reported.
    pub fn on_event(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Transport(t) => self.transport = Some(t.name()),
            ClientEvent::Connected { .. } => {
                self.status = Status::Connected;
                let actions = self.session.connected();
                self.perform(actions);
                // The unread counts may have moved while away, and rooms may have been made.
                self.request(event::ROOMS, (), Waiting::Directory);
                self.request(event::SIDEBAR, (), Waiting::Sidebar);
                self.request(event::ONLINE, (), Waiting::Online);
                self.request_members();
            }
            ClientEvent::Disconnected { .. } | ClientEvent::Reconnecting { .. } => {
                if self.status != Status::Offline {
                    self.status = Status::Reconnecting;
                }
                self.notice = None;
                self.was_away = true;
                self.session.disconnected();
                self.live.disconnected();
            }
            ClientEvent::ReconnectFailed => self.status = Status::Offline,
            ClientEvent::ConnectError { message, .. } => {
                self.status = Status::Offline;
                if message == "unauthorized" {
                    self.signed_out = true;
                } else {
                    // A refusal the contract names (`too_many_sessions`) is said in words.
                    let code = serde_json::from_value::<ErrorCode>(Value::String(message.clone()));
                    self.error = Some(code.map_or(message, |code| code.describe().to_owned()));
                }
            }
            ClientEvent::Event { name, args, .. } => {
                // Anything not matching the contract is dropped, never rendered half-parsed.
                if let Some(event) = ServerEvent::decode(&name, args.into_iter().next()) {
                    self.on_server_event(event);
                }
            }
            // Acks go to their emitter; a failed upgrade leaves the session on polling.
            ClientEvent::Ack { .. }
            | ClientEvent::BinaryAck { .. }
            | ClientEvent::UpgradeFailed(_) => {}
        }
        self.settle_view();
    }

    /// The outcome of the request `ticket`.
    pub fn on_reply(&mut self, ticket: Ticket, reply: Result<Value, Failure>) -> Option<Done> {
        let waiting = self.waiting.remove(&ticket)?;
        let mut done = None;
        match waiting {
            Waiting::Sync(room) => {
                let result = self.decode::<Page>(reply);
                if self.new_dms.remove(&room)
                    && let Ok(page) = &result
                {
                    page.messages.iter().for_each(|m| self.alert_if_called(m));
                }
                let actions = self.session.on_sync(&room, result);
                self.perform(actions);
            }
            Waiting::SyncRooms(request) => {
                let result = self.decode::<Synced>(reply);
                let actions = self.session.on_sync_rooms(&request, result);
                self.perform(actions);
            }
            Waiting::History(room) => {
                let result = self.decode(reply);
                self.session.on_history(&room, result);
            }
            Waiting::Send(client_id) => {
                let result = self.decode::<Sent>(reply);
                if let Ok(sent) = &result {
                    self.warn_of_unknown_mentions(sent);
                }
                let actions = self.session.on_send(&client_id, result);
                self.perform(actions);
            }
            Waiting::Read => drop(self.decode::<u64>(reply)),
            Waiting::Directory => {
                if let Ok(rooms) = self.decode(reply) {
                    self.directory = rooms;
                }
            }
            Waiting::Sidebar => {
                if let Ok(rooms) = self.decode::<Vec<Joined>>(reply) {
                    for line in rooms {
                        self.add_room(line);
                    }
                }
            }
            Waiting::Create => {
                if let Ok(line) = self.decode::<Joined>(reply) {
                    done = Some(Done::Created(line.room.clone()));
                    self.add_room(line);
                }
            }
            Waiting::Leave(room) => {
                if self.decode::<()>(reply).is_ok() {
                    done = Some(Done::Left(room));
                }
            }
            Waiting::Online => {
                if let Ok(users) = self.decode::<Vec<i64>>(reply) {
                    self.live.set_online(users);
                }
            }
            Waiting::Members(room) => self.on_members(&room, reply),
            Waiting::Change => self.on_change(reply),
        }
        self.settle_view();
        done
    }

    /// The wake-up asked for through [`Clock::wake_after`].
    pub fn on_wake(&mut self, wake: Wake) {
        match wake {
            Wake::Resend => {
                let actions = self.session.resume();
                self.perform(actions);
            }
            Wake::Typing => self.live.expire(self.io.now_ms()),
            Wake::Gaps => {
                let actions = self.session.check_gaps();
                self.perform(actions);
            }
        }
        self.settle_view();
    }

    fn perform(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::SaveOutbox => self.save_outbox(),
                Action::ResumeAfter(ms) => self.io.wake_after(ms, Wake::Resend),
                Action::CheckGapsAfter(ms) => self.io.wake_after(ms, Wake::Gaps),
                Action::Sync(request) => {
                    let waiting = Waiting::Sync(request.room.clone());
                    self.request(event::SYNC, request, waiting);
                }
                Action::SyncRooms(request) => {
                    let waiting = Waiting::SyncRooms(request.clone());
                    self.request(event::SYNC_ROOMS, request, waiting);
                }
                Action::History(request) => {
                    let waiting = Waiting::History(request.room.clone());
                    self.request(event::HISTORY, request, waiting);
                }
                Action::Send(message) => {
                    let waiting = Waiting::Send(message.client_id.clone());
                    self.request(event::CHAT_MESSAGE, message, waiting);
                }
            }
        }
    }

    fn request(
        &mut self,
        name: &'static str,
        payload: impl serde::Serialize,
        w: Waiting,
    ) -> Ticket {
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        // The contract's types always serialise; `null` would be refused by the server.
        let payload = serde_json::to_value(payload).unwrap_or(Value::Null);
        self.waiting.insert(ticket, w);
        self.io.emit(ticket, name, payload);
        ticket
    }

    /// The ack's payload as `T`; every refusal is shown (an unknown room, a range, an id, a
    /// store that failed).
    fn decode<T: serde::de::DeserializeOwned>(
        &mut self,
        reply: Result<Value, Failure>,
    ) -> Result<T, Failure> {
        let result = reply.and_then(|value| match serde_json::from_value::<Ack<T>>(value) {
            Ok(ack) => ack.into_result().map_err(Failure::Rejected),
            Err(_) => Err(Failure::Lost),
        });
        if let Err(Failure::Rejected(AckError { message, .. })) = &result {
            self.error = Some(message.clone());
        }
        result
    }

    fn save_outbox(&mut self) {
        let Some(key) = self.session.me().map(|me| outbox_key(me.id)) else {
            return;
        };
        let mut outbox = self.session.outbox();
        // Keep what other tabs (or rooms) stored. If one of those was delivered meanwhile,
        // sending it again later is harmless: the server answers a known id with its ack.
        let stored = self.io.load(&key).unwrap_or_default();
        outbox.extend(
            stored
                .into_iter()
                .filter(|o| !self.ours.contains(&o.client_id)),
        );
        self.io.save(&key, &outbox);
    }

    /// A UUID v7 on the driver's clock: the time keeps ids roughly ordered, the random bits
    /// unique.
    fn new_client_id(&self) -> String {
        let ms = u64::try_from(self.io.now_ms()).unwrap_or(0);
        let ts =
            uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, (ms % 1000) as u32 * 1_000_000);
        uuid::Uuid::new_v7(ts).to_string()
    }
}
#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
