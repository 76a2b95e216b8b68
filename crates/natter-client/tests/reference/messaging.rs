//! Events, acks and binary attachments, both ways, over each transport.

use crate::support::*;
use natter_client::{AckError, EmitError, TransportKind, TransportKind::*, placeholder};
use serde_json::{Value, json};

async fn connected_over(server: &Fixture, transport: TransportKind) -> Client {
    let mut c = Client::connect(options(&server.url(), &[transport]));
    c.connected("/").await;
    c
}

#[tokio::test]
async fn events_both_ways() {
    let server = Fixture::start(&[]).await;
    for transport in [Polling, WebSocket] {
        let mut c = connected_over(&server, transport).await;
        let args = vec![
            json!("héllo ✓"),
            json!(42),
            json!({"deep": {"list": [true, null, 1.5]}}),
            json!([]),
        ];
        c.handle
            .emit_raw("/", "echo", args.clone(), vec![])
            .unwrap();
        let (got, attachments, ack_id) = c.server_event("/", "echo").await;
        assert_eq!(
            (got, attachments, ack_id),
            (args, vec![], None),
            "{transport:?}"
        );
        // Typed emit through the serde API.
        c.handle.emit("echo", &json!({"typed": true})).unwrap();
        assert_eq!(
            c.server_event("/", "echo").await.0,
            [json!({"typed": true})]
        );
    }
}

#[tokio::test]
async fn acks_both_ways() {
    let server = Fixture::start(&[]).await;
    for transport in [Polling, WebSocket] {
        let mut c = connected_over(&server, transport).await;
        // Ours: the server acks with what it got.
        assert_eq!(
            c.call("/", "echo-ack", vec![json!(1), json!("two")]).await,
            [json!(1), json!("two")]
        );
        let typed: Value = c
            .handle
            .emit_with_ack("echo-ack", &json!({"k": "v"}), 5000)
            .await
            .unwrap();
        assert_eq!(typed, json!({"k": "v"}));
        // An event the server never acks times out.
        let lost = c
            .handle
            .emit_raw_with_ack("/", "echo", vec![json!("no ack")], 300)
            .await;
        assert_eq!(lost, Err(EmitError::Ack(AckError::Timeout)));
        // Theirs: `emitWithAck("question")`, answered through Handle::ack, reported as "answer".
        c.handle
            .emit_raw("/", "ask", vec![json!(21)], vec![])
            .unwrap();
        let (args, _, ack_id) = c.server_event("/", "question").await;
        assert_eq!(args, [json!(21)]);
        let id = ack_id.expect("emitWithAck asks for an ack");
        c.handle.ack("/", id, vec![json!(42)]).unwrap();
        assert_eq!(
            c.server_event("/", "answer").await.0,
            [json!(42)],
            "{transport:?}"
        );
    }
}

#[tokio::test]
async fn binary_both_ways() {
    let server = Fixture::start(&[]).await;
    for transport in [Polling, WebSocket] {
        let mut c = connected_over(&server, transport).await;
        let bytes: Vec<u8> = (0..=255).collect();
        // The server sees Buffers where our placeholders were, nested ones included.
        let described = c
            .call_binary(
                "inspect",
                vec![
                    json!("text"),
                    placeholder(0),
                    json!({"inner": placeholder(1)}),
                ],
                vec![bytes.clone(), vec![9, 8]],
            )
            .await;
        assert_eq!(
            described.args,
            [json!([ "text", {"buffer": bytes}, {"inner": {"buffer": [9, 8]}} ])],
            "{transport:?}"
        );
        // Echoed back as a binary event.
        c.handle
            .emit_raw(
                "/",
                "echo",
                vec![placeholder(0), json!("after")],
                vec![vec![1, 2, 3]],
            )
            .unwrap();
        let (args, attachments, _) = c.server_event("/", "echo").await;
        assert_eq!(
            (args, attachments),
            (vec![placeholder(0), json!("after")], vec![vec![1, 2, 3]])
        );
        // Server-made binary with two attachments, one nested.
        c.handle.emit_raw("/", "bytes", vec![], vec![]).unwrap();
        let (args, attachments, _) = c.server_event("/", "bytes").await;
        assert_eq!(
            args,
            [
                json!({"name": "nested", "data": placeholder(0)}),
                placeholder(1)
            ]
        );
        assert_eq!(attachments, [vec![1, 2, 3], vec![4, 5]]);
        // A binary ack (BINARY_ACK) keeps its bytes.
        let reply = c
            .call_binary("echo-ack", vec![placeholder(0)], vec![vec![7; 1000]])
            .await;
        assert_eq!(
            (reply.args, reply.attachments),
            (vec![placeholder(0)], vec![vec![7; 1000]])
        );
        // And ours to the server's question.
        c.handle.emit_raw("/", "ask", vec![], vec![]).unwrap();
        let (_, _, ack_id) = c.server_event("/", "question").await;
        c.handle
            .ack_binary(
                "/",
                ack_id.unwrap(),
                vec![placeholder(0)],
                vec![vec![0xff, 0]],
            )
            .unwrap();
        let (args, attachments, _) = c.server_event("/", "answer").await;
        assert_eq!(
            (args, attachments),
            (vec![placeholder(0)], vec![vec![0xff, 0]]),
            "{transport:?}"
        );
    }
}
