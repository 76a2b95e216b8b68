//! Polling rules (protocol notes §1.4, §1.8): one GET and one POST in flight, `\x1e` batches
//! within maxPayload, `b<base64>` binary, and a close that drains instead of racing a second
//! POST; also across an upgrade, in the random walk at the end.

use super::*;
use crate::backoff::Rng;

#[test]
fn binary_over_polling_is_base64_both_ways() {
    let (mut e, id) = open_polling(OPEN_NO_UPGRADE);
    drain(&mut e);
    events(&mut e);
    e.send(Packet::Message("hello".into()), 1);
    e.send(Packet::Binary(vec![1, 2, 3, 4]), 1);
    assert!(matches!(&drain(&mut e)[..], [Transmit::PollPost { body, .. }] if body == "4hello"));
    e.handle_input(Input::PostDone { id }, 2);
    assert!(matches!(&drain(&mut e)[..], [Transmit::PollPost { body, .. }] if body == "bAQIDBA=="));
    e.handle_input(
        Input::PollResponse {
            id,
            body: "4a\x1ebAQID\x1e4b".into(),
        },
        3,
    );
    assert_eq!(
        events(&mut e),
        [
            EngineEvent::Message("a".into()),
            EngineEvent::Binary(vec![1, 2, 3]),
            EngineEvent::Message("b".into())
        ]
    );
}

#[test]
fn a_batch_fills_max_payload_exactly_and_counts_base64_size() {
    let (mut e, id) = open_polling(OPEN); // maxPayload 100
    drain(&mut e);
    e.send(Packet::Message("first".into()), 1); // goes alone: nothing else queued yet
    // 70 bytes are 96 base64 characters: "b…" is 97, plus "\x1e4x" makes exactly 100.
    e.send(Packet::Binary(vec![7; 70]), 1);
    e.send(Packet::Message("x".into()), 1);
    e.send(Packet::Message("y".into()), 1);
    drain(&mut e);
    e.handle_input(Input::PostDone { id }, 2);
    let t = drain(&mut e);
    let [Transmit::PollPost { body, .. }] = &t[..] else {
        panic!("{t:?}")
    };
    assert_eq!(body.len(), 100);
    assert!(body.starts_with('b') && body.ends_with("\x1e4x"), "{body}");
    e.handle_input(Input::PostDone { id }, 3);
    assert!(matches!(&drain(&mut e)[..], [Transmit::PollPost { body, .. }] if body == "4y"));
}

#[test]
fn close_drains_the_write_buffer_before_posting_close() {
    let (mut e, id) = open_polling(OPEN_NO_UPGRADE);
    drain(&mut e);
    events(&mut e);
    e.send(Packet::Message("a".into()), 1);
    e.send(Packet::Message("b".into()), 1);
    assert!(matches!(&drain(&mut e)[..], [Transmit::PollPost { body, .. }] if body == "4a"));
    e.close();
    // No second POST next to the one in flight, and no new writes accepted.
    assert_eq!(drain(&mut e), []);
    assert!(!e.is_open() && !e.is_closed());
    e.send(Packet::Message("too late".into()), 2);
    e.handle_input(Input::PostDone { id }, 3);
    assert!(matches!(&drain(&mut e)[..], [Transmit::PollPost { body, .. }] if body == "4b"));
    assert_eq!(events(&mut e), []);
    e.handle_input(Input::PostDone { id }, 4);
    assert!(matches!(&drain(&mut e)[..], [Transmit::PollPost { body, .. }] if body == "1"));
    assert_eq!(
        events(&mut e),
        [EngineEvent::Closed(CloseReason::ForcedClose)]
    );
}

#[test]
fn close_over_websocket_writes_what_is_queued_first() {
    let config = EngineConfig {
        transports: vec![TransportKind::WebSocket],
        ..EngineConfig::default()
    };
    let mut e = Engine::open(config, 1);
    let Transmit::WsOpen { id, .. } = drain(&mut e)[0].clone() else {
        panic!()
    };
    e.send(Packet::Message("before open".into()), 0);
    e.handle_input(Input::WsOpened { id }, 1);
    e.handle_input(
        Input::WsFrame {
            id,
            frame: text(OPEN_NO_UPGRADE),
        },
        2,
    );
    drain(&mut e);
    e.close();
    assert_eq!(drain(&mut e), [Transmit::WsClose { id }]);
    assert!(e.is_closed());
}

/// What a strict server sees: every polling request, checked against the one-GET-one-POST rule,
/// and every message in the order it arrived, whichever transport carried it.
#[derive(Default)]
struct Server {
    get: Option<TransportId>,
    post: Option<TransportId>,
    ws: Option<TransportId>,
    upgraded: bool,
    received: Vec<String>,
    batches: usize,
}

impl Server {
    fn observe(&mut self, t: Transmit, max_payload: usize) {
        match t {
            Transmit::PollGet { id, .. } => {
                assert!(!self.upgraded, "GET after the upgrade");
                assert_eq!(self.get.replace(id), None, "two GETs in flight");
            }
            Transmit::PollPost { id, body, .. } => {
                assert!(!self.upgraded, "POST after the upgrade");
                assert_eq!(self.post.replace(id), None, "two POSTs in flight");
                let packets = payload::decode(&body).expect("the body decodes");
                self.batches += usize::from(packets.len() > 1);
                assert!(
                    packets.len() == 1 || body.len() <= max_payload,
                    "batch of {} > {max_payload}",
                    body.len()
                );
                self.take(packets);
            }
            Transmit::WsOpen { id, .. } => self.ws = Some(id),
            Transmit::WsSend {
                frame: Frame::Text(t),
                ..
            } if t == "2probe" => {}
            Transmit::WsSend {
                frame: Frame::Text(t),
                ..
            } if t == "5" => {
                assert_eq!(
                    (self.get, self.post),
                    (None, None),
                    "upgrade while polling requests run"
                );
                self.upgraded = true;
            }
            Transmit::WsSend { frame, .. } => {
                assert!(self.upgraded, "message over the probe before the upgrade");
                self.take(vec![Packet::from_frame(frame).unwrap()]);
            }
            Transmit::WsClose { .. } => {}
        }
    }

    fn take(&mut self, packets: Vec<Packet>) {
        self.received
            .extend(packets.into_iter().filter_map(|p| match p {
                Packet::Message(m) => Some(m),
                _ => None,
            }));
    }
}

/// Random interleavings of writes, server pings, noops, request completions and the upgrade
/// steps: the rules hold at every point, and every message arrives once, in order.
#[test]
fn random_interleavings_keep_one_get_one_post_and_the_order() {
    let (mut upgraded, mut batched) = (0, 0);
    for seed in 1..=200 {
        let mut rng = Rng::new(seed);
        let (mut e, _) = open_polling(OPEN);
        let mut server = Server::default();
        while let Some(t) = e.poll_transmit() {
            server.observe(t, 100);
        }
        let (mut sent, mut now, mut probe_stage) = (Vec::new(), 0, 0);
        for step in 0..300 {
            now += 10;
            match (rng.next_f64() * 6.0) as u32 {
                0 | 1 => {
                    let m = format!("{step}:{}", "m".repeat((rng.next_f64() * 50.0) as usize));
                    sent.push(m.clone());
                    e.send(Packet::Message(m), now);
                }
                2 => {
                    if let Some(id) = server.get.take() {
                        let body = if server.ws.is_some() && probe_stage == 2 {
                            "6"
                        } else {
                            "2\x1e4from server"
                        };
                        e.handle_input(
                            Input::PollResponse {
                                id,
                                body: body.into(),
                            },
                            now,
                        );
                    }
                }
                3 => {
                    if let Some(id) = server.post.take() {
                        e.handle_input(Input::PostDone { id }, now);
                    }
                }
                _ => {
                    if let (Some(ws), false) = (server.ws, server.upgraded) {
                        match probe_stage {
                            0 => e.handle_input(Input::WsOpened { id: ws }, now),
                            1 => e.handle_input(
                                Input::WsFrame {
                                    id: ws,
                                    frame: text("3probe"),
                                },
                                now,
                            ),
                            _ => {}
                        }
                        probe_stage = (probe_stage + 1).min(2);
                    }
                }
            }
            while let Some(t) = e.poll_transmit() {
                server.observe(t, 100);
            }
            assert!(e.is_open(), "seed {seed} step {step}: {:?}", events(&mut e));
        }
        // Let everything still buffered out.
        for _ in 0..100 {
            if let Some(id) = server.post.take() {
                e.handle_input(Input::PostDone { id }, now);
            }
            if let Some(id) = server.get.take() {
                e.handle_input(
                    Input::PollResponse {
                        id,
                        body: "6".into(),
                    },
                    now,
                );
            }
            while let Some(t) = e.poll_transmit() {
                server.observe(t, 100);
            }
        }
        assert_eq!(server.received, sent, "seed {seed}");
        upgraded += usize::from(server.upgraded);
        batched += usize::from(server.batches > 0);
    }
    // The walk must reach both cases, or it proves little.
    assert!(
        upgraded > 20 && batched > 20,
        "upgraded {upgraded}, batched {batched}"
    );
}
