-- System lines ("ann joined", "bob left") are stored in the room's history with their own seq,
-- so they come in order with the messages; natter_contract::MessageKind names the values.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
