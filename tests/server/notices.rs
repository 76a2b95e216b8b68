//! Join and leave lines: stored in the room's history in order, pushed live, never counted as
//! unread, and never made by a reconnect.

use serde_json::{Value, json};

use crate::{
    api::call,
    people::{next_event, ok, say, users},
    support::*,
};

/// `[kind, author name]` of each line of `room` after `after_seq`.
async fn lines(client: &mut WsClient, room: &str, after_seq: u64) -> Vec<Value> {
    let page = ok(
        client,
        "sync",
        json!({ "room": room, "after_seq": after_seq }),
    )
    .await;
    let messages = page["messages"].as_array().unwrap();
    let line = |m: &Value| {
        json!([
            m.get("kind").unwrap_or(&json!("message")),
            m["author"]["name"]
        ])
    };
    messages.iter().map(line).collect()
}

#[tokio::test]
async fn joining_and_leaving_are_lines_in_the_room() {
    let server = start(test_config()).await;
    let [ana, bob] = users(&server, ["ana", "bob"]).await;
    let mut a = WsClient::join_as(&server, &ana).await;
    let mut b = WsClient::join_as(&server, &bob).await;
    ok(
        &mut a,
        "create room",
        json!({ "room": "design", "topic": "" }),
    )
    .await;
    ok(&mut a, "chat message", say("design", "first")).await;
    assert_eq!(
        lines(&mut a, "design", 0).await,
        [json!(["message", "ana"])]
    );

    ok(&mut b, "join room", json!({ "room": "design" })).await;
    let live = next_event(&mut a, "chat message").await;
    assert_eq!(
        (live["kind"].clone(), live["seq"].clone()),
        (json!("joined"), json!(2))
    );
    assert_eq!(live["author"]["name"], "bob");
    assert_eq!(live["body"], "");
    // Joining again, or connecting again, adds nothing.
    ok(&mut b, "join room", json!({ "room": "design" })).await;
    drop(b);
    let mut b = WsClient::join_as(&server, &bob).await;
    ok(&mut b, "chat message", say("design", "hi")).await;
    ok(&mut b, "leave room", json!({ "room": "design" })).await;
    assert_eq!(
        lines(&mut a, "design", 1).await,
        [
            json!(["joined", "bob"]),
            json!(["message", "bob"]),
            json!(["left", "bob"])
        ]
    );
    // Lines are not news: Ana has one unread message from Bob, not three.
    let sidebar = ok(&mut a, "sidebar", Value::Null).await;
    let design = sidebar
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["room"] == "design");
    assert_eq!(design.unwrap()["unread"], 1, "{sidebar}");
}

#[tokio::test]
async fn a_new_name_joins_general_with_a_line_and_signing_in_again_adds_none() {
    let server = start(test_config()).await;
    let mut watcher = WsClient::member(&server).await;
    let joined = call(
        &server,
        "join",
        None,
        &[("name", "zed"), ("password", "correct horse")],
    )
    .await;
    assert_eq!(joined.status, 200, "{}", joined.body);
    let line = next_event(&mut watcher, "chat message").await;
    assert_eq!(
        (line["kind"].clone(), line["author"]["name"].clone()),
        (json!("joined"), json!("zed"))
    );
    let seq = line["seq"].as_u64().unwrap();

    let again = call(
        &server,
        "join",
        None,
        &[("name", "zed"), ("password", "correct horse")],
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    ok(&mut watcher, "chat message", say("general", "after")).await;
    assert_eq!(
        lines(&mut watcher, "general", seq).await,
        [json!(["message", "tester"])]
    );
}
