//! Rates that hold across the cluster: each node keeps its own `governor` buckets (so a flood
//! is refused before it costs anything, Redis or not), and in a cluster a message, a typing
//! signal, a new account or a new room must also get a token from its bucket in Redis, shared
//! by every node. The bucket is GCRA (the
//! algorithm `governor` uses), kept as one key per user by a Lua script run atomically by
//! Redis with Redis's own clock, so nodes with skewed clocks agree.
//!
//! While Redis is lost the shared check is skipped: each node then holds the user to the rate
//! on its own, which is what a node alone does.

use std::time::Duration;

use governor::Quota;
use natter_contract::{AckError, ErrorCode};

use super::driver::RedisLink;

/// GCRA: `KEYS[1]` holds the theoretical arrival time (ms); `ARGV[1]` is the emission
/// interval, `ARGV[2]` the burst tolerance, both in ms. Returns 0 when a token was taken, else
/// how many ms until one is there.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return wait end
tat = tat + interval
redis.call('SET', KEYS[1], tat, 'PX', tat - now + 1000)
return 0
";

/// One kind of rate (messages, typing, accounts, rooms), a bucket per key shared by the nodes.
#[derive(Clone)]
pub struct ClusterRate {
    link: RedisLink,
    /// Part of each key: `natter:rate:<what>:<key>`.
    what: &'static str,
    script: std::sync::Arc<redis::Script>,
    interval_ms: u64,
    tolerance_ms: u64,
}

impl ClusterRate {
    pub fn new(link: RedisLink, what: &'static str, quota: Quota) -> ClusterRate {
        let interval = quota.replenish_interval();
        let burst = quota.burst_size().get();
        let tolerance = interval.saturating_mul(burst.saturating_sub(1));
        ClusterRate {
            link,
            what,
            script: std::sync::Arc::new(redis::Script::new(GCRA)),
            interval_ms: millis(interval).max(1),
            tolerance_ms: millis(tolerance),
        }
    }

    /// Takes a token of `key`'s shared bucket, or says in how many ms there will be one.
    pub async fn admit(&self, key: impl std::fmt::Display) -> Result<(), u64> {
        let mut invocation = self.script.key(format!("natter:rate:{}:{key}", self.what));
        invocation.arg(self.interval_ms).arg(self.tolerance_ms);
        match self.link.run(invocation).await {
            Some(0) | None => Ok(()),
            Some(wait) => Err(wait),
        }
    }

    /// [`ClusterRate::admit`] as the ack of a message or a typing signal says it.
    pub async fn admit_user(&self, user: i64) -> Result<(), AckError> {
        self.admit(user)
            .await
            .map_err(|wait| AckError::retry_after(ErrorCode::RateLimited, wait))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
