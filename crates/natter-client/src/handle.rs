//! The caller's side of a running client: commands go to the driver task over a channel.

use crate::AckError;
use futures::channel::{mpsc, oneshot};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

pub type AckSender = oneshot::Sender<Result<Vec<Value>, AckError>>;

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
    Ack { nsp: String, id: u64, args: Vec<Value> },
    Connect { nsp: String, auth: Option<Value> },
    Disconnect { nsp: String },
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
        self.tx.unbounded_send(command).map_err(|_| EmitError::Stopped)
    }

    /// Fire and forget on the default namespace.
    pub fn emit<T: Serialize>(&self, name: &str, payload: &T) -> Result<(), EmitError> {
        let arg = serde_json::to_value(payload).map_err(|e| EmitError::Serde(e.to_string()))?;
        self.send(Command::Emit {
            nsp: "/".into(),
            name: name.into(),
            args: vec![arg],
            attachments: Vec::new(),
            ack: None,
            volatile: false,
        })
    }

    /// Emit on the default namespace and wait for the server's ack, decoded as `R`.
    pub async fn emit_with_ack<T: Serialize, R: DeserializeOwned>(
        &self,
        name: &str,
        payload: &T,
        timeout_ms: u64,
    ) -> Result<R, EmitError> {
        let arg = serde_json::to_value(payload).map_err(|e| EmitError::Serde(e.to_string()))?;
        let args = self.emit_raw_with_ack("/", name, vec![arg], timeout_ms).await?;
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
        self.send(Command::Emit {
            nsp: nsp.into(),
            name: name.into(),
            args,
            attachments: Vec::new(),
            ack: Some((tx, timeout_ms)),
            volatile: false,
        })?;
        Ok(rx.await.map_err(|_| EmitError::Stopped)??)
    }

    /// Stop the client: no reconnection, the driver task ends.
    pub fn close(&self) {
        let _ = self.tx.unbounded_send(Command::Close);
    }
}
