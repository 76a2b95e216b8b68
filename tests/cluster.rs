//! Several nodes: three natter processes on one Redis (socketioxide-redis) and one Postgres
//! database, behind Debian's nginx, with native clients from distinct 127.0.0.x addresses so
//! that nginx's `hash $remote_addr consistent` spreads them. Redis, Postgres and nginx are
//! real and required: a test that cannot find one fails.
//!
//! One cluster at a time ([`one_at_a_time`]): each starts three servers and up to 300
//! clients, which on two cores is enough load for one test.
#![cfg(feature = "ssr")]

#[path = "cluster/chat.rs"]
mod chat;
#[path = "delivery/chat_client.rs"]
mod chat_client;
#[path = "cluster/faults.rs"]
mod faults;
#[path = "cluster/harness.rs"]
mod harness;
#[path = "delivery/process.rs"]
mod process;
#[path = "cluster/shared.rs"]
mod shared;
#[path = "cluster/spread.rs"]
mod spread;

use harness::client_address;
use tokio::sync::{Mutex, MutexGuard};

/// Held for a whole test: tokio's mutex, since each test has a runtime of its own and
/// awaits while holding it.
pub async fn one_at_a_time() -> MutexGuard<'static, ()> {
    static CLUSTER: Mutex<()> = Mutex::const_new(());
    CLUSTER.lock().await
}

/// Which node nginx sends `client`'s address to, by the header nginx adds.
pub async fn upstream_of(url: &str, client: usize) -> String {
    let http = reqwest::Client::builder()
        .local_address(client_address(client))
        .build()
        .unwrap();
    let response = http.get(format!("{url}/healthz")).send().await.unwrap();
    let upstream = response.headers().get("x-natter-upstream").cloned();
    upstream
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
