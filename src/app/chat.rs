//! The chat page: the message list, the form, and the connection badge.

use super::connection::{self, Connection};
use crate::api::recent_messages;
use leptos::{ev::SubmitEvent, html, prelude::*};
use natter_contract::{ChatMessage, DEFAULT_ROOM, Page, SSR_MESSAGES};
use natter_session::{Outgoing, OutgoingState};

#[component]
pub fn ChatPage() -> impl IntoView {
    let conn = Connection::new(DEFAULT_ROOM);
    // Blocking: the first HTML already holds the newest messages, readable without JavaScript,
    // and the hydrated page reuses the same data instead of fetching it again.
    let recent = Resource::new_blocking(
        || (),
        |_| recent_messages(DEFAULT_ROOM.to_owned(), SSR_MESSAGES),
    );
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(result) = recent.get()
            && !started.get_value()
        {
            started.set_value(true);
            connection::start(conn, result.ok());
        }
    });
    view! {
        <div class="chat">
            <header class="topbar">
                <h1>"Natter"</h1>
                <span class="room">"#" {DEFAULT_ROOM}</span>
                <ConnectionBadge conn/>
            </header>
            <Suspense fallback=|| view! { <ul id="messages"></ul> }>
                {move || Suspend::new(async move {
                    let snapshot = recent.await;
                    let error = snapshot.as_ref().err().map(|e| format!("Could not load the history: {e}"));
                    view! {
                        <MessageList conn snapshot=snapshot.ok()/>
                        {error.map(|e| view! { <p class="load-error" role="alert">{e}</p> })}
                    }
                })}
            </Suspense>
            <Composer conn/>
        </div>
    }
}

#[component]
fn ConnectionBadge(conn: Connection) -> impl IntoView {
    view! {
        <div class="badge" data-status=move || conn.status.get().label()>
            <span id="notice">{move || conn.notice.get()}</span>
            <span id="status">{move || conn.status.get().label()}</span>
            <span id="transport">{move || conn.transport.get().unwrap_or("")}</span>
        </div>
    }
}

/// One line of the list: a stored message, or one of ours still on its way.
#[derive(Clone, PartialEq)]
enum Line {
    Stored(ChatMessage),
    Outgoing(Outgoing),
}

impl Line {
    /// Keyed by id and state, so a line is redrawn when it changes from pending to sent.
    fn key(&self) -> (String, u8) {
        match self {
            Line::Stored(m) => (m.client_id.clone(), 0),
            Line::Outgoing(o) => (
                o.client_id.clone(),
                if matches!(o.state, OutgoingState::Failed(_)) {
                    2
                } else {
                    1
                },
            ),
        }
    }
}

#[component]
fn MessageList(conn: Connection, snapshot: Option<Page>) -> impl IntoView {
    let list = NodeRef::<html::Ul>::new();
    let snapshot_messages = snapshot.map(|p| p.messages).unwrap_or_default();
    // Until the session takes over, the snapshot is shown as rendered on the server, so
    // hydration finds exactly the same list and nothing flashes.
    let lines = move || {
        let stored = conn
            .messages
            .get()
            .unwrap_or_else(|| snapshot_messages.clone());
        let mut lines: Vec<Line> = stored.into_iter().map(Line::Stored).collect();
        lines.extend(conn.pending.get().into_iter().map(Line::Outgoing));
        lines
    };
    // Keep the newest message in view unless the reader has scrolled up.
    Effect::new(move |_| {
        conn.messages.track();
        conn.pending.track();
        if let Some(ul) = list.get() {
            let near_bottom = ul.scroll_height() - ul.scroll_top() - ul.client_height() < 120;
            if near_bottom {
                ul.set_scroll_top(ul.scroll_height());
            }
        }
    });
    let on_scroll = move |_| {
        if list.get().is_some_and(|ul| ul.scroll_top() < 40) {
            conn.load_older();
        }
    };
    view! {
        <ul id="messages" node_ref=list on:scroll=on_scroll>
            <Show when=move || conn.has_older.get()>
                <li class="older"><button id="load-older" on:click=move |_| conn.load_older()>"Load older messages"</button></li>
            </Show>
            // Bodies are text nodes: Leptos escapes them, so markup in a message stays text.
            <For each=lines key=Line::key let(line)>
                {match line {
                    Line::Stored(m) => view! {
                        <li class="sent" data-seq=m.seq>{m.body}</li>
                    }.into_any(),
                    Line::Outgoing(o) => view! { <OutgoingLine conn o/> }.into_any(),
                }}
            </For>
        </ul>
    }
}

#[component]
fn OutgoingLine(conn: Connection, o: Outgoing) -> impl IntoView {
    let (class, error) = match &o.state {
        OutgoingState::Failed(e) => ("failed", Some(e.message.clone())),
        _ => ("pending", None),
    };
    let retry_id = o.client_id.clone();
    let discard_id = o.client_id.clone();
    view! {
        <li class=class data-client-id=o.client_id.clone()>
            {o.body}
            {error.map(|e| view! {
                <span class="why">{e}</span>
                <button class="retry" on:click=move |_| conn.retry(retry_id.clone())>"Retry"</button>
                <button class="discard" on:click=move |_| conn.discard(discard_id.clone())>"Discard"</button>
            })}
        </li>
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
            <input id="input" node_ref=input autocomplete="off" placeholder="Type a message"/>
            <button type="submit">"Send"</button>
        </form>
    }
}
