-- PostgreSQL's form of SQLite's migration 008.
-- The audit trail (every change, with who, from where and its outcome; written in the change's own transaction) and
-- webhooks with their durable outbox (a delivery per event and webhook, written with the event; `claim_until` keeps
-- other replicas off one being attempted).
CREATE TABLE audit_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    address    TEXT,
    request_id TEXT,
    operation  TEXT NOT NULL,
    resources  TEXT NOT NULL,
    detail     TEXT,
    outcome    TEXT NOT NULL
);
CREATE INDEX audit_events_project ON audit_events (project_id, seq);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE TABLE webhooks (
    project_id TEXT NOT NULL,
    id         TEXT NOT NULL,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created    BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE TABLE webhook_deliveries (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   TEXT NOT NULL,
    webhook_id   TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    event        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created      BIGINT NOT NULL,
    status       TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    next_attempt BIGINT NOT NULL,
    claim_until  BIGINT NOT NULL,
    last_status  BIGINT,
    last_error   TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (project_id, webhook_id, seq);
