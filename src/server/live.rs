//! The Socket.IO events about who is here: online, members, typing. Nothing here is stored.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::Quota;
use natter_contract::{
    Ack, ErrorCode, JsonObject, MAX_MEMBERS, Member, RoomRequest, TYPING_TTL_MS, TypingSignal,
    User, event, room_name,
};
use socketioxide::{
    adapter::Adapter,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{
    auth,
    cluster::{Cluster, ClusterRate},
    people,
    presence::{SharedPresence, publish},
    rate::{Limiter, within_rate},
    socket::{Authed, refuse, reply, respond},
    store::SharedStore,
};

/// A page sends one typing signal per 2 s ([`natter_contract::TYPING_EVERY_MS`]); a user
/// typing in two tabs, or switching rooms mid-word, may send a few more. Beyond three at once
/// and one a second, signals are dropped and, if asked, acked `rate_limited`.
const TYPING_BURST: u32 = 3;
const TYPING_REFILL: Duration = Duration::from_secs(1);

/// Presence and the typing limiter, in socketioxide's state.
pub struct Live {
    pub presence: SharedPresence,
    typing: Limiter,
    /// In a cluster, the same typing rate over every node.
    shared_typing: Option<ClusterRate>,
}

pub type SharedLive = Arc<Live>;

impl Live {
    pub fn shared(presence: SharedPresence, cluster: &Cluster) -> SharedLive {
        let burst = NonZeroU32::new(TYPING_BURST).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(TYPING_REFILL)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Arc::new(Live {
            presence,
            typing: Limiter::keyed(quota),
            shared_typing: cluster.shared_rate("typing", Some(quota)),
        })
    }

    /// Starts sending presence changes through `io`.
    pub fn publish<A: Adapter>(self: &Arc<Self>, io: socketioxide::SocketIo<A>) {
        tokio::spawn(publish(self.presence.clone(), io));
    }
}

/// Where this socket last said it was typing, so that its disconnect can end the indicator.
#[derive(Debug, Clone)]
struct LastTyped {
    room: String,
    at: i64,
}

/// Registers the handlers on an authenticated socket and counts it in.
pub fn attach<A: Adapter>(socket: &SocketRef<A>, live: &Live, user: &User) {
    live.presence.connected(user.id);
    socket.on(event::ONLINE, on_online::<A>);
    socket.on(event::MEMBERS, on_members::<A>);
    socket.on(event::TYPING, on_typing::<A>);
}

/// The socket went away: it no longer counts, and whatever it was typing stops.
pub async fn detach<A: Adapter>(socket: &SocketRef<A>, live: &Live, user: &User) {
    let now = auth::now_millis();
    live.presence.disconnected(user.id, now);
    if let Some(typed) = socket.extensions.get::<LastTyped>()
        && now - typed.at < TYPING_TTL_MS
    {
        let stopped = TypingSignal {
            room: typed.room.clone(),
            user: user.clone(),
            typing: false,
        };
        if let Err(error) = socket.to(typed.room).emit(event::TYPING, &stopped).await {
            super::metrics::broadcast_failed(event::TYPING, &error);
            tracing::debug!(%error, "could not end a typing indicator");
        }
    }
}

async fn on_online<A: Adapter>(ack: AckSender<A>, State(live): State<SharedLive>) {
    reply(ack, &Ack::Ok(live.presence.online()));
}

async fn on_members<A: Adapter>(
    TryData(request): TryData<JsonObject<RoomRequest>>,
    ack: AckSender<A>,
    State(store): State<SharedStore>,
    State(live): State<SharedLive>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |RoomRequest { room }| async move {
        people::authorize(store.as_ref(), &authed.user, &room).await?;
        let members = store.members(&room, MAX_MEMBERS).await?;
        Ok(members
            .into_iter()
            .map(|user| Member {
                online: live.presence.is_online(user.id),
                user,
            })
            .collect::<Vec<_>>())
    })
    .await;
}

/// Relays "typing" to the room's other sockets. Only a room this socket was let into (by a
/// sync) counts: its channels are exactly those, so the check costs no query.
async fn on_typing<A: Adapter>(
    socket: SocketRef<A>,
    TryData(request): TryData<JsonObject<RoomRequest>>,
    ack: AckSender<A>,
    State(live): State<SharedLive>,
    Extension(authed): Extension<Authed>,
) {
    let Ok(JsonObject(RoomRequest { room })) = request else {
        return refuse(ack, ErrorCode::InvalidPayload);
    };
    if let Err(code) = room_name(&room) {
        return refuse(ack, code);
    }
    if !socket.rooms().iter().any(|joined| **joined == *room) {
        return refuse(ack, ErrorCode::Forbidden);
    }
    if let Err(error) = within_rate(&live.typing, authed.user.id) {
        return reply(ack, &Ack::<()>::Error(error));
    }
    if let Some(shared) = &live.shared_typing
        && let Err(error) = shared.admit_user(authed.user.id).await
    {
        return reply(ack, &Ack::<()>::Error(error));
    }
    socket.extensions.insert(LastTyped {
        room: room.clone(),
        at: auth::now_millis(),
    });
    let signal = TypingSignal {
        room: room.clone(),
        user: authed.user,
        typing: true,
    };
    if let Err(error) = socket.to(room).emit(event::TYPING, &signal).await {
        super::metrics::broadcast_failed(event::TYPING, &error);
        tracing::debug!(%error, "could not relay a typing signal");
    }
    reply(ack, &Ack::Ok(()));
}
