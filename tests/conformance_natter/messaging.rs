//! Natter's event contract over each transport: `sync` and `chat message` with their acks,
//! the broadcast to every synced client (naming the author the session belongs to), and the
//! error acks. (The server never asks a client for an ack, so acks go one way only.)

use crate::{client::*, server::*};
use natter_client::{Event, TransportKind, TransportKind::*};
use natter_contract::{Ack, DEFAULT_ROOM, ErrorCode, SendAck, SendMessage, event};
use serde_json::{Value, json};
use std::time::Duration;

async fn events_and_acks_over(transport: TransportKind, listener_transport: TransportKind) {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let author = server.user("author").await;
    let mut c = Client::connect(options(&server.url(), &[transport], &author.token));
    c.connected("/").await;
    let token = server.token().await;
    let mut listener = Client::member(&server.url(), &[listener_transport], &token).await;
    // Not synced yet: it must not hear the room.
    let token = server.token().await;
    let mut bystander = Client::connect(options(&server.url(), &[transport], &token));
    bystander.connected("/").await;

    let page = c.sync(0).await;
    assert_eq!(
        page,
        json!({"room": DEFAULT_ROOM, "messages": [], "has_more": false, "latest_seq": 0})
    );

    let id = new_id();
    let sent = c.say(&id, "héllo ✓ \u{1e} 😀").await;
    assert_eq!(sent["seq"], 1);
    for client in [&mut c, &mut listener] {
        let message = client.broadcast(&id).await;
        assert_same_message(&sent, &message);
        assert_eq!(
            (&message["room"], &message["body"]),
            (&json!(DEFAULT_ROOM), &json!("héllo ✓ \u{1e} 😀"))
        );
        assert_eq!(
            message["author"],
            json!({"id": author.user.id, "name": "author"}),
            "{message}"
        );
    }
    bystander
        .refute(
            "a broadcast to an unsynced client",
            Duration::from_millis(300),
            chat_message,
        )
        .await;

    // The typed API, with the contract's own types on both sides.
    let typed = SendMessage {
        room: DEFAULT_ROOM.into(),
        client_id: new_id(),
        body: "typed".into(),
    };
    let ack: SendAck = c
        .handle
        .emit_with_ack(event::CHAT_MESSAGE, &typed, STEP.as_millis() as u64)
        .await
        .unwrap();
    let Ack::Ok(sent) = ack else {
        panic!("typed send acked {ack:?}")
    };
    assert_eq!(sent.seq, 2);
    let message = listener.broadcast(&typed.client_id).await;
    assert_eq!(
        (message["seq"].as_u64(), &message["body"]),
        (Some(2), &json!("typed"))
    );

    // The page now holds both, oldest first.
    let page = listener.sync(0).await;
    let seqs: Vec<&Value> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["seq"])
        .collect();
    assert_eq!(
        (seqs, &page["latest_seq"]),
        (vec![&json!(1), &json!(2)], &json!(2))
    );
    assert_eq!(listener.sync(2).await["messages"], json!([]));
}

#[tokio::test]
async fn events_and_acks_over_polling() {
    events_and_acks_over(Polling, WebSocket).await;
}

#[tokio::test]
async fn events_and_acks_over_websocket() {
    events_and_acks_over(WebSocket, Polling).await;
}

fn error_code(ack: &Value) -> &str {
    ack["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error ack, got {ack}"))
}

#[tokio::test]
async fn refusals_come_back_as_error_acks() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let mut c = Client::member(&server.url(), &[WebSocket], &server.token().await).await;
    let cases = [
        (
            event::CHAT_MESSAGE,
            chat(&new_id(), " \n"),
            ErrorCode::EmptyMessage,
        ),
        (
            event::CHAT_MESSAGE,
            chat("not-a-uuid", "x"),
            ErrorCode::InvalidId,
        ),
        (
            event::CHAT_MESSAGE,
            json!({"room": "general", "body": "x"}),
            ErrorCode::InvalidPayload,
        ),
        (event::CHAT_MESSAGE, json!(["x"]), ErrorCode::InvalidPayload),
        (
            event::SYNC,
            json!({"room": DEFAULT_ROOM, "after_seq": 5}),
            ErrorCode::SeqOutOfRange,
        ),
        (
            event::SYNC,
            json!({"room": "../etc", "after_seq": 0}),
            ErrorCode::UnknownRoom,
        ),
        ("no such event", json!({}), ErrorCode::InvalidPayload),
    ];
    for (name, payload, code) in cases {
        let ack = c.call(name, payload.clone()).await;
        let want = serde_json::to_value(code).unwrap();
        assert_eq!(error_code(&ack), want, "{name} {payload}: {ack}");
        assert!(
            ack["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{ack}"
        );
    }
    // None of them was stored or broadcast, and the session is intact.
    c.refute("a broadcast", Duration::from_millis(300), chat_message)
        .await;
    assert_eq!(c.sync(0).await["latest_seq"], 0);
    c.round_trip("still fine").await;
    assert!(c.disconnects().is_empty(), "{:?}", c.disconnects());
}

/// A chat message pushed by the server (presence changes reach every tab, synced or not).
fn chat_message(event: &Event) -> bool {
    matches!(event, Event::Event { name, .. } if name == natter_contract::event::CHAT_MESSAGE)
}
