//! Seq numbering for one group commit, kept apart from the SQL so it can be tested alone.

use std::collections::{BTreeMap, HashMap};

use natter_contract::{ChatMessage, MessageKind, user_name};

use super::backend::NewMessage;

/// Per-room bookkeeping for one [`Backend::append`](super::backend::Backend::append): how many messages each room gets, then
/// which seqs.
pub struct Rooms<'a> {
    rooms: BTreeMap<&'a str, Numbering>,
}

struct Numbering {
    count: i64,
    /// The next seq to hand out; `None` until bumped, or for a room that does not exist.
    next: Option<i64>,
}

impl<'a> Rooms<'a> {
    pub fn count(new: &[NewMessage<'a>]) -> Self {
        let mut rooms = BTreeMap::new();
        for message in new {
            let numbering = rooms.entry(message.room).or_insert(Numbering {
                count: 0,
                next: None,
            });
            numbering.count += 1;
        }
        Rooms { rooms }
    }

    /// Each room with its number of messages, in name order.
    pub fn counts(&self) -> Vec<(&'a str, i64)> {
        let counts = self.rooms.iter();
        counts
            .map(|(room, numbering)| (*room, numbering.count))
            .collect()
    }

    /// Records the room's `last_seq` after its bump (`None`: no such room).
    pub fn numbered_up_to(&mut self, room: &str, last: Option<i64>) {
        if let Some(numbering) = self.rooms.get_mut(room) {
            numbering.next = last.map(|last| last - numbering.count + 1);
        }
    }

    /// Hands out the bumped seqs in slice order; `None` for messages to unknown rooms.
    pub fn number<'n>(mut self, new: &'n [NewMessage<'a>]) -> Vec<Option<Numbered<'n, 'a>>> {
        let mut numbered = Vec::with_capacity(new.len());
        for message in new {
            let next = self
                .rooms
                .get_mut(message.room)
                .and_then(|n| n.next.as_mut());
            numbered.push(next.map(|next| {
                let seq = *next;
                *next += 1;
                Numbered { new: message, seq }
            }));
        }
        numbered
    }
}

/// A message with the seq it is inserted under.
pub struct Numbered<'n, 'a> {
    pub new: &'n NewMessage<'a>,
    pub seq: i64,
}

/// What `append` works out before its transaction, so the write lock (SQLite's one writer)
/// never waits on Markdown: each body's tree, and the name keys it mentions.
pub struct Parsed {
    pub markup: Option<Vec<natter_contract::Block>>,
    /// `natter_contract::user_name` keys of the `@name`s of a message or an edit, deduplicated;
    /// empty for other kinds and for names no user could have.
    pub mentions: Vec<String>,
}

impl Parsed {
    pub fn of(new: &NewMessage<'_>) -> Parsed {
        let markup = natter_contract::markup(new.body);
        let writes_words = matches!(new.kind, MessageKind::Message | MessageKind::Edit);
        // A plain body (`markup` is `None`) names nobody: mentions are markup.
        let mut mentions: Vec<String> = match (&markup, writes_words) {
            (Some(tree), true) => {
                let names = natter_markup::mentions_in(tree);
                let keys = names.iter().filter_map(|name| user_name(name).ok());
                keys.map(|name| name.key).collect()
            }
            _ => Vec::new(),
        };
        mentions.sort_unstable();
        mentions.dedup();
        Parsed { markup, mentions }
    }
}

/// The seq whose mentions a stored write sets: a message's own, or the message an edit
/// changes; `None` for what names nobody (system lines, deletes).
pub fn mentions_seq(message: &ChatMessage) -> Option<i64> {
    let seq = match message.kind {
        MessageKind::Message => Some(message.seq),
        MessageKind::Edit => message.target,
        _ => None,
    };
    seq.and_then(|seq| i64::try_from(seq).ok())
}

/// The stored messages, given the `(id, room, seq)` rows the insert returned: databases do
/// not promise to return them in `VALUES` order, hence the lookup by `(room, seq)`.
pub fn with_ids(
    numbered: Vec<Option<Numbered<'_, '_>>>,
    ids: &[(i64, String, i64)],
) -> Result<Vec<Option<ChatMessage>>, sqlx::Error> {
    let ids: HashMap<(&str, i64), i64> = ids
        .iter()
        .map(|(id, room, seq)| ((room.as_str(), *seq), *id))
        .collect();
    let message = |Numbered { new, seq }: Numbered<'_, '_>| {
        let Some(id) = ids.get(&(new.room, seq)) else {
            let missing = format!("the insert returned no id for {}#{seq}", new.room);
            return Err(sqlx::Error::Protocol(missing));
        };
        Ok(ChatMessage {
            room: new.room.to_owned(),
            seq: seq.unsigned_abs(),
            id: *id,
            author: new.author.clone(),
            client_id: new.client_id.to_owned(),
            body: new.body.to_owned(),
            sent_at: new.sent_at,
            kind: new.kind,
            target: new.target,
            revision: None,
            // Filled in after the commit, from `Parsed`.
            markup: None,
        })
    };
    numbered
        .into_iter()
        .map(|numbered| numbered.map(message).transpose())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    static AUTHOR: std::sync::LazyLock<natter_contract::User> =
        std::sync::LazyLock::new(|| natter_contract::User {
            id: 1,
            name: "ann".into(),
        });

    fn new<'a>(room: &'a str, client_id: &'a str) -> NewMessage<'a> {
        NewMessage {
            room,
            author: &AUTHOR,
            client_id,
            body: "hi",
            sent_at: 7,
            kind: natter_contract::MessageKind::Message,
            target: None,
        }
    }

    #[test]
    fn seqs_follow_slice_order_per_room() {
        let batch = [new("b", "1"), new("a", "2"), new("b", "3"), new("x", "4")];
        let mut rooms = Rooms::count(&batch);
        // Name order, so every writer locks rooms in the same order.
        assert_eq!(rooms.counts(), [("a", 1), ("b", 2), ("x", 1)]);
        rooms.numbered_up_to("a", Some(10));
        rooms.numbered_up_to("b", Some(5));
        rooms.numbered_up_to("x", None);
        let numbered = rooms.number(&batch);
        let seqs: Vec<_> = numbered.iter().map(|n| n.as_ref().map(|n| n.seq)).collect();
        assert_eq!(seqs, [Some(4), Some(10), Some(5), None]);

        let ids = [
            (3, "b".to_owned(), 5),
            (1, "b".to_owned(), 4),
            (2, "a".to_owned(), 10),
        ];
        let stored = with_ids(numbered, &ids).unwrap();
        let placed: Vec<_> = stored
            .iter()
            .map(|m| m.as_ref().map(|m| (m.id, m.room.as_str(), m.seq)))
            .collect();
        assert_eq!(
            placed,
            [
                Some((1, "b", 4)),
                Some((2, "a", 10)),
                Some((3, "b", 5)),
                None
            ]
        );
    }

    #[test]
    fn a_row_without_its_id_fails_the_batch() {
        let batch = [new("a", "1"), new("a", "2")];
        let mut rooms = Rooms::count(&batch);
        rooms.numbered_up_to("a", Some(2));
        let numbered = rooms.number(&batch);
        let error = with_ids(numbered, &[(9, "a".to_owned(), 1)]).unwrap_err();
        assert!(error.to_string().contains("a#2"), "{error}");
    }
}
