//! One line of the list: a stored message (its avatar, name, time and Markdown body; one's
//! own with Edit and Delete and the edit form), or one of ours still on its way.

use super::{
    browser,
    clock::{self, LocalTime},
    connection::Connection,
    markdown::Body,
};
use leptos::{either::EitherOf3, ev::SubmitEvent, html, prelude::*};
use natter_contract::{ChatMessage, User};
use natter_session::{Outgoing, OutgoingState};

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

/// A stored message; one's own, unless deleted, has Edit and Delete, shown on hover and on
/// keyboard focus (CSS), and its edit form in place of the body while `editing` names it.
#[component]
pub fn Message(
    conn: Connection,
    m: ChatMessage,
    me: User,
    grouped: bool,
    editing: RwSignal<Option<u64>>,
) -> impl IntoView {
    let seq = m.seq;
    let mine = m.author.id == me.id;
    let deleted = m.is_deleted();
    let edited = m.revision.is_some() && !deleted;
    let body = m.body.clone();
    let blocks = m.blocks();
    let shown = move || {
        // Either*, not `into_any`: type erasure costs the page ~25 KB of wasm (BENCHMARKS.md).
        if deleted {
            EitherOf3::A(view! { <div class="body deleted">"message deleted"</div> })
        } else if editing.get() == Some(seq) {
            EitherOf3::B(view! { <EditForm conn seq body=body.clone() editing/> })
        } else {
            EitherOf3::C(view! {
                <Body blocks=blocks.clone() me=me.name.clone()/>
                {edited.then(|| view! { <span class="edited">"(edited)"</span> })}
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
    // In the reader's zone once the page runs in the browser; the line itself stays.
    let (at, local) = (m.sent_at, expect_context::<LocalTime>().0);
    let clock_text = move || clock::stamp(at, local.get()).clock;
    let full = move || clock::stamp(at, local.get()).full;
    view! {
        <li class=if grouped { "sent grouped" } else { "sent" } data-seq=seq data-mine=mine.then_some("true")
            data-edited=edited.then_some("true") data-deleted=deleted.then_some("true")>
            // A grouped line keeps its name for screen readers only, and its time on hover.
            <span class=avatar aria-hidden="true">{initial}</span>
            <span class="author">{m.author.name}</span>
            <time class="at" datetime=clock::iso(at) title=full>{clock_text}</time>
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

/// Enter sends (or saves) and Shift+Enter is a new line, as in Slack and Zulip; not while an
/// input method is composing a character.
pub(super) fn sends(ev: &leptos::ev::KeyboardEvent) -> bool {
    ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing()
}

/// In place of a message's body: Enter saves (Shift+Enter is a new line, as in the composer),
/// Esc (or Cancel) leaves it as it was; either way the composer gets the focus back.
#[component]
fn EditForm(
    conn: Connection,
    seq: u64,
    body: String,
    editing: RwSignal<Option<u64>>,
) -> impl IntoView {
    let input = NodeRef::<html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let close = move || {
        editing.set(None);
        browser::focus("input");
    };
    let save = move || {
        if input.get().is_some_and(|el| conn.edit(seq, el.value())) {
            close();
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        save();
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            close();
        }
        _ if sends(&ev) => {
            ev.prevent_default();
            save();
        }
        _ => {}
    };
    view! {
        <form class="edit-form" on:submit=on_submit>
            <textarea class="edit-input" node_ref=input rows="1" prop:value=body aria-label="Edit message" on:keydown=on_keydown></textarea>
            <button type="submit">"Save"</button>
            <button type="button" on:click=move |_| close()>"Cancel"</button>
        </form>
    }
}

#[component]
pub fn OutgoingLine(conn: Connection, o: Outgoing) -> impl IntoView {
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
