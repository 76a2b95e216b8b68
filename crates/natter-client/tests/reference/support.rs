//! One reference server (node + npm `socket.io` 4.8.x) per test, and a client whose events are
//! awaited with bounded time. Missing prerequisites fail loudly: a conformance suite that skips
//! itself proves nothing.

use natter_client::{AckReply, Event, Options, native};
pub use natter_testkit::events::{STEP, options};
use natter_testkit::{events, node};
use serde_json::{Value, json};
use std::{
    ops::{Deref, DerefMut},
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    process::{Child, ChildStdin, Command},
    time::timeout,
};

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A running reference server; killed when dropped.
pub struct Fixture {
    child: Child,
    // Held open: the fixture exits when its stdin closes, should this process die uncleanly.
    _stdin: ChildStdin,
    pub port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Fixture {
    /// Start on a free port with extra `--key=value` options (see the script's header).
    pub async fn start(args: &[&str]) -> Fixture {
        Fixture::start_on(0, args).await
    }

    pub async fn start_on(port: u16, args: &[&str]) -> Fixture {
        node::require("the reference-server tests", "socket.io", "4.8.");
        let script: PathBuf = crate_dir().join("tests/fixtures/reference-server.js");
        let mut child = Command::new("node")
            .arg(&script)
            .arg(format!("--port={port}"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `node {}`: {e}", script.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err_pipe.read(&mut buf).await {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let line = timeout(STEP, stdout.next_line()).await;
        let port = match line {
            Ok(Ok(Some(ref line))) => line.trim().parse::<u16>().ok(),
            _ => None,
        };
        let Some(port) = port else {
            let _ = timeout(Duration::from_secs(2), child.wait()).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            panic!(
                "the reference server did not print its port ({line:?}); stderr:\n{}",
                stderr.lock().unwrap()
            );
        };
        // Keep draining stdout so that the fixture can never block on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Fixture {
            child,
            _stdin: stdin,
            port,
            stderr,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL and reap: the port is free again once this returns.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = timeout(STEP, self.child.wait()).await;
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // kill_on_drop ends the process; a failing test also shows what the server said.
        if std::thread::panicking() {
            eprintln!("reference server stderr:\n{}", self.stderr.lock().unwrap());
        }
    }
}

/// A native client and everything it reported so far ([`events::Client`]), with the
/// reference server's calls.
pub struct Client(events::Client);

impl Deref for Client {
    type Target = events::Client;
    fn deref(&self) -> &events::Client {
        &self.0
    }
}

impl DerefMut for Client {
    fn deref_mut(&mut self) -> &mut events::Client {
        &mut self.0
    }
}

impl Client {
    pub fn connect(options: Options) -> Client {
        Client(events::Client::new(native::connect(options)))
    }

    /// The next server event `name` on `nsp`: its arguments, attachments and ack id.
    pub async fn server_event(
        &mut self,
        nsp: &str,
        name: &str,
    ) -> (Vec<Value>, Vec<Vec<u8>>, Option<u64>) {
        self.expect(&format!("event {name:?} on {nsp}"), STEP, |e| match e {
            Event::Event {
                nsp: n,
                name: got,
                args,
                attachments,
                ack_id,
            } if n == nsp && got == name => Some((args.clone(), attachments.clone(), *ack_id)),
            _ => None,
        })
        .await
    }

    /// Emit with an ack, bounded.
    pub async fn call(&self, nsp: &str, name: &str, args: Vec<Value>) -> Vec<Value> {
        let reply = timeout(
            STEP,
            self.handle
                .emit_raw_with_ack(nsp, name, args, STEP.as_millis() as u64),
        )
        .await;
        reply
            .unwrap_or_else(|_| panic!("no ack for {name:?} within {STEP:?}"))
            .unwrap_or_else(|e| panic!("{name:?}: {e}"))
    }

    /// Emit on `/` with binary attachments and an ack, bounded; the reply keeps its bytes.
    pub async fn call_binary(
        &self,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
    ) -> AckReply {
        let reply =
            self.handle
                .emit_binary_with_ack("/", name, args, attachments, STEP.as_millis() as u64);
        timeout(STEP, reply)
            .await
            .unwrap_or_else(|_| panic!("no ack for {name:?} within {STEP:?}"))
            .unwrap_or_else(|e| panic!("{name:?}: {e}"))
    }

    /// The fixture's counters, asked over `nsp`.
    pub async fn stats(&self, nsp: &str) -> Value {
        self.call(nsp, "stats", vec![])
            .await
            .into_iter()
            .next()
            .unwrap_or(Value::Null)
    }

    /// The server's view of this connection on `nsp` (`transport`, `engine` id, `auth`).
    pub async fn whoami(&self, nsp: &str) -> Value {
        self.call(nsp, "whoami", vec![])
            .await
            .into_iter()
            .next()
            .unwrap_or(Value::Null)
    }

    /// `echo` round trip: what came back equals what went.
    pub async fn echo_round_trip(&mut self, nsp: &str, payload: Value) {
        self.handle
            .emit_raw(nsp, "echo", vec![payload.clone()], vec![])
            .unwrap();
        let (args, _, _) = self.server_event(nsp, "echo").await;
        assert_eq!(args, vec![payload]);
    }
}

pub fn hello() -> Value {
    json!({ "text": "hello", "n": 1, "nested": [1, "two", null] })
}
