//! Engine.IO packets from WebSocket frames or polling entries: no input may panic, and every
//! accepted packet must re-encode to something that decodes back to it, on either transport.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natter_protocol::eio::{Frame, Packet};

fn check_round_trip(packet: &Packet) {
    assert_eq!(Packet::from_text(&packet.to_text()).as_ref(), Ok(packet));
    assert_eq!(Packet::from_frame(packet.to_frame()).as_ref(), Ok(packet));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = Packet::from_frame(Frame::Binary(data.to_vec())) {
        check_round_trip(&packet);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(packet) = Packet::from_text(text) {
        check_round_trip(&packet);
    }
    if let Ok(packet) = Packet::from_frame(Frame::Text(text.to_owned())) {
        check_round_trip(&packet);
    }
});
