//! How much one person or one address may take: new accounts per address and new rooms per
//! user per hour (`governor`), and connections open at once per user and per address (counted
//! over every node by `connections.rs`). Messages and handshakes have rates of their own
//! (`rate.rs`, `handshakes.rs`).
//!
//! The defaults leave people alone and stop scripts: nobody makes 30 accounts or 20 rooms an
//! hour by hand, and 50 connections is 50 tabs and devices of one person, 1,000 one office
//! behind a NAT address. Tests, the bench and the e2e suite, whose every client is
//! 127.0.0.1, turn the per-address limits off and test each limit on its own.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota};
use natter_contract::ErrorCode;

use super::{
    auth,
    cluster::{Cluster, ClusterRate},
    connections::{self, Allowed, SharedConnections},
};

pub const DEFAULT_ACCOUNTS_PER_HOUR: u32 = 30;
pub const DEFAULT_ROOMS_PER_HOUR: u32 = 20;
pub const DEFAULT_SESSIONS_PER_USER: u32 = 50;
pub const DEFAULT_SESSIONS_PER_IP: u32 = 1000;

/// The limits' flags, part of [`super::Config`].
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct LimitFlags {
    /// New accounts one client address may create per hour; 0 for no limit.
    #[arg(long, value_name = "N", env = "NATTER_ACCOUNTS_PER_HOUR", default_value_t = DEFAULT_ACCOUNTS_PER_HOUR)]
    pub accounts_per_hour: u32,

    /// Rooms one user may create per hour; 0 for no limit.
    #[arg(long, value_name = "N", env = "NATTER_ROOMS_PER_HOUR", default_value_t = DEFAULT_ROOMS_PER_HOUR)]
    pub rooms_per_hour: u32,

    /// Socket.IO connections one user may have open at once, over every tab and device; 0 for
    /// no limit.
    #[arg(long, value_name = "N", env = "NATTER_SESSIONS_PER_USER", default_value_t = DEFAULT_SESSIONS_PER_USER)]
    pub sessions_per_user: u32,

    /// Socket.IO connections open at once from one client address; 0 for no limit.
    #[arg(long, value_name = "N", env = "NATTER_SESSIONS_PER_IP", default_value_t = DEFAULT_SESSIONS_PER_IP)]
    pub sessions_per_ip: u32,
}

impl Default for LimitFlags {
    fn default() -> Self {
        LimitFlags {
            accounts_per_hour: DEFAULT_ACCOUNTS_PER_HOUR,
            rooms_per_hour: DEFAULT_ROOMS_PER_HOUR,
            sessions_per_user: DEFAULT_SESSIONS_PER_USER,
            sessions_per_ip: DEFAULT_SESSIONS_PER_IP,
        }
    }
}

impl LimitFlags {
    /// No limit at all: for tests whose clients all come from one address.
    pub const NONE: LimitFlags = LimitFlags {
        accounts_per_hour: 0,
        rooms_per_hour: 0,
        sessions_per_user: 0,
        sessions_per_ip: 0,
    };
}

/// The limits' state, shared by the server functions and the socket handlers.
pub struct Limits {
    accounts: Option<DefaultKeyedRateLimiter<IpAddr>>,
    rooms: Option<DefaultKeyedRateLimiter<i64>>,
    /// In a cluster, the same hourly quotas over every node.
    shared_accounts: Option<ClusterRate>,
    shared_rooms: Option<ClusterRate>,
    allowed: Allowed,
    /// Connections open now, here and (in a cluster) on the other nodes.
    open: SharedConnections,
}

pub type SharedLimits = Arc<Limits>;

fn hourly(per_hour: u32) -> Option<Quota> {
    Some(Quota::per_hour(NonZeroU32::new(per_hour)?))
}

impl Limits {
    /// A node alone.
    pub fn shared(flags: &LimitFlags) -> SharedLimits {
        Limits::shared_in(flags, &Cluster::alone(Duration::ZERO))
    }

    /// A node of `cluster`: the hourly quotas and the connections hold over every node.
    pub fn shared_in(flags: &LimitFlags, cluster: &Cluster) -> SharedLimits {
        let (accounts, rooms) = (
            hourly(flags.accounts_per_hour),
            hourly(flags.rooms_per_hour),
        );
        Arc::new(Limits {
            accounts: accounts.map(DefaultKeyedRateLimiter::keyed),
            rooms: rooms.map(DefaultKeyedRateLimiter::keyed),
            shared_accounts: cluster.shared_rate("accounts", accounts),
            shared_rooms: cluster.shared_rate("rooms", rooms),
            allowed: Allowed {
                per_user: flags.sessions_per_user,
                per_address: flags.sessions_per_ip,
            },
            open: cluster.connections.clone(),
        })
    }

    /// A new account from `ip`, or `too_many_accounts`. Every attempt that gets this far
    /// counts, not only the ones that end in an account: a script trying names counts too.
    pub async fn admit_account(&self, ip: IpAddr) -> Result<(), ErrorCode> {
        let ip = super::client_ip::bucket(ip);
        match &self.accounts {
            Some(limiter) if limiter.check_key(&ip).is_err() => Err(ErrorCode::TooManyAccounts),
            _ => {
                admit_shared(
                    self.shared_accounts.as_ref(),
                    ip,
                    ErrorCode::TooManyAccounts,
                )
                .await
            }
        }
    }

    /// A new room by `user`, or `too_many_rooms`; asked once the name is valid, so a name
    /// already taken counts as an attempt.
    pub async fn admit_room(&self, user: i64) -> Result<(), ErrorCode> {
        match &self.rooms {
            Some(limiter) if limiter.check_key(&user).is_err() => Err(ErrorCode::TooManyRooms),
            _ => admit_shared(self.shared_rooms.as_ref(), user, ErrorCode::TooManyRooms).await,
        }
    }

    /// Counts a connection of `user` from `ip` until the returned guard is dropped, or
    /// refuses it when either already has as many as allowed.
    pub fn connect(&self, user: i64, ip: IpAddr) -> Result<Connection, ErrorCode> {
        let ip = super::client_ip::bucket(ip);
        connections::lock(&self.open)
            .open(user, ip, self.allowed, auth::now_millis())
            .map_err(|_| ErrorCode::TooManySessions)?;
        Ok(Connection {
            open: self.open.clone(),
            user,
            ip,
        })
    }
}

/// One open connection, counted until dropped.
pub struct Connection {
    open: SharedConnections,
    user: i64,
    ip: IpAddr,
}

impl Drop for Connection {
    fn drop(&mut self) {
        connections::lock(&self.open).close(self.user, self.ip);
    }
}

/// The bucket shared by the nodes, if any: `refused` when it is empty.
async fn admit_shared(
    shared: Option<&ClusterRate>,
    key: impl std::fmt::Display,
    refused: ErrorCode,
) -> Result<(), ErrorCode> {
    match shared {
        Some(shared) => shared.admit(key).await.map_err(|_| refused),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_per_user_and_per_address_until_dropped() {
        let limits = Limits::shared(&LimitFlags {
            sessions_per_user: 2,
            sessions_per_ip: 3,
            ..LimitFlags::NONE
        });
        let (home, office) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = limits.connect(1, home).unwrap();
        let _second = limits.connect(1, office).unwrap();
        assert_eq!(
            limits.connect(1, home).err(),
            Some(ErrorCode::TooManySessions)
        );
        let _others = [limits.connect(2, home), limits.connect(3, home)];
        assert!(limits.connect(4, home).is_err(), "the address is full");
        assert!(limits.connect(4, office).is_ok());
        drop(first);
        assert!(
            limits.connect(1, home).is_ok(),
            "a closed tab frees its place"
        );
    }

    #[tokio::test]
    async fn accounts_and_rooms_per_hour() {
        let limits = Limits::shared(&LimitFlags {
            accounts_per_hour: 2,
            rooms_per_hour: 1,
            ..LimitFlags::NONE
        });
        let ip = "192.0.2.1".parse().unwrap();
        assert!(limits.admit_account(ip).await.is_ok());
        assert!(limits.admit_account(ip).await.is_ok());
        assert_eq!(
            limits.admit_account(ip).await,
            Err(ErrorCode::TooManyAccounts)
        );
        let other = "192.0.2.9".parse().unwrap();
        assert!(limits.admit_account(other).await.is_ok());
        assert!(limits.admit_room(7).await.is_ok());
        assert_eq!(limits.admit_room(7).await, Err(ErrorCode::TooManyRooms));
        assert!(limits.admit_room(8).await.is_ok());
        let none = Limits::shared(&LimitFlags::NONE);
        for _ in 0..100 {
            assert!(none.admit_account(ip).await.is_ok() && none.admit_room(7).await.is_ok());
        }
    }
}
