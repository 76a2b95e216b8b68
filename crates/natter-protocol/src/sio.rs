//! Socket.IO v5 packets: `<type>[<#attachments>-][<nsp>,][<ackId>][JSON]`.
//!
//! Decoding mirrors socket.io-parser 4.2.6, minus its JavaScript coercions: the type, the
//! attachment count and the ack id must be ASCII digits, and nothing may follow the JSON.

use crate::DecodeError;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    Connect = 0,
    Disconnect = 1,
    Event = 2,
    Ack = 3,
    ConnectError = 4,
    BinaryEvent = 5,
    BinaryAck = 6,
}

/// Event names socket.io-client emits itself: accepting them from the wire would let a peer
/// fake lifecycle events.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

impl PacketType {
    fn from_char(c: char) -> Option<PacketType> {
        Some(match c {
            '0' => PacketType::Connect,
            '1' => PacketType::Disconnect,
            '2' => PacketType::Event,
            '3' => PacketType::Ack,
            '4' => PacketType::ConnectError,
            '5' => PacketType::BinaryEvent,
            '6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    fn as_char(self) -> char {
        match self {
            PacketType::Connect => '0',
            PacketType::Disconnect => '1',
            PacketType::Event => '2',
            PacketType::Ack => '3',
            PacketType::ConnectError => '4',
            PacketType::BinaryEvent => '5',
            PacketType::BinaryAck => '6',
        }
    }

    /// Whether the type announces an attachment count (BINARY_EVENT / BINARY_ACK).
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// One Socket.IO packet. Binary attachments stay as `{"_placeholder":true,"num":N}` in
/// `data`, with their bytes in `attachments[N]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    pub ty: PacketType,
    /// Namespace, `/` by default (omitted on the wire).
    pub nsp: String,
    pub id: Option<u64>,
    pub data: Option<Value>,
    pub attachments: Vec<Vec<u8>>,
}

/// Bounds the decoder enforces on what a peer may make it buffer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_attachments: usize,
    pub max_attachment_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // socket.io-parser's maxAttachments; 10 MB per attachment like socketioxide's ParserConfig.
        Limits {
            max_attachments: 10,
            max_attachment_size: 10 * 1024 * 1024,
        }
    }
}

/// The JSON stand-in for `attachments[num]`, as socket.io-parser's `deconstructPacket` writes it.
pub fn placeholder(num: usize) -> Value {
    serde_json::json!({ "_placeholder": true, "num": num })
}

impl Packet {
    fn new(ty: PacketType, nsp: &str, id: Option<u64>, data: Option<Value>) -> Packet {
        Packet {
            ty,
            nsp: nsp.to_owned(),
            id,
            data,
            attachments: Vec::new(),
        }
    }

    pub fn connect(nsp: &str, auth: Option<Value>) -> Packet {
        Packet::new(PacketType::Connect, nsp, None, auth)
    }

    pub fn event(nsp: &str, name: &str, args: Vec<Value>, id: Option<u64>) -> Packet {
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Value::String(name.to_owned()));
        data.extend(args);
        Packet::new(PacketType::Event, nsp, id, Some(Value::Array(data)))
    }

    pub fn ack(nsp: &str, id: u64, args: Vec<Value>) -> Packet {
        Packet::new(PacketType::Ack, nsp, Some(id), Some(Value::Array(args)))
    }

    pub fn disconnect(nsp: &str) -> Packet {
        Packet::new(PacketType::Disconnect, nsp, None, None)
    }

    /// Encode: the text part, then each attachment as its own binary message, in order.
    /// A packet with attachments is written as BINARY_EVENT / BINARY_ACK.
    ///
    /// Attachments on packet types that cannot carry them (CONNECT, …) are not sent. `nsp`
    /// must start with `/` and contain no `,`; like socket.io-parser, this is not checked.
    pub fn encode(&self) -> (String, Vec<Vec<u8>>) {
        let ty = match self.ty {
            PacketType::Event if !self.attachments.is_empty() => PacketType::BinaryEvent,
            PacketType::Ack if !self.attachments.is_empty() => PacketType::BinaryAck,
            ty => ty,
        };
        let mut out = String::new();
        out.push(ty.as_char());
        let attachments = if ty.is_binary() {
            out.push_str(&self.attachments.len().to_string());
            out.push('-');
            self.attachments.clone()
        } else {
            Vec::new()
        };
        if !self.nsp.is_empty() && self.nsp != "/" {
            out.push_str(&self.nsp);
            out.push(',');
        }
        if let Some(id) = self.id {
            out.push_str(&id.to_string());
        }
        if let Some(data) = &self.data {
            out.push_str(&data.to_string());
        }
        (out, attachments)
    }

    /// For an EVENT: its name and arguments. `None` for other packets and for events named
    /// by a number (which the protocol allows but Natter never sends).
    pub fn event_parts(&self) -> Option<(&str, &[Value])> {
        if !matches!(self.ty, PacketType::Event | PacketType::BinaryEvent) {
            return None;
        }
        let (name, args) = self.data.as_ref()?.as_array()?.split_first()?;
        Some((name.as_str()?, args))
    }
}

/// Decodes a stream of Engine.IO messages into Socket.IO packets, reassembling binary packets.
///
/// Like socket.io-parser 4.x, a BINARY_EVENT / BINARY_ACK comes out as [`PacketType::Event`] /
/// [`PacketType::Ack`] with its `attachments` filled in: the binary types only matter on the wire.
/// After any error the decoder drops its half-received packet; the caller is expected to close
/// the connection with "parse error" anyway.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: Limits,
    pending: Option<Packet>,
    expected: usize,
}

impl Decoder {
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            pending: None,
            expected: 0,
        }
    }

    /// A text message; `Ok(None)` when it announces attachments still to come.
    pub fn decode_text(&mut self, text: &str) -> Result<Option<Packet>, DecodeError> {
        if self.pending.is_some() {
            self.reset();
            return Err(DecodeError::UnexpectedText);
        }
        let (packet, expected) = parse(text, &self.limits)?;
        if expected == 0 {
            return Ok(Some(packet));
        }
        self.pending = Some(packet);
        self.expected = expected;
        Ok(None)
    }

    /// A binary message (an attachment); `Ok(Some)` once the last one has arrived.
    pub fn decode_binary(&mut self, bytes: Vec<u8>) -> Result<Option<Packet>, DecodeError> {
        let Some(packet) = self.pending.as_mut() else {
            return Err(DecodeError::UnexpectedBinary);
        };
        if bytes.len() > self.limits.max_attachment_size {
            let len = bytes.len();
            self.reset();
            return Err(DecodeError::AttachmentTooLarge(len));
        }
        packet.attachments.push(bytes);
        if packet.attachments.len() < self.expected {
            return Ok(None);
        }
        self.expected = 0;
        Ok(self.pending.take())
    }

    /// Forget any half-received binary packet (on reconnect).
    pub fn reset(&mut self) {
        self.pending = None;
        self.expected = 0;
    }
}

/// Parse one text packet into the packet (type already folded to EVENT/ACK) and the number of
/// attachments that must follow it.
fn parse(text: &str, limits: &Limits) -> Result<(Packet, usize), DecodeError> {
    let mut chars = text.chars();
    let first = chars.next().ok_or(DecodeError::Empty)?;
    let wire_ty = PacketType::from_char(first).ok_or(DecodeError::UnknownType(first))?;
    // Every split below happens right after an ASCII byte, so `rest` stays a valid &str.
    let mut rest = chars.as_str();

    let mut expected = 0;
    if wire_ty.is_binary() {
        let (count, after) = split_digits(rest);
        rest = match after.strip_prefix('-') {
            Some(after) if !count.is_empty() => after,
            _ => return Err(DecodeError::AttachmentCount),
        };
        // Saturate instead of failing so that "5999999999999999999999-" reports what it is.
        expected = count.parse::<usize>().unwrap_or(usize::MAX);
        if expected > limits.max_attachments {
            return Err(DecodeError::TooManyAttachments(expected));
        }
    }

    let mut nsp = "/";
    if rest.starts_with('/') {
        // socket.io-parser lets the namespace run to the end when there is no comma ("1/admin").
        (nsp, rest) = rest.split_once(',').unwrap_or((rest, ""));
    }

    let (digits, after) = split_digits(rest);
    let id = match digits {
        "" => None,
        digits => Some(digits.parse::<u64>().map_err(|_| DecodeError::AckId)?),
    };
    rest = after;

    let data = match rest {
        "" => None,
        json => Some(
            serde_json::from_str::<Value>(json).map_err(|e| DecodeError::Json(e.to_string()))?,
        ),
    };
    if !payload_is_valid(wire_ty, data.as_ref()) {
        return Err(DecodeError::InvalidPayload);
    }
    if let (true, Some(data)) = (wire_ty.is_binary(), &data) {
        check_placeholders(data, expected)?;
    }

    let ty = match wire_ty {
        PacketType::BinaryEvent => PacketType::Event,
        PacketType::BinaryAck => PacketType::Ack,
        ty => ty,
    };
    Ok((Packet::new(ty, nsp, id, data), expected))
}

/// Split off the leading ASCII digits.
fn split_digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    s.split_at_checked(n).unwrap_or(("", s))
}

/// socket.io-parser 4.2.6 `isPayloadValid`, except that an EVENT or ACK must carry its array:
/// without one there is neither an event name nor anything to acknowledge.
fn payload_is_valid(ty: PacketType, data: Option<&Value>) -> bool {
    use PacketType::*;
    match (ty, data) {
        (Connect, None | Some(Value::Object(_))) => true,
        (Disconnect, None) => true,
        (ConnectError, None | Some(Value::String(_) | Value::Object(_))) => true,
        (Event | BinaryEvent, Some(Value::Array(items))) => match items.first() {
            Some(Value::Number(_)) => true,
            Some(Value::String(name)) => !RESERVED_EVENTS.contains(&name.as_str()),
            _ => false,
        },
        (Ack | BinaryAck, Some(Value::Array(_))) => true,
        _ => false,
    }
}

/// Every `{"_placeholder":true,…}` must point at an announced attachment by integer index:
/// socket.io-parser < 4.2.1 indexed its buffer array with whatever `num` held (CVE-2022-2421).
/// Recursion is bounded by serde_json's nesting limit of 128.
fn check_placeholders(value: &Value, count: usize) -> Result<(), DecodeError> {
    match value {
        Value::Object(map) if map.get("_placeholder") == Some(&Value::Bool(true)) => {
            let num = map.get("num").and_then(Value::as_u64);
            match num.and_then(|n| usize::try_from(n).ok()) {
                Some(n) if n < count => Ok(()),
                _ => Err(DecodeError::Placeholder),
            }
        }
        Value::Object(map) => map.values().try_for_each(|v| check_placeholders(v, count)),
        Value::Array(items) => items.iter().try_for_each(|v| check_placeholders(v, count)),
        _ => Ok(()),
    }
}
