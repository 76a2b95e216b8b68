//! The Socket.IO events about people and rooms; each is a thin shell over [`people`], which
//! the server functions share.

use natter_contract::{
    Ack, CreateRoom, Joined, JsonObject, OpenDm, ReadMarker, RoomInfo, RoomRequest, event,
};
use socketioxide::{
    SocketIo,
    adapter::Adapter,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{
    limits::SharedLimits,
    people,
    sink::MessageSink,
    socket::{Authed, reply, respond},
    store::SharedStore,
};

/// Registers the handlers on an authenticated socket.
pub fn attach<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(event::ROOMS, on_rooms::<A>);
    socket.on(event::SIDEBAR, on_sidebar::<A>);
    socket.on(event::CREATE_ROOM, on_create_room::<A>);
    socket.on(event::JOIN_ROOM, on_join_room::<A>);
    socket.on(event::LEAVE_ROOM, on_leave_room::<A>);
    socket.on(event::OPEN_DM, on_open_dm::<A>);
    socket.on(event::READ, on_read::<A>);
}

async fn on_rooms<A: Adapter>(ack: AckSender<A>, State(store): State<SharedStore>) {
    let rooms: Ack<Vec<RoomInfo>> = people::public_rooms(store.as_ref()).await.into();
    reply(ack, &rooms);
}

async fn on_sidebar<A: Adapter>(
    ack: AckSender<A>,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    let rooms: Ack<Vec<Joined>> = people::sidebar(store.as_ref(), &authed.user).await.into();
    reply(ack, &rooms);
}

async fn on_create_room<A: Adapter>(
    TryData(request): TryData<JsonObject<CreateRoom>>,
    ack: AckSender<A>,
    io: SocketIo<A>,
    State(store): State<SharedStore>,
    State(limits): State<SharedLimits>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |CreateRoom { room, topic }| async move {
        let admit = limits.admit_room(authed.user.id);
        people::create_room(store.as_ref(), &io, &authed.user, &room, &topic, admit).await
    })
    .await;
}

async fn on_join_room<A: Adapter>(
    TryData(request): TryData<JsonObject<RoomRequest>>,
    ack: AckSender<A>,
    io: SocketIo<A>,
    State(store): State<SharedStore>,
    State(sink): State<MessageSink<A>>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |RoomRequest { room }| async move {
        people::join_room(store.as_ref(), &io, &sink, &authed.user, &room).await
    })
    .await;
}

async fn on_leave_room<A: Adapter>(
    TryData(request): TryData<JsonObject<RoomRequest>>,
    ack: AckSender<A>,
    io: SocketIo<A>,
    State(store): State<SharedStore>,
    State(sink): State<MessageSink<A>>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |RoomRequest { room }| async move {
        people::leave_room(store.as_ref(), &io, &sink, &authed.user, &room).await
    })
    .await;
}

async fn on_open_dm<A: Adapter>(
    TryData(request): TryData<JsonObject<OpenDm>>,
    ack: AckSender<A>,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |OpenDm { name }| async move {
        people::open_dm(store.as_ref(), &authed.user, &name).await
    })
    .await;
}

async fn on_read<A: Adapter>(
    TryData(request): TryData<JsonObject<ReadMarker>>,
    ack: AckSender<A>,
    io: SocketIo<A>,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |ReadMarker { room, seq }| async move {
        people::mark_read(store.as_ref(), &io, &authed.user, &room, seq).await
    })
    .await;
}
