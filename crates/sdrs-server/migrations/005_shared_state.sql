-- What several replicas must share and a restart must keep, moved out of process memory: the gateway's console
-- sessions (by the SHA-256 of their token, so the database never holds a usable cookie), failed gateway logins per
-- client address, and the replay guard's signatures with their answers (`status` NULL while the first is in flight).
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    expires      INTEGER NOT NULL
);
CREATE TABLE login_failures (
    client       TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);
CREATE TABLE replays (
    signature    TEXT PRIMARY KEY,
    expires      INTEGER NOT NULL,
    claimed      INTEGER NOT NULL,
    status       INTEGER,
    content_type TEXT,
    body         BLOB
);
CREATE INDEX replays_expiry ON replays (expires);
-- Leases of work that spans more than one transaction (the recovery-plan executor): one holder at a time, until
-- `expires`; `token` grows with each new holder and fences the holder's writes.
CREATE TABLE leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    token        INTEGER NOT NULL,
    expires      INTEGER NOT NULL
);
