//! The retry queue against Natter's dedupe by `client_id`: a message whose ack was lost is
//! sent again after the reconnection, and the server answers with the original row instead of
//! storing (or broadcasting) a second copy.

use crate::{client::*, server::*};
use natter_client::{CloseReason, DisconnectReason, Event, TransportKind::*};
use natter_contract::event;
use natter_testkit::proxy::Proxy;
use std::time::Duration;

#[tokio::test]
async fn a_resend_after_a_lost_ack_is_stored_once() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let proxy = Proxy::start(server.port).await;
    let mut observer = Client::member(&server.url(), &[WebSocket], &server.token().await).await;
    let mut c = Client::member(&proxy.url(), &[WebSocket], &server.token().await).await;

    // The message reaches the server; nothing (ack, broadcast, pings) comes back.
    proxy.freeze_replies();
    let id = new_id();
    let handle = c.handle.clone();
    let payload = chat(&id, "said once");
    let pending = tokio::spawn(async move {
        handle
            .emit_raw_reliable("/", event::CHAT_MESSAGE, vec![payload], vec![])
            .await
    });
    let stored = observer.broadcast(&id).await;

    let reason = c.disconnect_reason().await;
    assert_eq!(reason, DisconnectReason::Engine(CloseReason::PingTimeout));
    assert!(!pending.is_finished(), "acked through a frozen network");
    proxy.cut_frozen();
    c.connected("/").await;

    let reply = tokio::time::timeout(STEP, pending)
        .await
        .expect("the resend is acked")
        .unwrap()
        .unwrap();
    assert_same_message(&reply.args[0]["ok"], &stored);

    // The duplicate was neither broadcast nor stored, and sending it yet again is harmless.
    let copy_of_it = |e: &Event| match e {
        Event::Event { args, .. } => args.first().is_some_and(|m| m["client_id"] == id),
        _ => false,
    };
    observer
        .refute("a second broadcast", Duration::from_millis(500), copy_of_it)
        .await;
    let again = c.say(&id, "said once").await;
    assert_same_message(&again, &stored);
    let page = observer.sync(0).await;
    assert_eq!(copies_of(&page, &id).len(), 1, "{page}");
    assert_eq!(page["latest_seq"], stored["seq"], "{page}");
}

/// A resend does not even need the same body: the `client_id` alone names the message among
/// its author's, so an edited retry cannot sneak in a second row. Another author's message
/// with the same `client_id` is a message of its own.
#[tokio::test]
async fn the_client_id_alone_names_the_message() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let mut c = Client::member(&server.url(), &[Polling], &server.token().await).await;
    let id = new_id();
    let first = c.say(&id, "original").await;
    let message = c.broadcast(&id).await;
    let second = c.say(&id, "edited").await;
    assert_eq!(first, second);
    let page = c.sync(0).await;
    assert_eq!(copies_of(&page, &id), [&message]);

    let mut other = Client::member(&server.url(), &[WebSocket], &server.token().await).await;
    let theirs = other.say(&id, "someone else's").await;
    assert_eq!(
        theirs["seq"],
        first["seq"].as_u64().unwrap() + 1,
        "{theirs}"
    );
    let theirs = other.broadcast(&id).await;
    let page = c.sync(0).await;
    assert_eq!(copies_of(&page, &id), [&message, &theirs]);
    assert_ne!(message["author"], theirs["author"], "{page}");
}
