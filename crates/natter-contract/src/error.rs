use serde::{Deserialize, Serialize};

/// Machine-readable reasons a request was refused; the UI turns them into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    EmptyMessage,
    MessageTooLong,
    InvalidPayload,
    UnknownRoom,
    /// A `seq` beyond the room's newest, or a page size outside 1..=MAX_PAGE.
    SeqOutOfRange,
    /// A `client_id` that is not a UUID.
    InvalidId,
    /// The store could not write (locked, disk full, down): the message was NOT stored and the
    /// client must keep it and retry.
    NotStored,
    Internal,
    /// A user name outside the rules of [`crate::user_name`].
    InvalidName,
    /// A new public room name outside the rules of [`crate::new_room_name`].
    InvalidRoomName,
    TopicTooLong,
    InvalidPassword,
    /// No valid session: sign in (or join) first.
    Unauthorized,
    /// Not yours to read or write. Says nothing about whether the thing exists.
    Forbidden,
    /// The name, or one that looks the same, belongs to someone else.
    NameTaken,
    /// Sign-in with a name and password that do not match.
    BadCredentials,
    RoomTaken,
    /// A DM with a user who does not exist.
    UnknownUser,
    /// More messages than the user's rate allows: not stored; the ack's `retry_after_ms` says
    /// when to send again, and the outbox waits that long.
    RateLimited,
    /// An edit or delete of a message that does not exist (or is not a message).
    UnknownMessage,
    /// An edit or delete of a message already deleted.
    MessageDeleted,
    /// More new accounts from one address than the hour allows.
    TooManyAccounts,
    /// More new rooms by one user than the hour allows.
    TooManyRooms,
    /// More connections open at once, by one user or from one address, than allowed: a CONNECT
    /// refused with this as its message.
    TooManySessions,
    /// A new name on a server that admits new people by invite only (`--registration invite`).
    InviteRequired,
    /// An invite that does not exist, expired, or was used up.
    InvalidInvite,
    /// A new name on a server that admits nobody new (`--registration closed`).
    RegistrationClosed,
}

impl ErrorCode {
    /// Text shown to the user.
    pub fn describe(self) -> &'static str {
        match self {
            ErrorCode::EmptyMessage => "An empty message was not sent.",
            ErrorCode::MessageTooLong => "That message is too long (4,000 characters at most).",
            ErrorCode::InvalidPayload => "The server could not read that request.",
            ErrorCode::UnknownRoom => "There is no such room.",
            ErrorCode::SeqOutOfRange => "That part of the history does not exist.",
            ErrorCode::InvalidId => "The message id is malformed.",
            ErrorCode::NotStored => "The server could not store the message; it will be retried.",
            ErrorCode::Internal => "The server failed to handle that request; try again.",
            ErrorCode::InvalidName => "Names are 2–24 letters, digits, _ . or -.",
            ErrorCode::InvalidRoomName => "Room names are 1–32 characters: a–z, 0–9 and -.",
            ErrorCode::TopicTooLong => "Topics are at most 200 characters.",
            ErrorCode::InvalidPassword => "Passwords are 8–128 characters.",
            ErrorCode::Unauthorized => "You are not signed in.",
            ErrorCode::Forbidden => "That is not yours to see or change.",
            ErrorCode::NameTaken => "That name, or one that looks like it, is taken.",
            ErrorCode::BadCredentials => "That name and password do not match.",
            ErrorCode::RoomTaken => "A room with that name already exists.",
            ErrorCode::UnknownUser => "There is nobody by that name.",
            ErrorCode::RateLimited => "Slow down: too many messages at once; they will follow.",
            ErrorCode::UnknownMessage => "There is no such message.",
            ErrorCode::MessageDeleted => "That message was deleted.",
            ErrorCode::TooManyAccounts => {
                "Too many new accounts from your address this hour; try again later."
            }
            ErrorCode::TooManyRooms => "You have created enough rooms for this hour; try later.",
            ErrorCode::TooManySessions => {
                "Too many windows are connected at once; close one and reload this page."
            }
            ErrorCode::InviteRequired => {
                "New names need an invite link here; ask an administrator for one."
            }
            ErrorCode::InvalidInvite => "That invite link has expired or was already used.",
            ErrorCode::RegistrationClosed => {
                "This server admits no new names; existing users can sign in with their password."
            }
        }
    }

    /// The code as the wire spells it (`"unknown_room"`): its serde name, so the two never
    /// differ.
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => name,
            _ => format!("{self:?}"),
        }
    }

    /// Whether sending the same thing again may succeed: such messages stay in the outbox.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::NotStored | ErrorCode::Internal | ErrorCode::RateLimited
        )
    }
}

/// An error carried in an ack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckError {
    pub code: ErrorCode,
    pub message: String,
    /// How long to wait before trying again, for a refusal that says so (`rate_limited`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl AckError {
    /// `code`, to be tried again after `ms`.
    pub fn retry_after(code: ErrorCode, ms: u64) -> Self {
        AckError {
            retry_after_ms: Some(ms),
            ..AckError::from(code)
        }
    }
}

impl From<ErrorCode> for AckError {
    fn from(code: ErrorCode) -> Self {
        AckError {
            code,
            message: code.describe().to_owned(),
            retry_after_ms: None,
        }
    }
}

/// Every ack is `{"ok": …}` or `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ack<T> {
    Ok(T),
    Error(AckError),
}

impl<T> Ack<T> {
    /// The one place an ack becomes a `Result`.
    pub fn into_result(self) -> Result<T, AckError> {
        match self {
            Ack::Ok(value) => Ok(value),
            Ack::Error(error) => Err(error),
        }
    }
}

impl<T> From<Result<T, ErrorCode>> for Ack<T> {
    fn from(result: Result<T, ErrorCode>) -> Self {
        match result {
            Ok(value) => Ack::Ok(value),
            Err(code) => Ack::Error(code.into()),
        }
    }
}
