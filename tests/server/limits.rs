//! What one person or one address may take: connections at once per user and per address,
//! accounts per address and rooms per user per hour, each refused with its own code.

use std::time::Duration;

use natter::server::{Config, LimitFlags};
use serde_json::json;

use crate::{api::call, support::*};

fn limited(limits: LimitFlags) -> Config {
    Config {
        limits,
        ..test_config()
    }
}

/// The CONNECT answer for `user`: `40…` when connected, `44…` when refused.
async fn connect(server: &Server, user: &TestUser) -> (WsClient, String) {
    let (client, _) = WsClient::open(server, None, true).await.unwrap();
    client.send(&user.connect_packet());
    let mut client = client;
    let answer = client.recv().await;
    (client, answer)
}

const REFUSED: &str = r#"44{"message":"too_many_sessions"}"#;

#[tokio::test]
async fn a_user_may_have_so_many_connections_and_a_closed_one_frees_its_place() {
    let server = start(limited(LimitFlags {
        sessions_per_user: 2,
        ..LimitFlags::NONE
    }))
    .await;
    let ann = server.user("ann").await;
    let (first, answer) = connect(&server, &ann).await;
    assert!(answer.starts_with("40"), "{answer}");
    let (_second, answer) = connect(&server, &ann).await;
    assert!(answer.starts_with("40"), "{answer}");
    assert_eq!(connect(&server, &ann).await.1, REFUSED);
    // Somebody else is not counted against ann.
    let bob = server.user("bob").await;
    assert!(connect(&server, &bob).await.1.starts_with("40"));

    drop(first);
    let freed = within("ann's closed tab to free its place", async {
        loop {
            let (client, answer) = connect(&server, &ann).await;
            if answer.starts_with("40") {
                return client;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    drop(freed);
}

#[tokio::test]
async fn an_address_may_have_so_many_connections() {
    let server = start(limited(LimitFlags {
        sessions_per_ip: 2,
        ..LimitFlags::NONE
    }))
    .await;
    let mut open = Vec::new();
    for name in ["ann", "bob"] {
        let (client, answer) = connect(&server, &server.user(name).await).await;
        assert!(answer.starts_with("40"), "{answer}");
        open.push(client);
    }
    let carol = server.user("carol").await;
    assert_eq!(connect(&server, &carol).await.1, REFUSED);
}

#[tokio::test]
async fn new_accounts_per_address_per_hour_and_signing_in_is_not_one() {
    let server = start(Config {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..limited(LimitFlags {
            accounts_per_hour: 2,
            ..LimitFlags::NONE
        })
    })
    .await;
    let first = call(
        &server,
        "join",
        None,
        &[("name", "ann"), ("password", "correct horse")],
    )
    .await;
    first.json();
    call(&server, "join", None, &[("name", "bob")]).await.json();
    let third = call(&server, "join", None, &[("name", "carol")]).await;
    assert_eq!(third.status, 429);
    third.refused("too_many_accounts");
    assert!(server.store.find_user("carol").await.unwrap().is_none());
    // Signing in again makes no account.
    let again = call(
        &server,
        "join",
        None,
        &[("name", "ann"), ("password", "correct horse")],
    )
    .await;
    again.json();
    // A client elsewhere, behind the trusted proxy, has an hour of its own.
    let elsewhere = http()
        .post(server.url("/api/join"))
        .header("x-forwarded-for", "198.51.100.7")
        .form(&[("name", "carol")])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 200);
}

#[tokio::test]
async fn new_rooms_per_user_per_hour() {
    let server = start(limited(LimitFlags {
        rooms_per_hour: 1,
        ..LimitFlags::NONE
    }))
    .await;
    let mut ann = WsClient::join(&server).await;
    let create = |room: &str| json!({ "room": room, "topic": "" }).to_string();
    // A name that is refused anyway does not use up the hour.
    let invalid = ann.emit(2, "create room", &create("Not Valid!")).await;
    assert_eq!(error_code(&invalid), "invalid_room_name");
    let made = ann.emit(1, "create room", &create("first")).await;
    assert_eq!(made["ok"]["room"], "first", "{made}");
    let refused = ann.emit(3, "create room", &create("second")).await;
    assert_eq!(error_code(&refused), "too_many_rooms");
    let mut bob = WsClient::join_as(&server, &server.user("bob").await).await;
    let theirs = bob.emit(1, "create room", &create("second")).await;
    assert_eq!(theirs["ok"]["room"], "second", "{theirs}");
}
