//! Native transports on tokio: reqwest long-polling and tokio-tungstenite WebSockets. Tests,
//! the load generator and command-line tools use the same sans-IO core as the browser.

use crate::{Event, Handle, Io, Options, driver};
use futures::{SinkExt, StreamExt, channel::mpsc};
use natter_protocol::{
    Millis,
    eio::Frame,
    engine::{Input, Transmit, TransportId},
};
use std::{collections::HashMap, time::Instant};
use tokio_tungstenite::tungstenite::Message;

/// Connect; the driver runs as a tokio task until the handle closes.
pub fn connect(options: Options) -> (Handle, mpsc::UnboundedReceiver<Event>) {
    let (handle, commands, events_tx, events) = driver::channels();
    let http = reqwest::Client::builder()
        .local_address(options.local_address)
        .build()
        .unwrap_or_default();
    let io = NativeIo {
        options: options.clone(),
        http,
        sockets: HashMap::new(),
        start: Instant::now(),
    };
    tokio::spawn(driver::run(
        io,
        options,
        fastrand::u64(..),
        commands,
        events_tx,
    ));
    (handle, events)
}

struct NativeIo {
    options: Options,
    http: reqwest::Client,
    /// Frames to write, per open WebSocket; dropping the sender closes the socket.
    sockets: HashMap<TransportId, mpsc::UnboundedSender<Frame>>,
    start: Instant,
}

impl Io for NativeIo {
    fn now(&self) -> Millis {
        self.start.elapsed().as_millis() as Millis
    }

    fn sleep(&self, ms: u64) -> driver::Sleep {
        Box::pin(tokio::time::sleep(std::time::Duration::from_millis(ms)))
    }

    fn perform(&mut self, transmit: Transmit, inputs: &mpsc::UnboundedSender<Input>) {
        let tx = inputs.clone();
        match transmit {
            Transmit::PollGet { id, query } => {
                let request = self.http.get(self.options.endpoint(false, &query));
                tokio::spawn(async move {
                    let input = match text(request).await {
                        Ok(body) => Input::PollResponse { id, body },
                        Err(error) => Input::PollFailed { id, error },
                    };
                    let _ = tx.unbounded_send(input);
                });
            }
            Transmit::PollPost { id, query, body } => {
                let request = self
                    .http
                    .post(self.options.endpoint(false, &query))
                    .header("content-type", "text/plain;charset=UTF-8")
                    .body(body);
                tokio::spawn(async move {
                    let input = match text(request).await {
                        Ok(_) => Input::PostDone { id },
                        Err(error) => Input::PostFailed { id, error },
                    };
                    let _ = tx.unbounded_send(input);
                });
            }
            Transmit::WsOpen { id, query } => {
                let (frames_tx, frames) = mpsc::unbounded();
                self.sockets.insert(id, frames_tx);
                tokio::spawn(websocket(
                    self.options.endpoint(true, &query),
                    self.options.local_address,
                    id,
                    frames,
                    tx,
                ));
            }
            Transmit::WsSend { id, frame } => {
                if let Some(socket) = self.sockets.get(&id) {
                    let _ = socket.unbounded_send(frame);
                }
            }
            Transmit::WsClose { id } => {
                self.sockets.remove(&id);
            }
        }
    }
}

/// A TCP connection to `url`'s host from `local` (plain `ws://` only: a test's loopback).
async fn tcp_from(local: std::net::IpAddr, url: &str) -> std::io::Result<tokio::net::TcpStream> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_owned());
    let uri: tokio_tungstenite::tungstenite::http::Uri =
        url.parse().map_err(|_| invalid("not a URL"))?;
    let host = uri.host().ok_or_else(|| invalid("no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let remote = tokio::net::lookup_host((host, port))
        .await?
        .next()
        .ok_or_else(|| invalid("no address"))?;
    let socket = if remote.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.bind(std::net::SocketAddr::new(local, 0))?;
    let tcp = socket.connect(remote).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

async fn text(request: reqwest::RequestBuilder) -> Result<String, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    response.text().await.map_err(|e| e.to_string())
}

/// One WebSocket: reports open, frames and close on `inputs`; writes what arrives on `frames`
/// and closes when that channel closes.
async fn websocket(
    url: String,
    local: Option<std::net::IpAddr>,
    id: TransportId,
    mut frames: mpsc::UnboundedReceiver<Frame>,
    inputs: mpsc::UnboundedSender<Input>,
) {
    let opened = match local {
        None => tokio_tungstenite::connect_async(url.as_str()).await,
        Some(local) => match tcp_from(local, &url).await {
            Ok(tcp) => {
                let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
                tokio_tungstenite::client_async(url.as_str(), tcp).await
            }
            Err(error) => Err(tokio_tungstenite::tungstenite::Error::Io(error)),
        },
    };
    let ws = match opened {
        Ok((ws, _)) => ws,
        Err(e) => {
            let _ = inputs.unbounded_send(Input::WsClosed {
                id,
                error: Some(e.to_string()),
            });
            return;
        }
    };
    let _ = inputs.unbounded_send(Input::WsOpened { id });
    let (mut sink, mut stream) = ws.split();
    let error = loop {
        tokio::select! {
            frame = frames.next() => {
                let message = match frame {
                    Some(Frame::Text(text)) => Message::Text(text.into()),
                    Some(Frame::Binary(bytes)) => Message::Binary(bytes.into()),
                    None => {
                        let _ = sink.close().await;
                        return;
                    }
                };
                if let Err(e) = sink.send(message).await {
                    break Some(e.to_string());
                }
            }
            message = stream.next() => {
                let frame = match message {
                    Some(Ok(Message::Text(text))) => Frame::Text(text.to_string()),
                    Some(Ok(Message::Binary(bytes))) => Frame::Binary(bytes.to_vec()),
                    Some(Ok(Message::Close(_))) | None => break None,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => break Some(e.to_string()),
                };
                let _ = inputs.unbounded_send(Input::WsFrame { id, frame });
            }
        }
    };
    let _ = inputs.unbounded_send(Input::WsClosed { id, error });
}
