//! The page's Socket.IO connection and delivery [`Driver`] as Leptos signals.
//!
//! The driver (in `natter-session`) holds the delivery logic; this file gives it the browser's
//! emit, storage and clock, and copies what it holds into signals after every call.
//! Browser-only pieces come from [`super::browser`]; during SSR they are inert, the signals
//! keep their initial values and the event handling below is unused, hence the `dead_code`
//! allowance there.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use super::browser::{self, now_ms, storage};
use leptos::prelude::*;
use natter_client::{EmitError, Handle};
use natter_contract::{ChatMessage, Joined, Me, Page, RoomInfo, User, dm_members};
use natter_session::{
    Clock, Done, Driver, Emit, Failure, Outgoing, Status, Storage, Ticket, Wake,
    driver::ACK_TIMEOUT_MS,
};
use serde_json::Value;
use std::sync::{Arc, Mutex};

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
    /// The last room this page created or left.
    pub settled: RwSignal<Option<Done>>,
    /// "A is typing…" in the shown room.
    pub typing: RwSignal<Option<String>>,
    /// The shown room's members, by name, and whether each is online.
    pub members: RwSignal<Vec<(User, bool)>>,
    /// The DMs whose other person is online (room keys).
    pub online_dms: RwSignal<Vec<String>>,
    driver: StoredValue<Option<Arc<Mutex<Driver<BrowserIo>>>>>,
    handle: StoredValue<Option<Handle>>,
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
            settled: RwSignal::new(None),
            typing: RwSignal::new(None),
            members: RwSignal::new(Vec::new()),
            online_dms: RwSignal::new(Vec::new()),
            driver: StoredValue::new(None),
            handle: StoredValue::new(None),
        }
    }

    /// Run `f` on the driver (once started), then copy what it holds into the signals, and
    /// notify of the DMs and mentions it heard (only while the page is hidden).
    fn with_driver<R: Default>(self, f: impl FnOnce(&mut Driver<BrowserIo>) -> R) -> R {
        let Some(driver) = self.driver.get_value() else {
            return R::default();
        };
        let mut d = driver.lock().unwrap_or_else(|e| e.into_inner());
        // What is shown counts as read only while the window has focus.
        d.set_focused(browser::has_focus());
        let result = f(&mut d);
        self.copy(&d);
        let alerts = d.take_alerts();
        drop(d);
        for alert in alerts {
            let title = if alert.dm {
                alert.from
            } else {
                format!("{} in #{}", alert.from, alert.room)
            };
            browser::notify(&title, &alert.text, &alert.room);
        }
        result
    }

    fn copy(self, d: &Driver<BrowserIo>) {
        put(self.status, d.status());
        put(self.transport, d.transport());
        put(self.room, d.shown().to_owned());
        if let Some(timeline) = d.session().timeline(d.shown()) {
            put(self.messages, Some(timeline.messages().cloned().collect()));
            put(self.has_older, timeline.has_older());
        }
        put(
            self.pending,
            d.session().pending(d.shown()).cloned().collect(),
        );
        put(self.rooms, Some(d.rooms().to_vec()));
        put(self.directory, d.directory().to_vec());
        put(self.unread_from, d.unread_from());
        put(self.notice, d.notice().map(str::to_owned));
        put(self.error, d.error().map(str::to_owned));
        put(self.signed_out, d.signed_out());
        put(self.typing, d.typing_label());
        let members = d.members().iter().map(|u| (u.clone(), d.is_online(u.id)));
        put(self.members, members.collect());
        let me = d.session().me().map_or(0, |me| me.id);
        let online_dms = d.rooms().iter().filter(|line| {
            let peer = dm_members(&line.room).map(|(a, b)| if a == me { b } else { a });
            peer.is_some_and(|peer| d.is_online(peer))
        });
        put(
            self.online_dms,
            online_dms.map(|l| l.room.clone()).collect(),
        );
    }

    /// Shows `room` (following it from `snapshot` if it is new to the session).
    pub fn show(self, room: String, snapshot: Option<Page>) {
        self.room.set(room.clone());
        self.messages.set(None);
        self.with_driver(|d| d.show(&room, snapshot.as_ref()));
    }

    /// Queue a message; `false` (with `error` set) when it was refused before sending.
    pub fn send(self, body: String) -> bool {
        let room = self.room.get_untracked();
        self.with_driver(|d| d.send(&room, body).is_ok())
    }

    /// Edit our message `seq` in the shown room; `false` (with `error` set) when refused
    /// before sending.
    pub fn edit(self, seq: u64, body: String) -> bool {
        let room = self.room.get_untracked();
        self.with_driver(|d| d.edit(&room, seq, body).is_ok())
    }

    pub fn delete(self, seq: u64) -> bool {
        let room = self.room.get_untracked();
        self.with_driver(|d| d.delete(&room, seq).is_ok())
    }

    pub fn retry(self, client_id: String) {
        self.with_driver(|d| d.retry(&client_id));
    }

    pub fn discard(self, client_id: String) {
        self.with_driver(|d| d.discard(&client_id));
    }

    pub fn load_older(self) {
        let room = self.room.get_untracked();
        self.with_driver(|d| d.load_older(&room));
    }

    /// Leaves a public room; [`Connection::settled`] says when.
    pub fn leave_room(self, room: String) {
        self.with_driver(|d| d.leave_room(room));
    }

    /// Creates a public room; [`Connection::settled`] names it once the server has made it.
    pub fn create_room(self, room: String, topic: String) {
        self.with_driver(|d| d.create_room(room, topic));
    }

    /// A keystroke in the composer.
    pub fn typing(self) {
        let room = self.room.get_untracked();
        self.with_driver(|d| d.typing(&room));
    }

    /// The window got focus back: what is shown is now seen.
    pub fn focused(self) {
        self.with_driver(|_| ());
    }

    fn on_reply(self, ticket: Ticket, reply: Result<Value, Failure>) {
        if let Some(done) = self.with_driver(|d| d.on_reply(ticket, reply)) {
            self.settled.set(Some(done));
        }
    }
}

/// Set `signal` only when the value changed, so that views re-render only then.
pub(super) fn put<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|v| *v != value) {
        signal.set(value);
    }
}

/// The browser's emit (the page's Socket.IO client), storage (localStorage) and clock.
#[derive(Clone, Copy)]
struct BrowserIo(Connection);

impl Emit for BrowserIo {
    fn emit(&mut self, ticket: Ticket, name: &'static str, payload: Value) {
        let conn = self.0;
        let Some(handle) = conn.handle.get_value() else {
            return;
        };
        // The one copy of the emit-and-wait future: every instance of an async block costs
        // the page's wasm weight.
        leptos::task::spawn_local(async move {
            let reply = handle
                .emit_with_ack::<Value, Value>(name, &payload, ACK_TIMEOUT_MS)
                .await
                .map_err(|_: EmitError| Failure::Lost);
            conn.on_reply(ticket, reply);
        });
    }

    fn signal(&mut self, name: &'static str, payload: Value) {
        if let Some(handle) = self.0.handle.get_value() {
            // Dropped when not connected: a stale "typing" is worse than none.
            let _ = handle.emit_volatile("/", name, vec![payload]);
        }
    }
}

impl Storage for BrowserIo {
    fn load(&self, key: &str) -> Option<Vec<Outgoing>> {
        storage::load(key)
    }

    fn save(&mut self, key: &str, outbox: &[Outgoing]) {
        storage::save(key, &outbox);
    }
}

impl Clock for BrowserIo {
    fn now_ms(&self) -> i64 {
        now_ms()
    }

    fn wake_after(&mut self, ms: u64, wake: Wake) {
        let conn = self.0;
        set_timeout(
            move || conn.with_driver(|d| d.on_wake(wake)),
            std::time::Duration::from_millis(ms),
        );
    }
}

/// Whether [`start`] has run.
pub fn started(conn: Connection) -> bool {
    conn.rooms.with_untracked(Option::is_some)
}

/// Start the driver for `me`, showing `shown` (a room and its server-rendered snapshot) if the
/// user may see it, and connect. Browser only.
pub fn start(conn: Connection, me: Me, shown: Option<(String, Page)>) {
    let connection = browser::connect();
    if let Some((handle, _)) = &connection {
        conn.handle.set_value(Some(handle.clone()));
    }
    let driver = Driver::start(BrowserIo(conn), me, shown);
    conn.copy(&driver);
    conn.driver.set_value(Some(Arc::new(Mutex::new(driver))));
    if let Some((_, mut events)) = connection {
        leptos::task::spawn_local(async move {
            use futures::StreamExt;
            while let Some(event) = events.next().await {
                conn.with_driver(|d| d.on_event(event));
            }
        });
    }
}
