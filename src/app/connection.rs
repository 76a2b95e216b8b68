//! The page's Socket.IO connection as Leptos signals. The client itself only exists in the
//! browser (feature `hydrate`); during SSR the signals keep their initial values.

use leptos::prelude::*;
use natter_client::Handle;
use natter_contract::{Ack, ChatMessage, SendAck, SendMessage, event};

/// How long the server has to ack a send before the UI calls it failed.
const ACK_TIMEOUT_MS: u64 = 10_000;

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
    pub status: RwSignal<Status>,
    /// `websocket` or `polling` once a transport is open.
    pub transport: RwSignal<Option<&'static str>>,
    /// Accepted messages, ordered by server id, without duplicates.
    pub messages: RwSignal<Vec<ChatMessage>>,
    /// The last send that failed, in words.
    pub error: RwSignal<Option<String>>,
    handle: StoredValue<Option<Handle>>,
}

impl Connection {
    fn new() -> Self {
        Connection {
            status: RwSignal::new(Status::Connecting),
            transport: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            handle: StoredValue::new(None),
        }
    }

    /// Validate and send; `false` (with `error` set) when the message was refused locally.
    pub fn send(self, body: String) -> bool {
        let message = SendMessage { body };
        if let Err(code) = message.validate() {
            self.error.set(Some(code.describe().to_owned()));
            return false;
        }
        let Some(handle) = self.handle.get_value() else {
            self.error.set(Some("Not connected yet.".into()));
            return false;
        };
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let result = handle.emit_with_ack::<_, SendAck>(event::CHAT_MESSAGE, &message, ACK_TIMEOUT_MS).await;
            match result {
                Ok(Ack::Ok(_)) => {}
                Ok(Ack::Error(e)) => self.error.set(Some(e.message)),
                Err(e) => self.error.set(Some(format!("Not delivered: {e}."))),
            }
        });
        true
    }

    /// Insert keeping id order; a message seen before is ignored.
    fn receive(self, message: ChatMessage) {
        self.messages.update(|list| {
            if let Err(at) = list.binary_search_by_key(&message.id, |m| m.id) {
                list.insert(at, message);
            }
        });
    }
}

/// Create the connection; in the browser it starts connecting once the page has hydrated.
pub fn use_connection() -> Connection {
    let conn = Connection::new();
    // Effects never run during SSR, so the browser-only client starts here.
    Effect::new(move |_| start(conn));
    conn
}

#[cfg(feature = "hydrate")]
fn start(conn: Connection) {
    use futures::StreamExt;
    use natter_client::{DisconnectReason, Event, Options, web};

    let Some(origin) = web::page_origin() else { return };
    let (handle, mut events) = web::connect(Options::new(origin));
    conn.handle.set_value(Some(handle));
    leptos::task::spawn_local(async move {
        while let Some(event) = events.next().await {
            match event {
                Event::Transport(t) => conn.transport.set(Some(t.name())),
                Event::Connected { .. } => conn.status.set(Status::Connected),
                Event::Disconnected { reason: DisconnectReason::Engine(_), .. } | Event::Reconnecting { .. } => {
                    conn.status.set(Status::Reconnecting)
                }
                Event::Disconnected { .. } | Event::ReconnectFailed => conn.status.set(Status::Offline),
                Event::ConnectError { message, .. } => {
                    conn.status.set(Status::Offline);
                    conn.error.set(Some(message));
                }
                Event::Event { name, args, .. } if name == event::CHAT_MESSAGE => {
                    // Anything not matching the contract is dropped, never rendered half-parsed.
                    if let Some(Ok(message)) = args.into_iter().next().map(serde_json::from_value::<ChatMessage>) {
                        conn.receive(message);
                    }
                }
                _ => {}
            }
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn start(_: Connection) {}
