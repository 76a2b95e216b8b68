//! The retry queue (socket.io-client 4.6+ `retries` / `ackTimeout`): at-least-once emits.
//!
//! Every queued emit asks the server for an ack. Only the head of a namespace's queue is in
//! flight, so order holds; it is sent again when a try's ack times out or the connection comes
//! back, and dropped with the last error after `1 + retries` tries. A resend is a new packet
//! with a new ack id, so a late ack for an earlier try is ignored and the caller sees exactly
//! one result — but the server may see the event more than once and must dedupe.

use super::{AckError, AckOwner, AckToken, Client, ClientEvent, PendingAck};
use crate::{Millis, sio};
use serde_json::Value;

#[derive(Debug)]
pub(super) struct Queued {
    name: String,
    args: Vec<Value>,
    attachments: Vec<Vec<u8>>,
    /// The caller's token, if it wants the final result.
    token: Option<AckToken>,
    /// Per-try ack timeout.
    timeout_ms: Option<u64>,
    tries: u32,
    /// A try is under way (socket.io-client `pending`).
    pending: bool,
}

impl Client {
    /// Emit at least once, through the namespace's retry queue, whatever
    /// [`ClientConfig::retries`](super::ClientConfig::retries) says (with 0: one try per ack
    /// timeout, yet still resent after a reconnect). `token` receives the final result;
    /// `timeout_ms` bounds each try, [`ClientConfig::ack_timeout_ms`](super::ClientConfig::ack_timeout_ms)
    /// when `None`. Returns `false` for an unknown namespace.
    #[allow(clippy::too_many_arguments)]
    pub fn emit_reliable(
        &mut self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        token: Option<AckToken>,
        timeout_ms: Option<u64>,
        now: Millis,
    ) -> bool {
        let timeout_ms = timeout_ms.or(self.config.ack_timeout_ms);
        let Some(ns) = self.namespaces.get_mut(nsp) else {
            return false;
        };
        ns.queue.push_back(Queued {
            name: name.to_owned(),
            args,
            attachments,
            token,
            timeout_ms,
            tries: 0,
            pending: false,
        });
        self.drain_queue(nsp, false, now);
        true
    }

    /// Send the head of the queue unless a try of it is already under way (`force`: send
    /// anyway, after a reconnect). socket.io-client `_drainQueue`.
    pub(super) fn drain_queue(&mut self, nsp: &str, force: bool, now: Millis) {
        let writable = self.writable(nsp);
        let Some(ns) = self.namespaces.get_mut(nsp) else {
            return;
        };
        if ns.state != super::NsState::Connected {
            return;
        }
        let Some(head) = ns.queue.front_mut() else {
            return;
        };
        if head.pending && !force {
            return;
        }
        head.pending = true;
        head.tries += 1;
        let mut packet = sio::Packet::event(nsp, &head.name, head.args.clone(), None);
        packet.attachments = head.attachments.clone();
        let deadline = head.timeout_ms.map(|t| now + t);
        // A forced resend supersedes the previous try: its ack, should it still come, is stale.
        ns.acks.retain(|_, a| a.owner != AckOwner::Queue);
        let id = ns.next_ack_id;
        ns.next_ack_id += 1;
        ns.acks.insert(
            id,
            PendingAck {
                owner: AckOwner::Queue,
                deadline,
            },
        );
        packet.id = Some(id);
        if writable {
            self.send_packet(packet, now);
        } else {
            // Connected but the engine is not writable (e.g. closing): wait like any emit.
            ns.send_buffer.push_back(packet);
        }
    }

    /// The current try failed (ack timeout, or disconnected while its timer ran).
    pub(super) fn queue_try_failed(&mut self, nsp: &str, error: AckError, now: Millis) {
        let retries = self.config.retries;
        let Some(ns) = self.namespaces.get_mut(nsp) else {
            return;
        };
        let Some(head) = ns.queue.front_mut() else {
            return;
        };
        head.pending = false;
        if head.tries > retries {
            let dropped = ns.queue.pop_front();
            if let Some(token) = dropped.and_then(|q| q.token) {
                self.events.push_back(ClientEvent::Ack {
                    token,
                    result: Err(error),
                });
            }
        }
        self.drain_queue(nsp, false, now);
    }

    /// The server acked the current try: the head is done, the next one goes.
    pub(super) fn queue_acked(
        &mut self,
        nsp: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        now: Millis,
    ) {
        let Some(ns) = self.namespaces.get_mut(nsp) else {
            return;
        };
        let done = ns.queue.pop_front();
        if let Some(token) = done.and_then(|q| q.token) {
            self.resolve(token, args, attachments);
        }
        self.drain_queue(nsp, false, now);
    }

    /// Emits still waiting in the retry queue of `nsp`, the one in flight included.
    pub fn queued(&self, nsp: &str) -> usize {
        self.namespaces.get(nsp).map_or(0, |ns| ns.queue.len())
    }
}
