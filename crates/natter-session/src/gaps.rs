//! When a hole in a room's live stream counts as a loss.
//!
//! With several server nodes, the broadcasts of two messages stored one after the other can
//! reach a client in the other order: each node publishes its own, and they travel through
//! Redis separately. Syncing at the first hole would turn every such reordering into a
//! request (a storm, under load). So a hole, or a beacon saying the room is further on than
//! we hold, first waits [`GAP_WAIT_MS`]; only a hole still open then is synced.
//!
//! Sans-IO and without a clock: the session asks for one wake-up at a time
//! ([`crate::Action::CheckGapsAfter`]). A room noticed before that wake-up was asked for is due
//! at it; one noticed while it is pending waits for the next, so every hole waits between one
//! and two [`GAP_WAIT_MS`].

use std::collections::{BTreeMap, BTreeSet};

use crate::{Action, Session};

/// How long a hole may stay open before it is synced. Reordering across nodes measured well
/// under this on loopback (the broadcasts of two nodes reach a client within a few ms of each
/// other); a lost broadcast costs this much extra before its sync, and a message only the
/// beacon reveals waits for the beacon anyway.
pub const GAP_WAIT_MS: u64 = 500;

#[derive(Debug, Default)]
pub(crate) struct Gaps {
    /// Rooms to check at the pending wake-up.
    due: BTreeSet<String>,
    /// Rooms noticed after that wake-up was asked for: checked at the one after.
    young: BTreeSet<String>,
    /// A wake-up is pending.
    armed: bool,
    /// The newest `seq` a beacon announced, per room, until the room holds it.
    announced: BTreeMap<String, u64>,
}

impl Gaps {
    /// `room` has a hole (or is behind a beacon): returns the wait to ask for, if none is
    /// pending.
    pub fn noticed(&mut self, room: &str) -> Option<u64> {
        if self.due.contains(room) {
            return None;
        }
        if self.armed {
            self.young.insert(room.to_owned());
            return None;
        }
        self.due.insert(room.to_owned());
        self.armed = true;
        Some(GAP_WAIT_MS)
    }

    /// A beacon said `room` holds `seq`.
    pub fn announce(&mut self, room: &str, seq: u64) {
        let newest = self.announced.entry(room.to_owned()).or_default();
        *newest = (*newest).max(seq);
    }

    /// The newest `seq` announced for `room`, if it is still more than `synced`.
    pub fn behind(&mut self, room: &str, synced: u64) -> Option<u64> {
        match self.announced.get(room) {
            Some(&seq) if seq > synced => Some(seq),
            Some(_) => {
                self.announced.remove(room);
                None
            }
            None => None,
        }
    }

    /// The wake-up came: the rooms due now, and the wait to ask for next, if any.
    pub fn wake(&mut self) -> (BTreeSet<String>, Option<u64>) {
        let due = std::mem::replace(&mut self.due, std::mem::take(&mut self.young));
        self.armed = !self.due.is_empty();
        (due, self.armed.then_some(GAP_WAIT_MS))
    }

    /// The room is no longer followed.
    pub fn forget(&mut self, room: &str) {
        self.due.remove(room);
        self.young.remove(room);
        self.announced.remove(room);
    }
}

impl Session {
    /// The server's beacon: `room` holds messages up to `seq`. A room we hold less of is
    /// synced after the gap wait, unless the live messages arrive meanwhile.
    pub fn on_beacon(&mut self, room: &str, seq: u64) -> Vec<Action> {
        let Some(timeline) = self.rooms.get(room) else {
            return Vec::new();
        };
        if seq <= timeline.synced() {
            return Vec::new();
        }
        self.gaps.announce(room, seq);
        self.notice_gap(room)
    }

    /// The wake-up asked for by [`Action::CheckGapsAfter`]: every hole still open, and every
    /// room still behind its beacon, is synced now.
    pub fn check_gaps(&mut self) -> Vec<Action> {
        let (due, next) = self.gaps.wake();
        let mut actions: Vec<Action> = next.map(Action::CheckGapsAfter).into_iter().collect();
        for room in due {
            let Some(timeline) = self.rooms.get(&room) else {
                continue;
            };
            let (gap, synced) = (timeline.has_gap(), timeline.synced());
            if self.gaps.behind(&room, synced).is_some() || gap {
                actions.extend(self.sync(&room));
            }
        }
        actions
    }

    pub(crate) fn notice_gap(&mut self, room: &str) -> Vec<Action> {
        if self.syncing.contains(room) {
            return Vec::new();
        }
        self.gaps
            .noticed(room)
            .map(Action::CheckGapsAfter)
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_wake_up_at_a_time_and_every_room_waits_at_least_once() {
        let mut gaps = Gaps::default();
        assert_eq!(gaps.noticed("a"), Some(GAP_WAIT_MS));
        assert_eq!(gaps.noticed("a"), None, "already due");
        assert_eq!(gaps.noticed("b"), None, "a wake-up is pending");
        let (due, next) = gaps.wake();
        assert_eq!(due.into_iter().collect::<Vec<_>>(), ["a"]);
        assert_eq!(next, Some(GAP_WAIT_MS), "b waits a whole period");
        let (due, next) = gaps.wake();
        assert_eq!(due.into_iter().collect::<Vec<_>>(), ["b"]);
        assert_eq!(next, None);
        assert_eq!(gaps.noticed("c"), Some(GAP_WAIT_MS), "idle again");
    }

    #[test]
    fn a_beacon_counts_until_the_room_holds_its_seq() {
        let mut gaps = Gaps::default();
        gaps.announce("a", 7);
        gaps.announce("a", 5);
        assert_eq!(gaps.behind("a", 6), Some(7));
        assert_eq!(gaps.behind("a", 7), None);
        assert_eq!(gaps.behind("a", 0), None, "forgotten once held");
    }
}
