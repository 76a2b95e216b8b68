//! No message lost, none duplicated: resends, SYNC, HISTORY, store failures and slow readers.

use std::sync::Arc;

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_resend_gets_the_original_ack_and_no_second_copy() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    let mut bob = WsClient::member(&server).await;
    let id = client_id();
    let first = alice.chat(1, &message_with_id(&id, "once")).await;
    assert_eq!(first["ok"]["seq"], 1);
    assert_eq!(bob.event().await.1["client_id"], id);

    // As if the first ack was lost: same id, even with the body changed on the way.
    for (ack_id, body) in [(2, "once"), (3, "twice?")] {
        let again = alice.chat(ack_id, &message_with_id(&id, body)).await;
        assert_eq!(again, first);
    }
    let page = server.store.after("general", 0, 10).await.unwrap();
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].body, "once");

    // The resends were not broadcast: bob's next message is the next one.
    alice.chat(4, &message("next")).await;
    let (_, next) = bob.event().await;
    assert_eq!(
        (next["seq"].as_u64(), next["body"].as_str()),
        (Some(2), Some("next"))
    );
}

#[tokio::test]
async fn sync_returns_exactly_what_follows_and_then_goes_live() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    for n in 1..=5 {
        alice.chat(n, &message(&format!("m{n}"))).await;
    }
    let mut bob = WsClient::join(&server).await;
    let page = bob.emit(1, "sync", &sync_after(2)).await;
    assert_eq!(page_seqs(&page), [3, 4, 5]);
    assert_eq!(page["ok"]["messages"][0]["body"], "m3");
    assert_eq!(
        (&page["ok"]["has_more"], &page["ok"]["latest_seq"]),
        (&json!(false), &json!(5))
    );
    let partial = json!({"room": "general", "after_seq": 1, "limit": 2}).to_string();
    let page = bob.emit(2, "sync", &partial).await;
    assert_eq!(
        (page_seqs(&page), &page["ok"]["has_more"]),
        (vec![2, 3], &json!(true))
    );
    let caught_up = bob.emit(3, "sync", &sync_after(5)).await;
    assert_eq!(page_seqs(&caught_up), Vec::<u64>::new());

    // bob SYNCed, so he is live; carol only connected, so she hears nothing.
    let mut carol = WsClient::join(&server).await;
    alice.chat(6, &message("live")).await;
    let (_, live) = bob.event().await;
    assert_eq!(
        (live["seq"].as_u64(), live["body"].as_str()),
        (Some(6), Some("live"))
    );
    let own = carol.chat(1, &message("carol's")).await;
    assert_eq!(own["ok"]["seq"], 7);
    assert_eq!(bob.event().await.1["seq"], 7);
    // carol's first frame was her ack, not alice's broadcast: `chat` would have skipped it,
    // so ask explicitly.
    carol.send(&format!(r#"422["chat message",{}]"#, message("again")));
    assert_eq!(parse_ack(&carol.recv().await, 2).unwrap()["ok"]["seq"], 8);
}

#[tokio::test]
async fn history_pages_backwards() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    for n in 1..=5 {
        alice.chat(n, &message(&format!("m{n}"))).await;
    }
    let history = |before_seq: u64| {
        json!({"room": "general", "before_seq": before_seq, "limit": 2}).to_string()
    };
    let page = alice.emit(10, "history", &history(6)).await;
    assert_eq!(
        (page_seqs(&page), &page["ok"]["has_more"]),
        (vec![4, 5], &json!(true))
    );
    let page = alice.emit(11, "history", &history(4)).await;
    assert_eq!(
        (page_seqs(&page), &page["ok"]["has_more"]),
        (vec![2, 3], &json!(true))
    );
    let page = alice.emit(12, "history", &history(2)).await;
    assert_eq!(
        (page_seqs(&page), &page["ok"]["has_more"]),
        (vec![1], &json!(false))
    );
}

#[tokio::test]
async fn bad_sync_and_history_requests_get_error_acks() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    alice.chat(1, &message("one")).await;
    for (event, payload, code) in [
        (
            "sync",
            json!({"room": "nowhere", "after_seq": 0}),
            "unknown_room",
        ),
        (
            "sync",
            json!({"room": "../etc", "after_seq": 0}),
            "unknown_room",
        ),
        (
            "sync",
            json!({"room": "general", "after_seq": 2}),
            "seq_out_of_range",
        ),
        (
            "sync",
            json!({"room": "general", "after_seq": u64::MAX}),
            "seq_out_of_range",
        ),
        (
            "sync",
            json!({"room": "general", "after_seq": 0, "limit": 0}),
            "seq_out_of_range",
        ),
        (
            "sync",
            json!({"room": "general", "after_seq": 0, "limit": 201}),
            "seq_out_of_range",
        ),
        (
            "sync",
            json!({"room": "general", "after_seq": -1}),
            "invalid_payload",
        ),
        (
            "history",
            json!({"room": "general", "before_seq": 0}),
            "seq_out_of_range",
        ),
        (
            "history",
            json!({"room": "general", "before_seq": 3}),
            "seq_out_of_range",
        ),
        (
            "history",
            json!({"room": "general", "before_seq": 2, "limit": 0}),
            "seq_out_of_range",
        ),
        (
            "history",
            json!({"room": "nowhere", "before_seq": 1}),
            "unknown_room",
        ),
    ] {
        let ack = alice.emit(2, event, &payload.to_string()).await;
        assert_eq!(error_code(&ack), code, "{event} {payload}");
    }
    // None of the refused SYNCs subscribed alice.
    let mut bob = WsClient::join(&server).await;
    bob.chat(1, &message("two")).await;
    alice.send(&format!(r#"423["chat message",{}]"#, message("three")));
    assert_eq!(parse_ack(&alice.recv().await, 3).unwrap()["ok"]["seq"], 3);
}

#[tokio::test]
async fn a_store_failure_is_acked_as_not_stored() {
    let (_data, store) = temp_store().await;
    let failing = FailingStore::new(store);
    let server = start_with_store(test_config(), failing.clone()).await;
    let mut alice = WsClient::join(&server).await;
    let mut bob = WsClient::member(&server).await;
    failing.fail_writes(true);
    let id = client_id();
    let ack = alice
        .chat(1, &message_with_id(&id, "kept in the outbox"))
        .await;
    assert_eq!(error_code(&ack), "not_stored");
    assert_eq!(server.store.latest_seq("general").await.unwrap(), 0);

    failing.fail_writes(false);
    let retried = alice
        .chat(2, &message_with_id(&id, "kept in the outbox"))
        .await;
    assert_eq!(retried["ok"]["seq"], 1);
    // Nothing went out for the failed attempt: bob's first message is the stored one.
    let (_, first) = bob.event().await;
    assert_eq!(
        (first["seq"].as_u64(), first["client_id"].as_str()),
        (Some(1), Some(&*id))
    );
}

#[tokio::test]
async fn a_locked_database_is_acked_as_not_stored() {
    let data = tempfile::tempdir().unwrap();
    let path = data.path().join("natter.db");
    let short = std::time::Duration::from_millis(200);
    let store = natter::server::store::SqliteStore::open_with_busy_timeout(&path, short);
    let server = start_with_store(test_config(), Arc::new(store.await.unwrap())).await;
    let mut alice = WsClient::join(&server).await;
    let mut lock = sqlite_write_lock(&path).await;
    let ack = alice.chat(1, &message("blocked")).await;
    assert_eq!(error_code(&ack), "not_stored");
    sqlx::Executor::execute(&mut lock, "ROLLBACK")
        .await
        .unwrap();
    assert_eq!(alice.chat(2, &message("through")).await["ok"]["seq"], 1);
}

/// Another connection inside `BEGIN EXCLUSIVE`.
async fn sqlite_write_lock(path: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::{ConnectOptions, Executor};
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    let mut conn = options.connect().await.unwrap();
    conn.execute("BEGIN EXCLUSIVE").await.unwrap();
    conn
}

#[tokio::test]
async fn over_the_rate_a_user_is_told_when_to_resend_and_others_are_not_slowed() {
    let config = natter::server::Config {
        message_rate: 2,
        message_burst: 3,
        ..test_config()
    };
    let server = start(config).await;
    let mut alice = WsClient::join(&server).await;
    let bob = server.user("bob").await;
    let mut bob = WsClient::join_as(&server, &bob).await;
    let ids: Vec<String> = (0..5).map(|_| client_id()).collect();
    let mut acks = Vec::new();
    for (n, id) in (1..).zip(&ids) {
        acks.push(alice.chat(n, &message_with_id(id, &format!("m{n}"))).await);
    }
    // The burst of 3 goes in; the rest is refused, stored nowhere, with the wait.
    for ack in &acks[..3] {
        assert!(ack["ok"]["seq"].is_u64(), "{ack}");
    }
    for ack in &acks[3..] {
        assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
        let wait = ack["error"]["retry_after_ms"].as_u64().unwrap();
        assert!(
            (1..=500).contains(&wait),
            "2/s: a token every 500 ms, not {wait}"
        );
    }
    assert_eq!(server.store.latest_seq("general").await.unwrap(), 3);
    // Another user is not slowed down by alice.
    let other = bob.chat(1, &message("bob's")).await;
    assert_eq!(other["ok"]["seq"], 4, "{other}");
    // After the wait, the same id goes in.
    let wait = acks[3]["error"]["retry_after_ms"].as_u64().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    let again = alice.chat(9, &message_with_id(&ids[3], "m4")).await;
    assert_eq!(again["ok"]["seq"], 5, "{again}");
}

/// One message a second per user, so that a burst is a flood.
fn one_a_second() -> natter::server::Config {
    natter::server::Config {
        message_rate: 1,
        message_burst: 1,
        ..test_config()
    }
}

/// 200 frames of `event` at once, without waiting for the acks, as a flood sends them.
fn flood(client: &WsClient, event: &str, payload: impl Fn(u32) -> String) {
    use tokio_tungstenite::tungstenite::Message;
    let frames = (0..200)
        .map(|n| Message::text(format!(r#"42{n}["{event}",{}]"#, payload(n))))
        .collect();
    client.send_raw(frames);
}

#[tokio::test]
async fn a_socket_that_floods_past_its_refusals_is_disconnected_and_others_chat_on() {
    let server = start(one_a_second()).await;
    let ann = server.user("ann").await;
    let mut flooder = WsClient::join_as(&server, &ann).await;
    let mut other_tab = WsClient::join_as(&server, &ann).await;
    let bob = server.user("bob").await;
    let mut bob = WsClient::join_as(&server, &bob).await;
    // 1 stored, then refusals, and past the 50 refusals a user may draw at once the socket
    // is closed.
    flood(&flooder, "chat message", |n| message(&format!("flood {n}")));
    assert!(
        flooder
            .disconnected_within(std::time::Duration::from_secs(5))
            .await,
        "the flooding socket is disconnected"
    );
    let stored = server.store.latest_seq("general").await.unwrap();
    assert!(stored <= 2, "one a second: {stored} stored");
    // Its session cools off: coming straight back is refused at CONNECT.
    let (mut again, _) = WsClient::open(&server, None, true).await.unwrap();
    again.send(&ann.connect_packet());
    assert_eq!(again.recv().await, r#"44{"message":"rate_limited"}"#);
    // Bob is not held up, and ann's quiet tab keeps its connection (its sends are refused
    // while ann's rate is spent, then go in).
    let ack = bob.chat(1, &message("still here")).await;
    assert!(ack["ok"]["seq"].is_u64(), "{ack}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let ack = other_tab.chat(1, &message("calm again")).await;
    assert!(ack["ok"]["seq"].is_u64(), "{ack}");
}

#[tokio::test]
async fn a_flood_of_unreadable_messages_is_cut_off_too() {
    let server = start(one_a_second()).await;
    let ann = server.user("ann").await;
    let mut flooder = WsClient::join_as(&server, &ann).await;
    flood(&flooder, "edit message", |n| format!(r#"{{"junk":{n}}}"#));
    assert!(
        flooder
            .disconnected_within(std::time::Duration::from_secs(5))
            .await,
        "the rate is taken before the payload is read"
    );
}
