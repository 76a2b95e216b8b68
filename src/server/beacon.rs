//! The latest-seq beacon: each heartbeat interval, every room this node's sockets follow is
//! told its newest stored `seq`.
//!
//! A message is stored before it is broadcast, and a broadcast can be lost: the node dies
//! between COMMIT and PUBLISH, Redis is away, or a socket's buffer is full. A client that
//! never hears of a message would notice only at its next message or reconnect; the beacon
//! bounds that to one interval. It reads the shared store, so it heals across nodes and
//! without Redis. Each node beacons to its own sockets only (`local()`): the store is the same
//! for all, so N nodes need not say it N times.

use std::{collections::BTreeSet, time::Duration};

use natter_contract::{Beacon, event, room_name};
use socketioxide::{SocketIo, adapter::Adapter};

use super::store::SharedStore;

/// Rooms read in one query: well under SQLite's and Postgres' limits on bound parameters
/// (32,766 and 65,535).
const ROOMS_PER_QUERY: usize = 1_000;

/// Beacons every `every` (the ping interval), forever.
pub async fn run<A: Adapter>(store: SharedStore, io: SocketIo<A>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        once(&store, &io).await;
    }
}

/// One beacon to every followed room of this node: one query per [`ROOMS_PER_QUERY`] rooms.
pub async fn once<A: Adapter>(store: &SharedStore, io: &SocketIo<A>) {
    let Some(namespace) = io.of("/") else {
        return;
    };
    // A socket's channels are its user's, its session's and the rooms it synced.
    let rooms: BTreeSet<String> = namespace
        .sockets()
        .iter()
        .flat_map(|socket| socket.rooms())
        .map(|room| room.to_string())
        .filter(|room| room_name(room).is_ok())
        .collect();
    let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
    for chunk in rooms.chunks(ROOMS_PER_QUERY) {
        let latest = match store.latest_seqs(chunk).await {
            Ok(latest) => latest,
            Err(error) => {
                // The store is away: so is every message it could vouch for. Next interval.
                tracing::debug!(%error, "no beacon this interval");
                return;
            }
        };
        for (room, seq) in latest.into_iter().filter(|(_, seq)| *seq > 0) {
            let beacon = Beacon { room, seq };
            let to = io.local().to(beacon.room.clone());
            if let Err(error) = to.emit(event::BEACON, &beacon).await {
                super::metrics::broadcast_failed(event::BEACON, &error);
            }
        }
    }
}
