//! The official JavaScript client (npm socket.io-client 4.8.x, tests/fixtures/js-client.js)
//! against Natter: what the browser bundle would do, checked from outside our own client.
//! The script connects with `auth: {token}`, the session of a user made here (NATTER_TOKEN),
//! and checks that a client without one is refused. Without node or the package the test
//! fails, saying what to install: a check that skips itself proves nothing.

use crate::{client::*, server::*};
use natter_client::TransportKind::WebSocket;
use natter_testkit::node;
use serde_json::{Value, json};
use std::{process::Stdio, time::Duration};
use tokio::process::Command;

/// The script's own watchdog is 60 s; this only catches a node that hangs regardless.
const SCRIPT_LIMIT: Duration = Duration::from_secs(90);

#[tokio::test]
async fn the_official_js_client_talks_to_natter() {
    node::require("the official JS client test", "socket.io-client", "4.8.");
    let data = tempfile::tempdir().unwrap();
    let server = Natter::start(config(data.path())).await;
    let js = server.user("js-client").await;
    let script = node::workspace_root().join("tests/fixtures/js-client.js");
    let run = Command::new("node")
        .arg(&script)
        .arg(server.url())
        .env("NATTER_TOKEN", &js.token)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(SCRIPT_LIMIT, run)
        .await
        .unwrap_or_else(|_| panic!("`node {}` ran over {SCRIPT_LIMIT:?}", script.display()))
        .unwrap_or_else(|e| panic!("cannot run `node {}`: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON summary; stdout:\n{stdout}\nstderr:\n{stderr}"));
    println!("{summary:#}");
    assert!(
        out.status.success() && summary["ok"] == true,
        "{}: {summary:#}\nstderr:\n{stderr}",
        out.status
    );

    let runs = summary["runs"].as_array().expect("runs");
    let transports: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| (r["run"].as_str().unwrap(), r["transport"].as_str().unwrap()))
        .collect();
    assert_eq!(
        transports,
        [
            ("default", "websocket"),
            ("websocket", "websocket"),
            ("polling", "polling")
        ]
    );
    let author = json!({"id": js.user.id, "name": "js-client"});
    for run in runs {
        assert_eq!(run["author"], author, "{run}");
    }
    let refused = &summary["refused"];
    assert_eq!(
        (&refused["message"], &refused["reconnect_attempts"]),
        (&json!("unauthorized"), &json!(0)),
        "{refused}"
    );
    // What the script was told is what the store holds: each message once, in its place.
    let observer = Client::member(&server.url(), &[WebSocket], &server.token().await).await;
    let page = observer.sync(0).await;
    for run in runs {
        let id = run["client_id"].as_str().unwrap();
        let copies = copies_of(&page, id);
        assert_eq!(copies.len(), 1, "{id} in {page}");
        assert_eq!(copies[0]["seq"], run["seq"]);
    }
}
