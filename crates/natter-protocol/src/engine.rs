//! One Engine.IO v4 session, as a state machine: open over polling or WebSocket, probe and
//! upgrade, heartbeat, close. Reconnecting is the job of [`crate::client`], which starts a new
//! `Engine` for every attempt.
//!
//! The driver performs each [`Transmit`], reports what happened as an [`Input`], and calls
//! [`Engine::handle_timeout`] when [`Engine::poll_timeout`] passes.
//!
//! This file holds the types and the entry points; `engine_flow.rs` how packets, polling
//! requests and the upgrade move the session along.

use crate::{
    Millis,
    eio::{Frame, Handshake, Packet},
    payload,
};
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    Polling,
    WebSocket,
}

impl TransportKind {
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Polling => "polling",
            TransportKind::WebSocket => "websocket",
        }
    }
}

/// Names one polling transport or one WebSocket, so that the late completion of a request
/// made by a transport that has since been dropped is recognised and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportId(pub u64);

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Transports in order of preference: the first is opened, the others are upgrade targets.
    pub transports: Vec<TransportKind>,
    /// Probe and switch to a better transport the server offers (socket.io-client `upgrade`).
    pub upgrade: bool,
    /// When the first transport fails to open, try the next one in the same attempt
    /// (socket.io-client 4.8 `tryAllTransports`); this is what survives a WebSocket-only server.
    pub try_all_transports: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            transports: vec![TransportKind::Polling, TransportKind::WebSocket],
            upgrade: true,
            try_all_transports: true,
        }
    }
}

/// I/O the driver must perform. `query` is the URL query string (after `?`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    PollGet {
        id: TransportId,
        query: String,
    },
    PollPost {
        id: TransportId,
        query: String,
        body: String,
    },
    WsOpen {
        id: TransportId,
        query: String,
    },
    WsSend {
        id: TransportId,
        frame: Frame,
    },
    WsClose {
        id: TransportId,
    },
}

/// What the network did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    PollResponse {
        id: TransportId,
        body: String,
    },
    PollFailed {
        id: TransportId,
        error: String,
    },
    PostDone {
        id: TransportId,
    },
    PostFailed {
        id: TransportId,
        error: String,
    },
    WsOpened {
        id: TransportId,
    },
    WsFrame {
        id: TransportId,
        frame: Frame,
    },
    WsClosed {
        id: TransportId,
        error: Option<String>,
    },
}

impl Input {
    pub fn transport(&self) -> TransportId {
        match self {
            Input::PollResponse { id, .. }
            | Input::PollFailed { id, .. }
            | Input::PostDone { id }
            | Input::PostFailed { id, .. }
            | Input::WsOpened { id }
            | Input::WsFrame { id, .. }
            | Input::WsClosed { id, .. } => *id,
        }
    }
}

/// Why a session ended; the names are socket.io-client's, which decide whether to reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// Closed by us (`close()`); no reconnection.
    ForcedClose,
    /// The server closed the transport (restart, `1` packet, socket closed).
    TransportClose,
    /// A request failed or the transport could not open.
    TransportError(String),
    /// No ping within pingInterval + pingTimeout.
    PingTimeout,
    /// The server sent something undecodable.
    ParseError,
}

impl CloseReason {
    pub fn as_str(&self) -> &str {
        match self {
            CloseReason::ForcedClose => "forced close",
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError(_) => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    Open {
        transport: TransportKind,
        handshake: Handshake,
    },
    /// The session moved to another transport.
    Upgraded(TransportKind),
    /// The upgrade probe failed; the session stays where it is.
    UpgradeFailed(String),
    Message(String),
    Binary(Vec<u8>),
    Closed(CloseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Opening,
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeStage {
    /// WebSocket opening; `2probe` not sent yet.
    Connecting,
    /// `2probe` sent, waiting for `3probe`.
    Probing,
    /// `3probe` received: polling drains its in-flight requests before the switch.
    Pausing,
}

#[derive(Debug, Clone, Copy)]
struct Active {
    kind: TransportKind,
    id: TransportId,
}

#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    state: State,
    /// Index in `config.transports` of the transport being opened (for `try_all_transports`).
    attempt: usize,
    active: Active,
    handshake: Option<Handshake>,
    /// Wall-clock deadline for the next ping: checked on every send as well as by the timer,
    /// since browsers throttle timers in background tabs.
    ping_deadline: Option<Millis>,
    get_in_flight: bool,
    post_in_flight: bool,
    probe: Option<(TransportId, ProbeStage)>,
    /// Packets waiting for the transport (POST in flight, upgrade running, still opening).
    write_buffer: VecDeque<Packet>,
    /// `close()` was called over polling: the write buffer drains first, then the close packet.
    closing: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<EngineEvent>,
    /// Source of fresh transport ids; shared with the owner so ids never repeat across engines.
    next_id: u64,
    /// Cache-buster counter for polling URLs.
    requests: u64,
}

impl Engine {
    /// Start opening a session. `first_id` must exceed every id handed out before.
    pub fn open(config: EngineConfig, first_id: u64) -> Engine {
        let mut engine = Engine {
            config,
            state: State::Opening,
            attempt: 0,
            active: Active {
                kind: TransportKind::Polling,
                id: TransportId(first_id),
            },
            handshake: None,
            ping_deadline: None,
            get_in_flight: false,
            post_in_flight: false,
            probe: None,
            write_buffer: VecDeque::new(),
            closing: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            next_id: first_id,
            requests: 0,
        };
        if engine.config.transports.is_empty() {
            engine.config.transports.push(TransportKind::Polling);
        }
        engine.open_transport();
        engine
    }

    /// The next unused transport id, for the engine that replaces this one.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Open and accepting writes (not closing).
    pub fn is_open(&self) -> bool {
        self.state == State::Open && !self.closing
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    pub fn transport(&self) -> Option<TransportKind> {
        (self.state == State::Open).then_some(self.active.kind)
    }

    pub fn handshake(&self) -> Option<&Handshake> {
        self.handshake.as_ref()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<EngineEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        self.ping_deadline.filter(|_| self.state == State::Open)
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if self.ping_expired(now) {
            self.close_with(CloseReason::PingTimeout);
        }
    }

    /// Queue a packet. While the heartbeat has lapsed the packet stays buffered and the session
    /// closes, like engine.io-client's `_hasPingExpired` check.
    pub fn send(&mut self, packet: Packet, now: Millis) {
        // engine.io-client's `_sendPacket` drops writes once closing, as here.
        if self.state == State::Closed || self.closing {
            return;
        }
        self.write_buffer.push_back(packet);
        if self.ping_expired(now) {
            self.close_with(CloseReason::PingTimeout);
            return;
        }
        self.flush();
    }

    /// Packets that were queued but never written, so a caller can keep them across a
    /// reconnect.
    pub fn take_unsent(&mut self) -> Vec<Packet> {
        self.write_buffer.drain(..).collect()
    }

    /// Close on purpose (engine.io-client `close()`): what is already queued goes out first.
    /// Over polling that may take a round trip; [`EngineEvent::Closed`] comes once it has.
    pub fn close(&mut self) {
        if self.state == State::Closed || self.closing {
            return;
        }
        if let Some((id, _)) = self.probe.take() {
            // engine.io-client waits for a running upgrade; dropping it is simpler and the
            // session ends anyway.
            self.transmits.push_back(Transmit::WsClose { id });
        }
        if self.state == State::Open && self.active.kind == TransportKind::Polling {
            // A close POST next to one in flight would be a second concurrent POST, which the
            // reference server answers by dropping the session, losing the queued writes (a
            // DISCONNECT, say). So wait for the buffer to drain, like engine.io-client's "drain".
            self.closing = true;
            self.flush();
            self.finish_closing();
            return;
        }
        self.flush();
        self.close_with(CloseReason::ForcedClose);
    }

    pub fn handle_input(&mut self, input: Input, now: Millis) {
        if self.state == State::Closed {
            return;
        }
        let id = input.transport();
        if self.probe.is_some_and(|(probe, _)| probe == id) {
            self.handle_probe(input);
            return;
        }
        if id != self.active.id {
            return; // a transport we already dropped
        }
        match input {
            Input::PollResponse { body, .. } => {
                self.get_in_flight = false;
                match payload::decode(&body) {
                    Ok(packets) => {
                        for packet in packets {
                            self.on_packet(packet, now);
                        }
                    }
                    Err(_) => self.close_with(CloseReason::ParseError),
                }
                self.after_poll_activity();
            }
            Input::PostDone { .. } => {
                self.post_in_flight = false;
                self.after_poll_activity();
            }
            Input::PollFailed { error, .. } | Input::PostFailed { error, .. } => {
                self.transport_failed(error)
            }
            Input::WsOpened { .. } => {}
            Input::WsFrame { frame, .. } => match Packet::from_frame(frame) {
                Ok(packet) => self.on_packet(packet, now),
                Err(_) => self.close_with(CloseReason::ParseError),
            },
            Input::WsClosed { error, .. } => match (self.state, error) {
                (State::Opening, error) => {
                    self.transport_failed(error.unwrap_or_else(|| "websocket closed".into()))
                }
                (_, Some(error)) => self.close_with(CloseReason::TransportError(error)),
                (_, None) => self.close_with(CloseReason::TransportClose),
            },
        }
    }

    fn ping_expired(&self, now: Millis) -> bool {
        self.state == State::Open && self.ping_deadline.is_some_and(|d| now >= d)
    }

    fn close_with(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.ping_deadline = None;
        if let Some((id, _)) = self.probe.take() {
            self.transmits.push_back(Transmit::WsClose { id });
        }
        if self.active.kind == TransportKind::WebSocket {
            self.transmits
                .push_back(Transmit::WsClose { id: self.active.id });
        }
        self.events.push_back(EngineEvent::Closed(reason));
    }

    fn fresh_id(&mut self) -> TransportId {
        let id = TransportId(self.next_id);
        self.next_id += 1;
        id
    }

    fn query(&mut self, kind: TransportKind) -> String {
        let mut q = format!("EIO=4&transport={}", kind.name());
        if kind == TransportKind::Polling {
            // Defeats HTTP caches between the browser and the server, as engine.io-client's `t=`.
            self.requests += 1;
            q.push_str(&format!("&t={}.{}", self.next_id, self.requests));
        }
        if let Some(h) = &self.handshake {
            q.push_str("&sid=");
            q.push_str(&h.sid);
        }
        q
    }
}

#[path = "engine_flow.rs"]
mod flow;

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
