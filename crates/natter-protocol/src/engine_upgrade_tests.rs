//! The upgrade (protocol notes §1.6): probe, pause until the in-flight GET (ended by the
//! server's noop) and POST are done, switch; any probe failure leaves the session on polling.

use super::*;

/// The switch: the upgrade packet, then what waited during the pause, over WebSocket `ws`.
#[track_caller]
fn assert_switched(e: &mut Engine, ws: TransportId, waited: &str) {
    let switch = [
        Transmit::WsSend {
            id: ws,
            frame: text("5"),
        },
        Transmit::WsSend {
            id: ws,
            frame: text(waited),
        },
    ];
    assert_eq!(drain(e), switch);
}

#[test]
fn upgrade_probe_pause_and_switch() {
    let (mut e, poll) = open_polling(OPEN);
    let t = drain(&mut e);
    let Transmit::WsOpen { id: ws, .. } = t[0] else {
        panic!()
    };
    e.handle_input(Input::WsOpened { id: ws }, 10);
    assert_eq!(
        drain(&mut e),
        [Transmit::WsSend {
            id: ws,
            frame: text("2probe")
        }]
    );
    e.send(Packet::Message("queued during probe".into()), 11);
    let t = drain(&mut e);
    assert!(
        matches!(&t[..], [Transmit::PollPost { .. }]),
        "still on polling while probing: {t:?}"
    );
    e.handle_input(
        Input::WsFrame {
            id: ws,
            frame: text("3probe"),
        },
        12,
    );
    // Pausing: a GET and a POST are in flight; nothing more goes out over polling.
    e.send(Packet::Message("after 3probe".into()), 13);
    assert_eq!(drain(&mut e), []);
    e.handle_input(Input::PostDone { id: poll }, 14);
    assert_eq!(drain(&mut e), []);
    // The server answers the pending GET with a noop; then the switch happens.
    e.handle_input(
        Input::PollResponse {
            id: poll,
            body: "6".into(),
        },
        15,
    );
    assert_switched(&mut e, ws, "4after 3probe");
    assert_eq!(e.transport(), Some(TransportKind::WebSocket));
    assert!(events(&mut e).contains(&EngineEvent::Upgraded(TransportKind::WebSocket)));
    e.handle_input(
        Input::WsFrame {
            id: ws,
            frame: text("4hello"),
        },
        16,
    );
    assert!(events(&mut e).contains(&EngineEvent::Message("hello".into())));
    // A late polling completion after the switch is ignored.
    e.handle_input(
        Input::PollFailed {
            id: poll,
            error: "late".into(),
        },
        17,
    );
    assert!(e.is_open());
}

#[test]
fn failed_probe_stays_on_polling() {
    let (mut e, _) = open_polling(OPEN);
    let t = drain(&mut e);
    let Transmit::WsOpen { id: ws, .. } = t[0] else {
        panic!()
    };
    events(&mut e);
    e.handle_input(
        Input::WsClosed {
            id: ws,
            error: Some("blocked".into()),
        },
        10,
    );
    assert!(e.is_open());
    assert_eq!(e.transport(), Some(TransportKind::Polling));
    assert_eq!(
        events(&mut e),
        [EngineEvent::UpgradeFailed("blocked".into())]
    );
    assert_eq!(drain(&mut e), [Transmit::WsClose { id: ws }]);
    e.send(Packet::Message("still works".into()), 11);
    assert!(
        matches!(&drain(&mut e)[..], [Transmit::PollPost { body, .. }] if body == "4still works")
    );
}

/// Open over polling, then the probe's WebSocket opens and answers `3probe`: the engine pauses
/// polling. The engine, the polling and the WebSocket transport ids.
fn probe_answered() -> (Engine, TransportId, TransportId) {
    let (mut e, poll) = open_polling(OPEN);
    let Transmit::WsOpen { id: ws, .. } = drain(&mut e)[0] else {
        panic!()
    };
    e.handle_input(Input::WsOpened { id: ws }, 10);
    e.handle_input(
        Input::WsFrame {
            id: ws,
            frame: text("3probe"),
        },
        11,
    );
    (e, poll, ws)
}

#[test]
fn failed_probe_while_pausing_resumes_polling() {
    let (mut e, poll, _) = probe_answered();
    e.handle_input(
        Input::PollResponse {
            id: poll,
            body: "4x".into(),
        },
        12,
    );
    drain(&mut e);
    // Still pausing? No: the GET finished and no POST was in flight, so it switched.
    assert_eq!(e.transport(), Some(TransportKind::WebSocket));
    let (mut e, poll, ws) = probe_answered();
    drain(&mut e);
    e.handle_input(
        Input::WsClosed {
            id: ws,
            error: None,
        },
        12,
    );
    assert_eq!(drain(&mut e), [Transmit::WsClose { id: ws }]);
    e.handle_input(
        Input::PollResponse {
            id: poll,
            body: "6".into(),
        },
        13,
    );
    let t = drain(&mut e);
    assert!(
        matches!(&t[..], [Transmit::PollGet { .. }]),
        "polling resumed: {t:?}"
    );
}

#[test]
fn noop_answers_the_get_while_a_post_still_drains() {
    let (mut e, poll) = open_polling(OPEN);
    let Transmit::WsOpen { id: ws, .. } = drain(&mut e)[0] else {
        panic!()
    };
    e.send(Packet::Message("in flight".into()), 5);
    assert!(matches!(&drain(&mut e)[..], [Transmit::PollPost { .. }]));
    e.handle_input(Input::WsOpened { id: ws }, 10);
    drain(&mut e);
    e.handle_input(
        Input::WsFrame {
            id: ws,
            frame: text("3probe"),
        },
        11,
    );
    e.send(Packet::Message("during the pause".into()), 12);
    // The server flushes the pending GET with a noop: no new GET, and no switch while the POST runs.
    e.handle_input(
        Input::PollResponse {
            id: poll,
            body: "6".into(),
        },
        13,
    );
    assert_eq!(drain(&mut e), []);
    assert_eq!(e.transport(), Some(TransportKind::Polling));
    e.handle_input(Input::PostDone { id: poll }, 14);
    assert_switched(&mut e, ws, "4during the pause");
}
