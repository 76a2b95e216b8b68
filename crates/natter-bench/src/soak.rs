//! `natter-bench soak`: hours of a busy lobby in minutes. 2,000 idle WebSocket clients stay
//! connected (answering pings) while 40 a second connect and abandon: half polling sessions
//! that CONNECT and are never polled again, half WebSocket upgrades dropped after the probe,
//! before the upgrade completes (the pattern of engineioxide's #731 leak). Both are only
//! noticed by the heartbeat, so each is held pingInterval + pingTimeout (45 s by default).
//!
//! Reports the RSS slope after the warm-up (least squares over 5 s samples), and how long
//! after the load stops the Socket.IO connection count (`natter_connections` on the metrics
//! port) is back to the idle clients alone; the issue allows pingInterval + pingTimeout +
//! 10 s.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    load,
    server::{Program, Servers, Target},
    wire::{Flavour, Incoming},
};

#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// How long the load lasts, in minutes.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub minutes: u64,
    /// Minutes at the start left out of the RSS slope [default: a quarter of --minutes].
    #[arg(long)]
    pub warmup: Option<u64>,
    #[arg(long, default_value_t = 2000)]
    pub idle: usize,
    /// Connect-and-abandon per second.
    #[arg(long, default_value_t = 40)]
    pub abandon_rate: u32,
}

const SAMPLE: Duration = Duration::from_secs(5);
/// socket.io's defaults, which the soaked server runs with.
const HEARTBEAT: Duration = Duration::from_secs(25 + 20);
const ALLOWED_RETURN: Duration = Duration::from_secs(25 + 20 + 10);

/// The Socket.IO connections the node holds, from its metrics.
async fn connections(http: &reqwest::Client, metrics: u16) -> Option<u64> {
    let url = format!("http://127.0.0.1:{metrics}/metrics");
    let text = http.get(url).send().await.ok()?.text().await.ok()?;
    let sum = text
        .lines()
        .filter(|l| l.starts_with("natter_connections{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>();
    Some(sum as u64)
}

/// A polling session that CONNECTs: its handshake URL and sid.
async fn connected_polling(
    http: &reqwest::Client,
    port: u16,
    token: &str,
) -> Option<(String, String)> {
    let base = format!("http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling");
    let open = http.get(&base).send().await.ok()?.text().await.ok()?;
    let sid = open
        .split("\"sid\":\"")
        .nth(1)?
        .split('"')
        .next()?
        .to_owned();
    let connect = format!(r#"40{{"token":"{token}"}}"#);
    http.post(format!("{base}&sid={sid}"))
        .body(connect)
        .send()
        .await
        .ok()?;
    Some((base, sid))
}

/// A polling session that CONNECTs, then is never polled again.
async fn abandon_polling(http: &reqwest::Client, port: u16, token: &str) -> Option<()> {
    connected_polling(http, port, token).await.map(drop)
}

/// A polling session that CONNECTs and starts the WebSocket upgrade, then drops the socket
/// after the probe's answer, without the upgrade packet or a close.
async fn abandon_upgrade(http: &reqwest::Client, port: u16, token: &str) -> Option<()> {
    let (_, sid) = connected_polling(http, port, token).await?;
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&sid={sid}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.ok()?;
    ws.send(Message::text("2probe")).await.ok()?;
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.next()).await;
    // Dropped here: the TCP connection goes without a close frame.
    Some(())
}

/// Least-squares slope of `(seconds, kB)`, in kB per minute.
fn slope_kb_per_min(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    if den == 0.0 { 0.0 } else { num / den * 60.0 }
}

pub async fn run(servers: &Servers, args: &SoakArgs) -> Result<(), Box<dyn std::error::Error>> {
    let metrics = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let target = Target {
        label: "natter".into(),
        program: Program::Natter,
        flavour: Flavour::Natter,
        env: vec![("NATTER_METRICS_ADDR".into(), format!("127.0.0.1:{metrics}"))],
        args: Vec::new(),
    };
    let server = servers.start_target(&target).await?;
    let (port, token) = (server.port, server.token.clone().unwrap_or_default());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;

    let (conns, _, _, failed) =
        load::connect_many(Flavour::Natter, port, args.idle, Some(&token)).await;
    eprintln!("soak: {} idle clients ({failed} failed)", conns.len());
    let idle = conns.len() as u64;
    let holders: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            tokio::spawn(async move {
                // `recv` answers the pings; an idle client never hears anything else.
                while !matches!(conn.recv().await, Incoming::Closed) {}
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let baseline = connections(&http, metrics).await.unwrap_or(0);

    let began = Instant::now();
    let length = Duration::from_secs(args.minutes * 60);
    let warmup = Duration::from_secs(args.warmup.unwrap_or(args.minutes.div_ceil(4)) * 60);
    let interval = Duration::from_secs(1) / args.abandon_rate.max(1);
    let abandoner = tokio::spawn({
        let (http, token) = (http.clone(), token.clone());
        async move {
            let mut ticks = tokio::time::interval(interval);
            let (started, mut n) = (Instant::now(), 0_u64);
            while started.elapsed() < length {
                ticks.tick().await;
                let (http, token) = (http.clone(), token.clone());
                let upgrade = n % 2 == 1;
                tokio::spawn(async move {
                    if upgrade {
                        abandon_upgrade(&http, port, &token).await
                    } else {
                        abandon_polling(&http, port, &token).await
                    }
                });
                n += 1;
            }
            n
        }
    });

    let mut samples = Vec::new();
    let mut peak = 0;
    while began.elapsed() < length {
        tokio::time::sleep(SAMPLE).await;
        let stats = server.stats();
        let held = connections(&http, metrics).await.unwrap_or(0);
        peak = peak.max(held);
        let at = began.elapsed().as_secs_f64();
        samples.push((at, stats.rss_kb as f64));
        eprintln!(
            "soak: {:>5.0} s  rss {:>7} kB  connections {held}",
            at, stats.rss_kb
        );
    }
    let abandoned = abandoner.await?;
    let stopped = Instant::now();
    let returned = loop {
        let held = connections(&http, metrics).await.unwrap_or(u64::MAX);
        if held <= baseline {
            break Some(stopped.elapsed());
        }
        if stopped.elapsed() > ALLOWED_RETURN + HEARTBEAT {
            break None;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let after: Vec<(f64, f64)> = samples
        .iter()
        .copied()
        .filter(|(at, _)| *at >= warmup.as_secs_f64())
        .collect();
    let slope = slope_kb_per_min(&after);
    let (first, last) = (
        after.first().map_or(0.0, |s| s.1),
        after.last().map_or(0.0, |s| s.1),
    );
    println!(
        "### Soak ({} min, {} idle, {}/s abandoned)",
        args.minutes, idle, args.abandon_rate
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| idle clients held | {idle} (baseline {baseline} connections) |");
    println!(
        "| connect-and-abandon | {abandoned} (half polling, half upgrades dropped after the probe) |"
    );
    println!("| connections at peak | {peak} |");
    println!(
        "| RSS after {} min warm-up | {:.1} → {:.1} MB, slope {slope:+.1} kB/min |",
        warmup.as_secs() / 60,
        first / 1024.0,
        last / 1024.0
    );
    match returned {
        Some(took) => println!(
            "| back to baseline after the load | {:.1} s (allowed {} s) |",
            took.as_secs_f64(),
            ALLOWED_RETURN.as_secs()
        ),
        None => println!(
            "| back to baseline after the load | NOT within {} s |",
            (ALLOWED_RETURN + HEARTBEAT).as_secs()
        ),
    }
    for holder in holders {
        holder.abort();
    }
    server.stop().await;
    match returned {
        Some(took) if took <= ALLOWED_RETURN => Ok(()),
        _ => Err("the connection count did not return to its baseline in time".into()),
    }
}
