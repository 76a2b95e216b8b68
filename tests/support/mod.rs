//! A real Natter server on a loopback port, and raw Engine.IO clients to poke it with.
//! Every wait is bounded by [`TIMEOUT`], so a broken server fails a test instead of hanging it.
#![allow(dead_code)] // each test binary uses its own subset

use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
    path::PathBuf,
    sync::OnceLock,
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use leptos::config::LeptosOptions;
use natter::server::{Config, router};
use serde_json::Value;
use socketioxide::SocketIo;
use tokio::{net::TcpListener, sync::mpsc};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue};

pub const TIMEOUT: Duration = Duration::from_secs(5);

pub struct Server {
    pub addr: SocketAddr,
    pub io: SocketIo,
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
    /// The `Origin` a browser sends for a page loaded from this server.
    pub fn own_origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Short heartbeats so dead clients are noticed within a test's patience.
pub fn test_config() -> Config {
    Config {
        ping_interval: Duration::from_millis(500),
        ping_timeout: Duration::from_millis(1000),
        ..Config::default()
    }
}

pub async fn start(config: Config) -> Server {
    let options = LeptosOptions::builder()
        .output_name("natter")
        .site_root(site_root())
        .site_pkg_dir("pkg")
        .build();
    let (app, io) = router(options, &config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, app).into_future());
    Server { addr, io }
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

/// What the background task of a [`WsClient`] saw.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Text(String),
    Closed,
}

/// A raw Engine.IO v4 WebSocket client. A background task answers the server's pings (unless
/// told not to) so tests can take their time between reads.
pub struct WsClient {
    out: mpsc::UnboundedSender<Vec<Message>>,
    frames: mpsc::UnboundedReceiver<Frame>,
}

impl WsClient {
    /// Opens the WebSocket and reads the Engine.IO open packet, returning its JSON.
    pub async fn open(
        server: &Server,
        origin: Option<&str>,
        answer_pings: bool,
    ) -> Result<(WsClient, Value), tungstenite::Error> {
        let mut request = server.ws_url().into_client_request()?;
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        let (ws, _) = within(
            "websocket handshake",
            tokio_tungstenite::connect_async(request),
        )
        .await?;
        let (out, mut out_rx) = mpsc::unbounded_channel::<Vec<Message>>();
        let (frames_tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut ws = ws;
            loop {
                tokio::select! {
                    incoming = ws.next() => match incoming {
                        Some(Ok(Message::Text(text))) if text.as_str() == "2" && answer_pings => {
                            if ws.send(Message::text("3")).await.is_err() {
                                break;
                            }
                        }
                        Some(Ok(Message::Text(text))) => {
                            frames_tx.send(Frame::Text(text.to_string())).ok();
                        }
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    },
                    batch = out_rx.recv() => {
                        let Some(batch) = batch else { break };
                        let mut failed = false;
                        for message in batch {
                            failed |= ws.feed(message).await.is_err();
                        }
                        if failed || ws.flush().await.is_err() {
                            break;
                        }
                    }
                }
            }
            frames_tx.send(Frame::Closed).ok();
        });
        let mut client = WsClient { out, frames };
        let open = client.recv().await;
        let open = open
            .strip_prefix('0')
            .unwrap_or_else(|| panic!("expected open, got {open}"));
        Ok((client, serde_json::from_str(open).unwrap()))
    }

    /// Opens a session and connects to the "/" namespace.
    pub async fn join(server: &Server) -> WsClient {
        let (mut client, _) = WsClient::open(server, None, true).await.unwrap();
        client.send("40");
        let connected = client.recv().await;
        assert!(
            connected.starts_with("40{\"sid\":"),
            "expected CONNECT ack, got {connected}"
        );
        client
    }

    pub fn send(&self, text: &str) {
        self.send_raw(vec![Message::text(text)]);
    }

    /// Writes all messages before flushing, so the server reads them in one go.
    pub fn send_raw(&self, batch: Vec<Message>) {
        self.out.send(batch).ok();
    }

    pub async fn next_frame(&mut self) -> Frame {
        within("a websocket frame", self.frames.recv())
            .await
            .unwrap_or(Frame::Closed)
    }

    pub async fn recv(&mut self) -> String {
        match self.next_frame().await {
            Frame::Text(text) => text,
            Frame::Closed => panic!("connection closed while waiting for a frame"),
        }
    }

    /// Waits until the connection ends, skipping whatever arrives before.
    pub async fn closed(&mut self) {
        within("the connection to close", async {
            while let Some(Frame::Text(_)) = self.frames.recv().await {}
        })
        .await;
    }

    /// Next Socket.IO event on "/" as (name, first argument).
    pub async fn event(&mut self) -> (String, Value) {
        parse_event(&self.recv().await)
    }

    /// Sends `chat message` with ack id `ack_id` and returns the ack's payload.
    pub async fn chat(&mut self, ack_id: u32, payload: &str) -> Value {
        self.send(&format!("42{ack_id}[\"chat message\",{payload}]"));
        within("an ack", async {
            loop {
                if let Some(ack) = parse_ack(&self.recv().await, ack_id) {
                    return ack;
                }
            }
        })
        .await
    }
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

/// A long-polling Engine.IO session that answers the server's pings.
pub struct PollingSession {
    pub url: String,
}

impl PollingSession {
    pub async fn open(server: &Server) -> PollingSession {
        let body = polling_open(server, None).await.text().await.unwrap();
        let open: Value = serde_json::from_str(body.strip_prefix('0').unwrap()).unwrap();
        let sid = open["sid"].as_str().unwrap();
        PollingSession {
            url: format!("{}&sid={sid}", server.polling_url()),
        }
    }

    pub async fn post(&self, body: &str) {
        let response = http()
            .post(&self.url)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "POST {body}");
    }

    /// One long-poll; returns its packets other than pings.
    pub async fn get(&self) -> Vec<String> {
        let body = http()
            .get(&self.url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (pings, packets): (Vec<_>, Vec<_>) = body
            .split('\x1e')
            .map(str::to_owned)
            .partition(|packet| packet == "2");
        if !pings.is_empty() {
            self.post("3").await;
        }
        packets
    }
}
