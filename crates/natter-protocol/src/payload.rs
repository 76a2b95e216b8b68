//! HTTP long-polling payloads: packets joined with the record separator `\x1e`.
//!
//! The separator cannot appear inside a Socket.IO message: JSON escapes control characters,
//! and binary packets are base64. Engine.IO itself has no escaping, so a raw `\x1e` inside a
//! hand-made [`Packet::Message`] would split it in two, exactly as with engine.io-parser.

use crate::{DecodeError, eio::Packet};
use std::collections::VecDeque;

pub const SEPARATOR: char = '\x1e';

/// Decode a polling response body into its packets.
///
/// Any undecodable entry fails the whole body: engine.io-parser stops at the first error packet
/// and the socket then closes with "parse error", so the packets before it must not be acted on.
pub fn decode(body: &str) -> Result<Vec<Packet>, DecodeError> {
    body.split(SEPARATOR).map(Packet::from_text).collect()
}

/// Encode packets into one polling body.
pub fn encode(packets: &[Packet]) -> String {
    let mut body = String::new();
    for (i, packet) in packets.iter().enumerate() {
        if i > 0 {
            body.push(SEPARATOR);
        }
        body.push_str(&packet.to_text());
    }
    body
}

/// Take packets from the front of `queue` while the body stays within `max_payload` bytes,
/// always at least one (as engine.io-client's `_getWritablePackets`), and encode them.
/// Returns `None` when the queue is empty.
///
/// Sizes are the exact encoded byte lengths, separators included. engine.io-client estimates
/// binary packets at 1.33 × their raw size, which undercounts small ones (1 byte is 4 in
/// base64); measuring keeps every multi-packet body within what the server accepts.
pub fn encode_batch(queue: &mut VecDeque<Packet>, max_payload: usize) -> Option<String> {
    // An oversized first packet still goes out, alone: the server answers 413 and the
    // transport fails, as with engine.io-client. Holding it back would stall the queue forever.
    let first = queue.pop_front()?;
    let mut body = first.to_text();
    while let Some(next) = queue.front() {
        let text = next.to_text();
        if body.len().saturating_add(1).saturating_add(text.len()) > max_payload {
            break;
        }
        body.push(SEPARATOR);
        body.push_str(&text);
        queue.pop_front();
    }
    Some(body)
}
