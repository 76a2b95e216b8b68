//! How the session moves: the packets that drive it (handshake, ping), the long-poll loop and
//! its batched POSTs, the upgrade probe and pause, and the close that drains first.

use super::{
    Active, CloseReason, Engine, EngineEvent, Input, ProbeStage, State, Transmit, TransportKind,
};
use crate::{
    Millis,
    eio::{Frame, Packet},
    payload,
};

impl Engine {
    pub(super) fn open_transport(&mut self) {
        let kind = self.config.transports[self.attempt];
        self.active = Active {
            kind,
            id: self.fresh_id(),
        };
        let query = self.query(kind);
        match kind {
            TransportKind::Polling => {
                self.get_in_flight = true;
                self.transmits.push_back(Transmit::PollGet {
                    id: self.active.id,
                    query,
                });
            }
            TransportKind::WebSocket => self.transmits.push_back(Transmit::WsOpen {
                id: self.active.id,
                query,
            }),
        }
    }

    pub(super) fn transport_failed(&mut self, error: String) {
        if self.state == State::Opening
            && self.config.try_all_transports
            && self.attempt + 1 < self.config.transports.len()
        {
            if self.active.kind == TransportKind::WebSocket {
                self.transmits
                    .push_back(Transmit::WsClose { id: self.active.id });
            }
            self.attempt += 1;
            self.get_in_flight = false;
            self.post_in_flight = false;
            self.open_transport();
        } else {
            self.close_with(CloseReason::TransportError(error));
        }
    }

    pub(super) fn on_packet(&mut self, packet: Packet, now: Millis) {
        if self.state == State::Closed {
            return;
        }
        match packet {
            Packet::Open(handshake) if self.state == State::Opening => {
                self.state = State::Open;
                self.ping_deadline = Some(now + handshake.ping_interval + handshake.ping_timeout);
                self.events.push_back(EngineEvent::Open {
                    transport: self.active.kind,
                    handshake: handshake.clone(),
                });
                let offers_ws = handshake.upgrades.iter().any(|u| u == "websocket");
                self.handshake = Some(handshake);
                if self.active.kind == TransportKind::Polling
                    && self.config.upgrade
                    && offers_ws
                    && self.config.transports.contains(&TransportKind::WebSocket)
                {
                    let id = self.fresh_id();
                    let query = self.query(TransportKind::WebSocket);
                    self.probe = Some((id, ProbeStage::Connecting));
                    self.transmits.push_back(Transmit::WsOpen { id, query });
                }
                self.flush();
            }
            Packet::Ping(data) => {
                if let Some(h) = &self.handshake {
                    self.ping_deadline = Some(now + h.ping_interval + h.ping_timeout);
                }
                // The pong jumps the queue: a long write buffer must not starve the heartbeat.
                // Once closing nothing is written (engine.io-client drops it too).
                if !self.closing {
                    self.write_buffer.push_front(Packet::Pong(data));
                    self.flush();
                }
            }
            Packet::Message(text) => self.events.push_back(EngineEvent::Message(text)),
            Packet::Binary(bytes) => self.events.push_back(EngineEvent::Binary(bytes)),
            Packet::Close => self.close_with(CloseReason::TransportClose),
            Packet::Noop | Packet::Pong(_) | Packet::Upgrade | Packet::Open(_) => {}
        }
    }

    pub(super) fn handle_probe(&mut self, input: Input) {
        let Some((id, stage)) = self.probe else {
            return;
        };
        match (input, stage) {
            (Input::WsOpened { .. }, ProbeStage::Connecting) => {
                self.probe = Some((id, ProbeStage::Probing));
                let frame = Packet::Ping("probe".into()).to_frame();
                self.transmits.push_back(Transmit::WsSend { id, frame });
            }
            (
                Input::WsFrame {
                    frame: Frame::Text(text),
                    ..
                },
                ProbeStage::Probing,
            ) if text == "3probe" => {
                self.probe = Some((id, ProbeStage::Pausing));
                self.after_poll_activity();
            }
            (Input::WsClosed { error, .. }, _) => {
                self.abandon_probe(error.unwrap_or_else(|| "probe websocket closed".into()))
            }
            (_, _) => self.abandon_probe("unexpected probe reply".into()),
        }
    }

    pub(super) fn abandon_probe(&mut self, why: String) {
        if let Some((id, _)) = self.probe.take() {
            // Also after the socket closed by itself: the driver drops its handle on this.
            self.transmits.push_back(Transmit::WsClose { id });
        }
        self.events.push_back(EngineEvent::UpgradeFailed(why));
        // Polling may have been paused for the switch: resume it.
        self.after_poll_activity();
    }

    /// Runs whenever a polling request finished: keep the long-poll going, flush the next
    /// batch, or complete a pending upgrade once polling is drained.
    pub(super) fn after_poll_activity(&mut self) {
        if self.state != State::Open || self.active.kind != TransportKind::Polling {
            return;
        }
        if self.closing {
            // No new long poll: the session is about to end.
            self.flush();
            self.finish_closing();
            return;
        }
        if let Some((id, ProbeStage::Pausing)) = self.probe {
            if !self.get_in_flight && !self.post_in_flight {
                self.probe = None;
                self.active = Active {
                    kind: TransportKind::WebSocket,
                    id,
                };
                self.transmits.push_back(Transmit::WsSend {
                    id,
                    frame: Packet::Upgrade.to_frame(),
                });
                self.events
                    .push_back(EngineEvent::Upgraded(TransportKind::WebSocket));
                self.flush();
            }
            return;
        }
        if !self.get_in_flight {
            self.get_in_flight = true;
            let query = self.query(TransportKind::Polling);
            self.transmits.push_back(Transmit::PollGet {
                id: self.active.id,
                query,
            });
        }
        self.flush();
    }

    pub(super) fn flush(&mut self) {
        if self.state != State::Open || self.write_buffer.is_empty() {
            return;
        }
        match self.active.kind {
            TransportKind::WebSocket => {
                let id = self.active.id;
                for packet in self.write_buffer.drain(..) {
                    self.transmits.push_back(Transmit::WsSend {
                        id,
                        frame: packet.to_frame(),
                    });
                }
            }
            TransportKind::Polling => {
                // While pausing for an upgrade, new writes wait for the WebSocket.
                if self.post_in_flight || matches!(self.probe, Some((_, ProbeStage::Pausing))) {
                    return;
                }
                let max = self
                    .handshake
                    .as_ref()
                    .map_or(100_000, |h| h.max_payload as usize);
                if let Some(body) = payload::encode_batch(&mut self.write_buffer, max) {
                    self.post_in_flight = true;
                    let query = self.query(TransportKind::Polling);
                    self.transmits.push_back(Transmit::PollPost {
                        id: self.active.id,
                        query,
                        body,
                    });
                }
            }
        }
    }

    pub(super) fn finish_closing(&mut self) {
        if self.closing
            && self.state == State::Open
            && !self.post_in_flight
            && self.write_buffer.is_empty()
        {
            let query = self.query(TransportKind::Polling);
            self.transmits.push_back(Transmit::PollPost {
                id: self.active.id,
                query,
                body: Packet::Close.to_text(),
            });
            self.close_with(CloseReason::ForcedClose);
        }
    }
}
