//! Socket.IO wire strings: the reference's examples, socket.io-parser's rejected inputs
//! (including CVE-2022-2421) and multibyte junk. Packets are shown without the Engine.IO `4`.

use natter_protocol::DecodeError;
use natter_protocol::eio;
use natter_protocol::payload;
use natter_protocol::sio::{self, Decoder, Limits, PacketType};
use serde_json::json;

fn sio_packet(
    ty: PacketType,
    nsp: &str,
    id: Option<u64>,
    data: Option<serde_json::Value>,
) -> sio::Packet {
    sio::Packet {
        ty,
        nsp: nsp.into(),
        id,
        data,
        attachments: Vec::new(),
    }
}

/// Decode a complete text packet that needs no attachments.
fn decode_sio(text: &str) -> Result<sio::Packet, DecodeError> {
    match Decoder::default().decode_text(text)? {
        Some(packet) => Ok(packet),
        None => panic!("{text:?} unexpectedly waits for attachments"),
    }
}

#[test]
fn sio_text_vectors() {
    use PacketType::*;
    let cases: Vec<(&str, sio::Packet)> = vec![
        ("0", sio::Packet::connect("/", None)),
        (
            r#"0{"token":"abc"}"#,
            sio::Packet::connect("/", Some(json!({"token": "abc"}))),
        ),
        (
            r#"0/admin,{"token":"abc"}"#,
            sio::Packet::connect("/admin", Some(json!({"token": "abc"}))),
        ),
        (
            r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
            sio_packet(
                Connect,
                "/",
                None,
                Some(json!({"sid": "wZX3oN0bSVIhsaknAAAI"})),
            ),
        ),
        ("1", sio::Packet::disconnect("/")),
        ("1/admin,", sio::Packet::disconnect("/admin")),
        (
            r#"2["chat message","hi"]"#,
            sio::Packet::event("/", "chat message", vec![json!("hi")], None),
        ),
        (
            r#"212["chat message","hi"]"#,
            sio::Packet::event("/", "chat message", vec![json!("hi")], Some(12)),
        ),
        (
            r#"2/admin,13["bar"]"#,
            sio::Packet::event("/admin", "bar", vec![], Some(13)),
        ),
        ("2[1,2]", sio_packet(Event, "/", None, Some(json!([1, 2])))),
        (r#"312["ok"]"#, sio::Packet::ack("/", 12, vec![json!("ok")])),
        ("3/admin,13[]", sio::Packet::ack("/admin", 13, vec![])),
        (
            "318446744073709551615[]",
            sio::Packet::ack("/", u64::MAX, vec![]),
        ),
        (
            r#"4{"message":"Not authorized"}"#,
            sio_packet(
                ConnectError,
                "/",
                None,
                Some(json!({"message": "Not authorized"})),
            ),
        ),
        (
            r#"4/random,{"message":"Invalid namespace"}"#,
            sio_packet(
                ConnectError,
                "/random",
                None,
                Some(json!({"message": "Invalid namespace"})),
            ),
        ),
        (
            r#"4"legacy""#,
            sio_packet(ConnectError, "/", None, Some(json!("legacy"))),
        ),
        (
            r#"2["é€😀",{"k":"\u001e"}]"#,
            sio::Packet::event("/", "é€😀", vec![json!({"k": "\u{1e}"})], None),
        ),
    ];
    for (text, packet) in cases {
        assert_eq!(decode_sio(text).unwrap(), packet, "decoding {text:?}");
        assert_eq!(
            packet.encode(),
            (text.to_owned(), Vec::new()),
            "encoding {packet:?}"
        );
    }
}

#[test]
fn sio_lenient_forms_socket_io_parser_accepts() {
    // No comma after the namespace: it runs to the end of the packet.
    assert_eq!(
        decode_sio("1/admin").unwrap(),
        sio::Packet::disconnect("/admin")
    );
    assert_eq!(
        decode_sio("3007[]").unwrap(),
        sio::Packet::ack("/", 7, vec![])
    );
    assert_eq!(
        decode_sio("4").unwrap(),
        sio_packet(PacketType::ConnectError, "/", None, None)
    );
    assert!(
        decode_sio("2 [\"a\"] ").is_ok(),
        "JSON.parse allows surrounding whitespace"
    );
}

#[test]
fn sio_binary_event_reassembles() {
    let mut decoder = Decoder::default();
    let text = r#"51-["upload",{"_placeholder":true,"num":0}]"#;
    assert_eq!(decoder.decode_text(text).unwrap(), None);
    let packet = decoder.decode_binary(vec![1, 2, 3]).unwrap().unwrap();
    assert_eq!(
        packet.ty,
        PacketType::Event,
        "binary types fold into EVENT/ACK, as in socket.io-parser"
    );
    assert_eq!(packet.attachments, vec![vec![1, 2, 3]]);
    assert_eq!(
        packet.event_parts(),
        Some(("upload", &[sio::placeholder(0)][..]))
    );
    assert_eq!(packet.encode(), (text.to_owned(), vec![vec![1, 2, 3]]));
}

#[test]
fn sio_binary_vectors_from_the_reference() {
    let cases: &[(&str, PacketType, &str, Option<u64>, usize)] = &[
        (
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            PacketType::Event,
            "/admin",
            None,
            2,
        ),
        (
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
            PacketType::Ack,
            "/",
            Some(15),
            1,
        ),
        (
            r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
            PacketType::Ack,
            "/admin",
            Some(1),
            1,
        ),
    ];
    for &(text, ty, nsp, id, n) in cases {
        let mut decoder = Decoder::default();
        assert_eq!(decoder.decode_text(text).unwrap(), None, "{text:?}");
        for i in 0..n {
            let done = decoder.decode_binary(vec![i as u8]).unwrap();
            assert_eq!(done.is_some(), i + 1 == n, "{text:?} after attachment {i}");
            if let Some(packet) = done {
                assert_eq!((packet.ty, packet.nsp.as_str(), packet.id), (ty, nsp, id));
                assert_eq!(packet.encode().0, text);
            }
        }
    }
}

#[test]
fn sio_binary_with_zero_attachments_completes_at_once() {
    let mut decoder = Decoder::default();
    let packet = decoder.decode_text(r#"50-["a"]"#).unwrap().unwrap();
    assert_eq!(packet, sio::Packet::event("/", "a", vec![], None));
    // Unlike socket.io-parser 4.2.6, nothing is left half-built afterwards.
    assert!(decoder.decode_text(r#"2["b"]"#).unwrap().is_some());
}

#[test]
fn sio_attachments_on_a_plain_event_encode_as_binary() {
    let mut packet = sio::Packet::event("/chat", "file", vec![sio::placeholder(0)], Some(3));
    packet.attachments = vec![vec![0xff]];
    let expected = r#"51-/chat,3["file",{"_placeholder":true,"num":0}]"#;
    assert_eq!(packet.encode(), (expected.to_owned(), vec![vec![0xff]]));
    let mut ack = sio::Packet::ack("/", 4, vec![sio::placeholder(0)]);
    ack.attachments = vec![vec![]];
    assert_eq!(ack.encode().0, r#"61-4[{"_placeholder":true,"num":0}]"#);
}

#[test]
fn sio_rejects_cve_and_malformed_vectors() {
    let cases: &[&str] = &[
        // socket.io-parser test/parser.js "throws an error when ..."
        r#"2[{"toString":"foo"}]"#,
        r#"2[true,"foo"]"#,
        r#"2[null,"bar"]"#,
        r#"2["connect"]"#,
        r#"2["disconnect","x"]"#,
        r#"2["newListener"]"#,
        r#"442["some","data""#,
        r#"42["some","data""#,
        r#"2["some","data""#,
        r#"2["a"]x"#,
        r#"2["a"]["b"]"#,
        "5",
        "51",
        "5a-",
        "51.23-",
        "5-[\"a\"]",
        "5+1-[\"a\"]",
        "999",
        "9",
        "7[]",
        r#"5999999999-["a"]"#,
        r#"5999999999999999999999999999-["a"]"#,
        "318446744073709551616[]",
        "2",
        "2[]",
        "2{}",
        r#"2"a""#,
        "3",
        r#"3{"a":1}"#,
        "0[]",
        r#"0"token""#,
        "1{}",
        r#"1/admin,"x""#,
        "4[]",
        "4[\"a\"]",
        "2é",
        "4€€",
        "é",
        "€2[\"a\"]",
        "2/é,€",
        "",
        // CVE-2022-2421: placeholder indices that are not an in-range integer.
        r#"51-["a",{"_placeholder":true,"num":"splice"}]"#,
        r#"51-["a",{"_placeholder":true,"num":1}]"#,
        r#"51-["a",{"_placeholder":true,"num":-1}]"#,
        r#"51-["a",{"_placeholder":true,"num":0.5}]"#,
        r#"51-["a",{"_placeholder":true}]"#,
        r#"51-["a",{"deep":[{"_placeholder":true,"num":"toString"}]}]"#,
        r#"50-["a",{"_placeholder":true,"num":0}]"#,
        r#"61-[{"_placeholder":true,"num":"__proto__"}]"#,
    ];
    for text in cases {
        assert!(
            Decoder::default().decode_text(text).is_err(),
            "{text:?} should be rejected"
        );
    }
}

#[test]
fn sio_error_kinds() {
    let err = |text: &str| Decoder::default().decode_text(text).unwrap_err();
    assert_eq!(err(""), DecodeError::Empty);
    assert_eq!(err("999"), DecodeError::UnknownType('9'));
    assert_eq!(err("é"), DecodeError::UnknownType('é'));
    for text in ["5", "51", "5a-", "51.23-", "5-[]"] {
        assert_eq!(err(text), DecodeError::AttachmentCount, "{text:?}");
    }
    assert_eq!(
        err(r#"5999999999-["a"]"#),
        DecodeError::TooManyAttachments(999_999_999)
    );
    assert_eq!(err(r#"511-["a"]"#), DecodeError::TooManyAttachments(11));
    assert_eq!(err("399999999999999999999[]"), DecodeError::AckId);
    assert!(matches!(err(r#"442["some","data""#), DecodeError::Json(_)));
    assert!(matches!(err("2é"), DecodeError::Json(_)));
    assert_eq!(err(r#"2["connect"]"#), DecodeError::InvalidPayload);
    assert_eq!(
        err(r#"51-[{"_placeholder":true,"num":"splice"}]"#),
        DecodeError::InvalidPayload
    );
    assert_eq!(
        err(r#"51-["a",{"_placeholder":true,"num":"splice"}]"#),
        DecodeError::Placeholder
    );
}

#[test]
fn sio_decoder_state_machine() {
    let mut decoder = Decoder::default();
    assert_eq!(
        decoder.decode_binary(vec![1]).unwrap_err(),
        DecodeError::UnexpectedBinary
    );

    assert_eq!(
        decoder
            .decode_text(r#"52-["a",{"_placeholder":true,"num":1}]"#)
            .unwrap(),
        None
    );
    assert_eq!(decoder.decode_binary(vec![1]).unwrap(), None);
    assert_eq!(
        decoder.decode_text(r#"2["b"]"#).unwrap_err(),
        DecodeError::UnexpectedText
    );
    // The half-built packet is gone after the error.
    assert_eq!(
        decoder.decode_binary(vec![2]).unwrap_err(),
        DecodeError::UnexpectedBinary
    );

    assert_eq!(
        decoder
            .decode_text(r#"51-["a",{"_placeholder":true,"num":0}]"#)
            .unwrap(),
        None
    );
    decoder.reset();
    assert!(decoder.decode_text(r#"2["b"]"#).unwrap().is_some());
}

#[test]
fn sio_decoder_limits() {
    let limits = Limits {
        max_attachments: 2,
        max_attachment_size: 4,
    };
    let mut decoder = Decoder::new(limits);
    assert_eq!(
        decoder.decode_text(r#"53-["a"]"#).unwrap_err(),
        DecodeError::TooManyAttachments(3)
    );
    assert_eq!(decoder.decode_text(r#"52-["a"]"#).unwrap(), None);
    assert_eq!(decoder.decode_binary(vec![0; 4]).unwrap(), None);
    assert_eq!(
        decoder.decode_binary(vec![0; 5]).unwrap_err(),
        DecodeError::AttachmentTooLarge(5)
    );
    assert_eq!(
        decoder.decode_binary(vec![0]).unwrap_err(),
        DecodeError::UnexpectedBinary
    );
    assert_eq!(Limits::default().max_attachments, 10);
}

#[test]
fn sio_event_parts() {
    let packet = sio::Packet::event("/", "chat", vec![json!(1), json!("x")], None);
    assert_eq!(
        packet.event_parts(),
        Some(("chat", &[json!(1), json!("x")][..]))
    );
    assert_eq!(
        sio::Packet::ack("/", 1, vec![json!("chat")]).event_parts(),
        None
    );
    assert_eq!(decode_sio("2[7]").unwrap().event_parts(), None);
}

#[test]
fn sio_rides_in_eio_messages() {
    let body = "40\x1e42[\"chat message\",\"hi\"]";
    let mut decoder = Decoder::default();
    let types: Vec<PacketType> = payload::decode(body)
        .unwrap()
        .into_iter()
        .map(|p| match p {
            eio::Packet::Message(text) => decoder.decode_text(&text).unwrap().unwrap().ty,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(types, [PacketType::Connect, PacketType::Event]);
}

#[test]
fn sio_deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!("2[\"a\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        Decoder::default().decode_text(&text),
        Err(DecodeError::Json(_))
    ));
    let text = format!("51-[\"a\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        Decoder::default().decode_text(&text),
        Err(DecodeError::Json(_))
    ));
}
