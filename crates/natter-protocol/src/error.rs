/// Why a frame, payload or packet could not be decoded. Decoders return this; they never panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty packet")]
    Empty,
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    #[error("invalid base64 in binary packet")]
    Base64,
    #[error("invalid handshake: {0}")]
    Handshake(String),
    #[error("invalid namespace")]
    Namespace,
    #[error("invalid ack id")]
    AckId,
    #[error("invalid attachment count")]
    AttachmentCount,
    #[error("too many attachments ({0})")]
    TooManyAttachments(usize),
    #[error("attachment too large ({0} bytes)")]
    AttachmentTooLarge(usize),
    #[error("invalid JSON payload: {0}")]
    Json(String),
    #[error("invalid payload for packet type")]
    InvalidPayload,
    #[error("invalid binary attachment placeholder")]
    Placeholder,
    #[error("unexpected binary attachment")]
    UnexpectedBinary,
    #[error("text packet received while waiting for binary attachments")]
    UnexpectedText,
}
