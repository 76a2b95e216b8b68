//! The scenarios of BENCHMARKS.md, each run against a fresh server process.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use tokio::task::JoinHandle;

use crate::{
    flood::FloodPlan,
    load::{self, Books, Pace, Shared},
    polling,
    results::{IdlePoint, IdleRun, Quantiles, Step, StepsRun, delta_cpu_pct},
    server::{Server, Servers, Target, own_stats},
    storm::StormPlan,
    wire::{Conn, Flavour},
};

/// Sizes and durations; `quick()` trades precision for a run of a few minutes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub idle_clients: Vec<usize>,
    pub fanout_receivers: usize,
    pub fanout_rates: Vec<f64>,
    pub fanout_secs: u64,
    pub max_receivers: usize,
    pub max_start_rate: f64,
    pub max_steps: usize,
    pub max_secs: u64,
    pub polling_receivers: usize,
    pub polling_rate: f64,
    pub polling_secs: u64,
    /// Time for memory to settle before RSS is read.
    pub settle: Duration,
    pub storm: StormPlan,
    pub flood: FloodPlan,
}

/// The p99 at which a rate no longer counts as sustained.
pub const P99_LIMIT_US: u64 = 100_000;
/// Time for the last deliveries of a step after its sender has stopped.
const DRAIN: Duration = Duration::from_secs(5);

impl Plan {
    pub fn full() -> Plan {
        Plan {
            idle_clients: vec![0, 1000, 5000],
            fanout_receivers: 1000,
            fanout_rates: vec![10.0, 50.0, 200.0],
            fanout_secs: 15,
            max_receivers: 100,
            max_start_rate: 100.0,
            max_steps: 12,
            max_secs: 5,
            polling_receivers: 200,
            polling_rate: 20.0,
            polling_secs: 15,
            settle: Duration::from_secs(3),
            storm: StormPlan::full(),
            flood: FloodPlan::full(),
        }
    }

    pub fn quick() -> Plan {
        Plan {
            idle_clients: vec![0, 250, 1000],
            fanout_receivers: 250,
            fanout_secs: 4,
            max_steps: 9,
            max_secs: 2,
            polling_receivers: 50,
            polling_secs: 4,
            settle: Duration::from_secs(2),
            storm: StormPlan::quick(),
            flood: FloodPlan::quick(),
            ..Plan::full()
        }
    }
}

/// Receivers of one server, all on the same [`Shared`].
pub struct Audience {
    shared: Arc<Shared>,
    books: Vec<Arc<Books>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Audience {
    pub fn new() -> Audience {
        Audience {
            shared: Shared::new(),
            books: Vec::new(),
            tasks: Vec::new(),
        }
    }

    pub fn receivers(&self) -> usize {
        self.books.len()
    }

    /// Starts counting a new step: what the books held is dropped. Returns the step's id.
    pub fn begin_step(&self) -> u32 {
        let step = self.shared.step.fetch_add(1, Ordering::Relaxed) + 1;
        for books in &self.books {
            books.take();
        }
        self.shared.delivered.store(0, Ordering::Relaxed);
        step
    }

    /// Waits (at most `drain`) until `expected` deliveries of the step have arrived.
    pub async fn drain(&self, expected: u64, drain: Duration) {
        let until = Instant::now() + drain;
        while self.shared.delivered.load(Ordering::Relaxed) < expected && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The step's latencies over every receiver, and its unique deliveries and duplicates.
    pub fn take(&self) -> (hdrhistogram::Histogram<u64>, u64, u64) {
        let mut latency = load::histogram();
        let (mut delivered, mut duplicates) = (0, 0);
        for books in &self.books {
            let stats = books.take();
            let _ = latency.add(&stats.latency);
            delivered += stats.unique;
            duplicates += stats.duplicates;
        }
        (latency, delivered, duplicates)
    }

    pub fn add(&mut self, conns: Vec<Conn>) {
        for conn in conns {
            let books = Books::new();
            let task = load::spawn_receiver(conn, books.clone(), self.shared.clone());
            self.books.push(books);
            self.tasks.push(task);
        }
    }

    pub async fn close(self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

pub async fn idle(
    servers: &Servers,
    target: &Target,
    rep: usize,
    clients: &[usize],
    plan: &Plan,
) -> IdleRun {
    let flavour = target.flavour;
    let server = servers.start_target(target).await.expect("server starts");
    tokio::time::sleep(plan.settle).await;
    let mut audience = Audience::new();
    let mut points = Vec::new();
    let (mut connect, mut ready, mut failed) = (load::histogram(), load::histogram(), 0);
    for &wanted in clients {
        let more = wanted.saturating_sub(audience.books.len());
        if more > 0 {
            let token = server.token.as_deref();
            let (conns, c, r, f) = load::connect_many(flavour, server.port, more, token).await;
            let _ = connect.add(&c);
            let _ = ready.add(&r);
            failed += f;
            audience.add(conns);
            tokio::time::sleep(plan.settle).await;
        }
        let stats = server.stats();
        eprintln!(
            "  {} idle {:>5} clients: RSS {} KB",
            target.label,
            audience.books.len(),
            stats.rss_kb
        );
        points.push(IdlePoint {
            clients: audience.books.len(),
            server: stats,
        });
    }
    let kb_per_conn = match (points.first(), points.last()) {
        (Some(a), Some(b)) if b.clients > a.clients => {
            (b.server.rss_kb as f64 - a.server.rss_kb as f64) / (b.clients - a.clients) as f64
        }
        _ => f64::NAN,
    };
    audience.close().await;
    server.stop().await;
    IdleRun {
        flavour,
        label: target.label.clone(),
        rep,
        points,
        kb_per_conn,
        connect: Quantiles::of(&connect),
        ready: Quantiles::of(&ready),
        failed,
    }
}

/// A server (or several nodes of one cluster) with receivers and one sender connected, ready
/// for steps.
pub struct Bench {
    servers: Vec<Server>,
    audience: Audience,
    sender: Conn,
    next_seq: u64,
    run: StepsRun,
}

impl Bench {
    async fn open(servers: &Servers, flavour: Flavour, rep: usize, receivers: usize) -> Bench {
        let server = servers.start(flavour).await.expect("server starts");
        Bench::open_on(vec![server], flavour, rep, receivers).await
    }

    /// On `nodes` (started, sharing their store): the receivers spread evenly over them, the
    /// sender on the first, every client on the first node's session.
    pub async fn open_on(
        nodes: Vec<Server>,
        flavour: Flavour,
        rep: usize,
        receivers: usize,
    ) -> Bench {
        let token = nodes[0].token.clone();
        let mut audience = Audience::new();
        let (mut connect, mut ready, mut failed) = (load::histogram(), load::histogram(), 0);
        for (n, node) in nodes.iter().enumerate() {
            let share = receivers / nodes.len() + usize::from(n < receivers % nodes.len());
            let (conns, c, r, f) =
                load::connect_many(flavour, node.port, share, token.as_deref()).await;
            audience.add(conns);
            let _ = connect.add(&c);
            let _ = ready.add(&r);
            failed += f;
        }
        let (sender, _) = crate::wire::connect(flavour, nodes[0].port, token.as_deref())
            .await
            .expect("sender connects");
        let mut bench = Bench::with(nodes, audience, sender, rep, connect, ready, failed);
        bench.warm_up().await;
        bench
    }

    /// Every node's memory and CPU time, summed.
    fn stats(&self) -> crate::server::ProcStats {
        let mut sum = crate::server::ProcStats::default();
        for server in &self.servers {
            let stats = server.stats();
            sum.rss_kb += stats.rss_kb;
            sum.cpu_ms += stats.cpu_ms;
        }
        sum
    }

    /// A short unrecorded step: first-use costs (V8's JIT, SQLite's first pages and statement
    /// cache, sqlx opening pool connections) would otherwise land in the first step's tail.
    async fn warm_up(&mut self) {
        self.step(50.0, 1).await;
        self.run.steps.pop();
    }

    fn with(
        servers: Vec<Server>,
        audience: Audience,
        sender: Conn,
        rep: usize,
        connect: hdrhistogram::Histogram<u64>,
        ready: hdrhistogram::Histogram<u64>,
        failed: usize,
    ) -> Bench {
        let run = StepsRun {
            flavour: servers[0].flavour,
            rep,
            connect: Quantiles::of(&connect),
            ready: Quantiles::of(&ready),
            failed,
            steps: Vec::new(),
            max_rate: 0.0,
        };
        Bench {
            servers,
            audience,
            sender,
            next_seq: 0,
            run,
        }
    }

    pub async fn step(&mut self, rate: f64, secs: u64) -> Step {
        let step = self.audience.begin_step();
        let receivers = self.audience.receivers();
        let (server0, own0, t0) = (self.stats(), own_stats(), Instant::now());
        let pace = Pace {
            rate,
            duration: Duration::from_secs(secs),
            // Enough for a second of backlog: only a server far behind its rate is throttled.
            window: (rate as u64).max(100),
            drain: DRAIN,
        };
        let sent = load::run_sender(&mut self.sender, 0, step, &mut self.next_seq, pace).await;
        let expected = sent.sent * receivers as u64;
        // Refused messages are never delivered: waiting for them would only add idle time to
        // the step and dilute its CPU figures.
        let accepted = sent.sent.saturating_sub(sent.ack_errors) * receivers as u64;
        self.audience.drain(accepted, DRAIN).await;
        let secs = t0.elapsed().as_secs_f64();
        let (server1, own1) = (self.stats(), own_stats());
        let (latency, delivered, duplicates) = self.audience.take();
        let send_secs = sent.send_secs.max(1e-3);
        let result = Step {
            receivers,
            senders: 1,
            target_rate: rate,
            achieved_rate: if sent.sent > 1 {
                (sent.sent - 1) as f64 / send_secs
            } else {
                sent.sent as f64
            },
            sent: sent.sent,
            ack_errors: sent.ack_errors,
            expected,
            delivered,
            lost: expected.saturating_sub(delivered),
            duplicates,
            deliveries_per_s: delivered as f64 / send_secs.max(pace.duration.as_secs_f64()),
            latency: Quantiles::of(&latency),
            server_cpu_pct: delta_cpu_pct(server0, server1, secs),
            server_rss_kb: server1.rss_kb,
            bench_cpu_pct: delta_cpu_pct(own0, own1, secs),
            secs,
            load_avg: crate::results::load_avg(),
        };
        eprintln!(
            "  {} {:>4} rcv @ {:>6.0}/s: sent {} ({:.0}/s) lost {} refused {} p50 {:.1} ms p99 {:.1} ms max {:.1} ms, server CPU {:.0}%, bench CPU {:.0}%, load {:.1}",
            self.run.flavour.name(),
            receivers,
            rate,
            result.sent,
            result.achieved_rate,
            result.silent_lost(),
            result.ack_errors,
            result.latency.p50_us as f64 / 1e3,
            result.latency.p99_us as f64 / 1e3,
            result.latency.max_us as f64 / 1e3,
            result.server_cpu_pct,
            result.bench_cpu_pct,
            result.load_avg,
        );
        self.run.steps.push(result.clone());
        result
    }

    pub async fn close(self) -> StepsRun {
        self.audience.close().await;
        for server in self.servers {
            server.stop().await;
        }
        self.run
    }
}

pub async fn fanout(servers: &Servers, flavour: Flavour, rep: usize, plan: &Plan) -> StepsRun {
    let mut bench = Bench::open(servers, flavour, rep, plan.fanout_receivers).await;
    for &rate in &plan.fanout_rates {
        bench.step(rate, plan.fanout_secs).await;
    }
    bench.close().await
}

/// Doubles the rate until a step is not sustained, then bisects twice between the last good
/// rate and the first bad one.
pub async fn max_fanout(servers: &Servers, flavour: Flavour, rep: usize, plan: &Plan) -> StepsRun {
    let bench = Bench::open(servers, flavour, rep, plan.max_receivers).await;
    ramp(bench, plan).await
}

/// The max-fan-out ramp on an open bench.
pub async fn ramp(mut bench: Bench, plan: &Plan) -> StepsRun {
    let (mut good, mut bad) = (0.0_f64, None::<f64>);
    let mut rate = plan.max_start_rate;
    for _ in 0..plan.max_steps {
        let step = bench.step(rate, plan.max_secs).await;
        if step.sustained(P99_LIMIT_US) {
            good = good.max(rate);
        } else {
            bad = Some(bad.map_or(rate, |b: f64| b.min(rate)));
        }
        rate = match bad {
            None => rate * 2.0,
            Some(b) if b / good.max(1.0) > 1.2 && good > 0.0 => {
                ((good * b).sqrt() / 10.0).round() * 10.0
            }
            Some(_) => break,
        };
        // A failing server gets a moment to drain its backlog before the next step.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    bench.run.max_rate = good;
    bench.close().await
}

pub async fn long_polling(
    servers: &Servers,
    flavour: Flavour,
    rep: usize,
    plan: &Plan,
) -> StepsRun {
    let server = servers.start(flavour).await.expect("server starts");
    let mut audience = Audience::new();
    let (clients, connect, ready, failed) = polling::connect_many(
        flavour,
        &server.url(),
        plan.polling_receivers,
        server.token.as_deref(),
        &audience.shared,
    )
    .await;
    for (books, task) in clients {
        audience.books.push(books);
        audience.tasks.push(task);
    }
    let (sender, _) = crate::wire::connect(flavour, server.port, server.token.as_deref())
        .await
        .expect("sender connects");
    let mut bench = Bench::with(vec![server], audience, sender, rep, connect, ready, failed);
    bench.warm_up().await;
    bench.step(plan.polling_rate, plan.polling_secs).await;
    bench.close().await
}
