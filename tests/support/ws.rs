//! A raw Engine.IO WebSocket client.

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue};

use super::{Server, parse_ack, parse_event, sync_after, within};

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
    /// Whether presence changes are read; by default they are skipped, because every
    /// signed-in socket hears them whenever someone comes or goes.
    presence: bool,
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
        let mut client = WsClient {
            out,
            frames,
            presence: false,
        };
        let open = client.recv().await;
        let open = open
            .strip_prefix('0')
            .unwrap_or_else(|| panic!("expected open, got {open}"));
        Ok((client, serde_json::from_str(open).unwrap()))
    }

    /// Opens a session and connects to the "/" namespace as the server's tester.
    pub async fn join(server: &Server) -> WsClient {
        WsClient::join_as(server, &server.tester).await
    }

    /// Opens a session and connects to the "/" namespace as `user`.
    pub async fn join_as(server: &Server, user: &super::TestUser) -> WsClient {
        let (mut client, _) = WsClient::open(server, None, true).await.unwrap();
        client.send(&user.connect_packet());
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

    /// From now on, presence changes are read like any other event.
    pub fn hear_presence(&mut self) {
        self.presence = true;
    }

    pub async fn next_frame(&mut self) -> Frame {
        loop {
            let frame = within("a websocket frame", self.frames.recv()).await;
            match frame {
                Some(Frame::Text(text))
                    if !self.presence && text.starts_with(r#"42["presence""#) => {}
                frame => return frame.unwrap_or(Frame::Closed),
            }
        }
    }

    pub async fn recv(&mut self) -> String {
        match self.next_frame().await {
            Frame::Text(text) => text,
            Frame::Closed => panic!("connection closed while waiting for a frame"),
        }
    }

    /// Whether the server ends this socket (a Socket.IO DISCONNECT or the connection closing)
    /// within `limit`, skipping whatever arrives before.
    pub async fn disconnected_within(&mut self, limit: std::time::Duration) -> bool {
        let gone = tokio::time::timeout(limit, async {
            loop {
                match self.next_frame().await {
                    Frame::Closed => return,
                    Frame::Text(text) if text.starts_with("41") => return,
                    Frame::Text(_) => {}
                }
            }
        });
        gone.await.is_ok()
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

    /// Connects to "/" and SYNCs the default room from the start, so live messages arrive.
    pub async fn member(server: &Server) -> WsClient {
        let mut client = WsClient::join(server).await;
        let page = client.emit(900, "sync", &sync_after(0)).await;
        assert!(page["ok"]["messages"].is_array(), "sync failed: {page}");
        client
    }

    /// Sends `chat message` with ack id `ack_id` and returns the ack's payload.
    pub async fn chat(&mut self, ack_id: u32, payload: &str) -> Value {
        self.emit(ack_id, "chat message", payload).await
    }

    /// Sends `event` with ack id `ack_id` and returns the ack's payload, skipping other frames.
    pub async fn emit(&mut self, ack_id: u32, event: &str, payload: &str) -> Value {
        self.send(&format!("42{ack_id}[\"{event}\",{payload}]"));
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
