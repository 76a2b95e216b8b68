//! The retry queue (socket.io-client `retries` + `ackTimeout`) against a server whose "flaky"
//! handler leaves the first try(s) of each message unacked.

use crate::support::*;
use natter_client::{AckError, EmitError, Options};
use serde_json::{Value, json};
use std::time::Duration;

fn retrying(url: &str, retries: u32, ack_timeout_ms: u64) -> Options {
    let mut options = Options::new(url);
    options.config.retries = retries;
    options.config.ack_timeout_ms = Some(ack_timeout_ms);
    options
}

fn flaky(id: &str, drop: u32) -> Vec<Value> {
    vec![json!({ "id": id, "drop": drop })]
}

#[tokio::test]
async fn an_unacked_emit_is_resent_and_resolves_once() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(retrying(&server.url(), 3, 300));
    c.connected("/").await;
    let reply = c
        .handle
        .emit_raw_reliable("/", "flaky", flaky("m1", 1), vec![]);
    let reply = tokio::time::timeout(STEP, reply)
        .await
        .expect("bounded")
        .unwrap();
    assert_eq!(reply.args, [json!({"id": "m1", "seen": 2})]);
    // Nothing more goes out afterwards, and no second result can exist (the future is spent).
    tokio::time::sleep(Duration::from_millis(800)).await;
    let stats = c.stats("/").await;
    assert_eq!(stats["flaky"], json!({"m1": 2}), "the server saw it twice");
}

/// With `retries` set, every emit is queued: one in flight at a time, in order, each resent
/// until acked.
#[tokio::test]
async fn queued_emits_keep_their_order() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(retrying(&server.url(), 3, 300));
    c.connected("/").await;
    let h = &c.handle;
    let typed = json!({"id": "c", "drop": 1});
    let all = async {
        tokio::join!(
            // A plain emit with an ack: queued too, its timeout bounding each try (as
            // socket.io-client's `timeout(ms).emit` does with `retries`).
            h.emit_raw_with_ack("/", "flaky", flaky("a", 1), 300),
            h.emit_raw_reliable("/", "flaky", flaky("b", 1), vec![]),
            h.emit_reliable::<_, Value>("flaky", &typed),
        )
    };
    let (a, b, cc) = tokio::time::timeout(STEP, all).await.expect("bounded");
    assert_eq!(a.unwrap(), [json!({"id": "a", "seen": 2})]);
    assert_eq!(b.unwrap().args, [json!({"id": "b", "seen": 2})]);
    assert_eq!(cc.unwrap(), json!({"id": "c", "seen": 2}));
    assert_eq!(
        c.stats("/").await["flakyOrder"],
        json!(["a", "a", "b", "b", "c", "c"])
    );
}

#[tokio::test]
async fn gives_up_after_retries_with_the_error() {
    let server = Fixture::start(&[]).await;
    let mut c = Client::connect(retrying(&server.url(), 2, 200));
    c.connected("/").await;
    let lost = c
        .handle
        .emit_raw_reliable("/", "flaky", flaky("never", 99), vec![]);
    let lost = tokio::time::timeout(STEP, lost).await.expect("bounded");
    assert_eq!(lost, Err(EmitError::Ack(AckError::Timeout)));
    // The queue moved on.
    let next = c
        .handle
        .emit_raw_reliable("/", "flaky", flaky("next", 0), vec![]);
    assert_eq!(
        tokio::time::timeout(STEP, next)
            .await
            .unwrap()
            .unwrap()
            .args,
        [json!({"id": "next", "seen": 1})]
    );
    assert_eq!(
        c.stats("/").await["flaky"],
        json!({"never": 3, "next": 1}),
        "1 + retries tries"
    );
}
