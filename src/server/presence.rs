//! Who is online. A user is online while any of their sockets is connected, and for a grace
//! period after the last one goes, so that a reload or a network blip changes nothing.
//!
//! [`PresenceTable`] is the rule, sans-IO: sockets come and go with the time passed in, and
//! `changes` says who came and went since it was last asked. [`PresenceRule`] is the seam a
//! cluster's rule implements (`cluster::presence`); [`Locked`] keeps either in this process
//! for the handlers ([`local`]: a node alone). [`publish`] sends the changes to this node's
//! tabs, gathered.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use natter_contract::{PresenceChange, event};
use socketioxide::{SocketIo, adapter::Adapter};

use super::auth;

/// How often gathered changes go out. A whole node's clients reconnecting at once after a
/// restart come online within a few flushes, costing each tab a few events instead of one
/// per user (1,000 users reconnecting would otherwise be 1,000,000 emits).
pub const PRESENCE_FLUSH: Duration = Duration::from_millis(250);

/// The presence rule over sockets, with time passed in.
#[derive(Debug, Default)]
pub struct PresenceTable {
    grace_ms: i64,
    /// Connected sockets per user.
    sockets: HashMap<i64, u32>,
    /// Users with no socket left, and when their grace ends.
    leaving: HashMap<i64, i64>,
    /// Who the last [`PresenceTable::changes`] reported online.
    reported: HashSet<i64>,
    /// Users whose state may differ from `reported`.
    dirty: HashSet<i64>,
}

impl PresenceTable {
    pub fn new(grace: Duration) -> PresenceTable {
        PresenceTable {
            grace_ms: i64::try_from(grace.as_millis()).unwrap_or(i64::MAX),
            ..PresenceTable::default()
        }
    }
}

impl PresenceRule for PresenceTable {
    fn connected(&mut self, user: i64) {
        *self.sockets.entry(user).or_default() += 1;
        self.leaving.remove(&user);
        self.dirty.insert(user);
    }

    fn disconnected(&mut self, user: i64, now: i64) {
        let Some(count) = self.sockets.get_mut(&user) else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            self.sockets.remove(&user);
            self.leaving.insert(user, now.saturating_add(self.grace_ms));
        }
    }

    fn is_online(&self, user: i64) -> bool {
        self.sockets.contains_key(&user) || self.leaving.contains_key(&user)
    }

    /// Everyone online (or within their grace), in no order.
    fn online(&self) -> Vec<i64> {
        self.sockets
            .keys()
            .chain(self.leaving.keys())
            .copied()
            .collect()
    }

    /// Ends the graces that are over by `now`, then says who came online and who went offline
    /// since the last call. A user who left and came back in between is in neither.
    fn changes(&mut self, now: i64) -> PresenceChange {
        let over: Vec<i64> = self
            .leaving
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(user, _)| *user)
            .collect();
        for user in over {
            self.leaving.remove(&user);
            self.dirty.insert(user);
        }
        let mut change = PresenceChange::default();
        for user in std::mem::take(&mut self.dirty) {
            match (self.is_online(user), self.reported.contains(&user)) {
                (true, false) => {
                    self.reported.insert(user);
                    change.online.push(user);
                }
                (false, true) => {
                    self.reported.remove(&user);
                    change.offline.push(user);
                }
                _ => {}
            }
        }
        change.online.sort_unstable();
        change.offline.sort_unstable();
        change
    }
}

/// A presence rule, sans-IO, time passed in: this node's sockets alone ([`PresenceTable`]),
/// or with the other nodes' announcements (`cluster::presence::ClusterTable`).
pub trait PresenceRule: Send + 'static {
    /// A socket of `user` connected.
    fn connected(&mut self, user: i64);
    /// A socket of `user` disconnected at `now`.
    fn disconnected(&mut self, user: i64, now: i64);
    fn is_online(&self, user: i64) -> bool;
    fn online(&self) -> Vec<i64>;
    /// Who came and went since the last call.
    fn changes(&mut self, now: i64) -> PresenceChange;
}

/// Presence as the handlers use it: a rule behind a lock, never held across an await.
pub trait Presence: Send + Sync + 'static {
    fn connected(&self, user: i64);
    fn disconnected(&self, user: i64, now: i64);
    fn is_online(&self, user: i64) -> bool;
    fn online(&self) -> Vec<i64>;
    fn changes(&self, now: i64) -> PresenceChange;
}

pub type SharedPresence = Arc<dyn Presence>;

/// A [`PresenceRule`] in this process's memory.
pub struct Locked<T>(Mutex<T>);

impl<T: PresenceRule> Locked<T> {
    pub fn new(rule: T) -> Locked<T> {
        Locked(Mutex::new(rule))
    }

    pub fn rule(&self) -> std::sync::MutexGuard<'_, T> {
        // The rules hold no invariant a panicking caller could break halfway.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: PresenceRule> Presence for Locked<T> {
    fn connected(&self, user: i64) {
        self.rule().connected(user);
    }
    fn disconnected(&self, user: i64, now: i64) {
        self.rule().disconnected(user, now);
    }
    fn is_online(&self, user: i64) -> bool {
        self.rule().is_online(user)
    }
    fn online(&self) -> Vec<i64> {
        self.rule().online()
    }
    fn changes(&self, now: i64) -> PresenceChange {
        self.rule().changes(now)
    }
}

/// A node alone: the table of its own sockets.
pub fn local(grace: Duration) -> SharedPresence {
    Arc::new(Locked::new(PresenceTable::new(grace)))
}

/// Sends every [`PresenceChange`] to every tab, each [`PRESENCE_FLUSH`].
pub async fn publish<A: Adapter>(presence: SharedPresence, io: SocketIo<A>) {
    let mut ticks = tokio::time::interval(PRESENCE_FLUSH);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let change = presence.changes(auth::now_millis());
        if change.online.is_empty() && change.offline.is_empty() {
            continue;
        }
        // This node's tabs only: in a cluster, every node works out the same changes.
        if let Err(error) = io.local().emit(event::PRESENCE, &change).await {
            super::metrics::broadcast_failed(event::PRESENCE, &error);
            tracing::debug!(%error, "could not send a presence change to every tab");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const GRACE: Duration = Duration::from_secs(10);

    pub(crate) fn change(online: &[i64], offline: &[i64]) -> PresenceChange {
        PresenceChange {
            online: online.to_vec(),
            offline: offline.to_vec(),
        }
    }

    #[test]
    fn online_until_the_grace_after_the_last_tab_ends() {
        let mut table = PresenceTable::new(GRACE);
        table.connected(1);
        table.connected(1);
        assert_eq!(table.changes(0), change(&[1], &[]));
        table.disconnected(1, 1_000);
        assert!(table.is_online(1), "one tab is still open");
        table.disconnected(1, 2_000);
        assert!(table.is_online(1), "in its grace");
        assert_eq!(table.changes(11_999), change(&[], &[]));
        assert_eq!(table.changes(12_000), change(&[], &[1]));
        assert!(!table.is_online(1));
        assert!(table.online().is_empty());
    }

    #[test]
    fn a_reload_within_the_grace_changes_nothing() {
        let mut table = PresenceTable::new(GRACE);
        table.connected(7);
        assert_eq!(table.changes(0), change(&[7], &[]));
        table.disconnected(7, 100);
        table.connected(7);
        assert_eq!(table.changes(20_000), change(&[], &[]));
        assert!(table.is_online(7));
    }

    #[test]
    fn coming_and_going_between_two_reports_is_not_reported() {
        let mut table = PresenceTable::new(Duration::from_millis(1));
        table.connected(3);
        table.disconnected(3, 0);
        assert_eq!(table.changes(5), change(&[], &[]));
        assert_eq!(table.changes(6), change(&[], &[]));
    }

    #[test]
    fn a_disconnect_never_seen_connecting_is_ignored() {
        let mut table = PresenceTable::new(GRACE);
        table.disconnected(9, 0);
        assert!(!table.is_online(9));
        assert_eq!(table.changes(100_000), change(&[], &[]));
    }

    #[test]
    fn changes_come_sorted_and_together() {
        let mut table = PresenceTable::new(GRACE);
        for user in [5, 2, 9] {
            table.connected(user);
        }
        assert_eq!(table.changes(0), change(&[2, 5, 9], &[]));
        table.disconnected(9, 0);
        table.disconnected(2, 0);
        table.connected(4);
        assert_eq!(table.changes(10_000), change(&[4], &[2, 9]));
        let mut online = table.online();
        online.sort_unstable();
        assert_eq!(online, vec![4, 5]);
    }
}
