//! `natter-bench-bare`: socketioxide with nothing of Natter around it, to tell which part of
//! Natter's memory per connection socketioxide costs by itself and what its knobs change.
//!
//! It answers what the bench's idle clients send: CONNECT; "sync" (joins the room and acks an
//! empty page, like Natter); "chat message" (re-emitted to every socket, like the tutorial).
//!
//!   natter-bench-bare --port 3200 [--ws-read-buffer 4096] [--max-buffer 128] [--workers 2]

use clap::Parser;
use serde_json::{Value, json};
use socketioxide::{
    SocketIo,
    extract::{AckSender, Data, SocketRef},
    handler::ConnectHandler,
};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    port: u16,
    /// engineioxide's WebSocket read buffer per connection (its default: 4096).
    #[arg(long, default_value_t = 4096)]
    ws_read_buffer: usize,
    /// Packets queued per socket (socketioxide's default: 128; Natter sets 1024).
    #[arg(long, default_value_t = 128)]
    max_buffer: usize,
    /// Copy the request's header values and URI before socketioxide sees them (see
    /// `unpin_request`).
    #[arg(long)]
    copy_request: bool,
    /// Tokio worker threads (0: one per core, like `#[tokio::main]`).
    #[arg(long, default_value_t = 0)]
    workers: usize,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if args.workers > 0 {
        runtime.worker_threads(args.workers);
    }
    runtime.enable_all().build()?.block_on(serve(args))
}

async fn serve(args: Args) -> std::io::Result<()> {
    let (layer, io) = SocketIo::builder()
        .ws_read_buffer_size(args.ws_read_buffer)
        .max_buffer_size(args.max_buffer)
        .build_layer();
    io.ns("/", on_connect.with(attach_handlers));
    let mut app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "bare socketioxide" }))
        .layer(layer);
    if args.copy_request {
        app = app.layer(axum::middleware::from_fn(unpin_request));
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    axum::serve(listener, app).await
}

async fn on_connect(_socket: SocketRef) {}

/// As connect middleware, like Natter: socketioxide awaits it before acking CONNECT, so a
/// client's first "sync" cannot arrive before its handler exists.
async fn attach_handlers(socket: SocketRef) -> Result<(), std::convert::Infallible> {
    socket.on("sync", async |socket: SocketRef, ack: AckSender| {
        socket.join("general");
        let page =
            json!({"ok": {"room": "general", "messages": [], "has_more": false, "latest_seq": 0}});
        let _ = ack.send(&page);
    });
    socket.on(
        "chat message",
        async |io: SocketIo, Data(message): Data<Value>| {
            let _ = io.emit("chat message", &message).await;
        },
    );
    Ok(())
}

/// hyper parses header values and the URI as zero-copy slices of the connection's read buffer
/// (8–16 KB), and engineioxide keeps the request's `Parts` for the socket's whole life, so
/// every connected socket pins that buffer. Copying the few bytes that matter frees it.
async fn unpin_request(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    for value in request.headers_mut().values_mut() {
        if let Ok(copy) = axum::http::HeaderValue::from_bytes(value.as_bytes()) {
            *value = copy;
        }
    }
    if let Ok(uri) = axum::http::Uri::try_from(request.uri().to_string()) {
        *request.uri_mut() = uri;
    }
    // axum's router keeps a clone of the URI as it arrived, sharing the same buffer.
    if let Some(original) = request
        .extensions_mut()
        .get_mut::<axum::extract::OriginalUri>()
        && let Ok(uri) = axum::http::Uri::try_from(original.0.to_string())
    {
        original.0 = uri;
    }
    next.run(request).await
}
