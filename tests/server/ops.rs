//! What an operator relies on: request ids, JSON logs, and backups taken from the real binary
//! while clients send. Metrics have a test binary of their own (`tests/metrics.rs`).

use std::{
    path::Path,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use natter::server::store::{SQLITE_FILE_NAME, SqliteStore};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpListener,
    process::Command,
};

use crate::support::*;

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = start(test_config()).await;
    let response = http().get(server.url("/healthz")).send().await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    // One set by a proxy in front (nginx's $request_id) is kept.
    let response = http()
        .get(server.url("/"))
        .header("x-request-id", "from-the-proxy-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "from-the-proxy-1");
}

fn natter(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_natter"));
    command
        .env("NATTER_DATA_DIR", data)
        .env("LEPTOS_OUTPUT_NAME", "natter")
        .env("LEPTOS_SITE_ROOT", data.join("site"))
        .env_remove("DATABASE_URL")
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn json_logs_name_the_request_they_are_about() {
    let data = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = natter(data.path())
        .args(["--log-format", "json"])
        .env("NATTER_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info,tower_http=debug")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut next_json = async || -> Value {
        let line = within("a log line", lines.next_line()).await.unwrap();
        let line = line.expect("the server exited");
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"))
    };
    loop {
        let line = next_json().await;
        if line["message"]
            .as_str()
            .unwrap()
            .starts_with("listening on")
        {
            assert_eq!(line["level"], "INFO");
            break;
        }
    }
    let url = format!("http://127.0.0.1:{port}/healthz");
    let response = http()
        .get(url)
        .header("x-request-id", "ops-test-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    loop {
        let line = next_json().await;
        if line["span"]["id"] == "ops-test-7" {
            assert_eq!(line["span"]["path"], "/healthz");
            break;
        }
    }
}

/// Four users send as fast as their acks come back; the binary's `natter backup` copies the
/// live file meanwhile; a fresh server on the copy has every message acked before the backup
/// began, with its seq, and no holes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_clients_send_keeps_everything_acked_before_it() {
    let server = start(test_config()).await;
    let acked = Arc::new(Mutex::new(Vec::<(String, u64)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for i in 0..4 {
        let user = server.user(&format!("sender{i}")).await;
        let mut client = WsClient::join_as(&server, &user).await;
        let (acked, stop) = (acked.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let id = client_id();
                let body = format!("sender {i} message {n}");
                let ack = client.chat(n, &message_with_id(&id, &body)).await;
                let seq = ack["ok"]["seq"].as_u64().expect("stored");
                acked.lock().unwrap().push((id, seq));
                // Busy, but leaving the suite's other tests some of the two cores.
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }));
    }
    let acked_now = || acked.lock().unwrap().clone();
    within("200 acked messages", async {
        while acked_now().len() < 200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;

    let before = acked_now();
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("copy.db");
    let backup = natter(server.data_dir())
        .arg("backup")
        .arg(&copy)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&backup.stdout);
    assert!(backup.status.success(), "{said}{backup:?}");
    assert!(said.starts_with("backed up "), "{said}");
    let during = acked_now().len();
    stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.await.unwrap();
    }
    assert!(during > before.len(), "the clients kept sending");

    let restored = tempfile::tempdir().unwrap();
    std::fs::rename(&copy, restored.path().join(SQLITE_FILE_NAME)).unwrap();
    let store = SqliteStore::open(&restored.path().join(SQLITE_FILE_NAME))
        .await
        .unwrap();
    let fresh = start_as(test_config(), Arc::new(store), server.tester.clone()).await;
    let mut reader = WsClient::join(&fresh).await;
    let mut kept = std::collections::HashMap::new();
    let mut after_seq = 0;
    for ack_id in 1.. {
        let page = reader.emit(ack_id, "sync", &sync_after(after_seq)).await;
        for message in page["ok"]["messages"].as_array().unwrap() {
            let seq = message["seq"].as_u64().unwrap();
            assert_eq!(seq, after_seq + 1, "no hole in the copy");
            after_seq = seq;
            kept.insert(message["client_id"].as_str().unwrap().to_owned(), seq);
        }
        if page["ok"]["has_more"] == json!(false) {
            break;
        }
    }
    for (id, seq) in &before {
        assert_eq!(kept.get(id), Some(seq), "acked before the backup, missing");
    }
}

#[tokio::test]
async fn backup_refuses_clearly() {
    let data = tempfile::tempdir().unwrap();
    let refused = |args: &[&str], env: Option<(&str, &str)>| {
        let mut command = natter(data.path());
        command.args(args);
        if let Some((name, value)) = env {
            command.env(name, value);
        }
        async move {
            let output = command.output().await.unwrap();
            assert!(!output.status.success());
            String::from_utf8(output.stderr).unwrap()
        }
    };
    let copy = data.path().join("copy.db");
    let copy = copy.to_str().unwrap();
    assert!(
        refused(&["backup", copy], None)
            .await
            .contains("there is no database at")
    );
    SqliteStore::open(&data.path().join(SQLITE_FILE_NAME))
        .await
        .unwrap();
    std::fs::write(copy, "precious").unwrap();
    assert!(
        refused(&["backup", copy], None)
            .await
            .contains("already exists")
    );
    assert_eq!(std::fs::read_to_string(copy).unwrap(), "precious");
    let postgres = Some(("DATABASE_URL", "postgres://127.0.0.1/test"));
    assert!(
        refused(&["backup", "elsewhere.db"], postgres)
            .await
            .contains("pg_dump")
    );
}
