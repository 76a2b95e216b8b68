//! People and rooms: sessions on CONNECT, who may see what, public rooms, DMs, read markers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use natter::server::auth::hash_token;
use natter_contract::dm_room;
use serde_json::{Value, json};
use tokio::time::{Instant, timeout_at};

use crate::{api::call, support::*};

const LIMIT: (&str, &str) = ("limit", "5");
pub const UNAUTHORIZED: &str = r#"44{"message":"unauthorized"}"#;

pub async fn users<const N: usize>(server: &Server, names: [&str; N]) -> [TestUser; N] {
    let mut users = Vec::with_capacity(N);
    for name in names {
        users.push(server.user(name).await);
    }
    users.try_into().unwrap()
}

/// `event` with a JSON payload; its ack.
pub async fn ask(client: &mut WsClient, event: &str, payload: Value) -> Value {
    client.emit(1, event, &payload.to_string()).await
}

/// The `ok` of an ack that must have succeeded.
pub async fn ok(client: &mut WsClient, event: &str, payload: Value) -> Value {
    let ack = ask(client, event, payload.clone()).await;
    assert!(ack.get("error").is_none(), "{event} {payload}: {ack}");
    ack["ok"].clone()
}

/// Asserts `ack` is the error `code` and carries no data.
pub fn refused(ack: &Value, code: &str, what: &str) {
    assert_eq!(ack["error"]["code"], code, "{what}: {ack}");
    assert!(ack.get("ok").is_none(), "{what}: {ack}");
}

pub fn say(room: &str, body: &str) -> Value {
    json!({ "room": room, "client_id": client_id(), "body": body })
}

/// The values at the JSON `pointers` of `value`, as an array.
fn pick(value: &Value, pointers: &[&str]) -> Value {
    let found = pointers.iter().map(|p| value.pointer(p).cloned());
    found.map(Option::unwrap_or_default).collect()
}

/// `[latest_seq, read_seq, unread]` of `room` in the client's sidebar.
async fn line(client: &mut WsClient, room: &str) -> Value {
    let sidebar = ok(client, "sidebar", Value::Null).await;
    let rooms = sidebar.as_array().unwrap();
    let line = rooms.iter().find(|line| line["room"] == room);
    pick(line.unwrap(), &["/latest_seq", "/read_seq", "/unread"])
}

/// `[topic, members]` of the public room `room`, as `rooms` lists it.
async fn listed(client: &mut WsClient, room: &str) -> Value {
    let rooms = ok(client, "rooms", Value::Null).await;
    let rooms = rooms.as_array().unwrap();
    let info = rooms.iter().find(|info| info["room"] == room);
    pick(info.unwrap_or(&Value::Null), &["/topic", "/members"])
}

/// Skips frames until the event `name` arrives; returns its payload.
pub async fn next_event(client: &mut WsClient, name: &str) -> Value {
    within(name, async {
        loop {
            let frame = client.recv().await;
            if frame.starts_with("42") {
                let (event, payload) = parse_event(&frame);
                if event == name {
                    return payload;
                }
            }
        }
    })
    .await
}

/// Asserts that no event reaches `client` for 300 ms.
async fn quiet(client: &mut WsClient, who: &str) {
    let deadline = Instant::now() + Duration::from_millis(300);
    while let Ok(frame) = timeout_at(deadline, client.next_frame()).await {
        match frame {
            Frame::Text(text) => assert!(!text.starts_with("42"), "{who} got {text}"),
            Frame::Closed => panic!("{who}'s connection closed"),
        }
    }
}

/// A session of `user` that expired a minute ago; returns its secret.
async fn expired_session(server: &Server, user: &TestUser) -> String {
    let secret = format!("expired-{}", client_id());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let past = i64::try_from(now.as_millis()).unwrap() - 60_000;
    let store = server.store.as_ref();
    store
        .create_session(&hash_token(&secret), user.user.id, past)
        .await
        .unwrap();
    secret
}

/// What the server answers a WebSocket CONNECT `packet` with.
async fn connect(server: &Server, packet: &str) -> String {
    let (mut client, _) = WsClient::open(server, None, true).await.unwrap();
    client.send(packet);
    client.recv().await
}

/// A polling CONNECT (no `auth`) whose handshake carried `cookie`; the server's answer.
async fn connect_with_cookie(server: &Server, cookie: &str) -> String {
    let open = http().get(server.polling_url()).header("cookie", cookie);
    let body = open.send().await.unwrap().text().await.unwrap();
    let open: Value = serde_json::from_str(body.strip_prefix('0').unwrap()).unwrap();
    let sid = open["sid"].as_str().unwrap();
    let url = format!("{}&sid={sid}", server.polling_url());
    let session = PollingSession { url };
    session.post("40").await;
    within("a CONNECT answer", async {
        loop {
            if let Some(packet) = session.get().await.into_iter().find(|p| p.starts_with('4')) {
                return packet;
            }
        }
    })
    .await
}

#[tokio::test]
async fn connect_needs_a_live_session() {
    let server = start(test_config()).await;
    let bob = server.user("bob").await;
    let expired = expired_session(&server, &bob).await;
    natter::server::people::sign_out(server.store.as_ref(), &server.io, &bob.token)
        .await
        .unwrap();
    for packet in [
        "40".to_owned(),
        "40{}".to_owned(),
        r#"40{"token":5}"#.to_owned(),
        r#"40{"token":"garbage"}"#.to_owned(),
        format!("40{}", json!({ "token": expired })),
        bob.connect_packet(),
    ] {
        assert_eq!(connect(&server, &packet).await, UNAUTHORIZED, "{packet}");
    }
    let cookie = format!("natter_session={}", server.tester.token);
    let connected = connect_with_cookie(&server, &cookie).await;
    assert!(connected.starts_with("40{\"sid\":"), "{connected}");
    for cookie in ["natter_session=garbage", "theme=dark"] {
        assert_eq!(connect_with_cookie(&server, cookie).await, UNAUTHORIZED);
    }
    WsClient::join(&server).await;
}

#[tokio::test]
async fn outsiders_get_errors_and_nothing_else() {
    let server = start(test_config()).await;
    let [alice, bob, carol] = users(&server, ["alice", "bob", "carol"]).await;
    let mut a = WsClient::join_as(&server, &alice).await;
    let mut b = WsClient::join_as(&server, &bob).await;
    let mut c = WsClient::join_as(&server, &carol).await;
    let dm = dm_room(alice.user.id, bob.user.id);
    // Another pair's DM that does not exist (yet).
    let ghost = dm_room(bob.user.id, 999_999);
    let design = json!({ "room": "design", "topic": "" });
    ok(&mut a, "create room", design).await;
    ok(&mut a, "chat message", say("design", "secret plans")).await;
    ok(&mut a, "chat message", say(&dm, "psst")).await;
    ok(&mut b, "sync", json!({ "room": dm, "after_seq": 0 })).await;

    let mut cases = vec![];
    for (room, code) in [
        ("design", "forbidden"),
        (&dm, "forbidden"),
        (&ghost, "forbidden"),
        ("nowhere", "unknown_room"),
    ] {
        cases.extend([
            ("chat message", say(room, "let me in"), code),
            ("sync", json!({ "room": room, "after_seq": 0 }), code),
            ("history", json!({ "room": room, "before_seq": 2 }), code),
            ("members", json!({ "room": room }), code),
            (
                "edit message",
                json!({ "room": room, "seq": 1, "client_id": client_id(), "body": "x" }),
                code,
            ),
            (
                "delete message",
                json!({ "room": room, "seq": 1, "client_id": client_id() }),
                code,
            ),
            // Typing counts only in a room this socket follows: no query, one answer.
            ("typing", json!({ "room": room }), "forbidden"),
        ]);
        if room != "nowhere" {
            // See `read_of_a_room_that_does_not_exist_is_unknown_room`.
            cases.push(("read", json!({ "room": room, "seq": 1 }), code));
        }
    }
    for (room, code) in [
        ("design", "forbidden"),
        (&dm, "unknown_room"),
        (&ghost, "unknown_room"),
    ] {
        cases.push(("leave room", json!({ "room": room }), code));
    }
    for room in [&dm, &ghost] {
        cases.push(("join room", json!({ "room": room }), "unknown_room"));
        let create = json!({ "room": room, "topic": "" });
        cases.push(("create room", create, "invalid_room_name"));
    }
    cases.push(("open dm", json!({ "name": "nobody" }), "unknown_user"));
    for (event, payload, code) in cases {
        let ack = ask(&mut c, event, payload.clone()).await;
        refused(&ack, code, &format!("{event} {payload}"));
    }
    let sidebar = ok(&mut c, "sidebar", json!({})).await;
    assert_eq!(sidebar.as_array().unwrap().len(), 1, "{sidebar}");
    assert_eq!(sidebar[0]["room"], "general");
    let rooms = ok(&mut c, "rooms", json!({})).await;
    assert!(!rooms.to_string().contains("dm."), "{rooms}");

    // Over HTTP: without a session, with an expired one, and as carol.
    let expired = expired_session(&server, &carol).await;
    for session in [None, Some(expired.as_str())] {
        let me = call(&server, "current_user", session, &[]).await;
        assert_eq!(me.json(), Value::Null, "{session:?}");
        for (function, form) in [
            ("recent_messages", vec![("room", "general"), LIMIT]),
            ("recent_messages", vec![("room", dm.as_str()), LIMIT]),
            ("open_dm", vec![("name", "bob")]),
            ("join_room", vec![("room", "design")]),
        ] {
            let reply = call(&server, function, session, &form).await;
            reply.refused("unauthorized");
            assert!(!reply.body.contains("psst") && !reply.body.contains("secret"));
        }
    }
    let token = Some(carol.token.as_str());
    for (function, form, code) in [
        (
            "recent_messages",
            vec![("room", "design"), LIMIT],
            "forbidden",
        ),
        ("recent_messages", vec![("room", &dm), LIMIT], "forbidden"),
        (
            "recent_messages",
            vec![("room", &ghost), LIMIT],
            "forbidden",
        ),
        (
            "recent_messages",
            vec![("room", "nowhere"), LIMIT],
            "unknown_room",
        ),
        ("join_room", vec![("room", dm.as_str())], "unknown_room"),
        ("open_dm", vec![("name", "nobody")], "unknown_user"),
    ] {
        let reply = call(&server, function, token, &form).await;
        reply.refused(code);
        assert!(!reply.body.contains("psst") && !reply.body.contains("secret"));
    }
    let me = call(&server, "current_user", token, &[]).await.json();
    assert_eq!(me["rooms"].as_array().unwrap().len(), 1, "{me}");

    // Nothing was written or created for her, and nothing reaches her live.
    assert_eq!(server.store.latest_seq("design").await.unwrap(), 1);
    assert_eq!(server.store.latest_seq(&dm).await.unwrap(), 1);
    assert!(server.store.latest_seq(&ghost).await.is_err());
    ok(&mut a, "chat message", say("design", "more plans")).await;
    ok(&mut a, "chat message", say(&dm, "psst again")).await;
    let message = next_event(&mut b, "chat message").await;
    assert_eq!(message["body"], "psst again");
    quiet(&mut c, "carol").await;
}

#[tokio::test]
async fn read_of_a_room_that_does_not_exist_is_unknown_room() {
    let server = start(test_config()).await;
    let mut client = WsClient::join(&server).await;
    let ack = ask(&mut client, "read", json!({ "room": "nowhere", "seq": 1 })).await;
    refused(&ack, "unknown_room", "read nowhere");
}

#[tokio::test]
async fn a_dm_with_nobody_is_refused_for_good() {
    let server = start(test_config()).await;
    let mut client = WsClient::join(&server).await;
    let key = dm_room(server.tester.user.id, 999_999);
    for (event, payload) in [
        ("chat message", say(&key, "anyone?")),
        ("sync", json!({ "room": key, "after_seq": 0 })),
        ("history", json!({ "room": key, "before_seq": 1 })),
    ] {
        let ack = ask(&mut client, event, payload).await;
        assert!(ack.get("ok").is_none(), "{event}: {ack}");
        let code = error_code(&ack);
        assert!(
            ["forbidden", "unknown_user"].contains(&code),
            "{event}: {ack}"
        );
    }
}

#[tokio::test]
async fn public_rooms_are_created_joined_and_left() {
    let server = start(test_config()).await;
    let [alice, carol] = users(&server, ["alice", "carol"]).await;
    let mut a = WsClient::join_as(&server, &alice).await;
    let mut a2 = WsClient::join_as(&server, &alice).await;
    let mut c = WsClient::join_as(&server, &carol).await;
    let mut c2 = WsClient::join_as(&server, &carol).await;

    let create = json!({ "room": "design", "topic": " Pixels " });
    let created = ok(&mut a, "create room", create).await;
    let line = json!({ "room": "design", "kind": "public", "peer": null, "topic": "Pixels",
        "latest_seq": 0, "read_seq": 0, "unread": 0, "mentions": 0 });
    assert_eq!(created, line);
    assert_eq!(next_event(&mut a2, "room added").await, line);
    assert_eq!(listed(&mut c, "design").await, json!(["Pixels", 1]));
    assert_eq!(listed(&mut c, "general").await, json!(["", 3]));

    for room in ["Design", "has space", "", "dm.1.2", &"a".repeat(33)] {
        let ack = ask(&mut c, "create room", json!({ "room": room, "topic": "" })).await;
        refused(&ack, "invalid_room_name", room);
    }
    for room in ["design", "general"] {
        let ack = ask(&mut c, "create room", json!({ "room": room })).await;
        refused(&ack, "room_taken", room);
    }
    let long = json!({ "room": "long", "topic": "x".repeat(201) });
    let ack = ask(&mut c, "create room", long).await;
    refused(&ack, "topic_too_long", "topic");

    ok(&mut a, "sync", json!({ "room": "design", "after_seq": 0 })).await;
    ok(&mut a, "chat message", say("design", "first")).await;
    quiet(&mut c, "carol before joining").await;

    let joined = ok(&mut c, "join room", json!({ "room": "design" })).await;
    // "first", then the line "carol joined", which is not unread.
    assert_eq!(pick(&joined, &["/latest_seq", "/unread"]), json!([2, 1]));
    assert_eq!(next_event(&mut c2, "room added").await, joined);
    assert_eq!(listed(&mut c, "design").await, json!(["Pixels", 2]));
    let page = ok(&mut c, "sync", json!({ "room": "design", "after_seq": 0 })).await;
    assert_eq!(page["messages"][0]["body"], "first");
    ok(&mut a, "chat message", say("design", "second")).await;
    assert_eq!(next_event(&mut c, "chat message").await["body"], "second");

    ok(&mut c, "leave room", json!({ "room": "design" })).await;
    let removed = next_event(&mut c2, "room removed").await;
    assert_eq!(removed, json!({ "room": "design" }));
    ok(&mut a, "chat message", say("design", "third")).await;
    quiet(&mut c, "carol after leaving").await;
    let sync = ask(&mut c, "sync", json!({ "room": "design", "after_seq": 0 })).await;
    refused(&sync, "forbidden", "sync after leaving");
    assert_eq!(listed(&mut c, "design").await, json!(["Pixels", 1]));
}

#[tokio::test]
async fn a_dm_reaches_both_people_on_every_tab() {
    let server = start(test_config()).await;
    let [alice, bob, carol] = users(&server, ["alice", "bob", "carol"]).await;
    let mut a1 = WsClient::join_as(&server, &alice).await;
    let mut a2 = WsClient::join_as(&server, &alice).await;
    let mut b1 = WsClient::join_as(&server, &bob).await;
    let mut b2 = WsClient::join_as(&server, &bob).await;
    let mut c = WsClient::join_as(&server, &carol).await;

    let opened = ok(&mut a1, "open dm", json!({ "name": "Bob" })).await;
    let room = dm_room(alice.user.id, bob.user.id);
    assert_eq!(opened["room"], room);
    assert_eq!(pick(&opened, &["/kind", "/latest_seq"]), json!(["dm", 0]));
    assert_eq!(opened["peer"], json!({ "id": bob.user.id, "name": "bob" }));
    // An empty DM is in nobody's sidebar yet.
    let sidebar = ok(&mut b1, "sidebar", Value::Null).await;
    assert_eq!(sidebar.as_array().unwrap().len(), 1, "{sidebar}");

    ok(&mut a1, "chat message", say(&room, "hi bob")).await;
    for tab in [&mut b1, &mut b2] {
        let added = next_event(tab, "room added").await;
        assert_eq!(added["room"], room);
        assert_eq!(
            added["peer"],
            json!({ "id": alice.user.id, "name": "alice" })
        );
        assert_eq!(pick(&added, &["/latest_seq", "/unread"]), json!([1, 1]));
    }
    let added = next_event(&mut a2, "room added").await;
    assert_eq!(pick(&added, &["/peer/name", "/unread"]), json!(["bob", 0]));

    for tab in [&mut b1, &mut b2] {
        let page = ok(tab, "sync", json!({ "room": room, "after_seq": 0 })).await;
        assert_eq!(page["messages"][0]["body"], "hi bob");
        assert_eq!(page["messages"][0]["author"]["name"], "alice");
    }
    ok(&mut a1, "sync", json!({ "room": room, "after_seq": 1 })).await;
    ok(&mut b1, "chat message", say(&room, "hi alice")).await;
    for tab in [&mut a1, &mut b2] {
        let message = next_event(tab, "chat message").await;
        let got = pick(&message, &["/body", "/author/name"]);
        assert_eq!(got, json!(["hi alice", "bob"]));
    }

    let sync = ask(&mut c, "sync", json!({ "room": room, "after_seq": 0 })).await;
    refused(&sync, "forbidden", "carol's sync");
    quiet(&mut c, "carol").await;

    // A key with yourself in it needs no `open dm`: the first message creates it.
    let key = dm_room(carol.user.id, alice.user.id);
    ok(&mut c, "chat message", say(&key, "hello alice")).await;
    let added = next_event(&mut a2, "room added").await;
    assert_eq!(
        pick(&added, &["/room", "/peer/name"]),
        json!([key, "carol"])
    );
    let notes = dm_room(carol.user.id, carol.user.id);
    ok(&mut c, "chat message", say(&notes, "note to self")).await;
    let sidebar = ok(&mut c, "sidebar", Value::Null).await;
    assert_eq!(sidebar.as_array().unwrap().len(), 3, "{sidebar}");
}

#[tokio::test]
async fn read_markers_move_forward_on_every_tab() {
    let server = start(test_config()).await;
    let [alice, bob] = users(&server, ["alice", "bob"]).await;
    let mut a = WsClient::join_as(&server, &alice).await;
    let mut b1 = WsClient::join_as(&server, &bob).await;
    let mut b2 = WsClient::join_as(&server, &bob).await;
    let read = |seq: u64| json!({ "room": "general", "seq": seq });

    ok(&mut a, "chat message", say("general", "one")).await;
    ok(&mut a, "chat message", say("general", "two")).await;
    assert_eq!(line(&mut b1, "general").await, json!([2, 0, 2]));
    // Your own messages are never unread.
    ok(&mut b1, "chat message", say("general", "three")).await;
    assert_eq!(line(&mut b1, "general").await, json!([3, 0, 2]));

    assert_eq!(ok(&mut b1, "read", read(1)).await, 1);
    assert_eq!(next_event(&mut b2, "read").await, read(1));
    assert_eq!(line(&mut b1, "general").await, json!([3, 1, 1]));
    // Never past the newest message, never back.
    assert_eq!(ok(&mut b1, "read", read(99)).await, 1);
    assert_eq!(ok(&mut b1, "read", read(3)).await, 3);
    assert_eq!(ok(&mut b1, "read", read(2)).await, 3);
    assert_eq!(line(&mut b1, "general").await, json!([3, 3, 0]));
    for seq in [1, 3, 3] {
        assert_eq!(next_event(&mut b2, "read").await, read(seq));
    }
    quiet(&mut a, "alice").await;

    ok(&mut a, "chat message", say("general", "four")).await;
    assert_eq!(line(&mut b2, "general").await, json!([4, 3, 1]));
}

#[tokio::test]
async fn messages_name_their_author_and_client_ids_are_per_author() {
    let server = start(test_config()).await;
    let [alice, bob] = users(&server, ["alice", "bob"]).await;
    let mut a = WsClient::join_as(&server, &alice).await;
    let mut b = WsClient::join_as(&server, &bob).await;
    let mut watcher = WsClient::member(&server).await;
    let id = client_id();
    let same = |body: &str| json!({ "room": "general", "client_id": id, "body": body });

    let first = ok(&mut a, "chat message", same("from alice")).await;
    let second = ok(&mut b, "chat message", same("from bob")).await;
    assert_eq!((&first["seq"], &second["seq"]), (&json!(1), &json!(2)));
    for (author, body) in [(&alice.user, "from alice"), (&bob.user, "from bob")] {
        let message = next_event(&mut watcher, "chat message").await;
        assert_eq!(pick(&message, &["/body", "/client_id"]), json!([body, id]));
        let expected = json!({ "id": author.id, "name": author.name });
        assert_eq!(message["author"], expected);
    }

    // Alice resending gets her original ack; nothing new is stored or broadcast.
    assert_eq!(ok(&mut a, "chat message", same("from alice")).await, first);
    assert_eq!(server.store.latest_seq("general").await.unwrap(), 2);
    quiet(&mut watcher, "the watcher").await;
    let before = json!({ "room": "general", "before_seq": 3 });
    let page = ok(&mut a, "history", before).await;
    assert_eq!(page["messages"][1]["author"]["name"], "bob");
}
