//! What a user may do besides chatting, each once for every path that offers it (server
//! functions, plain HTML forms and Socket.IO events): join, sign in and out, rooms, DMs, read
//! markers. Every operation takes the acting user; none trusts a user id from the request.

use natter_contract::{
    ErrorCode, Joined, MessageKind, RoomInfo, RoomKind, SendMessage, User, dm_members, dm_room,
    event, new_room_name, password, room_name, topic, user_name,
};
use socketioxide::{SocketIo, adapter::Adapter};
use std::time::Duration;

use super::{
    auth::{self, Token},
    sink::MessageSink,
    store::{ChatStore, SharedStore},
};

/// A user in, by [`join`]: their session, and whether the name was new (then they have just
/// joined [`natter_contract::DEFAULT_ROOM`]).
#[derive(Debug)]
pub struct Entry {
    pub user: User,
    pub token: Token,
    pub created: bool,
}

/// The Socket.IO room of every socket a user has open: live sidebar and marker updates.
pub fn user_channel(user: i64) -> String {
    format!("user:{user}")
}

/// The Socket.IO room of every socket one session has open: signing out closes them.
pub fn session_channel(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

/// Joins with a new name, or signs in to an existing one with its password: one form does
/// both. A name that is taken (or looks like a taken one) without the right password is
/// refused.
pub async fn join(
    store: &dyn ChatStore,
    raw_name: &str,
    raw_password: Option<&str>,
) -> Result<Entry, ErrorCode> {
    join_admitted(store, raw_name, raw_password, async |_| Ok(())).await
}

/// [`join`], asking `admit` before it creates an account for the (valid, free) name: the
/// per-address hourly limit, the registration mode. Signing in is never asked about.
pub async fn join_admitted(
    store: &dyn ChatStore,
    raw_name: &str,
    raw_password: Option<&str>,
    admit: impl AsyncFnOnce(natter_contract::UserName) -> Result<(), ErrorCode>,
) -> Result<Entry, ErrorCode> {
    let name = user_name(raw_name)?;
    let raw_password = raw_password.filter(|p| !p.is_empty());
    if let Some(existing) = store.find_user(&name.key).await? {
        let Some(given) = raw_password else {
            return Err(ErrorCode::NameTaken);
        };
        let matches = match existing.password_hash {
            Some(hash) => auth::verify_password(hash, given.to_owned()).await,
            None => false,
        };
        if !matches {
            return Err(ErrorCode::BadCredentials);
        }
        let token = open_session(store, &existing.user).await?;
        return Ok(Entry {
            user: existing.user,
            token,
            created: false,
        });
    }
    if let Some(given) = raw_password {
        password(given)?;
    }
    admit(name.clone()).await?;
    let hash = match raw_password {
        Some(given) => Some(auth::hash_password(given.to_owned()).await?),
        None => None,
    };
    let user = store.create_user(&name, hash.as_deref()).await?;
    let token = open_session(store, &user).await?;
    tracing::info!(user = user.id, name = %user.name, "new user");
    Ok(Entry {
        user,
        token,
        created: true,
    })
}

async fn open_session(store: &dyn ChatStore, user: &User) -> Result<Token, ErrorCode> {
    Ok(auth::open_session(store, user).await?)
}

/// Revokes the session and disconnects its sockets, wherever they are.
pub async fn sign_out<A: Adapter>(
    store: &dyn ChatStore,
    io: &SocketIo<A>,
    secret: &str,
) -> Result<(), ErrorCode> {
    let hash = auth::hash_token(secret);
    store.delete_session(&hash).await?;
    disconnect_session(io, &hash).await;
    Ok(())
}

/// Ends the sessions expired by `now` (ms since the epoch): their rows, and their sockets,
/// which would otherwise keep acting for the user until they reconnect. Returns how many.
pub async fn expire_sessions<A: Adapter>(
    store: &dyn ChatStore,
    io: &SocketIo<A>,
    now: i64,
) -> Result<usize, ErrorCode> {
    let expired = store.expire_sessions(now).await?;
    for hash in &expired {
        disconnect_session(io, hash).await;
    }
    Ok(expired.len())
}

/// [`expire_sessions`] every `period`, for the life of the server.
pub async fn sweep_sessions<A: Adapter>(store: SharedStore, io: SocketIo<A>, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match expire_sessions(store.as_ref(), &io, auth::now_millis()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions ended"),
            Err(code) => tracing::warn!(?code, "could not sweep expired sessions"),
        }
    }
}

async fn disconnect_session<A: Adapter>(io: &SocketIo<A>, hash: &str) {
    if let Some(ns) = io.of("/")
        && let Err(error) = ns.to(session_channel(hash)).disconnect().await
    {
        tracing::warn!(%error, "could not disconnect every socket of an ended session");
    }
}

/// Whether `user` may read and write `room`. A DM of another pair is [`ErrorCode::Forbidden`]
/// whether or not it exists; so is a public room the user has not joined.
pub async fn authorize(store: &dyn ChatStore, user: &User, room: &str) -> Result<(), ErrorCode> {
    room_name(room)?;
    if store.is_member(room, user.id).await? {
        return Ok(());
    }
    if let Some((a, b)) = dm_members(room)
        && (user.id == a || user.id == b)
    {
        // One of the pair: the first message (or look) creates the conversation.
        store.ensure_dm(room, a, b).await?;
        return Ok(());
    }
    Err(refusal(store, room).await)
}

/// The `@name`s of a message (or an edit's new body) that name none of its room's members, as
/// written: the message is stored all the same, since "@home" may be just a word, but the ack
/// tells the sender that nobody was notified. The writer waits for this in arrival order, so
/// it costs one indexed lookup, and only for a body with a mention. A failed lookup names
/// nobody unknown: the message matters more than the warning.
pub async fn unknown_mentions(store: &dyn ChatStore, message: &SendMessage) -> Vec<String> {
    let names = natter_markup::mentions(&message.body);
    if names.is_empty() {
        return names;
    }
    let keyed: Vec<(String, Option<String>)> = names
        .into_iter()
        .map(|name| {
            let key = user_name(&name).ok().map(|name| name.key);
            (name, key)
        })
        .collect();
    let keys: Vec<String> = keyed.iter().filter_map(|(_, key)| key.clone()).collect();
    let found = match store.members_named(&message.room, &keys).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "could not look up whom a message mentions");
            return Vec::new();
        }
    };
    keyed
        .into_iter()
        .filter(|(_, key)| key.as_ref().is_none_or(|key| !found.contains(key)))
        .map(|(name, _)| name)
        .collect()
}

/// Why a user who is not in `room` is refused: a public room's existence is no secret, so a
/// missing one is `unknown_room`; about DMs nothing is said.
async fn refusal(store: &dyn ChatStore, room: &str) -> ErrorCode {
    if dm_members(room).is_some() {
        return ErrorCode::Forbidden;
    }
    match store.latest_seq(room).await {
        Ok(_) => ErrorCode::Forbidden,
        Err(error) => error.code(),
    }
}

pub async fn public_rooms(store: &dyn ChatStore) -> Result<Vec<RoomInfo>, ErrorCode> {
    Ok(store.public_rooms().await?)
}

pub async fn sidebar(store: &dyn ChatStore, user: &User) -> Result<Vec<Joined>, ErrorCode> {
    Ok(store.joined(user.id, None).await?)
}

/// One room of the user's sidebar.
async fn joined(store: &dyn ChatStore, user: i64, room: &str) -> Result<Joined, ErrorCode> {
    let mut found = store.joined(user, Some(room)).await?;
    found.pop().ok_or(ErrorCode::Forbidden)
}

pub async fn create_room<A: Adapter>(
    store: &dyn ChatStore,
    io: &SocketIo<A>,
    user: &User,
    room: &str,
    raw_topic: &str,
    admit: impl Future<Output = Result<(), ErrorCode>>,
) -> Result<Joined, ErrorCode> {
    new_room_name(room)?;
    let topic = topic(raw_topic)?;
    admit.await?;
    store.create_room(room, &topic, user.id).await?;
    announce_joined(store, io, user.id, room).await
}

/// Joins a public room; a first join is a line in the room ("ann joined"), a repeated one
/// changes nothing.
pub async fn join_room<A: Adapter>(
    store: &dyn ChatStore,
    io: &SocketIo<A>,
    sink: &MessageSink<A>,
    user: &User,
    room: &str,
) -> Result<Joined, ErrorCode> {
    new_room_name(room).map_err(|_| ErrorCode::UnknownRoom)?;
    let already = store.is_member(room, user.id).await?;
    store.join_room(room, user.id).await?;
    if !already {
        sink.announce(room, user, MessageKind::Joined, io).await;
    }
    announce_joined(store, io, user.id, room).await
}

/// Leaves a public room, with a line in it ("ann left").
pub async fn leave_room<A: Adapter>(
    store: &dyn ChatStore,
    io: &SocketIo<A>,
    sink: &MessageSink<A>,
    user: &User,
    room: &str,
) -> Result<(), ErrorCode> {
    new_room_name(room).map_err(|_| ErrorCode::UnknownRoom)?;
    if !store.leave_room(room, user.id).await? {
        return Err(refusal(store, room).await);
    }
    sink.announce(room, user, MessageKind::Left, io).await;
    if let Some(ns) = io.of("/") {
        // The user's sockets stop receiving the room at once, on every tab.
        let channel = ns.to(user_channel(user.id));
        if let Err(error) = channel.clone().leave(room.to_owned()).await {
            tracing::warn!(%error, "could not unsubscribe a user's sockets");
        }
        let removed = natter_contract::RoomRequest {
            room: room.to_owned(),
        };
        emit(channel, event::ROOM_REMOVED, &removed).await;
    }
    Ok(())
}

/// The DM with `name`, created (empty, in no sidebar yet) if needed.
pub async fn open_dm(store: &dyn ChatStore, user: &User, name: &str) -> Result<Joined, ErrorCode> {
    let key = user_name(name).map_err(|_| ErrorCode::UnknownUser)?.key;
    let peer = store.find_user(&key).await?.ok_or(ErrorCode::UnknownUser)?;
    let room = dm_room(user.id, peer.user.id);
    store.ensure_dm(&room, user.id, peer.user.id).await?;
    joined(store, user.id, &room).await
}

/// Moves the marker and tells every tab of the user where it is now.
pub async fn mark_read<A: Adapter>(
    store: &dyn ChatStore,
    io: &SocketIo<A>,
    user: &User,
    room: &str,
    seq: u64,
) -> Result<u64, ErrorCode> {
    room_name(room)?;
    let Some(now) = store.mark_read(room, user.id, seq).await? else {
        return Err(refusal(store, room).await);
    };
    if let Some(ns) = io.of("/") {
        let marker = natter_contract::ReadMarker {
            room: room.to_owned(),
            seq: now,
        };
        emit(ns.to(user_channel(user.id)), event::READ, &marker).await;
    }
    Ok(now)
}

/// After a DM's first message: it appears in both sidebars, live.
pub async fn announce_new_dm<A: Adapter>(store: &dyn ChatStore, io: &SocketIo<A>, room: &str) {
    let Some((a, b)) = dm_members(room) else {
        return;
    };
    for user in if a == b { vec![a] } else { vec![a, b] } {
        if let Err(error) = announce_joined(store, io, user, room).await {
            tracing::warn!(?error, room, "could not announce a new DM");
        }
    }
}

/// Sends the user's every tab the room's sidebar line, and returns it.
async fn announce_joined<A: Adapter>(
    store: &dyn ChatStore,
    io: &SocketIo<A>,
    user: i64,
    room: &str,
) -> Result<Joined, ErrorCode> {
    let line = joined(store, user, room).await?;
    debug_assert!(line.kind == RoomKind::Dm || line.peer.is_none());
    if let Some(ns) = io.of("/") {
        emit(ns.to(user_channel(user)), event::ROOM_ADDED, &line).await;
    }
    Ok(line)
}

async fn emit<A: Adapter, T: serde::Serialize + ?Sized>(
    to: socketioxide::operators::BroadcastOperators<A>,
    name: &'static str,
    payload: &T,
) {
    if let Err(error) = to.emit(name, payload).await {
        super::metrics::broadcast_failed(name, &error);
        // A full or closed client queue: that tab refreshes its sidebar on reconnect.
        tracing::debug!(%error, name, "an update did not reach every tab");
    }
}
