//! No message lost, none duplicated, none reordered, in any room: 50 native clients (a mix of
//! polling, WebSocket and upgrading) chat in three public rooms and ten DMs while the server
//! process is restarted twice, once gracefully (SIGTERM) and once with SIGKILL, on the same
//! SQLite file. Each client is a user of its own, joined over HTTP once the server is up;
//! their sessions, kept in that file, carry them through both restarts.
//!
//! Everyone is in `general`; client `i` talks in public room `i % 3` (`general`, `room-1`,
//! `room-2`; the latter two created by clients 1 and 2, joined by the others) and, for the
//! first 20 clients, alternately in the DM with its pair (`2j`, `2j + 1`).
#![cfg(feature = "ssr")]

#[path = "delivery/chat_client.rs"]
mod chat_client;
#[path = "delivery/process.rs"]
mod process;

use chat_client::{ChatClient, Member, eventually, join};
use natter_client::TransportKind::{Polling, WebSocket};
use natter_contract::{ChatMessage, DEFAULT_ROOM, Joined, MessageKind, dm_room, event};
use process::{ServerProcess, free_port};
use serde_json::json;
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

const CLIENTS: usize = 50;
const MESSAGES_EACH: usize = 6;
const ROUNDS: usize = 3;
/// Clients `2j` and `2j + 1`, for `j` below this, share a DM.
const DM_PAIRS: usize = 10;

/// Where client `i` talks in public: `general`, `room-1` or `room-2`.
fn public_room(i: usize) -> String {
    match i % 3 {
        0 => DEFAULT_ROOM.to_owned(),
        r => format!("room-{r}"),
    }
}

/// A client not settled: its index, outbox length, and `(held up to, said, room)` per room.
type Stuck = (usize, usize, Vec<(u64, u64, String)>);

/// The bodies by sender, each sender's in the order given.
fn by_author<'a>(bodies: impl Iterator<Item = &'a str>) -> BTreeMap<usize, Vec<&'a str>> {
    let mut by: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for body in bodies {
        by.entry(sender(body)).or_default().push(body);
    }
    by
}

/// The sender's index, from a body `client {i} round {r} message {k}`.
fn sender(body: &str) -> usize {
    body.split(' ').nth(1).and_then(|i| i.parse().ok()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_in_rooms_and_dms_through_a_graceful_restart_and_a_sigkill() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = ServerProcess::start(port, data.path()).await;

    let run = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let mut members: Vec<Member> = Vec::new();
    for i in 0..CLIENTS {
        members.push(join(&url, &format!("c{i}-{run}")).await);
    }
    let transports = [vec![Polling], vec![WebSocket], vec![Polling, WebSocket]];
    let clients: Vec<ChatClient> = (0..CLIENTS)
        .map(|i| ChatClient::start(&url, &members[i], transports[i % 3].clone()))
        .collect();
    let connected = eventually(Duration::from_secs(20), || {
        clients.iter().all(ChatClient::is_connected)
    })
    .await;
    assert!(connected, "not every client connected");

    // The rooms and DMs, before the restarts; each client follows its own.
    for (r, creator) in clients.iter().enumerate().take(3).skip(1) {
        let room = public_room(r);
        let made = creator
            .request::<Joined>(
                event::CREATE_ROOM,
                &json!({ "room": room, "topic": "restarts" }),
            )
            .await;
        assert_eq!(made.map(|j| j.room), Ok(room), "client {r} creating it");
    }
    for i in (3..CLIENTS).filter(|i| i % 3 != 0) {
        let joined = clients[i]
            .request::<Joined>(event::JOIN_ROOM, &json!({ "room": public_room(i) }))
            .await;
        assert_eq!(joined.map(|j| j.room), Ok(public_room(i)), "client {i}");
    }
    let mut dm_of: Vec<Option<String>> = vec![None; CLIENTS];
    for (a, b) in (0..DM_PAIRS).map(|j| (2 * j, 2 * j + 1)) {
        let room = dm_room(members[a].user.id, members[b].user.id);
        let opened = clients[a]
            .request::<Joined>(event::OPEN_DM, &json!({ "name": members[b].user.name }))
            .await;
        assert_eq!(opened.map(|j| j.room), Ok(room.clone()), "client {a} → {b}");
        dm_of[a] = Some(room.clone());
        dm_of[b] = Some(room);
    }
    let rooms_of = |i: usize| -> BTreeSet<String> {
        let mut rooms = BTreeSet::from([DEFAULT_ROOM.to_owned(), public_room(i)]);
        rooms.extend(dm_of[i].clone());
        rooms
    };
    for (i, c) in clients.iter().enumerate() {
        for room in rooms_of(i).iter().filter(|r| *r != DEFAULT_ROOM) {
            c.follow(room);
        }
    }

    // Three rounds of messages from everyone, alternately in the public room and the DM; the
    // server restarts between them, while the previous round is still being delivered.
    let mut said: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut round = 0;
    let mut say_round = |clients: &[ChatClient]| {
        for (i, c) in clients.iter().enumerate() {
            for k in 0..MESSAGES_EACH / ROUNDS {
                let room = match &dm_of[i] {
                    Some(dm) if (round * MESSAGES_EACH / ROUNDS + k) % 2 == 1 => dm.clone(),
                    _ => public_room(i),
                };
                let body = format!("client {i} round {round} message {k}");
                said.entry(room.clone()).or_default().push(body.clone());
                c.say(&room, body);
            }
        }
        round += 1;
    };
    say_round(&clients);
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.terminate();
    say_round(&clients);
    server = ServerProcess::start(port, data.path()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    say_round(&clients);
    server = ServerProcess::start(port, data.path()).await;
    assert_eq!(said.len(), 3 + DM_PAIRS, "a room was never talked in");
    // Each room's lines "X joined", all made before the chat: every new user's in #general,
    // and every joiner's (not the creator's) in the room they joined.
    let joined_lines = |room: &str| -> u64 {
        match room {
            DEFAULT_ROOM => CLIENTS as u64,
            room if room.starts_with("dm.") => 0,
            room => (3..CLIENTS).filter(|i| public_room(*i) == room).count() as u64,
        }
    };
    let total =
        |room: &str| joined_lines(room) + said.get(room).map_or(0, |bodies| bodies.len() as u64);

    let settled = |i: usize, c: &ChatClient| {
        c.outbox_len() == 0 && rooms_of(i).iter().all(|r| c.synced(r) >= total(r))
    };
    let all_settled = eventually(Duration::from_secs(60), || {
        clients.iter().enumerate().all(|(i, c)| settled(i, c))
    })
    .await;
    let stuck: Vec<Stuck> = clients
        .iter()
        .enumerate()
        .filter(|(i, c)| !settled(*i, c))
        .map(|(i, c)| {
            let rooms = rooms_of(i).into_iter();
            let held = rooms.map(|r| (c.synced(&r), total(&r), r)).collect();
            (i, c.outbox_len(), held)
        })
        .collect();
    assert!(
        all_settled,
        "clients not settled (index, outbox, [(held up to, said, room)]): {stuck:?}"
    );

    // Each room's sequence as the store has it, read from the start by a fresh tab of one of
    // its members.
    let witnesses: Vec<(&String, ChatClient)> = said
        .keys()
        .map(|room| {
            let i = (0..CLIENTS).find(|i| rooms_of(*i).contains(room)).unwrap();
            let tab = ChatClient::start(&url, &members[i], vec![WebSocket]);
            if room != DEFAULT_ROOM {
                tab.follow(room);
            }
            (room, tab)
        })
        .collect();
    let read = eventually(Duration::from_secs(20), || {
        witnesses.iter().all(|(r, w)| w.synced(r) >= total(r))
    })
    .await;
    assert!(read, "a fresh tab could not read every room");
    let mut truth = BTreeMap::new();
    for (room, witness) in &witnesses {
        let stored = witness.messages(room);
        let seqs: Vec<u64> = stored.iter().map(|m| m.seq).collect();
        assert_eq!(
            seqs,
            (1..=total(room)).collect::<Vec<_>>(),
            "{room}: gaps or extra rows"
        );
        let (said_there, lines): (Vec<&ChatMessage>, Vec<&ChatMessage>) =
            stored.iter().partition(|m| m.kind.is_message());
        assert_eq!(lines.len() as u64, joined_lines(room), "{room}: join lines");
        assert!(
            lines.iter().all(|m| m.kind == MessageKind::Joined),
            "{room}"
        );
        // Every body said there, exactly once, each author's in the order they were typed.
        assert_eq!(
            by_author(said_there.iter().map(|m| m.body.as_str())),
            by_author(said[*room].iter().map(String::as_str)),
            "{room}: lost, duplicated or reordered"
        );
        for m in said_there {
            assert_eq!(
                (&m.room, &m.author),
                (*room, &members[sender(&m.body)].user),
                "{m:?}"
            );
        }
        truth.insert((*room).clone(), stored);
    }
    drop(witnesses);

    // Every client is in exactly the rooms it follows, and holds each as the store does.
    for (i, c) in clients.iter().enumerate() {
        let sidebar = c.request::<Vec<Joined>>(event::SIDEBAR, &json!({})).await;
        let sidebar = sidebar.unwrap_or_else(|e| panic!("client {i}'s sidebar: {e:?}"));
        let in_rooms: BTreeSet<String> = sidebar.iter().map(|j| j.room.clone()).collect();
        assert_eq!(in_rooms, rooms_of(i), "client {i}: membership");
        assert_eq!(
            c.rooms().into_iter().collect::<BTreeSet<_>>(),
            in_rooms,
            "client {i}"
        );
        for joined in &sidebar {
            let want = &truth[&joined.room];
            assert_eq!(
                joined.latest_seq,
                want.len() as u64,
                "client {i}: {joined:?}"
            );
            let held = c.messages(&joined.room);
            assert_eq!(held.len(), want.len(), "client {i}, {}: count", joined.room);
            for (got, want) in held.iter().zip(want) {
                assert_eq!(
                    (got.seq, &got.client_id, &got.body),
                    (want.seq, &want.client_id, &want.body),
                    "client {i}, {}",
                    joined.room
                );
            }
        }
    }
    drop(server);
}
