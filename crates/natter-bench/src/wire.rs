//! Socket.IO v5 over a bare Engine.IO v4 WebSocket, written by hand for the hot path.
//!
//! A bench client only needs the WebSocket-only handshake (`0{…}` open, `40` connect, with
//! Natter's session as its auth payload: see [`crate::session`]), pongs,
//! one event out and one event in, so each connection is a single tokio task around a
//! tungstenite stream with a 4 KB read buffer. The full `natter-client` stack (driver task,
//! sans-IO engine, reqwest client, three channel hops per frame) would cost the load generator
//! more CPU per delivery than the servers it measures on a 2-core machine.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use natter_contract::{DEFAULT_ROOM, SendMessage, SyncRequest, event};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    WebSocketStream, client_async_with_config,
    tungstenite::{Message, protocol::WebSocketConfig},
};

/// Which server, hence which protocol: the tutorial's bare re-emit, or Natter's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    Natter,
    Node,
}

impl Flavour {
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Natter => "natter",
            Flavour::Node => "node",
        }
    }
}

/// What every bench message carries, identically on both servers: to Node it is the event's
/// argument, to Natter it is the JSON text of the message body.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Probe {
    /// Sender number.
    pub s: u32,
    /// The sender's own sequence, from 1.
    pub q: u64,
    /// Send time, microseconds since [`epoch`]; all clients live in this process.
    pub t: u64,
    /// Measurement step, so a straggler from an earlier step is not counted in this one.
    pub r: u32,
}

pub fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

pub fn now_us() -> u64 {
    epoch().elapsed().as_micros() as u64
}

pub type Ws = WebSocketStream<TcpStream>;

/// A connected, ready client: subscribed to the room on Natter.
pub struct Conn {
    pub ws: Ws,
    pub flavour: Flavour,
    next_ack: u64,
}

/// How long the steps of a connection took.
#[derive(Debug, Clone, Copy)]
pub struct ConnectTimes {
    /// TCP + WebSocket upgrade + Engine.IO open + Socket.IO CONNECT ack.
    pub connected: Duration,
    /// Until the client can receive the room's messages: `connected` on Node (every socket
    /// gets every broadcast), plus the SYNC ack on Natter.
    pub ready: Duration,
}

/// One frame from the server, as far as the bench cares.
pub enum Incoming {
    Ping,
    Chat(Probe),
    /// Acks to SEND on Natter; `false` for an error ack.
    Ack(bool),
    Other,
    Closed,
}

#[derive(Deserialize)]
struct NatterBroadcast<'a> {
    #[serde(borrow)]
    body: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum AckShape {
    Ok(serde::de::IgnoredAny),
    Error(serde::de::IgnoredAny),
}

fn ws_config() -> WebSocketConfig {
    // Chat frames are a few hundred bytes; the 128 KB default read buffer per socket would
    // make the generator's own memory the limit at 5,000 clients.
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

fn err(text: impl Into<String>) -> std::io::Error {
    std::io::Error::other(text.into())
}

/// Connects over WebSocket only, with the session `token` if the server wants one, and waits
/// until ready (see [`ConnectTimes`]).
pub async fn connect(
    flavour: Flavour,
    port: u16,
    token: Option<&str>,
) -> std::io::Result<(Conn, ConnectTimes)> {
    let start = Instant::now();
    let mut conn = open(flavour, port, token).await?;
    let connected = start.elapsed();
    if flavour == Flavour::Natter {
        let sync = SyncRequest {
            room: DEFAULT_ROOM.into(),
            after_seq: 0,
            limit: Some(1),
        };
        let id = conn.take_ack_id();
        let frame = format!("42{id}{}", serde_json::json!([event::SYNC, sync]));
        conn.send_text(frame).await?;
        let prefix = format!("43{id}[{{\"ok\"");
        conn.expect(|t| t.starts_with(&prefix)).await?;
    }
    let ready = start.elapsed();
    Ok((conn, ConnectTimes { connected, ready }))
}

/// TCP, WebSocket upgrade, Engine.IO open and Socket.IO CONNECT, without [`connect`]'s SYNC:
/// for clients that subscribe their own way (the reconnect storm's one SYNC ROOMS).
pub async fn open(flavour: Flavour, port: u16, token: Option<&str>) -> std::io::Result<Conn> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let (ws, _) = client_async_with_config(url, tcp, Some(ws_config()))
        .await
        .map_err(|e| err(e.to_string()))?;
    let mut conn = Conn {
        ws,
        flavour,
        next_ack: 0,
    };
    conn.expect(|t| t.starts_with('0')).await?;
    let hello = crate::session::connect_packet(token);
    conn.send_text(hello).await?;
    conn.expect(|t| t.starts_with("40")).await?;
    Ok(conn)
}

impl Conn {
    /// Emits `name` with `payload` and waits for its ack, answering pings and skipping other
    /// frames (events such as "room added" arrive in between). Returns the ack's argument
    /// list as JSON text, `[{"ok":…}]` or `[{"error":…}]`; the caller bounds the wait.
    pub async fn request(
        &mut self,
        name: &str,
        payload: &impl Serialize,
    ) -> std::io::Result<String> {
        let id = self.take_ack_id();
        let json = serde_json::to_string(&(name, payload)).map_err(|e| err(e.to_string()))?;
        self.send_text(format!("42{id}{json}")).await?;
        // The `[` ends the id: the ack of 1 is not mistaken for the ack of 12.
        let prefix = format!("43{id}[");
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(t))) if t.starts_with(&prefix) => {
                    return Ok(t[prefix.len() - 1..].to_owned());
                }
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                    self.send_text("3".into()).await?
                }
                Some(Ok(Message::Close(_))) | None => return Err(err("closed awaiting an ack")),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(err(e.to_string())),
            }
        }
    }

    fn take_ack_id(&mut self) -> u64 {
        self.next_ack += 1;
        self.next_ack
    }

    pub async fn send_text(&mut self, text: String) -> std::io::Result<()> {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| err(e.to_string()))
    }

    /// Reads until a text frame passes `want`, answering pings; anything else is an error.
    async fn expect(&mut self, want: impl Fn(&str) -> bool) -> std::io::Result<()> {
        for _ in 0..16 {
            match self.ws.next().await {
                Some(Ok(Message::Text(t))) if want(t.as_str()) => return Ok(()),
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                    self.send_text("3".into()).await?
                }
                Some(Ok(Message::Text(t))) if t.starts_with("42") => {}
                // CONNECT_ERROR, e.g. `44{"message":"unauthorized"}` without a session.
                Some(Ok(Message::Text(t))) if t.starts_with("44") => {
                    return Err(err(format!("CONNECT refused: {}", &t[2..])));
                }
                Some(Ok(other)) => return Err(err(format!("unexpected frame {other:?}"))),
                Some(Err(e)) => return Err(err(e.to_string())),
                None => return Err(err("closed during handshake")),
            }
        }
        Err(err("no answer to the handshake"))
    }

    /// Emits one chat message carrying `probe`, in this server's own protocol.
    pub async fn send_probe(&mut self, probe: &Probe) -> std::io::Result<()> {
        let frame = match self.flavour {
            Flavour::Node => {
                serde_json::to_string(&(event::CHAT_MESSAGE, probe)).map(|json| format!("42{json}"))
            }
            Flavour::Natter => {
                let body = serde_json::to_string(probe).map_err(|e| err(e.to_string()))?;
                let message = SendMessage {
                    room: DEFAULT_ROOM.into(),
                    client_id: uuid::Uuid::new_v4().to_string(),
                    body,
                };
                let id = self.take_ack_id();
                serde_json::to_string(&(event::CHAT_MESSAGE, message))
                    .map(|json| format!("42{id}{json}"))
            }
        };
        self.send_text(frame.map_err(|e| err(e.to_string()))?).await
    }

    /// The next frame; pings are answered here but still reported.
    pub async fn recv(&mut self) -> Incoming {
        let text = match self.ws.next().await {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Incoming::Closed,
            Some(Ok(_)) => return Incoming::Other,
        };
        let text = text.as_str();
        if text == "2" {
            return match self.send_text("3".into()).await {
                Ok(()) => Incoming::Ping,
                Err(_) => Incoming::Closed,
            };
        }
        parse(self.flavour, text)
    }
}

/// Decodes a Socket.IO EVENT or ACK text packet (`42…`, `43…`) with an Engine.IO `4` prefix.
pub fn parse(flavour: Flavour, text: &str) -> Incoming {
    if let Some(event) = text.strip_prefix("42[") {
        return parse_event(flavour, &text[2..], event);
    }
    if let Some(ack) = text.strip_prefix("43") {
        let json = ack.trim_start_matches(|c: char| c.is_ascii_digit());
        return match serde_json::from_str::<(AckShape,)>(json) {
            Ok((AckShape::Ok(_),)) => Incoming::Ack(true),
            _ => Incoming::Ack(false),
        };
    }
    Incoming::Other
}

fn parse_event(flavour: Flavour, json: &str, after_bracket: &str) -> Incoming {
    // Cheap filter before JSON: only "chat message" events matter.
    if !after_bracket.starts_with("\"chat message\"") {
        return Incoming::Other;
    }
    let probe = match flavour {
        Flavour::Node => serde_json::from_str::<(&str, Probe)>(json)
            .map(|(_, p)| p)
            .ok(),
        Flavour::Natter => serde_json::from_str::<(&str, NatterBroadcast)>(json)
            .ok()
            .and_then(|(_, m)| serde_json::from_str::<Probe>(&m.body).ok()),
    };
    probe.map_or(Incoming::Other, Incoming::Chat)
}

/// The probe inside a decoded event argument (natter-client hands events over as JSON values).
pub fn probe_from_value(flavour: Flavour, value: serde_json::Value) -> Option<Probe> {
    match flavour {
        Flavour::Node => serde_json::from_value(value).ok(),
        Flavour::Natter => {
            let body = value.get("body")?.as_str()?;
            serde_json::from_str(body).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_broadcasts() {
        let node = r#"42["chat message",{"s":1,"q":7,"t":99,"r":2}]"#;
        assert!(matches!(parse(Flavour::Node, node), Incoming::Chat(p) if p.q == 7 && p.r == 2));
        let natter = r#"42["chat message",{"room":"general","seq":3,"id":3,"author":{"id":1,"name":"bench-1"},"client_id":"x","body":"{\"s\":1,\"q\":8,\"t\":5,\"r\":0}","sent_at":1}]"#;
        assert!(matches!(parse(Flavour::Natter, natter), Incoming::Chat(p) if p.q == 8));
        assert!(matches!(
            parse(
                Flavour::Natter,
                r#"4312[{"ok":{"id":1,"seq":1,"sent_at":2}}]"#
            ),
            Incoming::Ack(true)
        ));
        assert!(matches!(
            parse(
                Flavour::Natter,
                r#"433[{"error":{"code":"internal","message":"x"}}]"#
            ),
            Incoming::Ack(false)
        ));
        assert!(matches!(
            parse(Flavour::Node, r#"42["other",1]"#),
            Incoming::Other
        ));
    }
}
