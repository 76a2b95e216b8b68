//! Graceful shutdown under load: 200 native clients (the browser's `Driver` over
//! `tests/delivery/chat_client.rs`; polling, WebSocket and upgrading) keep sending while the
//! server gets SIGTERM. It exits within 10 s; every message acked before is in the store, and
//! every one that was not is resent by its client's outbox once the server is back: each
//! body is stored exactly once, each author's in the order typed, with no hole in the seqs.
#![cfg(feature = "ssr")]

#[path = "delivery/chat_client.rs"]
mod chat_client;
#[path = "delivery/process.rs"]
mod process;

use std::{collections::BTreeMap, time::Duration};

use chat_client::{ChatClient, eventually, join};
use natter_client::TransportKind::{Polling, WebSocket};
use natter_contract::DEFAULT_ROOM;
use process::{ServerProcess, free_port};

const CLIENTS: usize = 200;
const MESSAGES_EACH: usize = 10;
/// Between one round of sends (one message from every client) and the next.
const ROUND: Duration = Duration::from_millis(100);
/// What the issue asks, and what `DRAIN_TIMEOUT` (10 s) promises.
const EXIT_WITHIN: Duration = Duration::from_secs(10);

/// The bodies by sender (`client {i}`), each sender's in the order given.
fn by_author<'a>(bodies: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for body in bodies {
        let sender = body.split(" message ").next().unwrap();
        by.entry(sender).or_default().push(body);
    }
    by
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_200_clients_send_loses_nothing_and_exits_within_10_s() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let server = ServerProcess::start(port, data.path()).await;

    let run = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let mut clients = Vec::with_capacity(CLIENTS);
    let transports = [vec![Polling], vec![WebSocket], vec![Polling, WebSocket]];
    for i in 0..CLIENTS {
        let member = join(&url, &format!("s{i}-{run}")).await;
        clients.push(ChatClient::start(&url, &member, transports[i % 3].clone()));
    }
    let connected = eventually(Duration::from_secs(60), || {
        clients.iter().all(ChatClient::is_connected)
    })
    .await;
    assert!(connected, "not every client connected");

    // Rounds of one message from everyone; SIGTERM lands in the middle of round 3 (between
    // two clients' sends), and the rounds go on while the server is down and coming back.
    let mut said = Vec::new();
    let mut server = Some(server);
    let mut took = None;
    for round in 0..MESSAGES_EACH {
        for (i, client) in clients.iter().enumerate() {
            if round == 3 && i == CLIENTS / 2 {
                let stopping = server.take().unwrap();
                took = Some(tokio::task::spawn_blocking(move || {
                    stopping.terminate_within(EXIT_WITHIN)
                }));
            }
            let body = format!("client {i} message {round}");
            said.push(body.clone());
            client.say(DEFAULT_ROOM, body);
        }
        tokio::time::sleep(ROUND).await;
    }
    let took = took.unwrap().await.unwrap();
    let waiting: usize = clients.iter().map(ChatClient::outbox_len).sum();
    eprintln!("exited {took:?} after SIGTERM; {waiting} messages waiting in outboxes");
    let _server = ServerProcess::start(port, data.path()).await;

    // "sN joined" for each, then every message.
    let total = (CLIENTS + said.len()) as u64;
    let settled = |c: &ChatClient| c.outbox_len() == 0 && c.synced(DEFAULT_ROOM) >= total;
    let all = eventually(Duration::from_secs(90), || clients.iter().all(settled)).await;
    let unsettled: Vec<(usize, usize, u64)> = clients
        .iter()
        .enumerate()
        .filter(|(_, c)| !settled(c))
        .map(|(i, c)| (i, c.outbox_len(), c.synced(DEFAULT_ROOM)))
        .collect();
    assert!(
        all,
        "not settled (index, outbox, synced of {total}): {unsettled:?}"
    );

    let stored = clients[0].messages(DEFAULT_ROOM);
    let seqs: Vec<u64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "gaps or extra rows");
    let bodies = stored.iter().filter(|m| m.kind.is_message());
    assert_eq!(
        by_author(bodies.map(|m| m.body.as_str())),
        by_author(said.iter().map(String::as_str)),
        "lost, duplicated or reordered"
    );
}
