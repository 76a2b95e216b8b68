//! Our native client, with every wait bounded, and the contract's calls as one-liners.

use natter_client::{Event, Options, TransportKind, native};
use natter_contract::{DEFAULT_ROOM, event};
use natter_testkit::events;
pub use natter_testkit::events::STEP;
use serde_json::{Value, json};
use std::ops::{Deref, DerefMut};
use tokio::time::timeout;

/// Options for `url` with the given transports, upgrade on when WebSocket is among them,
/// joining "/" with the session `token`.
pub fn options(url: &str, transports: &[TransportKind], token: &str) -> Options {
    let mut options = events::options(url, transports);
    // Reconnect within a test's patience; socket.io's 1–5 s backoff would dominate run time.
    options.config.backoff.min_ms = 100;
    options.config.backoff.max_ms = 500;
    signed_in(options, token)
}

/// The CONNECT auth payload of a client that holds no cookie: Natter refuses "/" without it.
pub fn auth(token: &str) -> Value {
    json!({ "token": token })
}

/// `options` joining "/" (only) with the session `token`.
pub fn signed_in(mut options: Options, token: &str) -> Options {
    options.namespaces = vec![("/".into(), Some(auth(token)))];
    options
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn chat(client_id: &str, body: &str) -> Value {
    json!({ "room": DEFAULT_ROOM, "client_id": client_id, "body": body })
}

/// A native client and everything it reported so far ([`events::Client`]), with the calls of
/// Natter's event contract.
pub struct Client(events::Client);

impl Deref for Client {
    type Target = events::Client;
    fn deref(&self) -> &events::Client {
        &self.0
    }
}

impl DerefMut for Client {
    fn deref_mut(&mut self) -> &mut events::Client {
        &mut self.0
    }
}

impl Client {
    pub fn connect(options: Options) -> Client {
        Client(events::Client::new(native::connect(options)))
    }

    /// Connected on `/` over `transports` with the session `token`, and subscribed to the
    /// default room.
    pub async fn member(url: &str, transports: &[TransportKind], token: &str) -> Client {
        let mut c = Client::connect(options(url, transports, token));
        c.connected("/").await;
        c.sync(0).await;
        c
    }

    /// Emit on `/` with an ack, bounded; the ack's first argument.
    pub async fn call(&self, name: &str, payload: Value) -> Value {
        let ack = self
            .handle
            .emit_raw_with_ack("/", name, vec![payload], STEP.as_millis() as u64);
        let args = timeout(STEP, ack)
            .await
            .unwrap_or_else(|_| panic!("no ack for {name:?} within {STEP:?}"))
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        args.into_iter().next().unwrap_or(Value::Null)
    }

    /// `sync` the default room after `after_seq`: the page, asserted to be one.
    pub async fn sync(&self, after_seq: u64) -> Value {
        let request = json!({ "room": DEFAULT_ROOM, "after_seq": after_seq });
        let ack = self.call(event::SYNC, request).await;
        assert!(ack["ok"]["messages"].is_array(), "sync acked {ack}");
        ack["ok"].clone()
    }

    /// Post a message; its ack, asserted to be `{"ok":{id,seq,sent_at}}`.
    pub async fn say(&self, client_id: &str, body: &str) -> Value {
        let ack = self.call(event::CHAT_MESSAGE, chat(client_id, body)).await;
        let sent = &ack["ok"];
        let fields = ["id", "seq", "sent_at"].map(|k| sent[k].is_i64() || sent[k].is_u64());
        assert_eq!(fields, [true; 3], "chat message acked {ack}");
        assert_eq!(sent.as_object().map(|o| o.len()), Some(3), "{ack}");
        sent.clone()
    }

    /// The next broadcast `chat message` carrying `client_id`.
    pub async fn broadcast(&mut self, client_id: &str) -> Value {
        self.expect(
            &format!("the broadcast of {client_id}"),
            STEP,
            |e| match e {
                Event::Event {
                    nsp, name, args, ..
                } if nsp == "/"
                    && name == event::CHAT_MESSAGE
                    && args.first().is_some_and(|m| m["client_id"] == client_id) =>
                {
                    Some(args[0].clone())
                }
                _ => None,
            },
        )
        .await
    }

    /// Say something and see it come back as a broadcast with the ack's numbers.
    pub async fn round_trip(&mut self, body: &str) -> Value {
        let id = new_id();
        let sent = self.say(&id, body).await;
        let message = self.broadcast(&id).await;
        assert_same_message(&sent, &message);
        assert_eq!(message["body"], body);
        sent
    }
}

/// An ack and a broadcast (or stored message) name the same row.
pub fn assert_same_message(sent: &Value, message: &Value) {
    for key in ["id", "seq", "sent_at"] {
        assert_eq!(
            sent[key], message[key],
            "{key}: ack {sent}, message {message}"
        );
    }
}

/// The messages of a page that carry `client_id`.
pub fn copies_of<'a>(page: &'a Value, client_id: &str) -> Vec<&'a Value> {
    let messages = page["messages"].as_array().expect("a page");
    let matching = |m: &&Value| m["client_id"] == client_id;
    messages.iter().filter(matching).collect()
}
