//! The Socket.IO events about people and rooms; each is a thin shell over [`people`], which
//! the server functions share.

use natter_contract::{
    Ack, CreateRoom, ErrorCode, Joined, OpenDm, ReadMarker, RoomInfo, RoomRequest, event,
};
use serde::de::DeserializeOwned;
use socketioxide::{
    SocketIo,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{
    people,
    socket::{Authed, JsonObject, reply},
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

/// The payload as `T`, or `invalid_payload`.
fn payload<T: DeserializeOwned>(
    payload: Result<JsonObject<T>, impl std::fmt::Display>,
) -> Result<T, ErrorCode> {
    payload
        .map(|JsonObject(request)| request)
        .map_err(|_| ErrorCode::InvalidPayload)
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
    let created = match payload(request) {
        Ok(CreateRoom { room, topic }) => {
            people::create_room(store.as_ref(), &io, &authed.user, &room, &topic).await
        }
        Err(code) => Err(code),
    };
    reply(ack, &Ack::from(created));
}

async fn on_join_room(
    TryData(request): TryData<JsonObject<RoomRequest>>,
    ack: AckSender,
    io: SocketIo,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    let joined = match payload(request) {
        Ok(RoomRequest { room }) => {
            people::join_room(store.as_ref(), &io, &authed.user, &room).await
        }
        Err(code) => Err(code),
    };
    reply(ack, &Ack::from(joined));
}

async fn on_leave_room(
    TryData(request): TryData<JsonObject<RoomRequest>>,
    ack: AckSender,
    io: SocketIo,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    let left = match payload(request) {
        Ok(RoomRequest { room }) => {
            people::leave_room(store.as_ref(), &io, &authed.user, &room).await
        }
        Err(code) => Err(code),
    };
    reply(ack, &Ack::from(left));
}

async fn on_open_dm(
    TryData(request): TryData<JsonObject<OpenDm>>,
    ack: AckSender,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    let dm = match payload(request) {
        Ok(OpenDm { name }) => people::open_dm(store.as_ref(), &authed.user, &name).await,
        Err(code) => Err(code),
    };
    reply(ack, &Ack::from(dm));
}

async fn on_read(
    TryData(request): TryData<JsonObject<ReadMarker>>,
    ack: AckSender,
    io: SocketIo,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    let marked = match payload(request) {
        Ok(ReadMarker { room, seq }) => {
            people::mark_read(store.as_ref(), &io, &authed.user, &room, seq).await
        }
        Err(code) => Err(code),
    };
    reply(ack, &Ack::from(marked));
}
