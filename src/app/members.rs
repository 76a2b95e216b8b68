//! Who is in the shown room and who is online: the member list and the presence dot.

use super::connection::Connection;
use leptos::prelude::*;

/// A dot that is filled while someone is online; its label says so to screen readers.
#[component]
pub fn PresenceDot(#[prop(into)] online: Signal<bool>) -> impl IntoView {
    let label = move || if online.get() { "online" } else { "offline" };
    view! {
        <span class="presence" class:online=online role="img" aria-label=label title=label></span>
    }
}

/// The shown room's members, online ones first, each with their dot. Redrawn whole when it
/// changes: a list of a few dozen names costs less than a keyed `For` in the bundle.
#[component]
pub fn MemberList(conn: Connection) -> impl IntoView {
    let members = move || {
        let mut members = conn.members.get();
        // Stable: by name within online and offline.
        members.sort_by_key(|(_, online)| !online);
        let online = members.iter().filter(|(_, on)| *on).count();
        let items = members.into_iter().map(|(user, online)| {
            let name = user.name;
            let key = name.clone();
            view! {
                <li data-user=key data-online=online.to_string()>
                    <PresenceDot online/>
                    <span class="name">{name}</span>
                </li>
            }
        });
        (online, items.collect_view())
    };
    view! {
        <aside class="members" aria-label="Members">
            {move || {
                let (online, items) = members();
                view! {
                    <h2>"Members " <span class="count">{online} " online"</span></h2>
                    <ul id="members">{items}</ul>
                }
            }}
        </aside>
    }
}
