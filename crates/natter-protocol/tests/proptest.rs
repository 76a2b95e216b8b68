//! Round trips for every Engine.IO and Socket.IO packet type, payload batching bounds, and
//! "never panics" on arbitrary input.

use natter_protocol::eio::{self, Frame, Handshake};
use natter_protocol::payload;
use natter_protocol::sio::{self, Decoder, Limits, PacketType, RESERVED_EVENTS};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::VecDeque;

// ---- strategies ----

/// Any text, or text that cannot contain the payload separator.
fn text(payload_safe: bool) -> BoxedStrategy<String> {
    if payload_safe {
        "[^\x1e]{0,24}".boxed()
    } else {
        any::<String>().boxed()
    }
}

fn eio_packet(payload_safe: bool) -> impl Strategy<Value = eio::Packet> {
    let handshake = (
        text(payload_safe),
        vec(text(payload_safe), 0..3),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(sid, upgrades, ping_interval, ping_timeout, max_payload)| Handshake {
                sid,
                upgrades,
                ping_interval,
                ping_timeout,
                max_payload,
            },
        );
    prop_oneof![
        handshake.prop_map(eio::Packet::Open),
        Just(eio::Packet::Close),
        text(payload_safe).prop_map(eio::Packet::Ping),
        text(payload_safe).prop_map(eio::Packet::Pong),
        text(payload_safe).prop_map(eio::Packet::Message),
        vec(any::<u8>(), 0..48).prop_map(eio::Packet::Binary),
        Just(eio::Packet::Upgrade),
        Just(eio::Packet::Noop),
    ]
}

/// Arbitrary JSON without floats (serde_json only round-trips them with `float_roundtrip`) and
/// with keys too short to spell `_placeholder`.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z_]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    btree_map("[a-zA-Z_]{0,6}", json(), 0..4).prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn nsp() -> impl Strategy<Value = String> {
    prop_oneof![Just("/".to_owned()), "/[a-zA-Z0-9_é€-]{1,10}"]
}

fn event_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>()
            .prop_filter("reserved", |s| !RESERVED_EVENTS.contains(&s.as_str()))
            .prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
    ]
}

/// Arguments with `n` placeholders mixed in, one per attachment.
fn args_with_placeholders(n: usize) -> impl Strategy<Value = Vec<Value>> {
    (vec(json(), 0..4), any::<prop::sample::Index>()).prop_map(move |(mut args, at)| {
        for i in 0..n {
            let slot = at.index(args.len() + 1);
            args.insert(slot, sio::placeholder(i));
        }
        args
    })
}

/// A packet to encode, and what decoding its encoding must give back.
fn sio_case() -> impl Strategy<Value = (sio::Packet, sio::Packet)> {
    let binary_ty = prop_oneof![
        Just(PacketType::Event),
        Just(PacketType::Ack),
        Just(PacketType::BinaryEvent),
        Just(PacketType::BinaryAck),
    ];
    let binary = (binary_ty, 0..5usize, event_name()).prop_flat_map(|(ty, n, name)| {
        let attachments = vec(vec(any::<u8>(), 0..16), n..=n);
        (Just(ty), args_with_placeholders(n), attachments).prop_map(
            move |(ty, mut args, attachments)| {
                if matches!(ty, PacketType::Event | PacketType::BinaryEvent) {
                    args.insert(0, name.clone());
                }
                (ty, Some(Value::Array(args)), attachments)
            },
        )
    });
    let plain = prop_oneof![
        prop::option::of(object()).prop_map(|d| (PacketType::Connect, d, Vec::new())),
        Just((PacketType::Disconnect, None, Vec::new())),
        prop::option::of(prop_oneof![
            object(),
            any::<String>().prop_map(Value::String)
        ])
        .prop_map(|d| (PacketType::ConnectError, d, Vec::new())),
    ];
    (prop_oneof![plain, binary], nsp(), any::<Option<u64>>()).prop_map(
        |((ty, data, attachments), nsp, id)| {
            let packet = sio::Packet {
                ty,
                nsp,
                id,
                data,
                attachments,
            };
            let mut expected = packet.clone();
            expected.ty = match ty {
                PacketType::BinaryEvent => PacketType::Event,
                PacketType::BinaryAck => PacketType::Ack,
                ty => ty,
            };
            (packet, expected)
        },
    )
}

fn feed(decoder: &mut Decoder, text: &str, bins: Vec<Vec<u8>>) -> Option<sio::Packet> {
    let mut done = decoder.decode_text(text).expect("text part decodes");
    let count = bins.len();
    for (i, bin) in bins.into_iter().enumerate() {
        assert!(done.is_none(), "packet completed before attachment {i}");
        done = decoder.decode_binary(bin).expect("attachment decodes");
        assert_eq!(done.is_some(), i + 1 == count);
    }
    done
}

/// Pieces that steer random input into the parsers' interesting branches.
const WIRE_ALPHABET: &str = "[0-9b/,\\-\\[\\]{}\":_a-z\x1eé€😀 ]{0,40}";

// ---- Engine.IO ----

proptest! {
    #[test]
    fn eio_text_round_trip(packet in eio_packet(false)) {
        prop_assert_eq!(eio::Packet::from_text(&packet.to_text())?, packet);
    }

    #[test]
    fn eio_frame_round_trip(packet in eio_packet(false)) {
        let frame = packet.to_frame();
        prop_assert_eq!(matches!(frame, Frame::Binary(_)), matches!(packet, eio::Packet::Binary(_)));
        prop_assert_eq!(eio::Packet::from_frame(frame)?, packet);
    }

    #[test]
    fn eio_decoders_never_panic(s in any::<String>(), w in WIRE_ALPHABET, bytes in vec(any::<u8>(), 0..32)) {
        let _ = eio::Packet::from_text(&s);
        let _ = eio::Packet::from_text(&w);
        let _ = eio::Packet::from_frame(Frame::Text(w));
        prop_assert_eq!(eio::Packet::from_frame(Frame::Binary(bytes.clone()))?, eio::Packet::Binary(bytes));
    }
}

// ---- payloads ----

proptest! {
    #[test]
    fn payload_round_trip(packets in vec(eio_packet(true), 1..8)) {
        prop_assert_eq!(payload::decode(&payload::encode(&packets))?, packets);
    }

    #[test]
    fn payload_batches_fit_and_reassemble(packets in vec(eio_packet(true), 0..16), max_payload in 0usize..256) {
        let mut queue: VecDeque<eio::Packet> = packets.iter().cloned().collect();
        let mut decoded = Vec::new();
        while let Some(body) = payload::encode_batch(&mut queue, max_payload) {
            let batch = payload::decode(&body)?;
            prop_assert!(!batch.is_empty());
            prop_assert!(body.len() <= max_payload || batch.len() == 1, "{} bytes > {max_payload}", body.len());
            // Greedy: the next packet would not have fitted.
            if let Some(next) = queue.front() {
                prop_assert!(body.len() + 1 + next.to_text().len() > max_payload);
            }
            decoded.extend(batch);
        }
        prop_assert!(queue.is_empty());
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn payload_decode_never_panics(s in any::<String>(), w in WIRE_ALPHABET) {
        let _ = payload::decode(&s);
        let _ = payload::decode(&w);
    }
}

// ---- Socket.IO ----

proptest! {
    #[test]
    fn sio_round_trip((packet, expected) in sio_case()) {
        let (text, bins) = packet.encode();
        prop_assert_eq!(bins.len(), expected.attachments.len());
        prop_assert_eq!(text.starts_with(['5', '6']), !bins.is_empty() || packet.ty.is_binary());
        let mut decoder = Decoder::default();
        prop_assert_eq!(feed(&mut decoder, &text, bins), Some(expected));
        // The decoder is idle again and takes the next packet.
        prop_assert!(decoder.decode_text("2[\"next\"]")?.is_some());
    }

    #[test]
    fn sio_round_trip_through_a_payload((packet, expected) in sio_case()) {
        let (text, bins) = packet.encode();
        let mut entries = vec![eio::Packet::Message(text)];
        entries.extend(bins.into_iter().map(eio::Packet::Binary));
        let mut decoder = Decoder::default();
        let mut out = None;
        for entry in payload::decode(&payload::encode(&entries))? {
            out = match entry {
                eio::Packet::Message(text) => decoder.decode_text(&text)?,
                eio::Packet::Binary(bytes) => decoder.decode_binary(bytes)?,
                other => panic!("unexpected {other:?}"),
            };
        }
        prop_assert_eq!(out, Some(expected));
    }

    #[test]
    fn sio_event_constructor_round_trip(
        nsp in nsp(),
        name in any::<String>().prop_filter("reserved", |s| !RESERVED_EVENTS.contains(&s.as_str())),
        args in vec(json(), 0..4),
        id in any::<Option<u64>>(),
    ) {
        let packet = sio::Packet::event(&nsp, &name, args.clone(), id);
        let decoded = feed(&mut Decoder::default(), &packet.encode().0, Vec::new());
        prop_assert_eq!(decoded.as_ref().and_then(sio::Packet::event_parts), Some((name.as_str(), &args[..])));
        prop_assert_eq!(decoded, Some(packet));
    }

    #[test]
    fn sio_decoder_never_panics(
        steps in vec(prop_oneof![
            any::<String>().prop_map(Ok),
            WIRE_ALPHABET.prop_map(Ok),
            vec(any::<u8>(), 0..8).prop_map(Err),
        ], 0..12),
        max_attachments in 0usize..4,
        max_attachment_size in 0usize..8,
    ) {
        let mut decoder = Decoder::new(Limits { max_attachments, max_attachment_size });
        for step in steps {
            let result = match step {
                Ok(text) => decoder.decode_text(&text),
                Err(bytes) => decoder.decode_binary(bytes),
            };
            if let Ok(Some(packet)) = result {
                prop_assert!(packet.attachments.len() <= max_attachments);
                prop_assert!(packet.nsp.starts_with('/'));
                prop_assert!(!packet.ty.is_binary());
            }
        }
    }
}
