//! The room's message list: stored messages (one's own with Edit and Delete; a run of one
//! author's under one name and avatar), system lines, one's messages still on their way, the
//! "New messages" divider, and "Jump to latest" while scrolled up.

use super::{
    browser,
    connection::{Connection, put},
};
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
    /// `grouped`: it follows a message of the same author closely, so it goes under their
    /// name and avatar instead of repeating them.
    Stored(ChatMessage, bool),
    Outgoing(Outgoing),
    NewMessages,
}

impl Line {
    /// Keyed by id, state and revision, so a line is redrawn when it changes from pending to
    /// sent, and when it is edited or deleted.
    fn key(&self) -> (String, u8, u64, bool) {
        match self {
            Line::Stored(m, grouped) => {
                let revision = m.revision.map_or(0, |r| r.seq);
                (m.client_id.clone(), 0, revision, *grouped)
            }
            Line::Outgoing(o) => {
                let failed = matches!(o.state, OutgoingState::Failed(_));
                (o.client_id.clone(), if failed { 2 } else { 1 }, 0, false)
            }
            Line::NewMessages => (String::new(), 3, 0, false),
        }
    }
}

/// Messages of one author at most this far apart go under one name, as in Slack.
const GROUP_WITHIN_MS: i64 = 5 * 60 * 1000;

/// Whether `message` continues the group of `previous` (the line right above it).
fn continues(previous: Option<&ChatMessage>, message: &ChatMessage) -> bool {
    previous.is_some_and(|p| {
        p.kind.is_message()
            && message.kind.is_message()
            && p.author.id == message.author.id
            && message.sent_at - p.sent_at < GROUP_WITHIN_MS
    })
}

/// Number of avatar colours in the style sheet (`.avatar.c0` … `.avatar.c11`): classes, not
/// inline styles, which a Content-Security-Policy would block.
const AVATAR_COLOURS: u32 = 12;

/// The avatar's colour class, the same for a name on every page (FNV-1a of the name, ASCII
/// case folded: `to_lowercase` here cost the page 5.3 KB of brotli wasm, BENCHMARKS.md).
fn avatar_colour(name: &str) -> String {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0193)
    });
    format!("avatar c{}", hash % AVATAR_COLOURS)
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
        let mut previous: Option<ChatMessage> = None;
        for message in stored {
            let mut grouped = continues(previous.as_ref(), &message);
            if !divided
                && from.is_some_and(|from| {
                    message.seq > from && message.author.id != me && message.kind.is_message()
                })
            {
                divided = true;
                grouped = false;
                lines.push(Line::NewMessages);
            }
            previous = Some(message.clone());
            lines.push(Line::Stored(message, grouped));
        }
        lines.extend(conn.pending.get().into_iter().map(Line::Outgoing));
        lines
    };
    // Scrolled up (reading back): the "Jump to latest" button shows.
    let scrolled_up = RwSignal::new(false);
    let to_bottom = move || {
        if let Some(ul) = list.get() {
            ul.set_scroll_top(ul.scroll_height());
        }
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
        let Some(ul) = list.get() else { return };
        if ul.scroll_top() < 40 {
            conn.load_older();
        }
        let from_bottom = ul.scroll_height() - ul.scroll_top() - ul.client_height();
        put(scrolled_up, from_bottom > 200);
    };
    view! {
        <ul id="messages" node_ref=list on:scroll=on_scroll aria-live="polite">
            <Show when=move || conn.has_older.get()>
                <li class="older"><button id="load-older" on:click=move |_| conn.load_older()>"Load older messages"</button></li>
            </Show>
            // Bodies and names are text nodes: Leptos escapes them, so markup stays text.
            <For each=lines key=Line::key let(line)>
                {match line {
                    Line::Stored(m, _) if !m.kind.is_message() => EitherOf4::D(view! {
                        <li class="system" data-seq=m.seq>{system_line(&m)}</li>
                    }),
                    Line::Stored(m, grouped) => {
                        let mine = m.author.id == me;
                        EitherOf4::A(view! { <Message conn m mine grouped editing/> })
                    }
                    Line::Outgoing(o) => EitherOf4::B(view! { <OutgoingLine conn o/> }),
                    Line::NewMessages => EitherOf4::C(view! { <li class="divider" role="separator">"New messages"</li> }),
                }}
            </For>
        </ul>
        <button id="jump-latest" class="jump" hidden=move || !scrolled_up.get() on:click=move |_| to_bottom()>
            "Jump to latest ↓"
        </button>
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
    grouped: bool,
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
    let initial: String = m
        .author
        .name
        .chars()
        .take(1)
        .flat_map(char::to_uppercase)
        .collect();
    let avatar = avatar_colour(&m.author.name);
    view! {
        <li class=if grouped { "sent grouped" } else { "sent" } data-seq=seq data-mine=mine.then_some("true")
            data-edited=edited.then_some("true") data-deleted=deleted.then_some("true")>
            // A grouped line keeps its name for screen readers only.
            <span class=avatar aria-hidden="true">{initial}</span>
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

#[cfg(test)]
mod tests {
    use super::*;
    use natter_contract::User;

    fn said(author: i64, at: i64, kind: MessageKind) -> ChatMessage {
        ChatMessage {
            room: "general".into(),
            seq: 1,
            id: 1,
            author: User {
                id: author,
                name: format!("u{author}"),
            },
            client_id: String::new(),
            body: String::new(),
            sent_at: at,
            kind,
            target: None,
            revision: None,
        }
    }

    #[test]
    fn one_authors_close_messages_group_and_anything_between_breaks_the_run() {
        let first = said(1, 0, MessageKind::Message);
        assert!(!continues(None, &first));
        assert!(continues(
            Some(&first),
            &said(1, GROUP_WITHIN_MS - 1, MessageKind::Message)
        ));
        assert!(!continues(
            Some(&first),
            &said(1, GROUP_WITHIN_MS, MessageKind::Message)
        ));
        assert!(!continues(Some(&first), &said(2, 1, MessageKind::Message)));
        let line = said(1, 1, MessageKind::Joined);
        assert!(!continues(Some(&line), &said(1, 2, MessageKind::Message)));
    }

    #[test]
    fn a_names_avatar_colour_is_stable_and_case_blind() {
        assert_eq!(avatar_colour("Ann"), avatar_colour("ann"));
        let colours: std::collections::BTreeSet<_> =
            ["ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal"]
                .map(avatar_colour)
                .into();
        assert!(
            colours.len() > 3,
            "names spread over the palette: {colours:?}"
        );
        assert!(colours.iter().all(|c| c.starts_with("avatar c")));
    }
}
