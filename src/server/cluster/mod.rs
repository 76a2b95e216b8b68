//! Several nodes behind one address: what each node shares with the others, through Redis.
//!
//! - Broadcasts (messages, typing, sidebar and read events, sign-outs' disconnects, a leave's
//!   unsubscribes) go through socketioxide-redis: `NodeAdapter` is its adapter on every node,
//!   over [`NodeDriver`], which without `--redis-url` carries nothing between nodes.
//! - Presence: [`presence::ClusterTable`], announcements on a Redis channel; with them each
//!   node's open connections, so the per-user and per-address limits hold over the cluster
//!   (`server::connections`).
//! - What no broadcast brought, the beacon brings (`server::beacon`), from the shared store.
//! - Rates: [`rate::ClusterRate`], a bucket per key in Redis (messages and typing per user,
//!   handshakes per address, accounts per address and rooms per user per hour).
//!
//! Never shared: the store is the database's (Postgres for a cluster), and nothing else here
//! keeps state another node needs.

mod driver;
mod presence;
mod rate;

use std::time::Duration;

pub use driver::{NodeDriver, RedisLink};
pub use rate::ClusterRate;
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};

use super::{
    config::Config,
    connections::SharedConnections,
    error::StartError,
    presence::{self as node_presence, SharedPresence},
    socket::AdapterInit,
};

/// The Socket.IO adapter of every node, alone or not (see [`NodeDriver`]).
pub type NodeAdapter = CustomRedisAdapter<socketioxide::adapter::Emitter, NodeDriver>;

/// This node's place in the cluster (or its being alone).
pub struct Cluster {
    pub driver: NodeDriver,
    pub presence: SharedPresence,
    /// Connections open here, and those the other nodes announce.
    pub connections: SharedConnections,
}

impl Cluster {
    /// A node alone, its users online for `grace` after their last tab.
    pub fn alone(grace: Duration) -> Cluster {
        Cluster {
            driver: NodeDriver::Alone,
            presence: node_presence::local(grace),
            connections: SharedConnections::default(),
        }
    }

    /// Joins the cluster `--redis-url` names, or stays alone without one. A node told to join
    /// that cannot reach Redis does not start: serving alone would split the chat in two.
    pub async fn join(config: &Config) -> Result<Cluster, StartError> {
        let grace = config.presence_grace;
        let Some(url) = &config.redis_url else {
            return Ok(Cluster::alone(grace));
        };
        let link = RedisLink::connect(url.as_str())
            .await
            .map_err(|error| StartError::Redis(error.to_string()))?;
        let node = uuid::Uuid::now_v7().to_string();
        let connections = SharedConnections::default();
        let presence = presence::start(link.clone(), node.clone(), grace, connections.clone())
            .await
            .map_err(|error| StartError::Redis(error.to_string()))?;
        tracing::info!(node, "joined the cluster through Redis");
        Ok(Cluster {
            driver: NodeDriver::Redis(link),
            presence,
            connections,
        })
    }

    /// The adapter's state, for `SocketIo::builder().with_adapter`.
    pub fn adapter(&self) -> RedisAdapterCtr<NodeDriver> {
        let config = RedisAdapterConfig::new()
            .with_prefix("natter")
            // Answers to cluster-wide requests (fetching rooms or sockets): not on any chat
            // path, so a lost node only delays them this long.
            .with_request_timeout(Duration::from_secs(2));
        RedisAdapterCtr::new_with_driver(self.driver.clone(), config)
    }

    /// The rate `quota` of `what` shared by the nodes; `None` alone (the node's own is all).
    pub fn shared_rate(
        &self,
        what: &'static str,
        quota: Option<governor::Quota>,
    ) -> Option<ClusterRate> {
        Some(ClusterRate::new(self.link()?, what, quota?))
    }

    /// Redis, when the node is in a cluster (for `/readyz`).
    pub fn link(&self) -> Option<RedisLink> {
        match &self.driver {
            NodeDriver::Alone => None,
            NodeDriver::Redis(link) => Some(link.clone()),
        }
    }
}

impl AdapterInit for socketioxide_redis::InitRes<NodeDriver> {
    async fn ready(self) -> Result<(), String> {
        self.await.map_err(|error| error.to_string())
    }
}
