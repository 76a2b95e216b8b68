//! Server functions: what the UI reads over HTTP (and, during SSR, directly) before a
//! Socket.IO session exists. Live updates and catching up still go through SYNC.

use leptos::prelude::*;
use natter_contract::Page;

/// The newest `limit` (1..=`MAX_PAGE`) messages of `room`, oldest first: the first screen.
#[server(prefix = "/api", endpoint = "recent_messages")]
pub async fn recent_messages(room: String, limit: u32) -> Result<Page, ServerFnError> {
    let request = natter_contract::SyncRequest {
        room,
        after_seq: 0,
        limit: Some(limit),
    };
    let limit = request.validate().map_err(ssr::refused)?;
    let page = ssr::store()?.latest(&request.room, limit).await;
    page.map_err(|error| ssr::refused(error.code()))
}

/// The newest `limit` messages of `room` before `before_seq`, oldest first: scrolling back.
#[server(prefix = "/api", endpoint = "older_messages")]
pub async fn older_messages(
    room: String,
    before_seq: u64,
    limit: u32,
) -> Result<Page, ServerFnError> {
    let request = natter_contract::HistoryRequest {
        room,
        before_seq,
        limit: Some(limit),
    };
    let limit = request.validate().map_err(ssr::refused)?;
    let page = ssr::store()?
        .before(&request.room, request.before_seq, limit)
        .await;
    page.map_err(|error| ssr::refused(error.code()))
}

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::*;
    use natter_contract::ErrorCode;

    use crate::server::store::SharedStore;

    /// Provided by `server::router` for every page and server function request.
    pub fn store() -> Result<SharedStore, ServerFnError> {
        use_context::<SharedStore>().ok_or_else(|| {
            ServerFnError::new("internal: the message store is not in the Leptos context")
        })
    }

    /// `"<code>: <text>"`, e.g. `"unknown_room: There is no such room."`: the code for the UI
    /// to match on, the text to show as is.
    pub fn refused(code: ErrorCode) -> ServerFnError {
        let name = serde_json::to_value(code)
            .ok()
            .and_then(|name| name.as_str().map(str::to_owned))
            .unwrap_or_default();
        ServerFnError::new(format!("{name}: {}", code.describe()))
    }
}
