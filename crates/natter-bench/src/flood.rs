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
/// A pause after each phase, so a calm phase does not begin while the server still answers
/// the flood's last refusals.
const SETTLE: Duration = Duration::from_secs(2);

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
            // Two identical calm phases differ by up to 4× in p95 on this 2-core machine
            // (5.9 and 25.5 ms in one run): 200 messages a phase are few, and an idle
            // machine wakes up slowly. So four rounds, and the p95 of all calm deliveries
            // against that of all flooded ones.
            rounds: 4,
        }
    }

    pub fn quick() -> FloodPlan {
        FloodPlan {
            phase_secs: 4,
            rounds: 2,
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
    /// Times the server disconnected the flooder, which came straight back.
    #[serde(default)]
    pub flood_reconnects: u64,
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
    /// The others' p95 over every delivery of the calm phases, and of the flooded ones.
    pub calm_p95_us: u64,
    pub flooded_p95_us: u64,
}

impl FloodRun {
    /// The others' p95 flooded over calm: the figure issue 10 bounds to 0.8–1.2.
    pub fn p95_ratio(&self) -> f64 {
        self.flooded_p95_us as f64 / self.calm_p95_us.max(1) as f64
    }
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
    let mut tokens = Vec::with_capacity(plan.others + 1);
    for n in 0..=plan.others {
        let name = format!("flood-{rep}-{n}");
        let token = crate::session::join_as(&http, &server.url(), &name)
            .await
            .expect("a user joins");
        let (conn, _) = wire::connect(Flavour::Natter, server.port, Some(&token))
            .await
            .expect("a sender connects");
        senders.push(conn);
        tokens.push(token);
    }
    let flooder = senders.pop().expect("the flooder");
    let flooder_token = tokens.pop().expect("the flooder's session");
    let token = server.token.as_deref();
    let (conns, _, _, failed) =
        load::connect_many(Flavour::Natter, server.port, plan.receivers, token).await;
    assert_eq!(failed, 0, "every receiver connects");
    let mut audience = crate::scenarios::Audience::new();
    audience.add(conns);
    let mut state = Senders {
        others: senders.into_iter().map(|c| (c, 0)).collect(),
        flooder: Some((flooder, 0)),
        flooder_token,
        port: server.port,
    };
    let mut run = FloodRun {
        rep,
        others: plan.others,
        other_rate: plan.other_rate,
        receivers: plan.receivers,
        phase_secs: plan.phase_secs,
        phases: Vec::new(),
        calm_p95_us: 0,
        flooded_p95_us: 0,
    };
    let (mut calm, mut flood) = (load::histogram(), load::histogram());
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
            let (result, latency) = result.await;
            let _ = if flooded { &mut flood } else { &mut calm }.add(&latency);
            tokio::time::sleep(SETTLE).await;
            eprintln!(
                "  flood rep {} {}: others sent {} refused {} lost {} p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms; flooder sent {} refused {} reconnected {}; server CPU {:.0}%",
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
                result.flood_reconnects,
                result.server_cpu_pct,
            );
            run.phases.push(result);
        }
    }
    run.calm_p95_us = calm.value_at_quantile(0.95);
    run.flooded_p95_us = flood.value_at_quantile(0.95);
    eprintln!(
        "  flood rep {}: others' p95 calm {:.1} ms, flooded {:.1} ms ({:.2}×)",
        rep + 1,
        run.calm_p95_us as f64 / 1e3,
        run.flooded_p95_us as f64 / 1e3,
        run.p95_ratio()
    );
    audience.close().await;
    server.stop().await;
    run
}

/// The senders' connections with their next probe seq, moved into each phase's tasks and back.
struct Senders {
    others: Vec<(Conn, u64)>,
    flooder: Option<(Conn, u64)>,
    flooder_token: String,
    port: u16,
}

/// The flooder: sends as fast as its window allows and, each time the server disconnects it,
/// connects again at once (no back-off, unlike a real client) and goes on until the phase ends.
async fn flood(
    mut conn: Conn,
    mut seq: u64,
    id: u32,
    pace: Pace,
    port: u16,
    token: String,
) -> (Conn, u64, SenderReport, u64) {
    let end = Instant::now() + pace.duration;
    let (mut total, mut reconnects) = (SenderReport::default(), 0);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let pace = Pace {
            duration: left,
            ..pace
        };
        let report = load::run_sender(&mut conn, id, FLOOD_STEP, &mut seq, pace).await;
        total.sent += report.sent;
        total.ack_errors += report.ack_errors;
        if Instant::now() + Duration::from_millis(50) < end {
            // Ended early: disconnected.
            match wire::connect(Flavour::Natter, port, Some(&token)).await {
                Ok((fresh, _)) => {
                    conn = fresh;
                    reconnects += 1;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
    (conn, seq, total, reconnects)
}

async fn phase(
    server: &crate::server::Server,
    audience: &crate::scenarios::Audience,
    senders: &mut Senders,
    plan: &FloodPlan,
    flooded: bool,
    secs: u64,
) -> (FloodPhase, hdrhistogram::Histogram<u64>) {
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
        let (conn, seq) = senders.flooder.take().expect("the flooder is back");
        let pace = Pace {
            rate: 0.0,
            window: 50,
            drain: Duration::from_millis(200),
            ..pace
        };
        let id = plan.others as u32 + 1;
        let (port, token) = (senders.port, senders.flooder_token.clone());
        tokio::spawn(flood(conn, seq, id, pace, port, token))
    });
    let mut sent = SenderReport::default();
    for task in tasks {
        let (conn, seq, report) = task.await.expect("a sender task");
        sent.sent += report.sent;
        sent.ack_errors += report.ack_errors;
        senders.others.push((conn, seq));
    }
    let (mut flood_report, mut flood_reconnects) = (SenderReport::default(), 0);
    if let Some(task) = flood {
        let (conn, seq, report, reconnects) = task.await.expect("the flooder's task");
        flood_report = report;
        flood_reconnects = reconnects;
        senders.flooder = Some((conn, seq));
    }
    let accepted = sent.sent.saturating_sub(sent.ack_errors);
    let expected = accepted * audience.receivers() as u64;
    audience.drain(expected, DRAIN).await;
    let secs = t0.elapsed().as_secs_f64();
    let (latency, delivered, _) = audience.take();
    let phase = FloodPhase {
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
        flood_reconnects,
        server_cpu_pct: delta_cpu_pct(server0, server.stats(), secs),
        load_avg: load_avg(),
    };
    (phase, latency)
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
        "| rep | phase | others' msgs (refused) | lost | others' p50 / p95 / p99 ms | flooder sent (refused, reconnects) | server CPU | load avg |\n|---|---|---|---|---|---|---|---|"
    );
    for run in runs {
        for p in &run.phases {
            let _ = writeln!(
                w,
                "| {} | {} | {} ({}) | {} | {:.1} / {:.1} / {:.1} | {} ({}, {}) | {:.0}% | {:.1} |",
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
                p.flood_reconnects,
                p.server_cpu_pct,
                p.load_avg,
            );
        }
    }
    let ratios: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{:.1} / {:.1} ms = {:.2}",
                r.flooded_p95_us as f64 / 1e3,
                r.calm_p95_us as f64 / 1e3,
                r.p95_ratio()
            )
        })
        .collect();
    let _ = writeln!(
        w,
        "\nOthers' p95 over every delivery of a run's phases, flooded / calm: {} (target: 0.80–1.20).\n",
        ratios.join("; ")
    );
}
