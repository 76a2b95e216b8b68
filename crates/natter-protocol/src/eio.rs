//! Engine.IO v4 packets: `<type><data>` text frames, raw binary frames.

use crate::DecodeError;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};

/// The server's `open` packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// Session id: sent back as `&sid=` on every request of this session.
    pub sid: String,
    /// Transports the session may upgrade to (`["websocket"]` when opened on polling).
    pub upgrades: Vec<String>,
    /// How often the server pings, in ms.
    pub ping_interval: u64,
    /// How long the server waits for our pong, in ms.
    pub ping_timeout: u64,
    /// Largest polling POST body the server accepts, in bytes.
    pub max_payload: u64,
}

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    Open(Handshake),
    Close,
    /// Server → client heartbeat (`2`), or the client's `2probe` during an upgrade.
    Ping(String),
    /// Client → server heartbeat reply (`3`), or the server's `3probe`.
    Pong(String),
    Message(String),
    Binary(Vec<u8>),
    Upgrade,
    Noop,
}

/// One WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// Standard alphabet, always padded on output. engine.io-parser's decoder ignores padding
/// altogether, so input is accepted with or without it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encode bytes the way engine.io-parser does for the polling transport.
pub fn encode_base64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// Decode the base64 part of a `b<base64>` packet.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, DecodeError> {
    BASE64.decode(text).map_err(|_| DecodeError::Base64)
}

impl Packet {
    /// The packet type digit; binary packets have none (they travel as `b…` or as a raw frame).
    fn type_char(&self) -> Option<char> {
        Some(match self {
            Packet::Open(_) => '0',
            Packet::Close => '1',
            Packet::Ping(_) => '2',
            Packet::Pong(_) => '3',
            Packet::Message(_) => '4',
            Packet::Upgrade => '5',
            Packet::Noop => '6',
            Packet::Binary(_) => return None,
        })
    }

    /// Encode for the WebSocket transport: binary packets become binary frames.
    pub fn to_frame(&self) -> Frame {
        match self {
            Packet::Binary(bytes) => Frame::Binary(bytes.clone()),
            other => Frame::Text(other.to_text()),
        }
    }

    /// Encode as text: binary packets become `b<base64>` (the polling form).
    pub fn to_text(&self) -> String {
        let data: String = match self {
            Packet::Binary(bytes) => return format!("b{}", encode_base64(bytes)),
            // A struct of strings and integers always serializes; the fallback is unreachable
            // and only there so that no code path can panic.
            Packet::Open(handshake) => serde_json::to_string(handshake).unwrap_or_default(),
            Packet::Ping(data) | Packet::Pong(data) | Packet::Message(data) => data.clone(),
            Packet::Close | Packet::Upgrade | Packet::Noop => String::new(),
        };
        let mut out = String::with_capacity(data.len() + 1);
        out.extend(self.type_char());
        out.push_str(&data);
        out
    }

    /// Decode one WebSocket message.
    pub fn from_frame(frame: Frame) -> Result<Packet, DecodeError> {
        match frame {
            Frame::Binary(bytes) => Ok(Packet::Binary(bytes)),
            // engine.io-parser does not know which transport a string came from, so a text
            // frame may also carry `b<base64>`.
            Frame::Text(text) => Packet::from_text(&text),
        }
    }

    /// Decode one text packet; `b<base64>` decodes to [`Packet::Binary`].
    pub fn from_text(text: &str) -> Result<Packet, DecodeError> {
        let mut chars = text.chars();
        let ty = chars.next().ok_or(DecodeError::Empty)?;
        // `chars.as_str()` starts right after the first char, so multibyte input cannot split.
        let data = chars.as_str();
        Ok(match ty {
            'b' => Packet::Binary(decode_base64(data)?),
            '0' => Packet::Open(
                serde_json::from_str(data).map_err(|e| DecodeError::Handshake(e.to_string()))?,
            ),
            // engine.io-parser keeps data on any packet type; close/upgrade/noop carry none
            // that means anything, so it is dropped rather than treated as garbage.
            '1' => Packet::Close,
            '2' => Packet::Ping(data.to_owned()),
            '3' => Packet::Pong(data.to_owned()),
            '4' => Packet::Message(data.to_owned()),
            '5' => Packet::Upgrade,
            '6' => Packet::Noop,
            other => return Err(DecodeError::UnknownType(other)),
        })
    }
}
