//! `natter-bench`: Natter against the Socket.IO tutorial's Node server, side by side.
//!
//! Spawns both servers itself on loopback ports, alternating them, and drives each with its
//! own protocol (see `wire`). Writes one JSON file per run under `bench/results/`, prints the
//! Markdown tables of BENCHMARKS.md, and draws `docs/bench/p99.svg`.

mod cluster;
mod flood;
mod load;
mod page;
mod polling;
mod report;
mod results;
mod scenarios;
mod server;
mod session;
mod soak;
mod storm;
mod wire;

use std::{
    path::PathBuf,
    time::{SystemTime, UNIX_EPOCH},
};

use clap::{Parser, Subcommand, ValueEnum};

use crate::{
    results::{Machine, Run},
    scenarios::Plan,
    server::Servers,
    wire::Flavour,
};

#[derive(Debug, Parser)]
#[command(
    name = "natter-bench",
    about = "Natter vs the Node tutorial chat, side by side"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the tables and redraw the plot from a saved run.
    Report {
        json: PathBuf,
        #[arg(long, default_value = "docs/bench/p99.svg")]
        plot: PathBuf,
    },
    /// Idle clients and connect-and-abandon for --minutes: the RSS slope, and how soon the
    /// connections are back to the idle ones after the load (`soak.rs`).
    Soak(soak::SoakArgs),
    /// Hold idle clients on a server started elsewhere (e.g. under heaptrack), then leave.
    /// With `--protocol natter` the clients share the session of a user joined for them, or
    /// connect without one if the server has no `/api/join` (the bare socketioxide).
    Hold {
        #[arg(long)]
        port: u16,
        #[arg(long, value_enum, default_value = "natter")]
        protocol: Flavour,
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
        clients: u32,
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
        secs: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Idle,
    Fanout,
    Max,
    Polling,
    Page,
    /// Idle memory of server variants (see `server::memory_targets`).
    Memory,
    /// Natter only: clients in many rooms reconnect and sync through a restart (`storm`).
    Storm,
    /// Natter only: one user floods past the message rate while others chat (`flood`).
    Flood,
    /// Natter only: the max-fan-out ramp on one node and on three (`cluster`).
    Cluster,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Shorter steps, fewer clients, one repetition: a few minutes in all.
    #[arg(long)]
    quick: bool,
    /// Repetitions of each scenario per server [default: 3, or 1 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=9))]
    reps: Option<u8>,
    /// Scenarios to run, comma-separated [default: all].
    #[arg(long, value_delimiter = ',')]
    only: Vec<Scenario>,
    #[arg(long, default_value = "target/release/natter")]
    natter_bin: PathBuf,
    /// Natter's LEPTOS_SITE_ROOT (the built /pkg assets).
    #[arg(long, default_value = "target/site")]
    site_root: PathBuf,
    /// Directory of the reference server (index.js, node_modules).
    #[arg(long, default_value = "bench/reference")]
    node_dir: PathBuf,
    #[arg(long, default_value = "bench/page/page.mjs")]
    page_script: PathBuf,
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Where to draw the p99 plot [default: docs/bench/p99.svg for a full run of every
    /// scenario, else beside the JSON, so a partial run cannot replace the README's plot].
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Receivers in the max-fan-out ramp [default: 100]: few receivers show the ceiling of
    /// the server's message path rather than of its fan-out.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5000))]
    max_receivers: Option<u32>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    if let Some(Command::Report { json, plot }) = cli.command {
        let run: Run = serde_json::from_str(&std::fs::read_to_string(json)?)?;
        report::plot(&run, &plot)?;
        print!("{}", report::markdown(&run));
        return Ok(());
    }
    if let Some(Command::Hold {
        port,
        protocol,
        clients,
        secs,
    }) = cli.command
    {
        let token = match protocol {
            Flavour::Natter => session::join(&format!("http://127.0.0.1:{port}"))
                .await
                .inspect_err(|e| eprintln!("no session, connecting without one: {e}"))
                .ok(),
            Flavour::Node => None,
        };
        let (conns, connect, _, failed) =
            load::connect_many(protocol, port, clients as usize, token.as_deref()).await;
        let q = results::Quantiles::of(&connect);
        eprintln!(
            "holding {} clients ({failed} failed, connect p50 {} us) for {secs} s",
            conns.len(),
            q.p50_us
        );
        tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
        return Ok(());
    }
    let args = cli.run;
    if let Some(Command::Soak(soak)) = &cli.command {
        let scratch = std::env::temp_dir().join(format!("natter-soak-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)?;
        let servers = Servers {
            natter_bin: std::fs::canonicalize(&args.natter_bin)?,
            site_root: std::fs::canonicalize(&args.site_root)?,
            node_dir: std::fs::canonicalize(&args.node_dir)?,
            scratch,
        };
        return soak::run(&servers, soak).await;
    }
    let mut plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    if let Some(n) = args.max_receivers {
        plan.max_receivers = n as usize;
    }
    let reps = args
        .reps
        .map_or(if args.quick { 1 } else { 3 }, usize::from);
    let wants = |s: Scenario| args.only.is_empty() || args.only.contains(&s);
    std::fs::create_dir_all(&args.out)?;
    let scratch = std::env::temp_dir().join(format!("natter-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let servers = Servers {
        natter_bin: std::fs::canonicalize(&args.natter_bin)?,
        site_root: std::fs::canonicalize(&args.site_root)?,
        node_dir: std::fs::canonicalize(&args.node_dir)?,
        scratch: scratch.clone(),
    };
    wire::epoch();
    let started_at = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let mut run = Run {
        machine: machine(&servers),
        quick: args.quick,
        reps,
        started_at,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        idle: Vec::new(),
        fanout: Vec::new(),
        max: Vec::new(),
        polling: Vec::new(),
        memory: Vec::new(),
        page: None,
        storm: Vec::new(),
        flood: Vec::new(),
        cluster: Vec::new(),
    };
    // Scenario by scenario, and within each the servers alternate, so a slow drift of the
    // machine (other work, thermal) spreads over both.
    for rep in 0..reps {
        for flavour in [Flavour::Natter, Flavour::Node] {
            if wants(Scenario::Idle) {
                eprintln!("idle memory, {} rep {}", flavour.name(), rep + 1);
                let target = server::Target::of(flavour);
                let idle = scenarios::idle(&servers, &target, rep, &plan.idle_clients, &plan);
                run.idle.push(idle.await);
            }
        }
    }
    for rep in 0..reps {
        for flavour in [Flavour::Natter, Flavour::Node] {
            if wants(Scenario::Fanout) {
                eprintln!("fan-out, {} rep {}", flavour.name(), rep + 1);
                run.fanout
                    .push(scenarios::fanout(&servers, flavour, rep, &plan).await);
            }
        }
    }
    for rep in 0..reps {
        for flavour in [Flavour::Natter, Flavour::Node] {
            if wants(Scenario::Max) {
                eprintln!("max sustained fan-out, {} rep {}", flavour.name(), rep + 1);
                run.max
                    .push(scenarios::max_fanout(&servers, flavour, rep, &plan).await);
            }
        }
    }
    for rep in 0..reps {
        for flavour in [Flavour::Natter, Flavour::Node] {
            if wants(Scenario::Polling) {
                eprintln!("long-polling, {} rep {}", flavour.name(), rep + 1);
                run.polling
                    .push(scenarios::long_polling(&servers, flavour, rep, &plan).await);
            }
        }
    }
    // Natter only: the Node server has no rooms or sync to catch up with.
    for rep in 0..reps {
        if wants(Scenario::Storm) {
            eprintln!("reconnect storm, natter rep {}", rep + 1);
            run.storm.push(storm::run(&servers, rep, &plan.storm).await);
        }
    }
    for rep in 0..reps {
        if wants(Scenario::Flood) {
            eprintln!("one user floods, natter rep {}", rep + 1);
            run.flood.push(flood::run(&servers, rep, &plan.flood).await);
        }
    }
    for rep in 0..reps {
        for nodes in cluster::SIZES {
            if wants(Scenario::Cluster) {
                eprintln!("max fan-out on {nodes} node(s), natter rep {}", rep + 1);
                run.cluster
                    .push(cluster::run(&servers, rep, nodes, &plan).await);
            }
        }
    }
    if wants(Scenario::Memory) {
        let clients = [0, *plan.idle_clients.last().unwrap_or(&1000)];
        for target in server::memory_targets() {
            eprintln!("memory probe: {}", target.label);
            let idle = scenarios::idle(&servers, &target, 0, &clients, &plan);
            run.memory.push(idle.await);
        }
    }
    if wants(Scenario::Page) {
        eprintln!("page weight and browser timings");
        run.page = Some(page::measure(&servers, reps.max(3), &args.page_script).await);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let name = format!(
        "{}-{started_at}.json",
        if args.quick { "quick" } else { "full" }
    );
    let path = args.out.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&run)?)?;
    eprintln!("wrote {}", path.display());
    if !run.max.is_empty() || !run.fanout.is_empty() {
        let plot = args.plot.clone().unwrap_or_else(|| {
            if args.quick || !args.only.is_empty() {
                path.with_extension("svg")
            } else {
                PathBuf::from("docs/bench/p99.svg")
            }
        });
        report::plot(&run, &plot)?;
        eprintln!("drew {}", plot.display());
    }
    print!("{}", report::markdown(&run));
    Ok(())
}

fn machine(servers: &Servers) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let command = |program: &str, arg: &str| {
        std::process::Command::new(program)
            .arg(arg)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    Machine {
        nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model: field(&cpuinfo, "model name"),
        mem_total_kb: field(&meminfo, "MemTotal")
            .trim_end_matches("kB")
            .trim()
            .parse()
            .unwrap_or(0),
        kernel: command("uname", "-r"),
        node: command("node", "--version"),
        natter_bin: servers.natter_bin.display().to_string(),
    }
}
