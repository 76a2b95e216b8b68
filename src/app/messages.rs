//! The room's message list: stored messages (a run of one author's under one name and
//! avatar), system lines, day dividers, one's messages still on their way, the "New messages"
//! divider, and "Jump to latest" while scrolled up.

use super::{
    browser,
    clock::{self, LocalTime},
    connection::{Connection, put},
    message::{Message, OutgoingLine},
};
use leptos::{either::EitherOf5, html, prelude::*};
use natter_contract::{ChatMessage, MessageKind, Page, User};
use natter_session::{Outgoing, OutgoingState};

/// One line of the list.
#[derive(Clone, PartialEq)]
enum Line {
    /// `grouped`: it follows a message of the same author closely, so it goes under their
    /// name and avatar instead of repeating them.
    Stored { message: ChatMessage, grouped: bool },
    /// One of ours still on its way.
    Outgoing(Outgoing),
    /// Where the unread part begins.
    NewMessages,
    /// Where a day begins: "Today", "Yesterday", "Tuesday, 1 December 2026".
    Day(String),
}

impl Line {
    /// Keyed by id, state and revision, so a line is redrawn when it changes from pending to
    /// sent, and when it is edited or deleted (its time follows the zone by itself).
    fn key(&self) -> (String, u8, u64, bool, String) {
        match self {
            Line::Stored {
                message: m,
                grouped,
            } => {
                let revision = m.revision.map_or(0, |r| r.seq);
                (m.client_id.clone(), 0, revision, *grouped, String::new())
            }
            Line::Outgoing(o) => {
                let failed = matches!(o.state, OutgoingState::Failed(_));
                let state = if failed { 2 } else { 1 };
                (o.client_id.clone(), state, 0, false, String::new())
            }
            Line::NewMessages => (String::new(), 3, 0, false, String::new()),
            Line::Day(label) => (String::new(), 4, 0, false, label.clone()),
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

/// The newest message of `me` that can still be edited (the Up arrow's target).
pub fn last_editable(messages: &[ChatMessage], me: i64) -> Option<u64> {
    let mine = |m: &&ChatMessage| m.author.id == me && m.kind.is_message() && !m.is_deleted();
    messages.iter().rev().find(mine).map(|m| m.seq)
}

/// The lines for `stored` (oldest first): a day divider before each day's first line, the
/// "New messages" divider before the first message by someone else after `unread_from`, and
/// runs of one author grouped within a day: days of the reader's zone once `local`, of UTC
/// before; `today` is that zone's day, once the page knows it.
fn stored_lines(
    stored: Vec<ChatMessage>,
    unread_from: Option<u64>,
    me: i64,
    local: bool,
    today: Option<i64>,
) -> Vec<Line> {
    let mut lines = Vec::with_capacity(stored.len() + 2);
    let mut divided = false;
    let mut previous: Option<(ChatMessage, i64)> = None;
    for message in stored {
        let day = clock::day(message.sent_at, local);
        let new_day = previous
            .as_ref()
            .is_none_or(|(_, previous)| *previous != day);
        let mut grouped = !new_day && continues(previous.as_ref().map(|(m, _)| m), &message);
        if new_day {
            let stamp = clock::stamp(message.sent_at, local);
            lines.push(Line::Day(clock::day_label(&stamp, today)));
        }
        let unread = unread_from.is_some_and(|from| {
            message.seq > from && message.author.id != me && message.kind.is_message()
        });
        if !divided && unread {
            divided = true;
            grouped = false;
            lines.push(Line::NewMessages);
        }
        previous = Some((message.clone(), day));
        lines.push(Line::Stored { message, grouped });
    }
    lines
}

/// `editing`: the seq of the message whose edit form is open.
#[component]
pub fn MessageList(
    conn: Connection,
    snapshot: Page,
    me: User,
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
    // Times are in UTC until the page runs in the browser (`clock`).
    let local_time = expect_context::<LocalTime>().0;
    let me_id = me.id;
    // Until the session takes over, the snapshot is shown as rendered on the server, so
    // hydration finds exactly the same list and nothing flashes.
    let lines = move || {
        let stored = conn
            .messages
            .get()
            .filter(|_| conn.room.get() == snapshot_room)
            .unwrap_or_else(|| snapshot_messages.clone());
        let local = local_time.get();
        let today = local.then(|| clock::day(browser::now_ms(), true));
        let mut lines = stored_lines(stored, conn.unread_from.get(), me_id, local, today);
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
            // Names are text nodes and bodies the server's tree as elements and text nodes
            // (markdown.rs): Leptos escapes text, so markup in it stays text.
            <For each=lines key=Line::key let(line)>
                {match line {
                    Line::Stored { message: m, .. } if !m.kind.is_message() => {
                        let at = m.sent_at;
                        EitherOf5::D(view! {
                            <li class="system" data-seq=m.seq title=move || clock::stamp(at, local_time.get()).full>{system_line(&m)}</li>
                        })
                    }
                    Line::Stored { message: m, grouped } => {
                        let me = me.clone();
                        EitherOf5::A(view! { <Message conn m me grouped editing/> })
                    }
                    Line::Outgoing(o) => EitherOf5::B(view! { <OutgoingLine conn o/> }),
                    // No `role="separator"`: a list holds only list items (axe's `list` rule).
                    Line::NewMessages => EitherOf5::C(view! { <li class="divider">"New messages"</li> }),
                    Line::Day(label) => EitherOf5::E(view! { <li class="day">{label}</li> }),
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

#[cfg(test)]
mod tests {
    use super::*;

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
            markup: None,
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
    fn each_day_opens_with_a_divider_that_breaks_the_run() {
        let day = 86_400_000;
        let stored = vec![
            said(1, day - 60_000, MessageKind::Message),
            said(1, day - 30_000, MessageKind::Message),
            said(1, day + 30_000, MessageKind::Message),
            said(2, day + 60_000, MessageKind::Message),
        ];
        let lines = stored_lines(stored, None, 1, false, None);
        let shape: Vec<String> = lines
            .iter()
            .map(|line| match line {
                Line::Day(label) => label.clone(),
                Line::Stored { grouped, .. } => format!("grouped={grouped}"),
                _ => "other".into(),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "Thursday, 1 January 1970",
                "grouped=false",
                "grouped=true",
                "Friday, 2 January 1970",
                "grouped=false",
                "grouped=false",
            ]
        );
        let lines = stored_lines(
            vec![said(2, 0, MessageKind::Message)],
            None,
            1,
            false,
            Some(0),
        );
        assert!(matches!(&lines[0], Line::Day(label) if label == "Today"));
    }
}
