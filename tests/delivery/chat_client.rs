//! A native chat client for tests: the browser's delivery logic ([`Session`]) driven over the
//! native Socket.IO client, so a test can run dozens of real clients against a real server.
//! Each client is a user of its own, signed in over HTTP as the join form does ([`join`]),
//! and sends its session token as the CONNECT auth, which Natter requires.

use futures::{StreamExt, channel::mpsc};
use natter_client::{EmitError, Event, Handle, Options, TransportKind, native};
use natter_contract::{
    Ack, ChatMessage, DEFAULT_ROOM, Page, PageAck, SendAck, Sent, SyncRooms, Synced, User, event,
};
use natter_session::{Action, Failure, Session};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

const ACK_TIMEOUT_MS: u64 = 3_000;

/// A user with a session.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    /// The `natter_session` cookie's value, sent here as the CONNECT auth `{"token": …}`.
    pub token: String,
}

/// Joins as a new user called `name` (POST `/api/join`, no password), as the join form does:
/// the user from the answer, the session token from its `Set-Cookie`.
pub async fn join(url: &str, name: &str) -> Member {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let response = http
        .post(format!("{url}/api/join"))
        .form(&[("name", name)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /api/join as {name}: {e}"));
    let status = response.status();
    let token = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.split(';').next()?.strip_prefix("natter_session="))
        .map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    let (Some(token), true) = (token, status.is_success()) else {
        panic!("joining as {name} set no session cookie: {status} {body}");
    };
    let me: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let user = serde_json::from_value(me["user"].clone()).unwrap_or_else(|e| panic!("{e}: {body}"));
    Member { user, token }
}

enum Done {
    Resume,
    Sync(String, Result<Page, Failure>),
    SyncRooms(SyncRooms, Result<Synced, Failure>),
    Send(String, Result<Sent, Failure>),
}

/// What the test asks of a client, in the order asked.
enum Input {
    /// Type `body` in the room.
    Say(String, String),
    /// Follow the room (it syncs from the start).
    Follow(String),
}

/// A running client; its session can be inspected at any time.
pub struct ChatClient {
    pub session: Arc<Mutex<Session>>,
    input: mpsc::UnboundedSender<Input>,
    handle: Handle,
}

impl ChatClient {
    /// Connect to `url` as `member` over `transports` (first = opened, rest = upgrades) and
    /// follow the default room.
    pub fn start(url: &str, member: &Member, transports: Vec<TransportKind>) -> ChatClient {
        let mut options = Options::new(url);
        options.namespaces = vec![("/".into(), Some(json!({ "token": member.token })))];
        options.config.engine.transports = transports;
        // Reconnect quickly: the restarts take about a second.
        options.config.backoff.min_ms = 200;
        options.config.backoff.max_ms = 1000;
        let (handle, events) = native::connect(options);
        // Only this user's own messages settle its outbox: resend keys are unique per author.
        let session = Arc::new(Mutex::new(Session::for_user(member.user.clone())));
        session.lock().unwrap().join(DEFAULT_ROOM, None);
        let (input, inputs) = mpsc::unbounded();
        tokio::spawn(drive(handle.clone(), session.clone(), events, inputs));
        ChatClient {
            session,
            input,
            handle,
        }
    }

    /// Type a message in `room`, which must be followed (it goes through the outbox like the
    /// browser's).
    pub fn say(&self, room: &str, body: String) {
        let _ = self.input.unbounded_send(Input::Say(room.to_owned(), body));
    }

    /// Follow `room` too, as the browser does on opening it; before any [`ChatClient::say`]
    /// in it, which waits behind this.
    pub fn follow(&self, room: &str) {
        let _ = self.input.unbounded_send(Input::Follow(room.to_owned()));
    }

    /// Emit `name` with `payload` and wait for the ack (create room, join room, open dm…).
    pub async fn request<R: DeserializeOwned>(
        &self,
        name: &str,
        payload: &Value,
    ) -> Result<R, Failure> {
        outcome(
            self.handle
                .emit_with_ack::<_, Ack<R>>(name, payload, ACK_TIMEOUT_MS)
                .await,
        )
    }

    /// The contiguous run of `room` this client holds.
    pub fn messages(&self, room: &str) -> Vec<ChatMessage> {
        let s = self.session.lock().unwrap();
        s.timeline(room)
            .map(|t| t.messages().cloned().collect())
            .unwrap_or_default()
    }

    /// The newest `seq` of `room` held with nothing missing before it (0 if not followed).
    pub fn synced(&self, room: &str) -> u64 {
        let s = self.session.lock().unwrap();
        s.timeline(room).map_or(0, |t| t.synced())
    }

    /// The rooms followed, by key.
    pub fn rooms(&self) -> Vec<String> {
        let s = self.session.lock().unwrap();
        s.rooms().map(str::to_owned).collect()
    }

    pub fn is_connected(&self) -> bool {
        self.session.lock().unwrap().is_connected()
    }

    pub fn outbox_len(&self) -> usize {
        self.session.lock().unwrap().outbox().len()
    }
}

impl Drop for ChatClient {
    fn drop(&mut self) {
        self.handle.close();
    }
}

async fn drive(
    handle: Handle,
    session: Arc<Mutex<Session>>,
    mut events: mpsc::UnboundedReceiver<Event>,
    mut inputs: mpsc::UnboundedReceiver<Input>,
) {
    let (done_tx, mut done) = mpsc::unbounded::<Done>();
    loop {
        let actions = tokio::select! {
            event = events.next() => {
                let Some(event) = event else { return };
                let mut s = session.lock().unwrap();
                match event {
                    Event::Connected { .. } => s.connected(),
                    Event::Disconnected { .. } => {
                        s.disconnected();
                        Vec::new()
                    }
                    Event::Event { name, args, .. } if name == event::CHAT_MESSAGE => {
                        match args.into_iter().next().map(serde_json::from_value::<ChatMessage>) {
                            Some(Ok(m)) => s.on_message(m),
                            _ => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                }
            }
            finished = done.next() => {
                let Some(finished) = finished else { return };
                let mut s = session.lock().unwrap();
                match finished {
                    Done::Resume => s.resume(),
                    Done::Sync(room, result) => s.on_sync(&room, result),
                    Done::SyncRooms(request, result) => s.on_sync_rooms(&request, result),
                    Done::Send(id, result) => s.on_send(&id, result),
                }
            }
            input = inputs.next() => {
                let Some(input) = input else { return };
                let mut s = session.lock().unwrap();
                match input {
                    Input::Say(room, body) => {
                        let id = uuid::Uuid::now_v7().to_string();
                        // Refused here, the message would be lost without a trace: say so.
                        s.compose(&room, id, body, 0)
                            .unwrap_or_else(|e| panic!("cannot say in {room}: {e:?}"))
                    }
                    Input::Follow(room) => s.join(&room, None),
                }
            }
        };
        for action in actions {
            perform(&handle, action, &done_tx);
        }
    }
}

fn perform(handle: &Handle, action: Action, done: &mpsc::UnboundedSender<Done>) {
    let (handle, done) = (handle.clone(), done.clone());
    match action {
        Action::Sync(request) => {
            tokio::spawn(async move {
                let room = request.room.clone();
                let result = outcome(
                    handle
                        .emit_with_ack::<_, PageAck>(event::SYNC, &request, ACK_TIMEOUT_MS)
                        .await,
                );
                let _ = done.unbounded_send(Done::Sync(room, result));
            });
        }
        Action::SyncRooms(request) => {
            tokio::spawn(async move {
                let ack = handle.emit_with_ack::<_, Ack<Synced>>(
                    event::SYNC_ROOMS,
                    &request,
                    ACK_TIMEOUT_MS,
                );
                let result = outcome(ack.await);
                let _ = done.unbounded_send(Done::SyncRooms(request, result));
            });
        }
        Action::Send(message) => {
            tokio::spawn(async move {
                let id = message.client_id.clone();
                let result = outcome(
                    handle
                        .emit_with_ack::<_, SendAck>(event::CHAT_MESSAGE, &message, ACK_TIMEOUT_MS)
                        .await,
                );
                let _ = done.unbounded_send(Done::Send(id, result));
            });
        }
        Action::ResumeAfter(ms) => {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                let _ = done.unbounded_send(Done::Resume);
            });
        }
        Action::History(_) | Action::SaveOutbox => {}
    }
}

fn outcome<T>(result: Result<Ack<T>, EmitError>) -> Result<T, Failure> {
    match result {
        Ok(Ack::Ok(value)) => Ok(value),
        Ok(Ack::Error(e)) => Err(Failure::Rejected(e)),
        Err(_) => Err(Failure::Lost),
    }
}

/// Wait until `ready` holds, checking every 50 ms, for at most `limit`.
pub async fn eventually(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if ready() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ready()
}
