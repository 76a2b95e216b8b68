//! A real Natter server on a loopback port, and raw Engine.IO clients to poke it with.
//! Every wait is bounded by [`TIMEOUT`], so a broken server fails a test instead of hanging it.
#![allow(dead_code)] // each test binary uses its own subset

mod failing;
mod polling;
mod ws;

use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, OnceLock},
    time::Duration,
};

use leptos::config::LeptosOptions;
use natter::server::Io as SocketIo;
use natter::server::{
    Config, router,
    store::{SharedStore, SqliteStore},
};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;

#[allow(unused_imports)] // for the tests that fail writes
pub use failing::FailingStore;
pub use polling::PollingSession;
#[allow(unused_imports)] // for tests that watch a connection close
pub use ws::{Frame, WsClient};

pub const TIMEOUT: Duration = Duration::from_secs(5);

pub struct Server {
    pub addr: SocketAddr,
    pub io: SocketIo,
    /// The store behind the server, to check what was (not) written.
    pub store: SharedStore,
    /// A user every server starts with, whose session [`WsClient::join`] and
    /// [`PollingSession::join`] use.
    pub tester: TestUser,
    _data: Option<TempDir>,
}

/// A user with a session.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user: natter_contract::User,
    /// The session token, as a cookie or the CONNECT `auth` payload carries it.
    pub token: String,
}

impl TestUser {
    /// The CONNECT packet for "/" with this session.
    pub fn connect_packet(&self) -> String {
        format!("40{}", json!({ "token": self.token }))
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    pub fn polling_url(&self) -> String {
        self.url("/socket.io/?EIO=4&transport=polling")
    }
    pub fn ws_url(&self) -> String {
        format!("ws://{}/socket.io/?EIO=4&transport=websocket", self.addr)
    }
    /// The directory of the server's SQLite file, for a server from [`start`].
    pub fn data_dir(&self) -> &std::path::Path {
        self._data.as_ref().expect("a server from start()").path()
    }

    /// The `Origin` a browser sends for a page loaded from this server.
    pub fn own_origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new user (in #general, as every new user is) with a session.
    pub async fn user(&self, name: &str) -> TestUser {
        new_user(&self.store, name).await
    }
}

pub async fn new_user(store: &SharedStore, name: &str) -> TestUser {
    let natter::server::people::Entry { user, token, .. } =
        natter::server::people::join(store.as_ref(), name, None)
            .await
            .unwrap_or_else(|code| panic!("cannot create {name}: {code:?}"));
    TestUser {
        user,
        token: token.secret,
    }
}

/// Short heartbeats so dead clients are noticed within a test's patience.
pub fn test_config() -> Config {
    Config {
        ping_interval: Duration::from_millis(500),
        ping_timeout: Duration::from_millis(1000),
        // `router` takes its store from the caller, so nothing opens this; it only keeps a
        // stray default from ever pointing at the repository's ./data.
        data_dir: std::env::temp_dir().join("natter-tests-never-used"),
        // Floods from one user are how these tests fill queues; the limit has its own test.
        message_rate: 0,
        // Every test client comes from 127.0.0.1; the handshake limit has its own test.
        handshake_rate: 0,
        limits: natter::server::LimitFlags::NONE,
        ..Config::default()
    }
}

/// A server on a SQLite file of its own in a temp dir.
pub async fn start(config: Config) -> Server {
    let (data, store) = temp_store().await;
    let mut server = start_with_store(config, store).await;
    server._data = Some(data);
    server
}

/// A server on a SQLite file of its own with nobody in it yet: its `tester` has no account
/// (for the registration tests, where the first account is the administrator).
pub async fn start_empty(config: Config) -> Server {
    let (data, store) = temp_store().await;
    let nobody = TestUser {
        user: natter_contract::User {
            id: 0,
            name: "nobody".into(),
        },
        token: String::new(),
    };
    let mut server = start_as(config, store, nobody).await;
    server._data = Some(data);
    server
}

/// A SQLite store in a fresh temp dir, which must outlive it.
pub async fn temp_store() -> (TempDir, SharedStore) {
    let data = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&data.path().join("natter.db"))
        .await
        .unwrap();
    (data, Arc::new(store))
}

pub async fn start_with_store(config: Config, store: SharedStore) -> Server {
    let tester = new_user(&store, "tester").await;
    start_as(config, store, tester).await
}

/// A server on `store` whose tester is a user the store already has (a restored backup's).
pub async fn start_as(config: Config, store: SharedStore, tester: TestUser) -> Server {
    let options = LeptosOptions::builder()
        .output_name("natter")
        .site_root(site_root())
        .site_pkg_dir("pkg")
        .build();
    let (app, io) = router(options, &config, store.clone())
        .await
        .expect("the router");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(axum::serve(listener, app).into_future());
    Server {
        addr,
        io,
        store,
        tester,
        _data: None,
    }
}

/// A site root with a compressible `/pkg/natter.js`, as cargo-leptos would produce.
fn site_root() -> String {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("natter-test-site");
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        let js = "export function hydrate() { console.log('hydrating natter'); }\n".repeat(200);
        std::fs::write(root.join("pkg/natter.js"), js).unwrap();
        root
    });
    root.to_str().unwrap().to_owned()
}

pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(TIMEOUT).build().unwrap()
}

pub fn parse_event(frame: &str) -> (String, Value) {
    let json = frame
        .strip_prefix("42")
        .unwrap_or_else(|| panic!("expected an event, got {frame}"));
    let Value::Array(mut args) = serde_json::from_str(json).unwrap() else {
        panic!("event is not an array: {frame}");
    };
    let name = args.remove(0).as_str().unwrap().to_owned();
    (name, args.into_iter().next().unwrap_or(Value::Null))
}

/// The payload of the ack with `ack_id`, if `frame` is that ack.
pub fn parse_ack(frame: &str, ack_id: u32) -> Option<Value> {
    let json = frame.strip_prefix(&format!("43{ack_id}"))?;
    let Value::Array(mut args) = serde_json::from_str(json).unwrap() else {
        panic!("ack is not an array: {frame}");
    };
    Some(args.remove(0))
}

pub fn error_code(ack: &Value) -> &str {
    ack["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error ack, got {ack}"))
}

/// Polling handshake, optionally with an `Origin`; returns the raw response.
pub async fn polling_open(server: &Server, origin: Option<&str>) -> reqwest::Response {
    let mut request = http().get(server.polling_url());
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.unwrap()
}

pub fn client_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A `chat message` payload for the default room with a fresh `client_id`.
pub fn message(body: &str) -> String {
    message_with_id(&client_id(), body)
}

pub fn message_with_id(client_id: &str, body: &str) -> String {
    json!({ "room": natter_contract::DEFAULT_ROOM, "client_id": client_id, "body": body })
        .to_string()
}

/// A `sync` payload for the default room.
pub fn sync_after(after_seq: u64) -> String {
    json!({ "room": natter_contract::DEFAULT_ROOM, "after_seq": after_seq }).to_string()
}

/// The `seq`s of a page ack's messages.
pub fn page_seqs(ack: &Value) -> Vec<u64> {
    let messages = ack["ok"]["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("expected a page, got {ack}"));
    messages
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect()
}
