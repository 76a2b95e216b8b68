//! Which transport a session runs on, and the polling rules the reference server enforces
//! (it drops a session on a second concurrent GET or POST, and answers 413 over maxPayload).

use crate::support::*;
use natter_client::{Event, Options, TransportKind::*};
use natter_testkit::proxy::Proxy;
use serde_json::json;
use std::time::Duration;

/// No disconnect of any kind: the session must stay up through everything the test did.
fn assert_no_disconnect(c: &Client) {
    let lost = c.disconnects();
    assert!(lost.is_empty(), "{lost:?}");
}

#[tokio::test]
async fn connects_over_polling_only() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(options(&server.url(), &[Polling]));
    c.connected("/").await;
    c.echo_round_trip("/", hello()).await;
    assert_eq!(c.whoami("/").await["transport"], "polling");
    assert_eq!(c.stats("/").await["upgrades"], 0);
    assert_eq!(c.transports(), [Polling]);
}

#[tokio::test]
async fn connects_over_websocket_only() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(options(&server.url(), &[WebSocket]));
    c.connected("/").await;
    c.echo_round_trip("/", hello()).await;
    assert_eq!(c.whoami("/").await["transport"], "websocket");
    assert_eq!(c.transports(), [WebSocket]);
}

#[tokio::test]
async fn opens_on_polling_then_upgrades_to_websocket() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(Options::new(server.url()));
    c.upgraded().await;
    assert_eq!(c.transports(), [Polling, WebSocket]);
    assert_eq!(c.whoami("/").await["transport"], "websocket");
    assert_eq!(c.stats("/").await["upgrades"], 1);
    c.echo_round_trip("/", hello()).await;
    assert_no_disconnect(&c);
}

/// A burst emitted as soon as `/` connects crosses the probe, the pause (the server's noop
/// ends the long poll) and the switch: everything arrives once and in order.
#[tokio::test]
async fn a_burst_across_the_upgrade_keeps_its_order() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(Options::new(server.url()));
    c.connected("/").await;
    for i in 0..200 {
        c.handle
            .emit_raw("/", "echo", vec![json!(i)], vec![])
            .unwrap();
    }
    for i in 0..200 {
        let (args, _, _) = c.server_event("/", "echo").await;
        assert_eq!(args, [json!(i)]);
    }
    c.upgraded().await;
    assert_no_disconnect(&c);
}

/// With maxPayload 2000 a burst of 300 × ~120 bytes must go in several `\x1e` batches, one
/// POST at a time: an oversized body would get 413, an overlapping POST a 400 and a closed
/// session.
#[tokio::test]
async fn polling_batches_within_max_payload_one_request_at_a_time() {
    let server = Fixture::start(&["--max-payload=2000"]).await;
    let mut c = Client::connect(options(&server.url(), &[Polling]));
    c.connected("/").await;
    let filler = "x".repeat(100);
    for i in 0..300 {
        c.handle
            .emit_raw("/", "echo", vec![json!(i), json!(filler)], vec![])
            .unwrap();
    }
    for i in 0..300 {
        let (args, _, _) = c.server_event("/", "echo").await;
        assert_eq!(args, [json!(i), json!(filler)]);
    }
    assert_eq!(c.whoami("/").await["transport"], "polling");
    assert_no_disconnect(&c);
}

/// The server refuses polling (400): the same attempt moves on to WebSocket (`tryAllTransports`).
#[tokio::test]
async fn a_websocket_only_server_is_reached_by_falling_back() {
    let server = Fixture::start(&["--transports=websocket"]).await;
    let mut c = Client::connect(Options::new(server.url()));
    c.connected("/").await;
    assert_eq!(c.transports(), [WebSocket]);
    c.echo_round_trip("/", hello()).await;
}

/// The handshake offers no upgrade: no probe, the session stays on polling.
#[tokio::test]
async fn a_polling_only_server_keeps_the_session_on_polling() {
    let server = Fixture::start(&["--transports=polling"]).await;
    let mut c = Client::connect(Options::new(server.url()));
    c.connected("/").await;
    c.echo_round_trip("/", hello()).await;
    c.refute("upgrade", Duration::from_millis(500), |e| {
        matches!(e, Event::Transport(WebSocket))
    })
    .await;
    assert_eq!(c.transports(), [Polling]);
}

/// A middlebox that drops WebSocket handshakes fails the probe only: the session carries on
/// over polling, no reconnect.
#[tokio::test]
async fn a_blocked_websocket_leaves_the_session_on_polling() {
    let server = Fixture::start(&[]).await;
    let proxy = Proxy::start(server.port).await;
    proxy.refuse_websockets();
    let mut c = Client::connect(Options::new(proxy.url()));
    c.upgrade_failed().await;
    c.seen_connected("/").await;
    c.echo_round_trip("/", hello()).await;
    assert_eq!(c.whoami("/").await["transport"], "polling");
    assert_eq!(c.transports(), [Polling]);
    assert_no_disconnect(&c);
}
