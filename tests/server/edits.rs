//! Editing and deleting one's own messages: each change is a row of the room's log with its
//! own seq, heard live and brought by sync; pages hold messages in their latest state; only
//! the author may change a message, and a deleted one stays deleted.

use serde_json::{Value, json};

use crate::{
    people::{ask, next_event, ok, refused, say, users},
    support::*,
};

fn edit(seq: u64, body: &str) -> Value {
    json!({ "room": "general", "seq": seq, "client_id": client_id(), "body": body })
}

fn delete(seq: u64) -> Value {
    json!({ "room": "general", "seq": seq, "client_id": client_id() })
}

/// The rows of general after `after_seq`, as sync returns them.
async fn rows(client: &mut WsClient, after_seq: u64) -> Vec<Value> {
    let page = ok(
        client,
        "sync",
        json!({ "room": "general", "after_seq": after_seq }),
    )
    .await;
    page["messages"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_edit_is_heard_live_synced_later_and_paged_in_its_latest_state() {
    let server = start(test_config()).await;
    let [ana, bob] = users(&server, ["ana", "bob"]).await;
    let mut a = WsClient::join_as(&server, &ana).await;
    let mut b = WsClient::join_as(&server, &bob).await;
    ok(&mut b, "sync", json!({ "room": "general", "after_seq": 0 })).await;
    let start = ok(&mut a, "sync", json!({ "room": "general", "after_seq": 0 })).await;
    let base = start["latest_seq"].as_u64().unwrap();

    let sent = ok(&mut a, "chat message", say("general", "helo wrold")).await;
    let seq = sent["seq"].as_u64().unwrap();
    next_event(&mut b, "chat message").await;
    let edited = ok(&mut a, "edit message", edit(seq, "hello world")).await;
    assert_eq!(edited["seq"], seq + 1, "an edit takes the room's next seq");

    let live = next_event(&mut b, "chat message").await;
    assert_eq!(
        (&live["kind"], &live["target"], &live["body"], &live["seq"]),
        (
            &json!("edit"),
            &json!(seq),
            &json!("hello world"),
            &json!(seq + 1)
        )
    );

    // A client that was away syncs the message, already edited, and the edit itself.
    let caught_up = rows(&mut b, base).await;
    assert_eq!(caught_up.len(), 2, "{caught_up:?}");
    assert_eq!(caught_up[0]["body"], "hello world");
    assert_eq!(
        caught_up[0]["revision"],
        json!({ "seq": seq + 1, "at": live["sent_at"] })
    );
    assert_eq!(caught_up[1]["kind"], "edit");

    // Scrolling back (history) shows the latest state as well.
    let older = ok(
        &mut b,
        "history",
        json!({ "room": "general", "before_seq": seq + 1 }),
    )
    .await;
    let message = older["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (message["seq"].as_u64(), &message["body"]),
        (Some(seq), &json!("hello world"))
    );

    // A resend of the same edit (its ack was lost) is answered, not applied twice.
    let again = edit(seq, "hello world!");
    let first = ok(&mut a, "edit message", again.clone()).await;
    let resent = ok(&mut a, "edit message", again).await;
    assert_eq!(first, resent);
    assert_eq!(
        rows(&mut a, seq + 1).await.len(),
        1,
        "one row for the edit and its resend"
    );
}

#[tokio::test]
async fn only_the_author_may_change_a_message_and_a_delete_is_final() {
    let server = start(test_config()).await;
    let [ana, bob] = users(&server, ["ana", "bob"]).await;
    let mut a = WsClient::join_as(&server, &ana).await;
    let mut b = WsClient::join_as(&server, &bob).await;
    let sent = ok(&mut a, "chat message", say("general", "secret plan")).await;
    let seq = sent["seq"].as_u64().unwrap();
    ok(&mut a, "edit message", edit(seq, "secret plan v2")).await;

    let theirs = ask(&mut b, "edit message", edit(seq, "mine now")).await;
    refused(&theirs, "forbidden", "editing another's message");
    let theirs = ask(&mut b, "delete message", delete(seq)).await;
    refused(&theirs, "forbidden", "deleting another's message");

    let deleted = ok(&mut a, "delete message", delete(seq)).await;
    let twice = ask(&mut a, "delete message", delete(seq)).await;
    refused(&twice, "message_deleted", "deleting twice");
    let late = ask(&mut a, "edit message", edit(seq, "back")).await;
    refused(&late, "message_deleted", "editing a deleted message");

    // Deleted means gone: the message's body and its edit's are blank in the store.
    let log = rows(&mut b, seq - 1).await;
    let kinds: Vec<_> = log.iter().map(|m| m.get("kind").cloned()).collect();
    assert_eq!(kinds, [None, Some(json!("edit")), Some(json!("delete"))]);
    assert!(log.iter().all(|m| m["body"] == ""), "{log:?}");
    assert_eq!(log[0]["revision"]["deleted"], true);
    assert_eq!(log[0]["revision"]["seq"], deleted["seq"]);
    // Refusals take no seq.
    assert_eq!(log.last().unwrap()["seq"], deleted["seq"]);
}

#[tokio::test]
async fn bad_edits_are_refused_with_their_reason() {
    let server = start(test_config()).await;
    let mut a = WsClient::join(&server).await;
    let sent = ok(&mut a, "chat message", say("general", "hi")).await;
    let seq = sent["seq"].as_u64().unwrap();
    let cases = [
        (edit(seq, &"x".repeat(4001)), "message_too_long"),
        (edit(seq, "  "), "empty_message"),
        (edit(seq + 99, "x"), "unknown_message"),
        (edit(0, "x"), "unknown_message"),
        (
            json!({ "room": "general", "seq": seq, "client_id": "1", "body": "x" }),
            "invalid_id",
        ),
        (
            json!({ "room": "general", "seq": "one", "client_id": client_id(), "body": "x" }),
            "invalid_payload",
        ),
        (
            json!({ "room": "general", "seq": seq, "client_id": client_id(), "body": "x", "as": 1 }),
            "invalid_payload",
        ),
        (
            json!({ "room": "nowhere", "seq": seq, "client_id": client_id(), "body": "x" }),
            "unknown_room",
        ),
    ];
    for (payload, code) in cases {
        let ack = ask(&mut a, "edit message", payload.clone()).await;
        refused(&ack, code, &payload.to_string());
    }
    // A join line is no message to edit.
    let [ana] = users(&server, ["ana"]).await;
    let mut watcher = WsClient::join_as(&server, &ana).await;
    ok(
        &mut watcher,
        "create room",
        json!({ "room": "design", "topic": "" }),
    )
    .await;
    ok(&mut a, "join room", json!({ "room": "design" })).await;
    let line = json!({ "room": "design", "seq": 1, "client_id": client_id() });
    refused(
        &ask(&mut watcher, "delete message", line).await,
        "unknown_message",
        "a line",
    );
    // The message was left as it was.
    let page = rows(&mut a, seq - 1).await;
    assert_eq!((page.len(), &page[0]["body"]), (1, &json!("hi")));
}

#[tokio::test]
async fn edits_count_against_the_message_rate() {
    let mut config = test_config();
    config.message_rate = 1;
    config.message_burst = 2;
    let server = start(config).await;
    let mut a = WsClient::join(&server).await;
    let sent = ok(&mut a, "chat message", say("general", "one")).await;
    let seq = sent["seq"].as_u64().unwrap();
    ok(&mut a, "edit message", edit(seq, "uno")).await;
    let over = ask(&mut a, "edit message", edit(seq, "eins")).await;
    refused(&over, "rate_limited", "a third write in a burst of two");
    assert!(over["error"]["retry_after_ms"].as_u64().unwrap() > 0);
}
