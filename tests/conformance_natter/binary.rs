//! Natter defines no binary events. Its parser limits (one attachment of at most 4 KiB) let a
//! stray small one reach the handlers, which refuse it with an error ack; anything beyond the
//! limits costs the sender its connection. Neither may touch anybody else's session.

use crate::{client::*, server::*};
use natter_client::{AckError, EmitError, Event, TransportKind, TransportKind::*, placeholder};
use natter_contract::event;
use serde_json::json;
use std::time::Duration;

async fn binary_is_refused_over(transport: TransportKind) {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let mut bystander = Client::member(&server.url(), &[WebSocket], &server.token().await).await;
    let mut c = Client::member(&server.url(), &[transport], &server.token().await).await;
    let timeout_ms = STEP.as_millis() as u64;

    let id = new_id();
    let body_as_bytes = vec![json!({"room": "general", "client_id": id, "body": placeholder(0)})];
    let refused = c.handle.emit_binary_with_ack(
        "/",
        event::CHAT_MESSAGE,
        body_as_bytes,
        vec![b"hi".to_vec()],
        timeout_ms,
    );
    let refused = refused.await.unwrap();
    assert_eq!(
        refused.args[0]["error"]["code"], "invalid_payload",
        "{refused:?}"
    );
    c.round_trip("the session survived a small attachment")
        .await;

    let over_limits = [
        (vec![placeholder(0), placeholder(1)], vec![vec![1], vec![2]]),
        (vec![placeholder(0)], vec![vec![7; 5000]]),
    ];
    for (args, attachments) in over_limits {
        let dropped = c
            .handle
            .emit_binary_with_ack("/", "upload", args, attachments, timeout_ms)
            .await;
        // Answered at once by the lost connection, not by a timeout.
        assert_eq!(dropped, Err(EmitError::Ack(AckError::Disconnected)));
        c.expect("Disconnected", STEP, |e| {
            matches!(e, Event::Disconnected { .. }).then_some(())
        })
        .await;
        c.connected("/").await;
        c.sync(0).await;
    }

    bystander.round_trip("unaffected").await;
    let page = bystander.sync(0).await;
    assert!(copies_of(&page, &id).is_empty(), "{page}");
    bystander
        .refute("a disconnect", Duration::from_millis(300), |e| {
            matches!(e, Event::Disconnected { .. })
        })
        .await;
    assert!(
        bystander.disconnects().is_empty(),
        "{:?}",
        bystander.disconnects()
    );
}

#[tokio::test]
async fn binary_is_refused_over_polling() {
    binary_is_refused_over(Polling).await;
}

#[tokio::test]
async fn binary_is_refused_over_websocket() {
    binary_is_refused_over(WebSocket).await;
}
