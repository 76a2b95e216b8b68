//! Wire-string vectors from the protocol reference (socketio-protocol.md §1–2) and the
//! engine.io-parser / socket.io-parser test suites: Engine.IO packets and polling payloads here,
//! Socket.IO packets in `vectors/sio.rs`.

use natter_protocol::DecodeError;
use natter_protocol::eio::{self, Frame, Handshake};
use natter_protocol::payload;
use std::collections::VecDeque;

// The Socket.IO half lives in its own file to keep each under 400 lines; it is not a test
// target of its own because Cargo only picks up `tests/*.rs` and `tests/*/main.rs`.
#[path = "vectors/sio.rs"]
mod sio_vectors;

const HANDSHAKE: &str = r#"0{"sid":"2VAFFLQ6Ax-vEBuD","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#;

// ---- Engine.IO ----

#[test]
fn eio_handshake_round_trips_byte_for_byte() {
    let packet = eio::Packet::from_text(HANDSHAKE).unwrap();
    let expected = Handshake {
        sid: "2VAFFLQ6Ax-vEBuD".into(),
        upgrades: vec!["websocket".into()],
        ping_interval: 25000,
        ping_timeout: 20000,
        max_payload: 100000,
    };
    assert_eq!(packet, eio::Packet::Open(expected));
    assert_eq!(packet.to_text(), HANDSHAKE);
}

#[test]
fn eio_handshake_ignores_unknown_fields() {
    let text = r#"0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3,"extra":true}"#;
    assert!(matches!(eio::Packet::from_text(text), Ok(eio::Packet::Open(h)) if h.max_payload == 3));
}

#[test]
fn eio_text_vectors() {
    use eio::Packet::*;
    let cases: &[(&str, eio::Packet)] = &[
        ("1", Close),
        ("2", Ping(String::new())),
        ("3", Pong(String::new())),
        ("2probe", Ping("probe".into())),
        ("3probe", Pong("probe".into())),
        ("4hello", Message("hello".into())),
        ("4", Message(String::new())),
        ("4€", Message("€".into())),
        ("5", Upgrade),
        ("6", Noop),
        ("bAQIDBA==", Binary(vec![1, 2, 3, 4])),
        ("b", Binary(Vec::new())),
    ];
    for (text, packet) in cases {
        assert_eq!(
            &eio::Packet::from_text(text).unwrap(),
            packet,
            "decoding {text:?}"
        );
        assert_eq!(&packet.to_text(), text, "encoding {packet:?}");
    }
}

#[test]
fn eio_base64_padding_is_optional() {
    assert_eq!(
        eio::Packet::from_text("bAQIDBA").unwrap(),
        eio::Packet::Binary(vec![1, 2, 3, 4])
    );
}

#[test]
fn eio_rejects_garbage() {
    let cases: &[(&str, DecodeError)] = &[
        ("", DecodeError::Empty),
        ("7", DecodeError::UnknownType('7')),
        ("a", DecodeError::UnknownType('a')),
        ("é4", DecodeError::UnknownType('é')),
        ("€", DecodeError::UnknownType('€')),
        ("b!!!", DecodeError::Base64),
        ("bé", DecodeError::Base64),
    ];
    for (text, err) in cases {
        assert_eq!(
            &eio::Packet::from_text(text).unwrap_err(),
            err,
            "decoding {text:?}"
        );
    }
    for text in ["0", "0{}", "0[]", "0é", r#"0{"sid":1}"#] {
        assert!(
            matches!(eio::Packet::from_text(text), Err(DecodeError::Handshake(_))),
            "{text:?}"
        );
    }
}

#[test]
fn eio_websocket_frames() {
    assert_eq!(
        eio::Packet::Binary(vec![1, 2]).to_frame(),
        Frame::Binary(vec![1, 2])
    );
    assert_eq!(
        eio::Packet::Ping("probe".into()).to_frame(),
        Frame::Text("2probe".into())
    );
    assert_eq!(
        eio::Packet::from_frame(Frame::Binary(vec![9])).unwrap(),
        eio::Packet::Binary(vec![9])
    );
    assert_eq!(
        eio::Packet::from_frame(Frame::Binary(Vec::new())).unwrap(),
        eio::Packet::Binary(Vec::new())
    );
    assert_eq!(
        eio::Packet::from_frame(Frame::Text("3probe".into())).unwrap(),
        eio::Packet::Pong("probe".into())
    );
    assert_eq!(
        eio::Packet::from_frame(Frame::Text(String::new())).unwrap_err(),
        DecodeError::Empty
    );
}

// ---- polling payloads ----

#[test]
fn payload_vectors() {
    use eio::Packet::*;
    let cases: &[(&str, Vec<eio::Packet>)] = &[
        (
            "4hello\x1e2\x1e4world",
            vec![
                Message("hello".into()),
                Ping(String::new()),
                Message("world".into()),
            ],
        ),
        (
            "4hello\x1ebAQIDBA==",
            vec![Message("hello".into()), Binary(vec![1, 2, 3, 4])],
        ),
        ("6", vec![Noop]),
        ("1", vec![Close]),
        (
            "451-[\"upload\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID",
            vec![
                Message("51-[\"upload\",{\"_placeholder\":true,\"num\":0}]".into()),
                Binary(vec![1, 2, 3]),
            ],
        ),
    ];
    for (body, packets) in cases {
        assert_eq!(
            &payload::decode(body).unwrap(),
            packets,
            "decoding {body:?}"
        );
        assert_eq!(&payload::encode(packets), body, "encoding {packets:?}");
    }
}

#[test]
fn payload_rejects_any_bad_entry() {
    for body in [
        "",
        "\x1e",
        "4a\x1e",
        "4a\x1e\x1e4b",
        "4a\x1e9",
        "4a\x1eb!",
        "é\x1e4a",
    ] {
        assert!(payload::decode(body).is_err(), "{body:?}");
    }
}

#[test]
fn batch_respects_max_payload() {
    let mut queue: VecDeque<eio::Packet> = ["4hello", "4world", "2"]
        .iter()
        .map(|t| eio::Packet::from_text(t).unwrap())
        .collect();
    // "4hello\x1e4world" is exactly 13 bytes.
    assert_eq!(
        payload::encode_batch(&mut queue, 13).as_deref(),
        Some("4hello\x1e4world")
    );
    assert_eq!(payload::encode_batch(&mut queue, 13).as_deref(), Some("2"));
    assert_eq!(payload::encode_batch(&mut queue, 13), None);
}

#[test]
fn batch_one_byte_short_splits() {
    let mut queue: VecDeque<eio::Packet> = [
        eio::Packet::Message("hello".into()),
        eio::Packet::Message("world".into()),
    ]
    .into();
    assert_eq!(
        payload::encode_batch(&mut queue, 12).as_deref(),
        Some("4hello")
    );
    assert_eq!(queue.len(), 1);
}

#[test]
fn batch_sends_an_oversized_packet_alone() {
    let mut queue: VecDeque<eio::Packet> = [
        eio::Packet::Message("x".repeat(50)),
        eio::Packet::Message("y".into()),
    ]
    .into();
    assert_eq!(
        payload::encode_batch(&mut queue, 10).map(|b| b.len()),
        Some(51)
    );
    assert_eq!(payload::encode_batch(&mut queue, 10).as_deref(), Some("4y"));
}

#[test]
fn batch_counts_base64_and_multibyte_sizes() {
    let mut queue: VecDeque<eio::Packet> = [
        eio::Packet::Message("€".into()),      // 4 bytes on the wire
        eio::Packet::Binary(vec![1, 2, 3, 4]), // "bAQIDBA==": 9 bytes
    ]
    .into();
    assert_eq!(payload::encode_batch(&mut queue, 13).as_deref(), Some("4€"));
    let mut queue: VecDeque<eio::Packet> = [
        eio::Packet::Message("€".into()),
        eio::Packet::Binary(vec![1, 2, 3, 4]),
    ]
    .into();
    assert_eq!(
        payload::encode_batch(&mut queue, 14).as_deref(),
        Some("4€\x1ebAQIDBA==")
    );
}
