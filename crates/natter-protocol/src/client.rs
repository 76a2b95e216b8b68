//! The Socket.IO v5 client as a state machine: namespaces over one engine, acks with timeouts,
//! the send buffer, and reconnection with backoff (socket.io-client's `Manager` + `Socket`).

use crate::{
    Millis,
    backoff::{Backoff, Rng},
    eio,
    engine::{CloseReason, Engine, EngineConfig, EngineEvent, Input, Transmit, TransportKind},
    sio::{self, PacketType},
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
    Connected { nsp: String },
    ConnectError { nsp: String, message: String, data: Option<Value> },
    Disconnected { nsp: String, reason: DisconnectReason },
    /// An event from the server; answer `ack_id` with [`Client::ack`].
    Event { nsp: String, name: String, args: Vec<Value>, attachments: Vec<Vec<u8>>, ack_id: Option<u64> },
    Ack { token: AckToken, result: Result<Vec<Value>, AckError> },
    /// The next attempt starts in `delay_ms`.
    Reconnecting { attempt: u32, delay_ms: u64 },
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

#[derive(Debug)]
struct PendingAck {
    token: AckToken,
    deadline: Millis,
}

#[derive(Debug)]
struct Namespace {
    auth: Option<Value>,
    state: NsState,
    /// Emits made while not connected, sent on the next CONNECT (socket.io-client `sendBuffer`).
    send_buffer: VecDeque<sio::Packet>,
    acks: BTreeMap<u64, PendingAck>,
    next_ack_id: u64,
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
        let ns = self.namespaces.entry(nsp.to_owned()).or_insert_with(|| Namespace {
            auth: None,
            state: NsState::Pending,
            send_buffer: VecDeque::new(),
            acks: BTreeMap::new(),
            next_ack_id: 0,
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
        let Some(ns) = self.namespaces.get_mut(nsp) else { return };
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
    }

    /// Close everything; no reconnection.
    pub fn close(&mut self) {
        self.phase = Phase::Closed;
        if let Some(engine) = self.engine.as_mut() {
            engine.close();
        }
        self.drain_engine(0);
    }

    pub fn transport(&self) -> Option<TransportKind> {
        self.engine.as_ref().and_then(Engine::transport)
    }

    pub fn is_connected(&self, nsp: &str) -> bool {
        self.namespaces.get(nsp).is_some_and(|ns| ns.state == NsState::Connected)
    }

    /// Emit an event. Returns `false` when a volatile event was dropped.
    pub fn emit(&mut self, nsp: &str, name: &str, args: Vec<Value>, opts: EmitOptions, now: Millis) -> bool {
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
        let writable = self.is_connected(nsp) && self.engine.as_ref().is_some_and(Engine::is_open);
        if opts.volatile && !writable {
            return false;
        }
        let Some(ns) = self.namespaces.get_mut(nsp) else { return false };
        let id = opts.ack.map(|(token, timeout)| {
            let id = ns.next_ack_id;
            ns.next_ack_id += 1;
            ns.acks.insert(id, PendingAck { token, deadline: now + timeout });
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
        self.send_packet(sio::Packet::ack(nsp, id, args), now);
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        let acks = self.namespaces.values().flat_map(|ns| ns.acks.values().map(|a| a.deadline));
        let phase = match self.phase {
            Phase::Connecting { since } => Some(since + self.config.connect_timeout_ms),
            Phase::Waiting { until } => Some(until),
            _ => None,
        };
        let engine = self.engine.as_ref().and_then(Engine::poll_timeout);
        acks.chain(phase).chain(engine).min()
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        for (nsp, ns) in self.namespaces.iter_mut() {
            let expired: Vec<u64> = ns.acks.iter().filter(|(_, a)| a.deadline <= now).map(|(id, _)| *id).collect();
            for id in expired {
                if let Some(ack) = ns.acks.remove(&id) {
                    // A timed-out emit still waiting in the buffer is withdrawn, as socket.io-client does.
                    ns.send_buffer.retain(|p| p.id != Some(id) || p.nsp != *nsp);
                    self.events.push_back(ClientEvent::Ack { token: ack.token, result: Err(AckError::Timeout) });
                }
            }
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

    fn start_engine(&mut self, now: Millis) {
        let engine = Engine::open(self.config.engine.clone(), self.next_transport_id);
        self.next_transport_id = engine.next_id();
        self.engine = Some(engine);
        self.decoder.reset();
        self.phase = Phase::Connecting { since: now };
        self.drain_engine(now);
    }

    fn send_connect(&mut self, nsp: &str, now: Millis) {
        let auth = self.namespaces.get(nsp).and_then(|ns| ns.auth.clone());
        self.send_packet(sio::Packet::connect(nsp, auth), now);
    }

    fn send_packet(&mut self, packet: sio::Packet, now: Millis) {
        let Some(engine) = self.engine.as_mut() else { return };
        let (text, attachments) = packet.encode();
        engine.send(eio::Packet::Message(text), now);
        for bytes in attachments {
            engine.send(eio::Packet::Binary(bytes), now);
        }
        self.drain_engine(now);
    }

    /// Move the engine's output up, and react to what it reported.
    fn drain_engine(&mut self, now: Millis) {
        loop {
            let Some(engine) = self.engine.as_mut() else { return };
            while let Some(t) = engine.poll_transmit() {
                self.transmits.push_back(t);
            }
            let Some(event) = engine.poll_event() else { return };
            match event {
                EngineEvent::Open { transport, .. } => {
                    self.phase = Phase::Open;
                    self.backoff.reset();
                    self.events.push_back(ClientEvent::Transport(transport));
                    let pending: Vec<String> = self
                        .namespaces
                        .iter()
                        .filter(|(_, ns)| ns.state == NsState::Pending)
                        .map(|(nsp, _)| nsp.clone())
                        .collect();
                    for nsp in pending {
                        self.send_connect(&nsp, now);
                    }
                }
                EngineEvent::Upgraded(t) => self.events.push_back(ClientEvent::Transport(t)),
                EngineEvent::UpgradeFailed(why) => self.events.push_back(ClientEvent::UpgradeFailed(why)),
                EngineEvent::Message(text) => {
                    let decoded = self.decoder.decode_text(&text);
                    self.on_decoded(decoded, now);
                }
                EngineEvent::Binary(bytes) => {
                    let decoded = self.decoder.decode_binary(bytes);
                    self.on_decoded(decoded, now);
                }
                EngineEvent::Closed(reason) => self.on_engine_closed(reason, now),
            }
        }
    }

    fn on_decoded(&mut self, decoded: Result<Option<sio::Packet>, crate::DecodeError>, now: Millis) {
        match decoded {
            Ok(Some(packet)) => self.on_packet(packet, now),
            Ok(None) => {}
            Err(_) => {
                if let Some(engine) = self.engine.as_mut() {
                    engine.close();
                }
                // The engine reports ForcedClose; a parse error must reconnect, so say so.
                self.drain_engine_as(CloseReason::ParseError, now);
            }
        }
    }

    fn drain_engine_as(&mut self, reason: CloseReason, now: Millis) {
        if let Some(engine) = self.engine.as_mut() {
            while let Some(t) = engine.poll_transmit() {
                self.transmits.push_back(t);
            }
            while engine.poll_event().is_some() {}
        }
        self.on_engine_closed(reason, now);
    }

    fn on_packet(&mut self, packet: sio::Packet, now: Millis) {
        let nsp = packet.nsp.clone();
        let Some(ns) = self.namespaces.get_mut(&nsp) else { return };
        match packet.ty {
            PacketType::Connect => {
                ns.state = NsState::Connected;
                let buffered: Vec<sio::Packet> = ns.send_buffer.drain(..).collect();
                self.events.push_back(ClientEvent::Connected { nsp });
                for p in buffered {
                    self.send_packet(p, now);
                }
            }
            PacketType::ConnectError => {
                ns.state = NsState::Stopped;
                let (message, data) = match packet.data {
                    Some(Value::String(s)) => (s, None),
                    Some(Value::Object(mut o)) => {
                        let message = o.remove("message").and_then(|m| m.as_str().map(str::to_owned));
                        (message.unwrap_or_default(), o.remove("data"))
                    }
                    _ => (String::new(), None),
                };
                self.events.push_back(ClientEvent::ConnectError { nsp, message, data });
            }
            PacketType::Disconnect => {
                ns.state = NsState::Stopped;
                self.fail_acks(&nsp, AckError::Disconnected);
                self.events
                    .push_back(ClientEvent::Disconnected { nsp, reason: DisconnectReason::IoServerDisconnect });
            }
            PacketType::Event | PacketType::BinaryEvent => {
                if ns.state != NsState::Connected {
                    return;
                }
                let Some(Value::Array(mut args)) = packet.data else { return };
                let name = match args.first() {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => return,
                };
                args.remove(0);
                self.events.push_back(ClientEvent::Event {
                    nsp,
                    name,
                    args,
                    attachments: packet.attachments,
                    ack_id: packet.id,
                });
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let Some(ack) = packet.id.and_then(|id| ns.acks.remove(&id)) else { return };
                let args = match packet.data {
                    Some(Value::Array(args)) => args,
                    _ => Vec::new(),
                };
                self.events.push_back(ClientEvent::Ack { token: ack.token, result: Ok(args) });
            }
        }
    }

    fn fail_acks(&mut self, nsp: &str, error: AckError) {
        let Some(ns) = self.namespaces.get_mut(nsp) else { return };
        // Emits still in the send buffer keep their ack: they will be sent after reconnecting.
        let buffered: Vec<u64> = ns.send_buffer.iter().filter_map(|p| p.id).collect();
        let failed: Vec<u64> = ns.acks.keys().filter(|id| !buffered.contains(id)).copied().collect();
        for id in failed {
            if let Some(ack) = ns.acks.remove(&id) {
                self.events.push_back(ClientEvent::Ack { token: ack.token, result: Err(error.clone()) });
            }
        }
    }

    fn on_engine_closed(&mut self, reason: CloseReason, now: Millis) {
        let was_open = self.phase == Phase::Open;
        self.engine = None;
        self.decoder.reset();
        let connected: Vec<String> = self
            .namespaces
            .iter_mut()
            .filter(|(_, ns)| ns.state != NsState::Stopped)
            .map(|(nsp, ns)| {
                ns.state = NsState::Pending;
                nsp.clone()
            })
            .collect();
        if was_open {
            for nsp in connected {
                self.fail_acks(&nsp, AckError::Disconnected);
                self.events.push_back(ClientEvent::Disconnected {
                    nsp,
                    reason: DisconnectReason::Engine(reason.clone()),
                });
            }
        }
        if reason == CloseReason::ForcedClose || self.phase == Phase::Closed {
            self.phase = Phase::Closed;
            return;
        }
        self.schedule_reconnect(now);
    }

    fn schedule_reconnect(&mut self, now: Millis) {
        if !self.config.reconnection {
            self.phase = Phase::Closed;
            return;
        }
        if self.config.reconnection_attempts.is_some_and(|max| self.backoff.attempts >= max) {
            self.phase = Phase::Closed;
            self.events.push_back(ClientEvent::ReconnectFailed);
            return;
        }
        let delay_ms = self.backoff.next_delay(self.rng.next_f64());
        self.phase = Phase::Waiting { until: now + delay_ms };
        self.events.push_back(ClientEvent::Reconnecting { attempt: self.backoff.attempts, delay_ms });
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
