//! One room as a client holds it: a run of stored messages without holes, plus what arrived
//! ahead of a hole while the hole is being fetched.
//!
//! Edits and deletes are rows of the run like messages (they hold a `seq`, so they count for
//! holes) and are applied to the message they change when either arrives; they are never
//! listed themselves.

use natter_contract::{ChatMessage, Page};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Every message held, by `seq`. Messages above `synced + 1` wait here for the gap to fill.
    messages: BTreeMap<u64, ChatMessage>,
    /// All of `oldest..=synced` is held: the newest `seq` we can vouch for. Sync asks for what
    /// follows it.
    synced: u64,
    /// The room has messages older than the oldest held.
    has_older: bool,
}

impl Timeline {
    /// Start from a page of the newest messages (the server-rendered snapshot).
    pub fn from_page(page: &Page) -> Timeline {
        let mut t = Timeline::default();
        let oldest = page.messages.first().map_or(page.latest_seq + 1, |m| m.seq);
        t.has_older = oldest > 1;
        // The page is contiguous, so whatever it holds counts as synced up to its end.
        t.synced = oldest.saturating_sub(1);
        for m in &page.messages {
            t.messages.insert(m.seq, m.clone());
        }
        t.apply_changes(&page.messages);
        t.advance();
        t
    }

    /// Insert a message; returns whether it was new. A message whose `seq` leaves a hole is
    /// kept but does not move `synced`: see [`Timeline::has_gap`].
    pub fn insert(&mut self, message: ChatMessage) -> bool {
        if message.seq == 0
            || message.seq <= self.synced && self.messages.contains_key(&message.seq)
        {
            return false;
        }
        if self.messages.is_empty() && self.synced == 0 && message.seq > 1 && !self.has_older {
            // Nothing was loaded yet: this room's history starts before this message.
            self.has_older = true;
        }
        self.apply_changes(std::slice::from_ref(&message));
        let new = self.messages.insert(message.seq, message).is_none();
        self.advance();
        new
    }

    /// Messages held beyond a hole: a sync after [`Timeline::synced`] is due.
    pub fn has_gap(&self) -> bool {
        self.messages.range(self.synced + 1..).next().is_some()
    }

    pub fn synced(&self) -> u64 {
        self.synced
    }

    /// The oldest `seq` held, for asking for older history.
    pub fn oldest(&self) -> Option<u64> {
        self.messages.keys().next().copied()
    }

    pub fn has_older(&self) -> bool {
        self.has_older
    }

    /// Merge an older page (history); it ends right before our oldest message.
    pub fn prepend(&mut self, page: &Page) -> usize {
        let before = self.messages.len();
        for m in &page.messages {
            self.messages.entry(m.seq).or_insert_with(|| m.clone());
        }
        self.apply_changes(&page.messages);
        self.has_older = page.has_more && page.messages.first().is_some_and(|m| m.seq > 1);
        self.messages.len() - before
    }

    /// The contiguous run, oldest first, each message in its latest state; edits and deletes
    /// are folded into their messages. Messages past a hole are held back until it fills, so
    /// the list never shows B before A.
    pub fn messages(&self) -> impl Iterator<Item = &ChatMessage> {
        let run = self.messages.range(..=self.synced).map(|(_, m)| m);
        run.filter(|m| !m.kind.is_change())
    }

    /// A held message by `seq`.
    pub fn get(&self, seq: u64) -> Option<&ChatMessage> {
        self.messages.get(&seq).filter(|m| !m.kind.is_change())
    }

    /// The edits and deletes among `rows`, applied to the messages they change; a page's
    /// messages already include its changes, which then do nothing (`ChatMessage::apply`).
    fn apply_changes(&mut self, rows: &[ChatMessage]) {
        for change in rows.iter().filter(|m| m.kind.is_change()) {
            if let Some(target) = change.target.and_then(|seq| self.messages.get_mut(&seq)) {
                target.apply(change);
            }
        }
    }

    pub fn contains_client_id(&self, client_id: &str) -> bool {
        self.messages.values().any(|m| m.client_id == client_id)
    }

    fn advance(&mut self) {
        while self.messages.contains_key(&(self.synced + 1)) {
            self.synced += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn msg(seq: u64) -> ChatMessage {
        ChatMessage {
            room: "general".into(),
            seq,
            id: seq as i64 + 100,
            author: natter_contract::User {
                id: 1,
                name: "ann".into(),
            },
            client_id: format!("c{seq}"),
            body: format!("m{seq}"),
            sent_at: 0,
            kind: natter_contract::MessageKind::Message,
            target: None,
            revision: None,
            markup: None,
        }
    }

    fn page(seqs: std::ops::RangeInclusive<u64>, latest: u64, has_more: bool) -> Page {
        Page {
            room: "general".into(),
            messages: seqs.map(msg).collect(),
            has_more,
            latest_seq: latest,
        }
    }

    fn seqs(t: &Timeline) -> Vec<u64> {
        t.messages().map(|m| m.seq).collect()
    }

    fn change(
        seq: u64,
        kind: natter_contract::MessageKind,
        target: u64,
        body: &str,
    ) -> ChatMessage {
        ChatMessage {
            kind,
            target: Some(target),
            body: body.into(),
            ..msg(seq)
        }
    }

    #[test]
    fn edits_and_deletes_fold_into_their_messages_whichever_comes_first() {
        use natter_contract::MessageKind::{Delete, Edit};
        let mut t = Timeline::from_page(&page(1..=3, 3, false));
        assert!(t.insert(change(4, Edit, 2, "fixed")));
        assert_eq!(seqs(&t), [1, 2, 3], "a change is no line of its own");
        assert_eq!(t.synced(), 4, "but it fills its seq");
        assert_eq!(t.get(2).unwrap().body, "fixed");
        t.insert(change(5, Delete, 1, ""));
        assert!(t.get(1).unwrap().is_deleted());

        // A client that scrolls back gets the message in its latest state, after its edit.
        let mut late = Timeline::from_page(&Page {
            room: "general".into(),
            messages: vec![change(4, Edit, 2, "fixed")],
            has_more: true,
            latest_seq: 4,
        });
        let mut latest = msg(2);
        latest.apply(&change(4, Edit, 2, "fixed"));
        late.prepend(&Page {
            room: "general".into(),
            messages: vec![msg(1), latest, msg(3)],
            has_more: false,
            latest_seq: 4,
        });
        assert_eq!(late.get(2).unwrap().body, "fixed");
        assert_eq!(seqs(&late), [1, 2, 3]);

        // A page holding a message edited twice and both edits ends in the second edit.
        let mut twice = msg(1);
        let (first, second) = (change(2, Edit, 1, "one"), change(3, Edit, 1, "two"));
        twice.apply(&first);
        twice.apply(&second);
        let t = Timeline::from_page(&Page {
            room: "general".into(),
            messages: vec![twice, first, second],
            has_more: false,
            latest_seq: 3,
        });
        assert_eq!(t.get(1).unwrap().body, "two");
    }

    #[test]
    fn snapshot_then_live_then_gap() {
        let mut t = Timeline::from_page(&page(51..=100, 100, false));
        assert!(t.has_older());
        assert_eq!(t.synced(), 100);
        assert!(t.insert(msg(101)));
        assert!(!t.insert(msg(101)), "duplicates are dropped");
        assert!(t.insert(msg(103)));
        assert!(t.has_gap());
        assert_eq!(t.synced(), 101);
        assert_eq!(*seqs(&t).last().unwrap(), 101, "103 waits for 102");
        t.insert(msg(102));
        assert!(!t.has_gap());
        assert_eq!(t.synced(), 103);
        assert_eq!(seqs(&t), (51..=103).collect::<Vec<_>>());
    }

    #[test]
    fn empty_room() {
        let empty = Page {
            room: "general".into(),
            messages: vec![],
            has_more: false,
            latest_seq: 0,
        };
        let mut t = Timeline::from_page(&empty);
        assert!(!t.has_older());
        assert_eq!(t.synced(), 0);
        t.insert(msg(1));
        assert_eq!(t.synced(), 1);
    }

    #[test]
    fn history_prepends_without_holes() {
        let mut t = Timeline::from_page(&page(151..=200, 200, false));
        assert_eq!(t.prepend(&page(101..=150, 200, true)), 50);
        assert!(t.has_older());
        assert_eq!(t.prepend(&page(1..=100, 200, false)), 100);
        assert!(!t.has_older());
        assert_eq!(seqs(&t), (1..=200).collect::<Vec<_>>());
    }
}
