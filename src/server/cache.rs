//! Cache headers for the WASM, JS and CSS under `/pkg`.
//!
//! With `hash-files` (see Cargo.toml), cargo-leptos names them `natter.<hash>.js` and the page
//! links those names, so a name never changes content: browsers may keep them for a year
//! without asking. Anything unhashed must be revalidated, or a deploy would leave browsers
//! running an old WASM against a new server.

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

pub async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = request.uri().path().strip_prefix("/pkg/").map(is_hashed);
    let mut response = next.run(request).await;
    if let Some(hashed) = hashed
        && response.status().is_success()
    {
        let value = if hashed { IMMUTABLE } else { REVALIDATE };
        response
            .headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, value);
    }
    response
}

/// `natter.<hash>.js`: a middle part that looks like cargo-leptos' hash.
fn is_hashed(file: &str) -> bool {
    let parts: Vec<&str> = file.split('.').collect();
    parts.len() == 3
        && parts[1].len() >= 8
        && parts[1]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn recognises_cargo_leptos_hashes() {
        assert!(is_hashed("natter.gWhcWxXDFjfXjkxoTbWiNw.js"));
        assert!(is_hashed("natter.Xp3q-_9aB7cD.wasm"));
        assert!(!is_hashed("natter.js"));
        assert!(!is_hashed("natter.d.ts"));
        assert!(!is_hashed("natter_bg.wasm"));
    }
}
