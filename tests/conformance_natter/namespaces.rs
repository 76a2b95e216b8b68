//! Natter registers "/" only: socketioxide refuses any other namespace with a CONNECT_ERROR,
//! which must not disturb "/" on the same connection, and must not be retried by itself.

use crate::{client::*, server::*};
use natter_client::{Event, Options};
use std::time::Duration;

/// Long enough for a retry to have happened had the client scheduled one.
pub const QUIET: Duration = Duration::from_millis(1500);

/// Each namespace with the session `token`, so that only the namespace can be refused.
fn with_namespaces(url: &str, namespaces: &[&str], token: &str) -> Options {
    let mut options = Options::new(url);
    let joined = |n: &&str| (n.to_string(), Some(auth(token)));
    options.namespaces = namespaces.iter().map(joined).collect();
    options
}

#[tokio::test]
async fn an_unknown_namespace_is_refused_while_root_keeps_working() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let token = server.token().await;
    let mut c = Client::connect(with_namespaces(&server.url(), &["/", "/admin"], &token));
    let (message, data) = c.connect_error("/admin").await;
    assert_eq!((message.as_str(), data), ("Invalid namespace", None));
    c.seen_connected("/").await;
    c.sync(0).await;
    c.round_trip("root still works").await;
    c.refute("another attempt on /admin", QUIET, |e| {
        matches!(
            e,
            Event::ConnectError { .. } | Event::Connected { .. } | Event::Reconnecting { .. }
        )
    })
    .await;
    // Asking again is the application's call, and gets the same answer on the same session.
    c.handle.connect("/admin", Some(auth(&token))).unwrap();
    c.expect("a second ConnectError /admin", STEP, |e| {
        matches!(e, Event::ConnectError { nsp, .. } if nsp == "/admin").then_some(())
    })
    .await;
    c.round_trip("root still works after the second refusal")
        .await;
    assert!(c.disconnects().is_empty(), "{:?}", c.disconnects());
    let transports = c.transports();
    assert!(
        transports.len() <= 2,
        "one session, at most upgraded once: {transports:?}"
    );
}

/// With no namespace left the client closes the connection, like socket.io-client's Manager.
#[tokio::test]
async fn refused_as_the_only_namespace_the_client_closes() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let token = server.token().await;
    let mut c = Client::connect(with_namespaces(&server.url(), &["/admin"], &token));
    c.refused_and_closed(QUIET).await;
    // The server is unharmed.
    let websocket = [natter_client::TransportKind::WebSocket];
    let mut other = Client::member(&server.url(), &websocket, &token).await;
    other.round_trip("still serving").await;
}
