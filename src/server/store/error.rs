//! How the store fails. Callers decide by [`StoreError`]'s variant (each maps to an ack's
//! [`ErrorCode`]); what the database driver said is kept opaque inside [`BackendError`], so a
//! handler, a test or another backend never depends on sqlx's types.

use std::{fmt, io, path::PathBuf, sync::Arc};

use natter_contract::ErrorCode;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("no such room")]
    UnknownRoom,
    #[error("the name, or one that looks like it, is taken")]
    NameTaken,
    #[error("a room with that name exists")]
    RoomTaken,
    #[error("no such user")]
    UnknownUser,
    #[error("seq or page size out of range")]
    SeqOutOfRange,
    /// An edit or delete aimed at no message (a seq that is no message's, or a system line).
    #[error("no such message")]
    UnknownMessage,
    /// An edit or delete of someone else's message.
    #[error("not the author's message")]
    Forbidden,
    #[error("the message was deleted")]
    MessageDeleted,
    /// The write did not happen (locked, disk full, connection lost); retrying may succeed.
    /// Cheap to clone: one failed transaction answers every message of its batch.
    #[error("the message was not stored: {0}")]
    NotStored(#[source] BackendError),
    #[error("the store could not be read: {0}")]
    Read(#[source] BackendError),
}

impl StoreError {
    pub fn not_stored(error: impl Into<BackendError>) -> Self {
        StoreError::NotStored(error.into())
    }

    pub fn read(error: impl Into<BackendError>) -> Self {
        StoreError::Read(error.into())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::UnknownRoom => ErrorCode::UnknownRoom,
            StoreError::NameTaken => ErrorCode::NameTaken,
            StoreError::RoomTaken => ErrorCode::RoomTaken,
            StoreError::UnknownUser => ErrorCode::UnknownUser,
            StoreError::SeqOutOfRange => ErrorCode::SeqOutOfRange,
            StoreError::UnknownMessage => ErrorCode::UnknownMessage,
            StoreError::Forbidden => ErrorCode::Forbidden,
            StoreError::MessageDeleted => ErrorCode::MessageDeleted,
            StoreError::NotStored(_) => ErrorCode::NotStored,
            StoreError::Read(_) => ErrorCode::Internal,
        }
    }
}

impl From<StoreError> for ErrorCode {
    fn from(error: StoreError) -> Self {
        error.code()
    }
}

/// What went wrong below the store, for logs. Only the store's own code looks inside (to tell
/// a broken constraint from a locked database).
#[derive(Debug, Clone)]
pub struct BackendError(Arc<Cause>);

#[derive(Debug)]
enum Cause {
    Driver(sqlx::Error),
    Other(String),
}

impl BackendError {
    /// A failure in words: a broken invariant, or a fault a test injects.
    pub fn new(message: impl Into<String>) -> Self {
        BackendError(Arc::new(Cause::Other(message.into())))
    }

    /// The driver's error, for the store's decisions.
    pub(super) fn driver(&self) -> Option<&sqlx::Error> {
        match &*self.0 {
            Cause::Driver(error) => Some(error),
            Cause::Other(_) => None,
        }
    }
}

impl From<sqlx::Error> for BackendError {
    fn from(error: sqlx::Error) -> Self {
        BackendError(Arc::new(Cause::Driver(error)))
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Cause::Driver(error) => error.fmt(f),
            Cause::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.driver()?.source()
    }
}

/// Why the store could not be opened at startup.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: io::Error },
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] BackendError),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] BackendError),
    /// The database holds a migration this build does not have: a newer Natter wrote it, and
    /// running on it could misread or damage what that version stored.
    #[error(
        "the database was written by a newer Natter: it has migration {version}, which this \
         build does not know. Run that newer version, or restore a backup made before the \
         upgrade (see the README's \"Backups\")"
    )]
    NewerDatabase { version: i64 },
}

impl From<sqlx::Error> for OpenError {
    fn from(error: sqlx::Error) -> Self {
        OpenError::Connect(error.into())
    }
}

impl From<sqlx::migrate::MigrateError> for OpenError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        match error {
            sqlx::migrate::MigrateError::VersionMissing(version) => {
                OpenError::NewerDatabase { version }
            }
            error => OpenError::Migrate(BackendError::new(error.to_string())),
        }
    }
}
