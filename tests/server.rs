//! End-to-end tests of the server over real sockets on 127.0.0.1.
#![cfg(feature = "ssr")]

#[path = "server/api.rs"]
mod api;
#[path = "server/chat.rs"]
mod chat;
#[path = "server/delivery.rs"]
mod delivery;
#[path = "server/edits.rs"]
mod edits;
#[path = "server/hardening.rs"]
mod hardening;
#[path = "server/health.rs"]
mod health;
#[path = "server/limits.rs"]
mod limits;
#[path = "server/live.rs"]
mod live;
#[path = "server/notices.rs"]
mod notices;
#[path = "server/ops.rs"]
mod ops;
#[path = "server/overload.rs"]
mod overload;
#[path = "server/people.rs"]
mod people;
#[path = "server/registration.rs"]
mod registration;
#[path = "server/sessions.rs"]
mod sessions;
mod support;
#[path = "server/sync.rs"]
mod sync;

use serde_json::json;
use support::*;

#[tokio::test]
async fn page_is_server_rendered() {
    let server = start(test_config()).await;
    let response = http().get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.to_ascii_lowercase().starts_with("<!doctype html>"),
        "{html}"
    );
    // Not signed in: the join form, which works as a plain HTML form.
    assert!(html.contains(r#"id="join-form""#), "no join form in {html}");
    assert!(html.contains(r#"action="/api/join""#), "{html}");

    let signed_in = http()
        .get(server.url("/"))
        .header("cookie", format!("natter_session={}", server.tester.token))
        .send()
        .await
        .unwrap();
    let html = signed_in.text().await.unwrap();
    assert!(html.contains(r#"id="chat-form""#), "no chat form in {html}");
    assert!(
        html.contains(r#"id="messages""#),
        "no message list in {html}"
    );
    assert!(
        html.contains(r#">tester<"#),
        "the user's name is not shown in {html}"
    );
}

#[tokio::test]
async fn assets_are_compressed_but_socket_io_is_not() {
    let server = start(test_config()).await;
    let asset = http()
        .get(server.url("/pkg/natter.js"))
        .header("accept-encoding", "br, gzip");
    let asset = asset.send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["content-encoding"], "br");
    let gzip = http()
        .get(server.url("/pkg/natter.js"))
        .header("accept-encoding", "gzip");
    assert_eq!(
        gzip.send().await.unwrap().headers()["content-encoding"],
        "gzip"
    );

    let polling = http()
        .get(server.polling_url())
        .header("accept-encoding", "br, gzip");
    let polling = polling.send().await.unwrap();
    assert_eq!(polling.status(), 200);
    assert!(polling.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn handshakes_advertise_the_limits() {
    let server = start(test_config()).await;
    let response = polling_open(&server, None).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.starts_with(r#"0{"sid":"#), "{body}");
    let open: serde_json::Value = serde_json::from_str(&body[1..]).unwrap();
    assert_eq!(open["maxPayload"], 65536);
    assert_eq!(open["upgrades"], json!(["websocket"]));
    assert_eq!(open["pingInterval"], 500);

    let (_client, open) = WsClient::open(&server, None, true).await.unwrap();
    assert_eq!(open["maxPayload"], 65536);
    WsClient::join(&server).await;
}
