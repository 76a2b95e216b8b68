//! What only exists in a browser: the Socket.IO connection, localStorage, the clock and
//! randomness. `browser_ssr.rs` has the same functions, inert, for the server build.

use futures::channel::mpsc;
use natter_client::{Event, Handle, Options, web};

/// Connect to the page's own origin.
pub fn connect() -> Option<(Handle, mpsc::UnboundedReceiver<Event>)> {
    Some(web::connect(Options::new(web::page_origin()?)))
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A UUID v7: the time keeps ids roughly ordered, the 74 random bits keep them unique.
pub fn new_client_id() -> String {
    let mut random = [0u8; 10];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut random).ok())
        .is_some();
    if !filled {
        random
            .iter_mut()
            .for_each(|b| *b = (js_sys::Math::random() * 256.0) as u8);
    }
    uuid::Builder::from_unix_timestamp_millis(now_ms() as u64, &random)
        .into_uuid()
        .to_string()
}

/// localStorage as JSON; a missing or unreadable entry is `None`, a failed write is logged.
pub mod storage {
    fn local() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    pub fn load<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
        serde_json::from_str(&local()?.get_item(key).ok()??).ok()
    }

    pub fn save<T: serde::Serialize>(key: &str, value: &T) {
        let saved = serde_json::to_string(value)
            .ok()
            .and_then(|json| local()?.set_item(key, &json).ok());
        if saved.is_none() {
            leptos::logging::warn!("could not save {key} to localStorage");
        }
    }
}
