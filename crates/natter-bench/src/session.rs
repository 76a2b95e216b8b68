//! Natter admits a Socket.IO client to "/" only with a session, so the bench signs in as the
//! join form does: POST `/api/join` with a fresh name, and the token from the `natter_session`
//! cookie it sets. The clients send it as the CONNECT auth payload, `40{"token":"…"}`.
//!
//! One session serves every client of a server run: a session may hold any number of sockets,
//! and a join per client would add thousands of users (and seconds of set-up) to runs that
//! measure connections and fan-out, not sign-ups. Node's tutorial server and the bare
//! socketioxide binary have no sessions; their clients send a plain `40`.

use std::time::Duration;

/// How long a join may take before the run gives up on the server.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

fn err(text: String) -> std::io::Error {
    std::io::Error::other(text)
}

/// An HTTP client for [`join_as`]; one serves many joins, over pooled connections.
pub fn http() -> std::io::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(JOIN_TIMEOUT)
        .build()
        .map_err(|e| err(e.to_string()))
}

/// The session token of a new user on the Natter at `url` (`http://127.0.0.1:<port>`).
pub async fn join(url: &str) -> std::io::Result<String> {
    // 2–24 letters, digits or `_.-`, unique case-insensitively.
    let name = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    join_as(&http()?, url, &name).await
}

/// The session token of a new user called `name` (which must be free) on the Natter at `url`.
pub async fn join_as(http: &reqwest::Client, url: &str, name: &str) -> std::io::Result<String> {
    let response = http
        .post(format!("{url}/api/join"))
        .form(&[("name", &name)])
        .send()
        .await
        .map_err(|e| err(format!("POST {url}/api/join: {e}")))?;
    let status = response.status();
    let token = token_from_cookies(
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok()),
    );
    match token {
        Some(token) if status.is_success() => Ok(token),
        _ => {
            let body = response.text().await.unwrap_or_default();
            Err(err(format!(
                "joining as {name} set no session cookie: {status} {body}"
            )))
        }
    }
}

/// The value of the `natter_session` cookie among `Set-Cookie` header values.
fn token_from_cookies<'a>(mut cookies: impl Iterator<Item = &'a str>) -> Option<String> {
    cookies.find_map(|cookie| {
        let pair = cookie.split(';').next()?.trim();
        let token = pair.strip_prefix("natter_session=")?;
        (!token.is_empty()).then(|| token.to_owned())
    })
}

/// The Socket.IO CONNECT packet for "/", with the session if there is one.
pub fn connect_packet(token: Option<&str>) -> String {
    match token {
        Some(token) => format!("40{}", serde_json::json!({ "token": token })),
        None => "40".into(),
    }
}

/// The CONNECT auth payload for natter-client's `Options::namespaces`.
pub fn connect_auth(token: Option<&str>) -> Option<serde_json::Value> {
    token.map(|token| serde_json::json!({ "token": token }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie() {
        let cookies = [
            "other=1; Path=/",
            "natter_session=abc-_09; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000",
        ];
        assert_eq!(
            token_from_cookies(cookies.into_iter()),
            Some("abc-_09".into())
        );
        assert_eq!(
            token_from_cookies(["natter_session=; Path=/"].into_iter()),
            None
        );
        assert_eq!(token_from_cookies(std::iter::empty()), None);
    }

    #[test]
    fn connect_packets() {
        assert_eq!(connect_packet(None), "40");
        assert_eq!(connect_packet(Some("t0k")), r#"40{"token":"t0k"}"#);
        assert_eq!(connect_auth(None), None);
        assert_eq!(
            connect_auth(Some("t0k")),
            Some(serde_json::json!({"token": "t0k"}))
        );
    }
}
