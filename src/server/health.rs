//! `/healthz` and `/readyz`, for a load balancer or an orchestrator: is the process alive, and
//! can it serve.

use std::time::Duration;

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};

use super::{cluster::RedisLink, store::SharedStore};

/// Longer than a healthy store ever takes for `SELECT 1`, shorter than a balancer's probe.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
struct Services {
    store: SharedStore,
    redis: Option<RedisLink>,
}

pub fn routes(store: SharedStore, redis: Option<RedisLink>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Services { store, redis })
}

/// The process answers; nothing else is checked, so a slow database never gets a live node
/// restarted.
async fn healthz() -> &'static str {
    "ok"
}

/// The store answers a query, and in a cluster Redis answers a PING: 200
/// `{"store": "ok", "redis": "ok"}` (no `redis` on a node alone), else 503 saying what failed,
/// so a balancer sends no one to a node that could not store their messages or reach the
/// other nodes.
async fn readyz(State(services): State<Services>) -> (StatusCode, Json<Value>) {
    let store = match tokio::time::timeout(READY_TIMEOUT, services.store.ping()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the store failed");
            "unreachable"
        }
        Err(_) => {
            tracing::warn!(?READY_TIMEOUT, "not ready: the store did not answer");
            "timeout"
        }
    };
    let mut answer = json!({ "store": store });
    let mut ready = store == "ok";
    if let Some(redis) = &services.redis {
        let up = redis.ping().await;
        answer["redis"] = json!(if up { "ok" } else { "unreachable" });
        ready &= up;
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(answer))
}
