//! Server functions: what the UI reads and does over HTTP (and, during SSR, directly) before a
//! Socket.IO session exists, and what plain HTML forms post to. Live updates and catching up
//! still go through Socket.IO. Every function finds the user from the session cookie and
//! checks what they may see, as the Socket.IO events do.

use leptos::prelude::*;
use natter_contract::{Joined, Me, Page};

/// The session's user and their sidebar; `None` when not signed in.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<Me>, ServerFnError> {
    let store = ssr::store()?;
    let Some(user) = ssr::user(&store).await? else {
        return Ok(None);
    };
    let rooms = ssr::answer(crate::server::people::sidebar(store.as_ref(), &user.user).await)?;
    let registration = ssr::config()?.registration;
    let can_invite = ssr::answer(registration.can_invite(store.as_ref(), &user.user).await)?;
    Ok(Some(Me {
        user: user.user,
        has_password: user.password_hash.is_some(),
        rooms,
        can_invite,
    }))
}

/// Joins with a new name (and optionally a password), or signs in to an existing name with
/// its password; sets the session cookie.
#[server(prefix = "/api", endpoint = "join")]
pub async fn join(
    name: String,
    password: Option<String>,
    invite: Option<String>,
) -> Result<Me, ServerFnError> {
    let store = ssr::store()?;
    let (limits, registration) = (ssr::limits()?, ssr::config()?.registration);
    let ip = ssr::client_ip();
    // The invite a new account used, to give back if the account is not made after all.
    let taken = std::sync::Mutex::new(None::<String>);
    let admit = async |name: natter_contract::UserName| {
        limits.admit_account(ip).await?;
        let invite = invite.as_deref();
        let used = registration.admit(store.as_ref(), &name, invite).await?;
        *taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = used;
        Ok(())
    };
    let joined =
        crate::server::people::join_admitted(store.as_ref(), &name, password.as_deref(), admit)
            .await;
    let taken = taken
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let (Err(_), Some(hash)) = (&joined, taken) {
        registration.give_back(store.as_ref(), &hash).await;
    }
    let crate::server::people::Entry {
        user,
        token,
        created,
    } = ssr::answer(joined)?;
    if created {
        // A new name is a new member of #general: a line there says so.
        let kind = natter_contract::MessageKind::Joined;
        ssr::sink()?
            .announce(natter_contract::DEFAULT_ROOM, &user, kind, &ssr::io()?)
            .await;
    }
    ssr::set_cookie(crate::server::auth::session_cookie(&token, ssr::secure()));
    let rooms = ssr::answer(crate::server::people::sidebar(store.as_ref(), &user).await)?;
    let can_invite = ssr::answer(registration.can_invite(store.as_ref(), &user).await)?;
    Ok(Me {
        user,
        has_password: password.is_some_and(|p| !p.is_empty()),
        rooms,
        can_invite,
    })
}

/// A new invite link (`--registration invite`), for an administrator only: good for one new
/// account, or for any number, for `hours` (at most 90 days).
#[server(prefix = "/api", endpoint = "create_invite")]
pub async fn create_invite(
    single_use: bool,
    hours: u32,
) -> Result<natter_contract::Invite, ServerFnError> {
    let store = ssr::store()?;
    let user = ssr::signed_in(&store).await?;
    let registration = ssr::config()?.registration;
    ssr::answer(
        registration
            .invite(store.as_ref(), &user, single_use, hours)
            .await,
    )
}

/// Revokes this session (its sockets are disconnected) and clears the cookie.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    let store = ssr::store()?;
    if let Some(secret) = ssr::token().await {
        let io = ssr::io()?;
        ssr::answer(crate::server::people::sign_out(store.as_ref(), &io, &secret).await)?;
    }
    ssr::set_cookie(crate::server::auth::cleared_cookie(ssr::secure()));
    Ok(())
}

/// The newest `limit` (1..=`MAX_PAGE`) messages of `room`, oldest first: the first screen.
/// `forbidden` for a room the user is not in, whether or not it exists.
#[server(prefix = "/api", endpoint = "recent_messages")]
pub async fn recent_messages(room: String, limit: u32) -> Result<Page, ServerFnError> {
    let request = natter_contract::SyncRequest {
        room,
        after_seq: 0,
        limit: Some(limit),
    };
    let limit = request.validate().map_err(ssr::refused)?;
    let store = ssr::store()?;
    let user = ssr::signed_in(&store).await?;
    ssr::answer(crate::server::people::authorize(store.as_ref(), &user, &request.room).await)?;
    let page = store.latest(&request.room, limit).await;
    page.map_err(|error| ssr::refused(error.code()))
}

/// Posts a message: the composer without JavaScript. The same rules and the same writer as the
/// Socket.IO event; `client_id` is made here when the form has none.
#[server(prefix = "/api", endpoint = "post_message")]
pub async fn post_message(
    room: String,
    body: String,
    client_id: Option<String>,
) -> Result<natter_contract::Sent, ServerFnError> {
    let store = ssr::store()?;
    let user = ssr::signed_in(&store).await?;
    let message = natter_contract::SendMessage {
        room,
        client_id: client_id
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        body,
    };
    message.validate().map_err(ssr::refused)?;
    ssr::answer(crate::server::people::authorize(store.as_ref(), &user, &message.room).await)?;
    let ack = ssr::sink()?.post(message, user, ssr::io()?).await;
    ack.into_result().map_err(|error| ssr::refused(error.code))
}

/// The DM with the user called `name` (created empty if need be): what `/dm/<name>` shows.
#[server(prefix = "/api", endpoint = "open_dm")]
pub async fn open_dm(name: String) -> Result<Joined, ServerFnError> {
    let store = ssr::store()?;
    let user = ssr::signed_in(&store).await?;
    ssr::answer(crate::server::people::open_dm(store.as_ref(), &user, &name).await)
}

/// Joins a public room: the "Join" button, with or without JavaScript.
#[server(prefix = "/api", endpoint = "join_room")]
pub async fn join_room(room: String) -> Result<Joined, ServerFnError> {
    let store = ssr::store()?;
    let user = ssr::signed_in(&store).await?;
    let io = ssr::io()?;
    let sink = ssr::sink()?;
    let joined = crate::server::people::join_room(store.as_ref(), &io, &sink, &user, &room);
    ssr::answer(joined.await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::server::{
        Config, Io, auth,
        store::{Account, SharedStore},
    };
    use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
    use leptos::prelude::*;
    use natter_contract::{ErrorCode, User};

    /// Provided by `server::router` for every page and server function request.
    pub fn store() -> Result<SharedStore, ServerFnError> {
        use_context::<SharedStore>().ok_or_else(|| {
            ServerFnError::new("internal: the message store is not in the Leptos context")
        })
    }

    pub fn sink()
    -> Result<crate::server::sink::MessageSink<crate::server::NodeAdapter>, ServerFnError> {
        use_context().ok_or_else(|| {
            ServerFnError::new("internal: the message writer is not in the Leptos context")
        })
    }

    pub fn limits() -> Result<crate::server::limits::SharedLimits, ServerFnError> {
        use_context()
            .ok_or_else(|| ServerFnError::new("internal: the limits are not in the Leptos context"))
    }

    /// The client's address, as the handshake middleware found it (0.0.0.0 without one).
    pub fn client_ip() -> std::net::IpAddr {
        use_context::<axum::http::request::Parts>().map_or(
            std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            |parts| crate::server::handshakes::ClientIp::of(&parts.extensions),
        )
    }

    pub fn config() -> Result<Config, ServerFnError> {
        use_context().ok_or_else(|| {
            ServerFnError::new("internal: the configuration is not in the Leptos context")
        })
    }

    pub fn io() -> Result<Io, ServerFnError> {
        use_context::<Io>()
            .ok_or_else(|| ServerFnError::new("internal: Socket.IO is not in the Leptos context"))
    }

    /// Whether cookies get `Secure`: the configured public URL is https.
    pub fn secure() -> bool {
        use_context::<Config>().is_some_and(|config| config.is_https())
    }

    /// The session token from the request's cookie.
    pub async fn token() -> Option<String> {
        let headers: HeaderMap = leptos_axum::extract().await.ok()?;
        auth::token_from_headers(&headers)
    }

    /// The account of a valid session, if the request has one.
    pub async fn user(store: &SharedStore) -> Result<Option<Account>, ServerFnError> {
        let Some(secret) = token().await else {
            return Ok(None);
        };
        auth::authenticate(store.as_ref(), &secret)
            .await
            .map_err(|error| refused(error.code()))
    }

    /// The user, or `unauthorized`.
    pub async fn signed_in(store: &SharedStore) -> Result<User, ServerFnError> {
        match user(store).await? {
            Some(account) => Ok(account.user),
            None => Err(refused(ErrorCode::Unauthorized)),
        }
    }

    pub fn set_cookie(cookie: HeaderValue) {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.append_header(header::SET_COOKIE, cookie);
        }
    }

    /// Where the functions above are served (their `prefix`).
    const API_PREFIX: &str = "/api/";

    /// The HTTP status of a refusal: the caller's mistake (4xx) or the server's trouble (5xx).
    pub fn status(code: ErrorCode) -> StatusCode {
        use ErrorCode::*;
        match code {
            EmptyMessage | MessageTooLong | InvalidPayload | SeqOutOfRange | InvalidId
            | InvalidName | InvalidRoomName | TopicTooLong | InvalidPassword => {
                StatusCode::BAD_REQUEST
            }
            Unauthorized | BadCredentials => StatusCode::UNAUTHORIZED,
            Forbidden | InviteRequired | InvalidInvite | RegistrationClosed => {
                StatusCode::FORBIDDEN
            }
            UnknownRoom | UnknownUser | UnknownMessage => StatusCode::NOT_FOUND,
            NameTaken | RoomTaken | MessageDeleted => StatusCode::CONFLICT,
            RateLimited | TooManyAccounts | TooManyRooms | TooManySessions => {
                StatusCode::TOO_MANY_REQUESTS
            }
            NotStored => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn answer<T>(result: Result<T, ErrorCode>) -> Result<T, ServerFnError> {
        result.map_err(refused)
    }

    /// `"<code>: <text>"`, e.g. `"unknown_room: There is no such room."`: the code for the UI
    /// to match on, the text to show as is. A call of the server function answers with the
    /// code's HTTP status; a plain form post (no JavaScript) keeps leptos_axum's redirect back
    /// to its page, and a page that called the function while rendering keeps its own status.
    pub fn refused(code: ErrorCode) -> ServerFnError {
        crate::server::metrics::refused(code);
        let called = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
            // leptos_axum redirects a plain form post back to its page only with a Referer.
            let form_post = parts
                .headers
                .get(header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
                && parts.headers.contains_key(header::REFERER);
            parts.uri.path().starts_with(API_PREFIX) && !form_post
        });
        if let (true, Some(response)) = (called, use_context::<leptos_axum::ResponseOptions>()) {
            response.set_status(status(code));
        }
        ServerFnError::new(format!("{}: {}", code.name(), code.describe()))
    }
}
