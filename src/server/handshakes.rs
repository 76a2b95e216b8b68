//! New Engine.IO sessions per client address (`governor`): a script that opens sessions in a
//! loop gets `429 Too Many Requests` with `Retry-After` before it costs a session, a task and
//! a heartbeat timer each.
//!
//! Only handshakes count: a request to `/socket.io/` without a `sid`, polling or WebSocket.
//! The polls and upgrades of a session already open never do. The client address is
//! [`TrustedProxies::of`] the request, so behind nginx each user has a bucket of their own.
//! In a cluster the address's bucket is also shared by the nodes ([`ClusterRate`]), so a load
//! balancer that spreads one address over them does not multiply its rate.
//!
//! The default (600 a minute, 200 at once) is far above a person's needs: a page load is one
//! handshake, and a reconnect after a restart one per tab. An office behind one NAT address
//! can have its 200 tabs reconnect at once. The bench's storm (1,000 clients from 127.0.0.1)
//! runs with no limit.

use std::{
    net::{IpAddr, Ipv4Addr},
    num::NonZeroU32,
    sync::{Arc, Weak},
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

use super::{
    SOCKET_IO_PATH,
    client_ip::{self, TrustedProxies},
    cluster::{Cluster, ClusterRate},
};

/// The client's address, as [`limit`] found it, for whatever runs after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The address [`limit`] left in a request's extensions; unspecified (0.0.0.0) for a
    /// request that did not pass it.
    pub fn of(extensions: &axum::http::Extensions) -> IpAddr {
        extensions
            .get::<ClientIp>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ClientIp(ip)| *ip)
    }
}

/// How often addresses whose bucket is full again are forgotten.
const FORGET_IDLE: Duration = Duration::from_secs(60);

pub struct Handshakes {
    proxies: TrustedProxies,
    /// `None`: no limit.
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// In a cluster, the same rate over every node.
    shared: Option<ClusterRate>,
}

impl Handshakes {
    /// `rate` handshakes a minute per address, `burst` at once, over every node of `cluster`;
    /// a rate of 0 for no limit.
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn start(
        proxies: TrustedProxies,
        rate: u32,
        burst: u32,
        cluster: &Cluster,
    ) -> Arc<Handshakes> {
        let quota = NonZeroU32::new(rate).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            Quota::per_minute(rate).allow_burst(burst)
        });
        let handshakes = Arc::new(Handshakes {
            proxies,
            limiter: quota.map(DefaultKeyedRateLimiter::keyed),
            shared: cluster.shared_rate("handshakes", quota),
        });
        if handshakes.limiter.is_some() {
            tokio::spawn(forget_idle(Arc::downgrade(&handshakes)));
        }
        handshakes
    }

    /// Seconds until `ip` may open a session, if it may not now: this node's bucket first,
    /// so a flood costs no Redis call, then the cluster's.
    async fn refused(&self, ip: IpAddr) -> Option<u64> {
        let limiter = self.limiter.as_ref()?;
        let wait = match limiter.check_key(&ip) {
            Err(not_until) => not_until.wait_time_from(DefaultClock::default().now()),
            Ok(()) => Duration::from_millis(self.shared.as_ref()?.admit(ip).await.err()?),
        };
        Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }
}

/// The middleware: finds the client's address, and refuses a handshake over its rate.
pub async fn limit(
    State(handshakes): State<Arc<Handshakes>>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = handshakes.proxies.of(&request);
    request.extensions_mut().insert(ClientIp(ip));
    if is_handshake(&request)
        && let Some(wait) = handshakes.refused(client_ip::bucket(ip)).await
    {
        tracing::debug!(%ip, wait, "handshake refused: over the address's rate");
        super::metrics::refused_handshake();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, wait.to_string())],
            format!("Too many new connections from your address; try again in {wait} s."),
        )
            .into_response();
    }
    next.run(request).await
}

fn is_handshake(request: &Request) -> bool {
    let path = request.uri().path();
    let under = path
        .strip_prefix(SOCKET_IO_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    // As engineioxide reads it: only `sid=…` names a session; a bare `sid` opens a new one.
    let has_sid = request
        .uri()
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair.starts_with("sid=")));
    under && !has_sid
}

async fn forget_idle(handshakes: Weak<Handshakes>) {
    let mut ticks = tokio::time::interval(FORGET_IDLE);
    loop {
        ticks.tick().await;
        let Some(handshakes) = handshakes.upgrade() else {
            return;
        };
        if let Some(limiter) = &handshakes.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
