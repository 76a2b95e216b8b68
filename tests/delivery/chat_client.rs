//! A native chat client for tests: the browser's delivery driver ([`Driver`]) over the native
//! Socket.IO client, so a test can run dozens of real clients against a real server.
//! Each client is a user of its own, signed in over HTTP as the join form does ([`join`]),
//! and sends its session token as the CONNECT auth, which Natter requires.
#![allow(dead_code)] // each test binary uses its own subset

use futures::{StreamExt, channel::mpsc};
use natter_client::{EmitError, Event, Handle, Options, TransportKind, native};
use natter_contract::{Ack, ChatMessage, DEFAULT_ROOM, Me, User};
use natter_session::{
    Clock, Driver, Emit, Failure, MemoryStorage, Outgoing, Session, Storage, Ticket, Wake,
    driver::ACK_TIMEOUT_MS,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

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

/// What came back to the driver from the platform.
enum Back {
    Reply(Ticket, Result<Value, Failure>),
    Wake(Wake),
}

/// What the test asks of a client, in the order asked.
enum Input {
    /// Type `body` in the room.
    Say(String, String),
    /// Follow the room (it syncs from the start).
    Follow(String),
}

/// The native platform under the browser's [`Driver`]: emits over the native Socket.IO
/// client, sleeps on tokio, keeps the outbox in memory.
struct NativeIo {
    handle: Handle,
    back: mpsc::UnboundedSender<Back>,
    storage: MemoryStorage,
}

impl Emit for NativeIo {
    fn emit(&mut self, ticket: Ticket, name: &'static str, payload: Value) {
        let (handle, back) = (self.handle.clone(), self.back.clone());
        tokio::spawn(async move {
            let reply = handle
                .emit_with_ack::<Value, Value>(name, &payload, ACK_TIMEOUT_MS)
                .await
                .map_err(|_: EmitError| Failure::Lost);
            let _ = back.unbounded_send(Back::Reply(ticket, reply));
        });
    }
    fn signal(&mut self, name: &'static str, payload: Value) {
        let _ = self.handle.emit_volatile("/", name, vec![payload]);
    }
}

impl Storage for NativeIo {
    fn load(&self, key: &str) -> Option<Vec<Outgoing>> {
        self.storage.load(key)
    }
    fn save(&mut self, key: &str, outbox: &[Outgoing]) {
        self.storage.save(key, outbox);
    }
}

impl Clock for NativeIo {
    fn now_ms(&self) -> i64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since.map_or(0, |d| d.as_millis() as i64)
    }
    fn wake_after(&mut self, ms: u64, wake: Wake) {
        let back = self.back.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let _ = back.unbounded_send(Back::Wake(wake));
        });
    }
}

type SharedDriver = Arc<Mutex<Driver<NativeIo>>>;

/// A running client; its session can be inspected at any time.
pub struct ChatClient {
    driver: SharedDriver,
    input: mpsc::UnboundedSender<Input>,
    handle: Handle,
}

impl ChatClient {
    /// Connect to `url` as `member` over `transports` (first = opened, rest = upgrades) and
    /// follow the default room.
    pub fn start(url: &str, member: &Member, transports: Vec<TransportKind>) -> ChatClient {
        ChatClient::start_from(url, member, transports, None)
    }

    /// [`ChatClient::start`] with every connection from `local` (a loopback address of the
    /// client's own, for a load balancer that hashes addresses).
    pub fn start_from(
        url: &str,
        member: &Member,
        transports: Vec<TransportKind>,
        local: Option<std::net::IpAddr>,
    ) -> ChatClient {
        let mut options = Options::new(url);
        options.local_address = local;
        options.namespaces = vec![("/".into(), Some(json!({ "token": member.token })))];
        options.config.engine.transports = transports;
        // Reconnect quickly: the restarts take about a second.
        options.config.backoff.min_ms = 200;
        options.config.backoff.max_ms = 1000;
        let (handle, events) = native::connect(options);
        let (back, backs) = mpsc::unbounded();
        let io = NativeIo {
            handle: handle.clone(),
            back,
            storage: MemoryStorage::default(),
        };
        // The browser starts from the sidebar the server rendered; this client from the
        // default room alone, and follows the others as the test asks.
        let me = Me {
            user: member.user.clone(),
            has_password: false,
            rooms: Vec::new(),
            can_invite: false,
        };
        let mut driver = Driver::start(io, me, None);
        driver.follow(DEFAULT_ROOM);
        let driver = Arc::new(Mutex::new(driver));
        let (input, inputs) = mpsc::unbounded();
        tokio::spawn(drive(driver.clone(), events, inputs, backs));
        ChatClient {
            driver,
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
        let ack = self
            .handle
            .emit_with_ack::<_, Ack<R>>(name, payload, ACK_TIMEOUT_MS)
            .await;
        match ack {
            Ok(ack) => ack.into_result().map_err(Failure::Rejected),
            Err(_) => Err(Failure::Lost),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&Session) -> R) -> R {
        f(self.driver.lock().unwrap().session())
    }

    /// The contiguous run of `room` this client holds.
    pub fn messages(&self, room: &str) -> Vec<ChatMessage> {
        self.with(|s| {
            s.timeline(room)
                .map(|t| t.messages().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// Whether a message with this body is among those `room` holds.
    pub fn holds(&self, room: &str, body: &str) -> bool {
        self.messages(room).iter().any(|m| m.body == body)
    }

    /// The newest `seq` of `room` held with nothing missing before it (0 if not followed).
    pub fn synced(&self, room: &str) -> u64 {
        self.with(|s| s.timeline(room).map_or(0, |t| t.synced()))
    }

    /// The rooms followed, by key.
    pub fn rooms(&self) -> Vec<String> {
        self.with(|s| s.rooms().map(str::to_owned).collect())
    }

    pub fn is_connected(&self) -> bool {
        self.with(Session::is_connected)
    }

    pub fn outbox_len(&self) -> usize {
        self.with(|s| s.outbox().len())
    }

    /// Shows `room`, as opening it in the page does (its members, its typing line).
    pub fn show(&self, room: &str) {
        self.driver.lock().unwrap().show(room, None);
    }

    /// A keystroke in `room`'s composer.
    pub fn typing(&self, room: &str) {
        self.driver.lock().unwrap().typing(room);
    }

    /// "A is typing…" in the shown room.
    pub fn typing_label(&self) -> Option<String> {
        self.driver.lock().unwrap().typing_label()
    }

    /// Whether the page would show `user` online.
    pub fn sees_online(&self, user: i64) -> bool {
        self.driver.lock().unwrap().is_online(user)
    }

    /// The sidebar's rooms.
    pub fn sidebar(&self) -> Vec<String> {
        let d = self.driver.lock().unwrap();
        d.rooms().iter().map(|line| line.room.clone()).collect()
    }

    /// What the server's refusal of the connection said, as the page would show it.
    pub fn refusal(&self) -> Option<String> {
        self.driver.lock().unwrap().error().map(str::to_owned)
    }

    /// The server ended the session (signed out elsewhere).
    pub fn signed_out(&self) -> bool {
        self.driver.lock().unwrap().signed_out()
    }
}

impl Drop for ChatClient {
    fn drop(&mut self) {
        self.handle.close();
    }
}

async fn drive(
    driver: SharedDriver,
    mut events: mpsc::UnboundedReceiver<Event>,
    mut inputs: mpsc::UnboundedReceiver<Input>,
    mut backs: mpsc::UnboundedReceiver<Back>,
) {
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else { return };
                driver.lock().unwrap().on_event(event);
            }
            back = backs.next() => {
                let Some(back) = back else { return };
                let mut d = driver.lock().unwrap();
                match back {
                    Back::Reply(ticket, reply) => drop(d.on_reply(ticket, reply)),
                    Back::Wake(wake) => d.on_wake(wake),
                }
            }
            input = inputs.next() => {
                let Some(input) = input else { return };
                let mut d = driver.lock().unwrap();
                match input {
                    // Refused here, the message would be lost without a trace: say so.
                    Input::Say(room, body) => d
                        .send(&room, body)
                        .unwrap_or_else(|e| panic!("cannot say in {room}: {e:?}")),
                    Input::Follow(room) => d.follow(&room),
                }
            }
        }
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
