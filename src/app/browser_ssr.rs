//! The server build's stand-ins for `browser.rs`: nothing runs them, since the connection
//! only starts from an effect, and effects never run during SSR.

use futures::channel::mpsc;
use natter_client::{Event, Handle};

pub fn connect() -> Option<(Handle, mpsc::UnboundedReceiver<Event>)> {
    None
}

pub fn now_ms() -> i64 {
    0
}

pub fn new_client_id() -> String {
    String::new()
}

pub mod storage {
    pub fn load<T>(_: &str) -> Option<T> {
        None
    }

    pub fn save<T>(_: &str, _: &T) {}
}
