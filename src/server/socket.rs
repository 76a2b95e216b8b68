//! The Socket.IO side: engine limits and the event handlers of the "/" namespace.

use natter_contract::{
    Ack, AckError, ErrorCode, HistoryRequest, JsonObject, Page, SendAck, SendMessage, SyncRequest,
    User, event,
};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use socketioxide::{
    ParserConfig, SocketIo, SocketIoBuilder, TransportType,
    adapter::Adapter,
    extract::{AckSender, Event, Extension, SocketRef, State, TryData},
    handler::ConnectHandler,
    layer::SocketIoLayer,
    socket::DisconnectReason,
};
use socketioxide_core::adapter::DefinedAdapter;

use super::{
    SOCKET_IO_PATH, auth,
    config::{Config, Transports},
    events,
    handshakes::ClientIp,
    limits::{Connection, SharedLimits},
    live::{self, SharedLive},
    people::{self, session_channel, user_channel},
    sink::{MessageSink, Post, Reply, Slot},
    store::SharedStore,
};

/// Who a socket belongs to, set by [`authenticate`] before any handler runs.
#[derive(Debug, Clone)]
pub struct Authed {
    pub user: User,
    /// The session's token hash.
    pub session: String,
}

/// The CONNECT `auth` payload a non-browser client may send instead of the cookie.
#[derive(Debug, Default, Deserialize)]
struct ConnectAuth {
    #[serde(default)]
    token: Option<String>,
}

/// Why a CONNECT was refused; the text is the CONNECT_ERROR's `message`.
#[derive(Debug, thiserror::Error)]
pub enum ConnectRefused {
    /// No session, or one that expired or was revoked: the page shows the join form.
    #[error("unauthorized")]
    Unauthorized,
    #[error("internal")]
    Internal,
    /// The session flooded past the message rate a moment ago.
    #[error("rate_limited")]
    RateLimited,
    /// The user, or the address, has as many connections open as allowed.
    #[error("too_many_sessions")]
    TooManySessions,
}

/// Packets queued per client before emits to it fail. socketioxide's 128 is easily filled by a
/// polling client between two requests while a busy room chats; a full buffer makes the next
/// ping fail and drops the client.
const MAX_BUFFER_SIZE: usize = 1024;

/// Each WebSocket keeps a read buffer of this size for its whole life. Chat frames are small
/// (a 4,000-character message is ~16 KB at most and the buffer grows for it), while idle
/// connections are the common case: 1 KiB instead of engineioxide's 4 KiB saved ~3 KB per
/// connection in `make bench` (BENCHMARKS.md, "Where the memory goes").
const WS_READ_BUFFER: usize = 1024;

/// Natter sends no binary events, so attachments are refused beyond a token allowance rather
/// than buffered up to socketioxide's defaults (10 MB, 10,000 attachments).
const MAX_INCOMING_BINARIES: usize = 1;
const MAX_BINARY_BYTES: usize = 4 * 1024;

/// Event names are attacker-chosen; this much is enough to recognise one in a log.
const LOGGED_EVENT_CHARS: usize = 64;

/// An adapter's start-up, awaited before the node serves: in a cluster, once it has subscribed
/// to its channels; not serving before then is what keeps a node from missing its peers'
/// broadcasts (`cluster.rs` implements it).
pub trait AdapterInit: Send {
    fn ready(self) -> impl Future<Output = Result<(), String>> + Send;
}

/// Builds the Socket.IO layer on adapter `A` (with its `state`) and registers Natter's
/// handlers on "/", once the adapter is ready. Other namespaces are never registered, so
/// socketioxide refuses them with a CONNECT_ERROR.
pub async fn layer<A: Adapter + DefinedAdapter>(
    config: &Config,
    store: SharedStore,
    sink: MessageSink<A>,
    live: SharedLive,
    limits: SharedLimits,
    state: A::State,
) -> Result<(SocketIoLayer<A>, SocketIo<A>), String>
where
    A::InitRes: AdapterInit,
{
    let max_message = usize::try_from(config.max_payload).unwrap_or(usize::MAX);
    let builder = SocketIo::builder()
        .with_adapter::<A>(state)
        .req_path(SOCKET_IO_PATH)
        // Polling bodies (413 beyond it) and WebSocket messages/frames are limited separately
        // by socketioxide; one limit for all keeps a client from picking the laxer transport.
        .max_payload(config.max_payload)
        .ws_max_message_size(max_message)
        .ws_max_frame_size(max_message)
        .max_buffer_size(MAX_BUFFER_SIZE)
        .ws_read_buffer_size(WS_READ_BUFFER)
        .ping_interval(config.ping_interval)
        .ping_timeout(config.ping_timeout)
        .with_parser(
            ParserConfig::common()
                .max_incoming_binaries(MAX_INCOMING_BINARIES)
                .max_incoming_binary_buf_size(MAX_BINARY_BYTES),
        )
        .with_state(sink)
        .with_state(live)
        .with_state(limits)
        .with_state(store);
    let (layer, io) = with_transports(builder, config.transports).build_layer();
    io.ns("/", on_connect::<A>.with(authenticate::<A>))
        .ready()
        .await?;
    Ok((layer, io))
}

fn with_transports<A: Adapter>(
    builder: SocketIoBuilder<A>,
    transports: Transports,
) -> SocketIoBuilder<A> {
    match (transports.polling, transports.websocket) {
        (true, false) => builder.transports([TransportType::Polling]),
        (false, true) => builder.transports([TransportType::Websocket]),
        _ => builder.transports([TransportType::Polling, TransportType::Websocket]),
    }
}

/// Runs as connect middleware, which socketioxide awaits before it sends the CONNECT ack,
/// whereas the connect handler is spawned after it: handlers attached there could miss an
/// event a fast client sends as soon as it sees the ack.
///
/// The session comes from the cookie the browser sent with the handshake, or from the CONNECT
/// `auth` payload (`{"token": …}`) of a client that holds no cookies.
async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    TryData(auth): TryData<ConnectAuth>,
    State(store): State<SharedStore>,
    State(live): State<SharedLive>,
    State(sink): State<MessageSink<A>>,
    State(limits): State<SharedLimits>,
) -> Result<(), ConnectRefused> {
    let secret = auth
        .ok()
        .and_then(|auth| auth.token)
        .or_else(|| auth::token_from_headers(&socket.req_parts().headers))
        .ok_or(ConnectRefused::Unauthorized)?;
    let hash = auth::hash_token(&secret);
    if sink.cooling_off(&hash) {
        return Err(ConnectRefused::RateLimited);
    }
    let account = match auth::authenticate(store.as_ref(), &secret).await {
        Ok(Some(account)) => account,
        Ok(None) => return Err(ConnectRefused::Unauthorized),
        Err(error) => {
            tracing::warn!(%error, "could not check a session");
            return Err(ConnectRefused::Internal);
        }
    };
    let ip = ClientIp::of(&socket.req_parts().extensions);
    let connection = limits
        .connect(account.user.id, ip)
        .map_err(|_| ConnectRefused::TooManySessions)?;
    // Counted until the socket goes (`on_disconnect` drops it).
    socket.extensions.insert(Arc::new(connection));
    // The user's channel carries sidebar and marker updates to every tab; the session's is
    // how signing out reaches this socket.
    socket.join([user_channel(account.user.id), session_channel(&hash)]);
    live::attach(&socket, &live, &account.user);
    socket.extensions.insert(Authed {
        user: account.user,
        session: hash,
    });
    socket.on(event::CHAT_MESSAGE, on_chat_message::<A>);
    socket.on(event::SYNC, on_sync::<A>);
    socket.on(event::HISTORY, on_history::<A>);
    socket.on(event::SYNC_ROOMS, super::sync::on_sync_rooms::<A>);
    super::edits::attach(&socket);
    events::attach(&socket);
    socket.on_fallback(on_unknown_event::<A>);
    socket.on_disconnect(on_disconnect::<A>);
    Ok(())
}

async fn on_connect<A: Adapter>(socket: SocketRef<A>, Extension(authed): Extension<Authed>) {
    let user = authed.user.id;
    tracing::info!(sid = %socket.id, user, transport = ?socket.transport_type(), "user connected");
}

async fn on_disconnect<A: Adapter>(
    socket: SocketRef<A>,
    reason: DisconnectReason,
    State(live): State<SharedLive>,
) {
    tracing::info!(sid = %socket.id, %reason, "user disconnected");
    socket.extensions.remove::<Arc<Connection>>();
    if let Some(authed) = socket.extensions.get::<Authed>() {
        live::detach(&socket, &live, &authed.user).await;
    }
}

async fn on_chat_message<A: Adapter>(
    socket: SocketRef<A>,
    TryData(payload): TryData<JsonObject<SendMessage>>,
    ack: AckSender<A>,
    io: SocketIo<A>,
    slot: Slot<A>,
    Extension(authed): Extension<Authed>,
    State(store): State<SharedStore>,
) {
    if let Some(error) = over_rate(&socket, &slot) {
        return reply(ack, &SendAck::Error(error));
    }
    let message = match payload {
        Ok(JsonObject(message)) => message,
        Err(error) => {
            tracing::debug!(sid = %socket.id, %error, "unreadable chat message");
            return refuse(ack, ErrorCode::InvalidPayload);
        }
    };
    if let Err(code) = message.validate() {
        return refuse(ack, code);
    }
    let write = Write {
        message,
        kind: natter_contract::MessageKind::Message,
        target: None,
    };
    submit(&socket, &store, slot, authed.user, ack, io, write).await;
}

/// The message's refusal if its author was over the rate as it arrived, checked before its
/// payload is even read; a flooding socket is disconnected (said once: the frames it sent
/// before it was cut off are still answered).
pub(super) fn over_rate<A: Adapter>(socket: &SocketRef<A>, slot: &Slot<A>) -> Option<AckError> {
    let refusal = slot.refusal()?;
    if refusal.flooding && socket.connected() {
        let user = socket.extensions.get::<Authed>().map(|a| a.user.id);
        tracing::warn!(?user, sid = %socket.id, "flooding past the message rate; disconnecting");
        if let Err(error) = socket.clone().disconnect() {
            tracing::debug!(%error, "could not disconnect a flooding socket");
        }
    }
    Some(refusal.error.clone())
}

/// What a user asks the writer to store: a message, or an edit or delete of `target`.
pub(super) struct Write {
    pub message: SendMessage,
    pub kind: natter_contract::MessageKind,
    pub target: Option<u64>,
}

/// Hands a validated write to the writer if its author may write in its room; whether an
/// edit's target is theirs is the store's to check, in the transaction that changes it.
pub(super) async fn submit<A: Adapter>(
    socket: &SocketRef<A>,
    store: &SharedStore,
    slot: Slot<A>,
    author: User,
    ack: AckSender<A>,
    io: SocketIo<A>,
    write: Write,
) {
    if let Err(code) = authorize(socket, store, &author, &write.message.room).await {
        return refuse(ack, code);
    }
    let unknown_mentions = people::unknown_mentions(store.as_ref(), &write.message).await;
    let post = Post {
        message: write.message,
        kind: write.kind,
        target: write.target,
        author,
        ack: Reply::Socket(ack),
        io,
        unknown_mentions,
    };
    if let Err((error, reply)) = slot.fill(post).await {
        reply.send(&SendAck::Error(error));
    }
}

/// [`people::authorize`], skipped for a room this socket has already been let into: the
/// socket's channels are exactly the rooms it was authorized for (leaving a room takes the
/// user's sockets out of it), and the writer waits for this check in arrival order.
async fn authorize<A: Adapter>(
    socket: &SocketRef<A>,
    store: &SharedStore,
    user: &User,
    room: &str,
) -> Result<(), ErrorCode> {
    if socket.rooms().iter().any(|joined| **joined == *room) {
        return Ok(());
    }
    people::authorize(store.as_ref(), user, room).await
}

/// Subscribes the socket to the room's live messages and answers with those after `after_seq`.
async fn on_sync<A: Adapter>(
    socket: SocketRef<A>,
    TryData(payload): TryData<JsonObject<SyncRequest>>,
    ack: AckSender<A>,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(payload, ack, |request| {
        sync(&socket, request, &store, &authed.user)
    })
    .await;
}

async fn sync<A: Adapter>(
    socket: &SocketRef<A>,
    request: SyncRequest,
    store: &SharedStore,
    user: &User,
) -> Result<Page, ErrorCode> {
    let limit = request.validate()?;
    authorize(socket, store, user, &request.room).await?;
    // Refused before joining, so a failed SYNC never subscribes.
    if request.after_seq > store.latest_seq(&request.room).await? {
        return Err(ErrorCode::SeqOutOfRange);
    }
    // Join first, read second: a message committed in between is then both in the page and
    // broadcast (the client drops the copy by seq) instead of in neither.
    let was_member = socket.rooms().iter().any(|room| *room == *request.room);
    socket.join(request.room.clone());
    let page = store.after(&request.room, request.after_seq, limit).await;
    if page.is_err() && !was_member {
        socket.leave(request.room.clone());
    }
    page.map_err(ErrorCode::from)
}

/// Older messages, for scrolling back; subscribes to nothing.
async fn on_history<A: Adapter>(
    socket: SocketRef<A>,
    TryData(payload): TryData<JsonObject<HistoryRequest>>,
    ack: AckSender<A>,
    State(store): State<SharedStore>,
    Extension(authed): Extension<Authed>,
) {
    respond(payload, ack, |request| {
        history(&socket, request, &store, &authed.user)
    })
    .await;
}

async fn history<A: Adapter>(
    socket: &SocketRef<A>,
    request: HistoryRequest,
    store: &SharedStore,
    user: &User,
) -> Result<Page, ErrorCode> {
    let limit = request.validate()?;
    authorize(socket, store, user, &request.room).await?;
    let page = store.before(&request.room, request.before_seq, limit).await;
    page.map_err(ErrorCode::from)
}

/// Any event Natter does not define; acked as an error so a client waiting on it fails fast.
async fn on_unknown_event<A: Adapter>(socket: SocketRef<A>, Event(name): Event, ack: AckSender<A>) {
    let name: String = name.chars().take(LOGGED_EVENT_CHARS).collect();
    tracing::debug!(sid = %socket.id, event = ?name, "unknown event");
    refuse(ack, ErrorCode::InvalidPayload);
}

/// Sends the error ack; does nothing when the client did not ask for one.
pub(super) fn refuse<A: Adapter>(ack: AckSender<A>, code: ErrorCode) {
    reply(ack, &SendAck::Error(code.into()));
}

/// Answers `ack` with what `handle` makes of the payload, or with `invalid_payload` when the
/// payload does not match the contract: every event handler that takes a payload ends here.
pub(super) async fn respond<A: Adapter, T, R, E, Fut>(
    payload: Result<JsonObject<T>, E>,
    ack: AckSender<A>,
    handle: impl FnOnce(T) -> Fut,
) where
    R: Serialize,
    Fut: Future<Output = Result<R, ErrorCode>>,
{
    let answer = match payload {
        Ok(JsonObject(request)) => handle(request).await,
        Err(_) => Err(ErrorCode::InvalidPayload),
    };
    reply(ack, &Ack::from(answer));
}

pub(super) fn reply<A: Adapter, T: Serialize>(ack: AckSender<A>, answer: &Ack<T>) {
    if let Ack::Error(error) = answer {
        super::metrics::refused(error.code);
    }
    if let Err(error) = ack.send(answer) {
        tracing::debug!(%error, "could not send an ack");
    }
}
