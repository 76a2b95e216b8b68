//! The chat page: the message list, the form, and the connection badge.

use super::connection::{Connection, use_connection};
use leptos::{ev::SubmitEvent, html, prelude::*};

#[component]
pub fn ChatPage() -> impl IntoView {
    let conn = use_connection();
    view! {
        <div class="chat">
            <header class="topbar">
                <h1>"Natter"</h1>
                <ConnectionBadge conn/>
            </header>
            <MessageList conn/>
            <Composer conn/>
        </div>
    }
}

#[component]
fn ConnectionBadge(conn: Connection) -> impl IntoView {
    view! {
        <div class="badge" data-status=move || conn.status.get().label()>
            <span id="status">{move || conn.status.get().label()}</span>
            <span id="transport">{move || conn.transport.get().unwrap_or("")}</span>
        </div>
    }
}

#[component]
fn MessageList(conn: Connection) -> impl IntoView {
    let list = NodeRef::<html::Ul>::new();
    // Keep the newest message in view, as the tutorial's `window.scrollTo`.
    Effect::new(move |_| {
        conn.messages.track();
        if let Some(ul) = list.get() {
            ul.set_scroll_top(ul.scroll_height());
        }
    });
    view! {
        <ul id="messages" node_ref=list>
            // Bodies are text nodes: Leptos escapes them, so markup in a message stays text.
            <For each=move || conn.messages.get() key=|m| m.id let(m)>
                <li data-id=m.id>{m.body}</li>
            </For>
        </ul>
    }
}

#[component]
fn Composer(conn: Connection) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(el) = input.get() else { return };
        if conn.send(el.value()) {
            el.set_value("");
        }
    };
    view! {
        <p id="error" role="alert">{move || conn.error.get()}</p>
        <form id="chat-form" on:submit=on_submit>
            <input id="input" node_ref=input autocomplete="off" placeholder="Type a message" maxlength="4000"/>
            <button type="submit">"Send"</button>
        </form>
    }
}
