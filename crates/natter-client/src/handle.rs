//! The caller's side of a running client: commands go to the driver task over a channel.

use crate::AckError;
use futures::channel::{mpsc, oneshot};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

pub type AckSender = oneshot::Sender<Result<Vec<Value>, AckError>>;
/// Like [`AckSender`], keeping the ack's binary attachments.
pub type ReplySender = oneshot::Sender<Result<AckReply, AckError>>;

/// What the server acked with: JSON arguments, binary ones as placeholders
/// (`{"_placeholder":true,"num":i}`) whose bytes are `attachments[i]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AckReply {
    pub args: Vec<Value>,
    pub attachments: Vec<Vec<u8>>,
}

#[derive(Debug)]
pub enum Command {
    Emit {
        nsp: String,
        name: String,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        /// With the ack timeout in ms.
        ack: Option<(AckSender, u64)>,
        volatile: bool,
    },
    /// An emit with the options [`Command::Emit`] lacks: the reply's attachments, and the
    /// retry queue.
    EmitWith {
        nsp: String,
        name: String,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        ack: Option<ReplySender>,
        /// How long an ack (with `reliable`: one try) may take. `None` takes the config's
        /// `ack_timeout_ms`; without that, a reliable emit waits (resent after each
        /// reconnect) and any other waits [`DEFAULT_ACK_TIMEOUT_MS`].
        timeout_ms: Option<u64>,
        /// At least once, through the retry queue (socket.io-client `retries`): the server must
        /// ack, and may see the event more than once.
        reliable: bool,
    },
    Ack {
        nsp: String,
        id: u64,
        args: Vec<Value>,
    },
    /// An ack with binary attachments (BINARY_ACK).
    AckBinary {
        nsp: String,
        id: u64,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
    },
    Connect {
        nsp: String,
        auth: Option<Value>,
    },
    Disconnect {
        nsp: String,
    },
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    #[error(transparent)]
    Ack(#[from] AckError),
    #[error("the client has stopped")]
    Stopped,
    #[error("could not encode or decode the payload: {0}")]
    Serde(String),
}

/// Cheap to clone; every clone talks to the same connection.
#[derive(Debug, Clone)]
pub struct Handle {
    pub(crate) tx: mpsc::UnboundedSender<Command>,
}

impl Handle {
    pub fn send(&self, command: Command) -> Result<(), EmitError> {
        self.tx
            .unbounded_send(command)
            .map_err(|_| EmitError::Stopped)
    }

    /// Fire and forget on the default namespace.
    pub fn emit<T: Serialize>(&self, name: &str, payload: &T) -> Result<(), EmitError> {
        let arg = serde_json::to_value(payload).map_err(|e| EmitError::Serde(e.to_string()))?;
        self.emit_raw("/", name, vec![arg], Vec::new())
    }

    /// Emit on the default namespace and wait for the server's ack, decoded as `R`.
    pub async fn emit_with_ack<T: Serialize, R: DeserializeOwned>(
        &self,
        name: &str,
        payload: &T,
        timeout_ms: u64,
    ) -> Result<R, EmitError> {
        let arg = serde_json::to_value(payload).map_err(|e| EmitError::Serde(e.to_string()))?;
        let args = self
            .emit_raw_with_ack("/", name, vec![arg], timeout_ms)
            .await?;
        let first = args.into_iter().next().unwrap_or(Value::Null);
        serde_json::from_value(first).map_err(|e| EmitError::Serde(e.to_string()))
    }

    /// Emit raw JSON arguments and wait for the ack's arguments.
    pub async fn emit_raw_with_ack(
        &self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        timeout_ms: u64,
    ) -> Result<Vec<Value>, EmitError> {
        let (tx, rx) = oneshot::channel();
        let ack = Some((tx, timeout_ms));
        self.send_emit(nsp, name, args, Vec::new(), ack, false)?;
        Ok(rx.await.map_err(|_| EmitError::Stopped)??)
    }

    /// Fire and forget, with binary attachments (`args` hold their placeholders).
    pub fn emit_raw(
        &self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
    ) -> Result<(), EmitError> {
        self.send_emit(nsp, name, args, attachments, None, false)
    }

    /// Sent only if the transport can take it right now; never buffered or retried.
    pub fn emit_volatile(&self, nsp: &str, name: &str, args: Vec<Value>) -> Result<(), EmitError> {
        self.send_emit(nsp, name, args, Vec::new(), None, true)
    }

    /// A [`Command::Emit`].
    fn send_emit(
        &self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        ack: Option<(AckSender, u64)>,
        volatile: bool,
    ) -> Result<(), EmitError> {
        self.send(Command::Emit {
            nsp: nsp.into(),
            name: name.into(),
            args,
            attachments,
            ack,
            volatile,
        })
    }

    /// Emit (binary allowed) and wait for the ack, binary attachments included.
    pub async fn emit_binary_with_ack(
        &self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        timeout_ms: u64,
    ) -> Result<AckReply, EmitError> {
        self.emit_with(nsp, name, args, attachments, Some(timeout_ms), false)
            .await
    }

    /// Emit on the default namespace at least once (the retry queue; see
    /// [`Command::EmitWith`]) and decode the ack as `R`. Tries, and the timeout of each, come
    /// from `ClientConfig::retries` and `ClientConfig::ack_timeout_ms`.
    pub async fn emit_reliable<T: Serialize, R: DeserializeOwned>(
        &self,
        name: &str,
        payload: &T,
    ) -> Result<R, EmitError> {
        let arg = serde_json::to_value(payload).map_err(|e| EmitError::Serde(e.to_string()))?;
        let reply = self
            .emit_raw_reliable("/", name, vec![arg], Vec::new())
            .await?;
        let first = reply.args.into_iter().next().unwrap_or(Value::Null);
        serde_json::from_value(first).map_err(|e| EmitError::Serde(e.to_string()))
    }

    /// [`Handle::emit_reliable`] with raw arguments, any namespace, binary allowed.
    pub async fn emit_raw_reliable(
        &self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
    ) -> Result<AckReply, EmitError> {
        self.emit_with(nsp, name, args, attachments, None, true)
            .await
    }

    async fn emit_with(
        &self,
        nsp: &str,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        timeout_ms: Option<u64>,
        reliable: bool,
    ) -> Result<AckReply, EmitError> {
        let (tx, rx) = oneshot::channel();
        let (nsp, name) = (nsp.into(), name.into());
        self.send(Command::EmitWith {
            nsp,
            name,
            args,
            attachments,
            ack: Some(tx),
            timeout_ms,
            reliable,
        })?;
        Ok(rx.await.map_err(|_| EmitError::Stopped)??)
    }

    /// Answer an [`Event::Event`](crate::Event::Event) that came with an `ack_id`.
    pub fn ack(&self, nsp: &str, id: u64, args: Vec<Value>) -> Result<(), EmitError> {
        self.send(Command::Ack {
            nsp: nsp.into(),
            id,
            args,
        })
    }

    /// [`Handle::ack`] with binary attachments.
    pub fn ack_binary(
        &self,
        nsp: &str,
        id: u64,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
    ) -> Result<(), EmitError> {
        self.send(Command::AckBinary {
            nsp: nsp.into(),
            id,
            args,
            attachments,
        })
    }

    /// Join a namespace (again, after a CONNECT_ERROR or a server disconnect).
    pub fn connect(&self, nsp: &str, auth: Option<Value>) -> Result<(), EmitError> {
        self.send(Command::Connect {
            nsp: nsp.into(),
            auth,
        })
    }

    /// Leave a namespace; leaving the last one closes the connection.
    pub fn disconnect(&self, nsp: &str) -> Result<(), EmitError> {
        self.send(Command::Disconnect { nsp: nsp.into() })
    }

    /// Stop the client: no reconnection, the driver task ends once what was queued is out.
    pub fn close(&self) {
        let _ = self.tx.unbounded_send(Command::Close);
    }
}

/// The ack timeout for [`Command::EmitWith`] when neither the command nor the config has one.
pub const DEFAULT_ACK_TIMEOUT_MS: u64 = 20_000;
