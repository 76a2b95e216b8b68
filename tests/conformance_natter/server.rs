//! Natter's real router and store, each server on a runtime and thread of its own. Dropping that
//! runtime ends every task it ran, so every socket the server held closes at once: the nearest
//! an in-process server gets to its process dying, which the restart scenarios need. (An abort
//! of `axum::serve` alone would leave the spawned connection tasks, and so their WebSockets,
//! running.)
//!
//! Natter refuses a CONNECT without a session, so every client here connects as a user made
//! with [`Natter::user`] (in the server's own store, on the server's runtime).

use leptos::config::LeptosOptions;
use natter::server::Io as SocketIo;
use natter::server::{
    Config, people, router,
    store::{self, ChatStore, SharedStore},
};
use natter_contract::User;
use std::{
    future::IntoFuture,
    path::{Path, PathBuf},
    sync::{Arc, Weak},
    thread::JoinHandle,
    time::Duration,
};
use tokio::{net::TcpListener, runtime, sync::oneshot};

use crate::client::STEP;

/// Heartbeats short enough for a frozen network to be noticed within a test's patience.
pub fn config(data: &Path) -> Config {
    Config {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        data_dir: data.to_owned(),
        // Bursts of 100 from one user test the transports, not the per-user rate.
        message_rate: 0,
        // Reconnection loops from one address test the transports, not the handshake rate.
        handshake_rate: 0,
        limits: natter::server::LimitFlags::NONE,
        ..Config::default()
    }
}

/// How a server goes away.
enum Stop {
    /// Every socket dropped, nothing sent: a crash or SIGKILL.
    Kill,
    /// What `natter` does on SIGTERM: stop accepting, then `io.close()`, so every client hears
    /// "transport close" at once.
    Graceful,
}

/// A user with a session: what a client sends as its CONNECT auth, `{"token": …}`.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user: User,
    pub token: String,
}

/// What a started server hands back to the test.
type Ready = (u16, SocketIo, SharedStore, runtime::Handle);

/// A running server; killed (every connection dropped) when dropped.
pub struct Natter {
    pub port: u16,
    io: SocketIo,
    /// Weak, so that the store still goes with the server's runtime, as it would with its
    /// process.
    store: Weak<dyn ChatStore>,
    rt: runtime::Handle,
    stop: Option<oneshot::Sender<Stop>>,
    thread: Option<JoinHandle<()>>,
}

impl Natter {
    /// On a free port, with `config`'s data dir as its SQLite directory.
    pub async fn start(config: Config) -> Natter {
        Natter::start_on(0, config).await
    }

    /// On `port`: 0 for any, or the port of a server just stopped, to restart it.
    pub async fn start_on(port: u16, config: Config) -> Natter {
        let (ready_tx, ready) = oneshot::channel();
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let rt = runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime for the server");
            rt.block_on(serve(port, config, ready_tx, stopped));
            // Bounded: a blocking task that never ends must not hang the test.
            rt.shutdown_timeout(Duration::from_secs(2));
        });
        let (port, io, store, rt) = tokio::time::timeout(STEP, ready)
            .await
            .expect("Natter did not start in time")
            .expect("Natter failed to start (see the panic above)");
        Natter {
            port,
            io,
            store: Arc::downgrade(&store),
            rt,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new user called `name` (in the default room, as every new user is) with a session,
    /// as `/api/join` would make them. The session lives in the data dir, so it still holds
    /// after a restart on the same one.
    pub async fn user(&self, name: &str) -> TestUser {
        let store = self.store.upgrade().expect("the server is running");
        let owned = name.to_owned();
        let joined = self
            .rt
            .spawn(async move { people::join(store.as_ref(), &owned, None).await });
        let joined = tokio::time::timeout(STEP, joined)
            .await
            .unwrap_or_else(|_| panic!("joining as {name} took over {STEP:?}"))
            .expect("the join task");
        let people::Entry { user, token, .. } =
            joined.unwrap_or_else(|code| panic!("cannot join as {name}: {code:?}"));
        TestUser {
            user,
            token: token.secret,
        }
    }

    /// The session token of a new user with a name of its own: what most clients need.
    pub async fn token(&self) -> String {
        let name = format!("c-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        self.user(&name).await.token
    }

    /// Stop gracefully (see [`Stop::Graceful`]); the port is free once this returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(Stop::Graceful);
        }
        let thread = self.thread.take().expect("not stopped yet");
        let joined = tokio::task::spawn_blocking(move || thread.join());
        let joined = tokio::time::timeout(STEP, joined).await;
        assert!(
            matches!(joined, Ok(Ok(Ok(())))),
            "the server did not stop cleanly"
        );
    }

    /// socketioxide's `io.disconnect()`: a DISCONNECT packet to every socket on "/".
    pub async fn disconnect_all(&self) {
        let io = self.io.clone();
        let done = self.rt.spawn(async move { io.disconnect().await });
        let done = tokio::time::timeout(STEP, done).await;
        assert!(
            matches!(done, Ok(Ok(Ok(())))),
            "io.disconnect() failed: {done:?}"
        );
    }
}

impl Drop for Natter {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(Stop::Kill);
        }
        if let Some(thread) = self.thread.take() {
            // Returns within the runtime's shutdown timeout.
            let _ = thread.join();
        }
    }
}

async fn serve(
    port: u16,
    config: Config,
    ready: oneshot::Sender<Ready>,
    stopped: oneshot::Receiver<Stop>,
) {
    let store = store::open(&config).await.expect("open the SQLite store");
    let (app, io) = router(leptos_options(), &config, store.clone())
        .await
        .expect("the router");
    let listener = bind(port).await;
    let port = listener.local_addr().expect("a bound address").port();
    if ready
        .send((port, io.clone(), store.clone(), runtime::Handle::current()))
        .is_err()
    {
        return;
    }
    // Leaving the select drops the listener; connections already accepted live on.
    let stop = tokio::select! {
        _ = axum::serve(listener, app).into_future() => Stop::Kill,
        stop = stopped => stop.unwrap_or(Stop::Kill),
    };
    if let Stop::Graceful = stop {
        let _ = tokio::time::timeout(STEP, io.close()).await;
        // Bounded, as a connection task still holding a pooled connection would keep it waiting.
        let _ = tokio::time::timeout(Duration::from_secs(2), store.close()).await;
    }
}

/// A restarted server's port may still be held for a moment by the old listener's teardown.
async fn bind(port: u16) -> TcpListener {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return listener,
            Err(e) if tokio::time::Instant::now() >= deadline => {
                panic!("cannot bind 127.0.0.1:{port}: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// No page is requested here, so the site root need not hold a build.
fn leptos_options() -> LeptosOptions {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("natter-conformance-site");
    std::fs::create_dir_all(&root).expect("create the site root");
    LeptosOptions::builder()
        .output_name("natter")
        .site_root(root.to_str().expect("a UTF-8 target dir").to_owned())
        .site_pkg_dir("pkg")
        .build()
}
