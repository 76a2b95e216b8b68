//! Chatting: broadcast, acks, validation and ordering.

use natter::server::{Config, Transports};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

#[tokio::test]
async fn message_reaches_the_room_then_sender_gets_ack() {
    let server = start(test_config()).await;
    let mut alice = WsClient::member(&server).await;
    let mut bob = WsClient::member(&server).await;
    let id = client_id();
    alice.send(&format!(
        r#"421["chat message",{}]"#,
        message_with_id(&id, "hi")
    ));

    let (name, broadcast) = alice.event().await;
    assert_eq!(name, "chat message");
    assert_eq!(broadcast["body"], "hi");
    assert_eq!(broadcast["room"], "general");
    assert_eq!(broadcast["client_id"], id);
    assert_eq!(broadcast["seq"], 1);
    let row_id = broadcast["id"].as_i64().unwrap();
    let sent_at = broadcast["sent_at"].as_i64().unwrap();
    assert!(sent_at > 1_700_000_000_000);
    assert_eq!(
        parse_ack(&alice.recv().await, 1),
        Some(json!({"ok": {"id": row_id, "seq": 1, "sent_at": sent_at}}))
    );
    assert_eq!(bob.event().await, (name, broadcast));

    let second = alice.chat(2, &message("again")).await;
    assert_eq!(second["ok"]["seq"], 2);
}

#[tokio::test]
async fn invalid_messages_are_refused_and_not_broadcast() {
    let server = start(test_config()).await;
    let mut alice = WsClient::member(&server).await;
    let mut bob = WsClient::member(&server).await;
    let too_long = "x".repeat(natter_contract::MAX_MESSAGE_CHARS + 1);
    let payload = |room: &str, id: &str, body: &str| {
        json!({ "room": room, "client_id": id, "body": body }).to_string()
    };
    let id = client_id();
    for (payload, code) in [
        (payload("general", &id, ""), "empty_message"),
        (payload("general", &id, " \t\n "), "empty_message"),
        (payload("general", &id, &too_long), "message_too_long"),
        (payload("general", "not-a-uuid", "hi"), "invalid_id"),
        (payload("general", "", "hi"), "invalid_id"),
        (payload("nowhere", &id, "hi"), "unknown_room"),
        (payload("../etc", &id, "hi"), "unknown_room"),
        (payload("", &id, "hi"), "unknown_room"),
    ] {
        let ack = alice.chat(1, &payload).await;
        assert_eq!(error_code(&ack), code, "{payload}");
        assert!(
            ack["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Broadcasts go out in arrival order, so a refused message would have arrived first.
    alice.send(&format!(r#"42["chat message",{}]"#, message("valid")));
    let (_, valid) = bob.event().await;
    assert_eq!(
        (valid["body"].as_str(), valid["seq"].as_u64()),
        (Some("valid"), Some(1))
    );
    assert_eq!(server.store.latest_seq("general").await.unwrap(), 1);
}

#[tokio::test]
async fn wrong_payloads_and_unknown_events_get_invalid_payload() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    let id = client_id();
    for payload in [
        r#"42"#,
        r#""plain string""#,
        &json!({"room": "general", "client_id": id, "body": 3}).to_string(),
        &json!({"room": "general", "client_id": id, "body": "x", "admin": true}).to_string(),
        &json!({"room": "general", "body": "x"}).to_string(),
        r#"{"body":"x"}"#,
        "null",
        "[]",
        &json!(["general", id, "array instead of object"]).to_string(),
        "{}",
    ] {
        for event in ["chat message", "sync", "history"] {
            assert_eq!(
                error_code(&alice.emit(7, event, payload).await),
                "invalid_payload",
                "{event} {payload}"
            );
        }
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
    assert_eq!(alice.chat(9, &message("still here")).await["ok"]["seq"], 1);

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
    let mut alice = WsClient::member(&server).await;
    let mut bob = WsClient::member(&server).await;
    assert!(alice.chat(1, &message("ws only")).await["ok"]["seq"].is_u64());
    assert_eq!(bob.event().await.1["body"], "ws only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_numbered_and_delivered_in_order() {
    let server = start(test_config()).await;
    let alice = WsClient::join(&server).await;
    let mut bob = WsClient::member(&server).await;
    let burst = (0..50)
        .map(|n| Message::text(format!(r#"42["chat message",{}]"#, message(&n.to_string()))));
    alice.send_raw(burst.collect());
    for n in 0..50 {
        let (_, broadcast) = bob.event().await;
        assert_eq!(broadcast["body"], n.to_string());
        assert_eq!(broadcast["seq"], n + 1);
    }
}

#[tokio::test]
async fn polling_clients_chat_with_websocket_clients() {
    let server = start(test_config()).await;
    let mut bob = WsClient::member(&server).await;
    let session = PollingSession::join(&server).await;
    let (_, synced) = session.emit(4, "sync", &sync_after(0)).await;
    assert_eq!(page_seqs(&synced), Vec::<u64>::new());

    session
        .post(&format!(
            r#"425["chat message",{}]"#,
            message("from polling")
        ))
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
    assert_eq!(parse_ack(&packets[1], 5).unwrap()["ok"]["seq"], 1);
}

#[tokio::test]
async fn a_message_with_markdown_carries_its_tree_everywhere_and_a_plain_one_none() {
    use crate::people::{next_event, ok, say, users};
    let server = start(test_config()).await;
    let [ana, bob] = users(&server, ["ana", "bob"]).await;
    let mut a = WsClient::join_as(&server, &ana).await;
    let mut b = WsClient::join_as(&server, &bob).await;
    ok(&mut b, "sync", json!({ "room": "general", "after_seq": 0 })).await;
    let start = ok(&mut a, "sync", json!({ "room": "general", "after_seq": 0 })).await;
    let base = start["latest_seq"].as_u64().unwrap();

    // A plain line costs the wire nothing: no tree, live or in the ack.
    let plain = ok(&mut a, "chat message", say("general", "just words")).await;
    assert!(plain.get("markup").is_none(), "{plain}");
    let live = next_event(&mut b, "chat message").await;
    assert!(live.get("markup").is_none(), "{live}");

    let body = "**hi** @bob <script>x()</script> [x](javascript:alert(1))";
    let tree = json!([{ "p": [
        { "strong": [{ "t": "hi" }] }, { "t": " " }, { "at": "bob" },
        { "t": " <script>x()</script> [x](javascript:alert(1))" },
    ] }]);
    let sent = ok(&mut a, "chat message", say("general", body)).await;
    assert_eq!(
        sent["markup"], tree,
        "the ack, for a client that places it from the ack"
    );
    let live = next_event(&mut b, "chat message").await;
    assert_eq!((&live["body"], &live["markup"]), (&json!(body), &tree));

    // Read back (sync, history) it is parsed again, the same.
    let page = ok(
        &mut b,
        "sync",
        json!({ "room": "general", "after_seq": base }),
    )
    .await;
    let rows = page["messages"].as_array().unwrap();
    assert!(rows[0].get("markup").is_none());
    assert_eq!(rows[1]["markup"], tree);

    // An edit brings its own tree, and the message shows it; a plain edit drops it.
    let seq = sent["seq"].as_u64().unwrap();
    let edit = |body: &str| json!({ "room": "general", "seq": seq, "client_id": client_id(), "body": body });
    ok(&mut a, "edit message", edit("_soft_")).await;
    let change = next_event(&mut b, "chat message").await;
    assert_eq!(
        change["markup"],
        json!([{ "p": [{ "em": [{ "t": "soft" }] }] }])
    );
    ok(&mut a, "edit message", edit("plain again")).await;
    next_event(&mut b, "chat message").await;
    let page = ok(
        &mut b,
        "history",
        json!({ "room": "general", "before_seq": seq + 1 }),
    )
    .await;
    let message = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (message["seq"].as_u64(), &message["body"]),
        (Some(seq), &json!("plain again"))
    );
    assert!(message.get("markup").is_none(), "{message}");
}

#[tokio::test]
async fn mentions_of_nobody_in_the_room_are_told_and_the_named_count_them_apart() {
    use crate::people::{ok, say, users};
    let server = start(test_config()).await;
    let [ana, bob] = users(&server, ["ana", "bob"]).await;
    let mut a = WsClient::join_as(&server, &ana).await;
    let mut b = WsClient::join_as(&server, &bob).await;
    ok(&mut a, "sync", json!({ "room": "general", "after_seq": 0 })).await;

    // Stored all the same; the ack says whom it could not call, as written.
    let body = "@Bob @ghost and @ana, not `@code`; @no!";
    let sent = ok(&mut a, "chat message", say("general", body)).await;
    assert_eq!(sent["unknown_mentions"], json!(["ghost", "no"]), "{sent}");
    let known = ok(&mut a, "chat message", say("general", "thanks @bob")).await;
    assert!(known.get("unknown_mentions").is_none(), "{known}");
    // An edit is told too.
    let seq = known["seq"].as_u64().unwrap();
    let edit =
        json!({ "room": "general", "seq": seq, "client_id": client_id(), "body": "@carol?" });
    let edited = ok(&mut a, "edit message", edit).await;
    assert_eq!(edited["unknown_mentions"], json!(["carol"]), "{edited}");

    let sidebar = ok(&mut b, "sidebar", serde_json::Value::Null).await;
    let line = sidebar
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["room"] == "general")
        .unwrap()
        .clone();
    assert_eq!(
        (&line["unread"], &line["mentions"]),
        (&json!(2), &json!(1)),
        "{line}"
    );
    let sidebar = ok(&mut a, "sidebar", serde_json::Value::Null).await;
    let line = sidebar
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["room"] == "general")
        .unwrap()
        .clone();
    assert_eq!(line["mentions"], json!(0), "never for one's own: {line}");
}
