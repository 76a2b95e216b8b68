//! A raw Engine.IO long-polling client.

use serde_json::Value;

use super::{Server, http, parse_ack, polling_open, within};

/// A long-polling Engine.IO session that answers the server's pings.
pub struct PollingSession {
    pub url: String,
}

impl PollingSession {
    pub async fn open(server: &Server) -> PollingSession {
        let body = polling_open(server, None).await.text().await.unwrap();
        let open: Value = serde_json::from_str(body.strip_prefix('0').unwrap()).unwrap();
        let sid = open["sid"].as_str().unwrap();
        PollingSession {
            url: format!("{}&sid={sid}", server.polling_url()),
        }
    }

    pub async fn post(&self, body: &str) {
        let response = http()
            .post(&self.url)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "POST {body}");
    }

    /// One long-poll; returns its packets other than pings.
    pub async fn get(&self) -> Vec<String> {
        let body = http()
            .get(&self.url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (pings, packets): (Vec<_>, Vec<_>) = body
            .split('\x1e')
            .map(str::to_owned)
            .partition(|packet| packet == "2");
        if !pings.is_empty() {
            self.post("3").await;
        }
        packets
    }
}

impl PollingSession {
    /// One long-poll, or `None` once the server has dropped the session.
    pub async fn try_get(&self) -> Option<Vec<String>> {
        let response = http().get(&self.url).send().await.ok()?;
        if response.status() != 200 {
            return None;
        }
        let body = response.text().await.ok()?;
        let packets: Vec<String> = body.split('\x1e').map(str::to_owned).collect();
        if packets.iter().any(|packet| packet == "1") {
            return None;
        }
        if packets.iter().any(|packet| packet == "2") {
            self.post("3").await;
        }
        Some(packets.into_iter().filter(|p| p != "2").collect())
    }

    /// Opens a session and connects to "/" as the server's tester.
    pub async fn join(server: &Server) -> PollingSession {
        let session = PollingSession::open(server).await;
        session.post(&server.tester.connect_packet()).await;
        // The CONNECT ack waits for the session check; a ping may come back first.
        within("a polling CONNECT ack", async {
            loop {
                let connected = session.get().await;
                if connected.iter().any(|p| p.starts_with("40{\"sid\":")) {
                    return;
                }
                assert!(
                    connected.iter().all(|p| p == "3" || p.is_empty()),
                    "{connected:?}"
                );
            }
        })
        .await;
        session
    }

    /// Sends `event` with ack id `ack_id`; returns the packets polled before the ack, and the ack.
    pub async fn emit(&self, ack_id: u32, event: &str, payload: &str) -> (Vec<String>, Value) {
        self.post(&format!("42{ack_id}[\"{event}\",{payload}]"))
            .await;
        within("a polling ack", async {
            let mut before = Vec::new();
            loop {
                for packet in self.get().await {
                    if let Some(ack) = parse_ack(&packet, ack_id) {
                        return (before, ack);
                    }
                    before.push(packet);
                }
            }
        })
        .await
    }
}
