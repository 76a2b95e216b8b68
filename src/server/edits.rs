//! Editing and deleting one's own messages: `edit message` and `delete message`.
//!
//! Both go through the writer like a message (same slot in arrival order, same per-user rate,
//! same group commit), because an edit is a row of the room's log with its own `seq`
//! (`natter_contract::EditMessage`'s docs). Whether the target is the author's own, undeleted
//! message is checked by the store in the transaction that rewrites it, so two tabs (or two
//! nodes) deleting at once get one success and one `message_deleted`.

use natter_contract::{
    DeleteMessage, EditMessage, ErrorCode, JsonObject, MessageKind, SendMessage,
};
use socketioxide::{
    SocketIo,
    adapter::Adapter,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{
    sink::Slot,
    socket::{Authed, Write, refuse, submit},
    store::SharedStore,
};

pub(super) fn attach<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(natter_contract::event::EDIT_MESSAGE, on_edit::<A>);
    socket.on(natter_contract::event::DELETE_MESSAGE, on_delete::<A>);
}

async fn on_edit<A: Adapter>(
    socket: SocketRef<A>,
    TryData(payload): TryData<JsonObject<EditMessage>>,
    ack: AckSender<A>,
    io: SocketIo<A>,
    slot: Slot<A>,
    Extension(authed): Extension<Authed>,
    State(store): State<SharedStore>,
) {
    let Ok(JsonObject(edit)) = payload else {
        return refuse(ack, ErrorCode::InvalidPayload);
    };
    if let Err(code) = edit.validate() {
        return refuse(ack, code);
    }
    let write = Write {
        target: Some(edit.seq),
        message: SendMessage {
            room: edit.room,
            client_id: edit.client_id,
            body: edit.body,
        },
        kind: MessageKind::Edit,
    };
    submit(&socket, &store, slot, authed.user, ack, io, write).await;
}

async fn on_delete<A: Adapter>(
    socket: SocketRef<A>,
    TryData(payload): TryData<JsonObject<DeleteMessage>>,
    ack: AckSender<A>,
    io: SocketIo<A>,
    slot: Slot<A>,
    Extension(authed): Extension<Authed>,
    State(store): State<SharedStore>,
) {
    let Ok(JsonObject(delete)) = payload else {
        return refuse(ack, ErrorCode::InvalidPayload);
    };
    if let Err(code) = delete.validate() {
        return refuse(ack, code);
    }
    let write = Write {
        target: Some(delete.seq),
        message: SendMessage {
            room: delete.room,
            client_id: delete.client_id,
            body: String::new(),
        },
        kind: MessageKind::Delete,
    };
    submit(&socket, &store, slot, authed.user, ack, io, write).await;
}
