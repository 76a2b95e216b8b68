//! Catching up on every room at once: one SYNC ROOMS after each (re)connect instead of one
//! SYNC per room, answered only for the rooms with something new. Its cost is three queries
//! (membership, latest seqs, and one page per changed room), so a user in 20 quiet rooms pays
//! for the rooms that changed, not for 20 round trips.

use std::collections::{HashMap, HashSet};

use natter_contract::{
    Cursor, ErrorCode, JsonObject, MAX_PAGE, Refused, SyncRooms, Synced, User, room_name,
};
use socketioxide::{
    adapter::Adapter,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{
    people,
    socket::{Authed, respond},
    store::SharedStore,
};

pub async fn on_sync_rooms<A: Adapter>(
    socket: SocketRef<A>,
    TryData(payload): TryData<JsonObject<SyncRooms>>,
    ack: AckSender<A>,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(payload, ack, |request| {
        sync_rooms(&socket, &store, &authed.user, request)
    })
    .await;
}

async fn sync_rooms<A: Adapter>(
    socket: &SocketRef<A>,
    store: &SharedStore,
    user: &User,
    request: SyncRooms,
) -> Result<Synced, ErrorCode> {
    request.validate()?;
    let mut synced = Synced::default();
    let mut named: Vec<Cursor> = Vec::with_capacity(request.rooms.len());
    for cursor in request.rooms {
        match room_name(&cursor.room) {
            Ok(()) => named.push(cursor),
            Err(code) => synced.refused.push(Refused {
                room: cursor.room,
                code,
            }),
        }
    }
    // The socket's channels are rooms it was already let into; only the others are looked up.
    let subscribed: HashSet<String> = socket.rooms().iter().map(|r| r.to_string()).collect();
    let unknown: Vec<&str> = named
        .iter()
        .map(|c| c.room.as_str())
        .filter(|room| !subscribed.contains(*room))
        .collect();
    let members: HashSet<String> = store
        .member_of(user.id, &unknown)
        .await?
        .into_iter()
        .collect();
    let mut allowed = Vec::with_capacity(named.len());
    for cursor in named {
        if subscribed.contains(&cursor.room) || members.contains(&cursor.room) {
            allowed.push(cursor);
            continue;
        }
        // Not a member: the full check, which also opens a DM the user is one of the pair of
        // (as SYNC does), and otherwise says why not.
        match people::authorize(store.as_ref(), user, &cursor.room).await {
            Ok(()) => allowed.push(cursor),
            Err(code) => synced.refused.push(Refused {
                room: cursor.room,
                code,
            }),
        }
    }
    // Join first, read second: a message committed in between is then both in a page and
    // broadcast (the client drops the copy by seq) instead of in neither.
    let joining: Vec<String> = allowed
        .iter()
        .filter(|c| !subscribed.contains(&c.room))
        .map(|c| c.room.clone())
        .collect();
    socket.join(joining.clone());
    let read = read_pages(store, &allowed, &mut synced).await;
    if read.is_err() {
        socket.leave(joining);
    }
    read.map(|()| synced)
}

/// A page for each room with something after its cursor; the latest seqs in one query.
async fn read_pages(
    store: &SharedStore,
    allowed: &[Cursor],
    synced: &mut Synced,
) -> Result<(), ErrorCode> {
    let rooms: Vec<&str> = allowed.iter().map(|c| c.room.as_str()).collect();
    let latest: HashMap<String, u64> = store.latest_seqs(&rooms).await?.into_iter().collect();
    for cursor in allowed {
        let refusal = match latest.get(&cursor.room) {
            None => Some(ErrorCode::UnknownRoom),
            Some(&last) if cursor.after_seq > last => Some(ErrorCode::SeqOutOfRange),
            Some(&last) if last > cursor.after_seq => {
                let page = store
                    .after(&cursor.room, cursor.after_seq, MAX_PAGE)
                    .await?;
                synced.pages.push(page);
                None
            }
            Some(_) => None,
        };
        if let Some(code) = refusal {
            synced.refused.push(Refused {
                room: cursor.room.clone(),
                code,
            });
        }
    }
    Ok(())
}
