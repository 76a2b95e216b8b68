//! Scripted transcripts: what the engine asks for, given what the server answers.

use super::*;

const OPEN: &str = r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100}"#;
const OPEN_NO_UPGRADE: &str =
    r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#;

fn drain(e: &mut Engine) -> Vec<Transmit> {
    std::iter::from_fn(|| e.poll_transmit()).collect()
}

fn events(e: &mut Engine) -> Vec<EngineEvent> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

fn text(s: &str) -> Frame {
    Frame::Text(s.into())
}

/// Open over polling; returns the engine and the polling transport id.
fn open_polling(open: &str) -> (Engine, TransportId) {
    let mut e = Engine::open(EngineConfig::default(), 1);
    let get = drain(&mut e);
    let [Transmit::PollGet { id, query }] = get.as_slice() else {
        panic!("{get:?}")
    };
    assert!(query.starts_with("EIO=4&transport=polling&t="), "{query}");
    assert!(!query.contains("sid="));
    let id = *id;
    e.handle_input(
        Input::PollResponse {
            id,
            body: open.into(),
        },
        0,
    );
    (e, id)
}

#[test]
fn polling_handshake_then_long_poll_and_probe() {
    let (mut e, id) = open_polling(OPEN);
    assert!(e.is_open());
    assert_eq!(e.transport(), Some(TransportKind::Polling));
    let ev = events(&mut e);
    assert!(
        matches!(&ev[..], [EngineEvent::Open { transport: TransportKind::Polling, handshake }] if handshake.sid == "abc")
    );
    let t = drain(&mut e);
    assert!(
        matches!(&t[0], Transmit::WsOpen { query, .. } if query == "EIO=4&transport=websocket&sid=abc"),
        "{t:?}"
    );
    assert!(
        matches!(&t[1], Transmit::PollGet { id: got, query } if *got == id && query.ends_with("&sid=abc")),
        "{t:?}"
    );
    assert_eq!(t.len(), 2);
}

#[test]
fn answers_ping_at_once_and_keeps_one_get_in_flight() {
    let (mut e, id) = open_polling(OPEN_NO_UPGRADE);
    drain(&mut e);
    e.handle_input(
        Input::PollResponse {
            id,
            body: "2".into(),
        },
        1000,
    );
    let t = drain(&mut e);
    // The pong in a POST, and the next GET.
    assert!(
        matches!(&t[..], [Transmit::PollPost { body, .. }, Transmit::PollGet { .. }] if body == "3"),
        "{t:?}"
    );
    // A second ping while the POST is in flight waits for it: one POST at a time.
    e.handle_input(
        Input::PollResponse {
            id,
            body: "2".into(),
        },
        2000,
    );
    let t = drain(&mut e);
    assert!(matches!(&t[..], [Transmit::PollGet { .. }]), "{t:?}");
    e.handle_input(Input::PostDone { id }, 2001);
    let t = drain(&mut e);
    assert!(
        matches!(&t[..], [Transmit::PollPost { body, .. }] if body == "3"),
        "{t:?}"
    );
}

#[test]
fn batches_writes_within_max_payload() {
    let (mut e, id) = open_polling(OPEN); // maxPayload 100
    drain(&mut e);
    e.send(Packet::Message("a".repeat(40)), 1);
    e.send(Packet::Message("b".repeat(40)), 1);
    e.send(Packet::Message("c".repeat(40)), 1);
    let t = drain(&mut e);
    assert!(
        matches!(&t[..], [Transmit::PollPost { body, .. }] if body == &format!("4{}", "a".repeat(40))),
        "{t:?}"
    );
    e.handle_input(Input::PostDone { id }, 2);
    let t = drain(&mut e);
    let [Transmit::PollPost { body, .. }] = &t[..] else {
        panic!("{t:?}")
    };
    assert_eq!(body, &format!("4{}\x1e4{}", "b".repeat(40), "c".repeat(40)));
}

#[test]
fn ping_timeout_uses_the_wall_clock() {
    let (mut e, _) = open_polling(OPEN_NO_UPGRADE);
    drain(&mut e);
    assert_eq!(e.poll_timeout(), Some(45_000));
    e.handle_timeout(44_999);
    assert!(e.is_open());
    // A timer that fired late (background tab) is caught by the next send.
    e.send(Packet::Message("x".into()), 45_000);
    assert!(e.is_closed());
    assert!(events(&mut e).contains(&EngineEvent::Closed(CloseReason::PingTimeout)));
    assert_eq!(e.take_unsent(), [Packet::Message("x".into())]);
}

#[test]
fn a_ping_pushes_the_deadline() {
    let (mut e, id) = open_polling(OPEN_NO_UPGRADE);
    e.handle_input(
        Input::PollResponse {
            id,
            body: "2".into(),
        },
        30_000,
    );
    assert_eq!(e.poll_timeout(), Some(75_000));
}

#[test]
fn websocket_first_falls_back_to_polling() {
    let config = EngineConfig {
        transports: vec![TransportKind::WebSocket, TransportKind::Polling],
        ..EngineConfig::default()
    };
    let mut e = Engine::open(config, 1);
    let t = drain(&mut e);
    let [Transmit::WsOpen { id, query }] = &t[..] else {
        panic!("{t:?}")
    };
    assert_eq!(query, "EIO=4&transport=websocket");
    e.handle_input(
        Input::WsClosed {
            id: *id,
            error: Some("refused".into()),
        },
        5,
    );
    let t = drain(&mut e);
    assert!(
        matches!(&t[..], [Transmit::WsClose { .. }, Transmit::PollGet { .. }]),
        "{t:?}"
    );
    assert!(!e.is_closed());
}

/// Open with `config`; the server refuses the first GET (400, as without polling).
fn polling_refused(config: EngineConfig) -> Engine {
    let mut e = Engine::open(config, 1);
    let Transmit::PollGet { id, .. } = drain(&mut e)[0].clone() else {
        panic!()
    };
    e.handle_input(
        Input::PollFailed {
            id,
            error: "HTTP 400".into(),
        },
        1,
    );
    e
}

#[test]
fn polling_refused_falls_back_to_websocket() {
    let mut e = polling_refused(EngineConfig::default());
    let t = drain(&mut e);
    let [Transmit::WsOpen { id: ws, .. }] = &t[..] else {
        panic!("{t:?}")
    };
    e.handle_input(Input::WsOpened { id: *ws }, 2);
    e.handle_input(
        Input::WsFrame {
            id: *ws,
            frame: text(OPEN_NO_UPGRADE),
        },
        3,
    );
    assert_eq!(e.transport(), Some(TransportKind::WebSocket));
    e.send(Packet::Message("hi".into()), 4);
    assert_eq!(
        drain(&mut e),
        [Transmit::WsSend {
            id: *ws,
            frame: text("4hi")
        }]
    );
}

#[test]
fn without_try_all_an_open_failure_closes() {
    let config = EngineConfig {
        try_all_transports: false,
        ..EngineConfig::default()
    };
    let mut e = polling_refused(config);
    assert!(e.is_closed());
    assert_eq!(
        events(&mut e),
        [EngineEvent::Closed(CloseReason::TransportError(
            "HTTP 400".into()
        ))]
    );
}

#[test]
fn server_close_and_errors_end_the_session() {
    let (mut e, id) = open_polling(OPEN_NO_UPGRADE);
    events(&mut e);
    e.handle_input(
        Input::PollResponse {
            id,
            body: "1".into(),
        },
        1,
    );
    assert_eq!(
        events(&mut e),
        [EngineEvent::Closed(CloseReason::TransportClose)]
    );

    let (mut e, id) = open_polling(OPEN_NO_UPGRADE);
    events(&mut e);
    e.handle_input(
        Input::PollResponse {
            id,
            body: "9garbage".into(),
        },
        1,
    );
    assert_eq!(
        events(&mut e),
        [EngineEvent::Closed(CloseReason::ParseError)]
    );

    let (mut e, id) = open_polling(OPEN_NO_UPGRADE);
    events(&mut e);
    e.handle_input(
        Input::PostFailed {
            id,
            error: "HTTP 413".into(),
        },
        1,
    );
    assert_eq!(
        events(&mut e),
        [EngineEvent::Closed(CloseReason::TransportError(
            "HTTP 413".into()
        ))]
    );
}

#[test]
fn close_posts_a_close_packet_over_polling() {
    let (mut e, _) = open_polling(OPEN_NO_UPGRADE);
    drain(&mut e);
    e.close();
    assert!(matches!(&drain(&mut e)[..], [Transmit::PollPost { body, .. }] if body == "1"));
    assert!(e.is_closed());
    // Nothing happens after close.
    e.send(Packet::Message("late".into()), 5);
    assert_eq!(drain(&mut e), []);
}

#[test]
fn transport_ids_never_repeat_across_engines() {
    let (e, id) = open_polling(OPEN);
    let next = Engine::open(EngineConfig::default(), e.next_id());
    assert!(next.active.id.0 > id.0);
}

#[path = "engine_polling_tests.rs"]
mod polling;

#[path = "engine_upgrade_tests.rs"]
mod upgrade;
