-- Edits and deletes are rows of the log (kind 'edit' / 'delete') with their own seq, naming the
-- seq of the message they change in `target_seq`. The message row is rewritten in place and
-- records the newest change it reflects (`revision_seq`, `revised_at`, `deleted`), so a page
-- holds every message in its latest state (natter_contract::Revision).
ALTER TABLE messages ADD COLUMN target_seq BIGINT;
ALTER TABLE messages ADD COLUMN revision_seq BIGINT;
ALTER TABLE messages ADD COLUMN revised_at BIGINT;
ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE;
-- A delete blanks the bodies of the message's edits too: by index, not by scanning the room.
CREATE INDEX messages_by_target ON messages (room, target_seq) WHERE target_seq IS NOT NULL;
