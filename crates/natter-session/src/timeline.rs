//! One room as a client holds it: a run of stored messages without holes, plus what arrived
//! ahead of a hole while the hole is being fetched.

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
        self.has_older = page.has_more && page.messages.first().is_some_and(|m| m.seq > 1);
        self.messages.len() - before
    }

    /// The contiguous run, oldest first. Messages past a hole are held back until it fills,
    /// so the list never shows B before A.
    pub fn messages(&self) -> impl Iterator<Item = &ChatMessage> {
        self.messages.range(..=self.synced).map(|(_, m)| m)
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
