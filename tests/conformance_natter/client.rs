//! Our native client, with every wait bounded, and the contract's calls as one-liners.

use futures::{StreamExt, channel::mpsc::UnboundedReceiver};
use natter_client::{ClientConfig, EngineConfig, Event, Handle, Options, TransportKind, native};
use natter_contract::{DEFAULT_ROOM, event};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{Instant, timeout};

/// The usual bound for one step (connect, a round trip); generous for a loaded 2-core machine.
pub const STEP: Duration = Duration::from_secs(10);

/// Options for `url` with the given transports, upgrade on when WebSocket is among them.
pub fn options(url: &str, transports: &[TransportKind]) -> Options {
    let mut options = Options::new(url);
    options.config = ClientConfig {
        engine: EngineConfig {
            transports: transports.to_vec(),
            upgrade: true,
            try_all_transports: true,
        },
        ..ClientConfig::default()
    };
    // Reconnect within a test's patience; socket.io's 1–5 s backoff would dominate run time.
    options.config.backoff.min_ms = 100;
    options.config.backoff.max_ms = 500;
    options
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn chat(client_id: &str, body: &str) -> Value {
    json!({ "room": DEFAULT_ROOM, "client_id": client_id, "body": body })
}

/// A native client and everything it reported so far.
pub struct Client {
    pub handle: Handle,
    events: UnboundedReceiver<Event>,
    pub seen: Vec<Event>,
}

impl Client {
    pub fn connect(options: Options) -> Client {
        let (handle, events) = native::connect(options);
        Client {
            handle,
            events,
            seen: Vec::new(),
        }
    }

    /// Connected on `/` over `transports`, and subscribed to the default room.
    pub async fn member(url: &str, transports: &[TransportKind]) -> Client {
        let mut c = Client::connect(options(url, transports));
        c.connected("/").await;
        c.sync(0).await;
        c
    }

    /// The first event from now on that `pick` accepts, within `within`.
    pub async fn expect<T>(
        &mut self,
        what: &str,
        within: Duration,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.events.next()).await {
                Ok(Some(event)) => {
                    let picked = pick(&event);
                    self.seen.push(event);
                    if let Some(t) = picked {
                        return t;
                    }
                }
                Ok(None) => panic!("client stopped waiting for {what}; {:#?}", self.seen),
                Err(_) => panic!("no {what} within {within:?}; events: {:#?}", self.seen),
            }
        }
    }

    /// No event that `bad` flags during `during`.
    pub async fn refute(&mut self, what: &str, during: Duration, bad: impl Fn(&Event) -> bool) {
        let deadline = Instant::now() + during;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.events.next()).await {
            assert!(
                !bad(&event),
                "unexpected {what}: {event:?}; {:#?}",
                self.seen
            );
            self.seen.push(event);
        }
    }

    /// Like [`Client::expect`], but an event already seen counts: for events whose order
    /// relative to others is not fixed.
    pub async fn seen_or_expect(&mut self, what: &str, pred: impl Fn(&Event) -> bool) {
        if !self.seen.iter().any(&pred) {
            self.expect(what, STEP, |e| pred(e).then_some(())).await;
        }
    }

    pub async fn connected(&mut self, nsp: &str) {
        self.expect(&format!("Connected {nsp}"), STEP, |e| {
            matches!(e, Event::Connected { nsp: n } if n == nsp).then_some(())
        })
        .await
    }

    /// The session is on WebSocket (now or soon).
    pub async fn upgraded(&mut self) {
        self.seen_or_expect("the upgrade to WebSocket", |e| {
            matches!(e, Event::Transport(TransportKind::WebSocket))
        })
        .await
    }

    /// The driver task ended (its event stream closed), within `STEP`.
    pub async fn finished(&mut self) {
        let deadline = Instant::now() + STEP;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.events.next()).await {
            self.seen.push(event);
        }
        assert!(Instant::now() < deadline, "still running; {:#?}", self.seen);
    }

    /// The transports reported so far, in order.
    pub fn transports(&self) -> Vec<TransportKind> {
        let transport = |e: &Event| match e {
            Event::Transport(t) => Some(*t),
            _ => None,
        };
        self.seen.iter().filter_map(transport).collect()
    }

    pub fn disconnects(&self) -> Vec<&Event> {
        let lost = |e: &&Event| matches!(e, Event::Disconnected { .. });
        self.seen.iter().filter(lost).collect()
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
