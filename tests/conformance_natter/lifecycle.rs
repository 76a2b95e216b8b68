//! How sessions end against Natter, and come back: a silent network (ping timeout), the server
//! dying and restarting on the same port and data dir, its graceful `io.close()`, a server
//! DISCONNECT, and the client leaving. A room subscription belongs to the server's socket, so
//! after every reconnection the client syncs again, as the browser does.

use crate::{client::*, server::*};
use natter_client::{CloseReason, DisconnectReason, Event, TransportKind, TransportKind::*};
use natter_contract::event;
use natter_testkit::proxy::Proxy;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

async fn back_in_the_room(c: &mut Client, body: &str) {
    c.reconnecting().await;
    c.connected("/").await;
    c.sync(0).await;
    c.round_trip(body).await;
}

/// The network swallows everything: no pings, no close. The client notices by itself within
/// Natter's pingInterval + pingTimeout (300 + 200 ms here), then reconnects.
async fn ping_timeout_then_reconnect(transports: &[TransportKind]) {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let proxy = Proxy::start(server.port).await;
    let mut c = Client::member(&proxy.url(), transports, &server.token().await).await;
    if transports.contains(&WebSocket) {
        c.upgraded().await;
    }
    c.round_trip("before the freeze").await;
    // 300 + 200 ms at most after the last ping, plus timer and scheduling slack.
    let within = Duration::from_millis(1500);
    proxy.freeze_until_ping_timeout(&mut c, within).await;
    back_in_the_room(&mut c, "after the freeze").await;
}

#[tokio::test]
async fn ping_timeout_over_websocket_then_reconnects() {
    ping_timeout_then_reconnect(&[Polling, WebSocket]).await;
}

#[tokio::test]
async fn ping_timeout_over_polling_then_reconnects() {
    ping_timeout_then_reconnect(&[Polling]).await;
}

/// The server dies (every socket dropped, no close sent) and comes back on the same port and
/// data dir: the client reconnects with backoff, its session and history survived, and an
/// at-least-once emit made while the server was down is delivered.
#[tokio::test]
async fn reconnects_after_the_server_restarts() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let (port, url) = (server.port, server.url());
    let token = server.token().await;
    let mut c = Client::connect(options(&url, &[Polling, WebSocket], &token));
    c.connected("/").await;
    c.sync(0).await;
    c.upgraded().await;
    let before = c.round_trip("before the restart").await;
    drop(server);
    assert!(matches!(
        c.disconnect_reason().await,
        DisconnectReason::Engine(_)
    ));
    // A few failed attempts while nothing listens.
    for _ in 0..2 {
        c.reconnecting().await;
    }
    let (id, handle) = (new_id(), c.handle.clone());
    let queued = chat(&id, "sent while down");
    let pending = tokio::spawn(async move {
        handle
            .emit_raw_reliable("/", event::CHAT_MESSAGE, vec![queued], vec![])
            .await
    });
    let _server = Natter::start_on(port, config(data.path())).await;
    c.connected("/").await;
    let reply = tokio::time::timeout(STEP, pending)
        .await
        .expect("the queued emit completes")
        .unwrap()
        .unwrap();
    assert_eq!(
        reply.args[0]["ok"]["seq"],
        json!(before["seq"].as_u64().unwrap() + 1)
    );
    let page = c.sync(0).await;
    assert_eq!(copies_of(&page, &id).len(), 1, "{page}");
    assert_eq!(
        page["messages"][0]["id"], before["id"],
        "history survived: {page}"
    );
    c.round_trip("after the restart").await;
}

/// Natter's graceful shutdown (stop accepting, `io.close()`): clients hear "transport close"
/// at once, not a ping timeout later, and reconnect to the next instance on the same port.
/// (socketioxide's `close` also drops the namespaces, so a closed instance that kept accepting
/// would refuse "/"; Natter's stops accepting first.)
#[tokio::test]
async fn a_graceful_shutdown_is_followed_by_a_reconnect() {
    let data = tempfile::tempdir().unwrap();
    let mut config = config(data.path());
    // Long heartbeats, so that only the close packet can explain a quick disconnect.
    config.ping_interval = Duration::from_secs(20);
    config.ping_timeout = Duration::from_secs(20);
    let server = Natter::start(config.clone()).await;
    let (port, url) = (server.port, server.url());
    let mut clients = Vec::new();
    for transports in [&[Polling][..], &[WebSocket], &[Polling, WebSocket]] {
        let mut c = Client::member(&url, transports, &server.token().await).await;
        if transports.len() == 2 {
            c.upgraded().await;
        }
        clients.push(c);
    }
    let closed_at = Instant::now();
    server.shutdown().await;
    for c in &mut clients {
        let reason = c.disconnect_reason().await;
        assert_eq!(
            reason,
            DisconnectReason::Engine(CloseReason::TransportClose)
        );
    }
    let noticed = closed_at.elapsed();
    assert!(
        noticed < Duration::from_secs(5),
        "noticed after {noticed:?}"
    );
    let _next = Natter::start_on(port, config).await;
    for (i, c) in clients.iter_mut().enumerate() {
        back_in_the_room(c, &format!("client {i} is back")).await;
    }
}

/// A server-side DISCONNECT (socketioxide `disconnect()`) is final: no reconnection.
#[tokio::test]
async fn a_server_disconnect_is_final() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let mut c = Client::member(&server.url(), &[WebSocket], &server.token().await).await;
    server.disconnect_all().await;
    assert_eq!(
        c.disconnect_reason().await,
        DisconnectReason::IoServerDisconnect
    );
    c.refute("a reconnection", Duration::from_millis(1500), |e| {
        matches!(e, Event::Reconnecting { .. } | Event::Connected { .. })
    })
    .await;
}

/// We leave: no reconnection, and messages emitted just before a close still get stored, even
/// over polling where the close must wait for the POST in flight.
#[tokio::test]
async fn leaving_flushes_what_was_queued() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let mut ids = Vec::new();
    for transport in [Polling, WebSocket] {
        let mut c = Client::member(&server.url(), &[transport], &server.token().await).await;
        for n in 0..2 {
            let id = new_id();
            let payload = chat(&id, &format!("{transport:?} {n}"));
            c.handle
                .emit_raw("/", event::CHAT_MESSAGE, vec![payload], vec![])
                .unwrap();
            ids.push(id);
        }
        c.handle.close();
        c.finished().await;
        let reasons: Vec<_> = c.disconnects().into_iter().cloned().collect();
        assert!(
            reasons.iter().all(|e| matches!(
                e,
                Event::Disconnected {
                    reason: DisconnectReason::IoClientDisconnect,
                    ..
                } | Event::Disconnected {
                    reason: DisconnectReason::Engine(CloseReason::ForcedClose),
                    ..
                }
            )),
            "{reasons:?}"
        );
        assert!(
            !c.seen
                .iter()
                .any(|e| matches!(e, Event::Reconnecting { .. }))
        );
    }
    // Nothing acked them, so they are only known to be stored once the writer gets to them.
    let observer = Client::member(&server.url(), &[WebSocket], &server.token().await).await;
    let deadline = Instant::now() + STEP;
    loop {
        let page = observer.sync(0).await;
        let missing: Vec<_> = ids
            .iter()
            .filter(|id| copies_of(&page, id).len() != 1)
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing:?} not stored once: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
