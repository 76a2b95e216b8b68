//! The UI. Rendered on the server, then hydrated in the browser; it talks to the server only
//! through the Socket.IO connection in [`connection`].

#[cfg_attr(feature = "hydrate", path = "browser.rs")]
#[cfg_attr(not(feature = "hydrate"), path = "browser_ssr.rs")]
mod browser;
mod chat;
mod connection;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

pub use chat::ChatPage;

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
    view! {
        <Title text="Natter"/>
        <Router>
            // Async: the HTML is sent once the history has loaded, complete, so it reads
            // without JavaScript (out-of-order streaming would need a script to show it).
            <Routes fallback=|| "Page not found.">
                <Route path=path!("") view=ChatPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
