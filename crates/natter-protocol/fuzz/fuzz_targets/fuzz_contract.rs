//! What the server makes of a client's payload before any handler logic runs: a JSON object
//! only (`JsonObject`), the event's contract type, then the contract's checks. Nothing may
//! panic; a payload that passes must encode and decode back to itself. Any text is also a
//! user name: the browser's precheck must never refuse a name the server would take.
#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use natter_contract::{
    CreateRoom, DeleteMessage, EditMessage, ErrorCode, HistoryRequest, JsonObject, OpenDm, ReadMarker, RoomRequest,
    SendMessage, SyncRequest, SyncRooms, new_room_name, room_name, topic, user_name,
    user_name_precheck,
};
use serde::{Serialize, de::DeserializeOwned};

fn check<T>(json: &[u8], valid: impl Fn(&T) -> Result<(), ErrorCode>)
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let Ok(JsonObject(payload)) = serde_json::from_slice::<JsonObject<T>>(json) else {
        return;
    };
    if valid(&payload).is_ok() {
        let again = serde_json::to_vec(&payload).expect("a contract type serialises");
        let JsonObject(back) = serde_json::from_slice::<JsonObject<T>>(&again)
            .unwrap_or_else(|e| panic!("{payload:?} encoded as {again:?} does not decode: {e}"));
        assert_eq!(back, payload);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    match which % 10 {
        0 => check::<SendMessage>(json, SendMessage::validate),
        1 => check::<SyncRequest>(json, |r| r.validate().map(drop)),
        2 => check::<HistoryRequest>(json, |r| r.validate().map(drop)),
        3 => check::<SyncRooms>(json, SyncRooms::validate),
        4 => check::<CreateRoom>(json, |r| new_room_name(&r.room).and(topic(&r.topic).map(drop))),
        5 => check::<RoomRequest>(json, |r| room_name(&r.room)),
        6 => check::<OpenDm>(json, |r| user_name(&r.name).map(drop)),
        7 => check::<ReadMarker>(json, |r| room_name(&r.room)),
        8 => check::<EditMessage>(json, EditMessage::validate),
        _ => check::<DeleteMessage>(json, DeleteMessage::validate),
    }
    if let Ok(text) = std::str::from_utf8(json)
        && user_name(text).is_ok()
    {
        assert_eq!(user_name_precheck(text), Ok(()), "{text:?}");
    }
});
