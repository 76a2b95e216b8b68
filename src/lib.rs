//! Natter: the Leptos app (UI in [`app`]) and, behind the `ssr` feature, the axum +
//! socketioxide server in [`server`]. The `hydrate` feature builds the browser side.
#![forbid(unsafe_code)]
// Leptos views are nested types; the chat page's is deeper than rustc's default allows.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point the wasm-bindgen glue calls once the WASM module has loaded.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
