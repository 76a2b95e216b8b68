//! Many native clients chatting through the cluster, and the check that each holds every room
//! exactly as the store does: every message once, in order, nothing lost.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

use natter_client::TransportKind::{self, Polling, WebSocket};
use natter_contract::{ChatMessage, DEFAULT_ROOM, Joined, MessageKind, event};
use serde_json::json;

use crate::chat_client::{ChatClient, Member, eventually, join};
use crate::harness::client_address;

/// Client `i`'s transports: a third polling only, a third WebSocket only, a third upgrading.
pub fn transports(i: usize) -> Vec<TransportKind> {
    [vec![Polling], vec![WebSocket], vec![Polling, WebSocket]][i % 3].clone()
}

/// A client not settled: its index, outbox length, and `(held up to, said)` per room.
type Stuck = (usize, usize, Vec<(u64, u64)>);

/// Users in `general` and in one of `rooms` public rooms each (`room-0`…), each client from an
/// address of its own.
pub struct Chat {
    pub members: Vec<Member>,
    pub clients: Vec<ChatClient>,
    rooms: usize,
    /// What was typed, per room, in order.
    pub said: BTreeMap<String, Vec<String>>,
    tag: String,
}

impl Chat {
    /// `n` users join through `url`, connect, and the rooms are made and joined.
    pub async fn start(url: &str, n: usize, rooms: usize) -> Chat {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..6].to_owned();
        let mut members = Vec::new();
        for i in 0..n {
            members.push(join(url, &format!("c{i}-{tag}")).await);
        }
        let clients: Vec<ChatClient> = (0..n)
            .map(|i| {
                ChatClient::start_from(url, &members[i], transports(i), Some(client_address(i)))
            })
            .collect();
        let chat = Chat {
            members,
            clients,
            rooms,
            said: BTreeMap::new(),
            tag,
        };
        chat.until_connected(Duration::from_secs(60)).await;
        for r in 0..rooms.min(n) {
            let made = chat.clients[r]
                .request::<Joined>(
                    event::CREATE_ROOM,
                    &json!({ "room": chat.room(r), "topic": "" }),
                )
                .await;
            assert_eq!(
                made.map(|j| j.room),
                Ok(chat.room(r)),
                "client {r} creating it"
            );
        }
        for i in rooms..n {
            let joined = chat.clients[i]
                .request::<Joined>(event::JOIN_ROOM, &json!({ "room": chat.room(i) }))
                .await;
            assert_eq!(joined.map(|j| j.room), Ok(chat.room(i)), "client {i}");
        }
        for (i, c) in chat.clients.iter().enumerate() {
            c.follow(&chat.room(i));
        }
        chat
    }

    /// Client `i`'s public room.
    pub fn room(&self, i: usize) -> String {
        format!("room-{}-{}", self.tag, i % self.rooms)
    }

    pub fn rooms_of(&self, i: usize) -> BTreeSet<String> {
        BTreeSet::from([DEFAULT_ROOM.to_owned(), self.room(i)])
    }

    pub async fn until_connected(&self, limit: Duration) {
        let all = eventually(limit, || self.clients.iter().all(ChatClient::is_connected)).await;
        let offline: Vec<usize> = (0..self.clients.len())
            .filter(|i| !self.clients[*i].is_connected())
            .collect();
        assert!(all, "clients not connected: {offline:?}");
    }

    /// Client `i` types `body` in `room`.
    pub fn say(&mut self, i: usize, room: &str, body: String) {
        self.said
            .entry(room.to_owned())
            .or_default()
            .push(body.clone());
        self.clients[i].say(room, body);
    }

    /// Lines "X joined" in `room`: every user's in general, each joiner's (not the creator's)
    /// in a public room.
    fn joined_lines(&self, room: &str) -> u64 {
        let n = self.clients.len();
        if room == DEFAULT_ROOM {
            return n as u64;
        }
        (self.rooms..n).filter(|i| self.room(*i) == room).count() as u64
    }

    fn total(&self, room: &str) -> u64 {
        self.joined_lines(room) + self.said.get(room).map_or(0, |b| b.len() as u64)
    }

    fn settled(&self, i: usize) -> bool {
        let c = &self.clients[i];
        c.outbox_len() == 0
            && self
                .rooms_of(i)
                .iter()
                .all(|r| c.synced(r) >= self.total(r))
    }

    /// Waits until every client holds everything said; how long that took.
    pub async fn until_settled(&self, limit: Duration) -> Duration {
        let began = Instant::now();
        let all = eventually(limit, || (0..self.clients.len()).all(|i| self.settled(i))).await;
        let stuck: Vec<Stuck> = (0..self.clients.len())
            .filter(|i| !self.settled(*i))
            .map(|i| {
                let c = &self.clients[i];
                let held = self
                    .rooms_of(i)
                    .iter()
                    .map(|r| (c.synced(r), self.total(r)))
                    .collect();
                (i, c.outbox_len(), held)
            })
            .take(10)
            .collect();
        assert!(
            all,
            "clients not settled (index, outbox, [(held, said)]): {stuck:?}"
        );
        began.elapsed()
    }

    /// Every room as a fresh tab reads it from `url`: each body said exactly once, in the
    /// order typed, after the join lines; and every client holds exactly that.
    pub async fn verify(&self, url: &str) {
        let mut truth: BTreeMap<String, Vec<ChatMessage>> = BTreeMap::new();
        for room in self.said.keys() {
            let i = (0..self.clients.len())
                .find(|i| self.rooms_of(*i).contains(room))
                .unwrap();
            let tab = ChatClient::start(url, &self.members[i], vec![WebSocket]);
            if room != DEFAULT_ROOM {
                tab.follow(room);
            }
            let total = self.total(room);
            let read = eventually(Duration::from_secs(30), || tab.synced(room) >= total).await;
            assert!(
                read,
                "a fresh tab could not read {room}: {} of {total}",
                tab.synced(room)
            );
            let stored = tab.messages(room);
            let seqs: Vec<u64> = stored.iter().map(|m| m.seq).collect();
            assert_eq!(
                seqs,
                (1..=total).collect::<Vec<_>>(),
                "{room}: gaps or extra rows"
            );
            let (bodies, lines): (Vec<&ChatMessage>, Vec<&ChatMessage>) =
                stored.iter().partition(|m| m.kind.is_message());
            assert!(
                lines.iter().all(|m| m.kind == MessageKind::Joined),
                "{room}"
            );
            assert_eq!(
                lines.len() as u64,
                self.joined_lines(room),
                "{room}: join lines"
            );
            // One sender per body: the order said is the order stored.
            let mut bodies: Vec<&str> = bodies.iter().map(|m| m.body.as_str()).collect();
            let mut said: Vec<&str> = self.said[room].iter().map(String::as_str).collect();
            for by_sender in [&mut bodies, &mut said] {
                by_sender.sort_by_key(|body| body.split(' ').nth(1).map(str::to_owned));
            }
            assert_eq!(bodies, said, "{room}: lost, duplicated or reordered");
            truth.insert(room.clone(), stored);
        }
        for (i, c) in self.clients.iter().enumerate() {
            for room in self.rooms_of(i).iter().filter(|r| truth.contains_key(*r)) {
                let held: Vec<(u64, String)> = c
                    .messages(room)
                    .into_iter()
                    .map(|m| (m.seq, m.client_id))
                    .collect();
                let want: Vec<(u64, String)> = truth[room]
                    .iter()
                    .map(|m| (m.seq, m.client_id.clone()))
                    .collect();
                assert_eq!(held, want, "client {i} in {room}");
            }
        }
    }
}
