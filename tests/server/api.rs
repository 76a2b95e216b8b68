//! The server functions the UI renders its first screen with.

use serde_json::Value;

use crate::support::*;

async fn call(server: &Server, function: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = http()
        .post(server.url(&format!("/api/{function}")))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn recent_and_older_messages_read_the_store() {
    let server = start(test_config()).await;
    let mut alice = WsClient::join(&server).await;
    for n in 1..=5 {
        alice.chat(n, &message(&format!("m{n}"))).await;
    }
    let (status, body) = call(
        &server,
        "recent_messages",
        &[("room", "general"), ("limit", "2")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
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

    let older = [("room", "general"), ("before_seq", "4"), ("limit", "10")];
    let (status, body) = call(&server, "older_messages", &older).await;
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 3);
    assert_eq!(page["has_more"], false);
}

#[tokio::test]
async fn bad_arguments_get_clear_errors() {
    let server = start(test_config()).await;
    for (function, form, code) in [
        (
            "recent_messages",
            vec![("room", "nowhere"), ("limit", "10")],
            "unknown_room",
        ),
        (
            "recent_messages",
            vec![("room", "../etc"), ("limit", "10")],
            "unknown_room",
        ),
        (
            "recent_messages",
            vec![("room", "general"), ("limit", "0")],
            "seq_out_of_range",
        ),
        (
            "recent_messages",
            vec![("room", "general"), ("limit", "201")],
            "seq_out_of_range",
        ),
        (
            "older_messages",
            vec![("room", "general"), ("before_seq", "0"), ("limit", "5")],
            "seq_out_of_range",
        ),
        (
            "older_messages",
            vec![("room", "general"), ("before_seq", "9"), ("limit", "5")],
            "seq_out_of_range",
        ),
    ] {
        let (status, body) = call(&server, function, &form).await;
        assert_eq!(status, 500, "{function} {form:?}: {body}");
        assert!(body.contains(code), "{function} {form:?}: {body}");
    }
}
