//! A Socket.IO v5 client that runs in the browser (wasm32, feature `web`) and natively
//! (tokio, feature `native`) over the same sans-IO core, [`natter_protocol`].
//!
//! [`connect`]-style entry points live in [`web`] and [`native`]; both return a [`Handle`]
//! to emit with and a stream of [`Event`]s, and spawn one driver task ([`driver::run`]) that
//! owns the state machine.
#![forbid(unsafe_code)]

mod driver;
mod handle;
#[cfg(feature = "native")]
pub mod native;
#[cfg(feature = "web")]
pub mod web;

pub use driver::{Io, run};
pub use handle::{AckReply, Command, DEFAULT_ACK_TIMEOUT_MS, EmitError, Handle};
pub use natter_protocol::{
    Millis,
    backoff::Backoff,
    client::{AckError, ClientConfig, ClientEvent as Event, DisconnectReason},
    engine::{CloseReason, EngineConfig, TransportKind},
    sio::placeholder,
};

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Options {
    /// `http://host:port` or `https://…`; WebSocket URLs are derived from it.
    pub url: String,
    /// Engine.IO path, socket.io's default `/socket.io/`.
    pub path: String,
    pub config: ClientConfig,
    /// Namespaces to join at start, each with its CONNECT auth payload.
    pub namespaces: Vec<(String, Option<serde_json::Value>)>,
    /// Native only: the local address every request and WebSocket comes from (a test's many
    /// clients on distinct 127.0.0.x, so a load balancer hashing addresses spreads them).
    pub local_address: Option<std::net::IpAddr>,
}

impl Options {
    pub fn new(url: impl Into<String>) -> Options {
        Options {
            url: url.into(),
            path: "/socket.io/".into(),
            config: ClientConfig::default(),
            namespaces: vec![("/".into(), None)],
            local_address: None,
        }
    }

    /// The URL a transmit goes to.
    pub fn endpoint(&self, websocket: bool, query: &str) -> String {
        let base = self.url.trim_end_matches('/');
        let base = match (websocket, base.split_once("://")) {
            (true, Some(("https", rest))) => format!("wss://{rest}"),
            (true, Some((_, rest))) => format!("ws://{rest}"),
            _ => base.to_owned(),
        };
        format!("{base}{}?{query}", self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let o = Options::new("http://127.0.0.1:3000/");
        assert_eq!(
            o.endpoint(false, "EIO=4"),
            "http://127.0.0.1:3000/socket.io/?EIO=4"
        );
        assert_eq!(
            o.endpoint(true, "EIO=4"),
            "ws://127.0.0.1:3000/socket.io/?EIO=4"
        );
        let o = Options::new("https://chat.example");
        assert_eq!(o.endpoint(true, "x"), "wss://chat.example/socket.io/?x");
    }
}
