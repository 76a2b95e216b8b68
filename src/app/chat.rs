//! The chat page: sidebar, the room's message list, the form, and the connection badge.

use super::{
    browser,
    complete::{Completion, MentionList},
    connection::{self, Connection},
    join::{JoinForm, JoinRoomForm, refusal},
    members::MemberList,
    message::sends,
    messages::{MessageList, last_editable},
    sidebar::{Sidebar, room_title},
};
use crate::api::{current_user, open_dm, recent_messages};
use leptos::{either::EitherOf3, ev::SubmitEvent, html, prelude::*};
use leptos_meta::Title;
use natter_contract::{Joined, Me, Page, SSR_MESSAGES, dm_members};
use natter_session::Done;

/// What a URL asks to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `/r/<room>`: a public room (or a DM by its key).
    Room(String),
    /// `/dm/<name>`: the conversation with a user.
    Dm(String),
}

/// A room's key, heading and first page, or why it cannot be shown: `(code, text)`.
type RoomView = Result<(String, String, Page), (String, String)>;

async fn load(target: Target) -> RoomView {
    let (room, heading) = match target {
        Target::Room(room) => {
            let heading = format!("#{room}");
            (room, heading)
        }
        Target::Dm(name) => {
            let line = open_dm(name).await.map_err(|e| refusal(&e))?;
            let heading = room_title(&line);
            (line.room, heading)
        }
    };
    let page = recent_messages(room.clone(), SSR_MESSAGES).await;
    page.map(|page| (room, heading, page))
        .map_err(|e| refusal(&e))
}

#[component]
pub fn ChatPage(target: Signal<Target>) -> impl IntoView {
    let conn = expect_context::<Connection>();
    // Blocking: the first HTML already holds the user, the sidebar and the newest messages,
    // readable without JavaScript, and the hydrated page reuses the same data.
    let me = Resource::new_blocking(|| (), |_| current_user());
    let shown = Resource::new_blocking(move || target.get(), load);
    Effect::new(move |_| {
        let (Some(Ok(Some(me))), Some(view)) = (me.get(), shown.get()) else {
            return;
        };
        match (connection::started(conn), view) {
            (false, view) => connection::start(conn, me, view.ok().map(|(r, _, p)| (r, p))),
            (true, Ok((room, _, page))) => conn.show(room, Some(page)),
            (true, Err(_)) => {}
        }
    });
    // A room this page made is opened; one it left is closed.
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match conn.settled.get() {
        Some(Done::Created(room)) => navigate(&format!("/r/{room}"), Default::default()),
        Some(Done::Left(_)) => navigate("/", Default::default()),
        None => {}
    });
    // Signed out elsewhere, or the session expired: back to the join form.
    Effect::new(move |_| {
        if conn.signed_out.get() {
            browser::reload();
        }
    });
    // Effects run in the browser only, so the listener never touches the server's (absent)
    // window.
    Effect::new(move |_| {
        let handle = window_event_listener_untyped("focus", move |_| conn.focused());
        on_cleanup(move || handle.remove());
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => {
                        let view = shown.await;
                        let target_room = target.get_untracked();
                        EitherOf3::A(view! { <Signed me view target_room conn/> })
                    }
                    Ok(None) => EitherOf3::B(view! { <JoinForm/> }),
                    Err(e) => EitherOf3::C(view! { <p class="load-error" role="alert">{refusal(&e).1}</p> }),
                }
            })}
        </Suspense>
    }
}

/// Total unread, for the title: "(3) Natter".
fn title(rooms: &[Joined]) -> String {
    let unread: u64 = rooms.iter().map(|r| r.unread).sum();
    if unread == 0 {
        "Natter".to_owned()
    } else {
        format!("({unread}) Natter")
    }
}

#[component]
fn Signed(me: Me, view: RoomView, target_room: Target, conn: Connection) -> impl IntoView {
    let ssr_rooms = me.rooms.clone();
    let rooms = Signal::derive(move || conn.rooms.get().unwrap_or_else(|| ssr_rooms.clone()));
    // The title outlives this view (leptos_meta keeps it for the page), so it reads only the
    // page's signals: a closure over `rooms` ran once after a room change disposed it, and
    // panicked (found by the XSS spec, creating one room after another).
    let ssr_title = title(&me.rooms);
    let page_title = move || {
        let live = conn.rooms.with(|rooms| rooms.as_deref().map(title));
        live.unwrap_or_else(|| ssr_title.clone())
    };
    let showing = view.is_ok();
    // The message whose edit form is open: the list shows it, the composer's Up arrow opens it.
    let editing = RwSignal::new(None::<u64>);
    let main = match view {
        Ok((room, heading, page)) => {
            // A DM reached by its key is titled by the person, as in the sidebar.
            let heading = rooms.with_untracked(|rooms| {
                let line = rooms.iter().find(|r| r.room == room);
                line.map_or(heading, room_title)
            });
            // Live: a room this page just made comes into `rooms` after the page shows it.
            // It reads the page's `conn.rooms`, not this view's `rooms`: a closure of the view
            // being replaced may still run once, after `rooms` is gone.
            let topic_of = move |rooms: &[Joined], room: &str| {
                let line = rooms.iter().find(|r| r.room == room);
                line.map(|l| l.topic.clone()).unwrap_or_default()
            };
            let ssr_topic = topic_of(&me.rooms, &room);
            let topic_room = room.clone();
            let topic = move || {
                let live = conn
                    .rooms
                    .with(|r| r.as_deref().map(|r| topic_of(r, &topic_room)));
                live.unwrap_or_else(|| ssr_topic.clone())
            };
            EitherOf3::A(view! {
                <header class="topbar">
                    <h2 class="room" id="room-title">{heading}</h2>
                    <span class="topic">{topic}</span>
                    {(dm_members(&room).is_none()).then(|| view! { <LeaveButton conn room=room.clone()/> })}
                    <ConnectionBadge conn/>
                </header>
                <MessageList conn snapshot=page me=me.user.clone() editing/>
                <Composer conn room me=me.user.id editing/>
            })
        }
        // A public room one may join; a DM of others is as absent as one that does not exist.
        Err((code, text))
            if code == "forbidden"
                && matches!(&target_room, Target::Room(room) if dm_members(room).is_none()) =>
        {
            let room = match target_room {
                Target::Room(room) | Target::Dm(room) => room,
            };
            EitherOf3::B(view! {
                <header class="topbar"><ConnectionBadge conn/></header>
                <JoinRoomForm room text/>
            })
        }
        Err((_, text)) => {
            browser::set_not_found();
            EitherOf3::C(view! {
                <header class="topbar"><ConnectionBadge conn/></header>
                <p class="not-found" role="alert">"Page not found. " {text}</p>
            })
        }
    };
    // On a narrow screen the sidebar is a drawer: the menu button opens it, Esc, the scrim or
    // going to a room closes it. Without JavaScript the button is a link to `#sidebar`, which
    // the style sheet opens by `:target`.
    let drawer = RwSignal::new(false);
    Effect::new(move |_| {
        conn.room.track();
        drawer.set(false);
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && drawer.get_untracked() {
            drawer.set(false);
            browser::focus("menu");
        }
    };
    let open = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        drawer.set(true);
        // Once drawn: a hidden element takes no focus.
        request_animation_frame(|| browser::focus("sidebar"));
    };
    view! {
        <Title text=page_title/>
        <noscript><p class="no-js">"This page runs without live updates: reload to see new messages."</p></noscript>
        <div class="app" class:drawer-open=move || drawer.get() on:keydown=on_keydown>
            <Sidebar me rooms conn/>
            <div class="scrim" aria-hidden="true" on:click=move |_| drawer.set(false)></div>
            <main class="chat">
                <a id="menu" class="menu" href="#sidebar" role="button" aria-controls="sidebar"
                    aria-expanded=move || if drawer.get() { "true" } else { "false" } aria-label="Rooms and direct messages" on:click=open>"☰"</a>
                {main}
            </main>
            {showing.then(|| view! { <MemberList conn/> })}
        </div>
    }
}

#[component]
fn LeaveButton(conn: Connection, room: String) -> impl IntoView {
    // The chat page goes home once it is left (`Connection::settled`).
    let on_click = move |_| conn.leave_room(room.clone());
    view! { <button id="leave-room" class="leave" on:click=on_click>"Leave"</button> }
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

/// The message form. Without JavaScript it posts to the `post_message` server function, which
/// answers with a redirect back here.
#[component]
fn Composer(
    conn: Connection,
    room: String,
    me: i64,
    editing: RwSignal<Option<u64>>,
) -> impl IntoView {
    let input = NodeRef::<html::Textarea>::new();
    let completion = Completion::new(conn, me);
    let send = move || {
        let Some(el) = input.get() else { return };
        if conn.send(el.value()) {
            el.set_value("");
            completion.on_input("");
        }
    };
    // Enter sends and Shift+Enter starts a new line (for lists and code blocks), as in Slack
    // and Zulip; Up in an empty composer edits one's last message.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if completion.on_key(&ev, input) {
            return;
        }
        let empty = input.get().is_some_and(|el| el.value().is_empty());
        match ev.key().as_str() {
            _ if sends(&ev) => {
                ev.prevent_default();
                send();
            }
            "ArrowUp" if empty => {
                let messages = conn.messages.get_untracked().unwrap_or_default();
                if let Some(seq) = last_editable(&messages, me) {
                    ev.prevent_default();
                    editing.set(Some(seq));
                }
            }
            _ => {}
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        send();
    };
    let on_input = move |_| {
        conn.typing();
        if let Some(el) = input.get_untracked() {
            completion.on_input(&el.value());
        }
    };
    view! {
        <p id="typing" class="typing" aria-live="polite">{move || conn.typing.get()}</p>
        <p id="error" role="alert">{move || conn.error.get()}</p>
        <form id="chat-form" method="post" action="/api/post_message" on:submit=on_submit>
            <input type="hidden" name="room" value=room/>
            <MentionList completion input/>
            <textarea id="input" name="body" node_ref=input rows="1" autocomplete="off" placeholder="Type a message" aria-label="Message"
                aria-autocomplete="list" aria-controls="mentions" on:input=on_input on:keydown=on_keydown></textarea>
            <button type="submit">"Send"</button>
        </form>
    }
}
