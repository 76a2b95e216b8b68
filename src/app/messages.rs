//! The room's message list: stored messages (one's own with Edit and Delete), system lines,
//! one's messages still on their way, and the "New messages" divider.

use super::{browser, connection::Connection};
use leptos::{
    either::{EitherOf3, EitherOf4},
    ev::SubmitEvent,
    html,
    prelude::*,
};
use natter_contract::{ChatMessage, MessageKind, Page};
use natter_session::{Outgoing, OutgoingState};

/// One line of the list: a stored message, one of ours still on its way, or the place where
/// the unread part begins.
#[derive(Clone, PartialEq)]
enum Line {
    Stored(ChatMessage),
    Outgoing(Outgoing),
    NewMessages,
}

impl Line {
    /// Keyed by id, state and revision, so a line is redrawn when it changes from pending to
    /// sent, and when it is edited or deleted.
    fn key(&self) -> (String, u8, u64) {
        match self {
            Line::Stored(m) => (m.client_id.clone(), 0, m.revision.map_or(0, |r| r.seq)),
            Line::Outgoing(o) => {
                let failed = matches!(o.state, OutgoingState::Failed(_));
                (o.client_id.clone(), if failed { 2 } else { 1 }, 0)
            }
            Line::NewMessages => (String::new(), 3, 0),
        }
    }
}

/// The newest message of `me` that can still be edited (the Up arrow's target).
pub fn last_editable(messages: &[ChatMessage], me: i64) -> Option<u64> {
    let mine = |m: &&ChatMessage| m.author.id == me && m.kind.is_message() && !m.is_deleted();
    messages.iter().rev().find(mine).map(|m| m.seq)
}

/// `editing`: the seq of the message whose edit form is open.
#[component]
pub fn MessageList(
    conn: Connection,
    snapshot: Page,
    me: i64,
    editing: RwSignal<Option<u64>>,
) -> impl IntoView {
    let list = NodeRef::<html::Ul>::new();
    let snapshot_room = snapshot.room.clone();
    // Only what is shown: the snapshot's edits and deletes are already in its messages.
    let snapshot_messages: Vec<ChatMessage> = snapshot
        .messages
        .into_iter()
        .filter(|m| !m.kind.is_change())
        .collect();
    // Until the session takes over, the snapshot is shown as rendered on the server, so
    // hydration finds exactly the same list and nothing flashes.
    let lines = move || {
        let stored = conn
            .messages
            .get()
            .filter(|_| conn.room.get() == snapshot_room)
            .unwrap_or_else(|| snapshot_messages.clone());
        let from = conn.unread_from.get();
        let mut lines = Vec::with_capacity(stored.len() + 1);
        let mut divided = false;
        for message in stored {
            if !divided
                && from.is_some_and(|from| {
                    message.seq > from && message.author.id != me && message.kind.is_message()
                })
            {
                divided = true;
                lines.push(Line::NewMessages);
            }
            lines.push(Line::Stored(message));
        }
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
        <ul id="messages" node_ref=list on:scroll=on_scroll aria-live="polite">
            <Show when=move || conn.has_older.get()>
                <li class="older"><button id="load-older" on:click=move |_| conn.load_older()>"Load older messages"</button></li>
            </Show>
            // Bodies and names are text nodes: Leptos escapes them, so markup stays text.
            <For each=lines key=Line::key let(line)>
                {match line {
                    Line::Stored(m) if !m.kind.is_message() => EitherOf4::D(view! {
                        <li class="system" data-seq=m.seq>{system_line(&m)}</li>
                    }),
                    Line::Stored(m) => {
                        let mine = m.author.id == me;
                        EitherOf4::A(view! { <Message conn m mine editing/> })
                    }
                    Line::Outgoing(o) => EitherOf4::B(view! { <OutgoingLine conn o/> }),
                    Line::NewMessages => EitherOf4::C(view! { <li class="divider" role="separator">"New messages"</li> }),
                }}
            </For>
        </ul>
    }
}

/// "ann joined", "ann left".
fn system_line(m: &ChatMessage) -> String {
    let what = match m.kind {
        MessageKind::Joined => "joined",
        MessageKind::Left => "left",
        MessageKind::Message | MessageKind::Edit | MessageKind::Delete => "",
    };
    format!("{} {what}", m.author.name)
}

/// A stored message; one's own, unless deleted, has Edit and Delete, shown on hover and on
/// keyboard focus (CSS), and its edit form in place of the body while `editing` names it.
#[component]
fn Message(
    conn: Connection,
    m: ChatMessage,
    mine: bool,
    editing: RwSignal<Option<u64>>,
) -> impl IntoView {
    let seq = m.seq;
    let deleted = m.is_deleted();
    let edited = m.revision.is_some() && !deleted;
    let body = m.body.clone();
    let shown = move || {
        // Either*, not `into_any`: type erasure costs the page ~25 KB of wasm (BENCHMARKS.md).
        if deleted {
            EitherOf3::A(view! { <span class="body deleted">"message deleted"</span> })
        } else if editing.get() == Some(seq) {
            EitherOf3::B(view! { <EditForm conn seq body=body.clone() editing/> })
        } else {
            EitherOf3::C(view! {
                <span class="body">{body.clone()}</span>
                {edited.then(|| view! { <span class="edited">" (edited)"</span> })}
            })
        }
    };
    let on_delete = move |_| {
        if browser::confirm("Delete this message? This cannot be undone.") {
            conn.delete(seq);
        }
    };
    view! {
        <li class="sent" data-seq=seq data-mine=mine.then_some("true")
            data-edited=edited.then_some("true") data-deleted=deleted.then_some("true")>
            <span class="author">{m.author.name}</span>
            {shown}
            {(mine && !deleted).then(|| view! {
                <span class="actions" role="group" aria-label="Message actions">
                    <button class="edit" on:click=move |_| editing.set(Some(seq))>"Edit"</button>
                    <button class="delete" on:click=on_delete>"Delete"</button>
                </span>
            })}
        </li>
    }
}

/// In place of a message's body: Enter saves, Esc (or Cancel) leaves it as it was; either way
/// the composer gets the focus back.
#[component]
fn EditForm(
    conn: Connection,
    seq: u64,
    body: String,
    editing: RwSignal<Option<u64>>,
) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let close = move || {
        editing.set(None);
        browser::focus("input");
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(el) = input.get() else { return };
        if conn.edit(seq, el.value()) {
            close();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            close();
        }
    };
    view! {
        <form class="edit-form" on:submit=on_submit>
            <input class="edit-input" node_ref=input value=body aria-label="Edit message" on:keydown=on_keydown/>
            <button type="submit">"Save"</button>
            <button type="button" on:click=move |_| close()>"Cancel"</button>
        </form>
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
            <span class="body">{o.body}</span>
            {error.map(|e| view! {
                <span class="why">{e}</span>
                <button class="retry" on:click=move |_| conn.retry(retry_id.clone())>"Retry"</button>
                <button class="discard" on:click=move |_| conn.discard(discard_id.clone())>"Discard"</button>
            })}
        </li>
    }
}
