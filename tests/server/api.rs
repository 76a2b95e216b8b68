//! The server functions: the first screen, joining, signing in and out, and CSRF.

use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// What a server function answered.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The `Set-Cookie` header for the session cookie, if any.
    pub cookie: Option<String>,
}

impl Reply {
    pub fn json(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.body);
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    /// Asserts a refusal with `code` (the body is `<code>: <text>`).
    pub fn refused(&self, code: &str) {
        assert_ne!(self.status, 200, "expected {code}, got {}", self.body);
        assert!(
            self.body.contains(&format!("{code}: ")),
            "expected {code}: {}",
            self.body
        );
    }

    /// The session token the cookie sets.
    pub fn token(&self) -> String {
        let cookie = self.cookie.as_deref().expect("no Set-Cookie");
        let value = cookie.split(';').next().unwrap();
        value.strip_prefix("natter_session=").unwrap().to_owned()
    }
}

/// POSTs `form` to `/api/<function>`, with the session cookie `session` if given.
pub async fn call(
    server: &Server,
    function: &str,
    session: Option<&str>,
    form: &[(&str, &str)],
) -> Reply {
    call_from(server, None, function, session, form).await
}

/// [`call`] with an `Origin` header.
pub async fn call_from(
    server: &Server,
    origin: Option<&str>,
    function: &str,
    session: Option<&str>,
    form: &[(&str, &str)],
) -> Reply {
    let mut request = http()
        .post(server.url(&format!("/api/{function}")))
        .form(form);
    if let Some(token) = session {
        request = request.header("cookie", format!("natter_session={token}"));
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let response = request.send().await.unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("natter_session="))
        .map(str::to_owned);
    Reply {
        status: response.status().as_u16(),
        body: response.text().await.unwrap(),
        cookie,
    }
}

async fn join(server: &Server, name: &str, password: Option<&str>) -> Reply {
    let mut form = vec![("name", name)];
    form.extend(password.map(|password| ("password", password)));
    call(server, "join", None, &form).await
}

#[tokio::test]
async fn recent_messages_read_the_store() {
    let server = start(test_config()).await;
    let mut tester = WsClient::join(&server).await;
    for n in 1..=5 {
        tester.chat(n, &message(&format!("m{n}"))).await;
    }
    let token = Some(server.tester.token.as_str());
    let form = [("room", "general"), ("limit", "2")];
    let page = call(&server, "recent_messages", token, &form).await.json();
    let seqs: Vec<_> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [4, 5]);
    assert_eq!(
        (page["has_more"].as_bool(), page["latest_seq"].as_u64()),
        (Some(true), Some(5))
    );
    assert_eq!(page["messages"][1]["body"], "m5");
    assert_eq!(page["messages"][1]["author"]["name"], "tester");
    assert_eq!(page["messages"][1]["author"]["id"], server.tester.user.id);

    let form = [("room", "general"), ("limit", "10")];
    let page = call(&server, "recent_messages", token, &form).await.json();
    assert_eq!(page["messages"].as_array().unwrap().len(), 5);
    assert_eq!(page["has_more"], false);
}

#[tokio::test]
async fn bad_arguments_get_clear_errors() {
    let server = start(test_config()).await;
    let token = Some(server.tester.token.as_str());
    for (room, limit, code, status) in [
        ("nowhere", "10", "unknown_room", 404),
        ("../etc", "10", "unknown_room", 404),
        ("dm.2.1", "10", "unknown_room", 404),
        ("general", "0", "seq_out_of_range", 400),
        ("general", "201", "seq_out_of_range", 400),
    ] {
        let form = [("room", room), ("limit", limit)];
        let reply = call(&server, "recent_messages", token, &form).await;
        assert_eq!(reply.status, status, "{room} {limit}: {}", reply.body);
        reply.refused(code);
    }
    let dm = call(&server, "open_dm", token, &[("name", "nobody")]).await;
    assert_eq!(dm.status, 404);
    dm.refused("unknown_user");
    let room = call(&server, "join_room", token, &[("room", "nowhere")]).await;
    room.refused("unknown_room");
    let anonymous = call(&server, "join_room", None, &[("room", "general")]).await;
    assert_eq!(anonymous.status, 401);
    anonymous.refused("unauthorized");
    let taken = call(&server, "join", None, &[("name", "Tester")]).await;
    assert_eq!(taken.status, 409);
    taken.refused("name_taken");
    // A plain form post (no JavaScript) is sent back to its page whatever the answer.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form_post = no_redirects
        .post(server.url("/api/join"))
        .header("accept", "text/html")
        .header("referer", server.url("/"))
        .form(&[("name", "Tester")])
        .send()
        .await
        .unwrap();
    assert_eq!(form_post.status(), 302);
    let back = form_post.headers()["location"].to_str().unwrap();
    assert!(back.starts_with(&server.url("/?")), "{back}");
    assert!(back.contains("__err="), "the page is told why: {back}");
}

#[tokio::test]
async fn joining_sets_an_http_only_session_cookie() {
    let server = start(test_config()).await;
    let joined = join(&server, "dana", None).await;
    let me = joined.json();
    assert_eq!(me["user"]["name"], "dana");
    assert_eq!(me["has_password"], false);
    assert_eq!(me["rooms"][0]["room"], "general");
    let cookie = joined.cookie.clone().expect("no session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");

    let token = joined.token();
    let current = call(&server, "current_user", Some(&token), &[])
        .await
        .json();
    assert_eq!(current["user"], me["user"]);
    assert_eq!(current["rooms"], me["rooms"]);
    assert_eq!(
        call(&server, "current_user", None, &[]).await.json(),
        Value::Null
    );
}

#[tokio::test]
async fn taken_lookalike_and_invalid_names_are_refused() {
    let server = start(test_config()).await;
    for (name, code) in [
        ("tester", "name_taken"),
        ("TESTER", "name_taken"),
        ("t\u{0435}ster", "name_taken"), // Cyrillic е
        ("admin", "ok"),
        ("\u{0430}dmin", "name_taken"), // Cyrillic а
        ("system", "name_taken"),
        ("bad name", "invalid_name"),
        ("x", "invalid_name"),
        ("..", "invalid_name"),
        ("", "invalid_name"),
    ] {
        let reply = join(&server, name, None).await;
        if code == "ok" {
            assert_eq!(reply.json()["user"]["name"], name);
            continue;
        }
        reply.refused(code);
        assert_eq!(reply.cookie, None, "{name}");
    }
    let short = join(&server, "newcomer", Some("short")).await;
    short.refused("invalid_password");
}

#[tokio::test]
async fn a_password_signs_in_again_and_only_the_right_one() {
    let server = start(test_config()).await;
    let first = join(&server, "erin", Some("correct horse")).await;
    let me = first.json();
    assert_eq!(me["has_password"], true);

    join(&server, "erin", None).await.refused("name_taken");
    let wrong = join(&server, "Erin", Some("battery staple")).await;
    wrong.refused("bad_credentials");
    assert_eq!(wrong.cookie, None);
    // A name without a password cannot be signed in to at all.
    let tester = join(&server, "tester", Some("anything at all")).await;
    tester.refused("bad_credentials");

    let again = join(&server, "erin", Some("correct horse")).await;
    assert_eq!(again.json()["user"], me["user"]);
    assert_ne!(again.token(), first.token());
    for token in [first.token(), again.token()] {
        let current = call(&server, "current_user", Some(&token), &[])
            .await
            .json();
        assert_eq!(current["user"]["name"], "erin");
    }
}

#[tokio::test]
async fn signing_out_revokes_the_session_and_closes_its_sockets() {
    let server = start(test_config()).await;
    let first = join(&server, "erin", Some("correct horse")).await;
    let second = join(&server, "erin", Some("correct horse")).await;
    let user: natter_contract::User = serde_json::from_value(first.json()["user"].clone()).unwrap();
    let session = |reply: &Reply| TestUser {
        user: user.clone(),
        token: reply.token(),
    };
    let mut revoked = WsClient::join_as(&server, &session(&first)).await;
    let mut kept = WsClient::join_as(&server, &session(&second)).await;

    let out = call(&server, "sign_out", Some(&first.token()), &[]).await;
    assert_eq!(out.status, 200, "{}", out.body);
    let cleared = out.cookie.expect("the cookie is not cleared");
    assert!(cleared.starts_with("natter_session=;"), "{cleared}");

    assert!(
        revoked.disconnected_within(Duration::from_secs(1)).await,
        "the revoked session's socket is still connected after 1 s"
    );

    let old = Some(first.token());
    let current = call(&server, "current_user", old.as_deref(), &[]).await;
    assert_eq!(current.json(), Value::Null);
    let form = [("room", "general"), ("limit", "5")];
    let recent = call(&server, "recent_messages", old.as_deref(), &form).await;
    recent.refused("unauthorized");
    let (mut client, _) = WsClient::open(&server, None, true).await.unwrap();
    client.send(&session(&first).connect_packet());
    assert_eq!(client.recv().await, r#"44{"message":"unauthorized"}"#);

    // The same user's other session carries on.
    assert!(kept.chat(1, &message("still here")).await["ok"]["seq"].is_u64());
    let current = call(&server, "current_user", Some(&second.token()), &[]).await;
    assert_eq!(current.json()["user"]["name"], "erin");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let server = start(test_config()).await;
    let evil = Some("http://evil.example");
    let joined = call_from(&server, evil, "join", None, &[("name", "mallory")]).await;
    assert_eq!(joined.status, 403, "{}", joined.body);
    assert_eq!(joined.cookie, None);
    assert!(server.store.find_user("mallory").await.unwrap().is_none());

    let token = Some(server.tester.token.as_str());
    let form = [("room", "general"), ("limit", "5")];
    for (function, form) in [
        ("recent_messages", &form[..]),
        ("sign_out", &[]),
        ("join_room", &[("room", "general")]),
    ] {
        let reply = call_from(&server, evil, function, token, form).await;
        assert_eq!(reply.status, 403, "{function}: {}", reply.body);
    }
    // sign_out was refused, so the session still works.
    let current = call(&server, "current_user", token, &[]).await.json();
    assert_eq!(current["user"]["name"], "tester");

    let own = server.own_origin();
    let joined = call_from(&server, Some(&own), "join", None, &[("name", "mallory")]).await;
    assert_eq!(joined.json()["user"]["name"], "mallory");
    let recent = call_from(&server, Some(&own), "recent_messages", token, &form).await;
    // Mallory's arrival is the one line in #general: the refused posts left nothing.
    assert_eq!(recent.json()["latest_seq"], 1);
}

/// The composer without JavaScript: the same writer and rules as the Socket.IO event.
#[tokio::test]
async fn a_form_post_stores_and_broadcasts_a_message() {
    let server = start(test_config()).await;
    let mut reader = WsClient::member(&server).await;
    let token = server.tester.token.clone();
    let form = [("room", "general"), ("body", "posted without script")];
    let sent = call(&server, "post_message", Some(&token), &form)
        .await
        .json();
    assert_eq!(sent["seq"], 1);
    let (name, message) = reader.event().await;
    assert_eq!(name, "chat message");
    assert_eq!(message["body"], "posted without script");
    assert_eq!(message["author"]["name"], "tester");

    call(&server, "post_message", None, &form)
        .await
        .refused("unauthorized");
    let empty = [("room", "general"), ("body", "  ")];
    call(&server, "post_message", Some(&token), &empty)
        .await
        .refused("empty_message");
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let theirs = natter_contract::dm_room(alice.user.id, bob.user.id);
    let dm = [("room", theirs.as_str()), ("body", "let me in")];
    call(&server, "post_message", Some(&token), &dm)
        .await
        .refused("forbidden");
    // A resend under the same client id is the same message.
    let id = client_id();
    let keyed = [
        ("room", "general"),
        ("body", "once"),
        ("client_id", id.as_str()),
    ];
    let first = call(&server, "post_message", Some(&token), &keyed)
        .await
        .json();
    let again = call(&server, "post_message", Some(&token), &keyed)
        .await
        .json();
    assert_eq!(first, again);
    assert_eq!(server.store.latest_seq("general").await.unwrap(), 2);
}
