//! Server settings, from flags or `NATTER_*` environment variables.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use ipnet::IpNet;

pub use super::urls::{DatabaseUrl, RedisUrl};

/// Default for `--max-payload`: OWASP's "64 KB or less" for WebSocket messages, applied to
/// both transports so a browser cannot get around the polling limit by switching to WebSocket.
pub const DEFAULT_MAX_PAYLOAD: u64 = 64 * 1024;
/// socket.io's own defaults, which the browser client expects unless told otherwise.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(25);
pub const DEFAULT_PING_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(name = "natter", version, about = "Natter chat server")]
pub struct Config {
    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// How log lines are written to stderr: `text` for people, `json` (one object per line)
    /// for a log collector.
    #[arg(
        long,
        value_name = "FORMAT",
        env = "NATTER_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Address to listen on [default: LEPTOS_SITE_ADDR, else 127.0.0.1:3000]
    #[arg(long, env = "NATTER_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Socket.IO transports to accept, comma-separated: `polling`, `websocket`.
    /// `websocket` alone needs no sticky sessions behind a load balancer.
    #[arg(
        long,
        value_name = "LIST",
        env = "NATTER_TRANSPORTS",
        default_value = "polling,websocket",
        value_parser = parse_transports
    )]
    pub transports: Transports,

    /// Extra origin allowed to open Socket.IO connections, e.g. `https://chat.example.com`
    /// (exact match; repeat the flag or comma-separate). Same-origin requests are always allowed.
    #[arg(
        long = "allowed-origin",
        value_name = "ORIGIN",
        env = "NATTER_ALLOWED_ORIGINS",
        value_delimiter = ',',
        value_parser = parse_origin
    )]
    pub allowed_origins: Vec<String>,

    /// Largest accepted HTTP polling body and WebSocket message, in bytes.
    #[arg(
        long,
        value_name = "BYTES",
        env = "NATTER_MAX_PAYLOAD",
        default_value_t = DEFAULT_MAX_PAYLOAD,
        value_parser = clap::value_parser!(u64).range(1024..=16 * 1024 * 1024)
    )]
    pub max_payload: u64,

    /// How often the server pings each client, in milliseconds.
    #[arg(
        long = "ping-interval-ms",
        value_name = "MS",
        env = "NATTER_PING_INTERVAL_MS",
        default_value = "25000",
        value_parser = parse_millis
    )]
    pub ping_interval: Duration,

    /// How long a client may take to answer a ping before it is dropped, in milliseconds.
    #[arg(
        long = "ping-timeout-ms",
        value_name = "MS",
        env = "NATTER_PING_TIMEOUT_MS",
        default_value = "20000",
        value_parser = parse_millis
    )]
    pub ping_timeout: Duration,

    /// Directory of the SQLite database (`natter.db`), created if missing. Unused with
    /// `--database-url`.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "NATTER_DATA_DIR",
        default_value = DEFAULT_DATA_DIR
    )]
    pub data_dir: PathBuf,

    /// Postgres to store messages in instead of SQLite, e.g. `postgres://user@host/natter`.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<DatabaseUrl>,

    /// Redis (≥ 7) to join a cluster through, e.g. `redis://127.0.0.1:6379`: broadcasts,
    /// presence and sign-outs reach every node. Without it this node is alone.
    #[arg(long, value_name = "URL", env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<RedisUrl>,

    /// The address people reach Natter at, e.g. `https://chat.example.com`. With https, the
    /// session cookie is `Secure`.
    #[arg(long, value_name = "URL", env = "NATTER_PUBLIC_URL", value_parser = parse_origin)]
    pub public_url: Option<String>,

    /// Messages one user may send per second, sustained, over every tab and the plain form;
    /// 0 for no limit. Beyond it the ack says `rate_limited` with how long to wait, and the
    /// page's outbox resends then.
    #[arg(
        long,
        value_name = "N",
        env = "NATTER_MESSAGE_RATE",
        default_value_t = DEFAULT_MESSAGE_RATE
    )]
    pub message_rate: u32,

    /// Messages one user may send at once beyond the sustained rate.
    #[arg(
        long,
        value_name = "N",
        env = "NATTER_MESSAGE_BURST",
        default_value_t = DEFAULT_MESSAGE_BURST,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub message_burst: u32,

    /// New Socket.IO sessions one client address may open per minute, sustained; 0 for no
    /// limit. Beyond it the handshake gets 429 with `Retry-After`.
    #[arg(
        long = "handshakes-per-minute",
        value_name = "N",
        env = "NATTER_HANDSHAKES_PER_MINUTE",
        default_value_t = DEFAULT_HANDSHAKE_RATE
    )]
    pub handshake_rate: u32,

    /// Sessions one client address may open at once beyond the sustained rate.
    #[arg(
        long,
        value_name = "N",
        env = "NATTER_HANDSHAKE_BURST",
        default_value_t = DEFAULT_HANDSHAKE_BURST,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub handshake_burst: u32,

    /// Proxies whose `X-Forwarded-For` is believed, as addresses or CIDR blocks, e.g.
    /// `127.0.0.1,10.0.0.0/8` (repeat the flag or comma-separate). Without it every client is
    /// the address its connection comes from.
    #[arg(
        long = "trusted-proxy",
        value_name = "ADDR",
        env = "NATTER_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    pub trusted_proxies: Vec<IpNet>,

    #[command(flatten)]
    pub limits: super::limits::LimitFlags,

    #[command(flatten)]
    pub registration: super::registration::RegistrationFlags,

    /// Where to serve Prometheus metrics (`GET /metrics`), e.g. `127.0.0.1:9464`; not served
    /// without it. Never the public address: the figures are for the operator.
    #[arg(long, value_name = "ADDR", env = "NATTER_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// How long a user stays online after their last tab disconnected, in milliseconds: a
    /// reload or a network blip reconnects within it, so nobody appears to come and go.
    #[arg(
        long = "presence-grace-ms",
        value_name = "MS",
        env = "NATTER_PRESENCE_GRACE_MS",
        default_value = "10000",
        value_parser = parse_millis
    )]
    pub presence_grace: Duration,
}

/// What `natter` does besides serving.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Copies the live SQLite database (`--data-dir`) to PATH, consistent even while the
    /// server is writing; restore by putting the copy in place as `natter.db` while Natter is
    /// stopped. Postgres is backed up with `pg_dump` (README).
    Backup {
        /// Where the copy goes; must not exist yet.
        path: PathBuf,
    },
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// See `handshakes.rs` for why.
pub const DEFAULT_HANDSHAKE_RATE: u32 = 600;
pub const DEFAULT_HANDSHAKE_BURST: u32 = 200;

/// A person typing fast sends a message every second or two; 5/s with a burst of 10 lets a
/// pasted batch through and stops a script from filling a room.
pub const DEFAULT_MESSAGE_RATE: u32 = 5;
pub const DEFAULT_MESSAGE_BURST: u32 = 10;

impl Config {
    /// Whether the site is served over https (behind a TLS-terminating proxy, say).
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

/// Default for `--data-dir`, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./data";

impl Default for Config {
    /// The settings used without flags or environment, for tests and embedding.
    fn default() -> Self {
        Config {
            command: None,
            log_format: LogFormat::Text,
            addr: None,
            transports: Transports::BOTH,
            allowed_origins: Vec::new(),
            max_payload: DEFAULT_MAX_PAYLOAD,
            ping_interval: DEFAULT_PING_INTERVAL,
            ping_timeout: DEFAULT_PING_TIMEOUT,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            redis_url: None,
            public_url: None,
            message_rate: DEFAULT_MESSAGE_RATE,
            message_burst: DEFAULT_MESSAGE_BURST,
            metrics_addr: None,
            limits: super::limits::LimitFlags::default(),
            registration: super::registration::RegistrationFlags::default(),
            handshake_rate: DEFAULT_HANDSHAKE_RATE,
            handshake_burst: DEFAULT_HANDSHAKE_BURST,
            trusted_proxies: Vec::new(),
            presence_grace: Duration::from_millis(natter_contract::PRESENCE_GRACE_MS),
        }
    }
}

/// Which Engine.IO transports the server accepts; never both `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transports {
    pub polling: bool,
    pub websocket: bool,
}

impl Transports {
    pub const BOTH: Transports = Transports {
        polling: true,
        websocket: true,
    };
    pub const WEBSOCKET_ONLY: Transports = Transports {
        polling: false,
        websocket: true,
    };
    pub const POLLING_ONLY: Transports = Transports {
        polling: true,
        websocket: false,
    };
}

fn parse_transports(list: &str) -> Result<Transports, String> {
    let mut transports = Transports {
        polling: false,
        websocket: false,
    };
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        match name.to_ascii_lowercase().as_str() {
            "polling" => transports.polling = true,
            "websocket" => transports.websocket = true,
            _ => {
                return Err(format!(
                    "unknown transport `{name}` (expected polling, websocket)"
                ));
            }
        }
    }
    if transports.polling || transports.websocket {
        Ok(transports)
    } else {
        Err("at least one transport is required".into())
    }
}

/// Accepts only what a browser can send as `Origin` (`scheme://host[:port]`), lowercased the way
/// browsers serialise it, so a typo such as a trailing slash fails at startup instead of
/// silently never matching.
/// A blank entry parses to "" and is dropped by the origin check, so an empty
/// `NATTER_ALLOWED_ORIGINS` means "none" rather than a startup error.
fn parse_origin(origin: &str) -> Result<String, String> {
    let origin = origin.trim();
    if origin.is_empty() {
        return Ok(String::new());
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or_else(|| format!("origin `{origin}` must start with http:// or https://"))?;
    let valid = !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if valid {
        Ok(origin.to_ascii_lowercase())
    } else {
        Err(format!(
            "origin `{origin}` must be scheme://host[:port] with no path or wildcard"
        ))
    }
}

/// An address is a block of one.
fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is not an IP address or CIDR block"))
}

fn parse_millis(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("must be greater than zero".into()),
        Ok(millis) => Ok(Duration::from_millis(millis)),
        Err(_) => Err(format!("`{text}` is not a whole number of milliseconds")),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
