//! Messages typed but not yet acknowledged, in the order they were typed.

use crate::Action;
use natter_contract::{AckError, SendMessage};
use serde::{Deserialize, Serialize};

/// One message waiting for the server; this is what the browser keeps in localStorage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    pub room: String,
    pub client_id: String,
    pub body: String,
    /// When it was typed, ms since the Unix epoch (shown while pending).
    pub created_at: i64,
    pub state: OutgoingState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "error")]
pub enum OutgoingState {
    /// Waiting for its turn or for a connection.
    Queued,
    /// Sent; the ack has not come back yet. Saved as such, and sent again after a reload:
    /// the server de-duplicates by `client_id`.
    InFlight,
    /// The server refused it for good (e.g. too long); kept for the user to retry or drop.
    Failed(AckError),
}

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    items: Vec<Outgoing>,
}

impl Outbox {
    pub fn restore(&mut self, items: Vec<Outgoing>) {
        for mut item in items {
            if self.get(&item.client_id).is_none() {
                if item.state == OutgoingState::InFlight {
                    item.state = OutgoingState::Queued;
                }
                self.items.push(item);
            }
        }
    }

    pub fn push(&mut self, message: SendMessage, now_ms: i64) {
        self.items.push(Outgoing {
            room: message.room,
            client_id: message.client_id,
            body: message.body,
            created_at: now_ms,
            state: OutgoingState::Queued,
        });
    }

    pub fn get(&self, client_id: &str) -> Option<&Outgoing> {
        self.items.iter().find(|o| o.client_id == client_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Outgoing> {
        self.items.iter()
    }

    pub fn remove(&mut self, client_id: &str) -> bool {
        let before = self.items.len();
        self.items.retain(|o| o.client_id != client_id);
        self.items.len() != before
    }

    /// The oldest queued message, unless one is in flight: one at a time keeps the order in
    /// which they were typed, as socket.io-client's `retries` queue does.
    pub fn next_send(&mut self) -> Option<Action> {
        if self
            .items
            .iter()
            .any(|o| o.state == OutgoingState::InFlight)
        {
            return None;
        }
        let next = self
            .items
            .iter_mut()
            .find(|o| o.state == OutgoingState::Queued)?;
        next.state = OutgoingState::InFlight;
        Some(Action::Send(SendMessage {
            room: next.room.clone(),
            client_id: next.client_id.clone(),
            body: next.body.clone(),
        }))
    }

    pub fn requeue(&mut self, client_id: &str) {
        self.set(client_id, OutgoingState::Queued);
    }

    pub fn requeue_in_flight(&mut self) {
        for o in &mut self.items {
            if o.state == OutgoingState::InFlight {
                o.state = OutgoingState::Queued;
            }
        }
    }

    pub fn fail(&mut self, client_id: &str, error: AckError) {
        self.set(client_id, OutgoingState::Failed(error));
    }

    pub fn retry(&mut self, client_id: &str) {
        if self
            .get(client_id)
            .is_some_and(|o| matches!(o.state, OutgoingState::Failed(_)))
        {
            self.set(client_id, OutgoingState::Queued);
        }
    }

    fn set(&mut self, client_id: &str, state: OutgoingState) {
        if let Some(o) = self.items.iter_mut().find(|o| o.client_id == client_id) {
            o.state = state;
        }
    }
}
