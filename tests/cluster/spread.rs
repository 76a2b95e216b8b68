//! Clients spread over the nodes by nginx, a node killed under them, and why stickiness.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use crate::chat::Chat;
use crate::chat_client::{ChatClient, eventually, join};
use crate::harness::{Cluster, Setup, client_address};
use crate::{one_at_a_time, upstream_of};
use natter_client::TransportKind::Polling;
use natter_contract::DEFAULT_ROOM;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_clients_spread_over_three_nodes_get_every_message_once_in_order() {
    let _one = one_at_a_time().await;
    let cluster = Cluster::start(Setup::default()).await;
    let url = cluster.url();
    const CLIENTS: usize = 300;
    let mut chat = Chat::start(&url, CLIENTS, 6).await;

    let mut by_node: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..CLIENTS {
        *by_node.entry(upstream_of(&url, i).await).or_default() += 1;
    }
    println!("clients per node: {by_node:?}");
    assert_eq!(by_node.len(), 3, "every node has clients: {by_node:?}");
    assert!(by_node.values().all(|n| *n >= 50), "spread: {by_node:?}");

    for i in 0..CLIENTS {
        for k in 0..2 {
            chat.say(i, &chat.room(i), format!("client {i} message {k}"));
        }
        if i % 10 == 0 {
            chat.say(i, DEFAULT_ROOM, format!("client {i} to everyone"));
        }
    }
    let took = chat.until_settled(Duration::from_secs(120)).await;
    println!("{CLIENTS} clients settled {took:?} after the last message was typed");
    chat.verify(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_duplicates_and_reorders_nothing() {
    let _one = one_at_a_time().await;
    let mut cluster = Cluster::start(Setup::default()).await;
    let url = cluster.url();
    const CLIENTS: usize = 60;
    let mut chat = Chat::start(&url, CLIENTS, 3).await;
    let victim = format!("127.0.0.1:{}", cluster.ports[0]);
    let mut on_victim = Vec::new();
    for i in 0..CLIENTS {
        if upstream_of(&url, i).await == victim {
            on_victim.push(i);
        }
    }
    assert!(!on_victim.is_empty(), "no client on the node to kill");

    // Load: everyone typing, in rounds; the node dies in the middle of the second.
    for round in 0..3 {
        for i in 0..CLIENTS {
            chat.say(i, &chat.room(i), format!("client {i} round {round}"));
        }
        if round == 1 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            cluster.kill(0);
            let killed = Instant::now();
            let mut back: Vec<Duration> = Vec::new();
            let mut waiting = on_victim.clone();
            // Its clients notice (transport closed), reconnect through nginx to another node.
            let gone = eventually(Duration::from_secs(5), || {
                waiting.iter().any(|i| !chat.clients[*i].is_connected())
            })
            .await;
            assert!(gone, "no client noticed its node die");
            let deadline = Instant::now() + Duration::from_secs(60);
            while !waiting.is_empty() && Instant::now() < deadline {
                waiting.retain(|i| {
                    let up = chat.clients[*i].is_connected();
                    if up {
                        back.push(killed.elapsed());
                    }
                    !up
                });
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert!(waiting.is_empty(), "never reconnected: {waiting:?}");
            back.sort();
            let p = |q: f64| back[((back.len() - 1) as f64 * q).round() as usize];
            println!(
                "{} clients of the killed node back in: p50 {:?}, p95 {:?}, max {:?}",
                back.len(),
                p(0.5),
                p(0.95),
                back[back.len() - 1]
            );
        }
    }
    chat.until_settled(Duration::from_secs(90)).await;
    chat.verify(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_without_sticky_sessions_is_refused_and_with_them_chats() {
    let _one = one_at_a_time().await;
    let cluster = Cluster::start(Setup {
        sticky: false,
        ..Setup::default()
    })
    .await;
    let url = cluster.url();
    // A handshake, then a poll: round robin sends the poll to another node.
    let http = reqwest::Client::new();
    let handshake = http
        .get(format!("{url}/socket.io/?EIO=4&transport=polling"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sid = handshake
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no sid in {handshake}"));
    let poll = http
        .get(format!(
            "{url}/socket.io/?EIO=4&transport=polling&sid={sid}"
        ))
        .send()
        .await
        .unwrap();
    let status = poll.status();
    let body = poll.text().await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Session ID unknown"), "{body}");
    println!("without stickiness, the next poll: {status} {body}");
    // A polling client never gets through its CONNECT.
    let member = join(&url, &format!("rr-{}", &sid[..6])).await;
    let lost = ChatClient::start_from(&url, &member, vec![Polling], Some(client_address(0)));
    let connected = eventually(Duration::from_secs(5), || lost.is_connected()).await;
    assert!(!connected, "a polling client connected through round robin");
    drop(lost);
    drop(cluster);

    // The same, sticky: they chat.
    let cluster = Cluster::start(Setup::default()).await;
    let url = cluster.url();
    let mut chat = Chat::start(&url, 6, 1).await;
    for i in 0..6 {
        chat.say(i, &chat.room(i), format!("client {i} sticky"));
    }
    chat.until_settled(Duration::from_secs(30)).await;
    chat.verify(&url).await;
}
