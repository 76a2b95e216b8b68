//! `--only cluster`: the max-fan-out ramp on one node and on three nodes of one cluster (the
//! machine's Redis, a fresh Postgres database for each run), the receivers spread evenly over
//! the nodes and the sender on the first. Both sizes store in Postgres, so the ratio is what
//! the nodes add, not what changing stores does.
//!
//! On one machine the nodes share its cores with each other, with Redis, Postgres and the
//! load generator: three nodes cannot be three times one here. What carries over to separate
//! machines is the CPU each delivery costs, from which the table estimates the nodes needed
//! for 100,000 users at 1 message/s per room of 50.

use std::{fmt::Write, process::Command};

use serde::{Deserialize, Serialize};

use crate::{
    results::Step,
    scenarios::{self, Bench, P99_LIMIT_US, Plan},
    server::{Servers, Target},
    wire::Flavour,
};

/// Node counts compared.
pub const SIZES: [usize; 2] = [1, 3];

const REDIS_URL: &str = "redis://127.0.0.1:6379";
const POSTGRES: [&str; 2] = [
    "postgres://postgres@127.0.0.1:5432",
    "postgres://root@127.0.0.1:5432",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterRun {
    pub nodes: usize,
    pub rep: usize,
    /// The highest sustained rate (p99 under 100 ms, nothing lost), msg/s.
    pub max_rate: f64,
    pub steps: Vec<Step>,
}

impl ClusterRun {
    /// The fastest sustained step.
    fn best(&self) -> Option<&Step> {
        self.steps
            .iter()
            .filter(|s| s.sustained(P99_LIMIT_US))
            .max_by(|a, b| a.deliveries_per_s.total_cmp(&b.deliveries_per_s))
    }
}

/// A database of its own on the machine's Postgres, dropped afterwards.
struct Database {
    admin: &'static str,
    name: String,
}

impl Database {
    fn create() -> Database {
        let name = format!("natter_bench_{}", std::process::id());
        for admin in POSTGRES {
            // Two commands: CREATE DATABASE cannot share a transaction.
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let create = format!("CREATE DATABASE {name}");
            let made = Command::new("psql")
                .args([&format!("{admin}/test"), "-qc", &drop, "-c", &create])
                .output()
                .is_ok_and(|out| out.status.success());
            if made {
                return Database { admin, name };
            }
        }
        panic!("no Postgres at 127.0.0.1:5432 (tried {POSTGRES:?}): the cluster scenario needs it");
    }

    fn url(&self) -> String {
        format!("{}/{}", self.admin, self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = Command::new("psql")
            .args([&format!("{}/test", self.admin), "-qc", &sql])
            .output();
    }
}

/// The ramp on `nodes` nodes.
pub async fn run(servers: &Servers, rep: usize, nodes: usize, plan: &Plan) -> ClusterRun {
    let db = Database::create();
    let mut target = Target::of(Flavour::Natter);
    target.env = vec![("DATABASE_URL".into(), db.url())];
    if nodes > 1 {
        target.env.push(("REDIS_URL".into(), REDIS_URL.into()));
    }
    let mut started = Vec::new();
    for _ in 0..nodes {
        // One at a time: the first migrates the database.
        started.push(servers.start_target(&target).await.expect("a node starts"));
    }
    let bench = Bench::open_on(started, Flavour::Natter, rep, plan.max_receivers).await;
    let run = scenarios::ramp(bench, plan).await;
    drop(db);
    ClusterRun {
        nodes,
        rep,
        max_rate: run.max_rate,
        steps: run.steps,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Server CPU µs, over every node, per delivery and per message sent.
fn cpu_us_per(step: &Step, count: u64) -> f64 {
    if count == 0 {
        return f64::NAN;
    }
    step.server_cpu_pct / 100.0 * step.secs * 1e6 / count as f64
}

pub fn table(out: &mut String, runs: &[ClusterRun]) {
    if runs.is_empty() {
        return;
    }
    let receivers = runs[0].steps.first().map_or(0, |s| s.receivers);
    let _ = writeln!(
        out,
        "### Several nodes: {receivers} receivers spread over the nodes, 1 sender, Postgres (medians)\n"
    );
    let _ = writeln!(
        out,
        "| nodes | max sustained msg/s | deliveries/s | deliveries/s per node | server CPU % (all nodes) | CPU µs per delivery | p99 ms at max |\n|---|---|---|---|---|---|---|"
    );
    let mut best_rate = [f64::NAN; 2];
    let (mut cpu_3, mut per_message_3) = (f64::NAN, f64::NAN);
    for (i, nodes) in SIZES.into_iter().enumerate() {
        let sized: Vec<&ClusterRun> = runs.iter().filter(|r| r.nodes == nodes).collect();
        let best: Vec<&Step> = sized.iter().filter_map(|r| r.best()).collect();
        if best.is_empty() {
            continue;
        }
        let deliveries = median(best.iter().map(|s| s.deliveries_per_s).collect());
        let cpu = median(best.iter().map(|s| cpu_us_per(s, s.delivered)).collect());
        best_rate[i] = median(sized.iter().map(|r| r.max_rate).collect());
        if nodes == 3 {
            cpu_3 = cpu;
            per_message_3 = median(best.iter().map(|s| cpu_us_per(s, s.sent)).collect());
        }
        let _ = writeln!(
            out,
            "| {nodes} | {:.0} | {deliveries:.0} | {:.0} | {:.0} | {cpu:.1} | {:.1} |",
            best_rate[i],
            deliveries / nodes as f64,
            median(best.iter().map(|s| s.server_cpu_pct).collect()),
            median(best.iter().map(|s| s.latency.p99_us as f64 / 1e3).collect()),
        );
    }
    let _ = writeln!(
        out,
        "\nThree nodes against one: **{:.2}×** the sustained rate, on the same 2 cores.",
        best_rate[1] / best_rate[0]
    );
    // 100,000 users in rooms of 50, 1 message/s per room: 2,000 msg/s, each to 50 members.
    // A message here goes to `receivers` (100): its measured cost, delivery included, bounds
    // that of a message to 50 from above.
    let cores = 2_000.0 * per_message_3 / 1e6;
    let _ = writeln!(
        out,
        "100,000 users at 1 msg/s per room of 50 = 2,000 stored msg/s and 100,000 deliveries/s. \
         Three nodes spent {cpu_3:.1} CPU µs per delivery, {per_message_3:.0} µs per message to \
         {receivers}: at most {cores:.2} cores of Natter for the messages, so the nodes are sized \
         by connections, not messages (see BENCHMARKS.md), plus Postgres and Redis.\n"
    );
}
