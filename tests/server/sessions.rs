//! Sessions over time: an expired one ends with its sockets; a used one slides its expiry, at
//! most once a day.

use std::time::Duration;

use natter::server::auth::{hash_token, now_millis};
use serde_json::Value;

use crate::{
    people::{UNAUTHORIZED, ok, users},
    support::*,
};

#[tokio::test]
async fn a_socket_closes_when_its_session_expires() {
    let server = start(test_config()).await;
    let store = server.store.as_ref();
    let [bob, carol] = users(&server, ["bob", "carol"]).await;
    let mut expiring = WsClient::join_as(&server, &bob).await;
    let mut kept = WsClient::join_as(&server, &carol).await;
    let now = now_millis();
    // Connecting slid both sessions 30 days ahead; Bob's is brought to expire in a second.
    let bobs = hash_token(&bob.token);
    store.touch_session(&bobs, now, now + 1_000).await.unwrap();
    let sweep = |at: i64| natter::server::people::expire_sessions(store, &server.io, at);
    assert_eq!(sweep(now).await, Ok(0), "nothing has expired yet");
    assert_eq!(
        sweep(now + 1_000).await,
        Ok(1),
        "Bob's session, and only his"
    );

    assert!(
        expiring.disconnected_within(Duration::from_secs(1)).await,
        "the expired session's socket is still connected after 1 s"
    );
    assert!(ok(&mut kept, "rooms", Value::Null).await.is_array());
    // And the expired token no longer connects.
    let (mut client, _) = WsClient::open(&server, None, true).await.unwrap();
    client.send(&bob.connect_packet());
    assert_eq!(client.recv().await, UNAUTHORIZED);
}

#[tokio::test]
async fn a_used_session_slides_at_most_once_a_day() {
    const DAY: i64 = 24 * 3600 * 1000;
    let server = start(test_config()).await;
    let store = server.store.as_ref();
    let [bob] = users(&server, ["bob"]).await;
    let hash = hash_token(&bob.token);
    let now = now_millis();
    // Ten days into its thirty: connecting slides it back to thirty.
    store
        .touch_session(&hash, now, now + 20 * DAY)
        .await
        .unwrap();
    WsClient::join_as(&server, &bob).await;
    let (_, slid) = store.find_session(&hash, now).await.unwrap().unwrap();
    assert!(slid >= now + 30 * DAY, "{} days", (slid - now) / DAY);
    // An hour behind the window: connecting writes nothing.
    let recent = slid - 3600 * 1000;
    store.touch_session(&hash, now, recent).await.unwrap();
    WsClient::join_as(&server, &bob).await;
    let (_, kept) = store.find_session(&hash, now).await.unwrap().unwrap();
    assert_eq!(kept, recent);
}
