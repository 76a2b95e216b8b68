//! The UI. Rendered on the server, then hydrated in the browser; it talks to the server
//! through server functions ([`crate::api`]) and the Socket.IO connection in [`connection`].

#[cfg_attr(feature = "hydrate", path = "browser.rs")]
#[cfg_attr(not(feature = "hydrate"), path = "browser_ssr.rs")]
mod browser;
mod chat;
mod clock;
mod complete;
mod connection;
mod join;
mod markdown;
mod members;
mod message;
mod messages;
mod sidebar;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    hooks::use_params_map,
    path,
};
use natter_contract::DEFAULT_ROOM;

pub use chat::{ChatPage, Target};

/// The HTML document around the app, rendered by the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone()/>
                // Follows cargo-leptos' hashed file name, so it can be cached for good.
                <HashedStylesheet options id="leptos"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // One connection for the page's life: switching rooms keeps it, and each room its timeline.
    provide_context(connection::Connection::new(DEFAULT_ROOM));
    clock::LocalTime::provide();
    view! {
        <Router>
            // Async: the HTML is sent once the history has loaded, complete, so it reads
            // without JavaScript (out-of-order streaming would need a script to show it).
            <Routes fallback=|| "Page not found.">
                <Route
                    path=path!("")
                    view=|| view! { <ChatPage target=Signal::stored(Target::Room(DEFAULT_ROOM.to_owned()))/> }
                    ssr=SsrMode::Async
                />
                <Route path=path!("r/:room") view=RoomRoute ssr=SsrMode::Async/>
                <Route path=path!("dm/:name") view=DmRoute ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

#[component]
fn RoomRoute() -> impl IntoView {
    let params = use_params_map();
    let target =
        Signal::derive(move || Target::Room(params.read().get("room").unwrap_or_default()));
    view! { <ChatPage target/> }
}

#[component]
fn DmRoute() -> impl IntoView {
    let params = use_params_map();
    let target = Signal::derive(move || Target::Dm(params.read().get("name").unwrap_or_default()));
    view! { <ChatPage target/> }
}
