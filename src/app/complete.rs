//! `@name` completion in the composer, from the shown room's members: typing `@an` offers
//! "ann" and "anna"; Up and Down choose, Enter or Tab takes one, Esc closes the list. Only at
//! the end of the text, where people type mentions (a caret elsewhere would need the browser's
//! UTF-16 offsets mapped onto the string).

use super::connection::Connection;
use leptos::{html, prelude::*};

/// At most this many names are offered.
const MAX_OFFERED: usize = 6;

/// The name being typed at the end of `text` after an `@` (which starts the text or follows
/// whitespace), or `None` when the text does not end in a mention.
pub fn typed_mention(text: &str) -> Option<&str> {
    let at = text.rfind('@')?;
    let prefix = &text[at + 1..];
    let starts_word = text[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    // Anything up to whitespace: what cannot begin a name simply matches nobody, and
    // `char::is_alphanumeric`'s tables would cost the page several KB of wasm.
    let one_word = !prefix.chars().any(char::is_whitespace);
    (starts_word && one_word && prefix.chars().count() < 24).then_some(prefix)
}

/// `names` that complete `prefix` (ASCII case folded), in order, at most [`MAX_OFFERED`].
pub fn offered<'a>(names: impl IntoIterator<Item = &'a str>, prefix: &str) -> Vec<&'a str> {
    let completes = |name: &&str| {
        name.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    names
        .into_iter()
        .filter(completes)
        .take(MAX_OFFERED)
        .collect()
}

/// The composer's completion state.
#[derive(Clone, Copy)]
pub struct Completion {
    conn: Connection,
    me: i64,
    /// What follows the `@` being typed.
    query: RwSignal<Option<String>>,
    active: RwSignal<usize>,
}

impl Completion {
    pub fn new(conn: Connection, me: i64) -> Self {
        Completion {
            conn,
            me,
            query: RwSignal::new(None),
            active: RwSignal::new(0),
        }
    }

    fn names(self) -> Vec<String> {
        let Some(query) = self.query.get() else {
            return Vec::new();
        };
        self.conn.members.with(|members| {
            let others = members.iter().filter(|(u, _)| u.id != self.me);
            let names = others.map(|(u, _)| u.name.as_str());
            offered(names, &query)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
    }

    /// After every change of the composer's text.
    pub fn on_input(self, text: &str) {
        self.query.set(typed_mention(text).map(str::to_owned));
        self.active.set(0);
    }

    /// A key in the composer while names are offered; `true` if it was the list's.
    pub fn on_key(self, ev: &leptos::ev::KeyboardEvent, input: NodeRef<html::Textarea>) -> bool {
        let names = self.names();
        if names.is_empty() {
            return false;
        }
        let n = names.len();
        match ev.key().as_str() {
            "ArrowDown" => self.active.update(|i| *i = (*i + 1) % n),
            "ArrowUp" => self.active.update(|i| *i = (*i + n - 1) % n),
            "Enter" | "Tab" => {
                let i = self.active.get_untracked().min(n - 1);
                self.take(&names[i], input);
            }
            "Escape" => self.query.set(None),
            _ => return false,
        }
        ev.prevent_default();
        true
    }

    /// Puts `@name ` in place of the `@prefix` being typed.
    fn take(self, name: &str, input: NodeRef<html::Textarea>) {
        let Some(el) = input.get_untracked() else {
            return;
        };
        let text = el.value();
        if let Some(prefix) = typed_mention(&text) {
            let head = &text[..text.len() - prefix.len()];
            el.set_value(&format!("{head}{name} "));
        }
        self.query.set(None);
        let _ = el.focus();
    }
}

/// The names offered, above the composer; the textarea points at it (`aria-controls`).
#[component]
pub fn MentionList(completion: Completion, input: NodeRef<html::Textarea>) -> impl IntoView {
    let options = move || {
        let active = completion.active.get();
        completion
            .names()
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let chosen = name.clone();
                // mousedown, not click: the textarea keeps the focus.
                let on_pick = move |ev: leptos::ev::MouseEvent| {
                    ev.prevent_default();
                    completion.take(&chosen, input);
                };
                view! {
                    <li id=format!("mention-{i}") role="option" aria-selected=if i == active { "true" } else { "false" }
                        on:mousedown=on_pick>"@"{name}</li>
                }
            })
            .collect::<Vec<_>>()
    };
    // Hidden while empty: a listbox without options is no listbox (axe).
    let none = move || completion.names().is_empty();
    view! {
        <ul id="mentions" class="mentions" role="listbox" aria-label="People to mention" hidden=none>
            {options}
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_word_starting_with_at_at_the_end_is_being_typed() {
        assert_eq!(typed_mention("hi @an"), Some("an"));
        assert_eq!(typed_mention("@"), Some(""));
        assert_eq!(typed_mention("line\n@bo"), Some("bo"));
        assert_eq!(typed_mention("mail me@ex"), None, "inside a word");
        assert_eq!(typed_mention("@ann done"), None, "finished");
        assert_eq!(typed_mention("no mention"), None);
        assert_eq!(typed_mention("@élo"), Some("élo"));
        assert_eq!(
            typed_mention("@ann,"),
            Some("ann,"),
            "which completes to nobody"
        );
    }

    #[test]
    fn names_completing_the_prefix_are_offered_in_order_and_at_most_six() {
        let names = ["ann", "Anna", "bob", "andy", "a1", "a2", "a3", "a4"];
        assert_eq!(offered(names, "an"), ["ann", "Anna", "andy"]);
        assert_eq!(offered(names, "AN"), ["ann", "Anna", "andy"]);
        assert_eq!(offered(names, "").len(), MAX_OFFERED);
        assert!(offered(names, "zed").is_empty());
        assert!(offered(["élodie"], "é").len() == 1);
    }
}
