//! What the cluster does when a part of it fails: a node dies between COMMIT and PUBLISH,
//! Redis restarts, Postgres goes away, Redis is missing at start-up.

use std::time::{Duration, Instant};

use crate::chat::Chat;
use crate::chat_client::{ChatClient, eventually, join};
use crate::harness::{Cluster, Setup};
use crate::one_at_a_time;
use natter_client::TransportKind::Polling;
use natter_contract::DEFAULT_ROOM;

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
        b.holds(DEFAULT_ROOM, "while Redis is down")
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
        d.holds(DEFAULT_ROOM, "across nodes again")
    })
    .await;
    assert!(live, "the nodes did not rejoin through Redis");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_redis_is_down_at_start_says_so_and_exits() {
    let port = crate::process::free_port();
    let dead = crate::process::free_port();
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
