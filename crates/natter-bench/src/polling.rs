//! Long-polling receivers through `natter-client` (the browser's client, natively): only a
//! few hundred of them, so its per-client driver task and reqwest client cost little, and
//! writing a second hand-rolled polling client would only duplicate one that passes the
//! conformance suite against socket.io 4.8.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use hdrhistogram::Histogram;
use natter_client::{Event, Handle, Options, TransportKind, native};
use natter_contract::{DEFAULT_ROOM, PageAck, SyncRequest, event};
use tokio::task::JoinHandle;

use crate::{
    load::{Books, Shared, histogram},
    wire::{Flavour, probe_from_value},
};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts `n` polling-only clients, with the session `token` if the server wants one, and
/// waits (bounded) until they are ready. Returns each client's books and task, with connect
/// and ready times and the number not ready in time.
pub async fn connect_many(
    flavour: Flavour,
    url: &str,
    n: usize,
    token: Option<&str>,
    shared: &Arc<Shared>,
) -> (
    Vec<(Arc<Books>, JoinHandle<()>)>,
    Histogram<u64>,
    Histogram<u64>,
    usize,
) {
    let ready_count = Arc::new(AtomicUsize::new(0));
    let times = Arc::new(std::sync::Mutex::new((histogram(), histogram())));
    let mut clients = Vec::new();
    for _ in 0..n {
        let mut options = Options::new(url);
        options.namespaces = vec![("/".into(), crate::session::connect_auth(token))];
        options.config.engine.transports = vec![TransportKind::Polling];
        options.config.engine.upgrade = false;
        let start = Instant::now();
        let (handle, events) = native::connect(options);
        let books = Books::new();
        let task = tokio::spawn(receive(
            flavour,
            handle,
            events,
            books.clone(),
            shared.clone(),
            Ready {
                start,
                count: ready_count.clone(),
                times: times.clone(),
            },
        ));
        clients.push((books, task));
        // Spread the handshakes like a crowd arriving, not a thundering herd.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let deadline = Instant::now() + READY_TIMEOUT;
    while ready_count.load(Ordering::Relaxed) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failed = n - ready_count.load(Ordering::Relaxed).min(n);
    let (connect, ready) = times.lock().unwrap().clone();
    (clients, connect, ready, failed)
}

struct Ready {
    start: Instant,
    count: Arc<AtomicUsize>,
    times: Arc<std::sync::Mutex<(Histogram<u64>, Histogram<u64>)>>,
}

impl Ready {
    fn connected(&self) {
        let us = (self.start.elapsed().as_micros() as u64).max(1);
        let _ = self.times.lock().unwrap().0.record(us);
    }

    fn ready(&self) {
        let us = (self.start.elapsed().as_micros() as u64).max(1);
        let _ = self.times.lock().unwrap().1.record(us);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

async fn receive(
    flavour: Flavour,
    handle: Handle,
    mut events: futures::channel::mpsc::UnboundedReceiver<Event>,
    books: Arc<Books>,
    shared: Arc<Shared>,
    ready: Ready,
) {
    let mut first = true;
    while !shared.stop.load(Ordering::Relaxed) {
        let event = match tokio::time::timeout(Duration::from_millis(500), events.next()).await {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(_) => continue,
        };
        match event {
            Event::Connected { .. } if first => {
                first = false;
                ready.connected();
                if flavour == Flavour::Node {
                    ready.ready();
                    continue;
                }
                let sync = SyncRequest {
                    room: DEFAULT_ROOM.into(),
                    after_seq: 0,
                    limit: Some(1),
                };
                let acked = handle
                    .emit_with_ack::<_, PageAck>(event::SYNC, &sync, 10_000)
                    .await;
                if matches!(acked, Ok(natter_contract::Ack::Ok(_))) {
                    ready.ready();
                }
            }
            Event::Event { name, args, .. } if name == event::CHAT_MESSAGE => {
                if let Some(probe) = args
                    .into_iter()
                    .next()
                    .and_then(|v| probe_from_value(flavour, v))
                {
                    books.record(probe, &shared);
                }
            }
            _ => {}
        }
    }
    handle.close();
}
