//! Polling bodies come straight from the network: `payload::decode` must never panic, and
//! whatever it accepts must survive a re-encode unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natter_protocol::payload;

fuzz_target!(|data: &[u8]| {
    // Bodies are read as UTF-8 text; invalid UTF-8 never reaches the decoder.
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(packets) = payload::decode(body) {
        let again = payload::decode(&payload::encode(&packets));
        assert_eq!(again.as_ref(), Ok(&packets), "re-encoded {body:?}");
    }
});
