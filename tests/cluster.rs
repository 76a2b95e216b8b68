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
#[path = "cluster/harness.rs"]
mod harness;
#[path = "delivery/process.rs"]
mod process;

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};
use tokio::sync::{Mutex, MutexGuard};

use chat::Chat;
use chat_client::{ChatClient, eventually, join};
use harness::{Cluster, Setup, client_address};
use natter_client::TransportKind::{Polling, WebSocket};
use natter_contract::DEFAULT_ROOM;

/// Held for a whole test: tokio's mutex, since each test has a runtime of its own and
/// awaits while holding it.
async fn one_at_a_time() -> MutexGuard<'static, ()> {
    static CLUSTER: Mutex<()> = Mutex::const_new(());
    CLUSTER.lock().await
}

/// Which node nginx sends `client`'s address to, by the header nginx adds.
async fn upstream_of(url: &str, client: usize) -> String {
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

#[cfg(feature = "fault-injection")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_committed_but_never_published_reaches_the_other_nodes_by_the_beacon() {
    let _one = one_at_a_time().await;
    // Node 0 commits and acks but publishes nothing (a node dying between COMMIT and PUBLISH;
    // the hook exists only in builds with the `fault-injection` feature, as `make test`'s).
    let interval = Duration::from_millis(3_000);
    let mut cluster = Cluster::start(Setup {
        ping_interval_ms: interval.as_millis() as u64,
        ..Setup::default()
    })
    .await;
    cluster
        .restart_node(0, &[("NATTER_FAULT_SKIP_PUBLISH", "1".to_owned())])
        .await;
    // The writer on node 0, the readers on the others, all straight to their node.
    let writer_member = join(&cluster.node_url(0), "faulty-writer").await;
    let writer = ChatClient::start(&cluster.node_url(0), &writer_member, vec![Polling]);
    let mut readers = Vec::new();
    for n in 1..3 {
        let member = join(&cluster.node_url(n), &format!("reader-{n}")).await;
        readers.push(ChatClient::start(
            &cluster.node_url(n),
            &member,
            vec![Polling],
        ));
    }
    let all = eventually(Duration::from_secs(20), || {
        writer.is_connected() && readers.iter().all(ChatClient::is_connected)
    })
    .await;
    assert!(all, "not connected");
    // A fresh database: general holds the three join lines.
    let settle = eventually(Duration::from_secs(10), || {
        readers.iter().all(|r| r.synced(DEFAULT_ROOM) == 3) && writer.synced(DEFAULT_ROOM) == 3
    })
    .await;
    assert!(settle, "the join lines did not settle");

    writer.say(DEFAULT_ROOM, "stored, never published".to_owned());
    // Placed by its ack alone: seq 4, after the three join lines.
    let seq = 4;
    let acked = eventually(Duration::from_secs(5), || {
        writer.synced(DEFAULT_ROOM) == seq
    })
    .await;
    assert!(acked, "the faulty node did not ack");
    let sent = Instant::now();
    // No broadcast: a second later, nobody else has it (the fault is real)…
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(
        readers.iter().all(|r| r.synced(DEFAULT_ROOM) < seq),
        "the message was published after all"
    );
    // …and within one beacon interval (plus the client's gap wait) everyone does.
    let limit = interval + Duration::from_millis(natter_session::GAP_WAIT_MS * 2 + 500);
    let healed = eventually(limit, || {
        readers.iter().all(|r| r.synced(DEFAULT_ROOM) >= seq)
    })
    .await;
    assert!(healed, "not healed within {limit:?}");
    println!("healed by the beacon {:?} after the ack", sent.elapsed());
    for r in &readers {
        let last = r.messages(DEFAULT_ROOM).pop().unwrap();
        assert_eq!(last.body, "stored, never published");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_mid_chat_local_delivery_goes_on_and_everyone_converges() {
    let _one = one_at_a_time().await;
    let mut cluster = Cluster::start(Setup::default()).await;
    let url = cluster.url();
    const CLIENTS: usize = 30;
    let mut chat = Chat::start(&url, CLIENTS, 3).await;
    for i in 0..CLIENTS {
        chat.say(i, &chat.room(i), format!("client {i} before"));
    }
    chat.until_settled(Duration::from_secs(30)).await;

    cluster.redis.kill();
    // Meanwhile each node still serves its own clients: two on node 1, straight to it, talk.
    let node = cluster.node_url(1);
    let (a, b) = (join(&node, "local-a").await, join(&node, "local-b").await);
    let (a, b) = (
        ChatClient::start(&node, &a, vec![Polling]),
        ChatClient::start(&node, &b, vec![Polling]),
    );
    let up = eventually(Duration::from_secs(20), || {
        a.is_connected() && b.is_connected()
    })
    .await;
    assert!(up, "a node without Redis refused its own clients");
    for i in 0..CLIENTS {
        chat.say(i, &chat.room(i), format!("client {i} during"));
    }
    a.say(DEFAULT_ROOM, "while Redis is down".to_owned());
    let local = eventually(Duration::from_secs(5), || {
        b.messages(DEFAULT_ROOM)
            .iter()
            .any(|m| m.body == "while Redis is down")
    })
    .await;
    assert!(local, "local delivery stopped with Redis");

    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.redis.restart().await;
    for i in 0..CLIENTS {
        chat.say(i, &chat.room(i), format!("client {i} after"));
    }
    chat.until_settled(Duration::from_secs(60)).await;
    chat.verify(&url).await;
    // The nodes are back in the cluster: a message on node 0 reaches node 2 live, well within a
    // beacon.
    let (c, d) = (
        join(&cluster.node_url(0), "back-c").await,
        join(&cluster.node_url(2), "back-d").await,
    );
    let c = ChatClient::start(&cluster.node_url(0), &c, vec![Polling]);
    let d = ChatClient::start(&cluster.node_url(2), &d, vec![Polling]);
    let up = eventually(Duration::from_secs(20), || {
        c.is_connected() && d.is_connected()
    })
    .await;
    assert!(up);
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.say(DEFAULT_ROOM, "across nodes again".to_owned());
    let live = eventually(Duration::from_millis(1_500), || {
        d.messages(DEFAULT_ROOM)
            .iter()
            .any(|m| m.body == "across nodes again")
    })
    .await;
    assert!(live, "the nodes did not rejoin through Redis");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_redis_is_down_at_start_says_so_and_exits() {
    let port = process::free_port();
    let dead = process::free_port();
    let data = tempfile::tempdir().unwrap();
    let began = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_natter"))
        .env("NATTER_ADDR", format!("127.0.0.1:{port}"))
        .env("NATTER_DATA_DIR", data.path())
        .env("LEPTOS_OUTPUT_NAME", "natter")
        .env("REDIS_URL", format!("redis://127.0.0.1:{dead}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("could not join the cluster through Redis"),
        "{stderr}"
    );
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "took {:?}",
        began.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_typing_new_dms_and_sign_outs_cross_the_nodes() {
    let _one = one_at_a_time().await;
    let cluster = Cluster::start(Setup {
        env: vec![("NATTER_PRESENCE_GRACE_MS", "500".to_owned())],
        ..Setup::default()
    })
    .await;
    // Ann on node 0, Bob on node 1, each straight to their node.
    let (ann, bob) = (
        join(&cluster.node_url(0), "ann-x").await,
        join(&cluster.node_url(1), "bob-x").await,
    );
    let a = ChatClient::start(&cluster.node_url(0), &ann, vec![WebSocket]);
    let b = ChatClient::start(&cluster.node_url(1), &bob, vec![WebSocket]);
    for c in [&a, &b] {
        c.show(DEFAULT_ROOM);
    }
    let up = eventually(Duration::from_secs(10), || {
        a.is_connected() && b.is_connected()
    })
    .await;
    assert!(up, "not connected");

    let online = eventually(Duration::from_secs(5), || {
        a.sees_online(bob.user.id) && b.sees_online(ann.user.id)
    })
    .await;
    assert!(online, "presence did not cross the nodes");

    a.typing(DEFAULT_ROOM);
    let typing = eventually(Duration::from_secs(3), || {
        b.typing_label()
            .is_some_and(|label| label.contains("ann-x"))
    })
    .await;
    assert!(
        typing,
        "typing did not cross the nodes: {:?}",
        b.typing_label()
    );

    let dm = natter_contract::dm_room(ann.user.id, bob.user.id);
    let opened = a
        .request::<natter_contract::Joined>(
            natter_contract::event::OPEN_DM,
            &serde_json::json!({ "name": "bob-x" }),
        )
        .await;
    assert_eq!(opened.map(|j| j.room), Ok(dm.clone()));
    a.follow(&dm);
    a.say(&dm, "hello across nodes".to_owned());
    let arrived = eventually(Duration::from_secs(5), || {
        b.sidebar().contains(&dm)
            && b.messages(&dm)
                .iter()
                .any(|m| m.body == "hello across nodes")
    })
    .await;
    assert!(
        arrived,
        "the new DM did not reach the other node's sidebar: {:?}",
        b.sidebar()
    );

    // Bob signs out through node 2: his socket on node 1 is disconnected.
    let out = reqwest::Client::new()
        .post(format!("{}/api/sign_out", cluster.node_url(2)))
        .header("cookie", format!("natter_session={}", bob.token))
        .send()
        .await
        .unwrap();
    assert!(
        out.status().is_success() || out.status().is_redirection(),
        "{}",
        out.status()
    );
    let ended = eventually(Duration::from_secs(5), || {
        !b.is_connected() || b.signed_out()
    })
    .await;
    assert!(
        ended,
        "signing out on node 2 left the socket on node 1 connected"
    );
    // …and after the grace Ann sees him offline.
    let offline = eventually(Duration::from_secs(5), || !a.sees_online(bob.user.id)).await;
    assert!(offline, "Bob stayed online after signing out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_rate_holds_across_nodes() {
    let _one = one_at_a_time().await;
    // 2 a second with bursts of 4, per user: per node, two tabs on two nodes would get 8 in a
    // burst; across the cluster they get 4.
    let cluster = Cluster::start(Setup {
        env: vec![
            ("NATTER_MESSAGE_RATE", "2".to_owned()),
            ("NATTER_MESSAGE_BURST", "4".to_owned()),
        ],
        ..Setup::default()
    })
    .await;
    let ann = join(&cluster.node_url(0), "rate-ann").await;
    let tabs = [
        ChatClient::start(&cluster.node_url(0), &ann, vec![WebSocket]),
        ChatClient::start(&cluster.node_url(1), &ann, vec![WebSocket]),
    ];
    let up = eventually(Duration::from_secs(10), || {
        tabs.iter().all(ChatClient::is_connected)
    })
    .await;
    assert!(up);
    let began = Instant::now();
    let (mut stored, mut limited) = ([0; 2], [0; 2]);
    for k in 0..12 {
        let tab = k % 2;
        let message = serde_json::json!({
            "room": DEFAULT_ROOM,
            "client_id": uuid::Uuid::new_v4().to_string(),
            "body": format!("burst {k}"),
        });
        let ack = tabs[tab]
            .request::<natter_contract::Sent>(natter_contract::event::CHAT_MESSAGE, &message)
            .await;
        match ack {
            Ok(_) => stored[tab] += 1,
            Err(natter_session::Failure::Rejected(e))
                if e.code == natter_contract::ErrorCode::RateLimited =>
            {
                assert!(e.retry_after_ms.is_some_and(|ms| ms > 0), "{e:?}");
                limited[tab] += 1;
            }
            Err(other) => panic!("message {k}: {other:?}"),
        }
    }
    let took = began.elapsed();
    let allowed = 4 + (took.as_secs_f64() * 2.0).ceil() as usize;
    println!(
        "stored {stored:?}, refused {limited:?} in {took:?} (the shared bucket allows {allowed})"
    );
    assert!(
        stored.iter().sum::<usize>() <= allowed,
        "{stored:?} in {took:?}"
    );
    assert!(took < Duration::from_secs(1), "too slow to tell: {took:?}");
    assert!(
        limited.iter().all(|n| *n > 0),
        "both nodes refused: {limited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lost_sends_wait_in_the_outbox_and_nothing_acked_is_lost() {
    let _one = one_at_a_time().await;
    let mut cluster = Cluster::start(Setup {
        gate: true,
        ..Setup::default()
    })
    .await;
    let url = cluster.url();
    const CLIENTS: usize = 12;
    let mut chat = Chat::start(&url, CLIENTS, 2).await;
    for i in 0..CLIENTS {
        chat.say(i, &chat.room(i), format!("client {i} before"));
    }
    chat.until_settled(Duration::from_secs(30)).await;

    let gate = cluster.gate.as_mut().unwrap();
    gate.close();
    for i in 0..CLIENTS {
        chat.say(
            i,
            &chat.room(i),
            format!("client {i} while the database is away"),
        );
    }
    // Refused (`not_stored`, or no ack in time): each stays in its sender's outbox.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting: usize = chat.clients.iter().map(ChatClient::outbox_len).sum();
    assert_eq!(waiting, CLIENTS, "every message waits in its outbox");
    let ready = reqwest::get(format!("{}/readyz", cluster.node_url(1)))
        .await
        .unwrap();
    assert_eq!(ready.status(), 503, "{}", ready.text().await.unwrap());

    cluster.gate.as_mut().unwrap().reopen().await;
    chat.until_settled(Duration::from_secs(60)).await;
    chat.verify(&url).await;
}
