//! Scripted transcripts for the Socket.IO layer, over a WebSocket-only engine so that every
//! packet is one frame.

use super::*;
use crate::{eio::Frame, engine::TransportId};
use serde_json::json;

const OPEN: &str =
    r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#;

struct Harness {
    c: Client,
    ws: TransportId,
}

fn config() -> ClientConfig {
    ClientConfig {
        engine: EngineConfig {
            transports: vec![TransportKind::WebSocket],
            upgrade: false,
            try_all_transports: false,
        },
        ..ClientConfig::default()
    }
}

/// The next WebSocket the client opens, past the closing of the previous one.
fn next_ws_open(c: &mut Client) -> TransportId {
    loop {
        match c.poll_transmit() {
            Some(Transmit::WsOpen { id, .. }) => return id,
            Some(Transmit::WsClose { .. }) => continue,
            other => panic!("expected WsOpen, got {other:?}"),
        }
    }
}

impl Harness {
    /// A client with `/` joined, engine open, CONNECT sent but not answered.
    fn open(config: ClientConfig) -> Harness {
        let mut c = Client::new(config, 9);
        c.connect_namespace("/", None, 0);
        let mut h = Harness {
            ws: TransportId(0),
            c,
        };
        h.ws = h.expect_ws_open();
        h.c.handle_input(Input::WsOpened { id: h.ws }, 1);
        h.frame(OPEN, 2);
        assert_eq!(h.sent(), ["0"]);
        assert_eq!(
            h.events(),
            [ClientEvent::Transport(TransportKind::WebSocket)]
        );
        h
    }

    fn connected() -> Harness {
        let mut h = Harness::open(config());
        h.frame(r#"40{"sid":"x"}"#, 3);
        assert_eq!(h.events(), [ClientEvent::Connected { nsp: "/".into() }]);
        h
    }

    fn expect_ws_open(&mut self) -> TransportId {
        next_ws_open(&mut self.c)
    }

    fn frame(&mut self, text: &str, now: Millis) {
        self.c.handle_input(
            Input::WsFrame {
                id: self.ws,
                frame: Frame::Text(text.into()),
            },
            now,
        );
    }

    /// Text frames written, without their Engine.IO prefix where it is a message.
    fn sent(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.c.poll_transmit())
            .filter_map(|t| match t {
                Transmit::WsSend {
                    frame: Frame::Text(s),
                    ..
                } => Some(s.strip_prefix('4').map_or(s.clone(), str::to_owned)),
                _ => None,
            })
            .collect()
    }

    fn events(&mut self) -> Vec<ClientEvent> {
        std::iter::from_fn(|| self.c.poll_event()).collect()
    }
}

#[test]
fn emits_buffer_until_connected_then_flush_in_order() {
    let mut h = Harness::open(config());
    h.c.emit("/", "a", vec![json!(1)], EmitOptions::default(), 3);
    h.c.emit("/", "b", vec![json!(2)], EmitOptions::default(), 3);
    assert_eq!(h.sent(), Vec::<String>::new());
    h.frame(r#"40{"sid":"x"}"#, 4);
    assert_eq!(h.sent(), [r#"2["a",1]"#, r#"2["b",2]"#]);
}

#[test]
fn volatile_emits_are_dropped_when_not_connected() {
    let mut h = Harness::open(config());
    let volatile = EmitOptions {
        volatile: true,
        ..EmitOptions::default()
    };
    assert!(!h.c.emit("/", "typing", vec![], volatile, 3));
    h.frame(r#"40{"sid":"x"}"#, 4);
    assert_eq!(h.sent(), Vec::<String>::new());
    assert!(h.c.emit("/", "typing", vec![], volatile, 5));
    assert_eq!(h.sent(), [r#"2["typing"]"#]);
}

#[test]
fn acks_resolve_and_time_out() {
    let mut h = Harness::connected();
    let opts = |token| EmitOptions {
        ack: Some((token, 5000)),
        volatile: false,
    };
    h.c.emit("/", "m", vec![json!("x")], opts(10), 10);
    h.c.emit("/", "m", vec![json!("y")], opts(11), 10);
    assert_eq!(h.sent(), [r#"20["m","x"]"#, r#"21["m","y"]"#]);
    h.frame(r#"430[{"ok":1}]"#, 20);
    assert_eq!(
        h.events(),
        [ClientEvent::Ack {
            token: 10,
            result: Ok(vec![json!({"ok":1})])
        }]
    );
    assert_eq!(h.c.poll_timeout(), Some(5010));
    h.c.handle_timeout(5010);
    assert_eq!(
        h.events(),
        [ClientEvent::Ack {
            token: 11,
            result: Err(AckError::Timeout)
        }]
    );
    // A late ack for a timed-out emit is ignored.
    h.frame(r#"431[]"#, 5020);
    assert_eq!(h.events(), []);
}

#[test]
fn server_events_and_server_acks() {
    let mut h = Harness::connected();
    h.frame(r#"42["chat message",{"id":1,"body":"hi"}]"#, 5);
    h.frame(r#"427["question",1]"#, 6);
    assert_eq!(
        h.events(),
        [
            ClientEvent::Event {
                nsp: "/".into(),
                name: "chat message".into(),
                args: vec![json!({"id":1,"body":"hi"})],
                attachments: vec![],
                ack_id: None
            },
            ClientEvent::Event {
                nsp: "/".into(),
                name: "question".into(),
                args: vec![json!(1)],
                attachments: vec![],
                ack_id: Some(7)
            },
        ]
    );
    h.c.ack("/", 7, vec![json!("answer")], 7);
    assert_eq!(h.sent(), [r#"37["answer"]"#]);
}

#[test]
fn connect_error_stops_the_namespace() {
    let mut h = Harness::open(config());
    // Another namespace keeps the engine wanted: with none active it would close (see below).
    h.c.connect_namespace("/other", None, 3);
    assert_eq!(h.sent(), ["0/other,"]);
    h.frame(r#"44{"message":"Not authorized","data":{"code":42}}"#, 3);
    assert_eq!(
        h.events(),
        [ClientEvent::ConnectError {
            nsp: "/".into(),
            message: "Not authorized".into(),
            data: Some(json!({"code":42}))
        }]
    );
    assert!(!h.c.is_connected("/"));
    // The engine closing afterwards reconnects the engine but sends no CONNECT for "/".
    h.c.handle_input(
        Input::WsClosed {
            id: h.ws,
            error: None,
        },
        4,
    );
    h.events();
    h.c.handle_timeout(10_000);
    let ws = h.expect_ws_open();
    h.ws = ws;
    h.c.handle_input(Input::WsOpened { id: ws }, 10_001);
    h.frame(OPEN, 10_002);
    assert_eq!(h.sent(), ["0/other,"]);
}

#[test]
fn server_disconnect_does_not_reconnect_the_namespace() {
    let mut h = Harness::connected();
    h.frame("41", 5);
    assert_eq!(
        h.events(),
        [ClientEvent::Disconnected {
            nsp: "/".into(),
            reason: DisconnectReason::IoServerDisconnect
        }]
    );
    assert!(!h.c.is_connected("/"));
}

#[test]
fn engine_loss_reconnects_with_backoff_and_reconnects_namespaces() {
    let mut h = Harness::connected();
    let opts = EmitOptions {
        ack: Some((1, 60_000)),
        volatile: false,
    };
    h.c.emit("/", "sent", vec![], opts, 5);
    h.sent();
    h.c.handle_input(
        Input::WsClosed {
            id: h.ws,
            error: None,
        },
        10,
    );
    let events = h.events();
    assert_eq!(
        events[0],
        ClientEvent::Ack {
            token: 1,
            result: Err(AckError::Disconnected)
        }
    );
    assert_eq!(
        events[1],
        ClientEvent::Disconnected {
            nsp: "/".into(),
            reason: DisconnectReason::Engine(CloseReason::TransportClose)
        }
    );
    let ClientEvent::Reconnecting {
        attempt: 1,
        delay_ms,
    } = events[2]
    else {
        panic!("{events:?}")
    };
    assert!((500..=1500).contains(&delay_ms), "{delay_ms}");
    // Emits while away are buffered.
    h.c.emit("/", "offline", vec![json!(1)], EmitOptions::default(), 11);
    assert_eq!(h.c.poll_timeout(), Some(10 + delay_ms));
    h.c.handle_timeout(10 + delay_ms);
    h.ws = h.expect_ws_open();
    h.c.handle_input(Input::WsOpened { id: h.ws }, 2000);
    h.frame(OPEN, 2001);
    assert_eq!(h.sent(), ["0"]);
    h.frame(r#"40{"sid":"y"}"#, 2002);
    assert_eq!(h.sent(), [r#"2["offline",1]"#]);
}

#[test]
fn failed_attempts_back_off_and_give_up_when_limited() {
    let mut c = Client::new(
        ClientConfig {
            reconnection_attempts: Some(2),
            ..config()
        },
        3,
    );
    c.connect_namespace("/", None, 0);
    let mut now = 0;
    let mut delays = Vec::new();
    for _ in 0..3 {
        let id = next_ws_open(&mut c);
        c.handle_input(
            Input::WsClosed {
                id,
                error: Some("refused".into()),
            },
            now,
        );
        let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        for e in events {
            match e {
                ClientEvent::Reconnecting { delay_ms, .. } => {
                    delays.push(delay_ms);
                    now += delay_ms;
                    c.handle_timeout(now);
                }
                ClientEvent::ReconnectFailed => {
                    assert_eq!(delays.len(), 2);
                    assert!(
                        std::iter::from_fn(|| c.poll_transmit())
                            .all(|t| matches!(t, Transmit::WsClose { .. }))
                    );
                    return;
                }
                other => panic!("{other:?}"),
            }
        }
    }
    panic!("never gave up: {delays:?}");
}

#[test]
fn a_hanging_attempt_times_out_and_retries() {
    let mut c = Client::new(config(), 3);
    c.connect_namespace("/", None, 0);
    assert!(matches!(c.poll_transmit(), Some(Transmit::WsOpen { .. })));
    assert_eq!(c.poll_timeout(), Some(20_000));
    c.handle_timeout(20_000);
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        matches!(events[..], [ClientEvent::Reconnecting { attempt: 1, .. }]),
        "{events:?}"
    );
}

#[test]
fn parse_errors_reconnect() {
    let mut h = Harness::connected();
    h.frame(r#"42["connect"]"#, 5);
    let events = h.events();
    assert_eq!(
        events[0],
        ClientEvent::Disconnected {
            nsp: "/".into(),
            reason: DisconnectReason::Engine(CloseReason::ParseError)
        }
    );
    assert!(matches!(events[1], ClientEvent::Reconnecting { .. }));
}

#[test]
fn close_stops_everything() {
    let mut h = Harness::connected();
    h.c.close();
    h.events();
    assert_eq!(h.c.poll_timeout(), None);
    assert!(!h.c.emit(
        "/",
        "x",
        vec![],
        EmitOptions {
            volatile: true,
            ack: None
        },
        5
    ));
}

#[test]
fn binary_events_reassemble() {
    let mut h = Harness::connected();
    h.frame(r#"451-["file",{"_placeholder":true,"num":0}]"#, 5);
    assert_eq!(h.events(), []);
    h.c.handle_input(
        Input::WsFrame {
            id: h.ws,
            frame: Frame::Binary(vec![1, 2, 3]),
        },
        6,
    );
    let events = h.events();
    assert!(
        matches!(&events[..], [ClientEvent::Event { name, attachments, .. }] if name == "file" && attachments == &[vec![1, 2, 3]]),
        "{events:?}"
    );
    let placeholder = json!({"_placeholder": true, "num": 0});
    h.c.emit_binary(
        "/",
        "up",
        vec![placeholder],
        vec![vec![9]],
        EmitOptions::default(),
        7,
    );
    let t: Vec<_> = std::iter::from_fn(|| h.c.poll_transmit()).collect();
    assert_eq!(
        t,
        [
            Transmit::WsSend {
                id: h.ws,
                frame: Frame::Text(r#"451-["up",{"_placeholder":true,"num":0}]"#.into())
            },
            Transmit::WsSend {
                id: h.ws,
                frame: Frame::Binary(vec![9])
            },
        ]
    );
}

#[path = "client_close_tests.rs"]
mod close;

#[path = "client_retry_tests.rs"]
mod retry;
