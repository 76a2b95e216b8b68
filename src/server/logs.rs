//! Log lines and the request id that ties them to an HTTP request.
//!
//! Every request gets an `x-request-id` (a UUID, unless a proxy in front already set one,
//! e.g. nginx's `$request_id`), echoed on the response, and runs inside a `request` span
//! that carries it: what a handler logs says which request it was about, in both formats.
//! Requests themselves are logged at `debug` (`RUST_LOG=tower_http=debug`), since long-polling
//! makes one every few seconds per client; 5xx answers at `error`.

use axum::{extract::Request, http::HeaderName};
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};
use tracing::Span;
use tracing_subscriber::EnvFilter;

use super::LogFormat;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Logs to stderr, at `info` unless `RUST_LOG` says otherwise.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// Gives a request its id (outermost of the three).
pub fn set_request_id() -> SetRequestIdLayer<MakeRequestUuid> {
    SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid)
}

/// Echoes the id on the response.
pub fn propagate_request_id() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(REQUEST_ID)
}

/// The `request` span, inside [`set_request_id`].
pub fn trace() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, fn(&Request) -> Span> {
    TraceLayer::new_for_http().make_span_with(request_span as fn(&Request) -> Span)
}

fn request_span(request: &Request) -> Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        id,
        method = %request.method(),
        path = request.uri().path(),
    )
}
