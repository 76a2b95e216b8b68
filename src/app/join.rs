//! Forms that work without JavaScript too: joining (or signing in), joining a room, signing
//! out. Each is a plain HTML form posting to its server function (which answers a plain post
//! with a redirect back); with JavaScript the same function is called in place, and the page
//! reloads to show the new state.

use super::browser;
use crate::api::{create_invite, join, join_room, sign_out};
use leptos::{ev::SubmitEvent, html, prelude::*};
use natter_contract::user_name_precheck;

/// Whether something was typed in the field: an empty one is not yet wrong.
fn touched(input: NodeRef<html::Input>) -> bool {
    input.get().is_some_and(|el| !el.value().is_empty())
}

/// `(code, text)` of a refusal from a server function ("<code>: <text>").
pub fn refusal(error: &ServerFnError) -> (String, String) {
    let text = error.to_string();
    let text = text
        .split_once("server function: ")
        .map_or(text.as_str(), |(_, rest)| rest);
    match text.split_once(": ") {
        Some((code, message)) if code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => {
            (code.to_owned(), message.to_owned())
        }
        _ => (String::new(), text.to_owned()),
    }
}

/// Runs `call` in place of the form post; reloads when it succeeds, shows the refusal when not.
fn submit_with<F>(ev: SubmitEvent, error: RwSignal<Option<String>>, call: F)
where
    F: Future<Output = Result<(), ServerFnError>> + 'static,
{
    ev.prevent_default();
    leptos::task::spawn_local(async move {
        match call.await {
            Ok(()) => browser::reload(),
            Err(e) => error.set(Some(refusal(&e).1)),
        }
    });
}

#[component]
pub fn JoinForm() -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    // From an invite link (`/?invite=…`): sent with the form, by either path.
    let invite = leptos_router::hooks::use_query_map()
        .with_untracked(|query| query.get("invite"))
        .filter(|token| !token.is_empty());
    let name = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    // The contract's rules, checked as typed; the server checks again, with lookalikes.
    let check = move || {
        let name = name.get().map(|el| el.value()).unwrap_or_default();
        let password = password
            .get()
            .map(|el| el.value())
            .filter(|p| !p.is_empty());
        user_name_precheck(&name)
            .and(
                password
                    .as_deref()
                    .map_or(Ok(()), natter_contract::password),
            )
            .map(|()| (name, password))
            .map_err(|code| code.describe().to_owned())
    };
    let on_input = move |_| error.set(check().err().filter(|_| touched(name)));
    let invited = invite.clone();
    let on_submit = move |ev: SubmitEvent| match check() {
        Ok((name, password)) => {
            let invite = invited.clone();
            submit_with(ev, error, async move {
                join(name, password, invite).await.map(drop)
            });
        }
        Err(refusal) => {
            ev.prevent_default();
            error.set(Some(refusal));
        }
    };
    view! {
        <leptos_meta::Title text="Join · Natter"/>
        <main class="join">
            <h1>"Natter"</h1>
            <p>"Pick a name to join. Add a password to sign in from other browsers later; with one, the same form signs you in again."</p>
            {invite.is_some().then(|| view! { <p id="invited">"You were invited: the name you pick is yours."</p> })}
            <form id="join-form" method="post" action="/api/join" on:submit=on_submit>
                {invite.clone().map(|token| view! { <input type="hidden" name="invite" value=token/> })}
                <label for="join-name">"Name"</label>
                <input id="join-name" node_ref=name name="name" autocomplete="username" required
                    minlength="2" maxlength="24" aria-describedby="join-error" on:input=on_input/>
                <label for="join-password">"Password (optional)"</label>
                <input id="join-password" node_ref=password name="password" type="password"
                    autocomplete="current-password" on:change=on_input/>
                <button type="submit">"Join"</button>
                <p id="join-error" class="field-error" role="alert">{move || error.get()}</p>
            </form>
        </main>
    }
}

/// For a public room the user is not in.
#[component]
pub fn JoinRoomForm(room: String, text: String) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let on_submit = {
        let room = room.clone();
        move |ev: SubmitEvent| {
            let room = room.clone();
            submit_with(ev, error, async move { join_room(room).await.map(drop) });
        }
    };
    view! {
        <section class="not-member">
            <p>{text} " You are not in " <strong>"#" {room.clone()}</strong> " yet."</p>
            <form id="join-room-form" method="post" action="/api/join_room" on:submit=on_submit>
                <input type="hidden" name="room" value=room/>
                <button type="submit">"Join this room"</button>
            </form>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </section>
    }
}

#[component]
pub fn SignOutForm() -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let on_submit = move |ev: SubmitEvent| submit_with(ev, error, sign_out());
    view! {
        <form id="sign-out-form" method="post" action="/api/sign_out" on:submit=on_submit>
            <button type="submit" id="sign-out">"Sign out"</button>
        </form>
    }
}

/// For an administrator where new names need an invite: makes a link good for one new
/// account for a week, and shows it to copy.
#[component]
pub fn InvitePeople() -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let made = RwSignal::new(None::<natter_contract::Invite>);
    let on_click = move |_| {
        leptos::task::spawn_local(async move {
            match create_invite(true, DEFAULT_INVITE_HOURS).await {
                Ok(invite) => made.set(Some(invite)),
                Err(e) => error.set(Some(refusal(&e).1)),
            }
        });
    };
    view! {
        <section class="invite" aria-label="Invite people">
            <button type="button" id="make-invite" on:click=on_click>"Make an invite link"</button>
            {move || made.get().map(|invite| view! {
                <p>
                    <a id="invite-link" href=invite.path.clone()>"Invite link"</a>
                    " (one new name, for a week): copy it and send it."
                </p>
            })}
            <p class="field-error" role="alert">{move || error.get()}</p>
        </section>
    }
}

/// How long the links [`InvitePeople`] makes last: a week, as the server's default.
const DEFAULT_INVITE_HOURS: u32 = 24 * 7;
