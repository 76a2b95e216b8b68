//! Network fuzzing of the real binary: malformed Engine.IO / Socket.IO packets over
//! WebSocket and polling, from the fuzz seeds (`crates/natter-protocol/fuzz/seeds/`), the CVE
//! vectors of `reliability.md` §4 and the kill-engine-io patterns (`2:42` repeated, huge
//! length prefixes, thousands of tiny packets, half-open upgrades), each also mutated at
//! random. Meanwhile three legitimate clients chat and a prober asks `/healthz`:
//! - the process never panics (its stderr is read for it) and never exits;
//! - `/healthz` p99 stays under 100 ms;
//! - the chat loses nothing: every body stored once, each author's in order.
//!
//! `make test` sends `NATTER_FUZZ_NET_PACKETS` (default 20,000); `make fuzz-net` 100,000.
#![cfg(feature = "ssr")]

#[path = "delivery/chat_client.rs"]
mod chat_client;
#[path = "fuzz_net/packets.rs"]
mod packets;
#[path = "delivery/process.rs"]
mod process;

use std::{
    collections::BTreeMap,
    fs::File,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chat_client::{ChatClient, eventually, join};
use futures::{SinkExt, StreamExt};
use natter_client::TransportKind::{Polling, WebSocket};
use natter_contract::DEFAULT_ROOM;
use packets::{Packet, Transport};
use process::{ServerProcess, free_port};
use tokio_tungstenite::tungstenite::Message;

/// Attackers at once, each on connections of its own.
const ATTACKERS: usize = 8;
/// Packets one connection sends before it is dropped and the next one opened.
const PER_CONNECTION: usize = 40;
/// What the issue allows the health check under attack.
const HEALTH_P99: Duration = Duration::from_millis(100);
/// A bound on the whole attack, however slow the machine.
const ATTACK_LIMIT: Duration = Duration::from_secs(600);

/// One connection's worth of packets over WebSocket: sent until the server closes it.
async fn over_websocket(port: u16, token: &str, packets: &[Packet], sent: &AtomicU64) {
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(url),
    )
    .await
    else {
        return;
    };
    // About half the connections reach the event handlers: a CONNECT with a real session
    // first (picked by the first packet's length, so a seed repeats its choices).
    if packets[0].bytes.len().is_multiple_of(2) {
        let _ = ws
            .send(Message::text(format!(r#"40{{"token":"{token}"}}"#)))
            .await;
    }
    for packet in packets {
        let message = match &packet.bytes {
            bytes if packet.binary => Message::binary(bytes.clone()),
            bytes => Message::text(String::from_utf8_lossy(bytes).into_owned()),
        };
        if ws.send(message).await.is_err() {
            return;
        }
        sent.fetch_add(1, Ordering::Relaxed);
    }
    // Read what comes back for a moment, then go: a third with a close, the rest without.
    let _ = tokio::time::timeout(Duration::from_millis(20), ws.next()).await;
    if packets[packets.len() - 1].bytes.len().is_multiple_of(3) {
        let _ = ws.close(None).await;
    }
}

/// One session's worth over polling: a handshake, then each packet as a POST body.
async fn over_polling(http: &reqwest::Client, port: u16, packets: &[Packet], sent: &AtomicU64) {
    let base = format!("http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling");
    let Ok(open) = http.get(&base).send().await else {
        return;
    };
    let Ok(text) = open.text().await else {
        return;
    };
    let sid = text
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("no-such-sid")
        .to_owned();
    for packet in packets {
        let url = match packet.transport {
            // Some go to a session that is not there, or to no session at all.
            Transport::WrongSid => format!("{base}&sid=AAAAAAAAAAAAAAAAAAAA"),
            _ => format!("{base}&sid={sid}"),
        };
        let posted = http.post(url).body(packet.bytes.clone()).send().await;
        if posted.is_err() {
            return;
        }
        sent.fetch_add(1, Ordering::Relaxed);
    }
}

/// A WebSocket upgrade of a polling session that sends the probe and then nothing, or a raw
/// TCP request cut off in its headers: held open for a moment, then dropped.
async fn half_open(http: &reqwest::Client, port: u16, sent: &AtomicU64) {
    use tokio::io::AsyncWriteExt;
    let base = format!("http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling");
    if let Ok(open) = http.get(&base).send().await
        && let Ok(text) = open.text().await
        && let Some(sid) = text
            .split("\"sid\":\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
    {
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&sid={sid}");
        if let Ok(Ok((mut ws, _))) = tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::connect_async(url),
        )
        .await
        {
            let _ = ws.send(Message::text("2probe")).await;
            sent.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    if let Ok(mut tcp) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
        let head = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Ver";
        let _ = tcp.write_all(head.as_bytes()).await;
        sent.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn attack(port: u16, token: String, seed: u64, budget: u64, sent: Arc<AtomicU64>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut corpus = packets::Corpus::new(seed);
    while sent.load(Ordering::Relaxed) < budget {
        let batch = corpus.batch(PER_CONNECTION);
        match batch[0].transport {
            Transport::WebSocket => over_websocket(port, &token, &batch, &sent).await,
            Transport::Polling | Transport::WrongSid => {
                over_polling(&http, port, &batch, &sent).await;
            }
            Transport::HalfOpen => half_open(&http, port, &sent).await,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_packets_never_crash_the_server_nor_cost_the_chat_a_message() {
    let budget: u64 = std::env::var("NATTER_FUZZ_NET_PACKETS")
        .ok()
        .map_or(20_000, |n| {
            n.parse().expect("NATTER_FUZZ_NET_PACKETS: a number")
        });
    let data = tempfile::tempdir().unwrap();
    // Its stderr in a file, read for panics at the end.
    let log = data.path().join("stderr.log");
    let port = free_port();
    let stderr = File::create(&log).unwrap().into();
    let mut natter = ServerProcess::start_logging(port, data.path(), stderr).await;
    let url = format!("http://127.0.0.1:{port}");

    let run = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let (mut chatters, mut legit_ids) = (Vec::new(), Vec::new());
    for (i, transports) in [vec![Polling], vec![WebSocket], vec![Polling, WebSocket]]
        .into_iter()
        .enumerate()
    {
        let member = join(&url, &format!("legit{i}-{run}")).await;
        legit_ids.push(member.user.id);
        chatters.push(ChatClient::start(&url, &member, transports));
    }
    let attacker = join(&url, &format!("attacker-{run}")).await;

    // The prober: one /healthz at a time, every 10 ms.
    let done = Arc::new(AtomicBool::new(false));
    let prober = tokio::spawn({
        let (done, url) = (done.clone(), url.clone());
        async move {
            let http = reqwest::Client::new();
            let mut took = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let began = Instant::now();
                let ok = http.get(format!("{url}/healthz")).send().await;
                assert!(ok.is_ok_and(|r| r.status() == 200), "/healthz failed");
                took.push(began.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            took
        }
    });

    let sent = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let attackers: Vec<_> = (0..ATTACKERS as u64)
        .map(|seed| {
            let token = attacker.token.clone();
            tokio::spawn(attack(port, token, seed, budget, sent.clone()))
        })
        .collect();
    // The chat goes on throughout: a message from each legitimate client every 100 ms.
    let mut said = Vec::new();
    let mut n = 0;
    while attackers.iter().any(|a| !a.is_finished()) {
        assert!(
            began.elapsed() < ATTACK_LIMIT,
            "the attack did not end in time"
        );
        for (i, chatter) in chatters.iter().enumerate() {
            let body = format!("legit {i} message {n}");
            said.push(body.clone());
            chatter.say(DEFAULT_ROOM, body);
        }
        n += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let attack_took = began.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut health = prober.await.unwrap();
    health.sort();

    // Nothing left to send, and every legitimate body heard by every client.
    let settled = |c: &ChatClient| {
        let heard: std::collections::HashSet<String> = c
            .messages(DEFAULT_ROOM)
            .into_iter()
            .filter(|m| legit_ids.contains(&m.author.id))
            .map(|m| m.body)
            .collect();
        c.outbox_len() == 0 && said.iter().all(|body| heard.contains(body))
    };
    let all = eventually(Duration::from_secs(60), || chatters.iter().all(settled)).await;
    assert!(all, "the legitimate clients did not all settle");
    // The attacker is in the room too, and some of its packets are well-formed messages:
    // only the legitimate clients' count.
    let stored = chatters[0].messages(DEFAULT_ROOM);
    let mut by_author: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let legit = |m: &&natter_contract::ChatMessage| legit_ids.contains(&m.author.id);
    for m in stored.iter().filter(|m| m.kind.is_message()).filter(legit) {
        let author = m.body.split(" message ").next().unwrap().to_owned();
        by_author.entry(author).or_default().push(m.body.clone());
    }
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for body in &said {
        let author = body.split(" message ").next().unwrap().to_owned();
        want.entry(author).or_default().push(body.clone());
    }
    assert_eq!(by_author, want, "the chat lost, duplicated or reordered");

    let still_up = natter.exited();
    assert!(still_up.is_none(), "the server exited: {still_up:?}");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
    let (p50, p99) = (percentile(&health, 0.5), percentile(&health, 0.99));
    eprintln!(
        "{} malformed packets in {attack_took:.1?} ({:.0}/s); /healthz p50 {p50:?} p99 {p99:?} \
         over {} probes; {} chat messages, none lost",
        sent.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed) as f64 / attack_took.as_secs_f64(),
        health.len(),
        said.len(),
    );
    assert!(p99 < HEALTH_P99, "/healthz p99 {p99:?} under attack");
}
