//! Who is asking: session tokens, the cookie that carries them, and passwords.
//!
//! A session is a 256-bit random token. The browser holds it in an `HttpOnly` cookie; the
//! database holds only its SHA-256, so a leaked backup opens no session. A token is worth
//! guessing only as a whole: 2^256 possibilities, hence a plain (fast) hash suffices, unlike
//! passwords, which are argon2id (slow on purpose, and done on the blocking pool).

use std::time::Duration;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use natter_contract::{ErrorCode, User};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use super::store::{Account, ChatStore, StoreError};

/// The cookie's name.
pub const SESSION_COOKIE: &str = "natter_session";

/// Sliding: every use pushes the expiry this far out again.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// A session token as handed to the client, and its hash as stored.
#[derive(Debug, Clone)]
pub struct Token {
    pub secret: String,
    pub hash: String,
}

impl Token {
    pub fn generate() -> Token {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Token::from_secret(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn from_secret(secret: String) -> Token {
        let hash = hash_token(&secret);
        Token { secret, hash }
    }
}

/// What the store keeps of a token.
pub fn hash_token(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The session cookie's value from a request's `Cookie` headers.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new session: `HttpOnly` (no script reads it), `SameSite=Lax` (not sent
/// on cross-site subrequests or POSTs), `Secure` when the site is served over https.
pub fn session_cookie(token: &Token, secure: bool) -> HeaderValue {
    let cookie = cookie::Cookie::build((SESSION_COOKIE, token.secret.clone()))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(SESSION_LIFETIME.as_secs()).unwrap_or(i64::MAX),
        ))
        .build();
    header_value(&cookie)
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    let mut cookie = cookie::Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path("/")
        .secure(secure)
        .build();
    cookie.make_removal();
    header_value(&cookie)
}

fn header_value(cookie: &cookie::Cookie<'_>) -> HeaderValue {
    // Built from a base64url token and fixed attributes: always a valid header value.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// The account behind a token, with its expiry slid forward; `None` for an unknown or
/// expired token.
///
/// The expiry slides at most once per a day ([`SLIDE_STEP_MS`]): most uses only read. Writing on every
/// use queued each connect of a reconnect storm on SQLite's one write lock, whose busy
/// handler sleeps: `natter-bench --only storm` (1,000 clients) spent the time waiting, with
/// the two cores 65 % idle (`perf record -a` over the storm), and sync p50 was 1.25 s.
pub async fn authenticate(
    store: &dyn ChatStore,
    secret: &str,
) -> Result<Option<Account>, StoreError> {
    let now = now_millis();
    let hash = hash_token(secret);
    let Some((account, expires_at)) = store.find_session(&hash, now).await? else {
        return Ok(None);
    };
    let slid = expiry_from(now);
    if expires_at > slid.saturating_sub(SLIDE_STEP_MS) {
        return Ok(Some(account));
    }
    store.touch_session(&hash, now, slid).await
}

/// How far a session's expiry may lag the 30-day window before a use moves it.
const SLIDE_STEP_MS: i64 = 24 * 3600 * 1000;

/// Starts a session for `user`.
pub async fn open_session(store: &dyn ChatStore, user: &User) -> Result<Token, StoreError> {
    let token = Token::generate();
    store
        .create_session(&token.hash, user.id, expiry_from(now_millis()))
        .await?;
    Ok(token)
}

/// An argon2id hash (PHC string) with a fresh salt, computed off the async threads.
pub async fn hash_password(password: String) -> Result<String, ErrorCode> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| ErrorCode::Internal)?
    .map_err(|_| ErrorCode::Internal)
}

/// Whether `password` matches the stored hash; a malformed hash matches nothing.
pub async fn verify_password(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

fn expiry_from(now: i64) -> i64 {
    let lifetime = i64::try_from(SESSION_LIFETIME.as_millis()).unwrap_or(i64::MAX);
    now.saturating_add(lifetime)
}

/// Milliseconds since the Unix epoch, as sessions store their expiry.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_stored_hashed() {
        let token = Token::generate();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token.secret)
            .unwrap();
        assert_eq!(raw.len(), 32);
        assert_eq!(token.hash.len(), 64);
        assert_ne!(token.hash, token.secret);
        assert_eq!(hash_token(&token.secret), token.hash);
        assert_ne!(Token::generate().secret, token.secret);
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_found_again() {
        let token = Token::generate();
        let cookie = session_cookie(&token, false);
        let text = cookie.to_str().unwrap();
        assert!(text.starts_with(&format!("{SESSION_COOKIE}={}", token.secret)));
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax"));
        assert!(text.contains("Path=/") && !text.contains("Secure"));
        assert!(
            session_cookie(&token, true)
                .to_str()
                .unwrap()
                .contains("Secure")
        );

        let mut headers = HeaderMap::new();
        let sent = format!("theme=dark; {SESSION_COOKIE}={}; x=1", token.secret);
        headers.insert(header::COOKIE, HeaderValue::from_str(&sent).unwrap());
        assert_eq!(token_from_headers(&headers), Some(token.secret));
        assert_eq!(token_from_headers(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(hash.clone(), "correct horse".into()).await);
        assert!(!verify_password(hash, "battery staple".into()).await);
        assert!(!verify_password("not a hash".into(), "x".into()).await);
    }
}
