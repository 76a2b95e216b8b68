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
    super::clock::Stamp {
        day: super::clock::day(ms, true),
        clock: clock.into(),
        full: full.into(),
        date: date.into(),
    }
}

/// Notifications, where the browser has them (only secure contexts do: https or localhost).
fn notifications() -> bool {
    web_sys::window()
        .is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false))
}

/// Whether the reader has not yet said yes or no to notifications (so the page may offer).
pub fn may_ask_notifications() -> bool {
    notifications()
        && web_sys::Notification::permission() == web_sys::NotificationPermission::Default
}

/// Asks for the permission; call only from a user's gesture (a click), as browsers require.
pub fn ask_notifications() {
    if notifications() {
        web_sys::Notification::request_permission().ok();
    }
}

/// A notification, if the page is hidden and the reader allowed them; `tag` replaces an
/// earlier one of the same room instead of piling up.
pub fn notify(title: &str, body: &str, tag: &str) {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    if !hidden
        || !notifications()
        || web_sys::Notification::permission() != web_sys::NotificationPermission::Granted
    {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag(tag);
    web_sys::Notification::new_with_options(title, &options).ok();
}

/// How far the reader's zone is ahead of UTC at `ms` (so across a DST change too).
pub fn utc_offset_ms(ms: i64) -> i64 {
    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    // `getTimezoneOffset` is minutes *behind* UTC.
    -(at.get_timezone_offset() * 60_000.0) as i64
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
