//! A cluster for a test: a Redis server and a Postgres database of its own, N natter nodes on
//! them, and Debian's nginx in front (deploy/cluster/nginx.conf.in, as `make cluster` uses).
//! Each service missing from the machine fails the test loudly: none is ever skipped.

use std::{
    net::{IpAddr, Ipv4Addr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;

use crate::chat_client::eventually;
use crate::process::{ServerProcess, free_port};

const NGINX: &str = "/usr/sbin/nginx";
const NGINX_CONF: &str = include_str!("../../deploy/cluster/nginx.conf.in");

/// Where the machine's Postgres is, as tests/store/fixtures.rs looks for it.
const POSTGRES: [&str; 2] = [
    "postgres://postgres@127.0.0.1:5432",
    "postgres://root@127.0.0.1:5432",
];

/// Client `i`'s own loopback address, 127.0.0.(2 + i % 250) and on into 127.0.1.x: the
/// balancer hashes them apart.
pub fn client_address(i: usize) -> IpAddr {
    let n = 2 + i as u32;
    IpAddr::V4(Ipv4Addr::new(127, 0, (n / 250) as u8, (n % 250) as u8 + 1))
}

async fn until_listening(port: u16, what: &str) {
    let up = eventually(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .await;
    assert!(up, "{what} did not start listening on port {port}");
}

/// A redis-server of the test's own, so that stopping it disturbs no other test.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
}

impl Redis {
    pub async fn start() -> Redis {
        let mut redis = Redis {
            child: None,
            port: free_port(),
        };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again, on the same port).
    pub async fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package) must be installed");
        self.child = Some(child);
        until_listening(self.port, "redis-server").await;
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Postgres database of the test's own, dropped afterwards.
pub struct Database {
    admin: String,
    name: String,
}

impl Database {
    pub async fn create() -> Database {
        let name = format!("natter_cluster_{}", uuid::Uuid::new_v4().simple());
        for admin in POSTGRES {
            let Ok(mut conn) = PgConnection::connect(&format!("{admin}/test")).await else {
                continue;
            };
            conn.execute(&*format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            conn.close().await.ok();
            return Database {
                admin: admin.to_owned(),
                name,
            };
        }
        panic!("no Postgres at 127.0.0.1:5432 (tried {POSTGRES:?}): the cluster tests need it");
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.admin, self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let url = format!("{}/test", self.admin);
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        Command::new("psql")
            .args([url.as_str(), "-qc", sql.as_str()])
            .stdout(Stdio::null())
            .status()
            .ok();
    }
}

/// A TCP relay to the machine's Postgres that the test can close (every connection dropped,
/// new ones refused) and open again on the same port: the database going away and back.
pub struct Gate {
    pub port: u16,
    relays: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    accept: Option<tokio::task::JoinHandle<()>>,
}

impl Gate {
    pub async fn open() -> Gate {
        let mut gate = Gate {
            port: free_port(),
            relays: Default::default(),
            accept: None,
        };
        gate.reopen().await;
        gate
    }

    pub async fn reopen(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        let relays = self.relays.clone();
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut pg) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                        tokio::io::copy_bidirectional(&mut client, &mut pg)
                            .await
                            .ok();
                    }
                });
                relays.lock().unwrap().push(relay);
            }
        }));
    }

    pub fn close(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        for relay in self.relays.lock().unwrap().drain(..) {
            relay.abort();
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.close();
    }
}

/// nginx with its own config and directory, in the foreground as a child process.
pub struct Nginx {
    child: Child,
    pub port: u16,
    _dir: TempDir,
}

impl Nginx {
    /// In front of `nodes`, sticky by client address or (not `sticky`) round robin.
    pub async fn start(nodes: &[u16], sticky: bool) -> Nginx {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: `scripts/setup.sh test` installs Debian's nginx"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = nginx_conf(dir.path(), &format!("127.0.0.1:{port}"), nodes, sticky);
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new(NGINX)
            .arg("-c")
            .arg(&path)
            .arg("-p")
            .arg(dir.path())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        until_listening(port, "nginx").await;
        Nginx {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    /// SIGTERM to the master, which stops its workers (SIGKILL would leave them holding the
    /// port).
    fn drop(&mut self) {
        let term = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        if term.is_err() {
            self.child.kill().ok();
        }
        self.child.wait().ok();
    }
}

/// deploy/cluster/nginx.conf.in filled in.
pub fn nginx_conf(dir: &Path, listen: &str, nodes: &[u16], sticky: bool) -> String {
    let servers: Vec<String> = nodes
        .iter()
        .map(|port| format!("server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"))
        .collect();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    NGINX_CONF
        .replace("@DIR@", &dir.display().to_string())
        .replace("@LISTEN@", listen)
        .replace(
            "@BALANCE@",
            if sticky {
                "hash $remote_addr consistent;"
            } else {
                ""
            },
        )
        .replace("@SERVERS@", &servers.join("\n        "))
        .replace("@USER@", if root { "user root;" } else { "" })
}

/// How a test wants its nodes.
pub struct Setup {
    pub nodes: usize,
    pub sticky: bool,
    /// The heartbeat, and so the beacon's interval.
    pub ping_interval_ms: u64,
    /// Extra environment for every node.
    pub env: Vec<(&'static str, String)>,
    /// Postgres through a [`Gate`] the test can close.
    pub gate: bool,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            nodes: 3,
            sticky: true,
            ping_interval_ms: 2_000,
            env: Vec::new(),
            gate: false,
        }
    }
}

impl Setup {
    /// The default cluster, every node with these variables too.
    pub fn with_env(vars: &[(&'static str, &str)]) -> Setup {
        Setup {
            env: vars.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            ..Setup::default()
        }
    }
}

/// Nodes on one Redis and one Postgres database, behind nginx. Dropped in this order: the
/// nodes before the services they use.
pub struct Cluster {
    pub nodes: Vec<Option<ServerProcess>>,
    pub nginx: Nginx,
    pub redis: Redis,
    pub gate: Option<Gate>,
    _db: Database,
    pub ports: Vec<u16>,
    data: Vec<TempDir>,
    env: Vec<(&'static str, String)>,
}

impl Cluster {
    pub async fn start(setup: Setup) -> Cluster {
        let redis = Redis::start().await;
        let db = Database::create().await;
        let gate = if setup.gate {
            Some(Gate::open().await)
        } else {
            None
        };
        let db_url = match &gate {
            Some(gate) => db.url().replace(":5432/", &format!(":{}/", gate.port)),
            None => db.url(),
        };
        let mut env = vec![
            ("REDIS_URL", redis.url()),
            ("DATABASE_URL", db_url),
            (
                "NATTER_PING_INTERVAL_MS",
                setup.ping_interval_ms.to_string(),
            ),
            ("NATTER_TRUSTED_PROXIES", "127.0.0.1/32".to_owned()),
        ];
        env.extend(setup.env);
        let ports: Vec<u16> = (0..setup.nodes).map(|_| free_port()).collect();
        let data: Vec<TempDir> = ports.iter().map(|_| tempfile::tempdir().unwrap()).collect();
        let mut cluster = Cluster {
            nginx: Nginx::start(&ports, setup.sticky).await,
            redis,
            gate,
            _db: db,
            nodes: Vec::new(),
            ports,
            data,
            env,
        };
        // One at a time: the first migrates the database.
        for n in 0..setup.nodes {
            let node = cluster.start_node(n).await;
            cluster.nodes.push(Some(node));
        }
        cluster
    }

    async fn start_node(&self, n: usize) -> ServerProcess {
        let data: PathBuf = self.data[n].path().to_owned();
        ServerProcess::start_with(self.ports[n], &data, &self.env, Stdio::inherit()).await
    }

    /// Node `n`'s own URL, bypassing nginx.
    pub fn node_url(&self, n: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[n])
    }

    pub fn url(&self) -> String {
        self.nginx.url()
    }

    /// Node `n` again, with `env` added (a fault to inject, say).
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    pub async fn restart_node(&mut self, n: usize, env: &[(&'static str, String)]) {
        if let Some(node) = self.nodes[n].take() {
            node.terminate();
        }
        let mut all = self.env.clone();
        all.extend(env.iter().cloned());
        let data = self.data[n].path().to_owned();
        let node = ServerProcess::start_with(self.ports[n], &data, &all, Stdio::inherit()).await;
        self.nodes[n] = Some(node);
    }

    /// SIGKILL node `n`.
    pub fn kill(&mut self, n: usize) {
        if let Some(node) = self.nodes[n].take() {
            node.kill();
        }
    }
}
