-- Invite links (`--registration invite`): an administrator's link lets new people claim a
-- name. Only a SHA-256 of each 256-bit token is kept, as for sessions.
CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    -- NULL: any number of new accounts until it expires; else how many it has left
    uses_left BIGINT,
    created_at BIGINT NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
);
