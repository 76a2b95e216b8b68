//! Hostile input and hostile origins: malformed packets, oversized payloads, CSWSH.

use natter::server::Config;
use tokio_tungstenite::tungstenite::{
    Message,
    protocol::frame::{
        Frame as WsFrame,
        coding::{Data, OpCode},
    },
};

use crate::support::*;

#[tokio::test]
async fn malformed_packets_hurt_only_their_sender() {
    let server = start(test_config()).await;
    let mut bob = WsClient::member(&server).await;
    let texts = [
        r#"42["chat message""#,
        "4999",
        r#"42[{"toString":"x"}]"#,
        r#"42[true,"foo"]"#,
        r#"42[null,"bar"]"#,
        r#"42["connect"]"#,
        r#"442["some","data""#,
        "45",
        "451",
        "45a-",
        "451.23-",
        r#"451-["hello",{"_placeholder":true,"num":"splice"}]"#,
        r#"45999999999-["chat message",{"_placeholder":true,"num":0}]"#,
        r#"42["chat message",{"_placeholder":true,"num":0}]"#,
        "4",
        "",
        "9",
        "0",
        "42é[",
        "41",
    ];
    let mut attacks: Vec<Message> = texts.iter().map(|text| Message::text(*text)).collect();
    attacks.push(Message::binary(vec![0xff, 0xfe, 0x00]));
    let invalid_utf8 =
        WsFrame::message(vec![b'4', b'2', 0xc3, 0x28], OpCode::Data(Data::Text), true);
    attacks.push(Message::Frame(invalid_utf8));

    for (n, attack) in attacks.into_iter().enumerate() {
        let mallory = WsClient::join(&server).await;
        mallory.send_raw(vec![attack]);
        let body = format!("still fine after attack {n}");
        let ack = bob.chat(1, &message(&body)).await;
        assert!(ack["ok"]["seq"].is_u64(), "attack {n}: {ack}");
        drop(mallory);
    }
    let session = PollingSession::open(&server).await;
    let post = http()
        .post(&session.url)
        .body(vec![b'4', b'2', 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert!(post.status().is_success() || post.status().is_client_error());
    assert_eq!(
        http().get(server.url("/")).send().await.unwrap().status(),
        200
    );
    assert!(bob.chat(2, &message("last")).await["ok"]["seq"].is_u64());
}

#[tokio::test]
async fn oversized_payloads_are_cut_off() {
    let server = start(test_config()).await;
    let session = PollingSession::open(&server).await;
    let huge = format!(
        "42[\"chat message\",{{\"body\":\"{}\"}}]",
        "x".repeat(65536)
    );
    assert_eq!(
        http()
            .post(&session.url)
            .body(huge)
            .send()
            .await
            .unwrap()
            .status(),
        413
    );

    let mut bob = WsClient::member(&server).await;
    let mut mallory = WsClient::join(&server).await;
    mallory.send(&format!(
        "42[\"chat message\",{{\"body\":\"{}\"}}]",
        "x".repeat(65536)
    ));
    mallory.closed().await;
    // The largest message the contract allows still fits, even in multi-byte characters.
    let largest = "é".repeat(natter_contract::MAX_MESSAGE_CHARS);
    assert!(bob.chat(1, &message(&largest)).await["ok"]["seq"].is_u64());
    // Joined, i.e. the CONNECT acked: the session check runs before it, and an event sent
    // ahead of the ack would reach a namespace the socket is not in yet.
    let session = PollingSession::join(&server).await;
    session
        .post(&format!(r#"42["chat message",{}]"#, message(&largest)))
        .await;
    assert_eq!(
        bob.event().await.1["body"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        4000
    );
}

#[tokio::test]
async fn foreign_origins_are_refused() {
    let config = Config {
        allowed_origins: vec!["https://chat.example.com".into()],
        ..test_config()
    };
    let server = start(config).await;
    let own = server.own_origin();
    let suffix = format!("{own}.evil.com");
    for origin in [
        "http://evil.example",
        "null",
        &suffix,
        "https://chat.example.com.evil.com",
    ] {
        assert_eq!(
            polling_open(&server, Some(origin)).await.status(),
            403,
            "{origin}"
        );
        let refused = WsClient::open(&server, Some(origin), true).await.err();
        let Some(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
            panic!("websocket from {origin} was not refused with an HTTP error");
        };
        assert_eq!(response.status(), 403, "{origin}");
    }
    let session = PollingSession::open(&server).await;
    let post = http()
        .post(&session.url)
        .header("origin", "http://evil.example")
        .body("40");
    assert_eq!(post.send().await.unwrap().status(), 403);

    let https_own = own.replace("http://", "https://");
    for origin in [
        Some(own.as_str()),
        Some(&https_own),
        Some("https://chat.example.com"),
        None,
    ] {
        assert_eq!(
            polling_open(&server, origin).await.status(),
            200,
            "{origin:?}"
        );
        assert!(
            WsClient::open(&server, origin, true).await.is_ok(),
            "{origin:?}"
        );
    }
    // The page itself is not subject to the Socket.IO origin check.
    let page = http()
        .get(server.url("/"))
        .header("origin", "http://evil.example");
    assert_eq!(page.send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn silent_clients_are_dropped_and_close_reaches_everyone() {
    let server = start(test_config()).await;
    let (mut silent, _) = WsClient::open(&server, None, false).await.unwrap();
    silent.closed().await;

    let mut alice = WsClient::join(&server).await;
    server.io.close().await;
    alice.closed().await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_hsts_behind_https() {
    let plain = start(test_config()).await;
    let https = start(Config {
        public_url: Some("https://chat.example.com".into()),
        ..test_config()
    })
    .await;
    for (server, hsts) in [(&plain, None), (&https, Some("max-age=31536000"))] {
        for path in ["/", "/healthz", "/no-such-page"] {
            let response = http().get(server.url(path)).send().await.unwrap();
            let header = |name: &str| {
                let value = response.headers().get(name);
                value.map(|v| v.to_str().unwrap().to_owned())
            };
            assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
            assert_eq!(header("referrer-policy").as_deref(), Some("same-origin"));
            assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
            assert!(header("permissions-policy").unwrap().contains("camera=()"));
            assert_eq!(
                header("strict-transport-security").as_deref(),
                hsts,
                "{path}"
            );
        }
    }
}

/// The policy's nonce, from a page's Content-Security-Policy header.
fn csp_nonce(policy: &str) -> &str {
    let start = policy.find("'nonce-").expect("a nonce") + "'nonce-".len();
    let len = policy[start..].find('\'').unwrap();
    &policy[start..start + len]
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_with_a_fresh_nonce_on_every_script() {
    let server = start(test_config()).await;
    // Three full renders while the rest of the suite loads both cores: once in a few dozen
    // runs, one took over `TIMEOUT`.
    let patient = reqwest::Client::builder()
        .timeout(4 * TIMEOUT)
        .build()
        .unwrap();
    let mut nonces = Vec::new();
    for path in ["/", "/", "/no-such-page"] {
        let response = patient.get(server.url(path)).send().await.unwrap();
        let status = response.status();
        let policy = response
            .headers()
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} ({status}) has no policy: {:?}", response.headers()))
            .to_str()
            .unwrap()
            .to_owned();
        for directive in [
            "default-src 'self'",
            "'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(directive), "{directive} missing: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let nonce = csp_nonce(&policy).to_owned();
        assert!(nonce.len() >= 22, "128 bits at least: {nonce}");
        let html = response.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path} has no script");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "every script of {path} carries the nonce"
        );
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a nonce is never reused");
    // Not a page: no policy to carry.
    let health = http().get(server.url("/healthz")).send().await.unwrap();
    assert!(health.headers().get("content-security-policy").is_none());
}

async fn handshake_from(server: &Server, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = http().get(server.polling_url());
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn handshakes_over_an_address_rate_get_429_and_open_sessions_go_on() {
    let behind_proxy = start(Config {
        handshake_rate: 1,
        handshake_burst: 3,
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..test_config()
    })
    .await;
    let open = PollingSession::join(&behind_proxy).await;
    for _ in 0..2 {
        assert_eq!(handshake_from(&behind_proxy, None).await.status(), 200);
    }
    let refused = handshake_from(&behind_proxy, None).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((55..=60).contains(&wait), "one handshake a minute: {wait}");
    let said = refused.text().await.unwrap();
    assert!(said.contains("Too many new connections"), "{said}");
    // A bare `sid` names no session (engineioxide opens a new one): still a handshake.
    let bare = http()
        .get(format!("{}&sid", behind_proxy.polling_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 429);
    // A WebSocket handshake is a handshake too.
    let ws = WsClient::open(&behind_proxy, None, true).await;
    assert!(ws.is_err(), "the WebSocket handshake was let through");
    // The session already open is not a handshake: it goes on chatting.
    let (_, ack) = open.emit(1, "chat message", &message("still here")).await;
    assert!(ack["ok"]["seq"].is_u64(), "{ack}");
    // Another client behind the same proxy has a bucket of its own.
    let other = handshake_from(&behind_proxy, Some("198.51.100.7")).await;
    assert_eq!(other.status(), 200);

    // Straight to Natter, with no proxy trusted, X-Forwarded-For is the client's own claim.
    let direct = start(Config {
        handshake_rate: 1,
        handshake_burst: 1,
        ..test_config()
    })
    .await;
    assert_eq!(handshake_from(&direct, None).await.status(), 200);
    let forged = handshake_from(&direct, Some("198.51.100.8")).await;
    assert_eq!(forged.status(), 429);
}
