//! Editing and deleting one's own messages: `edit message` and `delete message`.
//!
//! Both go through the writer like a message (same slot in arrival order, same per-user rate,
//! same group commit), because an edit is a row of the room's log with its own `seq`
//! (`natter_contract::EditMessage`'s docs). Whether the target is the author's own, undeleted
//! message is checked by the store in the transaction that rewrites it, so two tabs (or two
//! nodes) deleting at once get one success and one `message_deleted`.

use natter_contract::{
    DeleteMessage, EditMessage, ErrorCode, JsonObject, MessageKind, SendAck, SendMessage,
};
use serde::de::DeserializeOwned;
use socketioxide::{
    SocketIo,
    adapter::Adapter,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{
    sink::Slot,
    socket::{Authed, Write, over_rate, refuse, reply, submit},
    store::SharedStore,
};

pub(super) fn attach<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(
        natter_contract::event::EDIT_MESSAGE,
        on_change::<A, EditMessage>,
    );
    socket.on(
        natter_contract::event::DELETE_MESSAGE,
        on_change::<A, DeleteMessage>,
    );
}

/// An edit or a delete request: its own checks, and the write it asks for.
trait Change: DeserializeOwned + Send + 'static {
    fn validate(&self) -> Result<(), ErrorCode>;
    fn into_write(self) -> Write;
}

impl Change for EditMessage {
    fn validate(&self) -> Result<(), ErrorCode> {
        EditMessage::validate(self)
    }

    fn into_write(self) -> Write {
        let message = SendMessage {
            room: self.room,
            client_id: self.client_id,
            body: self.body,
        };
        Write {
            message,
            kind: MessageKind::Edit,
            target: Some(self.seq),
        }
    }
}

impl Change for DeleteMessage {
    fn validate(&self) -> Result<(), ErrorCode> {
        DeleteMessage::validate(self)
    }

    fn into_write(self) -> Write {
        let message = SendMessage {
            room: self.room,
            client_id: self.client_id,
            body: String::new(),
        };
        Write {
            message,
            kind: MessageKind::Delete,
            target: Some(self.seq),
        }
    }
}

async fn on_change<A: Adapter, C: Change>(
    socket: SocketRef<A>,
    TryData(payload): TryData<JsonObject<C>>,
    ack: AckSender<A>,
    io: SocketIo<A>,
    slot: Slot<A>,
    Extension(authed): Extension<Authed>,
    State(store): State<SharedStore>,
) {
    if let Some(error) = over_rate(&socket, &slot) {
        return reply(ack, &SendAck::Error(error));
    }
    let Ok(JsonObject(change)) = payload else {
        return refuse(ack, ErrorCode::InvalidPayload);
    };
    if let Err(code) = change.validate() {
        return refuse(ack, code);
    }
    submit(
        &socket,
        &store,
        slot,
        authed.user,
        ack,
        io,
        change.into_write(),
    )
    .await;
}
