//! Which transport a session runs on against Natter's socketioxide: each one alone,
//! socket.io-client's default of opening on polling and upgrading, and servers or networks that
//! allow only one of them (`--transports`, a proxy without WebSocket).

use crate::{client::*, server::*};
use natter::server::Transports;
use natter_client::{Event, Options, TransportKind::*};
use natter_contract::event;
use natter_testkit::proxy::Proxy;
use std::time::Duration;

#[tokio::test]
async fn connects_over_polling_only() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let mut c = Client::member(&server.url(), &[Polling], &server.token().await).await;
    c.round_trip("over polling").await;
    assert_eq!(c.transports(), [Polling]);
    assert!(c.disconnects().is_empty(), "{:?}", c.disconnects());
}

#[tokio::test]
async fn connects_over_websocket_only() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let mut c = Client::member(&server.url(), &[WebSocket], &server.token().await).await;
    c.round_trip("over websocket").await;
    assert_eq!(c.transports(), [WebSocket]);
    assert!(c.disconnects().is_empty(), "{:?}", c.disconnects());
}

#[tokio::test]
async fn opens_on_polling_then_upgrades_to_websocket() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let token = server.token().await;
    let mut c = Client::connect(signed_in(Options::new(server.url()), &token));
    c.connected("/").await;
    // Synced and chatting while the probe may still be under way.
    c.sync(0).await;
    c.round_trip("during the upgrade").await;
    c.upgraded().await;
    assert_eq!(c.transports(), [Polling, WebSocket]);
    c.round_trip("after the upgrade").await;
    // Several of Natter's 300 ms heartbeats pass on the upgraded session.
    c.refute("a disconnect", Duration::from_millis(1000), |e| {
        matches!(e, Event::Disconnected { .. } | Event::UpgradeFailed(_))
    })
    .await;
    assert!(c.disconnects().is_empty(), "{:?}", c.disconnects());
}

/// Natter with `--transports=websocket` refuses polling (400): the same attempt moves on to
/// WebSocket (`tryAllTransports`).
#[tokio::test]
async fn a_websocket_only_natter_is_reached_by_falling_back() {
    let data = tempfile::tempdir().unwrap();
    let mut config = config(data.path());
    config.transports = Transports::WEBSOCKET_ONLY;
    let server = Natter::start(config).await;
    let token = server.token().await;
    let mut c = Client::connect(signed_in(Options::new(server.url()), &token));
    c.connected("/").await;
    c.sync(0).await;
    c.round_trip("fell back").await;
    assert_eq!(c.transports(), [WebSocket]);
}

/// `--transports=polling`: the handshake offers no upgrade, so no probe is made.
#[tokio::test]
async fn a_polling_only_natter_keeps_the_session_on_polling() {
    let data = tempfile::tempdir().unwrap();
    let mut config = config(data.path());
    config.transports = Transports::POLLING_ONLY;
    let server = Natter::start(config).await;
    let token = server.token().await;
    let mut c = Client::member(&server.url(), &[Polling, WebSocket], &token).await;
    c.round_trip("no upgrade offered").await;
    c.refute("an upgrade", Duration::from_millis(500), |e| {
        matches!(e, Event::Transport(WebSocket) | Event::UpgradeFailed(_))
    })
    .await;
    assert_eq!(c.transports(), [Polling]);
}

/// A middlebox that drops WebSocket handshakes fails the probe only: the session carries on
/// over polling, no reconnect.
#[tokio::test]
async fn a_blocked_websocket_leaves_the_session_on_polling() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let proxy = Proxy::start(server.port).await;
    proxy.refuse_websockets();
    let token = server.token().await;
    let mut c = Client::connect(signed_in(Options::new(proxy.url()), &token));
    c.upgrade_failed().await;
    c.seen_connected("/").await;
    c.sync(0).await;
    c.round_trip("still on polling").await;
    assert_eq!(c.transports(), [Polling]);
    assert!(c.disconnects().is_empty(), "{:?}", c.disconnects());
}

/// Messages emitted back to back: `n` from now on, with their bodies, in the order the
/// server numbered them.
async fn burst(c: &mut Client, n: usize, filler: &str) {
    let ids: Vec<String> = (0..n).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        let payload = chat(id, &format!("{i} {filler}"));
        let sent = c
            .handle
            .emit_raw("/", event::CHAT_MESSAGE, vec![payload], vec![]);
        sent.unwrap();
    }
    let mut last_seq = 0;
    for (i, id) in ids.iter().enumerate() {
        let message = c.broadcast(id).await;
        let seq = message["seq"].as_u64().unwrap();
        assert!(seq > last_seq, "message {i} got seq {seq} after {last_seq}");
        assert_eq!(message["body"], format!("{i} {filler}"));
        last_seq = seq;
    }
}

/// A burst emitted as soon as the room is synced crosses the probe, the pause and the switch:
/// the server stores every message once, in the order it was sent.
#[tokio::test]
async fn a_burst_across_the_upgrade_keeps_its_order() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let token = server.token().await;
    let mut c = Client::member(&server.url(), &[Polling, WebSocket], &token).await;
    burst(&mut c, 100, "").await;
    c.upgraded().await;
    assert_eq!(c.sync(0).await["latest_seq"], 100);
    assert!(c.disconnects().is_empty(), "{:?}", c.disconnects());
}

/// With `--max-payload=2048` a polling burst of 60 × ~250 bytes must go in several `\x1e`
/// batches, one POST at a time: an oversized body gets 413 and costs the session.
#[tokio::test]
async fn polling_batches_within_max_payload() {
    let data = tempfile::tempdir().unwrap();
    let mut config = config(data.path());
    config.max_payload = 2048;
    let server = Natter::start(config).await;
    let mut c = Client::member(&server.url(), &[Polling], &server.token().await).await;
    burst(&mut c, 60, &"x".repeat(150)).await;
    assert_eq!(c.sync(0).await["latest_seq"], 60);
    assert!(c.disconnects().is_empty(), "{:?}", c.disconnects());
}
