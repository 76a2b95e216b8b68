-- Expired sessions are swept every minute (server::people::sweep_sessions): by index, not by scan.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
