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

pub fn local_stamp(ms: i64) -> super::clock::Stamp {
    super::clock::utc(ms)
}

pub fn may_ask_notifications() -> bool {
    false
}

pub fn ask_notifications() {}

pub fn notify(_: &str, _: &str, _: &str) {}

pub fn utc_offset_ms(_: i64) -> i64 {
    0
}

pub mod storage {
    pub fn load<T>(_: &str) -> Option<T> {
        None
    }

    pub fn save<T>(_: &str, _: &T) {}
}

pub fn has_focus() -> bool {
    false
}

pub fn reload() {}

pub fn confirm(_: &str) -> bool {
    false
}

pub fn focus(_: &str) {}

/// A room the user may not see answers 404, like one that does not exist.
pub fn set_not_found() {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}
