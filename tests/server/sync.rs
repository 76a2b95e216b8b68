//! SYNC ROOMS: one request after a (re)connect for every room, answered only where there is
//! something new, and refused room by room.

use serde_json::{Value, json};

use crate::people::{ask, next_event, ok, say, users};
use crate::support::*;

fn cursors(rooms: &[(&str, u64)]) -> Value {
    let rooms: Vec<Value> = rooms
        .iter()
        .map(|(room, after)| json!({ "room": room, "after_seq": after }))
        .collect();
    json!({ "rooms": rooms })
}

/// `(room, seqs)` of an answer's pages, sorted.
type Pages = Vec<(String, Vec<u64>)>;
/// `(room, code)` of an answer's refusals, sorted.
type Refusals = Vec<(String, String)>;

fn answer(synced: &Value) -> (Pages, Refusals) {
    let mut pages: Pages = synced["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|page| {
            (
                page["room"].as_str().unwrap().to_owned(),
                page_seqs(&json!({ "ok": page })),
            )
        })
        .collect();
    pages.sort();
    let mut refused: Refusals = synced["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["room"].as_str().unwrap().to_owned(),
                r["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    refused.sort();
    (pages, refused)
}

#[tokio::test]
async fn one_request_answers_only_the_rooms_with_news() {
    let server = start(test_config()).await;
    let [alice, bob] = users(&server, ["alice", "bob"]).await;
    let mut a = WsClient::join_as(&server, &alice).await;
    for room in ["design", "ops", "secret"] {
        ok(&mut a, "create room", json!({ "room": room })).await;
    }
    let mut b = WsClient::join_as(&server, &bob).await;
    for room in ["design", "ops"] {
        ok(&mut b, "join room", json!({ "room": room })).await;
    }
    let dm = natter_contract::dm_room(alice.user.id, bob.user.id);
    for body in ["d1", "d2"] {
        ok(&mut a, "chat message", say("design", body)).await;
    }
    ok(&mut a, "chat message", say(&dm, "psst")).await;

    // bob, as after a reconnect: design is 1 behind, ops and general are up to date (each
    // room's first line is "bob joined").
    let mut b = WsClient::join_as(&server, &bob).await;
    let request = cursors(&[
        ("general", 0),
        ("design", 2),
        ("ops", 1),
        (&dm, 0),
        ("secret", 0),
        ("nowhere", 0),
        ("Bad Name", 0),
    ]);
    let synced = ok(&mut b, "sync rooms", request).await;
    let (pages, refused) = answer(&synced);
    assert_eq!(
        pages,
        [("design".to_owned(), vec![3]), (dm.clone(), vec![1])]
    );
    assert_eq!(
        refused,
        [
            ("Bad Name".to_owned(), "unknown_room".to_owned()),
            ("nowhere".to_owned(), "unknown_room".to_owned()),
            ("secret".to_owned(), "forbidden".to_owned()),
        ]
    );
    // Subscribed to every room it was let into, quiet ones included.
    ok(&mut a, "chat message", say("ops", "o1")).await;
    assert_eq!(next_event(&mut b, "chat message").await["body"], "o1");

    let ahead = ok(&mut b, "sync rooms", cursors(&[("design", 9)])).await;
    assert_eq!(
        answer(&ahead).1,
        [("design".to_owned(), "seq_out_of_range".to_owned())]
    );
}

#[tokio::test]
async fn malformed_requests_are_refused_whole() {
    let server = start(test_config()).await;
    let mut client = WsClient::join(&server).await;
    let twice = cursors(&[("general", 0), ("general", 0)]);
    let too_many: Vec<(String, u64)> = (0..=natter_contract::MAX_SYNC_ROOMS)
        .map(|n| (format!("r{n}"), 0))
        .collect();
    let too_many: Vec<(&str, u64)> = too_many.iter().map(|(r, s)| (r.as_str(), *s)).collect();
    for payload in [
        twice,
        cursors(&too_many),
        json!({ "rooms": "general" }),
        json!([]),
    ] {
        let ack = ask(&mut client, "sync rooms", payload.clone()).await;
        assert_eq!(error_code(&ack), "invalid_payload", "{payload}");
    }
}

/// A DM not opened yet is one of the pair's to follow: SYNC ROOMS opens it, as SYNC does,
/// instead of refusing it (which would make the client stop following it).
#[tokio::test]
async fn a_dm_not_opened_yet_is_followed_not_refused() {
    let server = start(test_config()).await;
    let [alice, bob] = users(&server, ["alice", "bob"]).await;
    let mut b = WsClient::join_as(&server, &bob).await;
    let dm = natter_contract::dm_room(alice.user.id, bob.user.id);
    let synced = ok(&mut b, "sync rooms", cursors(&[(&dm, 0)])).await;
    assert_eq!(answer(&synced), (Vec::new(), Vec::new()));
    let mut a = WsClient::join_as(&server, &alice).await;
    ok(&mut a, "chat message", say(&dm, "first")).await;
    assert_eq!(next_event(&mut b, "chat message").await["body"], "first");
}
