//! One user floods; do the others notice? Natter with its default per-user rate (5 msg/s,
//! bursts of 10), `others` users each sending at an ordinary pace into the default room, heard
//! by `receivers` connections. Calm and flooded phases of equal length alternate; in a flooded
//! one, one more user sends as fast as its acks come back, nearly all of it refused
//! `rate_limited` at the writer's entrance. The others' p95 latency, flooded over calm, is
//! what issue 10 bounds (within ±20 %). Natter only: the tutorial server has no users to limit.

use std::{fmt::Write as _, time::Duration, time::Instant};

use serde::{Deserialize, Serialize};

use crate::{
    load::{self, Pace, SenderReport},
    results::{delta_cpu_pct, load_avg},
    server::{Servers, Target},
    wire::{self, Conn, Flavour},
};

/// The flooder's probes carry this step, which no receiver counts: its accepted messages
/// still cost every receiver a delivery, but only the others' latency is measured.
const FLOOD_STEP: u32 = u32::MAX;
/// Time for the last deliveries of a phase.
const DRAIN: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct FloodPlan {
    pub others: usize,
    /// Messages per second from each of the others: under the limit, so none is refused.
    pub other_rate: f64,
    pub receivers: usize,
    pub phase_secs: u64,
    /// Calm + flooded pairs.
    pub rounds: usize,
}

impl FloodPlan {
    pub fn full() -> FloodPlan {
        FloodPlan {
            others: 10,
            other_rate: 2.0,
            receivers: 100,
            phase_secs: 10,
            rounds: 2,
        }
    }

    pub fn quick() -> FloodPlan {
        FloodPlan {
            phase_secs: 4,
            rounds: 1,
            ..FloodPlan::full()
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FloodPhase {
    pub flooded: bool,
    /// The others' messages, and their deliveries to the receivers.
    pub sent: u64,
    pub refused: u64,
    pub delivered: u64,
    pub expected: u64,
    pub p50_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    /// The flooder's sends and how many were refused (0 in a calm phase).
    pub flood_sent: u64,
    pub flood_refused: u64,
    pub server_cpu_pct: f64,
    pub load_avg: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FloodRun {
    pub rep: usize,
    pub others: usize,
    pub other_rate: f64,
    pub receivers: usize,
    pub phase_secs: u64,
    pub phases: Vec<FloodPhase>,
}

impl FloodRun {
    /// Median p95 of the flooded phases over that of the calm ones.
    pub fn p95_ratio(&self) -> f64 {
        let p95 = |flooded: bool| {
            let of = self.phases.iter().filter(|p| p.flooded == flooded);
            median(of.map(|p| p.p95_us as f64).collect())
        };
        p95(true) / p95(false).max(1.0)
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

pub async fn run(servers: &Servers, rep: usize, plan: &FloodPlan) -> FloodRun {
    let mut target = Target::of(Flavour::Natter);
    target.label = "natter (rate limited)".into();
    // The default limit, which every other scenario turns off.
    target.env.push(("NATTER_MESSAGE_RATE".into(), "5".into()));
    target
        .env
        .push(("NATTER_MESSAGE_BURST".into(), "10".into()));
    let server = servers.start_target(&target).await.expect("server starts");
    let http = crate::session::http().expect("an HTTP client");
    let mut senders = Vec::with_capacity(plan.others + 1);
    for n in 0..=plan.others {
        let name = format!("flood-{rep}-{n}");
        let token = crate::session::join_as(&http, &server.url(), &name)
            .await
            .expect("a user joins");
        let (conn, _) = wire::connect(Flavour::Natter, server.port, Some(&token))
            .await
            .expect("a sender connects");
        senders.push(conn);
    }
    let flooder = senders.pop().expect("the flooder");
    let token = server.token.as_deref();
    let (conns, _, _, failed) =
        load::connect_many(Flavour::Natter, server.port, plan.receivers, token).await;
    assert_eq!(failed, 0, "every receiver connects");
    let mut audience = crate::scenarios::Audience::new();
    audience.add(conns);
    let mut state = Senders {
        others: senders.into_iter().map(|c| (c, 0)).collect(),
        flooder: Some((flooder, 0)),
    };
    let mut run = FloodRun {
        rep,
        others: plan.others,
        other_rate: plan.other_rate,
        receivers: plan.receivers,
        phase_secs: plan.phase_secs,
        phases: Vec::new(),
    };
    // An unrecorded calm phase first: first-use costs would land in the first tail.
    phase(&server, &audience, &mut state, plan, false, 2).await;
    for _ in 0..plan.rounds {
        for flooded in [false, true] {
            let result = phase(
                &server,
                &audience,
                &mut state,
                plan,
                flooded,
                plan.phase_secs,
            );
            let result = result.await;
            eprintln!(
                "  flood rep {} {}: others sent {} refused {} lost {} p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms; flooder sent {} refused {}; server CPU {:.0}%",
                rep + 1,
                if flooded { "flooded" } else { "calm   " },
                result.sent,
                result.refused,
                result.expected.saturating_sub(result.delivered),
                result.p50_us as f64 / 1e3,
                result.p95_us as f64 / 1e3,
                result.p99_us as f64 / 1e3,
                result.flood_sent,
                result.flood_refused,
                result.server_cpu_pct,
            );
            run.phases.push(result);
        }
    }
    audience.close().await;
    server.stop().await;
    run
}

/// The senders' connections with their next probe seq, moved into each phase's tasks and back.
struct Senders {
    others: Vec<(Conn, u64)>,
    flooder: Option<(Conn, u64)>,
}

async fn phase(
    server: &crate::server::Server,
    audience: &crate::scenarios::Audience,
    senders: &mut Senders,
    plan: &FloodPlan,
    flooded: bool,
    secs: u64,
) -> FloodPhase {
    let step = audience.begin_step();
    let (server0, t0) = (server.stats(), Instant::now());
    let pace = Pace {
        rate: plan.other_rate,
        duration: Duration::from_secs(secs),
        window: 100,
        drain: DRAIN,
    };
    let mut tasks = Vec::new();
    for (index, (mut conn, mut seq)) in senders.others.drain(..).enumerate() {
        let id = index as u32 + 1;
        tasks.push(tokio::spawn(async move {
            let report = load::run_sender(&mut conn, id, step, &mut seq, pace).await;
            (conn, seq, report)
        }));
    }
    let flood = flooded.then(|| {
        let (mut conn, mut seq) = senders.flooder.take().expect("the flooder is back");
        let pace = Pace {
            rate: 0.0,
            window: 50,
            ..pace
        };
        let id = plan.others as u32 + 1;
        tokio::spawn(async move {
            let report = load::run_sender(&mut conn, id, FLOOD_STEP, &mut seq, pace).await;
            (conn, seq, report)
        })
    });
    let mut sent = SenderReport::default();
    for task in tasks {
        let (conn, seq, report) = task.await.expect("a sender task");
        sent.sent += report.sent;
        sent.ack_errors += report.ack_errors;
        senders.others.push((conn, seq));
    }
    let mut flood_report = SenderReport::default();
    if let Some(task) = flood {
        let (conn, seq, report) = task.await.expect("the flooder's task");
        flood_report = report;
        senders.flooder = Some((conn, seq));
    }
    let accepted = sent.sent.saturating_sub(sent.ack_errors);
    let expected = accepted * audience.receivers() as u64;
    audience.drain(expected, DRAIN).await;
    let secs = t0.elapsed().as_secs_f64();
    let (latency, delivered, _) = audience.take();
    FloodPhase {
        flooded,
        sent: sent.sent,
        refused: sent.ack_errors,
        delivered,
        expected,
        p50_us: latency.value_at_quantile(0.5),
        p95_us: latency.value_at_quantile(0.95),
        p99_us: latency.value_at_quantile(0.99),
        flood_sent: flood_report.sent,
        flood_refused: flood_report.ack_errors,
        server_cpu_pct: delta_cpu_pct(server0, server.stats(), secs),
        load_avg: load_avg(),
    }
}

pub fn table(w: &mut String, runs: &[FloodRun]) {
    let Some(first) = runs.first() else {
        return;
    };
    let _ = writeln!(
        w,
        "### 7. One user floods: {} others at {} msg/s each, {} receivers, {} s phases (the default limit, 5/s with bursts of 10)\n",
        first.others, first.other_rate, first.receivers, first.phase_secs
    );
    let _ = writeln!(
        w,
        "| rep | phase | others' msgs (refused) | lost | others' p50 / p95 / p99 ms | flooder sent (refused) | server CPU | load avg |\n|---|---|---|---|---|---|---|---|"
    );
    for run in runs {
        for p in &run.phases {
            let _ = writeln!(
                w,
                "| {} | {} | {} ({}) | {} | {:.1} / {:.1} / {:.1} | {} ({}) | {:.0}% | {:.1} |",
                run.rep + 1,
                if p.flooded { "flooded" } else { "calm" },
                p.sent,
                p.refused,
                p.expected.saturating_sub(p.delivered),
                p.p50_us as f64 / 1e3,
                p.p95_us as f64 / 1e3,
                p.p99_us as f64 / 1e3,
                p.flood_sent,
                p.flood_refused,
                p.server_cpu_pct,
                p.load_avg,
            );
        }
    }
    let ratios: Vec<String> = runs
        .iter()
        .map(|r| format!("{:.2}", r.p95_ratio()))
        .collect();
    let _ = writeln!(
        w,
        "\nOthers' p95, flooded over calm (median of each run's phases): {} (target: within 0.80–1.20).\n",
        ratios.join(", ")
    );
}
