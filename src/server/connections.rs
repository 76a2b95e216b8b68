//! Connections open at once, by user and by client address, over every node.
//!
//! Each node counts its own sockets (a guard each socket holds, `limits::Connection`). In a
//! cluster each node also announces its counts with its presence (`cluster::presence`: on a
//! change of who is online, and every 2 s), and keeps the others' latest, so the per-user and
//! per-address limits hold over the cluster. A peer's count is at most one announcement old:
//! connections opened on two nodes within those 2 s may both get in. That suits what the
//! limits are for (no script holds a thousand sockets), and it costs no Redis round trip per
//! connect. A node that stops announcing is forgotten when its announcement runs out, with its
//! counts, so a killed node leaves no connection counted.
//!
//! [`ConnectionTable`] is the rule, sans-IO, with the time passed in.

use std::{
    collections::HashMap,
    hash::Hash,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use serde::{Deserialize, Serialize};

/// One node's open connections, by user and by client address (as `client_ip::bucket` gives
/// it); no entry is 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub users: HashMap<i64, u32>,
    pub addresses: HashMap<IpAddr, u32>,
}

/// The most connections allowed at once; 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    pub per_user: u32,
    pub per_address: u32,
}

#[derive(Debug)]
struct Peer {
    counts: Counts,
    /// When this announcement runs out (ms since the epoch).
    until: i64,
}

/// This node's connections and the other nodes' latest announced counts.
#[derive(Debug, Default)]
pub struct ConnectionTable {
    local: Counts,
    peers: HashMap<String, Peer>,
}

/// The table in this process, for the connect handler and the announcer.
pub type SharedConnections = Arc<Mutex<ConnectionTable>>;

/// Locks `table`; each change is one statement, so a panic elsewhere leaves it consistent.
pub fn lock(table: &SharedConnections) -> MutexGuard<'_, ConnectionTable> {
    table.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ConnectionTable {
    /// Counts a connection of `user` from `address`, unless either already has `allowed`
    /// open over the nodes heard from until `now`; then nothing changes.
    pub fn open(
        &mut self,
        user: i64,
        address: IpAddr,
        allowed: Allowed,
        now: i64,
    ) -> Result<(), Full> {
        let full = |limit: u32, open: u32| limit > 0 && open >= limit;
        if full(allowed.per_user, self.open_of(|c| &c.users, &user, now)) {
            return Err(Full::User);
        }
        if full(
            allowed.per_address,
            self.open_of(|c| &c.addresses, &address, now),
        ) {
            return Err(Full::Address);
        }
        *self.local.users.entry(user).or_default() += 1;
        *self.local.addresses.entry(address).or_default() += 1;
        Ok(())
    }

    /// A connection counted by [`ConnectionTable::open`] closed.
    pub fn close(&mut self, user: i64, address: IpAddr) {
        release(&mut self.local.users, &user);
        release(&mut self.local.addresses, &address);
    }

    /// What this node announces.
    pub fn local(&self) -> &Counts {
        &self.local
    }

    /// `node` announced `counts` at `now`, good for `ttl_ms`. Peers whose announcements ran
    /// out by `now` are dropped, so a killed node's counts go too.
    pub fn heard(&mut self, node: String, counts: Counts, now: i64, ttl_ms: i64) {
        self.peers.retain(|_, peer| peer.until > now);
        let until = now.saturating_add(ttl_ms);
        self.peers.insert(node, Peer { counts, until });
    }

    /// Connections of `key` open here and on the nodes heard from until `now`.
    fn open_of<K: Hash + Eq>(
        &self,
        map: impl Fn(&Counts) -> &HashMap<K, u32>,
        key: &K,
        now: i64,
    ) -> u32 {
        let count = |counts: &Counts| map(counts).get(key).copied().unwrap_or(0);
        let peers = self.peers.values().filter(|peer| peer.until > now);
        peers.fold(count(&self.local), |sum, peer| {
            sum.saturating_add(count(&peer.counts))
        })
    }
}

/// Which limit refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    User,
    Address,
}

fn release<K: Hash + Eq>(counts: &mut HashMap<K, u32>, key: &K) {
    if let Some(count) = counts.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_EACH: Allowed = Allowed {
        per_user: 2,
        per_address: 2,
    };

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    fn counts(users: &[(i64, u32)], addresses: &[(IpAddr, u32)]) -> Counts {
        Counts {
            users: users.iter().copied().collect(),
            addresses: addresses.iter().copied().collect(),
        }
    }

    #[test]
    fn a_peers_connections_count_until_its_announcement_runs_out() {
        let mut t = ConnectionTable::default();
        t.heard("b".into(), counts(&[(1, 1)], &[(ip(9), 2)]), 0, 6_000);
        assert_eq!(t.open(1, ip(1), TWO_EACH, 0), Ok(()));
        assert_eq!(
            t.open(1, ip(2), TWO_EACH, 0),
            Err(Full::User),
            "one here, one on b"
        );
        assert_eq!(t.open(2, ip(9), TWO_EACH, 0), Err(Full::Address));
        assert_eq!(
            t.local(),
            &counts(&[(1, 1)], &[(ip(1), 1)]),
            "refusals count nothing"
        );
        // b was killed: once its announcement runs out, its connections no longer count.
        assert_eq!(t.open(1, ip(2), TWO_EACH, 6_000), Ok(()));
        t.heard("c".into(), Counts::default(), 6_000, 6_000);
        assert_eq!(
            t.peers.len(),
            1,
            "b is forgotten when another node is heard"
        );
    }

    #[test]
    fn a_newer_announcement_replaces_the_last_and_closing_frees_a_place() {
        let mut t = ConnectionTable::default();
        t.heard("b".into(), counts(&[(1, 2)], &[]), 0, 6_000);
        assert_eq!(t.open(1, ip(1), TWO_EACH, 0), Err(Full::User));
        t.heard("b".into(), counts(&[(1, 1)], &[]), 2_000, 6_000);
        assert_eq!(t.open(1, ip(1), TWO_EACH, 0), Ok(()));
        assert_eq!(t.open(1, ip(1), TWO_EACH, 0), Err(Full::User));
        t.close(1, ip(1));
        assert_eq!(t.local(), &Counts::default(), "no entry at 0");
        let none = Allowed {
            per_user: 0,
            per_address: 0,
        };
        for _ in 0..100 {
            assert_eq!(t.open(1, ip(1), none, 0), Ok(()), "0 is no limit");
        }
    }

    #[test]
    fn counts_cross_the_wire_as_json() {
        let sent = counts(
            &[(7, 3), (-1, 1)],
            &[(ip(1), 2), ("2001:db8::".parse().unwrap(), 1)],
        );
        let wire = serde_json::to_string(&sent).unwrap();
        assert_eq!(
            serde_json::from_str::<Counts>(&wire).unwrap(),
            sent,
            "{wire}"
        );
    }
}
