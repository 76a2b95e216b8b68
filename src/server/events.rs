//! The Socket.IO events about people and rooms; each is a thin shell over [`people`], which
//! the server functions share.

use natter_contract::{Ack, CreateRoom, Joined, OpenDm, ReadMarker, RoomInfo, RoomRequest, event};
use socketioxide::{
    SocketIo,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{
    people,
    socket::{Authed, JsonObject, reply, respond},
    store::SharedStore,
};

/// Registers the handlers on an authenticated socket.
pub fn attach(socket: &SocketRef) {
    socket.on(event::ROOMS, on_rooms);
    socket.on(event::SIDEBAR, on_sidebar);
    socket.on(event::CREATE_ROOM, on_create_room);
    socket.on(event::JOIN_ROOM, on_join_room);
    socket.on(event::LEAVE_ROOM, on_leave_room);
    socket.on(event::OPEN_DM, on_open_dm);
    socket.on(event::READ, on_read);
}

async fn on_rooms(ack: AckSender, State(store): State<SharedStore>) {
    let rooms: Ack<Vec<RoomInfo>> = people::public_rooms(store.as_ref()).await.into();
    reply(ack, &rooms);
}

async fn on_sidebar(
    ack: AckSender,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    let rooms: Ack<Vec<Joined>> = people::sidebar(store.as_ref(), &authed.user).await.into();
    reply(ack, &rooms);
}

async fn on_create_room(
    TryData(request): TryData<JsonObject<CreateRoom>>,
    ack: AckSender,
    io: SocketIo,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |CreateRoom { room, topic }| async move {
        people::create_room(store.as_ref(), &io, &authed.user, &room, &topic).await
    })
    .await;
}

async fn on_join_room(
    TryData(request): TryData<JsonObject<RoomRequest>>,
    ack: AckSender,
    io: SocketIo,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |RoomRequest { room }| async move {
        people::join_room(store.as_ref(), &io, &authed.user, &room).await
    })
    .await;
}

async fn on_leave_room(
    TryData(request): TryData<JsonObject<RoomRequest>>,
    ack: AckSender,
    io: SocketIo,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |RoomRequest { room }| async move {
        people::leave_room(store.as_ref(), &io, &authed.user, &room).await
    })
    .await;
}

async fn on_open_dm(
    TryData(request): TryData<JsonObject<OpenDm>>,
    ack: AckSender,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |OpenDm { name }| async move {
        people::open_dm(store.as_ref(), &authed.user, &name).await
    })
    .await;
}

async fn on_read(
    TryData(request): TryData<JsonObject<ReadMarker>>,
    ack: AckSender,
    io: SocketIo,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(request, ack, |ReadMarker { room, seq }| async move {
        people::mark_read(store.as_ref(), &io, &authed.user, &room, seq).await
    })
    .await;
}
