//! The servers under test, as child processes on loopback ports, and what /proc says of them.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

use crate::wire::Flavour;

/// Where to find both servers.
#[derive(Debug, Clone)]
pub struct Servers {
    pub natter_bin: PathBuf,
    pub site_root: PathBuf,
    pub node_dir: PathBuf,
    /// Parent of each Natter run's fresh data directory.
    pub scratch: PathBuf,
}

/// Which program to start, and how: the two servers as shipped, or a variant for the memory
/// investigation.
#[derive(Debug, Clone)]
pub struct Target {
    pub label: String,
    pub program: Program,
    /// The protocol its clients speak.
    pub flavour: Flavour,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Natter,
    Node,
    /// `natter-bench-bare`: socketioxide alone.
    Bare,
}

impl Target {
    pub fn of(flavour: Flavour) -> Target {
        Target {
            label: flavour.name().into(),
            program: match flavour {
                Flavour::Natter => Program::Natter,
                Flavour::Node => Program::Node,
            },
            flavour,
            env: Vec::new(),
            args: Vec::new(),
        }
    }
}

pub struct Server {
    pub flavour: Flavour,
    pub port: u16,
    /// Natter's session for every client of this run ([`crate::session`]); `None` for servers
    /// without sessions (Node's, the bare socketioxide).
    pub token: Option<String>,
    child: Child,
    data_dir: Option<PathBuf>,
    /// What was started, to start it again ([`Servers::restart`]).
    target: Target,
}

/// A process's resident memory and CPU time so far.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ProcStats {
    pub rss_kb: u64,
    pub cpu_ms: u64,
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Servers {
    /// Starts a fresh server (empty store for Natter) and waits until it serves its page.
    pub async fn start(&self, flavour: Flavour) -> std::io::Result<Server> {
        self.start_target(&Target::of(flavour)).await
    }

    pub async fn start_target(&self, target: &Target) -> std::io::Result<Server> {
        let port = free_port()?;
        let data_dir = (target.program == Program::Natter).then(|| self.data_dir(port));
        if let Some(dir) = &data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        let mut server = Server {
            flavour: target.flavour,
            port,
            token: None,
            child: self.spawn(target, port)?,
            data_dir,
            target: target.clone(),
        };
        server.wait_ready(Duration::from_secs(30)).await?;
        if target.program == Program::Natter {
            server.token = Some(crate::session::join(&server.url()).await?);
        }
        Ok(server)
    }

    fn data_dir(&self, port: u16) -> PathBuf {
        self.scratch.join(format!("natter-data-{port}"))
    }

    /// The target's process on `port`; a Natter keeps its store in [`Servers::data_dir`].
    fn spawn(&self, target: &Target, port: u16) -> std::io::Result<Child> {
        let mut command = match target.program {
            Program::Natter => {
                let mut c = Command::new(&self.natter_bin);
                // cargo-leptos writes hash.txt beside the binary when it hashes asset names;
                // following the file rather than the caller's environment keeps a binary and
                // its site consistent however the bench is started.
                let hashed = self.natter_bin.with_file_name("hash.txt").exists();
                c.env("LEPTOS_OUTPUT_NAME", "natter")
                    .env("LEPTOS_HASH_FILES", hashed.to_string())
                    .env("LEPTOS_SITE_ROOT", &self.site_root)
                    .env("LEPTOS_SITE_PKG_DIR", "pkg")
                    .env("NATTER_ADDR", format!("127.0.0.1:{port}"))
                    .env("NATTER_DATA_DIR", self.data_dir(port))
                    // Per-connection info lines would bill Natter for log formatting that
                    // Node, which logs nothing, never pays.
                    .env("RUST_LOG", "warn")
                    // One sender drives every scenario (12,800 msg/s at the top of the ramp);
                    // the per-user limit would measure itself, not the fan-out.
                    .env("NATTER_MESSAGE_RATE", "0")
                    // Every bench client comes from 127.0.0.1, and the storm reconnects
                    // 1,000 of them at once.
                    .env("NATTER_HANDSHAKES_PER_MINUTE", "0")
                    .env("NATTER_ACCOUNTS_PER_HOUR", "0")
                    .env("NATTER_SESSIONS_PER_IP", "0")
                    // The idle and fan-out scenarios hold 1,000s of sockets on one session.
                    .env("NATTER_SESSIONS_PER_USER", "0");
                c
            }
            Program::Node => {
                let mut c = Command::new("node");
                c.arg("index.js")
                    .current_dir(&self.node_dir)
                    .env("PORT", port.to_string());
                c
            }
            Program::Bare => {
                let bin = std::env::current_exe()?.with_file_name("natter-bench-bare");
                let mut c = Command::new(bin);
                c.arg("--port").arg(port.to_string());
                c
            }
        };
        command.args(&target.args).envs(target.env.iter().cloned());
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
    }

    /// SIGTERM, as a deploy sends, then the same program on the same port and data directory.
    /// Returns once the new process accepts TCP connections (see [`Restart`]).
    pub async fn restart(&self, server: &mut Server) -> std::io::Result<Restart> {
        let start = Instant::now();
        server.terminate(Duration::from_secs(15)).await?;
        let stopped = start.elapsed();
        server.child = self.spawn(&server.target, server.port)?;
        server.wait_listening(Duration::from_secs(30)).await?;
        Ok(Restart {
            stopped,
            down: start.elapsed(),
        })
    }
}

/// How long a [`Servers::restart`] took.
#[derive(Debug, Clone, Copy)]
pub struct Restart {
    /// SIGTERM until the old process exited (Natter closes its sockets, then its store).
    pub stopped: Duration,
    /// SIGTERM until the new process listens.
    pub down: Duration,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_ready(&mut self, limit: Duration) -> std::io::Result<()> {
        let deadline = Instant::now() + limit;
        let http = reqwest::Client::new();
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Err(std::io::Error::other(format!(
                    "{} exited at start-up: {status}",
                    self.flavour.name()
                )));
            }
            if let Ok(response) = http.get(self.url()).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(std::io::Error::other("server did not come up in time"))
    }

    /// Listening is enough after a restart: Natter opens its store before it binds, and
    /// polling the port every 5 ms rather than the page every 100 ms dates the moment closely.
    async fn wait_listening(&mut self, limit: Duration) -> std::io::Result<()> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Err(std::io::Error::other(format!("restart failed: {status}")));
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Err(std::io::Error::other("server did not listen again in time"))
    }

    /// SIGTERM, then SIGKILL if the process has not exited within `grace`.
    async fn terminate(&mut self, grace: Duration) -> std::io::Result<()> {
        if let Some(pid) = self.pid() {
            // tokio's Child can only SIGKILL; `kill` is everywhere the bench runs.
            Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await?;
        }
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            eprintln!(
                "  {} ignored SIGTERM for {grace:?}; killed",
                self.flavour.name()
            );
            self.child.kill().await?;
        }
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub fn stats(&self) -> ProcStats {
        self.pid().map(proc_stats).unwrap_or_default()
    }

    /// SIGKILL: Natter's graceful drain would only add seconds between runs.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        if let Some(dir) = self.data_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// VmRSS from /proc/<pid>/status and utime+stime from /proc/<pid>/stat.
pub fn proc_stats(pid: u32) -> ProcStats {
    read_stats(Path::new(&format!("/proc/{pid}")))
}

pub fn own_stats() -> ProcStats {
    read_stats(Path::new("/proc/self"))
}

fn read_stats(dir: &Path) -> ProcStats {
    let rss_kb = std::fs::read_to_string(dir.join("status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0);
    let cpu_ms = std::fs::read_to_string(dir.join("stat"))
        .ok()
        .and_then(|s| cpu_ticks(&s))
        .map_or(0, |ticks| ticks * 1000 / clock_ticks());
    ProcStats { rss_kb, cpu_ms }
}

/// utime + stime: fields 14 and 15, counted after the `(comm)` field, which may hold spaces.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// Idle memory of variants that isolate where Natter's memory per connection goes: the same
/// clients against socketioxide alone with its knobs turned, and with glibc's allocator
/// limited to one arena (a knob of the environment, not of the code).
pub fn memory_targets() -> Vec<Target> {
    let env = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let bare = |label: &str, flavour: Flavour, a: &[&str]| Target {
        label: label.into(),
        program: Program::Bare,
        flavour,
        env: Vec::new(),
        args: args(a),
    };
    vec![
        Target::of(Flavour::Natter),
        Target {
            label: "natter MALLOC_ARENA_MAX=1".into(),
            env: env("MALLOC_ARENA_MAX", "1"),
            ..Target::of(Flavour::Natter)
        },
        Target {
            label: "node".into(),
            ..Target::of(Flavour::Node)
        },
        bare("bare socketioxide (no room)", Flavour::Node, &[]),
        bare("bare + sync/join room", Flavour::Natter, &[]),
        bare(
            "bare + room + max_buffer 1024",
            Flavour::Natter,
            &["--max-buffer", "1024"],
        ),
        bare(
            "bare + room + ws_read_buffer 1024",
            Flavour::Natter,
            &["--ws-read-buffer", "1024"],
        ),
        bare(
            "bare + room + request head copied",
            Flavour::Natter,
            &["--copy-request"],
        ),
        bare(
            "bare + room + head copied + ws_read_buffer 1024",
            Flavour::Natter,
            &["--copy-request", "--ws-read-buffer", "1024"],
        ),
        bare(
            "bare + room, 1 worker thread",
            Flavour::Natter,
            &["--workers", "1"],
        ),
        Target {
            env: env("MALLOC_ARENA_MAX", "1"),
            ..bare("bare + room, MALLOC_ARENA_MAX=1", Flavour::Natter, &[])
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields() {
        let stat = "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1";
        assert_eq!(cpu_ticks(stat), Some(300));
        assert!(own_stats().rss_kb > 0);
    }
}
