//! A loopback TCP relay between a client and a server that can go silent on demand. Neither
//! socket.io nor socketioxide offers a way to stop pinging, and a network that swallows
//! everything, closes included, is what ping-timeout detection is for. The one-way freeze loses
//! the server's replies only, so an emit is stored but its ack never arrives: the case a resend
//! must not turn into a second copy.

use crate::events::Client;
use natter_client::{CloseReason, DisconnectReason, Event};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    sync::watch,
    task::JoinHandle,
    time::Instant,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Open,
    /// Read and discard both ways; pass no close on.
    Frozen,
    /// Like `Frozen`, for what the server sends only.
    RepliesFrozen,
    /// Drop both sockets.
    Cut,
}

pub struct Proxy {
    pub port: u16,
    connections: Arc<Mutex<Vec<watch::Sender<Mode>>>>,
    refuse_websockets: Arc<AtomicBool>,
    accept: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let connections: Arc<Mutex<Vec<watch::Sender<Mode>>>> = Arc::default();
        let refuse_websockets = Arc::new(AtomicBool::new(false));
        let (conns, refuse) = (connections.clone(), refuse_websockets.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (tx, rx) = watch::channel(Mode::Open);
                conns.lock().unwrap().push(tx);
                tokio::spawn(relay(client, upstream, rx, refuse.load(Ordering::SeqCst)));
            }
        });
        Proxy {
            port,
            connections,
            refuse_websockets,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every connection open now goes silent; later ones work normally.
    pub fn freeze(&self) {
        self.set_open_ones(Mode::Frozen);
    }

    /// Every connection open now still carries the client's packets to the server, but none
    /// of the server's back.
    pub fn freeze_replies(&self) {
        self.set_open_ones(Mode::RepliesFrozen);
    }

    fn set_open_ones(&self, to: Mode) {
        for conn in self.connections.lock().unwrap().iter() {
            conn.send_if_modified(|mode| std::mem::replace(mode, to) == Mode::Open);
        }
    }

    /// Close every frozen connection (what a NAT timeout eventually does).
    pub fn cut_frozen(&self) {
        let mut conns = self.connections.lock().unwrap();
        conns.retain(|conn| {
            let frozen = *conn.borrow() != Mode::Open;
            if frozen {
                let _ = conn.send(Mode::Cut);
            }
            !frozen
        });
    }

    /// The network swallows everything: `c`, on a session through this proxy, must notice by
    /// itself (a ping timeout) within `detected_within` of the freeze. Several heartbeats pass
    /// first while all is well; the frozen connections are cut at the end.
    pub async fn freeze_until_ping_timeout(&self, c: &mut Client, detected_within: Duration) {
        c.refute("a disconnect", Duration::from_millis(1000), |e| {
            matches!(e, Event::Disconnected { .. })
        })
        .await;
        let frozen_at = Instant::now();
        self.freeze();
        let reason = c.disconnect_reason().await;
        let detected = frozen_at.elapsed();
        assert_eq!(reason, DisconnectReason::Engine(CloseReason::PingTimeout));
        assert!(
            detected <= detected_within,
            "ping timeout noticed after {detected:?}"
        );
        self.cut_frozen();
    }

    /// Drop new connections whose request is a WebSocket upgrade, like a proxy that does not
    /// speak WebSocket.
    pub fn refuse_websockets(&self) {
        self.refuse_websockets.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for conn in self.connections.lock().unwrap().iter() {
            let _ = conn.send(Mode::Cut);
        }
    }
}

async fn relay(
    client: TcpStream,
    upstream: u16,
    mode: watch::Receiver<Mode>,
    refuse_websockets: bool,
) {
    if refuse_websockets {
        let mut head = [0u8; 2048];
        let n = client.peek(&mut head).await.unwrap_or(0);
        let request = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
        if request.contains("upgrade: websocket") {
            return;
        }
    }
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        pipe(client_read, server_write, mode.clone(), false),
        pipe(server_read, client_write, mode, true)
    );
}

/// One direction (`replies`: server to client). Both directions of a connection end on `Cut`.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
    replies: bool,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => read.unwrap_or(0),
            changed = mode.changed() => {
                if changed.is_err() || *mode.borrow() == Mode::Cut {
                    return;
                }
                continue;
            }
        };
        let current = *mode.borrow();
        let silent = current == Mode::Frozen || (replies && current == Mode::RepliesFrozen);
        match (current, silent) {
            (Mode::Cut, _) => return,
            (_, true) if n == 0 => {
                // The peer closed: hold our side open and silent until cut.
                while mode.changed().await.is_ok() {
                    if *mode.borrow() == Mode::Cut {
                        return;
                    }
                }
                return;
            }
            (_, true) => continue,
            (_, false) if n == 0 => {
                let _ = to.shutdown().await;
                return;
            }
            (_, false) => {
                if to.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
