-- Whom a message names (`@name`) among its room's members, so the sidebar can count a user's
-- mentions after their read marker apart from the rest of the unread. Written in the
-- message's transaction, and rewritten by its edits; an author naming themself is left out.
-- Messages stored before this migration have no rows: their mentions are not counted.
CREATE TABLE mentions (
    room TEXT NOT NULL REFERENCES rooms (id),
    seq BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room, seq)
);
-- An edit replaces its message's rows: found by message, not by scanning every user's.
CREATE INDEX mentions_by_message ON mentions (room, seq);
