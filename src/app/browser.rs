//! What only exists in a browser: the Socket.IO connection, localStorage, the clock and
//! focus. `browser_ssr.rs` has the same functions, inert, for the server build.

use futures::channel::mpsc;
use natter_client::{Event, Handle, Options, web};

/// Connect to the page's own origin.
pub fn connect() -> Option<(Handle, mpsc::UnboundedReceiver<Event>)> {
    Some(web::connect(Options::new(web::page_origin()?)))
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// `ms` in the reader's zone and locale, by the browser's `Intl` (through `Date`'s locale
/// methods; "default" is the reader's locale).
pub fn local_stamp(ms: i64) -> super::clock::Stamp {
    use js_sys::{Date, Object, Reflect};
    use wasm_bindgen::JsValue;
    let at = Date::new(&JsValue::from_f64(ms as f64));
    let options = |pairs: &[(&str, &str)]| {
        let options = Object::new();
        for (key, value) in pairs {
            Reflect::set(&options, &(*key).into(), &(*value).into()).ok();
        }
        JsValue::from(options)
    };
    let long_date = [
        ("weekday", "long"),
        ("year", "numeric"),
        ("month", "long"),
        ("day", "numeric"),
    ];
    let date = at.to_locale_date_string("default", &options(&long_date));
    let clock = at.to_locale_time_string_with_options(
        "default",
        &options(&[("hour", "2-digit"), ("minute", "2-digit")]),
    );
    let full = at.to_locale_string(
        "default",
        &options(&[("dateStyle", "full"), ("timeStyle", "short")]),
    );
    // Minutes west of UTC at that instant (so across a DST change too).
    let offset_ms = (at.get_timezone_offset() * 60_000.0) as i64;
    super::clock::Stamp {
        day: (ms - offset_ms).div_euclid(86_400_000),
        clock: clock.into(),
        full: full.into(),
        date: date.into(),
        iso: super::clock::iso(ms),
    }
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

/// Whether the page's window has focus: only then does what it shows count as read.
pub fn has_focus() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.has_focus().ok())
        .unwrap_or(false)
}

/// Loads the page again: after joining or signing out, the server renders the new state.
pub fn reload() {
    if let Some(window) = web_sys::window() {
        window.location().reload().ok();
    }
}

/// Asks the user to confirm `question` (the browser's own dialog); `false` without a window.
pub fn confirm(question: &str) -> bool {
    let window = web_sys::window();
    window.is_some_and(|w| w.confirm_with_message(question).unwrap_or(false))
}

/// Moves the keyboard focus to the element with this id, if there is one.
pub fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        element.focus().ok();
    }
}

/// The response's status; only the server sets one.
pub fn set_not_found() {}
