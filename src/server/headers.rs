//! Headers every response carries: no MIME sniffing, no referrer to the sites messages link
//! to, no framing (clickjacking), no powerful browser features, and HSTS behind https. A
//! Content-Security-Policy needs a nonce per page and is not here yet (issue 12).
//!
//! The referrer is kept for Natter's own pages (`same-origin`, not `no-referrer`): a plain
//! form post to a server function is redirected back to its `Referer`, and without it the
//! no-JavaScript join and post stopped on the function's bare answer (e2e).

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

const FIXED: [(HeaderName, HeaderValue); 4] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    ),
];

/// A year, the figure HSTS preload lists ask for.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

/// The middleware; `https` is whether the configured public URL is https.
pub async fn secure(State(https): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in FIXED {
        headers.entry(name).or_insert(value);
    }
    if https {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HSTS);
    }
    response
}
