-- People and rooms: users, their sessions, room membership with a read marker, and an author
-- on every message. Times are milliseconds since the Unix epoch, like messages.sent_at.

-- `name` as shown (NFC); `name_key` (lowercase) and `skeleton` (UTS #39 confusable skeleton)
-- are what uniqueness is decided on, so "ADMIN" and a Cyrillic "Аdmin" cannot pass for "admin"
-- (natter_contract::user_name computes both).
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    skeleton TEXT NOT NULL UNIQUE,
    -- argon2id PHC string; NULL: the user set no password and can only use their sessions
    password_hash TEXT,
    created_at BIGINT NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
);

-- Only a SHA-256 of the 256-bit token is kept: a copy of the database opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- 'public' rooms are listed and anyone may join; 'dm' rooms (id "dm.<lo>.<hi>") have exactly
-- their two members.
ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'public' CHECK (kind IN ('public', 'dm'));
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';

-- `read_seq`: the user has seen the room up to this seq (the unread marker).
CREATE TABLE members (
    room TEXT NOT NULL REFERENCES rooms (id),
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_seq BIGINT NOT NULL DEFAULT 0 CHECK (read_seq >= 0),
    joined_at BIGINT NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    PRIMARY KEY (room, user_id)
);
CREATE INDEX members_by_user ON members (user_id);

-- Messages written before names existed belong to this user, who has no password and no
-- session: nobody can sign in as it, and the name stays reserved.
INSERT INTO users (name, name_key, skeleton) VALUES ('anonymous', 'anonymous', 'anonymous');

-- The resend key becomes unique per author: SQLite cannot change a constraint in place, so
-- the table is rebuilt with the same rows (ids and seqs kept).
CREATE TABLE messages_with_authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    room TEXT NOT NULL REFERENCES rooms (id),
    seq BIGINT NOT NULL CHECK (seq > 0),
    author_id BIGINT NOT NULL REFERENCES users (id),
    client_id TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    UNIQUE (room, seq),
    UNIQUE (author_id, client_id)
);
INSERT INTO messages_with_authors (id, room, seq, author_id, client_id, body, sent_at)
SELECT id, room, seq, (SELECT id FROM users WHERE name_key = 'anonymous'), client_id, body, sent_at
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_with_authors RENAME TO messages;
