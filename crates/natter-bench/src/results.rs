//! What a run records: the JSON written under bench/results/ and read back by `report`.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::{server::ProcStats, wire::Flavour};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub machine: Machine,
    pub quick: bool,
    pub reps: usize,
    /// Unix seconds at the start.
    pub started_at: u64,
    pub command: String,
    pub idle: Vec<IdleRun>,
    pub fanout: Vec<StepsRun>,
    pub max: Vec<StepsRun>,
    pub polling: Vec<StepsRun>,
    /// Idle memory of server variants (`--only memory`), one run each.
    #[serde(default)]
    pub memory: Vec<IdleRun>,
    pub page: Option<crate::page::PageReport>,
    /// The reconnect storm (`--only storm`), Natter only; absent from older runs.
    #[serde(default)]
    pub storm: Vec<StormRun>,
    /// One user floods (`--only flood`), Natter only; absent from older runs.
    #[serde(default)]
    pub flood: Vec<crate::flood::FloodRun>,
    /// The ramp on one node and on three (`--only cluster`), Natter only; absent from older
    /// runs.
    #[serde(default)]
    pub cluster: Vec<crate::cluster::ClusterRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub mem_total_kb: u64,
    pub kernel: String,
    pub node: String,
    pub natter_bin: String,
}

/// Latency or time summary, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Quantiles {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Quantiles {
    pub fn of(h: &Histogram<u64>) -> Quantiles {
        if h.is_empty() {
            return Quantiles::default();
        }
        Quantiles {
            count: h.len(),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdlePoint {
    pub clients: usize,
    pub server: ProcStats,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleRun {
    pub flavour: Flavour,
    /// The server variant: "natter", "node", or one of the memory investigation's.
    #[serde(default)]
    pub label: String,
    pub rep: usize,
    pub points: Vec<IdlePoint>,
    /// (RSS at the most clients − RSS at none) / clients.
    pub kb_per_conn: f64,
    pub connect: Quantiles,
    pub ready: Quantiles,
    pub failed: usize,
}

/// One measured step of traffic.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub receivers: usize,
    pub senders: usize,
    /// Total target rate, messages per second (0: as fast as the window allows).
    pub target_rate: f64,
    pub achieved_rate: f64,
    pub sent: u64,
    pub ack_errors: u64,
    /// receivers × sent.
    pub expected: u64,
    pub delivered: u64,
    /// expected − delivered, refused messages included (see [`Step::silent_lost`]).
    pub lost: u64,
    pub duplicates: u64,
    pub deliveries_per_s: f64,
    pub latency: Quantiles,
    /// Server CPU over the step, % of one core.
    pub server_cpu_pct: f64,
    pub server_rss_kb: u64,
    /// The load generator's own CPU, % of one core: near 100 × cores it is the bottleneck.
    pub bench_cpu_pct: f64,
    pub secs: f64,
    /// The machine's 1-minute load average at the end: other work on a shared machine shows
    /// here.
    #[serde(default)]
    pub load_avg: f64,
}

impl Step {
    /// Deliveries missing of the messages the server accepted: refused messages (an error ack,
    /// which tells the sender to keep and retry them) are counted apart, in `ack_errors`.
    pub fn silent_lost(&self) -> u64 {
        let accepted = self.sent.saturating_sub(self.ack_errors) * self.receivers as u64;
        accepted.saturating_sub(self.delivered)
    }

    /// Sustained: no loss or refusal, p99 under `p99_limit_us`, the target rate reached.
    pub fn sustained(&self, p99_limit_us: u64) -> bool {
        self.lost == 0
            && self.ack_errors == 0
            && self.latency.p99_us < p99_limit_us
            && self.achieved_rate >= 0.95 * self.target_rate
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepsRun {
    pub flavour: Flavour,
    pub rep: usize,
    pub connect: Quantiles,
    pub ready: Quantiles,
    pub failed: usize,
    pub steps: Vec<Step>,
    /// Max-fan-out scenario: highest sustained rate (messages/s), 0 if none.
    pub max_rate: f64,
}

/// The reconnect storm ([`crate::storm`]): clients in many rooms through a server restart.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StormRun {
    pub rep: usize,
    /// Clients set up (and so through the restart).
    pub clients: usize,
    pub rooms_per_client: usize,
    /// Cursors in all the SYNC ROOMS (clients × rooms), and those behind: rooms with news.
    pub cursors: u64,
    pub cursors_behind: u64,
    pub posts_per_busy_room: usize,
    pub setup_secs: f64,
    pub setup_failed: usize,
    /// SIGTERM → the old process gone, and → the new one listening, ms.
    pub stop_ms: u64,
    pub down_ms: u64,
    /// The restarted server listening → each client's SYNC ROOMS ack, retries included.
    pub sync: Quantiles,
    /// Clients not synced within `deadline_secs` of the restart.
    pub failed: usize,
    pub deadline_secs: u64,
    /// Connection attempts beyond each client's first.
    pub retries: u64,
    /// What the acks held, over all clients.
    pub pages: u64,
    pub messages: u64,
    pub refused: u64,
    /// Synced clients whose ack was not a complete page for exactly their rooms with news.
    pub wrong: usize,
    /// The new process's CPU until it listened (start-up), and from then to the last sync.
    pub startup_cpu_ms: u64,
    pub server_cpu_ms: u64,
    /// With every synced client still connected.
    pub server_rss_kb: u64,
    pub bench_cpu_ms: u64,
    /// Listening → the last client synced (or gave up).
    pub secs: f64,
    pub load_avg: f64,
}

pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

pub fn delta_cpu_pct(before: ProcStats, after: ProcStats, secs: f64) -> f64 {
    if secs <= 0.0 {
        return 0.0;
    }
    after.cpu_ms.saturating_sub(before.cpu_ms) as f64 / 10.0 / secs
}

pub fn load_avg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}
