//! The Socket.IO v5 client as a state machine: namespaces over one engine, acks with timeouts,
//! the send buffer, and reconnection with backoff (socket.io-client's `Manager` + `Socket`).
//!
//! This file holds the types and what callers do; `client_session.rs` what the engine reports
//! and when to reconnect; `client_retry.rs` the at-least-once queue.

use crate::{
    Millis,
    backoff::{Backoff, Rng},
    engine::{CloseReason, Engine, EngineConfig, Input, Transmit, TransportKind},
    sio,
};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub engine: EngineConfig,
    pub reconnection: bool,
    /// `None` retries forever (socket.io-client's `Infinity`).
    pub reconnection_attempts: Option<u32>,
    pub backoff: Backoff,
    /// One attempt may take this long before it counts as failed (socket.io-client `timeout`).
    pub connect_timeout_ms: u64,
    pub limits: sio::Limits,
    /// socket.io-client `retries`: above 0, every non-volatile emit goes through the retry
    /// queue (see [`Client::emit_reliable`]) and is tried up to `1 + retries` times.
    pub retries: u32,
    /// socket.io-client `ackTimeout`: how long one try of a queued emit waits for its ack when
    /// the emit names no timeout itself. `None`: only a reconnect triggers a resend.
    pub ack_timeout_ms: Option<u64>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            engine: EngineConfig::default(),
            reconnection: true,
            reconnection_attempts: None,
            backoff: Backoff::default(),
            connect_timeout_ms: 20_000,
            limits: sio::Limits::default(),
            retries: 0,
            ack_timeout_ms: None,
        }
    }
}

/// Chosen by the caller to match an ack result with its emit.
pub type AckToken = u64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("operation has timed out")]
    Timeout,
    #[error("socket has been disconnected")]
    Disconnected,
}

/// Why a namespace socket is no longer connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The server sent DISCONNECT: no automatic reconnection.
    IoServerDisconnect,
    /// We disconnected: no automatic reconnection.
    IoClientDisconnect,
    /// The engine closed; reconnection follows if enabled.
    Engine(CloseReason),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// The engine opened on this transport, or upgraded to it.
    Transport(TransportKind),
    Connected {
        nsp: String,
    },
    ConnectError {
        nsp: String,
        message: String,
        data: Option<Value>,
    },
    Disconnected {
        nsp: String,
        reason: DisconnectReason,
    },
    /// An event from the server; answer `ack_id` with [`Client::ack`].
    Event {
        nsp: String,
        name: String,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        ack_id: Option<u64>,
    },
    Ack {
        token: AckToken,
        result: Result<Vec<Value>, AckError>,
    },
    /// A successful ack that carried binary attachments (BINARY_ACK); failures and plain acks
    /// come as [`ClientEvent::Ack`].
    BinaryAck {
        token: AckToken,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
    },
    /// The next attempt starts in `delay_ms`.
    Reconnecting {
        attempt: u32,
        delay_ms: u64,
    },
    /// Gave up after `reconnection_attempts`.
    ReconnectFailed,
    UpgradeFailed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NsState {
    Pending,
    Connected,
    /// CONNECT_ERROR or a DISCONNECT: stays down until `connect_namespace` again.
    Stopped,
}

/// Who waits for an ack id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AckOwner {
    Caller(AckToken),
    /// The current try of the head of the retry queue.
    Queue,
}

#[derive(Debug)]
struct PendingAck {
    owner: AckOwner,
    /// `None` only for queued emits without an ack timeout.
    deadline: Option<Millis>,
}

#[derive(Debug)]
struct Namespace {
    auth: Option<Value>,
    state: NsState,
    /// Emits made while not connected, sent on the next CONNECT (socket.io-client `sendBuffer`).
    send_buffer: VecDeque<sio::Packet>,
    acks: BTreeMap<u64, PendingAck>,
    next_ack_id: u64,
    /// Emits sent one at a time until acked (socket.io-client `_queue`).
    queue: VecDeque<retry::Queued>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Connecting { since: Millis },
    Open,
    Waiting { until: Millis },
    Closed,
}

#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    phase: Phase,
    engine: Option<Engine>,
    namespaces: BTreeMap<String, Namespace>,
    decoder: sio::Decoder,
    backoff: Backoff,
    rng: Rng,
    next_transport_id: u64,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ClientEvent>,
}

/// Options for one emit.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmitOptions {
    /// Ask the server for an ack; it fails with [`AckError::Timeout`] after `timeout_ms`.
    pub ack: Option<(AckToken, u64)>,
    /// Drop the event unless it can be written now (typing indicators, presence).
    pub volatile: bool,
}

impl Client {
    pub fn new(config: ClientConfig, seed: u64) -> Client {
        Client {
            backoff: config.backoff,
            decoder: sio::Decoder::new(config.limits),
            config,
            phase: Phase::Idle,
            engine: None,
            namespaces: BTreeMap::new(),
            rng: Rng::new(seed),
            next_transport_id: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Join a namespace (sending CONNECT with `auth` now or once the engine is open) and start
    /// the engine if it is not running.
    pub fn connect_namespace(&mut self, nsp: &str, auth: Option<Value>, now: Millis) {
        let ns = self
            .namespaces
            .entry(nsp.to_owned())
            .or_insert_with(|| Namespace {
                auth: None,
                state: NsState::Pending,
                send_buffer: VecDeque::new(),
                acks: BTreeMap::new(),
                next_ack_id: 0,
                queue: VecDeque::new(),
            });
        ns.auth = auth;
        ns.state = NsState::Pending;
        match self.phase {
            Phase::Open => self.send_connect(nsp, now),
            Phase::Idle | Phase::Closed => self.start_engine(now),
            Phase::Connecting { .. } | Phase::Waiting { .. } => {}
        }
    }

    /// Leave a namespace; no reconnection for it.
    pub fn disconnect_namespace(&mut self, nsp: &str, now: Millis) {
        let Some(ns) = self.namespaces.get_mut(nsp) else {
            return;
        };
        let was_connected = ns.state == NsState::Connected;
        ns.state = NsState::Stopped;
        if was_connected {
            self.send_packet(sio::Packet::disconnect(nsp), now);
        }
        self.fail_acks(nsp, AckError::Disconnected);
        self.events.push_back(ClientEvent::Disconnected {
            nsp: nsp.to_owned(),
            reason: DisconnectReason::IoClientDisconnect,
        });
        self.close_if_idle();
    }

    /// Close everything; no reconnection.
    pub fn close(&mut self) {
        self.phase = Phase::Closed;
        if let Some(engine) = self.engine.as_mut() {
            engine.close();
        }
        self.drain_engine(0);
    }

    /// Closed and the engine gone, including a polling close still draining its writes.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Closed && self.engine.is_none()
    }

    pub fn transport(&self) -> Option<TransportKind> {
        self.engine.as_ref().and_then(Engine::transport)
    }

    pub fn is_connected(&self, nsp: &str) -> bool {
        self.namespaces
            .get(nsp)
            .is_some_and(|ns| ns.state == NsState::Connected)
    }

    /// Emit an event. Returns `false` when it was dropped: volatile and not writable, or a
    /// namespace never joined.
    pub fn emit(
        &mut self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        opts: EmitOptions,
        now: Millis,
    ) -> bool {
        self.emit_binary(nsp, name, args, Vec::new(), opts, now)
    }

    /// Emit with binary attachments: `args` must hold `{"_placeholder":true,"num":i}` for each.
    pub fn emit_binary(
        &mut self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        opts: EmitOptions,
        now: Millis,
    ) -> bool {
        if self.config.retries > 0 && !opts.volatile {
            let (token, timeout) = opts.ack.unzip();
            return self.emit_reliable(nsp, name, args, attachments, token, timeout, now);
        }
        let writable = self.writable(nsp);
        if opts.volatile && !writable {
            return false;
        }
        let Some(ns) = self.namespaces.get_mut(nsp) else {
            return false;
        };
        let id = opts.ack.map(|(token, timeout)| {
            let id = ns.next_ack_id;
            ns.next_ack_id += 1;
            ns.acks.insert(
                id,
                PendingAck {
                    owner: AckOwner::Caller(token),
                    deadline: Some(now + timeout),
                },
            );
            id
        });
        let mut packet = sio::Packet::event(nsp, name, args, id);
        packet.attachments = attachments;
        if writable {
            self.send_packet(packet, now);
        } else {
            ns.send_buffer.push_back(packet);
        }
        true
    }

    /// Answer an event the server sent with an ack id.
    pub fn ack(&mut self, nsp: &str, id: u64, args: Vec<Value>, now: Millis) {
        self.ack_binary(nsp, id, args, Vec::new(), now);
    }

    /// Answer with binary attachments (BINARY_ACK): `args` hold their placeholders.
    pub fn ack_binary(
        &mut self,
        nsp: &str,
        id: u64,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        now: Millis,
    ) {
        let mut packet = sio::Packet::ack(nsp, id, args);
        packet.attachments = attachments;
        self.send_packet(packet, now);
    }

    fn writable(&self, nsp: &str) -> bool {
        self.is_connected(nsp) && self.engine.as_ref().is_some_and(Engine::is_open)
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        let acks = self
            .namespaces
            .values()
            .flat_map(|ns| ns.acks.values().filter_map(|a| a.deadline));
        let phase = match self.phase {
            Phase::Connecting { since } => Some(since + self.config.connect_timeout_ms),
            Phase::Waiting { until } => Some(until),
            _ => None,
        };
        let engine = self.engine.as_ref().and_then(Engine::poll_timeout);
        acks.chain(phase).chain(engine).min()
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        let mut queue_timeouts = Vec::new();
        for (nsp, ns) in self.namespaces.iter_mut() {
            let expired: Vec<u64> = ns
                .acks
                .iter()
                .filter(|(_, a)| a.deadline.is_some_and(|d| d <= now))
                .map(|(id, _)| *id)
                .collect();
            for id in expired {
                let Some(ack) = ns.acks.remove(&id) else {
                    continue;
                };
                // A timed-out emit still waiting in the buffer is withdrawn, as socket.io-client does.
                ns.send_buffer.retain(|p| p.id != Some(id) || p.nsp != *nsp);
                match ack.owner {
                    AckOwner::Caller(token) => self.events.push_back(ClientEvent::Ack {
                        token,
                        result: Err(AckError::Timeout),
                    }),
                    AckOwner::Queue => queue_timeouts.push(nsp.clone()),
                }
            }
        }
        for nsp in queue_timeouts {
            self.queue_try_failed(&nsp, AckError::Timeout, now);
        }
        match self.phase {
            Phase::Connecting { since } if now >= since + self.config.connect_timeout_ms => {
                if let Some(engine) = self.engine.as_mut() {
                    engine.close();
                }
                self.drain_engine(now);
                self.engine = None;
                self.schedule_reconnect(now);
            }
            Phase::Waiting { until } if now >= until => self.start_engine(now),
            _ => {}
        }
        if let Some(engine) = self.engine.as_mut() {
            engine.handle_timeout(now);
        }
        self.drain_engine(now);
    }

    pub fn handle_input(&mut self, input: Input, now: Millis) {
        if let Some(engine) = self.engine.as_mut() {
            engine.handle_input(input, now);
        }
        self.drain_engine(now);
    }
}

#[path = "client_session.rs"]
mod session;

#[path = "client_retry.rs"]
mod retry;

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
