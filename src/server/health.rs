//! `/healthz` and `/readyz`, for a load balancer or an orchestrator: is the process alive, and
//! can it serve.

use std::time::Duration;

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};

use super::store::SharedStore;

/// Longer than a healthy store ever takes for `SELECT 1`, shorter than a balancer's probe.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes(store: SharedStore) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(store)
}

/// The process answers; nothing else is checked, so a slow database never gets a live node
/// restarted.
async fn healthz() -> &'static str {
    "ok"
}

/// The store answers a query: 200 `{"store": "ok"}`, else 503 saying what failed, so a
/// balancer sends no one to a node that could not store their messages. A cluster adapter
/// (Redis) joins this check when there is one.
async fn readyz(State(store): State<SharedStore>) -> (StatusCode, Json<Value>) {
    let store = match tokio::time::timeout(READY_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => return (StatusCode::OK, Json(json!({ "store": "ok" }))),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the store failed");
            "unreachable"
        }
        Err(_) => {
            tracing::warn!(?READY_TIMEOUT, "not ready: the store did not answer");
            "timeout"
        }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "store": store })),
    )
}
