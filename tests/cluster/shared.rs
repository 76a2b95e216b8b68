//! What the nodes share besides messages: presence, typing, new DMs, sign-outs, the rate.

use std::time::{Duration, Instant};

use crate::chat_client::{ChatClient, eventually, join};
use crate::harness::{Cluster, Setup};
use crate::one_at_a_time;
use natter_client::TransportKind::WebSocket;
use natter_contract::DEFAULT_ROOM;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_typing_new_dms_and_sign_outs_cross_the_nodes() {
    let _one = one_at_a_time().await;
    let cluster = Cluster::start(Setup::with_env(&[("NATTER_PRESENCE_GRACE_MS", "500")])).await;
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
        b.sidebar().contains(&dm) && b.holds(&dm, "hello across nodes")
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
async fn the_message_rate_and_the_hourly_room_quota_hold_across_nodes() {
    let _one = one_at_a_time().await;
    // 2 a second with bursts of 4, per user: per node, two tabs on two nodes would get 8 in a
    // burst; across the cluster they get 4.
    let cluster = Cluster::start(Setup::with_env(&[
        ("NATTER_MESSAGE_RATE", "2"),
        ("NATTER_MESSAGE_BURST", "4"),
        ("NATTER_ROOMS_PER_HOUR", "1"),
    ]))
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
    // One room an hour, whichever node is asked.
    let create = |tab: usize, room: &str| {
        let request = serde_json::json!({ "room": room, "topic": "" });
        let tab = &tabs[tab];
        async move {
            tab.request::<natter_contract::Joined>(natter_contract::event::CREATE_ROOM, &request)
                .await
        }
    };
    assert!(create(0, "first-of-the-hour").await.is_ok());
    match create(1, "second-of-the-hour").await {
        Err(natter_session::Failure::Rejected(e)) => {
            assert_eq!(e.code, natter_contract::ErrorCode::TooManyRooms)
        }
        other => panic!("a second room on another node: {other:?}"),
    }
    assert!(
        limited.iter().all(|n| *n > 0),
        "both nodes refused: {limited:?}"
    );
}

/// A connection counted on one node is known to the others within one announcement (2 s).
const ANNOUNCED: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_user_and_per_address_are_counted_over_the_nodes() {
    let _one = one_at_a_time().await;
    // Every client here connects straight to a node from 127.0.0.1: one address.
    let cluster = Cluster::start(Setup::with_env(&[
        ("NATTER_SESSIONS_PER_USER", "2"),
        ("NATTER_SESSIONS_PER_IP", "3"),
    ]))
    .await;
    let tab = |node: usize, member: &crate::chat_client::Member| {
        ChatClient::start(&cluster.node_url(node), member, vec![WebSocket])
    };
    let ann = join(&cluster.node_url(0), "seat-ann").await;
    let ann_tabs = [tab(0, &ann), tab(1, &ann)];
    let up = eventually(Duration::from_secs(10), || {
        ann_tabs.iter().all(ChatClient::is_connected)
    })
    .await;
    assert!(up);
    tokio::time::sleep(ANNOUNCED).await;
    // Per user: a third tab, on a third node, is refused.
    let third = tab(2, &ann);
    let refused = eventually(Duration::from_secs(5), || third.refusal().is_some()).await;
    assert!(refused, "ann's third tab got in on node 2");
    assert!(!third.is_connected());
    assert!(third.refusal().unwrap().contains("Too many windows"));
    drop(third);
    // Per address: Bob's tab is the address's third; Carol's, on another node, is refused.
    let bob = join(&cluster.node_url(2), "seat-bob").await;
    let bob_tab = tab(2, &bob);
    assert!(eventually(Duration::from_secs(10), || bob_tab.is_connected()).await);
    tokio::time::sleep(ANNOUNCED).await;
    let carol = join(&cluster.node_url(0), "seat-carol").await;
    let carol_tab = tab(0, &carol);
    let refused = eventually(Duration::from_secs(5), || carol_tab.refusal().is_some()).await;
    assert!(refused, "the address's fourth connection got in on node 0");
    drop(carol_tab);
    // A tab closed on node 0 frees its place on node 2 within an announcement.
    let [on_node_0, _on_node_1] = ann_tabs;
    drop(on_node_0);
    let began = Instant::now();
    let freed = loop {
        let again = tab(2, &ann);
        if eventually(Duration::from_millis(1_000), || again.is_connected()).await {
            break Some(began.elapsed());
        }
        if began.elapsed() > Duration::from_secs(8) {
            break None;
        }
    };
    println!("a place freed on node 0 was usable on node 2 after {freed:?}");
    assert!(
        freed.is_some(),
        "node 2 still counted ann's closed tab on node 0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_per_address_are_counted_over_the_nodes() {
    let _one = one_at_a_time().await;
    // One a second with bursts of 3, per address: each node alone would open 3 at once, 9 in
    // all; the cluster opens 3.
    let cluster = Cluster::start(Setup::with_env(&[
        ("NATTER_HANDSHAKES_PER_MINUTE", "60"),
        ("NATTER_HANDSHAKE_BURST", "3"),
    ]))
    .await;
    let http = reqwest::Client::new();
    let began = Instant::now();
    let mut answers = Vec::new();
    // Round the nodes twice: each sees 2 handshakes, under its own burst.
    for k in 0..6 {
        let node = k % 3;
        let url = format!(
            "{}/socket.io/?EIO=4&transport=polling",
            cluster.node_url(node)
        );
        let response = http.get(url).send().await.unwrap();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        answers.push((node, response.status().as_u16(), retry_after));
    }
    let took = began.elapsed();
    println!("(node, status, Retry-After) in {took:?}: {answers:?}");
    let opened = answers
        .iter()
        .filter(|(_, status, _)| *status == 200)
        .count();
    let allowed = 3 + took.as_secs() as usize;
    assert!((3..=allowed).contains(&opened), "{answers:?} in {took:?}");
    for (node, status, retry_after) in &answers[opened..] {
        assert_eq!(*status, 429, "node {node}: {answers:?}");
        assert!(
            retry_after.is_some_and(|s| s >= 1),
            "node {node}: {answers:?}"
        );
    }
}
