//! The page's Socket.IO connection and delivery session as Leptos signals.
//!
//! Browser-only pieces (the client, storage, clock) come from [`super::browser`]; during SSR
//! they are inert, the signals keep their initial values and the event handling below is
//! unused, hence the `dead_code` allowance there.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use super::browser::{self, new_client_id, now_ms, storage};
use leptos::prelude::*;
use natter_client::{EmitError, Event, Handle};
use natter_contract::{Ack, AckError, ChatMessage, Page, PageAck, SendAck, event};
use natter_session::{Action, Failure, Outgoing, Session};
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

/// How long the server has to ack before a request counts as lost (and is retried).
const ACK_TIMEOUT_MS: u64 = 5_000;
/// localStorage key of the outbox.
const OUTBOX_KEY: &str = "natter.outbox";

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
    pub room: StoredValue<String>,
    pub status: RwSignal<Status>,
    /// `websocket` or `polling` once a transport is open.
    pub transport: RwSignal<Option<&'static str>>,
    /// The room's stored messages; `None` until the session has taken over from the
    /// server-rendered snapshot.
    pub messages: RwSignal<Option<Vec<ChatMessage>>>,
    /// Typed but not yet stored: pending or failed.
    pub pending: RwSignal<Vec<Outgoing>>,
    pub has_older: RwSignal<bool>,
    /// A passing remark, e.g. "back online · 3 new messages".
    pub notice: RwSignal<Option<String>>,
    /// The last request that failed, in words.
    pub error: RwSignal<Option<String>>,
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
            room: StoredValue::new(room.to_owned()),
            status: RwSignal::new(Status::Connecting),
            transport: RwSignal::new(None),
            messages: RwSignal::new(None),
            pending: RwSignal::new(Vec::new()),
            has_older: RwSignal::new(false),
            notice: RwSignal::new(None),
            error: RwSignal::new(None),
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

    /// Queue a message; `false` (with `error` set) when it was refused before sending.
    pub fn send(self, body: String) -> bool {
        let room = self.room.get_value();
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
        let room = self.room.get_value();
        self.with_session(|s| s.load_older(&room));
    }

    /// Copy what the UI shows out of the session.
    fn refresh(self) {
        let session = self.session.get_value();
        let s = session.lock().unwrap_or_else(|e| e.into_inner());
        let room = self.room.get_value();
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
    }

    fn on_event(self, event: Event) {
        match event {
            Event::Transport(t) => self.transport.set(Some(t.name())),
            Event::Connected { .. } => {
                self.status.set(Status::Connected);
                self.with_session(Session::connected);
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
                self.error.set(Some(message));
            }
            Event::Event { name, args, .. } if name == event::CHAT_MESSAGE => {
                // Anything not matching the contract is dropped, never rendered half-parsed.
                if let Some(Ok(message)) = args
                    .into_iter()
                    .next()
                    .map(serde_json::from_value::<ChatMessage>)
                {
                    self.with_session(|s| s.on_message(message));
                }
            }
            _ => {}
        }
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
                    self.request::<_, PageAck>(event::SYNC, request, move |conn, result| {
                        conn.with_session(|s| s.on_sync(&room, result))
                    });
                }
                Action::History(request) => {
                    let room = request.room.clone();
                    self.request::<_, PageAck>(
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
                    self.request::<_, SendAck>(
                        event::CHAT_MESSAGE,
                        message,
                        move |conn, result| conn.with_session(|s| s.on_send(&client_id, result)),
                    );
                }
            }
        }
    }

    /// Emit `payload` with an ack and hand the outcome to `done`.
    fn request<P, A>(
        self,
        name: &'static str,
        payload: P,
        done: impl FnOnce(Self, Result<A::Ok, Failure>) -> Vec<Action> + 'static,
    ) where
        P: serde::Serialize + 'static,
        A: AckPayload + 'static,
    {
        let Some(handle) = self.handle.get_value() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let result = match handle
                .emit_with_ack::<P, A>(name, &payload, ACK_TIMEOUT_MS)
                .await
            {
                Ok(ack) => ack.into_result().map_err(Failure::Rejected),
                Err(EmitError::Ack(_) | EmitError::Stopped | EmitError::Serde(_)) => {
                    Err(Failure::Lost)
                }
            };
            // Every refusal is shown: an unknown room, a range, an id, a store that failed.
            if let Err(Failure::Rejected(e)) = &result {
                self.error.set(Some(e.message.clone()));
            }
            let actions = done(self, result);
            self.perform(actions);
            self.refresh();
        });
    }

    fn save_outbox(self) {
        let mut outbox = self
            .session
            .get_value()
            .lock()
            .map(|s| s.outbox())
            .unwrap_or_default();
        // Keep what other tabs (or rooms) stored. If one of those was delivered meanwhile,
        // sending it again later is harmless: the server answers a known id with its ack.
        let stored: Vec<Outgoing> = storage::load(OUTBOX_KEY).unwrap_or_default();
        self.ours.with_value(|ours| {
            outbox.extend(stored.into_iter().filter(|o| !ours.contains(&o.client_id)));
        });
        storage::save(OUTBOX_KEY, &outbox);
    }
}

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

/// An ack type that is `Ok(T)` or an error.
trait AckPayload: serde::de::DeserializeOwned {
    type Ok;
    fn into_result(self) -> Result<Self::Ok, AckError>;
}

impl<T: serde::de::DeserializeOwned> AckPayload for Ack<T> {
    type Ok = T;
    fn into_result(self) -> Result<T, AckError> {
        match self {
            Ack::Ok(value) => Ok(value),
            Ack::Error(e) => Err(e),
        }
    }
}

/// Start the session from the server-rendered snapshot and connect. Browser only.
pub fn start(conn: Connection, snapshot: Option<Page>) {
    let room = conn.room.get_value();
    let outbox: Vec<Outgoing> = storage::load(OUTBOX_KEY).unwrap_or_default();
    let outbox: Vec<Outgoing> = outbox.into_iter().filter(|o| o.room == room).collect();
    conn.ours
        .set_value(outbox.iter().map(|o| o.client_id.clone()).collect());
    conn.with_session(|s| {
        s.restore_outbox(outbox);
        s.join(&room, snapshot.as_ref())
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
