//! Transcripts for the retry queue (`retries` + `ackTimeout`), after socket.io-client's
//! `test/retry.ts`.

use super::*;

/// The engine's ping deadline after the harness opened at t=2: pingInterval + pingTimeout.
const HEARTBEAT: Millis = 2 + 45_000;

fn retrying(retries: u32, ack_timeout_ms: Option<u64>) -> Harness {
    let mut h = Harness::open(ClientConfig {
        retries,
        ack_timeout_ms,
        ..config()
    });
    h.frame(r#"40{"sid":"x"}"#, 3);
    assert_eq!(h.events(), [ClientEvent::Connected { nsp: "/".into() }]);
    h
}

fn with_ack(token: AckToken, timeout_ms: u64) -> EmitOptions {
    EmitOptions {
        ack: Some((token, timeout_ms)),
        volatile: false,
    }
}

/// Drop the engine and bring it back with `/` connected again; returns the time after.
fn reconnect(h: &mut Harness, now: Millis) -> Millis {
    h.c.handle_input(
        Input::WsClosed {
            id: h.ws,
            error: None,
        },
        now,
    );
    let delay = h
        .events()
        .iter()
        .find_map(|e| match e {
            ClientEvent::Reconnecting { delay_ms, .. } => Some(*delay_ms),
            _ => None,
        })
        .expect("a reconnect is scheduled");
    let now = now + delay;
    h.c.handle_timeout(now);
    h.ws = h.expect_ws_open();
    h.c.handle_input(Input::WsOpened { id: h.ws }, now);
    h.frame(OPEN, now);
    assert_eq!(h.sent(), ["0"]);
    h.frame(r#"40{"sid":"y"}"#, now);
    now
}

#[test]
fn one_emit_in_flight_at_a_time_in_order() {
    let mut h = retrying(2, Some(1000));
    h.c.emit("/", "a", vec![json!(1)], EmitOptions::default(), 10);
    h.c.emit("/", "b", vec![json!(2)], EmitOptions::default(), 10);
    // Every queued emit asks for an ack; only the head goes out.
    assert_eq!(h.sent(), [r#"20["a",1]"#]);
    assert_eq!(h.c.queued("/"), 2);
    h.frame("430[]", 20);
    assert_eq!(h.sent(), [r#"21["b",2]"#]);
    h.frame("431[]", 30);
    assert_eq!(h.sent(), Vec::<String>::new());
    assert_eq!(h.c.queued("/"), 0);
    // Implicit acks report nothing to the caller.
    assert!(
        !h.events()
            .iter()
            .any(|e| matches!(e, ClientEvent::Ack { .. }))
    );
}

#[test]
fn a_timed_out_try_is_resent_and_a_late_ack_is_ignored() {
    let mut h = retrying(2, Some(1000));
    h.c.emit("/", "m", vec![json!("x")], with_ack(7, 500), 10);
    assert_eq!(h.sent(), [r#"20["m","x"]"#]);
    // The emit's own timeout applies per try, over the configured ackTimeout.
    assert_eq!(h.c.poll_timeout(), Some(510));
    h.c.handle_timeout(510);
    assert_eq!(h.events(), []);
    assert_eq!(h.sent(), [r#"21["m","x"]"#]);
    // The first try's ack arriving now is stale: no result, no resend.
    h.frame(r#"430["late"]"#, 520);
    assert_eq!((h.events(), h.sent()), (vec![], vec![]));
    h.frame(r#"431["ok"]"#, 530);
    assert_eq!(
        h.events(),
        [ClientEvent::Ack {
            token: 7,
            result: Ok(vec![json!("ok")])
        }]
    );
    assert_eq!(h.c.poll_timeout(), Some(HEARTBEAT), "no ack timer left");
}

#[test]
fn dropped_with_the_error_after_retries_then_the_next_goes() {
    let mut h = retrying(1, Some(100));
    h.c.emit("/", "lost", vec![], with_ack(1, 100), 0);
    h.c.emit("/", "next", vec![], EmitOptions::default(), 0);
    assert_eq!(h.sent(), [r#"20["lost"]"#]);
    h.c.handle_timeout(100);
    assert_eq!(h.sent(), [r#"21["lost"]"#]);
    // tryCount 2 > retries 1: dropped.
    h.c.handle_timeout(200);
    assert_eq!(
        h.events(),
        [ClientEvent::Ack {
            token: 1,
            result: Err(AckError::Timeout)
        }]
    );
    assert_eq!(h.sent(), [r#"22["next"]"#]);
}

#[test]
fn without_ack_timeout_a_reconnect_resends() {
    let mut h = retrying(1, None);
    h.c.emit_reliable("/", "m", vec![], vec![], Some(4), None, 10);
    assert_eq!(h.sent(), [r#"20["m"]"#]);
    assert_eq!(
        h.c.poll_timeout(),
        Some(HEARTBEAT),
        "no ack timer without ackTimeout"
    );
    let now = reconnect(&mut h, 20);
    // Not a failed try (no timer ran): no error, and the head is sent again with a new id.
    assert!(
        !h.events()
            .iter()
            .any(|e| matches!(e, ClientEvent::Ack { .. }))
    );
    assert_eq!(h.sent(), [r#"21["m"]"#]);
    h.frame(r#"430["stale"]"#, now + 1);
    assert_eq!(h.events(), []);
    h.frame(r#"431["ok"]"#, now + 2);
    assert_eq!(
        h.events(),
        [ClientEvent::Ack {
            token: 4,
            result: Ok(vec![json!("ok")])
        }]
    );
}

#[test]
fn with_ack_timeout_a_disconnect_counts_as_a_try() {
    let mut h = retrying(1, Some(5000));
    assert!(h.c.emit_reliable("/", "m", vec![], vec![], None, None, 10));
    assert_eq!(h.sent(), [r#"20["m"]"#]);
    let now = reconnect(&mut h, 20);
    assert_eq!(h.sent(), [r#"21["m"]"#]);
    // Second try lost as well: tryCount 2 > retries 1, dropped (silently: no caller token).
    reconnect(&mut h, now + 1);
    assert_eq!(h.sent(), Vec::<String>::new());
    assert_eq!(h.c.queued("/"), 0);
}

#[test]
fn the_caller_learns_about_a_drop_on_disconnect() {
    let mut h = retrying(0, Some(5000));
    h.c.emit("/", "m", vec![], with_ack(9, 5000), 10);
    h.sent();
    h.c.handle_input(
        Input::WsClosed {
            id: h.ws,
            error: None,
        },
        20,
    );
    let events = h.events();
    assert_eq!(
        events[0],
        ClientEvent::Ack {
            token: 9,
            result: Err(AckError::Disconnected)
        },
        "{events:?}"
    );
}

#[test]
fn queued_while_offline_goes_once_connected() {
    let mut h = Harness::open(ClientConfig {
        retries: 3,
        ack_timeout_ms: Some(1000),
        ..config()
    });
    h.c.emit("/", "early", vec![], EmitOptions::default(), 2);
    assert_eq!(h.sent(), Vec::<String>::new());
    h.frame(r#"40{"sid":"x"}"#, 3);
    assert_eq!(h.sent(), [r#"20["early"]"#]);
}

#[test]
fn volatile_emits_bypass_the_queue() {
    let mut h = retrying(2, Some(1000));
    assert!(h.c.emit(
        "/",
        "typing",
        vec![],
        EmitOptions {
            ack: None,
            volatile: true
        },
        5
    ));
    assert_eq!(h.sent(), [r#"2["typing"]"#]);
    assert_eq!(h.c.queued("/"), 0);
}

#[test]
fn emit_reliable_works_without_configured_retries() {
    let mut h = retrying(0, None);
    assert!(h.c.emit_reliable("/", "m", vec![json!(1)], vec![], Some(3), Some(100), 0));
    assert_eq!(h.sent(), [r#"20["m",1]"#]);
    // retries 0: one try, then the error.
    h.c.handle_timeout(100);
    assert_eq!(
        h.events(),
        [ClientEvent::Ack {
            token: 3,
            result: Err(AckError::Timeout)
        }]
    );
    assert_eq!(h.sent(), Vec::<String>::new());
    assert!(!h.c.emit_reliable("/nowhere", "m", vec![], vec![], None, None, 0));
}

#[test]
fn binary_emits_are_resent_whole_and_binary_acks_surface() {
    let mut h = retrying(1, Some(100));
    let placeholder = sio::placeholder(0);
    h.c.emit_binary(
        "/",
        "up",
        vec![placeholder],
        vec![vec![1, 2]],
        with_ack(5, 100),
        0,
    );
    let frames = |h: &mut Harness| -> Vec<Frame> {
        std::iter::from_fn(|| h.c.poll_transmit())
            .filter_map(|t| match t {
                Transmit::WsSend { frame, .. } => Some(frame),
                _ => None,
            })
            .collect()
    };
    let first = frames(&mut h);
    assert_eq!(
        first[0],
        Frame::Text(r#"451-0["up",{"_placeholder":true,"num":0}]"#.into())
    );
    assert_eq!(first[1], Frame::Binary(vec![1, 2]));
    h.c.handle_timeout(100);
    let second = frames(&mut h);
    assert_eq!(
        second[0],
        Frame::Text(r#"451-1["up",{"_placeholder":true,"num":0}]"#.into())
    );
    assert_eq!(second[1], Frame::Binary(vec![1, 2]));
    h.frame(r#"461-1[{"_placeholder":true,"num":0}]"#, 110);
    h.c.handle_input(
        Input::WsFrame {
            id: h.ws,
            frame: Frame::Binary(vec![3]),
        },
        111,
    );
    assert_eq!(
        h.events(),
        [ClientEvent::BinaryAck {
            token: 5,
            args: vec![sio::placeholder(0)],
            attachments: vec![vec![3]]
        }]
    );
}
