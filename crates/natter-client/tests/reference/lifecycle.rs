//! How sessions end: the server disconnects us, the network goes silent (ping timeout), the
//! server restarts, we leave.

use crate::support::*;
use natter_client::{Backoff, DisconnectReason, Event, Options, TransportKind, TransportKind::*};
use natter_testkit::proxy::Proxy;
use serde_json::json;
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(2000);

#[tokio::test]
async fn a_server_disconnect_is_final() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(Options::new(server.url()));
    c.connected("/").await;
    c.handle
        .emit_raw("/", "disconnect-me", vec![], vec![])
        .unwrap();
    let reason = c.disconnect_reason().await;
    assert_eq!(reason, DisconnectReason::IoServerDisconnect);
    c.refute("a reconnection", QUIET, |e| {
        matches!(e, Event::Reconnecting { .. } | Event::Connected { .. })
    })
    .await;
    let observer = Client::connect(Options::new(server.url()));
    let stats = observer.stats("/").await;
    assert_eq!(stats["connections"]["/"], 2, "ours once, then the observer");
    assert_eq!(
        stats["disconnects"],
        json!([["/", "server namespace disconnect"]])
    );
}

#[tokio::test]
async fn a_server_disconnect_of_one_namespace_keeps_the_others() {
    let server = Fixture::start(&[]).await;
    let mut options = Options::new(server.url());
    options
        .namespaces
        .push(("/admin".into(), Some(json!({"token": "secret"}))));
    let mut c = Client::connect(options);
    c.seen_connected("/").await;
    c.seen_connected("/admin").await;
    c.handle
        .emit_raw("/", "disconnect-me", vec![json!(false)], vec![])
        .unwrap();
    c.expect("Disconnected /", STEP, |e| {
        matches!(e, Event::Disconnected { nsp, reason: DisconnectReason::IoServerDisconnect } if nsp == "/").then_some(())
    })
    .await;
    c.echo_round_trip("/admin", hello()).await;
    c.refute("a reconnection", Duration::from_millis(500), |e| {
        matches!(e, Event::Reconnecting { .. })
    })
    .await;
    assert!(
        !c.seen
            .iter()
            .any(|e| matches!(e, Event::Disconnected { nsp, .. } if nsp == "/admin"))
    );
}

/// We leave: the DISCONNECT goes out before the connection closes, even over polling, where
/// closing must wait for the POST in flight rather than race a second one.
#[tokio::test]
async fn leaving_the_last_namespace_says_so_before_closing() {
    let server = Fixture::start(&[]).await;
    // Kept alive to the end: their connections must close by themselves, not by being dropped.
    let mut clients = Vec::new();
    for transport in [Polling, WebSocket] {
        let mut c = Client::connect(options(&server.url(), &[transport]));
        c.connected("/").await;
        // Something in flight as we leave.
        c.handle
            .emit_raw("/", "echo", vec![json!("x".repeat(2000))], vec![])
            .unwrap();
        c.handle.disconnect("/").unwrap();
        c.expect("Disconnected", STEP, |e| {
            matches!(
                e,
                Event::Disconnected {
                    reason: DisconnectReason::IoClientDisconnect,
                    ..
                }
            )
            .then_some(())
        })
        .await;
        c.refute("a reconnection", Duration::from_millis(500), |e| {
            matches!(e, Event::Reconnecting { .. })
        })
        .await;
        clients.push(c);
    }
    let observer = Client::connect(Options::new(server.url()));
    let stats = observer.stats("/").await;
    let reasons = json!([
        ["/", "client namespace disconnect"],
        ["/", "client namespace disconnect"]
    ]);
    assert_eq!(stats["disconnects"], reasons);
    assert_eq!(
        stats["engineClients"], 1,
        "only the observer's connection is left"
    );
}

/// `Handle::close` right after two emits over polling: one is in a POST, the other waits for
/// it. Both reach the server before the close packet, and the driver task then ends.
#[tokio::test]
async fn close_flushes_queued_writes_over_polling() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(options(&server.url(), &[Polling]));
    c.connected("/").await;
    for id in ["first", "second"] {
        let args = vec![json!({"id": id, "drop": 0})];
        c.handle.emit_raw("/", "flaky", args, vec![]).unwrap();
    }
    c.handle.close();
    c.finished().await;
    let observer = Client::connect(Options::new(server.url()));
    let stats = observer.stats("/").await;
    assert_eq!(stats["flaky"], json!({"first": 1, "second": 1}));
    assert_eq!(stats["disconnects"], json!([["/", "transport close"]]));
    assert_eq!(
        stats["engineClients"], 1,
        "only the observer's connection is left"
    );
}

/// The network swallows everything: no pings, no close. The client notices by itself within
/// pingInterval + pingTimeout, then reconnects.
async fn ping_timeout_then_reconnect(transports: &[TransportKind]) {
    let server = Fixture::start(&["--ping-interval=300", "--ping-timeout=200"]).await;
    let proxy = Proxy::start(server.port).await;
    let mut c = Client::connect(options(&proxy.url(), transports));
    c.connected("/").await;
    if transports.contains(&WebSocket) {
        c.upgraded().await;
    }
    c.echo_round_trip("/", hello()).await;
    // 300 + 200 ms at most after the last ping, plus timer and scheduling slack.
    let within = Duration::from_millis(1500);
    proxy.freeze_until_ping_timeout(&mut c, within).await;
    c.reconnecting().await;
    c.connected("/").await;
    c.echo_round_trip("/", hello()).await;
}

#[tokio::test]
async fn ping_timeout_over_websocket_then_reconnects() {
    ping_timeout_then_reconnect(&[Polling, WebSocket]).await;
}

#[tokio::test]
async fn ping_timeout_over_polling_then_reconnects() {
    ping_timeout_then_reconnect(&[Polling]).await;
}

/// The server process dies and comes back on the same port: the client reconnects with
/// backoff, and an at-least-once emit made while it was down is delivered.
#[tokio::test]
async fn reconnects_after_the_server_restarts() {
    let server = Fixture::start(&[]).await;
    let port = server.port;
    let mut options = Options::new(server.url());
    options.config.backoff = Backoff {
        min_ms: 100,
        max_ms: 500,
        ..Backoff::default()
    };
    options.config.ack_timeout_ms = Some(2000);
    let mut c = Client::connect(options);
    c.connected("/").await;
    c.upgraded().await;
    let first = c.whoami("/").await;
    server.kill().await;
    c.expect("Disconnected", STEP, |e| {
        matches!(
            e,
            Event::Disconnected {
                reason: DisconnectReason::Engine(_),
                ..
            }
        )
        .then_some(())
    })
    .await;
    // A few failed attempts while nothing listens.
    for _ in 0..2 {
        c.reconnecting().await;
    }
    let handle = c.handle.clone();
    let pending = tokio::spawn(async move {
        handle
            .emit_raw_reliable(
                "/",
                "flaky",
                vec![json!({"id": "while-down", "drop": 0})],
                vec![],
            )
            .await
    });
    let server = Fixture::start_on(port, &[]).await;
    c.connected("/").await;
    let reply = tokio::time::timeout(STEP, pending)
        .await
        .expect("the queued emit completes")
        .unwrap()
        .unwrap();
    assert_eq!(reply.args, [json!({"id": "while-down", "seen": 1})]);
    c.echo_round_trip("/", hello()).await;
    assert_ne!(
        c.whoami("/").await["engine"],
        first["engine"],
        "a new session on the new server"
    );
    drop(server);
}
