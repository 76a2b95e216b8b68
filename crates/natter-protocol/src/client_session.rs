//! The session side of the client: starting engines, what their events mean (packets per
//! namespace, acks, the end of a session) and when to try again.

use super::{AckError, AckOwner, AckToken, Client, ClientEvent, DisconnectReason, NsState, Phase};
use crate::{
    Millis, eio,
    engine::{CloseReason, Engine, EngineEvent},
    sio::{self, PacketType},
};
use serde_json::Value;

impl Client {
    pub(super) fn start_engine(&mut self, now: Millis) {
        let engine = Engine::open(self.config.engine.clone(), self.next_transport_id);
        self.next_transport_id = engine.next_id();
        self.engine = Some(engine);
        self.decoder.reset();
        self.phase = Phase::Connecting { since: now };
        self.drain_engine(now);
    }

    pub(super) fn send_connect(&mut self, nsp: &str, now: Millis) {
        let auth = self.namespaces.get(nsp).and_then(|ns| ns.auth.clone());
        self.send_packet(sio::Packet::connect(nsp, auth), now);
    }

    pub(super) fn send_packet(&mut self, packet: sio::Packet, now: Millis) {
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        let (text, attachments) = packet.encode();
        engine.send(eio::Packet::Message(text), now);
        for bytes in attachments {
            engine.send(eio::Packet::Binary(bytes), now);
        }
        self.drain_engine(now);
    }

    /// Move the engine's output up, and react to what it reported.
    pub(super) fn drain_engine(&mut self, now: Millis) {
        loop {
            let Some(engine) = self.engine.as_mut() else {
                return;
            };
            while let Some(t) = engine.poll_transmit() {
                self.transmits.push_back(t);
            }
            let Some(event) = engine.poll_event() else {
                return;
            };
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
                // A switch completed by the same input that made us close is no news
                // (engine.io-client abandons an upgrade once closed).
                EngineEvent::Upgraded(t) if self.phase != Phase::Closed => {
                    self.events.push_back(ClientEvent::Transport(t))
                }
                EngineEvent::Upgraded(_) => {}
                EngineEvent::UpgradeFailed(why) => {
                    self.events.push_back(ClientEvent::UpgradeFailed(why))
                }
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

    pub(super) fn on_decoded(
        &mut self,
        decoded: Result<Option<sio::Packet>, crate::DecodeError>,
        now: Millis,
    ) {
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

    pub(super) fn drain_engine_as(&mut self, reason: CloseReason, now: Millis) {
        if let Some(engine) = self.engine.as_mut() {
            while let Some(t) = engine.poll_transmit() {
                self.transmits.push_back(t);
            }
            while engine.poll_event().is_some() {}
        }
        self.on_engine_closed(reason, now);
    }

    pub(super) fn on_packet(&mut self, packet: sio::Packet, now: Millis) {
        let nsp = packet.nsp.clone();
        let Some(ns) = self.namespaces.get_mut(&nsp) else {
            return;
        };
        match packet.ty {
            PacketType::Connect => {
                ns.state = NsState::Connected;
                let buffered: Vec<sio::Packet> = ns.send_buffer.drain(..).collect();
                self.events
                    .push_back(ClientEvent::Connected { nsp: nsp.clone() });
                for p in buffered {
                    self.send_packet(p, now);
                }
                // socket.io-client `onconnect`: the head of the queue goes again, even if a try
                // of it was under way on the previous connection.
                self.drain_queue(&nsp, true, now);
            }
            PacketType::ConnectError => {
                ns.state = NsState::Stopped;
                let (message, data) = match packet.data {
                    Some(Value::String(s)) => (s, None),
                    Some(Value::Object(mut o)) => {
                        let message = o
                            .remove("message")
                            .and_then(|m| m.as_str().map(str::to_owned));
                        (message.unwrap_or_default(), o.remove("data"))
                    }
                    _ => (String::new(), None),
                };
                self.events
                    .push_back(ClientEvent::ConnectError { nsp, message, data });
                self.close_if_idle();
            }
            PacketType::Disconnect => {
                ns.state = NsState::Stopped;
                self.fail_acks(&nsp, AckError::Disconnected);
                self.events.push_back(ClientEvent::Disconnected {
                    nsp,
                    reason: DisconnectReason::IoServerDisconnect,
                });
                self.close_if_idle();
            }
            PacketType::Event | PacketType::BinaryEvent => {
                if ns.state != NsState::Connected {
                    return;
                }
                let Some(Value::Array(mut args)) = packet.data else {
                    return;
                };
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
                let Some(ack) = packet.id.and_then(|id| ns.acks.remove(&id)) else {
                    return;
                };
                let args = match packet.data {
                    Some(Value::Array(args)) => args,
                    _ => Vec::new(),
                };
                match ack.owner {
                    AckOwner::Caller(token) => self.resolve(token, args, packet.attachments),
                    AckOwner::Queue => self.queue_acked(&nsp, args, packet.attachments, now),
                }
            }
        }
    }

    pub(super) fn fail_acks(&mut self, nsp: &str, error: AckError) {
        let Some(ns) = self.namespaces.get_mut(nsp) else {
            return;
        };
        // Emits still in the send buffer keep their ack: they will be sent after reconnecting.
        let buffered: Vec<u64> = ns.send_buffer.iter().filter_map(|p| p.id).collect();
        let failed: Vec<u64> = ns
            .acks
            .keys()
            .filter(|id| !buffered.contains(id))
            .copied()
            .collect();
        let mut queue_failed = false;
        for id in failed {
            let Some(ack) = ns.acks.remove(&id) else {
                continue;
            };
            match ack.owner {
                AckOwner::Caller(token) => self.events.push_back(ClientEvent::Ack {
                    token,
                    result: Err(error.clone()),
                }),
                // socket.io-client counts a lost connection as a failed try only when the ack
                // had a timer (its `withError` callbacks); otherwise the reconnect just resends.
                AckOwner::Queue => queue_failed |= ack.deadline.is_some(),
            }
        }
        if queue_failed {
            // Not connected any more, so this never sends: `now` is irrelevant.
            self.queue_try_failed(nsp, error, 0);
        }
    }

    /// Hand a successful ack to whoever emitted.
    pub(super) fn resolve(&mut self, token: AckToken, args: Vec<Value>, attachments: Vec<Vec<u8>>) {
        self.events.push_back(if attachments.is_empty() {
            ClientEvent::Ack {
                token,
                result: Ok(args),
            }
        } else {
            ClientEvent::BinaryAck {
                token,
                args,
                attachments,
            }
        });
    }

    /// socket.io-client's Manager closes once no socket is active (`_destroy`): with every
    /// namespace stopped there is nothing left to reconnect for.
    pub(super) fn close_if_idle(&mut self) {
        if self
            .namespaces
            .values()
            .all(|ns| ns.state == NsState::Stopped)
            && self.phase != Phase::Closed
        {
            self.close();
        }
    }

    pub(super) fn on_engine_closed(&mut self, reason: CloseReason, now: Millis) {
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

    pub(super) fn schedule_reconnect(&mut self, now: Millis) {
        if !self.config.reconnection {
            self.phase = Phase::Closed;
            return;
        }
        if self
            .config
            .reconnection_attempts
            .is_some_and(|max| self.backoff.attempts >= max)
        {
            self.phase = Phase::Closed;
            self.events.push_back(ClientEvent::ReconnectFailed);
            return;
        }
        let delay_ms = self.backoff.next_delay(self.rng.next_f64());
        self.phase = Phase::Waiting {
            until: now + delay_ms,
        };
        self.events.push_back(ClientEvent::Reconnecting {
            attempt: self.backoff.attempts,
            delay_ms,
        });
    }
}
