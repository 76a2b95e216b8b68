//! The sidebar: the user, their rooms and DMs with unread counts, and ways to find more.

use super::{
    browser,
    connection::Connection,
    join::{InvitePeople, SignOutForm},
    members::PresenceDot,
};
use leptos::{ev::SubmitEvent, html, prelude::*};
use leptos_router::hooks::use_navigate;
use natter_contract::{Joined, Me, RoomKind, new_room_name};

/// "#design", or "@bob" for a DM.
pub fn room_title(line: &Joined) -> String {
    match (&line.kind, &line.peer) {
        (RoomKind::Dm, Some(peer)) => format!("@{}", peer.name),
        _ => format!("#{}", line.room),
    }
}

fn href(line: &Joined) -> String {
    match (&line.kind, &line.peer) {
        (RoomKind::Dm, Some(peer)) => format!("/dm/{}", peer.name),
        _ => format!("/r/{}", line.room),
    }
}

#[component]
pub fn Sidebar(me: Me, rooms: Signal<Vec<Joined>>, conn: Connection) -> impl IntoView {
    let of_kind = move |kind: RoomKind| {
        move || {
            rooms.with(|rooms| {
                rooms
                    .iter()
                    .filter(|r| r.kind == kind)
                    .cloned()
                    .collect::<Vec<_>>()
            })
        }
    };
    view! {
        <nav class="sidebar" id="sidebar" tabindex="-1" aria-label="Rooms and direct messages">
            <div class="me">
                <span id="me">{me.user.name.clone()}</span>
                <SignOutForm/>
            </div>
            <NotificationsOffer/>
            {me.can_invite.then(|| view! { <InvitePeople/> })}
            <h2>"Rooms"</h2>
            <ul class="rooms" id="rooms">
                <For each=of_kind(RoomKind::Public) key=|r| (r.room.clone(), r.unread, r.mentions) let(line)>
                    <RoomLink line conn/>
                </For>
            </ul>
            <h2>"Direct messages"</h2>
            <ul class="rooms" id="dms">
                <For each=of_kind(RoomKind::Dm) key=|r| (r.room.clone(), r.unread, r.mentions) let(line)>
                    <RoomLink line conn/>
                </For>
            </ul>
            <NewDm/>
            <NewRoom conn/>
            <Directory rooms conn/>
        </nav>
    }
}

#[component]
fn RoomLink(line: Joined, conn: Connection) -> impl IntoView {
    // Plain closures over the page's signals, not `Signal::derive`: a row the `For` has just
    // dropped may still see one last change of `conn.room`, and a derived signal is gone with
    // the row (a panic, creating one room after another).
    let current = {
        let room = line.room.clone();
        move || conn.room.with(|shown| *shown == room)
    };
    let aria_current = {
        let current = current.clone();
        move || current().then_some("page")
    };
    let (unread, mentions) = (line.unread, line.mentions);
    let dm = line.kind == RoomKind::Dm;
    let key = line.room.clone();
    let online = Signal::derive(move || conn.online_dms.with(|dms| dms.contains(&key)));
    view! {
        <li class:current=current data-room=line.room.clone()>
            {dm.then(|| view! { <PresenceDot online/> })}
            <a href=href(&line) aria-current=aria_current>{room_title(&line)}</a>
            <Counts unread mentions dm/>
        </li>
    }
}

/// A room's unread count, and apart from it, in the accent, what calls for the reader: its
/// mentions of them ("@2"); in a DM every message does, so there the count itself is.
#[component]
fn Counts(unread: u64, mentions: u64, dm: bool) -> impl IntoView {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let unread_label = plural(unread, "unread message", "unread messages");
    let mentions_label = plural(mentions, "mention of you", "mentions of you");
    view! {
        {(unread > 0).then(|| view! {
            <span class="unread" class:calls=dm aria-label=unread_label>{unread}</span>
        })}
        {(mentions > 0 && !dm).then(|| view! {
            <span class="mentions" aria-label=mentions_label>"@"{mentions}</span>
        })}
    }
}

/// "Notify me": offered until the reader says yes or no, since browsers only ask on a
/// gesture. Never on the server's page (it cannot know), so it appears after hydration.
#[component]
fn NotificationsOffer() -> impl IntoView {
    let offer = RwSignal::new(false);
    Effect::new(move |_| offer.set(browser::may_ask_notifications()));
    let on_click = move |_| {
        browser::ask_notifications();
        offer.set(false);
    };
    view! {
        <button id="notify" class="notify" hidden=move || !offer.get() on:click=on_click>
            "Notify me of DMs and mentions"
        </button>
    }
}

/// "Message someone": goes to `/dm/<name>`.
#[component]
fn NewDm() -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let navigate = use_navigate();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(name) = input
            .get()
            .map(|el| el.value())
            .filter(|n| !n.trim().is_empty())
        {
            navigate(&format!("/dm/{}", name.trim()), Default::default());
        }
    };
    view! {
        <form id="dm-form" class="mini" on:submit=on_submit>
            <input node_ref=input id="dm-name" placeholder="Message someone…" aria-label="Name to message"/>
            <button type="submit">"Go"</button>
        </form>
    }
}

#[component]
fn NewRoom(conn: Connection) -> impl IntoView {
    let name = NodeRef::<html::Input>::new();
    let topic = NodeRef::<html::Input>::new();
    let error = RwSignal::new(None::<String>);
    // The contract's rules first, for an answer without a round trip; the chat page goes to
    // the room once the server has made it (`Connection::settled`).
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (Some(name), Some(topic)) = (name.get(), topic.get()) else {
            return;
        };
        let checked =
            new_room_name(&name.value()).and_then(|()| natter_contract::topic(&topic.value()));
        match checked {
            Ok(topic) => {
                error.set(None);
                conn.create_room(name.value(), topic);
            }
            Err(code) => error.set(Some(code.describe().to_owned())),
        }
    };
    view! {
        <form id="room-form" class="mini" on:submit=on_submit>
            <input node_ref=name id="room-name" placeholder="new-room" aria-label="New room name"/>
            <input node_ref=topic id="room-topic" placeholder="Topic (optional)" aria-label="New room topic"/>
            <button type="submit">"Create"</button>
            <p id="room-error" class="field-error" role="alert">{move || error.get()}</p>
        </form>
    }
}

/// Public rooms the user is not in yet (asked for over Socket.IO once connected).
#[component]
fn Directory(rooms: Signal<Vec<Joined>>, conn: Connection) -> impl IntoView {
    let others = move || {
        let joined = rooms.get();
        let all = conn.directory.get();
        all.into_iter()
            .filter(|info| !joined.iter().any(|j| j.room == info.room))
            .collect::<Vec<_>>()
    };
    view! {
        <h2>"Browse rooms"</h2>
        <ul class="directory" id="directory">
            <For each=others key=|info| (info.room.clone(), info.members) let(info)>
                <li data-room=info.room.clone()>
                    <a href=format!("/r/{}", info.room)>"#" {info.room.clone()}</a>
                    <span class="member-count">{info.members} " members"</span>
                    <span class="topic">{info.topic}</span>
                </li>
            </For>
        </ul>
    }
}
