//! What the driver needs of its platform: emitting with acks, storing the outbox, time.

use crate::Outgoing;
use serde_json::Value;
use std::collections::HashMap;

/// How long the server has to ack before a request counts as lost (and is retried).
pub const ACK_TIMEOUT_MS: u64 = 5_000;

/// Names a request, so that its ack finds its way back.
pub type Ticket = u64;

/// The connection: emit `name` with `payload` and an ack. The outcome comes back as
/// [`crate::Driver::on_reply`] with the same ticket, once: the ack's payload, or [`crate::Failure::Lost`]
/// after [`ACK_TIMEOUT_MS`] or a disconnect. Must not call into the driver before returning.
pub trait Emit {
    fn emit(&mut self, ticket: Ticket, name: &'static str, payload: Value);
    /// Emit volatile, with no ack: dropped unless connected (typing signals).
    fn signal(&mut self, name: &'static str, payload: Value);
}

/// Where the outbox outlives the page (localStorage in the browser, memory in tests). Other
/// tabs of the same user share the entry.
pub trait Storage {
    fn load(&self, key: &str) -> Option<Vec<Outgoing>>;
    fn save(&mut self, key: &str, outbox: &[Outgoing]);
}

/// Why the driver asked to be woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Send the outbox again (after `not_stored` or `rate_limited`).
    Resend,
    /// A typing indicator may have run out.
    Typing,
    /// Holes in the live stream may be due for a sync ([`crate::Session::check_gaps`]).
    Gaps,
}

/// Time: the wall clock (message ids, outbox timestamps, typing), and a wake-up that must come
/// back as [`crate::Driver::on_wake`] with the same [`Wake`], later, never from inside this
/// call.
pub trait Clock {
    fn now_ms(&self) -> i64;
    fn wake_after(&mut self, ms: u64, wake: Wake);
}

/// A [`Storage`] in memory, for native clients and tests.
#[derive(Debug, Default, Clone)]
pub struct MemoryStorage(HashMap<String, Vec<Outgoing>>);

impl Storage for MemoryStorage {
    fn load(&self, key: &str) -> Option<Vec<Outgoing>> {
        self.0.get(key).cloned()
    }
    fn save(&mut self, key: &str, outbox: &[Outgoing]) {
        self.0.insert(key.to_owned(), outbox.to_vec());
    }
}
