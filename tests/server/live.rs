//! Who is here: presence with its grace period, the member list, typing signals.

use std::time::{Duration, Instant};

use natter_contract::dm_room;
use serde_json::{Value, json};

use crate::{
    people::{ask, next_event, ok, users},
    support::*,
};

const GRACE: Duration = Duration::from_millis(800);

fn config() -> natter::server::Config {
    natter::server::Config {
        presence_grace: GRACE,
        ..test_config()
    }
}

/// Connected as `user`, following #general.
async fn in_general(server: &Server, user: &TestUser) -> WsClient {
    let mut client = WsClient::join_as(server, user).await;
    ok(
        &mut client,
        "sync",
        json!({"room": "general", "after_seq": 0}),
    )
    .await;
    client
}

/// Waits for the presence change that mentions `user` in `list` ("online" or "offline");
/// `None` if none came within `limit`.
async fn presence_of(
    client: &mut WsClient,
    list: &str,
    user: i64,
    limit: Duration,
) -> Option<Value> {
    let wait = async {
        loop {
            let change = next_event(client, "presence").await;
            let listed = change[list].as_array().unwrap();
            if listed.contains(&json!(user)) {
                return change;
            }
        }
    };
    tokio::time::timeout(limit, wait).await.ok()
}

#[tokio::test]
async fn online_while_any_tab_is_open_and_offline_only_after_the_grace() {
    let server = start(config()).await;
    let [ana, bob] = users(&server, ["ana", "bob"]).await;
    let mut watcher = WsClient::join_as(&server, &bob).await;
    watcher.hear_presence();
    let first = WsClient::join_as(&server, &ana).await;
    let second = WsClient::join_as(&server, &ana).await;
    let came = presence_of(&mut watcher, "online", ana.user.id, TIMEOUT).await;
    assert!(came.is_some(), "Ana never came online");
    let online = ok(&mut watcher, "online", Value::Null).await;
    assert!(online.as_array().unwrap().contains(&json!(ana.user.id)));
    assert!(online.as_array().unwrap().contains(&json!(bob.user.id)));

    drop(first);
    let early = presence_of(&mut watcher, "offline", ana.user.id, GRACE * 2).await;
    assert_eq!(early, None, "offline while a tab is still open");

    let closed = Instant::now();
    drop(second);
    let gone = presence_of(&mut watcher, "offline", ana.user.id, GRACE * 4).await;
    assert!(gone.is_some(), "Ana never went offline");
    let after = closed.elapsed();
    assert!(after >= GRACE, "offline after {after:?}, before the grace");
    let online = ok(&mut watcher, "online", Value::Null).await;
    assert!(!online.as_array().unwrap().contains(&json!(ana.user.id)));
}

#[tokio::test]
async fn a_reload_within_the_grace_is_not_seen() {
    let server = start(config()).await;
    let [ana, bob] = users(&server, ["ana", "bob"]).await;
    let mut watcher = WsClient::join_as(&server, &bob).await;
    watcher.hear_presence();
    let tab = WsClient::join_as(&server, &ana).await;
    assert!(
        presence_of(&mut watcher, "online", ana.user.id, TIMEOUT)
            .await
            .is_some()
    );
    drop(tab);
    tokio::time::sleep(GRACE / 4).await;
    let _reloaded = WsClient::join_as(&server, &ana).await;
    let flapped = presence_of(&mut watcher, "offline", ana.user.id, GRACE * 3).await;
    assert_eq!(flapped, None, "a reload made Ana go offline");
}

#[tokio::test]
async fn members_come_by_name_with_presence_and_only_for_members() {
    let server = start(config()).await;
    let [zed, ana, eve] = users(&server, ["zed", "ana", "eve"]).await;
    let mut client = WsClient::join_as(&server, &zed).await;
    let _ana = WsClient::join_as(&server, &ana).await;
    let members = ok(&mut client, "members", json!({"room": "general"})).await;
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ana", "eve", "tester", "zed"]);
    let online: Vec<bool> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["online"].as_bool().unwrap())
        .collect();
    assert_eq!(online, [true, false, false, true]);

    let others = dm_room(ana.user.id, eve.user.id);
    for (room, code) in [
        (others.as_str(), "forbidden"),
        ("no-such-room", "unknown_room"),
    ] {
        let ack = ask(&mut client, "members", json!({ "room": room })).await;
        assert_eq!(error_code(&ack), code, "{room}: {ack}");
    }
    let ack = ask(&mut client, "members", json!({"room": 7})).await;
    assert_eq!(error_code(&ack), "invalid_payload");
}

#[tokio::test]
async fn typing_reaches_the_rooms_others_and_nobody_else() {
    let server = start(config()).await;
    let [ana, bob, eve] = users(&server, ["ana", "bob", "eve"]).await;
    let mut typer = in_general(&server, &ana).await;
    let mut reader = in_general(&server, &bob).await;
    // Eve is in #general but her socket follows no room: she is shown nothing.
    let mut elsewhere = WsClient::join_as(&server, &eve).await;

    ok(&mut typer, "typing", json!({"room": "general"})).await;
    let signal = next_event(&mut reader, "typing").await;
    assert_eq!(
        signal,
        json!({"room": "general", "user": {"id": ana.user.id, "name": "ana"}, "typing": true})
    );
    // Neither the typer nor Eve heard it: the next frame either gets is its own ack.
    for client in [&mut typer, &mut elsewhere] {
        client.send(r#"427["online"]"#);
        let frame = client.recv().await;
        assert!(frame.starts_with("437"), "expected the ack, got {frame}");
    }

    let dm = dm_room(bob.user.id, eve.user.id);
    for (room, code) in [
        (json!(dm), "forbidden"),
        (json!("design"), "forbidden"),
        (json!("user:1"), "unknown_room"),
        (json!(null), "invalid_payload"),
    ] {
        let ack = ask(&mut typer, "typing", json!({ "room": room })).await;
        assert_eq!(error_code(&ack), code, "{room}: {ack}");
    }
}

#[tokio::test]
async fn a_typing_flood_is_told_to_wait() {
    let server = start(config()).await;
    let [ana] = users(&server, ["ana"]).await;
    let mut typer = in_general(&server, &ana).await;
    let mut acks = Vec::new();
    for _ in 0..5 {
        acks.push(ask(&mut typer, "typing", json!({"room": "general"})).await);
    }
    let refused: Vec<&Value> = acks.iter().filter(|a| a.get("error").is_some()).collect();
    assert!(refused.len() >= 2, "{acks:?}");
    assert_eq!(refused[0]["error"]["code"], "rate_limited");
    assert!(refused[0]["error"]["retry_after_ms"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_typers_disconnect_ends_the_indicator() {
    let server = start(config()).await;
    let [ana, bob] = users(&server, ["ana", "bob"]).await;
    let mut typer = in_general(&server, &ana).await;
    let mut reader = in_general(&server, &bob).await;
    ok(&mut typer, "typing", json!({"room": "general"})).await;
    assert_eq!(next_event(&mut reader, "typing").await["typing"], true);
    drop(typer);
    let stopped = next_event(&mut reader, "typing").await;
    assert_eq!(stopped["typing"], false);
    assert_eq!(stopped["user"]["name"], "ana");
}
