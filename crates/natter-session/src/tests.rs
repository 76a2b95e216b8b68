use super::*;
use natter_contract::DEFAULT_ROOM as ROOM;
use proptest::prelude::*;

fn id(n: u32) -> String {
    format!("0192f0c1-7a3b-7c4d-8e5f-{n:012}")
}

fn stored(seq: u64, client_id: &str, body: &str) -> ChatMessage {
    ChatMessage {
        room: ROOM.into(),
        seq,
        id: seq as i64,
        author: natter_contract::User {
            id: 1,
            name: "ann".into(),
        },
        client_id: client_id.into(),
        body: body.into(),
        sent_at: 0,
        kind: natter_contract::MessageKind::Message,
        target: None,
        revision: None,
        markup: None,
    }
}

fn sent(seq: u64) -> Sent {
    Sent {
        id: seq as i64,
        seq,
        sent_at: 0,
        markup: None,
        unknown_mentions: Vec::new(),
    }
}

fn page(messages: Vec<ChatMessage>, latest_seq: u64, has_more: bool) -> Page {
    Page {
        room: ROOM.into(),
        messages,
        has_more,
        latest_seq,
    }
}

fn sends(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(m) => Some(m.client_id.clone()),
            _ => None,
        })
        .collect()
}

/// The cursors asked for, by SYNC or SYNC ROOMS.
fn syncs(actions: &[Action]) -> Vec<u64> {
    actions
        .iter()
        .flat_map(|a| match a {
            Action::Sync(s) => vec![s.after_seq],
            Action::SyncRooms(s) => s.rooms.iter().map(|c| c.after_seq).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// The seqs the default room shows, in order.
fn seqs(s: &Session) -> Vec<u64> {
    s.timeline(ROOM)
        .unwrap()
        .messages()
        .map(|m| m.seq)
        .collect()
}

fn session() -> Session {
    let mut s = Session::new();
    s.join(ROOM, Some(&page(vec![], 0, false)));
    s
}

#[test]
fn typed_offline_goes_out_on_connect_after_the_sync() {
    let mut s = session();
    let a = s.compose(ROOM, id(1), "hello".into(), 5).unwrap();
    assert_eq!(a, [Action::SaveOutbox]);
    let a = s.connected();
    assert_eq!(syncs(&a), [0]);
    assert_eq!(sends(&a), [id(1)]);
}

#[test]
fn one_in_flight_at_a_time_in_typed_order() {
    let mut s = session();
    s.connected();
    assert_eq!(
        sends(&s.compose(ROOM, id(1), "a".into(), 0).unwrap()),
        [id(1)]
    );
    assert_eq!(
        sends(&s.compose(ROOM, id(2), "b".into(), 0).unwrap()),
        Vec::<String>::new()
    );
    let a = s.on_send(&id(1), Ok(sent(1)));
    assert_eq!(sends(&a), [id(2)]);
    assert!(a.contains(&Action::SaveOutbox));
    let a = s.on_send(&id(2), Ok(sent(2)));
    assert_eq!(sends(&a), Vec::<String>::new());
    let bodies: Vec<_> = s
        .timeline(ROOM)
        .unwrap()
        .messages()
        .map(|m| m.body.clone())
        .collect();
    assert_eq!(bodies, ["a", "b"]);
    assert!(s.outbox().is_empty());
}

#[test]
fn over_the_rate_the_outbox_waits_as_long_as_the_server_says() {
    let mut s = session();
    s.connected();
    s.compose(ROOM, id(1), "a".into(), 0).unwrap();
    s.compose(ROOM, id(2), "b".into(), 0).unwrap();
    let limited = Failure::Rejected(AckError::retry_after(ErrorCode::RateLimited, 750));
    assert_eq!(s.on_send(&id(1), Err(limited)), [Action::ResumeAfter(750)]);
    // Kept, in order, and nothing goes out before the wait is over.
    let queued: Vec<_> = s
        .outbox()
        .into_iter()
        .map(|o| (o.client_id, o.state))
        .collect();
    assert_eq!(
        queued,
        [
            (id(1), OutgoingState::Queued),
            (id(2), OutgoingState::Queued)
        ]
    );
    assert_eq!(sends(&s.retry(&id(2))), Vec::<String>::new(), "paused");
    assert_eq!(sends(&s.resume()), [id(1)]);
}

#[test]
fn lost_sends_go_again_with_the_same_id() {
    let mut s = session();
    s.connected();
    s.compose(ROOM, id(1), "a".into(), 0).unwrap();
    assert_eq!(sends(&s.on_send(&id(1), Err(Failure::Lost))), [id(1)]);
    let not_stored = Failure::Rejected(ErrorCode::NotStored.into());
    // Not stored: kept, and resent only when the caller resumes after the delay.
    assert_eq!(
        s.on_send(&id(1), Err(not_stored)),
        [Action::ResumeAfter(RESEND_DELAY_MS)]
    );
    assert_eq!(s.outbox()[0].state, OutgoingState::Queued);
    assert_eq!(
        sends(&s.compose(ROOM, id(2), "b".into(), 0).unwrap()),
        Vec::<String>::new(),
        "paused"
    );
    assert_eq!(sends(&s.resume()), [id(1)]);
    s.disconnected();
    assert_eq!(s.outbox()[0].state, OutgoingState::Queued);
    assert_eq!(sends(&s.connected()), [id(1)]);
}

#[test]
fn refused_messages_are_marked_failed_and_can_be_retried() {
    let mut s = session();
    s.connected();
    s.compose(ROOM, id(1), "a".into(), 0).unwrap();
    s.compose(ROOM, id(2), "b".into(), 0).unwrap();
    let error: AckError = ErrorCode::MessageTooLong.into();
    let a = s.on_send(&id(1), Err(Failure::Rejected(error.clone())));
    assert_eq!(sends(&a), [id(2)], "a refusal does not block the queue");
    assert_eq!(
        s.pending(ROOM).next().unwrap().state,
        OutgoingState::Failed(error)
    );
    s.on_send(&id(2), Ok(sent(1)));
    assert_eq!(sends(&s.retry(&id(1))), [id(1)]);
    assert_eq!(s.discard(&id(1)), [Action::SaveOutbox]);
    assert!(s.outbox().is_empty());
}

#[test]
fn the_broadcast_of_our_own_message_settles_it() {
    let mut s = session();
    s.connected();
    s.compose(ROOM, id(1), "a".into(), 0).unwrap();
    let a = s.on_message(stored(1, &id(1), "a"));
    assert!(a.contains(&Action::SaveOutbox));
    assert!(s.outbox().is_empty());
    // The ack arriving afterwards changes nothing.
    s.on_send(&id(1), Ok(sent(1)));
    assert_eq!(s.timeline(ROOM).unwrap().messages().count(), 1);
}

#[test]
fn a_gap_triggers_one_sync_and_counts_what_it_brought() {
    let mut s = session();
    s.connected();
    s.on_sync(ROOM, Ok(page(vec![], 0, false)));
    assert_eq!(s.caught_up(), Some(0));
    assert_eq!(
        syncs(&s.on_message(stored(1, "x1", "1"))),
        Vec::<u64>::new()
    );
    assert_eq!(
        s.on_message(stored(3, "x3", "3")),
        [Action::CheckGapsAfter(GAP_WAIT_MS)],
        "a hole waits: it may be a reordering"
    );
    assert_eq!(syncs(&s.check_gaps()), [1], "still open after the wait");
    assert_eq!(
        syncs(&s.on_message(stored(4, "x4", "4"))),
        Vec::<u64>::new(),
        "one sync in flight"
    );
    assert_eq!(s.check_gaps(), [], "nothing else due");
    assert_eq!(s.caught_up(), None, "still catching up");
    let a = s.on_sync(
        ROOM,
        Ok(page(
            vec![stored(2, "x2", "2"), stored(3, "x3", "3")],
            4,
            false,
        )),
    );
    assert_eq!(a, []);
    assert_eq!(seqs(&s), [1, 2, 3, 4]);
    assert_eq!(s.caught_up(), Some(1));
}

#[test]
fn a_reordering_that_heals_within_the_wait_costs_no_sync() {
    let mut s = session();
    s.connected();
    s.on_sync(ROOM, Ok(page(vec![], 0, false)));
    s.on_message(stored(1, "x1", "1"));
    assert_eq!(
        s.on_message(stored(3, "x3", "3")),
        [Action::CheckGapsAfter(GAP_WAIT_MS)]
    );
    assert_eq!(s.on_message(stored(2, "x2", "2")), []);
    assert_eq!(s.check_gaps(), [], "the hole filled: no sync");
    assert_eq!(seqs(&s), [1, 2, 3]);
}

#[test]
fn a_beacon_ahead_of_the_room_syncs_after_the_wait_unless_the_message_comes() {
    let mut s = session();
    s.connected();
    s.on_sync(ROOM, Ok(page(vec![], 0, false)));
    s.on_message(stored(1, "x1", "1"));
    assert_eq!(s.on_beacon(ROOM, 1), [], "up to date");
    assert_eq!(s.on_beacon("elsewhere", 9), [], "a room not followed");
    // The broadcast of 2 comes after all: nothing to fetch.
    assert_eq!(s.on_beacon(ROOM, 2), [Action::CheckGapsAfter(GAP_WAIT_MS)]);
    s.on_message(stored(2, "x2", "2"));
    assert_eq!(s.check_gaps(), []);
    // 3 was stored but never broadcast (its node died): the beacon finds it.
    assert_eq!(s.on_beacon(ROOM, 3), [Action::CheckGapsAfter(GAP_WAIT_MS)]);
    assert_eq!(syncs(&s.check_gaps()), [2]);
    assert_eq!(
        s.on_sync(ROOM, Ok(page(vec![stored(3, "x3", "3")], 3, false))),
        []
    );
    assert_eq!(s.on_beacon(ROOM, 3), []);
}

#[test]
fn paged_sync_continues_until_done() {
    let mut s = session();
    s.connected();
    let a = s.on_sync(
        ROOM,
        Ok(page(
            (1..=3).map(|n| stored(n, &format!("x{n}"), "")).collect(),
            5,
            true,
        )),
    );
    assert_eq!(syncs(&a), [3]);
    let a = s.on_sync(
        ROOM,
        Ok(page(
            (4..=5).map(|n| stored(n, &format!("x{n}"), "")).collect(),
            5,
            false,
        )),
    );
    assert_eq!(a, []);
    assert_eq!(s.timeline(ROOM).unwrap().synced(), 5);
}

#[test]
fn a_reload_restores_the_outbox_and_resends_in_flight_messages() {
    let mut s = session();
    s.connected();
    s.compose(ROOM, id(1), "a".into(), 0).unwrap();
    s.compose(ROOM, id(2), "b".into(), 0).unwrap();
    let saved = serde_json::to_string(&s.outbox()).unwrap();
    assert!(saved.contains(r#""state":"in_flight""#), "{saved}");
    let mut reloaded = session();
    reloaded.restore_outbox(serde_json::from_str(&saved).unwrap());
    assert_eq!(sends(&reloaded.connected()), [id(1)]);
    assert_eq!(reloaded.pending(ROOM).count(), 2);
}

#[test]
fn invalid_messages_never_enter_the_outbox() {
    let mut s = session();
    assert_eq!(
        s.compose(ROOM, id(1), "  ".into(), 0),
        Err(ErrorCode::EmptyMessage)
    );
    assert_eq!(
        s.compose(ROOM, "nope".into(), "x".into(), 0),
        Err(ErrorCode::InvalidId)
    );
    assert_eq!(
        s.compose("elsewhere", id(1), "x".into(), 0),
        Err(ErrorCode::UnknownRoom)
    );
    assert!(s.outbox().is_empty());
}

#[test]
fn older_history_is_asked_once_and_prepended() {
    let mut s = Session::new();
    let recent = page(
        (51..=100)
            .map(|n| stored(n, &format!("x{n}"), ""))
            .collect(),
        100,
        false,
    );
    s.join(ROOM, Some(&recent));
    assert_eq!(s.load_older(ROOM), [], "not connected");
    s.connected();
    let a = s.load_older(ROOM);
    assert!(matches!(&a[..], [Action::History(h)] if h.before_seq == 51));
    assert_eq!(s.load_older(ROOM), [], "already loading");
    s.on_history(
        ROOM,
        Ok(page(
            (1..=50).map(|n| stored(n, &format!("x{n}"), "")).collect(),
            100,
            false,
        )),
    );
    assert_eq!(s.timeline(ROOM).unwrap().messages().count(), 100);
    assert_eq!(s.load_older(ROOM), [], "nothing older");
}

proptest! {
    /// Whatever order, duplication and loss the live messages suffer, following the session's
    /// sync requests ends with exactly the server's sequence.
    #[test]
    fn converges_to_the_server_sequence(
        n in 1u64..60,
        deliveries in proptest::collection::vec((0u64..60, any::<bool>()), 0..120),
        page_size in 1usize..10,
    ) {
        let server: Vec<ChatMessage> = (1..=n).map(|seq| stored(seq, &format!("x{seq}"), "")).collect();
        let answer = |after: u64| {
            let rest: Vec<ChatMessage> = server.iter().filter(|m| m.seq > after).cloned().collect();
            let has_more = rest.len() > page_size;
            page(rest.into_iter().take(page_size).collect(), n, has_more)
        };
        let mut s = session();
        let mut queue: Vec<Action> = s.connected();
        for (pick, answer_syncs_now) in deliveries {
            if let Some(m) = server.get((pick % n) as usize) {
                queue.extend(s.on_message(m.clone()));
            }
            if answer_syncs_now {
                let pending: Vec<Action> = std::mem::take(&mut queue);
                for action in pending {
                    match action {
                        Action::Sync(req) => queue.extend(s.on_sync(ROOM, Ok(answer(req.after_seq)))),
                        Action::CheckGapsAfter(_) => queue.extend(s.check_gaps()),
                        Action::SyncRooms(req) => {
                            let after = req.rooms[0].after_seq;
                            let pages = if n > after { vec![answer(after)] } else { Vec::new() };
                            let synced = Synced { pages, refused: Vec::new() };
                            queue.extend(s.on_sync_rooms(&req, Ok(synced)));
                        }
                        _ => {}
                    }
                }
            }
        }
        // Settle: answer every sync until none is left.
        for _ in 0..1000 {
            let Some(pos) = queue.iter().position(|a| matches!(a, Action::Sync(_) | Action::CheckGapsAfter(_))) else { break };
            match queue.remove(pos) {
                Action::Sync(req) => queue.extend(s.on_sync(ROOM, Ok(answer(req.after_seq)))),
                _ => queue.extend(s.check_gaps()),
            }
        }
        // A reconnect always syncs, which picks up anything no live message hinted at.
        let mut queue = s.connected();
        while let Some(action) = queue.pop() {
            match action {
                Action::Sync(req) => queue.extend(s.on_sync(ROOM, Ok(answer(req.after_seq)))),
                Action::SyncRooms(req) => {
                    let after = req.rooms[0].after_seq;
                    let pages = if n > after { vec![answer(after)] } else { Vec::new() };
                    queue.extend(s.on_sync_rooms(&req, Ok(Synced { pages, refused: Vec::new() })));
                }
                _ => {}
            }
        }
        let got = seqs(&s);
        prop_assert_eq!(got, (1..=n).collect::<Vec<_>>());
    }
}

/// After a reconnect: one SYNC ROOMS for every room; rooms without news are settled by
/// their absence, refused ones are dropped, and a page with more asks for the rest.
#[test]
fn one_sync_for_every_room_after_a_connect() {
    let mut s = Session::new();
    for room in ["a", "b", "c", "gone"] {
        s.join(
            room,
            Some(&Page {
                room: room.into(),
                messages: vec![],
                has_more: false,
                latest_seq: 0,
            }),
        );
    }
    let actions = s.connected();
    let [Action::SyncRooms(request)] = actions.as_slice() else {
        panic!("expected one SYNC ROOMS, got {actions:?}");
    };
    let rooms: Vec<&str> = request.rooms.iter().map(|c| c.room.as_str()).collect();
    assert_eq!(rooms, ["a", "b", "c", "gone"]);
    let mut in_b = stored(1, "b1", "x");
    in_b.room = "b".into();
    let b = Page {
        room: "b".into(),
        messages: vec![in_b],
        has_more: true,
        latest_seq: 5,
    };
    let synced = Synced {
        pages: vec![b],
        refused: vec![natter_contract::Refused {
            room: "gone".into(),
            code: ErrorCode::Forbidden,
        }],
    };
    let next = s.on_sync_rooms(request, Ok(synced));
    // b has more: its own SYNC after seq 1; a and c are up to date; "gone" is forgotten.
    assert_eq!(syncs(&next), [1]);
    assert!(s.timeline("gone").is_none());
    assert_eq!(s.rooms().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(s.timeline("b").unwrap().messages().count(), 1);
}

#[test]
fn a_lost_sync_rooms_is_asked_again_on_the_next_connect() {
    let mut s = session();
    let actions = s.connected();
    let [Action::SyncRooms(request)] = actions.as_slice() else {
        panic!("{actions:?}")
    };
    assert!(s.on_sync_rooms(request, Err(Failure::Lost)).is_empty());
    s.disconnected();
    assert_eq!(syncs(&s.connected()), [0]);
}
