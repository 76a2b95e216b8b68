//! One storm client: set-up as its own user, idle life on the first server, reconnection and
//! SYNC ROOMS on the second; and the poster's rooms and news.

use std::{
    collections::BTreeSet,
    io,
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use natter_contract::{
    Ack, CreateRoom, Cursor, Joined, RoomRequest, SendMessage, Sent, SyncRooms, Synced, event,
};
use serde::de::DeserializeOwned;
use tokio::{sync::watch, task::JoinHandle};

use super::{StormPlan, room_name};
use crate::{
    session,
    wire::{self, Conn, Flavour, Incoming},
};

/// Clients being set up at once, each with one request in flight: set-up takes seconds, and
/// the server is not measured then.
const SETUP_CONCURRENCY: usize = 50;
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);
/// One reconnection attempt: handshake and SYNC ROOMS ack.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Retry delays, doubling: shorter than socket.io-client's (1 s doubling to 5 s, ±50 %), so
/// a refused attempt shows in the tail as itself rather than as whole seconds of waiting.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

fn err(text: impl Into<String>) -> io::Error {
    io::Error::other(text.into())
}

/// The `ok` value of an ack's argument list; an error ack is an error.
fn ok<T: DeserializeOwned>(ack: &str) -> io::Result<T> {
    let (ack,): (Ack<T>,) =
        serde_json::from_str(ack).map_err(|e| err(format!("unreadable ack: {e}")))?;
    ack.into_result()
        .map_err(|e| err(format!("refused: {:?}", e.code)))
}

/// The SYNC ROOMS a client sends after a reconnect: every room of its sidebar at its cursor.
fn sync_payload(sidebar: &[Joined]) -> SyncRooms {
    SyncRooms {
        rooms: sidebar
            .iter()
            .map(|j| Cursor {
                room: j.room.clone(),
                after_seq: j.latest_seq,
            })
            .collect(),
    }
}

/// Whether an ack is what the client should get: a complete page for exactly its rooms with
/// news, and no refusal.
fn is_right(synced: &Synced, news: &BTreeSet<String>, posts: usize) -> bool {
    let rooms: BTreeSet<&String> = synced.pages.iter().map(|p| &p.room).collect();
    synced.refused.is_empty()
        && rooms.len() == synced.pages.len()
        && rooms.into_iter().eq(news.iter())
        && synced
            .pages
            .iter()
            .all(|p| p.messages.len() == posts && !p.has_more)
}

/// A client after set-up, connected to the first server.
struct Member {
    token: String,
    conn: Conn,
    cursors: SyncRooms,
    news: BTreeSet<String>,
}

/// What one client's reconnection came to.
#[derive(Default)]
pub struct Outcome {
    /// Restarted server listening → SYNC ROOMS ack; `None` if it never synced.
    pub synced: Option<Duration>,
    pub attempts: u64,
    /// Rooms in which the client was behind: the pages it should get.
    pub behind: u64,
    pub pages: u64,
    pub messages: u64,
    pub refused: u64,
    pub right: bool,
    /// Held until every client is done, so the server's RSS counts them all.
    pub conn: Option<Conn>,
    pub error: Option<String>,
}

pub async fn create_rooms(poster: &mut Conn, plan: &StormPlan) -> io::Result<()> {
    for k in 0..plan.pool {
        let room = CreateRoom {
            room: room_name(k),
            topic: String::new(),
        };
        ok::<Joined>(&poster.request(event::CREATE_ROOM, &room).await?)?;
    }
    Ok(())
}

/// One at a time, each acked (stored) before the next: the restart must not lose any.
pub async fn post_news(poster: &mut Conn, plan: &StormPlan) -> io::Result<()> {
    for k in (0..plan.pool).step_by(plan.busy_every) {
        for n in 0..plan.posts {
            let message = SendMessage {
                room: room_name(k),
                client_id: uuid::Uuid::new_v4().to_string(),
                body: format!("news {n} before the restart"),
            };
            ok::<Sent>(&poster.request(event::CHAT_MESSAGE, &message).await?)?;
        }
    }
    Ok(())
}

async fn enrol(
    http: &reqwest::Client,
    port: u16,
    index: usize,
    plan: &StormPlan,
) -> io::Result<Member> {
    let url = format!("http://127.0.0.1:{port}");
    let token = session::join_as(http, &url, &format!("storm{index:04}")).await?;
    let mut conn = wire::open(Flavour::Natter, port, Some(&token)).await?;
    for k in plan.pool_rooms(index) {
        let request = RoomRequest { room: room_name(k) };
        ok::<Joined>(&conn.request(event::JOIN_ROOM, &request).await?)?;
    }
    let sidebar: Vec<Joined> = ok(&conn.request(event::SIDEBAR, &()).await?)?;
    if sidebar.len() != plan.rooms_per_client {
        return Err(err(format!("{} rooms in the sidebar", sidebar.len())));
    }
    Ok(Member {
        token,
        conn,
        cursors: sync_payload(&sidebar),
        news: plan.news(index),
    })
}

/// Sets every client up and starts its life ([`live`]) at once, so early ones answer the
/// server's pings while the others enrol. Returns the lives and the number of set-ups failed.
pub async fn enrol_all(
    port: u16,
    plan: &StormPlan,
    ready: &watch::Receiver<Option<Instant>>,
) -> io::Result<(Vec<JoinHandle<Outcome>>, usize)> {
    let http = session::http()?;
    let attempts = stream::iter(0..plan.clients)
        .map(|i| tokio::time::timeout(SETUP_TIMEOUT, enrol(&http, port, i, plan)))
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let (mut lives, mut failed) = (Vec::new(), 0);
    for attempt in attempts {
        match attempt {
            Ok(Ok(member)) => {
                let life = live(member, port, ready.clone(), plan.clone());
                lives.push(tokio::spawn(life));
            }
            Ok(Err(e)) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("  storm set-up failed: {e}");
                }
            }
            Err(_) => failed += 1,
        }
    }
    Ok((lives, failed))
}

/// A client: idle on the first server (answering pings) until it goes away, then reconnect
/// and catch up once the second one listens.
async fn live(
    member: Member,
    port: u16,
    mut ready: watch::Receiver<Option<Instant>>,
    plan: StormPlan,
) -> Outcome {
    let Member {
        token,
        mut conn,
        cursors,
        news,
    } = member;
    while !matches!(conn.recv().await, Incoming::Closed) {}
    drop(conn);
    let mut outcome = Outcome {
        behind: news.len() as u64,
        ..Outcome::default()
    };
    let t0 = match ready.wait_for(Option::is_some).await {
        Ok(t0) => t0.expect("waited for"),
        Err(_) => {
            outcome.error = Some("the server did not come back".into());
            return outcome;
        }
    };
    let deadline = t0 + plan.deadline;
    let mut backoff = FIRST_BACKOFF;
    loop {
        outcome.attempts += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        let attempt =
            tokio::time::timeout(left.min(ATTEMPT_TIMEOUT), resync(port, &token, &cursors));
        let error = match attempt.await {
            Ok(Ok((conn, synced))) => {
                outcome.synced = Some(t0.elapsed());
                outcome.record(&synced, &news, plan.posts);
                outcome.conn = Some(conn);
                return outcome;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "attempt timed out".into(),
        };
        if Instant::now() + backoff >= deadline {
            outcome.error = Some(error);
            return outcome;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn resync(port: u16, token: &str, cursors: &SyncRooms) -> io::Result<(Conn, Synced)> {
    let mut conn = wire::open(Flavour::Natter, port, Some(token)).await?;
    let synced = ok(&conn.request(event::SYNC_ROOMS, cursors).await?)?;
    Ok((conn, synced))
}

impl Outcome {
    fn record(&mut self, synced: &Synced, news: &BTreeSet<String>, posts: usize) {
        self.pages = synced.pages.len() as u64;
        self.messages = synced.pages.iter().map(|p| p.messages.len() as u64).sum();
        self.refused = synced.refused.len() as u64;
        self.right = is_right(synced, news, posts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use natter_contract::{ChatMessage, Page, RoomKind, User};

    #[test]
    fn rooms_spread_over_the_pool() {
        let plan = StormPlan::full();
        let rooms: Vec<usize> = plan.pool_rooms(0).collect();
        assert_eq!(rooms, (0..19).collect::<Vec<_>>());
        let wrapped: Vec<usize> = plan.pool_rooms(5).collect();
        assert_eq!(wrapped.first(), Some(&95));
        assert_eq!(wrapped.last(), Some(&13));
        assert_eq!(wrapped.iter().collect::<BTreeSet<_>>().len(), 19);
        assert_eq!(
            plan.news(5).into_iter().collect::<Vec<_>>(),
            ["storm-000", "storm-010"]
        );
        // 1.9 busy rooms per client on average: a tenth of the pool cursors are behind.
        let behind: usize = (0..plan.clients).map(|i| plan.news(i).len()).sum();
        assert_eq!(behind, 1900);
    }

    fn joined(room: &str, latest_seq: u64) -> Joined {
        Joined {
            room: room.into(),
            kind: RoomKind::Public,
            peer: None,
            topic: String::new(),
            latest_seq,
            read_seq: 0,
            unread: 0,
            mentions: 0,
        }
    }

    #[test]
    fn cursors_come_from_the_sidebar() {
        let sync = sync_payload(&[joined("general", 3), joined("storm-007", 0)]);
        assert_eq!(
            serde_json::to_value(&sync).unwrap(),
            serde_json::json!({"rooms": [
                {"room": "general", "after_seq": 3},
                {"room": "storm-007", "after_seq": 0},
            ]})
        );
        assert!(sync.validate().is_ok());
    }

    fn page(room: &str, messages: usize) -> Page {
        let message = |seq| ChatMessage {
            room: room.into(),
            seq,
            id: seq as i64,
            author: User {
                id: 1,
                name: "poster".into(),
            },
            client_id: String::new(),
            body: "news".into(),
            sent_at: 0,
            kind: natter_contract::MessageKind::Message,
            target: None,
            revision: None,
            markup: None,
        };
        Page {
            room: room.into(),
            messages: (1..=messages as u64).map(message).collect(),
            has_more: false,
            latest_seq: messages as u64,
        }
    }

    #[test]
    fn checks_the_ack() {
        let news: BTreeSet<String> = ["storm-000".into(), "storm-010".into()].into();
        let synced = |pages| Synced {
            pages,
            refused: Vec::new(),
        };
        assert!(is_right(
            &synced(vec![page("storm-010", 2), page("storm-000", 2)]),
            &news,
            2
        ));
        assert!(!is_right(&synced(vec![page("storm-000", 2)]), &news, 2));
        assert!(!is_right(
            &synced(vec![page("storm-000", 2), page("storm-010", 1)]),
            &news,
            2
        ));
        assert!(!is_right(
            &synced(vec![page("storm-000", 2), page("storm-000", 2)]),
            &news,
            2
        ));
        assert!(is_right(&synced(Vec::new()), &BTreeSet::new(), 2));
        assert_eq!(
            ok::<u64>(r#"[{"ok":7}]"#).unwrap(),
            7,
            "an ok ack yields its value"
        );
        assert!(ok::<u64>(r#"[{"error":{"code":"forbidden","message":"x"}}]"#).is_err());
    }
}
