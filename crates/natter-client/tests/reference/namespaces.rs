//! Several namespaces over one connection, and the admin namespace's auth middleware:
//! CONNECT_ERROR with its message and data, and no automatic retry.

use crate::support::*;
use natter_client::{Event, Options};
use serde_json::{Value, json};
use std::time::Duration;

/// Long enough for a retry to have happened had the client scheduled one (backoff starts at
/// 0.5–1.5 s).
const QUIET: Duration = Duration::from_millis(2000);

fn with_namespaces(url: &str, namespaces: &[(&str, Option<Value>)]) -> Options {
    let mut options = Options::new(url);
    options.namespaces = namespaces
        .iter()
        .map(|(n, a)| (n.to_string(), a.clone()))
        .collect();
    options
}

#[tokio::test]
async fn namespaces_are_multiplexed_on_one_connection() {
    let server = Fixture::start(&[]).await;
    let options = with_namespaces(
        &server.url(),
        &[("/", None), ("/admin", Some(json!({"token": "secret"})))],
    );
    let mut c = Client::connect(options);
    c.seen_connected("/").await;
    c.seen_connected("/admin").await;
    let (root, admin) = (c.whoami("/").await, c.whoami("/admin").await);
    assert_eq!(
        root["engine"], admin["engine"],
        "one Engine.IO session for both"
    );
    assert_eq!(
        (root["nsp"].as_str(), admin["nsp"].as_str()),
        (Some("/"), Some("/admin"))
    );
    assert_eq!(admin["auth"], json!({"token": "secret"}));
    // Events stay in their namespace.
    c.handle
        .emit_raw("/admin", "echo", vec![json!("admin only")], vec![])
        .unwrap();
    assert_eq!(
        c.server_event("/admin", "echo").await.0,
        [json!("admin only")]
    );
    c.echo_round_trip("/", json!("root only")).await;
    assert!(!c.seen.iter().any(|e| matches!(e, Event::Event { nsp, args, .. } if nsp == "/" && args == &[json!("admin only")])));
    // Acks are numbered per namespace; interleave them.
    let (a, b) = tokio::join!(
        c.call("/", "echo-ack", vec![json!("a")]),
        c.call("/admin", "echo-ack", vec![json!("b")])
    );
    assert_eq!((a, b), (vec![json!("a")], vec![json!("b")]));
    let stats = c.stats("/admin").await;
    assert_eq!(stats["connections"], json!({"/": 1, "/admin": 1}));
}

#[tokio::test]
async fn connect_error_carries_message_and_data_and_is_not_retried() {
    let server = Fixture::start(&[]).await;
    let options = with_namespaces(
        &server.url(),
        &[("/", None), ("/admin", Some(json!({"token": "wrong"})))],
    );
    let mut c = Client::connect(options);
    let (message, data) = c.connect_error("/admin").await;
    assert_eq!(
        (message.as_str(), data),
        ("not authorized", Some(json!({"code": 401})))
    );
    c.seen_connected("/").await;
    c.refute("another attempt on /admin", QUIET, |e| {
        matches!(
            e,
            Event::ConnectError { .. } | Event::Connected { .. } | Event::Reconnecting { .. }
        )
    })
    .await;
    assert_eq!(
        c.stats("/").await["adminRefused"],
        1,
        "the middleware ran once"
    );
    c.echo_round_trip("/", hello()).await;
    // Joining again is the application's call, with better credentials.
    c.handle
        .connect("/admin", Some(json!({"token": "secret"})))
        .unwrap();
    c.connected("/admin").await;
    c.echo_round_trip("/admin", hello()).await;
}

/// With no namespace left the client closes the connection, like socket.io-client's Manager.
#[tokio::test]
async fn connect_error_on_the_only_namespace_closes_the_connection() {
    let server = Fixture::start(&[]).await;
    let options = with_namespaces(&server.url(), &[("/admin", None)]);
    let mut c = Client::connect(options);
    c.refused_and_closed(QUIET).await;
    let observer = Client::connect(Options::new(server.url()));
    let stats = observer.stats("/").await;
    assert_eq!(stats["adminRefused"], 1);
    assert_eq!(
        stats["engineClients"], 1,
        "only the observer's connection is left"
    );
}
