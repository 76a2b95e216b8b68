//! Forms that work without JavaScript too: joining (or signing in), and joining a room. Each
//! posts to a server function; without JavaScript the browser follows its redirect back.

use super::browser;
use crate::api::{Join, JoinRoom};
use leptos::{form::ActionForm, prelude::*};

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

#[component]
pub fn JoinForm() -> impl IntoView {
    let join = ServerAction::<Join>::new();
    let error = move || {
        join.value()
            .get()
            .and_then(|result| result.err())
            .map(|e| refusal(&e).1)
    };
    Effect::new(move |_| {
        if matches!(join.value().get(), Some(Ok(_))) {
            browser::reload();
        }
    });
    view! {
        <main class="join">
            <h1>"Natter"</h1>
            <p>"Pick a name to join. Add a password to sign in from other browsers later; with one, the same form signs you in again."</p>
            <ActionForm action=join attr:id="join-form">
                <label for="join-name">"Name"</label>
                <input id="join-name" name="name" autocomplete="username" required minlength="2" maxlength="24"
                    aria-describedby="join-error"/>
                <label for="join-password">"Password (optional)"</label>
                <input id="join-password" name="password" type="password" autocomplete="current-password"/>
                <button type="submit">"Join"</button>
                <p id="join-error" class="field-error" role="alert">{error}</p>
            </ActionForm>
        </main>
    }
}

/// For a public room the user is not in.
#[component]
pub fn JoinRoomForm(text: String) -> impl IntoView {
    let join = ServerAction::<JoinRoom>::new();
    let room = leptos_router::hooks::use_params_map()
        .read_untracked()
        .get("room")
        .unwrap_or_default();
    Effect::new(move |_| {
        if matches!(join.value().get(), Some(Ok(_))) {
            browser::reload();
        }
    });
    view! {
        <section class="not-member">
            <p>{text} " You are not in " <strong>"#" {room.clone()}</strong> " yet."</p>
            <ActionForm action=join attr:id="join-room-form">
                <input type="hidden" name="room" value=room/>
                <button type="submit">"Join this room"</button>
            </ActionForm>
        </section>
    }
}
