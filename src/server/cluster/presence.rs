//! Who is online across the cluster, and how many connections each user and address has open.
//!
//! Each node knows its own sockets ([`PresenceTable`], with the grace) and announces who is
//! online through it on a Redis channel: at once when that changes (gathered per
//! [`PRESENCE_FLUSH`]) and every [`ANNOUNCE_EVERY`] regardless. The announcement also carries
//! the node's open connections (`server::connections`). Every node keeps the others' latest
//! announcements; a user is online if any node says so. A node that stops announcing (killed)
//! is forgotten after [`PEER_TTL_MS`], and its users go offline unless they reconnected
//! elsewhere meanwhile. Every node computes the same changes from the same
//! announcements and tells its own sockets, so no tab hears a change twice.
//!
//! [`ClusterTable`] is the rule, sans-IO like [`PresenceTable`]; [`start`] runs it.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use futures::StreamExt;
use natter_contract::PresenceChange;
use serde::{Deserialize, Serialize};

use super::driver::RedisLink;
use crate::server::{
    auth,
    connections::{self, Counts, SharedConnections},
    presence::{Locked, PRESENCE_FLUSH, PresenceRule, PresenceTable, SharedPresence},
};

/// A node repeats who is online through it this often, changed or not: how a node that
/// just started, or lost Redis for a while, learns the others' state.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(2);

/// A node not heard from for this long is gone (three announcements missed).
const PEER_TTL_MS: i64 = 6_000;

/// The channel of announcements; socketioxide-redis's channels are prefixed `natter-`.
const CHANNEL: &str = "natter:presence";

/// One node's announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Announcement {
    node: String,
    online: Vec<i64>,
    /// This node's open connections, for the limits on them.
    #[serde(default)]
    connections: Counts,
}

#[derive(Debug)]
struct Peer {
    online: HashSet<i64>,
    until: i64,
}

/// The presence rule over this node's sockets and the other nodes' announcements.
#[derive(Debug)]
pub struct ClusterTable {
    local: PresenceTable,
    peers: HashMap<String, Peer>,
    reported: HashSet<i64>,
}

impl ClusterTable {
    pub fn new(grace: Duration) -> ClusterTable {
        ClusterTable {
            local: PresenceTable::new(grace),
            peers: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    /// Who is online through this node (within their grace too), sorted: its announcement.
    pub fn local_online(&self) -> Vec<i64> {
        let mut online = self.local.online();
        online.sort_unstable();
        online
    }

    /// `node` announced `online` at `now`.
    pub fn heard(&mut self, node: String, online: Vec<i64>, now: i64) {
        let peer = Peer {
            online: online.into_iter().collect(),
            until: now.saturating_add(PEER_TTL_MS),
        };
        self.peers.insert(node, peer);
    }
}

impl PresenceRule for ClusterTable {
    fn connected(&mut self, user: i64) {
        self.local.connected(user);
    }

    fn disconnected(&mut self, user: i64, now: i64) {
        self.local.disconnected(user, now);
    }

    fn is_online(&self, user: i64) -> bool {
        self.local.is_online(user) || self.peers.values().any(|p| p.online.contains(&user))
    }

    fn online(&self) -> Vec<i64> {
        let mut all: HashSet<i64> = self.local.online().into_iter().collect();
        for peer in self.peers.values() {
            all.extend(&peer.online);
        }
        let mut all: Vec<i64> = all.into_iter().collect();
        all.sort_unstable();
        all
    }

    /// Ends graces and silent peers that are over by `now`, then says who came and went
    /// across the cluster since the last call.
    fn changes(&mut self, now: i64) -> PresenceChange {
        // Only to end the graces that are over; what changed is decided over the union.
        self.local.changes(now);
        self.peers.retain(|_, peer| peer.until > now);
        let online: HashSet<i64> = self.online().into_iter().collect();
        let mut change = PresenceChange {
            online: online.difference(&self.reported).copied().collect(),
            offline: self.reported.difference(&online).copied().collect(),
        };
        change.online.sort_unstable();
        change.offline.sort_unstable();
        self.reported = online;
        change
    }
}

/// [`ClusterTable`] in this process, kept current over Redis.
pub type ClusterPresence = Locked<ClusterTable>;

/// Starts listening to the other nodes and announcing this one as `node`, its presence and its
/// `connections`.
pub async fn start(
    link: RedisLink,
    node: String,
    grace: Duration,
    connections: SharedConnections,
) -> redis::RedisResult<SharedPresence> {
    let presence = Arc::new(Locked::new(ClusterTable::new(grace)));
    let mut heard = link.subscribe(CHANNEL.to_owned(), 1024).await?;
    let listener = Arc::downgrade(&presence);
    let me = node.clone();
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Some((_, payload)) = heard.next().await {
            let Some(presence) = listener.upgrade() else {
                return;
            };
            match serde_json::from_slice::<Announcement>(&payload) {
                Ok(a) if a.node != me => {
                    let now = auth::now_millis();
                    connections::lock(&counted).heard(
                        a.node.clone(),
                        a.connections,
                        now,
                        PEER_TTL_MS,
                    );
                    presence.rule().heard(a.node, a.online, now);
                }
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "an unreadable presence announcement"),
            }
        }
    });
    tokio::spawn(announce(Arc::downgrade(&presence), link, node, connections));
    Ok(presence)
}

/// Announces this node's users when they change (checked each [`PRESENCE_FLUSH`]) and every
/// [`ANNOUNCE_EVERY`], with its connections as they are then.
async fn announce(
    presence: std::sync::Weak<ClusterPresence>,
    link: RedisLink,
    node: String,
    connections: SharedConnections,
) {
    let mut ticks = tokio::time::interval(PRESENCE_FLUSH);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<(Vec<i64>, tokio::time::Instant)> = None;
    loop {
        ticks.tick().await;
        let Some(presence) = presence.upgrade() else {
            return;
        };
        let online = presence.rule().local_online();
        drop(presence);
        let due = last
            .as_ref()
            .is_none_or(|(said, at)| *said != online || at.elapsed() >= ANNOUNCE_EVERY);
        if !due {
            continue;
        }
        let announcement = Announcement {
            node: node.clone(),
            online,
            connections: connections::lock(&connections).local().clone(),
        };
        match serde_json::to_vec(&announcement) {
            Ok(payload) => link.publish(CHANNEL.to_owned(), payload),
            Err(error) => tracing::error!(%error, "could not write a presence announcement"),
        }
        last = Some((announcement.online, tokio::time::Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::presence::tests::{GRACE, change};

    #[test]
    fn online_if_any_node_says_so() {
        let mut t = ClusterTable::new(GRACE);
        t.connected(1);
        t.heard("b".into(), vec![2, 1], 0);
        assert_eq!(t.changes(0), change(&[1, 2], &[]));
        assert_eq!(t.local_online(), [1], "a node announces only its own");
        // 1 leaves this node but is still on b: nothing changes, even after the grace.
        t.disconnected(1, 100);
        t.heard("b".into(), vec![1, 2], 15_000);
        assert_eq!(t.changes(15_000), change(&[], &[]), "past the grace");
        assert!(t.is_online(1));
        assert!(t.local_online().is_empty());
        // b says 2 left.
        t.heard("b".into(), vec![1], 16_000);
        assert_eq!(t.changes(16_000), change(&[], &[2]));
    }

    #[test]
    fn a_silent_node_is_forgotten_after_its_ttl() {
        let mut t = ClusterTable::new(GRACE);
        t.heard("b".into(), vec![7], 0);
        assert_eq!(t.changes(0), change(&[7], &[]));
        assert_eq!(t.changes(PEER_TTL_MS - 1), change(&[], &[]));
        assert_eq!(t.changes(PEER_TTL_MS), change(&[], &[7]), "b was killed");
        assert!(t.online().is_empty());
    }

    #[test]
    fn a_user_moving_between_nodes_never_flaps() {
        let mut t = ClusterTable::new(GRACE);
        t.heard("b".into(), vec![3], 0);
        assert_eq!(t.changes(0), change(&[3], &[]));
        // b dies; 3 reconnects here before b is forgotten.
        t.connected(3);
        assert_eq!(t.changes(PEER_TTL_MS + 1), change(&[], &[]));
        assert_eq!(t.online(), [3]);
    }
}
