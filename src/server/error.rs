//! Errors of the HTTP side and of startup.

use std::{io, net::SocketAddr};

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

/// A request the server refuses before it reaches Socket.IO or Leptos.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cross-origin request refused")]
    ForbiddenOrigin,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = match self {
            HttpError::ForbiddenOrigin => StatusCode::FORBIDDEN,
        };
        (status, self.to_string()).into_response()
    }
}

/// Why the server could not start or stopped abnormally; `main` prints it and exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not read the Leptos configuration: {0}")]
    LeptosConfig(#[from] leptos::config::errors::LeptosConfigError),
    #[error("could not open the message store: {0}")]
    Store(#[from] super::store::OpenError),
    #[error("the Socket.IO adapter did not start: {0}")]
    Adapter(String),
    #[error("could not join the cluster through Redis: {0}")]
    Redis(String),
    #[error("could not listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] io::Error),
}
