//! Headers every response carries: no MIME sniffing, no referrer to the sites messages link
//! to, no framing (clickjacking), no powerful browser features, and HSTS behind https. Pages
//! also carry a Content-Security-Policy whose nonce is fresh per response
//! ([`content_security_policy`]).
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

/// Sets the page's Content-Security-Policy, in the Leptos context of a server render.
///
/// leptos_axum makes a nonce for every page it renders and puts it on the scripts it writes
/// (the hydration loader, resolved resources); only those run. The WASM needs
/// `'wasm-unsafe-eval'` to be compiled, and nothing else is let in: no inline script or style,
/// no other origin to fetch from or post to (Socket.IO's `ws:` is `'self'` too), no plugins,
/// no `<base>`, no framing. A message can then not run script even if an escaping bug let
/// markup through (`end2end/tests/xss.spec.ts`), and every e2e test fails on any violation.
/// Server functions render no page and get none.
pub fn content_security_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        leptos::context::use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}
