//! No message lost, none duplicated, none reordered: 50 native clients (a mix of polling,
//! WebSocket and upgrading) chat while the server process is restarted twice, once
//! gracefully (SIGTERM) and once with SIGKILL, on the same SQLite file. Each client is a user
//! of its own, joined over HTTP once the server is up; their sessions, kept in that file,
//! carry them through both restarts.
#![cfg(feature = "ssr")]

#[path = "delivery/chat_client.rs"]
mod chat_client;

use chat_client::{ChatClient, Member, eventually, join};
use natter_client::TransportKind::{Polling, WebSocket};
use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

const CLIENTS: usize = 50;
const MESSAGES_EACH: usize = 6;

/// The real server binary, so that SIGKILL kills a process and not a task.
struct ServerProcess {
    child: Child,
}

impl ServerProcess {
    async fn start(port: u16, data: &Path) -> ServerProcess {
        let child = Command::new(env!("CARGO_BIN_EXE_natter"))
            .env("NATTER_ADDR", format!("127.0.0.1:{port}"))
            .env("NATTER_DATA_DIR", data)
            .env("LEPTOS_OUTPUT_NAME", "natter")
            .env("LEPTOS_SITE_ROOT", data.join("site"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the natter binary");
        let up = eventually(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
        .await;
        assert!(up, "the server did not start listening on port {port}");
        ServerProcess { child }
    }

    /// SIGTERM, and wait for the graceful exit.
    fn terminate(mut self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "graceful shutdown exited with {exit}");
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_through_a_graceful_restart_and_a_sigkill() {
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

    // Three rounds of messages from everyone; the server restarts between them, while the
    // previous round is still being delivered.
    let mut round = 0;
    let mut say_round = |clients: &[ChatClient]| {
        for (i, c) in clients.iter().enumerate() {
            for k in 0..MESSAGES_EACH / 3 {
                c.say(format!("client {i} round {round} message {k}"));
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

    let total = (CLIENTS * MESSAGES_EACH) as u64;
    let settled = eventually(Duration::from_secs(90), || {
        clients.iter().all(|c| c.settled_at(total))
    })
    .await;
    let stuck: Vec<(usize, usize, u64)> = clients
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.settled_at(total))
        .map(|(i, c)| (i, c.outbox_len(), c.messages().last().map_or(0, |m| m.seq)))
        .collect();
    assert!(
        settled,
        "clients not settled (index, outbox, last seq): {stuck:?}"
    );

    // The store's own sequence, read by a fresh client.
    let witness = ChatClient::start(&url, &join(&url, "witness").await, vec![WebSocket]);
    assert!(eventually(Duration::from_secs(20), || witness.settled_at(total)).await);
    let truth = witness.messages();
    let seqs: Vec<u64> = truth.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "the store has gaps or extra rows"
    );
    let mut bodies: Vec<&str> = truth.iter().map(|m| m.body.as_str()).collect();
    bodies.sort_unstable();
    bodies.dedup();
    assert_eq!(
        bodies.len() as u64,
        total,
        "a message was stored twice or lost"
    );
    // Each under the name of the client that said it.
    for m in &truth {
        let sender: usize = m
            .body
            .split(' ')
            .nth(1)
            .and_then(|i| i.parse().ok())
            .unwrap();
        assert_eq!(m.author, members[sender].user, "{m:?}");
    }

    for (i, c) in clients.iter().enumerate() {
        let held = c.messages();
        assert_eq!(held.len(), truth.len(), "client {i}: count differs");
        for (got, want) in held.iter().zip(&truth) {
            assert_eq!(
                (got.seq, &got.client_id, &got.body),
                (want.seq, &want.client_id, &want.body),
                "client {i}"
            );
        }
    }
    drop(server);
}
