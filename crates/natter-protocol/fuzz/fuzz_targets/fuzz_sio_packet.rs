//! The Socket.IO decoder is stateful (binary packets span several messages), so it is fed a
//! sequence of text and binary messages under small limits. Nothing may panic, limits must
//! hold, and every completed packet must re-encode into messages that decode to it again.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use natter_protocol::sio::{Decoder, Limits, Packet};

#[derive(Arbitrary, Debug)]
enum Step {
    Text(String),
    Binary(Vec<u8>),
    Reset,
}

#[derive(Arbitrary, Debug)]
struct Input {
    max_attachments: u8,
    max_attachment_size: u16,
    steps: Vec<Step>,
}

fn check(packet: &Packet, limits: Limits) {
    assert!(packet.attachments.len() <= limits.max_attachments);
    assert!(
        packet
            .attachments
            .iter()
            .all(|a| a.len() <= limits.max_attachment_size)
    );
    assert!(packet.nsp.starts_with('/'));
    assert!(
        !packet.ty.is_binary(),
        "binary types are folded into EVENT/ACK"
    );

    let (text, attachments) = packet.encode();
    let mut decoder = Decoder::new(limits);
    let mut out = decoder.decode_text(&text);
    for bytes in attachments {
        assert!(
            matches!(out, Ok(None)),
            "{text:?} completed before its attachments"
        );
        out = decoder.decode_binary(bytes);
    }
    let again = match out {
        Ok(Some(again)) => again,
        other => panic!("re-encoded {packet:?} as {text:?}, which decodes to {other:?}"),
    };
    // `data` is left out: serde_json may move a float by one ulp on a second parse.
    assert_eq!(
        (again.ty, &again.nsp, again.id, &again.attachments),
        (packet.ty, &packet.nsp, packet.id, &packet.attachments)
    );
}

fuzz_target!(|input: Input| {
    let limits = Limits {
        max_attachments: usize::from(input.max_attachments),
        max_attachment_size: usize::from(input.max_attachment_size),
    };
    let mut decoder = Decoder::new(limits);
    for step in input.steps {
        let result = match step {
            Step::Text(text) => decoder.decode_text(&text),
            Step::Binary(bytes) => decoder.decode_binary(bytes),
            Step::Reset => {
                decoder.reset();
                continue;
            }
        };
        if let Ok(Some(packet)) = result {
            check(&packet, limits);
        }
    }
});
