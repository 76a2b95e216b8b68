//! Chatting: broadcast, acks, validation and ordering.

use natter::server::{Config, Transports};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

#[tokio::test]
async fn message_reaches_everyone_then_sender_gets_ack() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    let mut bob = WsClient::join(&server).await;
    alice.send(r#"421["chat message",{"body":"hi"}]"#);

    let (name, message) = alice.event().await;
    assert_eq!(name, "chat message");
    assert_eq!(message["body"], "hi");
    let id = message["id"].as_u64().unwrap();
    assert!(message["sent_at"].as_i64().unwrap() > 1_700_000_000_000);
    assert_eq!(
        parse_ack(&alice.recv().await, 1),
        Some(json!({"ok": {"id": id}}))
    );
    assert_eq!(bob.event().await, (name, message));

    let second = alice.chat(2, r#"{"body":"again"}"#).await;
    assert_eq!(second["ok"]["id"].as_u64(), Some(id + 1));
}

#[tokio::test]
async fn invalid_bodies_are_refused_and_not_broadcast() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    let mut bob = WsClient::join(&server).await;
    let too_long = "x".repeat(natter_contract::MAX_MESSAGE_CHARS + 1);
    for (body, code) in [
        ("", "empty_message"),
        (" \t\n ", "empty_message"),
        (&*too_long, "message_too_long"),
    ] {
        let ack = alice.chat(1, &json!({ "body": body }).to_string()).await;
        assert_eq!(error_code(&ack), code);
        assert!(
            ack["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Broadcasts go out in arrival order, so a refused message would have arrived first.
    alice.send(r#"42["chat message",{"body":"valid"}]"#);
    assert_eq!(bob.event().await.1["body"], "valid");
}

#[tokio::test]
async fn wrong_payloads_and_unknown_events_get_invalid_payload() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    for payload in [
        r#"42"#,
        r#""plain string""#,
        r#"{"body":3}"#,
        r#"{"body":"x","admin":true}"#,
        "null",
        "[]",
        r#"["array instead of object"]"#,
        "{}",
    ] {
        assert_eq!(
            error_code(&alice.chat(7, payload).await),
            "invalid_payload",
            "{payload}"
        );
    }
    alice.send(r#"427["chat message"]"#);
    assert_eq!(
        error_code(&parse_ack(&alice.recv().await, 7).unwrap()),
        "invalid_payload"
    );
    alice.send(r#"428["delete everything",{"body":"x"}]"#);
    assert_eq!(
        error_code(&parse_ack(&alice.recv().await, 8).unwrap()),
        "invalid_payload"
    );

    // Without an ack id there is nothing to answer; the session carries on.
    alice.send(r#"42["delete everything"]"#);
    assert!(alice.chat(9, r#"{"body":"still here"}"#).await["ok"]["id"].is_u64());

    alice.send("40/admin,");
    let refused = alice.recv().await;
    assert!(refused.starts_with("44/admin,{"), "{refused}");
}

#[tokio::test]
async fn websocket_only_server_refuses_polling() {
    let server = start(Config {
        transports: Transports::WEBSOCKET_ONLY,
        ..test_config()
    })
    .await;
    let status = polling_open(&server, None).await.status();
    assert!(
        status.is_client_error(),
        "polling handshake answered {status}"
    );
    let (_, open) = WsClient::open(&server, None, true).await.unwrap();
    assert_eq!(open["upgrades"], json!([]));
    let mut alice = WsClient::join(&server).await;
    let mut bob = WsClient::join(&server).await;
    assert!(alice.chat(1, r#"{"body":"ws only"}"#).await["ok"]["id"].is_u64());
    assert_eq!(bob.event().await.1["body"], "ws only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_numbered_and_delivered_in_order() {
    let server = start(test_config()).await;
    let alice = WsClient::join(&server).await;
    let mut bob = WsClient::join(&server).await;
    let burst = (0..50).map(|n| Message::text(format!(r#"42["chat message",{{"body":"{n}"}}]"#)));
    alice.send_raw(burst.collect());
    let mut last_id = 0;
    for n in 0..50 {
        let (_, message) = bob.event().await;
        assert_eq!(message["body"], n.to_string());
        let id = message["id"].as_u64().unwrap();
        assert!(id > last_id, "id {id} after {last_id}");
        last_id = id;
    }
}

#[tokio::test]
async fn polling_clients_chat_with_websocket_clients() {
    let server = start(test_config()).await;
    let mut bob = WsClient::join(&server).await;
    let session = PollingSession::open(&server).await;
    session.post("40").await;
    let connected = session.get().await;
    assert!(
        connected.iter().any(|p| p.starts_with("40{\"sid\":")),
        "{connected:?}"
    );

    session
        .post(r#"425["chat message",{"body":"from polling"}]"#)
        .await;
    assert_eq!(bob.event().await.1["body"], "from polling");
    let mut packets = Vec::new();
    within("the polling ack", async {
        while !packets.iter().any(|p: &String| p.starts_with("435")) {
            packets.extend(session.get().await);
        }
    })
    .await;
    assert!(
        packets[0].starts_with(r#"42["chat message""#),
        "{packets:?}"
    );
    assert!(parse_ack(&packets[1], 5).unwrap()["ok"]["id"].is_u64());
}
