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

/// One beacon to every followed room of this node.
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
    for room in rooms {
        let seq = match store.latest_seq(&room).await {
            Ok(0) => continue,
            Ok(seq) => seq,
            Err(error) => {
                // The store is away: so is every message it could vouch for. Next interval.
                tracing::debug!(%error, "no beacon this interval");
                return;
            }
        };
        let beacon = Beacon { room, seq };
        let to = io.local().to(beacon.room.clone());
        if let Err(error) = to.emit(event::BEACON, &beacon).await {
            super::metrics::broadcast_failed(event::BEACON, &error);
        }
    }
}
