//! Prometheus metrics (`--metrics-addr`), in a test binary of their own: the recorder is the
//! process's, so no other server may count into it meanwhile.
#![cfg(feature = "ssr")]

mod support;

use support::*;
use tokio::net::TcpListener;

/// The value of one series in Prometheus' text format, 0 while it has none.
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn scrape(addr: std::net::SocketAddr) -> String {
    let response = http()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_connections_messages_refusals_and_store_writes() {
    let server = start(test_config()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = listener.local_addr().unwrap();
    let routes = natter::server::metrics::routes(server.io.clone());
    tokio::spawn(async move { axum::serve(listener, routes).await });

    // The recorder is the process's: this binary runs no other server, so the deltas are
    // this server's alone.
    let before = scrape(metrics).await;
    let mut ws = WsClient::join(&server).await;
    let _polling = PollingSession::join(&server).await;
    for n in 1..=3 {
        let ack = ws.chat(n, &message(&format!("counted {n}"))).await;
        assert!(ack["ok"]["seq"].is_u64(), "{ack}");
    }
    let refused = ws.chat(4, &message("")).await;
    assert_eq!(error_code(&refused), "empty_message");
    let after = scrape(metrics).await;

    let grew = |name: &str| series(&after, name) - series(&before, name);
    assert_eq!(grew("natter_messages_stored_total"), 3.0, "{after}");
    assert_eq!(
        grew(r#"natter_refusals_total{code="empty_message"}"#),
        1.0,
        "{after}"
    );
    // One transaction per message here: each was acked before the next was sent.
    assert_eq!(grew("natter_store_write_seconds_count"), 3.0, "{after}");
    assert_eq!(grew("natter_store_batch_size_sum"), 3.0, "{after}");
    assert!(after.contains(r#"natter_store_batch_size_bucket{le="256"}"#));
    // This server's own connections, counted as the scrape happens.
    assert_eq!(
        series(&after, r#"natter_connections{transport="websocket"}"#),
        1.0
    );
    assert_eq!(
        series(&after, r#"natter_connections{transport="polling"}"#),
        1.0
    );
    // Never on the public port.
    let public = http().get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
}
