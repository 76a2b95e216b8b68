//! The page's Socket.IO connection and delivery session as Leptos signals.
//!
//! Browser-only pieces (the client, storage, clock) come from [`super::browser`]; during SSR
//! they are inert, the signals keep their initial values and the event handling below is
//! unused, hence the `dead_code` allowance there.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use super::browser::{self, new_client_id, now_ms, storage};
use leptos::prelude::*;
use natter_client::{EmitError, Event, Handle};
use natter_contract::{
    Ack, AckError, ChatMessage, CreateRoom, Joined, Me, Page, ReadMarker, RoomInfo, ServerEvent,
    User, event,
};
use natter_session::{Action, Failure, Outgoing, Session};
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

/// How long the server has to ack before a request counts as lost (and is retried).
const ACK_TIMEOUT_MS: u64 = 5_000;

/// localStorage key of a user's outbox: per user, so a browser shared by two people never
/// sends one's unsent messages as the other.
fn outbox_key(user: &User) -> String {
    format!("natter.outbox.{}", user.id)
}

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

#[derive(Clone, Copy)]
pub struct Connection {
    /// The room shown.
    pub room: RwSignal<String>,
    pub status: RwSignal<Status>,
    /// `websocket` or `polling` once a transport is open.
    pub transport: RwSignal<Option<&'static str>>,
    /// The shown room's stored messages; `None` until the session has taken over from the
    /// server-rendered snapshot.
    pub messages: RwSignal<Option<Vec<ChatMessage>>>,
    /// Typed but not yet stored: pending or failed.
    pub pending: RwSignal<Vec<Outgoing>>,
    pub has_older: RwSignal<bool>,
    /// The sidebar: rooms and DMs with their unread counts; `None` until the session starts.
    pub rooms: RwSignal<Option<Vec<Joined>>>,
    /// The public rooms, for the directory.
    pub directory: RwSignal<Vec<RoomInfo>>,
    /// Where the shown room's unread part began when it was opened ("New messages").
    pub unread_from: RwSignal<Option<u64>>,
    /// A passing remark, e.g. "back online · 3 new messages".
    pub notice: RwSignal<Option<String>>,
    /// The last request that failed, in words.
    pub error: RwSignal<Option<String>>,
    /// The server refused the session: the page goes back to the join form.
    pub signed_out: RwSignal<bool>,
    session: StoredValue<Arc<Mutex<Session>>>,
    handle: StoredValue<Option<Handle>>,
    /// Set by a disconnect, so the next catch-up is announced.
    was_away: StoredValue<bool>,
    /// Every `client_id` this page has had in its outbox. Other tabs share the stored outbox;
    /// what is not ours is kept when we save, so closing one tab never drops another's
    /// unsent message.
    ours: StoredValue<HashSet<String>>,
}

impl Connection {
    pub fn new(room: &str) -> Self {
        Connection {
            room: RwSignal::new(room.to_owned()),
            status: RwSignal::new(Status::Connecting),
            transport: RwSignal::new(None),
            messages: RwSignal::new(None),
            pending: RwSignal::new(Vec::new()),
            has_older: RwSignal::new(false),
            rooms: RwSignal::new(None),
            directory: RwSignal::new(Vec::new()),
            unread_from: RwSignal::new(None),
            notice: RwSignal::new(None),
            error: RwSignal::new(None),
            signed_out: RwSignal::new(false),
            session: StoredValue::new(Arc::new(Mutex::new(Session::new()))),
            handle: StoredValue::new(None),
            was_away: StoredValue::new(false),
            ours: StoredValue::new(HashSet::new()),
        }
    }

    /// Run `f` on the session, then carry out what it asks and refresh the signals.
    fn with_session<R>(self, f: impl FnOnce(&mut Session) -> R) -> R
    where
        R: IntoActions,
    {
        let session = self.session.get_value();
        let result = {
            let mut s = session.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut s)
        };
        self.perform(result.actions());
        self.refresh();
        result
    }

    fn me(self) -> Option<User> {
        let session = self.session.get_value();
        let s = session.lock().unwrap_or_else(|e| e.into_inner());
        s.me().cloned()
    }

    /// Shows `room` (following it from `snapshot` if it is new to the session).
    pub fn show(self, room: String, snapshot: Option<Page>) {
        let unread_from = self.line(&room).map(|line| line.read_seq);
        self.unread_from
            .set(unread_from.filter(|_| self.unread(&room) > 0));
        self.room.set(room.clone());
        self.messages.set(None);
        self.with_session(|s| {
            if s.timeline(&room).is_some() {
                Vec::new()
            } else {
                s.join(&room, snapshot.as_ref())
            }
        });
    }

    /// Queue a message; `false` (with `error` set) when it was refused before sending.
    pub fn send(self, body: String) -> bool {
        let room = self.room.get_untracked();
        let client_id = new_client_id();
        self.ours.update_value(|ours| {
            ours.insert(client_id.clone());
        });
        let result = self.with_session(|s| s.compose(&room, client_id, body, now_ms()));
        match result {
            Ok(_) => {
                self.error.set(None);
                true
            }
            Err(code) => {
                self.error.set(Some(code.describe().to_owned()));
                false
            }
        }
    }

    pub fn retry(self, client_id: String) {
        self.with_session(|s| s.retry(&client_id));
    }

    pub fn discard(self, client_id: String) {
        self.with_session(|s| s.discard(&client_id));
    }

    pub fn load_older(self) {
        let room = self.room.get_untracked();
        self.with_session(|s| s.load_older(&room));
    }

    /// Leaves a public room (every tab hears `room removed`); `done` runs once it is left.
    pub fn leave_room(self, room: String, done: impl FnOnce() + 'static) {
        let request = natter_contract::RoomRequest { room };
        self.request::<_, ()>(event::LEAVE_ROOM, request, move |_, result| {
            if result.is_ok() {
                done();
            }
            Vec::new()
        });
    }

    /// Creates a public room; `done` gets its key once the server has made it.
    pub fn create_room(self, room: String, topic: String, done: impl FnOnce(String) + 'static) {
        let request = CreateRoom { room, topic };
        self.request::<_, Joined>(event::CREATE_ROOM, request, move |conn, result| {
            if let Ok(line) = result {
                conn.add_room(line.clone());
                done(line.room);
            }
            Vec::new()
        });
    }

    /// The sidebar line of `room`.
    fn line(self, room: &str) -> Option<Joined> {
        self.rooms
            .with_untracked(|rooms| rooms.as_ref()?.iter().find(|r| r.room == room).cloned())
    }

    fn unread(self, room: &str) -> u64 {
        self.line(room).map_or(0, |line| line.unread)
    }

    fn add_room(self, line: Joined) {
        let room = line.room.clone();
        self.rooms.update(|rooms| {
            let rooms = rooms.get_or_insert_with(Vec::new);
            match rooms.iter_mut().find(|r| r.room == line.room) {
                Some(existing) => *existing = line,
                None => rooms.push(line),
            }
        });
        // Followed from now on: its messages count as unread while another room is shown.
        self.with_session(|s| {
            if s.timeline(&room).is_some() {
                Vec::new()
            } else {
                s.join(&room, None)
            }
        });
    }

    fn update_line(self, room: &str, f: impl FnOnce(&mut Joined)) {
        self.rooms.update(|rooms| {
            if let Some(line) = rooms
                .as_mut()
                .and_then(|rooms| rooms.iter_mut().find(|r| r.room == room))
            {
                f(line);
            }
        });
    }

    /// Copy what the UI shows out of the session, and move the read marker of the room in
    /// view.
    fn refresh(self) {
        let session = self.session.get_value();
        let s = session.lock().unwrap_or_else(|e| e.into_inner());
        let room = self.room.get_untracked();
        if let Some(timeline) = s.timeline(&room) {
            let messages: Vec<ChatMessage> = timeline.messages().cloned().collect();
            if self
                .messages
                .with_untracked(|m| m.as_ref() != Some(&messages))
            {
                self.messages.set(Some(messages));
            }
            self.has_older.set(timeline.has_older());
        }
        let pending: Vec<Outgoing> = s.pending(&room).cloned().collect();
        if self.pending.with_untracked(|p| *p != pending) {
            self.pending.set(pending);
        }
        if let Some(n) = s.caught_up().filter(|_| self.was_away.get_value()) {
            self.was_away.set_value(false);
            let plural = if n == 1 { "" } else { "s" };
            self.notice
                .set(Some(format!("back online · {n} new message{plural}")));
        }
        let newest = s
            .timeline(&room)
            .and_then(|t| t.messages().last().map(|m| m.seq));
        drop(s);
        if let Some(seq) = newest {
            self.update_line(&room, |line| line.latest_seq = line.latest_seq.max(seq));
            self.mark_read(&room, seq);
        }
    }

    /// Tells the server the user has seen `room` up to `seq`, while the window has focus.
    fn mark_read(self, room: &str, seq: u64) {
        let behind = self
            .line(room)
            .is_some_and(|line| line.read_seq < seq || line.unread > 0);
        if !behind || !browser::has_focus() || self.status.get_untracked() != Status::Connected {
            return;
        }
        self.update_line(room, |line| {
            line.read_seq = seq;
            line.unread = 0;
        });
        let marker = ReadMarker {
            room: room.to_owned(),
            seq,
        };
        self.request::<_, u64>(event::READ, marker, |_, _| Vec::new());
    }

    /// The window got focus back: what is shown is now seen.
    pub fn focused(self) {
        self.refresh();
    }

    fn on_server_event(self, event: ServerEvent) {
        match event {
            ServerEvent::Message(message) => {
                let room = message.room.clone();
                let mine = self.me().is_some_and(|me| me.id == message.author.id);
                let seq = message.seq;
                let shown = room == self.room.get_untracked();
                self.update_line(&room, |line| {
                    if seq > line.latest_seq && !mine && seq > line.read_seq {
                        line.unread += 1;
                    }
                    line.latest_seq = line.latest_seq.max(seq);
                });
                self.with_session(|s| s.on_message(message));
                if shown {
                    self.refresh();
                }
            }
            ServerEvent::Read(marker) => {
                // Another tab or device read it: this one agrees.
                let unread = {
                    let session = self.session.get_value();
                    let s = session.lock().unwrap_or_else(|e| e.into_inner());
                    let me = s.me().map(|me| me.id);
                    s.timeline(&marker.room).map(|t| {
                        let after = t.messages().filter(|m| m.seq > marker.seq);
                        after.filter(|m| Some(m.author.id) != me).count() as u64
                    })
                };
                self.update_line(&marker.room, |line| {
                    if marker.seq >= line.read_seq {
                        line.read_seq = marker.seq;
                        line.unread = unread.unwrap_or(0);
                    }
                });
            }
            ServerEvent::RoomAdded(line) => self.add_room(line),
            ServerEvent::RoomRemoved(request) => {
                self.rooms.update(|rooms| {
                    if let Some(rooms) = rooms {
                        rooms.retain(|r| r.room != request.room);
                    }
                });
                self.with_session(|s| s.forget(&request.room));
            }
        }
    }

    fn on_event(self, event: Event) {
        match event {
            Event::Transport(t) => self.transport.set(Some(t.name())),
            Event::Connected { .. } => {
                self.status.set(Status::Connected);
                self.with_session(Session::connected);
                self.reload_sidebar();
            }
            Event::Disconnected { .. } | Event::Reconnecting { .. } => {
                if self.status.get_untracked() != Status::Offline {
                    self.status.set(Status::Reconnecting);
                }
                self.notice.set(None);
                self.was_away.set_value(true);
                self.with_session(Session::disconnected);
            }
            Event::ReconnectFailed => self.status.set(Status::Offline),
            Event::ConnectError { message, .. } => {
                self.status.set(Status::Offline);
                if message == "unauthorized" {
                    self.signed_out.set(true);
                } else {
                    self.error.set(Some(message));
                }
            }
            Event::Event { name, args, .. } => {
                // Anything not matching the contract is dropped, never rendered half-parsed.
                if let Some(event) = ServerEvent::decode(&name, args.into_iter().next()) {
                    self.on_server_event(event);
                }
            }
            _ => {}
        }
    }

    /// After each (re)connect: the unread counts may have moved while away, and rooms may have
    /// been created.
    fn reload_sidebar(self) {
        self.request::<_, Vec<RoomInfo>>(event::ROOMS, (), |conn, result| {
            if let Ok(rooms) = result {
                conn.directory.set(rooms);
            }
            Vec::new()
        });
        self.request::<_, Vec<Joined>>(event::SIDEBAR, (), |conn, result| {
            if let Ok(rooms) = result {
                for line in rooms {
                    conn.add_room(line);
                }
            }
            Vec::new()
        });
    }

    fn perform(self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::SaveOutbox => self.save_outbox(),
                Action::ResumeAfter(ms) => {
                    set_timeout(
                        move || {
                            self.with_session(Session::resume);
                        },
                        std::time::Duration::from_millis(ms),
                    );
                }
                Action::Sync(request) => {
                    let room = request.room.clone();
                    self.request::<_, Page>(event::SYNC, request, move |conn, result| {
                        conn.with_session(|s| s.on_sync(&room, result))
                    });
                }
                Action::SyncRooms(request) => {
                    let sent = request.clone();
                    self.request::<_, natter_contract::Synced>(
                        event::SYNC_ROOMS,
                        request,
                        move |conn, result| conn.with_session(|s| s.on_sync_rooms(&sent, result)),
                    );
                }
                Action::History(request) => {
                    let room = request.room.clone();
                    self.request::<_, Page>(
                        event::HISTORY,
                        request,
                        move |conn, result: Result<Page, Failure>| {
                            conn.with_session(|s| s.on_history(&room, result));
                            Vec::new()
                        },
                    );
                }
                Action::Send(message) => {
                    let client_id = message.client_id.clone();
                    self.request::<_, natter_contract::Sent>(
                        event::CHAT_MESSAGE,
                        message,
                        move |conn, result| conn.with_session(|s| s.on_send(&client_id, result)),
                    );
                }
            }
        }
    }

    /// Emit `payload` with an ack and hand the outcome to `done`.
    fn request<P, T>(
        self,
        name: &'static str,
        payload: P,
        done: impl FnOnce(Self, Result<T, Failure>) -> Vec<Action> + 'static,
    ) where
        P: serde::Serialize,
        T: serde::de::DeserializeOwned + 'static,
    {
        let Ok(payload) = serde_json::to_value(payload) else {
            return;
        };
        let done = move |conn: Self, reply: Result<serde_json::Value, Failure>| {
            let result = reply.and_then(|value| match serde_json::from_value::<Ack<T>>(value) {
                Ok(ack) => ack.into_result().map_err(Failure::Rejected),
                Err(_) => Err(Failure::Lost),
            });
            // Every refusal is shown: an unknown room, a range, an id, a store that failed.
            if let Err(Failure::Rejected(AckError { message, .. })) = &result {
                conn.error.set(Some(message.clone()));
            }
            done(conn, result)
        };
        self.request_json(name, payload, Box::new(done));
    }

    /// The one copy of the emit-and-wait future: JSON in, JSON out. Kept apart from the typed
    /// wrapper above because every instance of an async block costs the page's wasm weight.
    fn request_json(self, name: &'static str, payload: serde_json::Value, done: JsonDone) {
        let Some(handle) = self.handle.get_value() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let reply = handle
                .emit_with_ack::<serde_json::Value, serde_json::Value>(
                    name,
                    &payload,
                    ACK_TIMEOUT_MS,
                )
                .await
                .map_err(|_: EmitError| Failure::Lost);
            let actions = done(self, reply);
            self.perform(actions);
            self.refresh();
        });
    }

    fn save_outbox(self) {
        let Some(me) = self.me() else { return };
        let mut outbox = self
            .session
            .get_value()
            .lock()
            .map(|s| s.outbox())
            .unwrap_or_default();
        // Keep what other tabs (or rooms) stored. If one of those was delivered meanwhile,
        // sending it again later is harmless: the server answers a known id with its ack.
        let key = outbox_key(&me);
        let stored: Vec<Outgoing> = storage::load(&key).unwrap_or_default();
        self.ours.with_value(|ours| {
            outbox.extend(stored.into_iter().filter(|o| !ours.contains(&o.client_id)));
        });
        storage::save(&key, &outbox);
    }
}

/// What [`Connection::request_json`] calls with the ack's payload.
type JsonDone = Box<dyn FnOnce(Connection, Result<serde_json::Value, Failure>) -> Vec<Action>>;

/// Session calls return either actions or a result carrying them.
trait IntoActions {
    fn actions(&self) -> Vec<Action>;
}

impl IntoActions for Vec<Action> {
    fn actions(&self) -> Vec<Action> {
        self.clone()
    }
}

impl IntoActions for () {
    fn actions(&self) -> Vec<Action> {
        Vec::new()
    }
}

impl<E> IntoActions for Result<Vec<Action>, E> {
    fn actions(&self) -> Vec<Action> {
        self.as_ref().ok().cloned().unwrap_or_default()
    }
}

/// Whether [`start`] has run.
pub fn started(conn: Connection) -> bool {
    conn.rooms.with_untracked(Option::is_some)
}

/// Start the session for `me`, showing `shown` (a room and its server-rendered snapshot) if the
/// user may see it, and connect. Browser only.
pub fn start(conn: Connection, me: Me, shown: Option<(String, Page)>) {
    let (room, snapshot) = match shown {
        Some((room, page)) => (room, Some(page)),
        None => (String::new(), None),
    };
    conn.room.set(room.clone());
    let key = outbox_key(&me.user);
    let outbox: Vec<Outgoing> = storage::load(&key).unwrap_or_default();
    conn.ours
        .set_value(outbox.iter().map(|o| o.client_id.clone()).collect());
    conn.session
        .set_value(Arc::new(Mutex::new(Session::for_user(me.user.clone()))));
    let unread_from = me
        .rooms
        .iter()
        .find(|line| line.room == room && line.unread > 0)
        .map(|line| line.read_seq);
    conn.unread_from.set(unread_from);
    conn.rooms.set(Some(me.rooms.clone()));
    conn.with_session(|s| {
        s.restore_outbox(outbox);
        let mut actions = Vec::new();
        if snapshot.is_some() {
            actions.extend(s.join(&room, snapshot.as_ref()));
        }
        for line in &me.rooms {
            if line.room != room {
                actions.extend(s.join(&line.room, None));
            }
        }
        actions
    });
    if let Some((handle, mut events)) = browser::connect() {
        conn.handle.set_value(Some(handle));
        leptos::task::spawn_local(async move {
            use futures::StreamExt;
            while let Some(event) = events.next().await {
                conn.on_event(event);
            }
        });
    }
}
