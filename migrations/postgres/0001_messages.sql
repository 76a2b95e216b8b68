-- Rooms own their sequence counter: bumping it in the insert transaction makes `seq` gapless,
-- because a rollback undoes the bump together with the row (a SEQUENCE would leave holes).
CREATE TABLE rooms (
    id TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    -- milliseconds since the Unix epoch, like messages.sent_at
    created_at BIGINT NOT NULL DEFAULT (floor(extract(epoch FROM clock_timestamp()) * 1000))::BIGINT
);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    room TEXT NOT NULL REFERENCES rooms (id),
    seq BIGINT NOT NULL CHECK (seq > 0),
    -- the sender's UUID: a resend hits this constraint instead of storing a second copy
    client_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    UNIQUE (room, seq)
);

-- natter_contract::DEFAULT_ROOM
INSERT INTO rooms (id) VALUES ('general');
