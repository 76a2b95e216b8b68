//! Prometheus metrics, through the `metrics` facade and its Prometheus exporter, served at
//! `/metrics` on a listener of their own (`--metrics-addr`), never on the public port: they
//! tell anyone who can read them how busy the node is and which errors it answers.
//!
//! | metric | kind | what |
//! |---|---|---|
//! | `natter_connections{transport}` | gauge | Socket.IO connections of this node, `polling` or `websocket`, counted when scraped |
//! | `natter_messages_stored_total` | counter | messages, edits, deletes and system lines committed (a resend of a stored one is not) |
//! | `natter_store_write_seconds` | histogram | one batch's transaction, as the writer waits for it |
//! | `natter_store_batch_size` | histogram | messages per transaction |
//! | `natter_refusals_total{code}` | counter | acks that refused, by error code, and handshakes refused over their address's rate (`too_many_handshakes`) |
//! | `natter_emits_dropped_total{event}` | counter | emits a socket missed because its buffer was full |
//! | `natter_redis_up` | gauge | in a cluster: 1 while Redis answers, 0 while it is lost |

use std::{sync::OnceLock, time::Duration};

use axum::{Router, extract::State, http::header, response::IntoResponse, routing::get};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use natter_contract::ErrorCode;
use socketioxide::{BroadcastError, SocketError, SocketIo, TransportType, adapter::Adapter};

const STORE_SECONDS: &str = "natter_store_write_seconds";
const BATCH_SIZE: &str = "natter_store_batch_size";

/// A SQLite commit without an fsync takes ~0.1–1 ms; Postgres a few; 5 s is `WRITE_TIMEOUT`.
const STORE_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// Up to the writer's `MAX_BATCH` of 256.
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The process's recorder, installed on first use. Tests start many servers in one process,
/// and a process has one global recorder, so this is shared, and counters only ever grow.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(STORE_SECONDS.into()), &STORE_BUCKETS)
            .and_then(|builder| {
                builder.set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), &BATCH_BUCKETS)
            })
            .expect("bucket lists are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            // An embedding program installed its own: ours then renders nothing it records.
            tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
        }
        handle
    })
}

/// `GET /metrics`, in Prometheus' text format, with this node's connections counted now.
pub fn routes<A: Adapter>(io: SocketIo<A>) -> Router {
    handle();
    Router::new()
        .route("/metrics", get(render::<A>))
        .with_state(io)
}

async fn render<A: Adapter>(State(io): State<SocketIo<A>>) -> impl IntoResponse {
    let (mut polling, mut websocket) = (0_u32, 0_u32);
    if let Some(namespace) = io.of("/") {
        for socket in namespace.sockets() {
            match socket.transport_type() {
                TransportType::Polling => polling += 1,
                TransportType::Websocket => websocket += 1,
            }
        }
    }
    metrics::gauge!("natter_connections", "transport" => "polling").set(polling);
    metrics::gauge!("natter_connections", "transport" => "websocket").set(websocket);
    let handle = handle();
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
}

/// A batch committed (or failed) after `took`.
pub fn stored_batch(size: usize, stored: usize, took: Duration) {
    metrics::histogram!(STORE_SECONDS).record(took.as_secs_f64());
    metrics::histogram!(BATCH_SIZE).record(size as f64);
    metrics::counter!("natter_messages_stored_total").increment(stored as u64);
}

/// An ack that refused with `code`, labelled with the code as the wire spells it.
pub fn refused(code: ErrorCode) {
    metrics::counter!("natter_refusals_total", "code" => code.name()).increment(1);
}

/// In a cluster: whether Redis answers.
pub fn redis_up(up: bool) {
    metrics::gauge!("natter_redis_up").set(f64::from(u8::from(up)));
}

/// A handshake refused with 429, over its address's rate.
pub fn refused_handshake() {
    metrics::counter!("natter_refusals_total", "code" => "too_many_handshakes").increment(1);
}

/// Counts the sockets a broadcast of `event` missed because their buffer was full.
pub fn broadcast_failed(event: &'static str, error: &BroadcastError) {
    if let BroadcastError::Socket(errors) = error {
        let full = errors
            .iter()
            .filter(|error| matches!(error, SocketError::InternalChannelFull))
            .count();
        if full > 0 {
            metrics::counter!("natter_emits_dropped_total", "event" => event)
                .increment(full as u64);
        }
    }
}
