//! What carries socketioxide-redis's traffic: nothing on a node alone, Redis in a cluster.
//!
//! The node's adapter is always socketioxide-redis's (`CustomRedisAdapter`); [`NodeDriver`]
//! is its pub/sub. [`NodeDriver::Alone`] publishes nowhere and hears nothing, so every
//! broadcast stays on this node, as the in-memory adapter's would. [`NodeDriver::Redis`]
//! publishes through a queue that never makes a broadcast wait for Redis: while Redis is away
//! the node's own sockets still get every message at once, and the other nodes' clients find
//! what they missed by the beacon and their sync.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use redis::{AsyncCommands, PushInfo, PushKind, aio::ConnectionManager};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use tokio::sync::mpsc;

/// Publications queued while Redis is slow. Past this, they are dropped (said once): every one
/// is a broadcast of something already stored, which the beacon and sync bring anyway.
const PUBLISH_QUEUE: usize = 8192;

/// How long one Redis command may take before the link counts as lost. Loopback answers in
/// well under a millisecond; a second is an outage, not a slow reply.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

/// A rate check waits this long at most: it is on a message's way to the store.
const SCRIPT_TIMEOUT: Duration = Duration::from_millis(250);

/// While Redis is lost, at most one publication a this long tries it; the others are dropped
/// without waiting, so the queue never backs up behind a dead link.
const RETRY_EVERY: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub enum NodeDriver {
    /// One node: the adapter's traffic goes nowhere.
    Alone,
    Redis(RedisLink),
}

/// Subscribed channels and where their messages go.
type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

/// One connection to Redis, shared by the adapter and cluster presence. It reconnects by
/// itself (redis-rs's `ConnectionManager`) and subscribes again to every channel it had.
#[derive(Clone)]
pub struct RedisLink {
    conn: ConnectionManager,
    handlers: Handlers,
    outgoing: mpsc::Sender<ChanItem>,
    health: Arc<Health>,
}

impl RedisLink {
    /// Connects, or says why not: a node told to join a cluster does not start without it.
    pub async fn connect(url: &str) -> redis::RedisResult<RedisLink> {
        let info = redis::IntoConnectionInfo::into_connection_info(url)?;
        // Pushes (subscribed messages on the same connection) need RESP3.
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(redis::ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(settings))?;
        let handlers = Handlers::default();
        let health = Arc::new(Health::new());
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(1))
            .set_number_of_retries(2)
            .set_automatic_resubscription()
            .set_push_sender({
                let (handlers, health) = (handlers.clone(), health.clone());
                move |push: PushInfo| {
                    deliver(push, &handlers, &health);
                    Ok::<(), std::convert::Infallible>(())
                }
            });
        let conn = ConnectionManager::new_with_config(client, config).await?;
        let (outgoing, queue) = mpsc::channel(PUBLISH_QUEUE);
        tokio::spawn(publish_queued(conn.clone(), queue, health.clone()));
        Ok(RedisLink {
            conn,
            handlers,
            outgoing,
            health,
        })
    }

    /// Queues a publication; never waits.
    pub fn publish(&self, chan: String, payload: Vec<u8>) {
        if self.outgoing.try_send((chan, payload)).is_err() {
            self.health.lost("the publish queue is full");
        }
    }

    pub async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> redis::RedisResult<MessageStream<ChanItem>> {
        let (tx, rx) = mpsc::channel(size);
        self.handlers_mut().insert(chan.clone(), tx);
        within(COMMAND_TIMEOUT, self.conn.clone().subscribe(chan)).await?;
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> redis::RedisResult<()> {
        self.handlers_mut().remove(&chan);
        within(COMMAND_TIMEOUT, self.conn.clone().unsubscribe(chan)).await
    }

    fn handlers_mut(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, HashMap<String, mpsc::Sender<ChanItem>>> {
        // A map of senders: nothing a panicking holder could leave half-done.
        self.handlers.write().unwrap_or_else(|e| e.into_inner())
    }

    async fn subscribers(&self, chan: &str) -> redis::RedisResult<u16> {
        let mut conn = self.conn.clone();
        let numsub = redis::cmd("PUBSUB").arg("NUMSUB").arg(chan).to_owned();
        let (_, count): (String, u16) =
            within(COMMAND_TIMEOUT, numsub.query_async(&mut conn)).await?;
        Ok(count)
    }

    /// Runs a script, unless Redis is lost (then `None` at once: no caller waits for it).
    pub async fn run(&self, invocation: redis::ScriptInvocation<'_>) -> Option<u64> {
        if !self.health.is_up() {
            return None;
        }
        let mut conn = self.conn.clone();
        let ran = within(SCRIPT_TIMEOUT, invocation.invoke_async(&mut conn)).await;
        self.health.heard(ran)
    }

    /// Whether Redis answered last time it was asked (for `/readyz`).
    pub async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        let pong: redis::RedisResult<String> =
            within(COMMAND_TIMEOUT, redis::cmd("PING").query_async(&mut conn)).await;
        self.health.heard(pong).is_some()
    }
}

/// A command that gives up after `limit` as an I/O error.
async fn within<T>(
    limit: Duration,
    command: impl Future<Output = redis::RedisResult<T>>,
) -> redis::RedisResult<T> {
    tokio::time::timeout(limit, command)
        .await
        .unwrap_or_else(|_| {
            Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "Redis did not answer in time",
            )))
        })
}

fn deliver(push: PushInfo, handlers: &Handlers, health: &Health) {
    match push.kind {
        PushKind::Message => {
            let mut data = push.data.into_iter();
            let (Some(chan), Some(payload)) = (data.next(), data.next()) else {
                return;
            };
            let (Ok(chan), Ok(payload)) = (
                redis::from_redis_value::<String>(chan),
                redis::from_redis_value::<Vec<u8>>(payload),
            ) else {
                return;
            };
            let handlers = handlers.read().unwrap_or_else(|e| e.into_inner());
            if let Some(tx) = handlers.get(&chan)
                && tx.try_send((chan, payload)).is_err()
            {
                tracing::debug!("a Redis channel's queue is full; the beacon heals what it drops");
            }
        }
        PushKind::Disconnection => health.lost("the connection closed"),
        _ => {}
    }
}

async fn publish_queued(
    conn: ConnectionManager,
    mut queue: mpsc::Receiver<ChanItem>,
    health: Arc<Health>,
) {
    let mut last_try = Instant::now() - RETRY_EVERY;
    while let Some((chan, payload)) = queue.recv().await {
        if !health.is_up() && last_try.elapsed() < RETRY_EVERY {
            continue;
        }
        last_try = Instant::now();
        let mut conn = conn.clone();
        let published = conn.publish::<_, _, redis::Value>(chan, payload);
        health.heard(within(COMMAND_TIMEOUT, published).await);
    }
}

/// Up or lost, logged once per change rather than once per message.
struct Health {
    up: AtomicBool,
}

impl Health {
    fn new() -> Health {
        super::super::metrics::redis_up(true);
        Health {
            up: AtomicBool::new(true),
        }
    }

    fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    fn lost(&self, why: &str) {
        if self.up.swap(false, Ordering::Relaxed) {
            super::super::metrics::redis_up(false);
            tracing::error!(
                why,
                "lost Redis: serving this node's clients alone until it is back"
            );
        }
    }

    /// What Redis answered: back if it answered, lost if not.
    fn heard<T>(&self, answer: redis::RedisResult<T>) -> Option<T> {
        match answer {
            Ok(answer) => {
                self.back();
                Some(answer)
            }
            Err(error) => {
                self.lost(&error.to_string());
                None
            }
        }
    }

    fn back(&self) {
        if !self.up.swap(true, Ordering::Relaxed) {
            super::super::metrics::redis_up(true);
            tracing::warn!("Redis is back: this node is in the cluster again");
        }
    }
}

impl Driver for NodeDriver {
    type Error = redis::RedisError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        if let NodeDriver::Redis(link) = self {
            link.publish(chan, val);
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, Self::Error> {
        match self {
            NodeDriver::Alone => Ok(MessageStream::new_empty()),
            NodeDriver::Redis(link) => link.subscribe(chan, size).await,
        }
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        match self {
            NodeDriver::Alone => Ok(()),
            NodeDriver::Redis(link) => link.unsubscribe(chan).await,
        }
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        match self {
            NodeDriver::Alone => Ok(1),
            NodeDriver::Redis(link) => link.subscribers(chan).await,
        }
    }
}
