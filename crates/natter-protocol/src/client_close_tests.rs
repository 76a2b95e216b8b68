//! Transcripts for how the client stops: once no namespace is left (socket.io-client's
//! Manager `_destroy`), and what it still reports while closing.

use super::*;

#[test]
fn with_no_namespace_left_the_engine_closes_for_good() {
    // socket.io-client's Manager `_destroy`: a CONNECT_ERROR or DISCONNECT on the last active
    // namespace closes the engine, and nothing reconnects.
    for last_packet in [r#"44{"message":"Not authorized"}"#, "41"] {
        let mut h = Harness::open(config());
        if last_packet == "41" {
            h.frame(r#"40{"sid":"x"}"#, 3);
        }
        h.frame(last_packet, 4);
        let events = h.events();
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ClientEvent::Reconnecting { .. })),
            "{events:?}"
        );
        let t: Vec<_> = std::iter::from_fn(|| h.c.poll_transmit()).collect();
        assert_eq!(t, [Transmit::WsClose { id: h.ws }]);
        assert!(h.c.is_finished());
        assert_eq!(h.c.poll_timeout(), None);
        // Joining again starts a new engine.
        h.c.connect_namespace("/", None, 5);
        assert!(matches!(h.c.poll_transmit(), Some(Transmit::WsOpen { .. })));
    }
}

#[test]
fn leaving_the_last_namespace_sends_disconnect_then_closes() {
    let mut h = Harness::connected();
    h.c.disconnect_namespace("/", 5);
    let t: Vec<_> = std::iter::from_fn(|| h.c.poll_transmit()).collect();
    assert_eq!(
        t,
        [
            Transmit::WsSend {
                id: h.ws,
                frame: Frame::Text("41".into())
            },
            Transmit::WsClose { id: h.ws }
        ]
    );
    assert_eq!(
        h.events(),
        [ClientEvent::Disconnected {
            nsp: "/".into(),
            reason: DisconnectReason::IoClientDisconnect
        }]
    );
    assert!(h.c.is_finished());
}

#[test]
fn an_upgrade_finishing_as_we_close_is_not_reported() {
    let mut c = Client::new(ClientConfig::default(), 1);
    c.connect_namespace("/", None, 0);
    let Some(Transmit::PollGet { id: poll, .. }) = c.poll_transmit() else {
        panic!()
    };
    let open = r#"0{"sid":"s","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#;
    c.handle_input(
        Input::PollResponse {
            id: poll,
            body: open.into(),
        },
        1,
    );
    let t: Vec<_> = std::iter::from_fn(|| c.poll_transmit()).collect();
    let Some(Transmit::WsOpen { id: ws, .. }) = t.first() else {
        panic!("{t:?}")
    };
    let ws = *ws;
    c.handle_input(Input::PostDone { id: poll }, 2); // the CONNECT
    c.handle_input(Input::WsOpened { id: ws }, 3);
    c.handle_input(
        Input::WsFrame {
            id: ws,
            frame: Frame::Text("3probe".into()),
        },
        4,
    );
    // The long poll ends with the refusal: packets first, then the pause completes the switch.
    c.handle_input(
        Input::PollResponse {
            id: poll,
            body: r#"44{"message":"no"}"#.into(),
        },
        5,
    );
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(
        events,
        [
            ClientEvent::Transport(TransportKind::Polling),
            ClientEvent::ConnectError {
                nsp: "/".into(),
                message: "no".into(),
                data: None
            },
        ]
    );
    assert!(c.is_finished());
}
