//! Receivers and senders over [`crate::wire`], and one measured step of traffic.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use hdrhistogram::Histogram;
use tokio::task::JoinHandle;

use crate::wire::{self, Conn, Flavour, Incoming, Probe};

/// Longest latency recorded exactly; anything slower is clamped (and still counted).
const MAX_LATENCY_US: u64 = 120_000_000;
/// Handshakes in flight at once while connecting many clients: enough to keep both cores
/// busy, few enough that connect times measure the server rather than a queue of SYNs.
pub const CONNECT_CONCURRENCY: usize = 64;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 2).expect("valid histogram bounds")
}

/// What one receiver saw during the current step.
pub struct StepStats {
    pub latency: Histogram<u64>,
    /// Distinct (sender, seq) of this step.
    pub unique: u64,
    /// Seen again, or out of order for its sender.
    pub duplicates: u64,
}

impl Default for StepStats {
    fn default() -> Self {
        StepStats {
            latency: histogram(),
            unique: 0,
            duplicates: 0,
        }
    }
}

/// State shared by every client of a run with the coordinator.
pub struct Shared {
    /// Probes of other steps are ignored, so stragglers do not count twice.
    pub step: AtomicU32,
    /// Unique deliveries in the current step, over all receivers: the drain watches it.
    pub delivered: AtomicU64,
    pub stop: AtomicBool,
}

impl Shared {
    pub fn new() -> Arc<Shared> {
        Arc::new(Shared {
            step: AtomicU32::new(0),
            delivered: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        })
    }
}

/// One receiver's books, fed by whichever transport delivers to it.
pub struct Books {
    pub stats: Mutex<StepStats>,
    /// Highest seq seen per sender, across steps (seqs never restart).
    last: Mutex<Vec<u64>>,
}

impl Books {
    pub fn new() -> Arc<Books> {
        Arc::new(Books {
            stats: Mutex::new(StepStats::default()),
            last: Mutex::new(Vec::new()),
        })
    }

    pub fn record(&self, probe: Probe, shared: &Shared) {
        let received = wire::now_us();
        if probe.r != shared.step.load(Ordering::Relaxed) {
            return;
        }
        let fresh = {
            let mut last = self.last.lock().unwrap();
            let sender = probe.s as usize;
            if last.len() <= sender {
                last.resize(sender + 1, 0);
            }
            let fresh = probe.q > last[sender];
            if fresh {
                last[sender] = probe.q;
            }
            fresh
        };
        let mut stats = self.stats.lock().unwrap();
        if fresh {
            stats.unique += 1;
            shared.delivered.fetch_add(1, Ordering::Relaxed);
            let latency = received.saturating_sub(probe.t).clamp(1, MAX_LATENCY_US);
            let _ = stats.latency.record(latency);
        } else {
            stats.duplicates += 1;
        }
    }

    pub fn take(&self) -> StepStats {
        std::mem::take(&mut *self.stats.lock().unwrap())
    }
}

/// Connects `n` WebSocket clients with the session `token` (if the server wants one),
/// `CONNECT_CONCURRENCY` at a time. Returns the connections that made it, their connect and
/// ready times in microseconds, and the number that failed.
pub async fn connect_many(
    flavour: Flavour,
    port: u16,
    n: usize,
    token: Option<&str>,
) -> (Vec<Conn>, Histogram<u64>, Histogram<u64>, usize) {
    let attempts = stream::iter(0..n)
        .map(|_| tokio::time::timeout(CONNECT_TIMEOUT, wire::connect(flavour, port, token)))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let (mut conns, mut connected, mut ready, mut failed) =
        (Vec::new(), histogram(), histogram(), 0);
    for attempt in attempts {
        match attempt {
            Ok(Ok((conn, times))) => {
                let _ = connected.record((times.connected.as_micros() as u64).max(1));
                let _ = ready.record((times.ready.as_micros() as u64).max(1));
                conns.push(conn);
            }
            Ok(Err(error)) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("  connect failed: {error}");
                }
            }
            Err(_) => failed += 1,
        }
    }
    (conns, connected, ready, failed)
}

/// A receiver: records every probe until the run stops or the server closes it.
pub fn spawn_receiver(mut conn: Conn, books: Arc<Books>, shared: Arc<Shared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        while !shared.stop.load(Ordering::Relaxed) {
            // A timeout so an idle receiver still notices the stop flag.
            match tokio::time::timeout(Duration::from_millis(500), conn.recv()).await {
                Ok(Incoming::Chat(probe)) => books.record(probe, &shared),
                Ok(Incoming::Closed) => return,
                _ => {}
            }
        }
        let _ = conn.ws.close(None).await;
    })
}

/// How one sender paces itself during a step.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Messages per second from this sender; 0 sends as fast as the window allows.
    pub rate: f64,
    pub duration: Duration,
    /// Most messages whose own echo has not come back yet.
    pub window: u64,
    /// How long to wait for the last echoes once sending has stopped.
    pub drain: Duration,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SenderReport {
    pub sent: u64,
    /// Natter only: acks with an error (not stored, queue full…), i.e. refused messages.
    pub ack_errors: u64,
    pub echoes: u64,
    /// Seconds from the first send to the last.
    pub send_secs: f64,
}

/// Sends probes at `pace` and counts its own echoes: both servers send every message back to
/// its sender (Node's `io.emit`, Natter's room broadcast after SYNC), so in-flight means the
/// same on both.
pub async fn run_sender(
    conn: &mut Conn,
    id: u32,
    step: u32,
    next_seq: &mut u64,
    pace: Pace,
) -> SenderReport {
    let start = Instant::now();
    let end = start + pace.duration;
    let planned = if pace.rate > 0.0 {
        (pace.rate * pace.duration.as_secs_f64()).round() as u64
    } else {
        u64::MAX
    };
    let interval = (pace.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / pace.rate));
    let mut report = SenderReport::default();
    let mut last_send = start;
    loop {
        let now = Instant::now();
        let sending = report.sent < planned && now < end;
        // A refused message (Natter's error ack) will never echo, so it leaves the window too.
        let settled = report.echoes + report.ack_errors;
        if !sending && settled >= report.sent {
            break;
        }
        if !sending && now >= end + pace.drain {
            break;
        }
        let due = interval.map_or(now, |i| start + i.mul_f64(report.sent as f64));
        let can_send = sending && report.sent.saturating_sub(settled) < pace.window;
        if can_send && due <= now {
            *next_seq += 1;
            let probe = Probe {
                s: id,
                q: *next_seq,
                t: wire::now_us(),
                r: step,
            };
            if conn.send_probe(&probe).await.is_err() {
                break;
            }
            report.sent += 1;
            last_send = Instant::now();
            continue;
        }
        let wake = if can_send { due } else { end + pace.drain };
        let wake = wake.min(if sending { end } else { end + pace.drain });
        tokio::select! {
            incoming = conn.recv() => match incoming {
                Incoming::Chat(p) if p.s == id && p.r == step => report.echoes += 1,
                Incoming::Ack(false) => report.ack_errors += 1,
                Incoming::Closed => break,
                _ => {}
            },
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
    report.send_secs = last_send.duration_since(start).as_secs_f64();
    report
}
