//! The driver's side of editing and deleting one's own messages. The server answers with the
//! change's place in the room and broadcasts it as a row of the log, which the timeline folds
//! into the message (`Timeline::insert`), so nothing changes on screen before the store has it.

use super::{Clock, Driver, Emit, Storage, Waiting};
use crate::Failure;
use natter_contract::{DeleteMessage, EditMessage, ErrorCode, Sent, event};
use serde_json::Value;

impl<P: Emit + Storage + Clock> Driver<P> {
    /// Replace the body of our message `seq` in `room`; refused before sending (empty, too
    /// long, not ours, deleted) with the code, also kept as [`Driver::error`].
    pub fn edit(&mut self, room: &str, seq: u64, body: String) -> Result<(), ErrorCode> {
        let request = EditMessage {
            room: room.to_owned(),
            seq,
            client_id: self.new_client_id(),
            body,
        };
        self.check_change(room, seq)
            .and_then(|()| request.validate())
            .map(|()| self.send_change(event::EDIT_MESSAGE, request))
            .map_err(|code| self.refused(code))
    }

    /// Delete our message `seq` in `room`.
    pub fn delete(&mut self, room: &str, seq: u64) -> Result<(), ErrorCode> {
        let request = DeleteMessage {
            room: room.to_owned(),
            seq,
            client_id: self.new_client_id(),
        };
        self.check_change(room, seq)
            .and_then(|()| request.validate())
            .map(|()| self.send_change(event::DELETE_MESSAGE, request))
            .map_err(|code| self.refused(code))
    }

    /// What the page can tell at once; the server checks it all again.
    fn check_change(&self, room: &str, seq: u64) -> Result<(), ErrorCode> {
        let message = self.session.timeline(room).and_then(|t| t.get(seq));
        let Some(message) = message.filter(|m| m.kind.is_message()) else {
            return Err(ErrorCode::UnknownMessage);
        };
        if self
            .session
            .me()
            .is_none_or(|me| me.id != message.author.id)
        {
            Err(ErrorCode::Forbidden)
        } else if message.is_deleted() {
            Err(ErrorCode::MessageDeleted)
        } else {
            Ok(())
        }
    }

    fn send_change(&mut self, name: &'static str, request: impl serde::Serialize) {
        self.error = None;
        self.request(name, request, Waiting::Change);
        self.settle_view();
    }

    fn refused(&mut self, code: ErrorCode) -> ErrorCode {
        self.error = Some(code.describe().to_owned());
        code
    }

    /// The ack of an edit or delete: a refusal is shown by `decode`; one that never came back
    /// is said too, since unlike a message a change is not kept to be sent again.
    pub(super) fn on_change(&mut self, reply: Result<Value, Failure>) {
        match self.decode::<Sent>(reply) {
            Ok(sent) => self.warn_of_unknown_mentions(&sent),
            Err(Failure::Lost) => {
                self.error = Some("The change did not reach the server; try again.".to_owned());
            }
            Err(Failure::Rejected(_)) => {}
        }
    }
}

#[cfg(test)]
#[path = "edits_tests.rs"]
mod tests;
