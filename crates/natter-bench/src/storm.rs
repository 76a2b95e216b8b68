//! The reconnect storm: many clients, each in many rooms, through a restart of the server.
//!
//! Natter only: the tutorial's Node server has no rooms, sessions or sync to catch up with.
//!
//! Set-up, on a fresh server: a poster creates a pool of public rooms; each client joins as
//! its own user, joins its share of the pool (`general` is everyone's) and reads its sidebar,
//! whose `latest_seq`s are its cursors. Only then does the poster post into every
//! `busy_every`-th room of the pool, so those rooms have news for their members and the others
//! have none, as for users whose last look predates the latest messages. The clients never
//! SYNCed those rooms, so nothing reaches them live, and their cursors stay honest: each is
//! the last seq that client was told of.
//!
//! Then SIGTERM, and the same binary on the same port and data directory. Once it listens,
//! every client reconnects at once (the herd that reconnect backoff produces at its worst,
//! without jitter) and sends ONE SYNC ROOMS with all its cursors, retrying with backoff until
//! a deadline. Measured per client: the restarted server listening → that client's ack; for
//! the server, its CPU from then until the last client synced, and its RSS at the end.

mod client;

use std::{
    collections::BTreeSet,
    fmt::Write,
    time::{Duration, Instant},
};

use tokio::sync::watch;

use crate::{
    load,
    report::{med, ms},
    results::{Quantiles, StormRun, load_avg},
    server::{Servers, own_stats},
    wire::{self, Flavour},
};

use client::Outcome;

/// Sizes of the storm.
#[derive(Debug, Clone)]
pub struct StormPlan {
    pub clients: usize,
    /// Rooms each client is in, `general` included.
    pub rooms_per_client: usize,
    /// Public rooms the clients' other rooms are drawn from.
    pub pool: usize,
    /// Every `busy_every`-th room of the pool gets news.
    pub busy_every: usize,
    /// Messages posted into each busy room; under MAX_PAGE, so one page holds them all.
    pub posts: usize,
    /// How long after the restart a client may take to sync before it counts as failed.
    pub deadline: Duration,
}

impl StormPlan {
    pub fn full() -> StormPlan {
        StormPlan {
            clients: 1000,
            rooms_per_client: 20,
            pool: 100,
            busy_every: 10,
            posts: 20,
            deadline: Duration::from_secs(60),
        }
    }

    pub fn quick() -> StormPlan {
        StormPlan {
            clients: 200,
            ..StormPlan::full()
        }
    }

    /// The pool rooms of client `index`: a window of consecutive rooms, so every room gets
    /// about the same number of members and every client one or two busy rooms.
    fn pool_rooms(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let n = self.rooms_per_client - 1;
        (0..n).map(move |j| (index * n + j) % self.pool)
    }

    /// The rooms in which client `index` is behind: its busy pool rooms.
    fn news(&self, index: usize) -> BTreeSet<String> {
        self.pool_rooms(index)
            .filter(|k| k % self.busy_every == 0)
            .map(room_name)
            .collect()
    }
}

fn room_name(k: usize) -> String {
    format!("storm-{k:03}")
}

/// Set-up, restart, storm: see the module's comment.
pub async fn run(servers: &Servers, rep: usize, plan: &StormPlan) -> StormRun {
    let mut server = servers.start(Flavour::Natter).await.expect("server starts");
    let port = server.port;
    let setup_start = Instant::now();
    let mut poster = wire::open(Flavour::Natter, port, server.token.as_deref())
        .await
        .expect("poster connects");
    client::create_rooms(&mut poster, plan)
        .await
        .expect("storm rooms created");
    let (ready_tx, ready_rx) = watch::channel(None);
    let (lives, setup_failed) = client::enrol_all(port, plan, &ready_rx)
        .await
        .expect("storm clients set up");
    client::post_news(&mut poster, plan)
        .await
        .expect("news posted");
    drop(poster);
    let setup_secs = setup_start.elapsed().as_secs_f64();
    eprintln!(
        "  storm: {} clients × {} rooms set up in {setup_secs:.1} s ({setup_failed} failed); restarting",
        lives.len(),
        plan.rooms_per_client
    );
    let restart = servers.restart(&mut server).await;
    let t0 = Instant::now();
    let (server0, own0) = (server.stats(), own_stats());
    match &restart {
        Ok(_) => {
            let _ = ready_tx.send(Some(t0));
        }
        Err(e) => eprintln!("  storm: restart failed: {e}"),
    }
    drop(ready_tx);
    let mut outcomes = Vec::with_capacity(lives.len());
    for life in futures::future::join_all(lives).await {
        outcomes.push(life.unwrap_or_default());
    }
    let secs = t0.elapsed().as_secs_f64();
    let (server1, own1) = (server.stats(), own_stats());
    let restart = restart.ok();
    let mut run = summarise(&outcomes, plan);
    run.rep = rep;
    run.setup_secs = setup_secs;
    run.setup_failed = setup_failed;
    run.stop_ms = restart.map_or(0, |r| r.stopped.as_millis() as u64);
    run.down_ms = restart.map_or(0, |r| r.down.as_millis() as u64);
    run.startup_cpu_ms = server0.cpu_ms;
    run.server_cpu_ms = server1.cpu_ms.saturating_sub(server0.cpu_ms);
    run.server_rss_kb = server1.rss_kb;
    run.bench_cpu_ms = own1.cpu_ms.saturating_sub(own0.cpu_ms);
    run.secs = secs;
    print_run(&run);
    drop(outcomes);
    server.stop().await;
    run
}

/// The clients' side of a [`StormRun`]; the server's figures are filled in by [`run`].
fn summarise(outcomes: &[Outcome], plan: &StormPlan) -> StormRun {
    let mut sync = load::histogram();
    let mut failed = 0;
    for o in outcomes {
        match o.synced {
            Some(t) => {
                let _ = sync.record((t.as_micros() as u64).max(1));
            }
            None => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("  storm: a client did not sync: {:?}", o.error);
                }
            }
        }
    }
    let synced = outcomes.iter().filter(|o| o.synced.is_some());
    let sum = |f: fn(&Outcome) -> u64| outcomes.iter().map(f).sum::<u64>();
    StormRun {
        clients: outcomes.len(),
        rooms_per_client: plan.rooms_per_client,
        cursors: (outcomes.len() * plan.rooms_per_client) as u64,
        cursors_behind: sum(|o| o.behind),
        posts_per_busy_room: plan.posts,
        sync: Quantiles::of(&sync),
        failed,
        deadline_secs: plan.deadline.as_secs(),
        retries: sum(|o| o.attempts.saturating_sub(1)),
        pages: sum(|o| o.pages),
        messages: sum(|o| o.messages),
        refused: sum(|o| o.refused),
        wrong: synced.filter(|o| !o.right).count(),
        load_avg: load_avg(),
        ..StormRun::default()
    }
}

fn print_run(run: &StormRun) {
    eprintln!(
        "  storm: {} clients synced p50 {:.1} ms p99 {:.1} ms max {:.1} ms; {} not synced in {} s, {} wrong acks, {} retries; {} pages / {} behind; server CPU {} ms (+{} ms start-up), RSS {} KB, down {} ms, bench CPU {} ms, load {:.1}",
        run.sync.count,
        run.sync.p50_us as f64 / 1e3,
        run.sync.p99_us as f64 / 1e3,
        run.sync.max_us as f64 / 1e3,
        run.failed,
        run.deadline_secs,
        run.wrong,
        run.retries,
        run.pages,
        run.cursors_behind,
        run.server_cpu_ms,
        run.startup_cpu_ms,
        run.server_rss_kb,
        run.down_ms,
        run.bench_cpu_ms,
        run.load_avg,
    );
}

/// The storm's section of the Markdown report.
pub fn table(w: &mut String, runs: &[StormRun]) {
    let Some(first) = runs.first() else {
        return;
    };
    let _ = writeln!(
        w,
        "### 6. Reconnect storm: {} clients × {} rooms through a restart (medians of {} runs)\n",
        first.clients,
        first.rooms_per_client,
        runs.len()
    );
    let _ = writeln!(
        w,
        "| server | cursors behind | set-up s | down ms | sync p50 / p99 / max ms | not synced | wrong acks | retries | server CPU ms | start-up CPU ms | RSS after MB | bench CPU ms | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        w,
        "| natter | {:.0} of {:.0} ({} msgs each) | {:.1} | {:.0} | {} / {} / {} | {} (in {} s) | {} | {} | {:.0} | {:.0} | {:.1} | {:.0} | {:.1} |",
        med(runs, |r| r.cursors_behind as f64),
        med(runs, |r| r.cursors as f64),
        first.posts_per_busy_room,
        med(runs, |r| r.setup_secs),
        med(runs, |r| r.down_ms as f64),
        ms(med(runs, |r| r.sync.p50_us as f64)),
        ms(med(runs, |r| r.sync.p99_us as f64)),
        ms(med(runs, |r| r.sync.max_us as f64)),
        runs.iter()
            .map(|r| r.failed + r.setup_failed)
            .sum::<usize>(),
        first.deadline_secs,
        runs.iter().map(|r| r.wrong).sum::<usize>(),
        runs.iter().map(|r| r.retries).sum::<u64>(),
        med(runs, |r| r.server_cpu_ms as f64),
        med(runs, |r| r.startup_cpu_ms as f64),
        med(runs, |r| r.server_rss_kb as f64) / 1024.0,
        med(runs, |r| r.bench_cpu_ms as f64),
        med(runs, |r| r.load_avg),
    );
    let _ = writeln!(
        w,
        "| node | N/A: the tutorial server has no rooms, sessions or sync | | | | | | | | | | | |\n\nSync time: the restarted server listening → the client's SYNC ROOMS ack, every client reconnecting at once; server CPU over the same span. Cursors behind: rooms posted to after the clients last looked. \"Not synced\" sums set-up failures and clients without an ack by the deadline, over all runs.\n"
    );
}
