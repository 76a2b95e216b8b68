//! Where accepted messages go: one writer numbers them and broadcasts them in order.
//!
//! socketioxide runs every event handler as its own spawned task, and tokio does not start
//! spawned tasks in spawn order (the newest one usually runs first), so two messages a client
//! sends back to back could be numbered and broadcast the wrong way round. Extractors, however,
//! run synchronously while socketioxide reads packets in arrival order, so a [`Slot`] in the
//! queue is taken there; the handler task later fills it (or drops it to skip), and the single
//! writer task below processes the slots in queue order.
//!
//! The writer stores the messages queued so far in one transaction (the store numbers them),
//! and only once it is committed broadcasts each to its room and acks it, so no client ever
//! sees a message the store does not have. One writer per process also makes a node's commit
//! order its arrival order.

use std::{convert::Infallible, sync::Arc};

use governor::Quota;
use natter_contract::{
    AckError, ChatMessage, ErrorCode, MessageKind, SendAck, SendMessage, Sent, User, dm_members,
    event,
};
use socketioxide::{
    SocketIo,
    adapter::Adapter,
    extract::{AckSender, State},
    handler::{FromMessageParts, Value},
    socket::Socket,
};
use tokio::sync::{mpsc, oneshot};

use super::{
    cluster::ClusterRate,
    rate::{MessageRate, Refusal},
    socket::Authed,
    store::{Draft, Inserted, SharedStore},
};

/// Slots waiting for the writer. Bounded so a flood costs a "server busy" ack, not memory.
const QUEUE_CAPACITY: usize = 1024;

/// Most messages per transaction: 256 rows of 8 parameters stay far below SQLite's and
/// Postgres's parameter limits, and one batch's broadcasts stay short.
const MAX_BATCH: usize = 256;

/// Handle to the writer task, kept in socketioxide's state; broadcasts go through adapter `A`.
pub struct MessageSink<A: Adapter> {
    queue: mpsc::Sender<oneshot::Receiver<Post<A>>>,
    /// `None`: no rate limit.
    rate: Option<Arc<MessageRate>>,
    /// In a cluster with a rate: the user's bucket shared by the nodes.
    shared_rate: Option<ClusterRate>,
}

impl<A: Adapter> Clone for MessageSink<A> {
    fn clone(&self) -> Self {
        MessageSink {
            queue: self.queue.clone(),
            rate: self.rate.clone(),
            shared_rate: self.shared_rate.clone(),
        }
    }
}

/// A validated message on its way to the writer.
pub struct Post<A: Adapter> {
    pub message: SendMessage,
    /// A message, an edit or delete of message `target`, or a system line (never
    /// rate-limited: the server writes those).
    pub kind: MessageKind,
    pub target: Option<u64>,
    /// The session's user: the author.
    pub author: User,
    /// Answered by the writer once the message has been stored and broadcast.
    pub ack: Reply<A>,
    pub io: SocketIo<A>,
    /// For the ack: the body's `@name`s that name nobody in the room.
    pub unknown_mentions: Vec<String>,
}

/// Where the writer's answer goes: the Socket.IO ack, or the HTTP request of a plain form post.
pub enum Reply<A: Adapter> {
    Socket(AckSender<A>),
    Http(oneshot::Sender<SendAck>),
}

impl<A: Adapter> Reply<A> {
    pub fn send(self, answer: &SendAck) {
        if let SendAck::Error(error) = answer {
            super::metrics::refused(error.code);
        }
        match self {
            Reply::Socket(ack) => {
                if let Err(error) = ack.send(answer) {
                    tracing::debug!(%error, "could not ack a message");
                }
            }
            // The request gave up waiting: nothing to tell it.
            Reply::Http(reply) => drop(reply.send(answer.clone())),
        }
    }
}

impl<A: Adapter> MessageSink<A> {
    /// Starts the writer task; it ends once every clone of the sink is dropped.
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn start(
        store: SharedStore,
        quota: Option<Quota>,
        shared_rate: Option<ClusterRate>,
    ) -> MessageSink<A> {
        let (queue, slots) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(slots, store));
        MessageSink {
            queue,
            rate: MessageRate::start(quota),
            shared_rate,
        }
    }

    /// A place in the queue for a message by `author`, taking a token of their rate first
    /// (`None`: a system line, never limited). A message over the rate takes no place: a
    /// flood of them never reaches the writer, which would otherwise wake for each empty slot
    /// while the other users' messages queued behind them.
    fn slot(&self, author: Option<(i64, Option<&str>)>) -> Slot<A> {
        let over = match (&self.rate, author) {
            (Some(rate), Some((author, session))) => rate.admit(author, session).err(),
            _ => None,
        };
        if over.is_some() {
            tracing::debug!(user = author.map(|(id, _)| id), "over the message rate");
        }
        Slot {
            place: match over {
                Some(refusal) => Err(refusal),
                None => self.reserve().map_err(|code| Refusal {
                    error: code.into(),
                    flooding: false,
                }),
            },
            shared_rate: author.and(self.shared_rate.clone()),
        }
    }

    /// Whether the session (token hash) flooded lately and may not connect yet.
    pub fn cooling_off(&self, session: &str) -> bool {
        self.rate
            .as_ref()
            .is_some_and(|rate| rate.cooling_off(session))
    }

    /// Stores, broadcasts and answers one message outside Socket.IO (a plain form post).
    pub async fn post(&self, message: SendMessage, author: User, io: SocketIo<A>) -> SendAck {
        self.post_as(message, MessageKind::Message, author, io)
            .await
    }

    async fn post_as(
        &self,
        message: SendMessage,
        kind: MessageKind,
        author: User,
        io: SocketIo<A>,
    ) -> SendAck {
        let (reply, answer) = oneshot::channel();
        let post = Post {
            message,
            kind,
            target: None,
            author,
            ack: Reply::Http(reply),
            io,
            unknown_mentions: Vec::new(),
        };
        let limited = !matches!(post.kind, MessageKind::Joined | MessageKind::Left);
        // A form post is no flood: one request a message.
        let slot = self.slot(limited.then_some((post.author.id, None)));
        if let Err((error, _)) = slot.fill(post).await {
            return SendAck::Error(error);
        }
        answer
            .await
            .unwrap_or_else(|_| SendAck::Error(ErrorCode::Internal.into()))
    }

    /// Stores and broadcasts the system line `kind` about `author` in `room`, in order with
    /// the messages queued before it, and returns once it is stored: whoever is told "joined"
    /// or "left" then finds the line in the history.
    pub async fn announce(&self, room: &str, author: &User, kind: MessageKind, io: &SocketIo<A>) {
        let line = SendMessage {
            room: room.to_owned(),
            client_id: uuid::Uuid::now_v7().to_string(),
            body: String::new(),
        };
        let stored = self.post_as(line, kind, author.clone(), io.clone()).await;
        if let SendAck::Error(error) = stored {
            // The membership changed all the same; only the line is missing.
            tracing::warn!(%room, ?kind, code = ?error.code, "could not store a system line");
        }
    }

    fn reserve(&self) -> Result<oneshot::Sender<Post<A>>, ErrorCode> {
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
pub struct Slot<A: Adapter> {
    /// `rate_limited` (with the wait) when the author was over the rate, or the queue full.
    place: Result<oneshot::Sender<Post<A>>, Refusal>,
    /// The author's bucket shared by the nodes, checked as the message is handed over.
    shared_rate: Option<ClusterRate>,
}

impl<A: Adapter> Slot<A> {
    /// Why the message will be refused, known as it arrived: the handler then answers at
    /// once, with no query, and disconnects a flooding socket.
    pub fn refusal(&self) -> Option<&Refusal> {
        self.place.as_ref().err()
    }

    /// Hands the message to the writer, which broadcasts it and then acks it; refused with
    /// `rate_limited` and the wait when its author was over the rate as it arrived, or (in a
    /// cluster) over their rate across the nodes.
    pub async fn fill(self, post: Post<A>) -> Result<(), (AckError, Reply<A>)> {
        let filler = match self.place {
            Ok(filler) => filler,
            Err(refusal) => return Err((refusal.error, post.ack)),
        };
        if let Some(shared) = &self.shared_rate
            && let Err(error) = shared.admit_user(post.author.id).await
        {
            // Dropping the filler lets the writer move past this place.
            return Err((error, post.ack));
        }
        filler
            .send(post)
            .map_err(|post| (ErrorCode::Internal.into(), post.ack))
    }
}

impl<A: Adapter> FromMessageParts<A> for Slot<A> {
    type Error = Infallible;

    fn from_message_parts(
        socket: &Arc<Socket<A>>,
        value: &mut Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        // The author is known once CONNECT's middleware has run, before any event; every
        // event that takes a slot (a message, an edit, a delete) counts against the rate.
        let authed = socket.extensions.get::<Authed>();
        let author = authed
            .as_ref()
            .map(|a| (a.user.id, Some(a.session.as_str())));
        Ok(
            match State::<MessageSink<A>>::from_message_parts(socket, value, ack_id) {
                Ok(State(sink)) => sink.slot(author),
                Err(_) => {
                    tracing::error!("MessageSink missing from the Socket.IO state");
                    Slot {
                        place: Err(Refusal {
                            error: ErrorCode::Internal.into(),
                            flooding: false,
                        }),
                        shared_rate: None,
                    }
                }
            },
        )
    }
}

async fn run<A: Adapter>(
    mut slots: mpsc::Receiver<oneshot::Receiver<Post<A>>>,
    store: SharedStore,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(slot) = slots.recv().await {
        batch.extend(slot.await.ok());
        // Whatever queued up while the last batch was being written goes into one
        // transaction: a busy room pays for one commit per batch, not per message, while a
        // quiet one still writes each message at once.
        while batch.len() < MAX_BATCH
            && let Ok(slot) = slots.try_recv()
        {
            batch.extend(slot.await.ok());
        }
        if !batch.is_empty() {
            write(&store, &mut batch).await;
        }
    }
}

/// Stores the batch, then broadcasts and acks each message in queue order.
async fn write<A: Adapter>(store: &SharedStore, batch: &mut Vec<Post<A>>) {
    let drafts: Vec<Draft<'_>> = batch
        .iter()
        .map(|post| Draft {
            room: &post.message.room,
            author: &post.author,
            client_id: &post.message.client_id,
            body: &post.message.body,
            kind: post.kind,
            target: post.target,
        })
        .collect();
    let began = std::time::Instant::now();
    let results = store.insert_batch(&drafts).await;
    debug_assert_eq!(results.len(), batch.len(), "one result per draft");
    let stored = results
        .iter()
        .filter(|result| {
            matches!(
                result,
                Ok(Inserted {
                    duplicate: false,
                    ..
                })
            )
        })
        .count();
    super::metrics::stored_batch(results.len(), stored, began.elapsed());
    for (
        Post {
            message,
            ack,
            io,
            unknown_mentions,
            ..
        },
        result,
    ) in batch.drain(..).zip(results)
    {
        let answer = match result {
            Ok(Inserted { message, duplicate }) => {
                if duplicate {
                    // Its first ack was lost; the room saw it then, or catches up by SYNC.
                    tracing::debug!(seq = message.seq, "resent message acked again");
                } else {
                    broadcast(&io, &message).await;
                    if message.seq == 1 && dm_members(&message.room).is_some() {
                        // A conversation's first message puts it in both sidebars; off the
                        // writer's path, which waits for nothing but the store.
                        let (store, io, room) = (store.clone(), io.clone(), message.room.clone());
                        tokio::spawn(async move {
                            super::people::announce_new_dm(store.as_ref(), &io, &room).await;
                        });
                    }
                }
                SendAck::Ok(Sent {
                    id: message.id,
                    seq: message.seq,
                    sent_at: message.sent_at,
                    markup: message.markup.clone(),
                    unknown_mentions,
                })
            }
            Err(error) => {
                let code = error.code();
                let room = &message.room;
                if code.is_transient() {
                    tracing::warn!(%room, %error, "message not stored");
                } else {
                    tracing::debug!(%room, %error, "message refused");
                }
                SendAck::Error(code.into())
            }
        };
        ack.send(&answer);
    }
}

/// To the sockets that SYNCed the room, the sender included if it did: its copy then arrives
/// before its ack, both going through its one outgoing queue in this order.
async fn broadcast<A: Adapter>(io: &SocketIo<A>, message: &ChatMessage) {
    // Test-only (feature `fault-injection`, which no release build has): with
    // NATTER_FAULT_SKIP_PUBLISH set the writer commits and acks but broadcasts nothing, as a
    // node that dies between COMMIT and PUBLISH would (tests/cluster.rs).
    #[cfg(feature = "fault-injection")]
    if std::env::var_os("NATTER_FAULT_SKIP_PUBLISH").is_some() {
        return;
    }
    // `io.to` panics once shutdown's `io.close()` has removed the namespace, and the writer
    // may still be draining its queue then.
    let Some(namespace) = io.of("/") else {
        tracing::debug!(seq = message.seq, "shutting down; stored but not broadcast");
        return;
    };
    let to_room = namespace.to(message.room.clone());
    if let Err(error) = to_room.emit(event::CHAT_MESSAGE, message).await {
        super::metrics::broadcast_failed(event::CHAT_MESSAGE, &error);
        // A full or closed client queue: that client catches up by SYNC after its last seq.
        tracing::warn!(seq = message.seq, %error, "broadcast did not reach every client");
    }
}
