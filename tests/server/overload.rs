//! A reader far slower than the room: whatever the server could not push to it, SYNC returns.

use std::{collections::BTreeMap, time::Duration};

use natter::server::Config;
use natter_contract::MAX_PAGE;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

/// Messages per round trip of the sender: well under the server's queue of waiting messages.
const CHUNK: usize = 100;

/// Sends `count` messages to the default room as fast as acks come back; returns the bodies.
async fn flood(sender: &mut WsClient, count: usize) -> Vec<String> {
    let bodies: Vec<String> = (1..=count).map(|n| format!("flood {n}")).collect();
    for (chunk_index, chunk) in bodies.chunks(CHUNK).enumerate() {
        let first_ack = chunk_index * CHUNK + 1;
        let frames = chunk.iter().enumerate().map(|(i, body)| {
            Message::text(format!(
                r#"42{}["chat message",{}]"#,
                first_ack + i,
                message(body)
            ))
        });
        sender.send_raw(frames.collect());
        for ack_id in first_ack..first_ack + chunk.len() {
            let frame = sender.recv().await;
            let ack = parse_ack(&frame, u32::try_from(ack_id).unwrap());
            assert!(
                ack.as_ref().is_some_and(|a| a["ok"]["seq"].is_u64()),
                "{frame}"
            );
        }
    }
    bodies
}

/// Every message the session has buffered, as (seq, body).
async fn drain(session: &PollingSession) -> Vec<(u64, String)> {
    // The first poll makes room; then an ack, queued behind whatever is still buffered, marks
    // the end of it (a poll on an empty buffer would wait for the next ping instead).
    let mut packets = session.get().await;
    let marker = json!({"room": "general", "before_seq": 1}).to_string();
    let (rest, ack) = session.emit(999, "history", &marker).await;
    assert_eq!(page_seqs(&ack), Vec::<u64>::new());
    packets.extend(rest);
    packets
        .iter()
        .filter(|packet| packet.starts_with(r#"42["chat message""#))
        .map(|packet| seq_and_body(&parse_event(packet).1))
        .collect()
}

fn seq_and_body(message: &Value) -> (u64, String) {
    let seq = message["seq"].as_u64().unwrap();
    (seq, message["body"].as_str().unwrap().to_owned())
}

/// A polling client SYNCs, stops polling while `count` messages go to its room, then polls
/// what is left and SYNCs after the last seq it holds (as the client does on any gap).
async fn slow_reader_ends_with_everything(count: usize) -> usize {
    let config = Config {
        // The pause must not trip the heartbeat: this is about the server's buffer, not about
        // reconnecting.
        ping_interval: Duration::from_secs(20),
        ping_timeout: Duration::from_secs(20),
        ..test_config()
    };
    let server = start(config).await;
    let reader = PollingSession::join(&server).await;
    let (_, synced) = reader.emit(1, "sync", &sync_after(0)).await;
    assert_eq!(page_seqs(&synced), Vec::<u64>::new());
    let mut sender = WsClient::join(&server).await;
    let sent = within("the flood", flood(&mut sender, count)).await;

    let live = within("the buffered messages", drain(&reader)).await;
    let live_seqs: Vec<u64> = live.iter().map(|(seq, _)| *seq).collect();
    assert!(
        live_seqs.windows(2).all(|pair| pair[0] < pair[1]),
        "live messages out of order or repeated"
    );
    let mut timeline: BTreeMap<u64, String> = live.iter().cloned().collect();

    // Catch up from the last contiguous seq, page by page.
    let mut after = (1..)
        .take_while(|seq| timeline.contains_key(seq))
        .last()
        .unwrap_or(0);
    let mut ack_id = 2;
    loop {
        let request = json!({"room": "general", "after_seq": after, "limit": MAX_PAGE});
        let (_, page) = reader.emit(ack_id, "sync", &request.to_string()).await;
        let messages = page["ok"]["messages"].as_array().unwrap().clone();
        let seqs = page_seqs(&page);
        let expected: Vec<u64> = (after + 1..after + 1 + seqs.len() as u64).collect();
        assert_eq!(seqs, expected, "a SYNC page with holes");
        for (seq, body) in messages.iter().map(seq_and_body) {
            // A message seen live and synced again must be the same message.
            let previous = timeline.insert(seq, body.clone());
            assert!(previous.is_none_or(|previous| previous == body));
        }
        after = seqs.last().copied().unwrap_or(after);
        ack_id += 1;
        if page["ok"]["has_more"] == false {
            break;
        }
    }

    let all: Vec<u64> = timeline.keys().copied().collect();
    assert_eq!(all, (1..=count as u64).collect::<Vec<_>>());
    assert_eq!(timeline.into_values().collect::<Vec<_>>(), sent);
    live.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_polling_reader_gets_every_message() {
    // Beyond socketioxide's default buffer of 128 packets, within Natter's.
    let live = slow_reader_ends_with_everything(600).await;
    assert_eq!(
        live, 600,
        "all 600 fit in the server's buffer and arrived live"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_overflows_its_buffer_catches_up_by_sync() {
    // More than the server buffers for one client: some cannot be pushed, SYNC has them.
    let live = slow_reader_ends_with_everything(1500).await;
    assert!(
        live < 1500,
        "expected the buffer to overflow, got all {live} live"
    );
}
