//! A client and everything it reported so far. Every wait is bounded, and a failed one shows
//! the events seen until then.

use futures::{StreamExt, channel::mpsc::UnboundedReceiver};
use natter_client::{
    ClientConfig, DisconnectReason, EngineConfig, Event, Handle, Options, TransportKind,
};
use serde_json::Value;
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

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
    options
}

/// A running client and everything it reported so far.
pub struct Client {
    pub handle: Handle,
    events: UnboundedReceiver<Event>,
    pub seen: Vec<Event>,
}

impl Client {
    /// What a `connect` returned (`natter_client::native::connect`).
    pub fn new((handle, events): (Handle, UnboundedReceiver<Event>)) -> Client {
        Client {
            handle,
            events,
            seen: Vec::new(),
        }
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
            match timeout_at(deadline, self.events.next()).await {
                Ok(Some(event)) => {
                    let picked = pick(&event);
                    self.seen.push(event);
                    if let Some(t) = picked {
                        return t;
                    }
                }
                Ok(None) => panic!(
                    "client stopped while waiting for {what}; events: {:#?}",
                    self.seen
                ),
                Err(_) => panic!("no {what} within {within:?}; events: {:#?}", self.seen),
            }
        }
    }

    /// No event that `bad` flags during `during`.
    pub async fn refute(&mut self, what: &str, during: Duration, bad: impl Fn(&Event) -> bool) {
        let deadline = Instant::now() + during;
        while let Ok(Some(event)) = timeout_at(deadline, self.events.next()).await {
            assert!(
                !bad(&event),
                "unexpected {what}: {event:?}; events: {:#?}",
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

    /// The next `Connected` on `nsp`.
    pub async fn connected(&mut self, nsp: &str) {
        self.expect(&format!("Connected {nsp}"), STEP, |e| {
            matches!(e, Event::Connected { nsp: n } if n == nsp).then_some(())
        })
        .await
    }

    /// Connected on `nsp`, already or soon: with several namespaces the order is not fixed.
    pub async fn seen_connected(&mut self, nsp: &str) {
        self.seen_or_expect(
            &format!("Connected {nsp}"),
            |e| matches!(e, Event::Connected { nsp: n } if n == nsp),
        )
        .await
    }

    /// The next `ConnectError` on `nsp`: its message and data.
    pub async fn connect_error(&mut self, nsp: &str) -> (String, Option<Value>) {
        self.expect(&format!("ConnectError {nsp}"), STEP, |e| match e {
            Event::ConnectError {
                nsp: n,
                message,
                data,
            } if n == nsp => Some((message.clone(), data.clone())),
            _ => None,
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

    /// The next failed upgrade probe.
    pub async fn upgrade_failed(&mut self) {
        self.expect("upgrade failure", STEP, |e| {
            matches!(e, Event::UpgradeFailed(_)).then_some(())
        })
        .await
    }

    /// The reason of the next `Disconnected`, whatever it is.
    pub async fn disconnect_reason(&mut self) -> DisconnectReason {
        self.expect("Disconnected", STEP, |e| match e {
            Event::Disconnected { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .await
    }

    /// The next reconnection attempt.
    pub async fn reconnecting(&mut self) {
        self.expect("Reconnecting", STEP, |e| {
            matches!(e, Event::Reconnecting { .. }).then_some(())
        })
        .await
    }

    /// The only namespace was refused: a `ConnectError`, after which the client closes the
    /// connection and tries nothing by itself during `quiet` (no reconnection, no transport).
    pub async fn refused_and_closed(&mut self, quiet: Duration) {
        self.expect("ConnectError", STEP, |e| {
            matches!(e, Event::ConnectError { .. }).then_some(())
        })
        .await;
        self.refute("a reconnection", quiet, |e| {
            matches!(e, Event::Reconnecting { .. } | Event::Transport(_))
        })
        .await;
    }

    /// The driver task ended (its event stream closed), within `STEP`.
    pub async fn finished(&mut self) {
        let deadline = Instant::now() + STEP;
        while let Ok(Some(event)) = timeout_at(deadline, self.events.next()).await {
            self.seen.push(event);
        }
        assert!(
            Instant::now() < deadline,
            "the client did not stop; events: {:#?}",
            self.seen
        );
    }

    /// The transports reported so far, in order.
    pub fn transports(&self) -> Vec<TransportKind> {
        let transport = |e: &Event| match e {
            Event::Transport(t) => Some(*t),
            _ => None,
        };
        self.seen.iter().filter_map(transport).collect()
    }

    /// The disconnects (of any namespace, for any reason) reported so far.
    pub fn disconnects(&self) -> Vec<&Event> {
        let lost = |e: &&Event| matches!(e, Event::Disconnected { .. });
        self.seen.iter().filter(lost).collect()
    }
}
