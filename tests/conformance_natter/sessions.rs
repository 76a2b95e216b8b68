//! Natter lets a client into "/" only with a session: the CONNECT `auth` payload
//! `{"token": …}` (or the `natter_session` cookie, which a browser sends and this client does
//! not). Without one the CONNECT is refused with a CONNECT_ERROR `{"message":"unauthorized"}`,
//! which the client reports and, "/" being its only namespace, answers by closing: no retry,
//! no reconnection, as socket.io-client's Manager does. Asking again, with a session, is the
//! application's call (the browser shows the join form first).

use crate::{client::*, namespaces::QUIET, server::*};
use natter_client::{Event, Options, TransportKind::*};
use serde_json::json;

/// Refused on "/" with "unauthorized" and no data, then closed: nothing tried again during
/// [`QUIET`].
async fn refused_as_unauthorized(c: &mut Client) {
    let (message, data) = c.connect_error("/").await;
    assert_eq!((message.as_str(), data), ("unauthorized", None));
    c.refute("a retry", QUIET, |e| {
        matches!(
            e,
            Event::Reconnecting { .. }
                | Event::Transport(_)
                | Event::Connected { .. }
                | Event::ConnectError { .. }
        )
    })
    .await;
}

#[tokio::test]
async fn a_client_without_a_session_is_refused_and_does_not_retry() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let token = server.token().await;
    for transports in [&[Polling][..], &[WebSocket], &[Polling, WebSocket]] {
        // `Options::new` joins "/" with no auth payload at all.
        let mut options = Options::new(server.url());
        options.config.engine.transports = transports.to_vec();
        let mut c = Client::connect(options);
        refused_as_unauthorized(&mut c).await;
        // Signed in, the application asks again on the same client, which opens a new
        // connection for it.
        c.handle.connect("/", Some(auth(&token))).unwrap();
        c.connected("/").await;
        c.sync(0).await;
        c.round_trip(&format!("signed in over {transports:?}"))
            .await;
        c.handle.close();
        c.finished().await;
    }
}

/// A payload without a valid token is no better than none: an unknown token, the wrong type,
/// the wrong key.
#[tokio::test]
async fn a_bad_token_is_refused_like_none() {
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let token = server.token().await;
    let forged = format!("{token}x");
    let payloads = [
        auth(&forged),
        auth(""),
        json!({ "token": 42 }),
        json!({ "session": token }),
    ];
    for payload in payloads {
        let mut options = options(&server.url(), &[WebSocket], &token);
        options.namespaces = vec![("/".into(), Some(payload))];
        refused_as_unauthorized(&mut Client::connect(options)).await;
    }
}
