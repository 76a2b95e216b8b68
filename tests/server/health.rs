//! `/healthz` and `/readyz`: alive whatever the store does; ready only while it answers.

use crate::support::*;

async fn get(server: &Server, path: &str) -> (u16, String) {
    let response = http().get(server.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn ready_while_the_store_answers_and_alive_regardless() {
    let (_data, store) = temp_store().await;
    let failing = FailingStore::new(store);
    let server = start_with_store(test_config(), failing.clone()).await;
    assert_eq!(get(&server, "/healthz").await, (200, "ok".to_owned()));
    assert_eq!(
        get(&server, "/readyz").await,
        (200, r#"{"store":"ok"}"#.to_owned())
    );
    failing.fail_writes(true);
    assert_eq!(
        get(&server, "/readyz").await,
        (503, r#"{"store":"unreachable"}"#.to_owned())
    );
    assert_eq!(get(&server, "/healthz").await, (200, "ok".to_owned()));
    failing.fail_writes(false);
    assert_eq!(get(&server, "/readyz").await.0, 200);
}
