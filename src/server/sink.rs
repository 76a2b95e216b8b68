//! Where accepted messages go: one writer numbers them and broadcasts them in order.
//!
//! socketioxide runs every event handler as its own spawned task, and tokio does not start
//! spawned tasks in spawn order (the newest one usually runs first), so two messages a client
//! sends back to back could be numbered and broadcast the wrong way round. Extractors, however,
//! run synchronously while socketioxide reads packets in arrival order, so a [`Slot`] in the
//! queue is taken there; the handler task later fills it (or drops it to skip), and the single
//! writer task below processes the slots in queue order.
//!
//! This is also the seam for persistence: a store replaces the counter in [`run`], and because
//! there is one writer the id order is the commit order.

use std::{
    convert::Infallible,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use natter_contract::{ChatMessage, ErrorCode, SendAck, Sent, event};
use socketioxide::{
    SocketIo,
    adapter::LocalAdapter,
    extract::{AckSender, State},
    handler::{FromMessageParts, Value},
    socket::Socket,
};
use tokio::sync::{mpsc, oneshot};

/// Slots waiting for the writer. Bounded so a flood costs a "server busy" ack, not memory.
const QUEUE_CAPACITY: usize = 1024;

/// Handle to the writer task, kept in socketioxide's state.
#[derive(Debug, Clone)]
pub struct MessageSink {
    queue: mpsc::Sender<oneshot::Receiver<Post>>,
}

/// A validated message on its way to the writer.
pub struct Post {
    pub body: String,
    /// Answered by the writer once the message has been broadcast.
    pub ack: AckSender,
    pub io: SocketIo,
}

impl MessageSink {
    /// Starts the writer task; it ends once every clone of the sink is dropped.
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn start() -> MessageSink {
        let (queue, slots) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(slots));
        MessageSink { queue }
    }

    fn reserve(&self) -> Result<oneshot::Sender<Post>, ErrorCode> {
        let (filler, slot) = oneshot::channel();
        match self.queue.try_send(slot) {
            Ok(()) => Ok(filler),
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("message queue full; refusing a message");
                Err(ErrorCode::Internal)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(ErrorCode::Internal),
        }
    }
}

/// A reserved place in the broadcast order (see the module docs). Dropping it unfilled, e.g.
/// for an invalid message, just lets the writer move on.
pub struct Slot(Result<oneshot::Sender<Post>, ErrorCode>);

impl Slot {
    /// Hands the message to the writer, which broadcasts it and then acks it.
    pub fn fill(self, post: Post) -> Result<(), (ErrorCode, AckSender)> {
        match self.0 {
            Ok(filler) => filler
                .send(post)
                .map_err(|post| (ErrorCode::Internal, post.ack)),
            Err(code) => Err((code, post.ack)),
        }
    }
}

impl FromMessageParts<LocalAdapter> for Slot {
    type Error = Infallible;

    fn from_message_parts(
        socket: &Arc<Socket<LocalAdapter>>,
        value: &mut Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        let slot = match State::<MessageSink>::from_message_parts(socket, value, ack_id) {
            Ok(State(sink)) => sink.reserve(),
            Err(_) => {
                tracing::error!("MessageSink missing from the Socket.IO state");
                Err(ErrorCode::Internal)
            }
        };
        Ok(Slot(slot))
    }
}

async fn run(mut slots: mpsc::Receiver<oneshot::Receiver<Post>>) {
    let mut next_id: u64 = 1;
    while let Some(slot) = slots.recv().await {
        let Ok(Post { body, ack, io }) = slot.await else {
            continue;
        };
        let id = next_id;
        next_id += 1;
        let message = ChatMessage {
            id,
            body,
            sent_at: now_millis(),
        };
        // Everyone in "/" including the sender: the sender's copy arrives before its ack
        // because both go through the same per-socket queue in this order.
        if let Err(error) = io.emit(event::CHAT_MESSAGE, &message).await {
            tracing::warn!(id, %error, "broadcast did not reach every client");
        }
        if let Err(error) = ack.send(&SendAck::Ok(Sent { id })) {
            tracing::debug!(id, %error, "could not ack a message");
        }
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}
