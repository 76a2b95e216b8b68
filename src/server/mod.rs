//! The server: Leptos SSR pages and static files plus Socket.IO, on one axum router and port.

pub mod auth;
pub mod backup;
mod beacon;
mod cache;
mod client_ip;
pub mod cluster;
mod config;
mod connections;
mod edits;
mod error;
mod events;
pub mod handshakes;
mod headers;
mod health;
pub mod limits;
mod live;
mod logs;
pub mod metrics;
mod origin;
pub mod people;
pub mod presence;
mod rate;
pub mod registration;
pub mod sink;
mod socket;
pub mod store;
mod sync;
mod urls;

use std::{future::IntoFuture, process::ExitCode, time::Duration};

use axum::{Router, middleware, serve::ListenerExt};
use clap::Parser;
use leptos::{
    config::{LeptosOptions, get_configuration},
    context::provide_context,
};
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use origin::OriginPolicy;
use socketioxide::SocketIo;
use std::net::SocketAddr;
use tokio::{
    net::{TcpListener, TcpSocket},
    sync::oneshot,
};
use tower_http::{compression::CompressionLayer, services::ServeDir};

pub use cluster::NodeAdapter;
pub use config::{Command, Config, DatabaseUrl, LogFormat, RedisUrl, Transports};
pub use error::StartError;
pub use limits::LimitFlags;

/// Where socketioxide serves Engine.IO (its default, and what every client assumes).
pub const SOCKET_IO_PATH: &str = "/socket.io";

/// How long open HTTP requests may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How often expired sessions are ended (rows deleted, sockets closed): a socket outlives its
/// 30-day session by at most this, and a sweep is one indexed DELETE.
const SESSION_SWEEP: Duration = Duration::from_secs(60);

/// The binary's entry point: parse flags, serve until SIGTERM or Ctrl-C.
pub async fn main() -> ExitCode {
    let config = Config::parse();
    logs::init(config.log_format);
    if let Some(Command::Backup { path }) = &config.command {
        return match backup::backup(&config, path).await {
            Ok(done) => {
                println!(
                    "backed up {} to {} ({} messages, {} bytes)",
                    done.from.display(),
                    path.display(),
                    done.messages,
                    done.bytes
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("natter backup: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), StartError> {
    let leptos_options = get_configuration(None)?.leptos_options;
    let addr = config.addr.unwrap_or(leptos_options.site_addr);
    let store = store::open(&config).await?;
    config.registration.warn_unclaimed(store.as_ref()).await;
    let listener = listen(addr).map_err(|source| StartError::Bind { addr, source })?;
    let (app, io) = router(leptos_options, &config, store.clone()).await?;
    tokio::spawn(people::sweep_sessions(
        store.clone(),
        io.clone(),
        SESSION_SWEEP,
    ));
    if let Some(metrics_addr) = config.metrics_addr {
        let metrics = listen(metrics_addr).map_err(|source| StartError::Bind {
            addr: metrics_addr,
            source,
        })?;
        tracing::info!("metrics on http://{metrics_addr}/metrics");
        let routes = metrics::routes(io.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(metrics, routes).await {
                tracing::error!(%error, "the metrics listener failed");
            }
        });
    }
    let bound = listener.local_addr().unwrap_or(addr);
    tracing::info!("listening on http://{bound}");
    // Chat frames are small and often several go to one socket back to back (a burst of
    // messages, a message and its ack): with Nagle's algorithm the second waits for the
    // client's delayed ACK. In `make bench`'s flood, calm phases (10 users at 2 msg/s, 100
    // receivers) had a p99 of 43–48 ms over a p50 of 3–6 ms; with it set, 6–18 ms. Node's
    // http server sets it by default.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });

    let (draining_tx, draining) = oneshot::channel();
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        // Returning stops the listener first; only then are the transports closed. In the
        // other order a client could reconnect in between and find "/" already removed by
        // `io.close()` (a CONNECT_ERROR it never retries). Closing sends every client a
        // close, so they see "transport close" and reconnect to the next instance instead of
        // waiting for a ping timeout, and it completes long-polls graceful shutdown waits on.
        tokio::spawn(async move {
            // axum drops the listener as soon as this future returns; give it a moment.
            tokio::time::sleep(Duration::from_millis(50)).await;
            io.close().await;
            draining_tx.send(()).ok();
        });
    });
    let served = tokio::select! {
        served = serve.into_future() => served.map_err(StartError::Serve),
        () = async {
            if draining.await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        } => {
            tracing::warn!("requests still open after {DRAIN_TIMEOUT:?}; exiting anyway");
            Ok(())
        }
    };
    // Lets SQLite checkpoint its WAL into the database file on the way out.
    store.close().await;
    served
}

/// This node's Socket.IO handle, as the server functions find it in the Leptos context.
pub type Io = SocketIo<NodeAdapter>;

/// Connections a restart's reconnect storm may queue before the server accepts them (the
/// kernel caps it at `net.core.somaxconn`, 4,096 here). tokio's default of 1,024 overflowed in
/// `natter-bench --only storm`: 1,000 clients reconnecting at once made 990 SYN
/// retransmissions (`nstat`: TcpExtListenOverflows), each a client waiting a whole second.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As std's and tokio's `bind` do: a restart can bind while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The whole HTTP surface, on `store`, once the Socket.IO adapter is ready. Returns the
/// [`SocketIo`] handle too, to emit from outside handlers and to close every connection on
/// shutdown.
///
/// # Panics
/// Outside a Tokio runtime.
pub async fn router(
    leptos_options: LeptosOptions,
    config: &Config,
    store: store::SharedStore,
) -> Result<(Router, Io), StartError> {
    metrics::handle();
    let cluster = cluster::Cluster::join(config).await?;
    let routes = generate_route_list(crate::app::App);
    let quota = rate::message_quota(config.message_rate, config.message_burst);
    let shared_rate = cluster.shared_rate("messages", quota);
    let sink = sink::MessageSink::<NodeAdapter>::start(store.clone(), quota, shared_rate);
    let live = live::Live::shared(cluster.presence.clone(), &cluster);
    let limits = limits::Limits::shared_in(&config.limits, &cluster);
    let (socket_io_layer, io) = socket::layer(
        config,
        store.clone(),
        sink.clone(),
        live.clone(),
        limits.clone(),
        cluster.adapter(),
    )
    .await
    .map_err(StartError::Adapter)?;
    live.publish(io.clone());
    tokio::spawn(beacon::run(store.clone(), io.clone(), config.ping_interval));
    // Server functions (registered by `leptos_routes` under /api) and SSR both find the store,
    // Socket.IO (to reach a user's sockets) and the config in the Leptos context.
    let context = {
        let (store, io, config) = (store.clone(), io.clone(), config.clone());
        move || {
            headers::content_security_policy();
            provide_context(sink.clone());
            provide_context(limits.clone());
            provide_context(store.clone());
            provide_context(io.clone());
            provide_context(config.clone());
        }
    };
    // `make build` writes .br (quality 11) and .gz files beside the assets; serving those
    // beats compressing a 750 KB wasm on every request, at a lower quality. Without them
    // (tests, `cargo leptos watch`) the compression layer below does it on the fly.
    let pkg_dir = format!(
        "{}/{}",
        leptos_options.site_root, leptos_options.site_pkg_dir
    );
    let assets = ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    let pages = Router::new()
        .nest_service(&format!("/{}", leptos_options.site_pkg_dir), assets)
        .leptos_routes_with_context(&leptos_options, routes, context.clone(), {
            let options = leptos_options.clone();
            move || crate::app::shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context(
            context,
            crate::app::shell,
        ))
        .with_state(leptos_options)
        .merge(health::routes(store.clone(), cluster.link()))
        // Only pages and /pkg assets: the Socket.IO layer below answers its own requests
        // before they get here, so its long-polling responses are never buffered by a
        // compressor.
        .layer(CompressionLayer::new().br(true).gzip(true))
        .layer(middleware::from_fn(cache::cache_control));

    let policy = OriginPolicy::new(SOCKET_IO_PATH, config.allowed_origins.clone());
    let proxies = client_ip::TrustedProxies(config.trusted_proxies.clone());
    let handshakes = handshakes::Handshakes::start(
        proxies,
        config.handshake_rate,
        config.handshake_burst,
        &cluster,
    );
    let app = pages
        .layer(socket_io_layer)
        .layer(middleware::from_fn_with_state(
            handshakes,
            handshakes::limit,
        ))
        .layer(middleware::from_fn_with_state(policy, origin::check_origin))
        .layer(middleware::from_fn_with_state(
            config.is_https(),
            headers::secure,
        ))
        .layer(logs::propagate_request_id())
        .layer(logs::trace())
        .layer(logs::set_request_id());
    Ok((app, io))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
