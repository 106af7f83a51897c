-- The PostgreSQL schema: the same tables and columns as the SQLite migrations 001-004 leave, in PostgreSQL's types.
-- Bodies stay TEXT, the wire JSON exactly as the API sends it; the few JSON conditions cast to jsonb where they run.
CREATE TABLE resources (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- insertion order: stable paging
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    az              TEXT,
    body            TEXT NOT NULL,
    UNIQUE (project_id, kind, id)
);
CREATE INDEX resources_list ON resources (project_id, kind, seq);
CREATE INDEX resources_group ON resources (server_group_id, kind);

CREATE TABLE jobs (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,       -- SQLite's rowid: the order of equal `created`
    job_id          TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    status          TEXT NOT NULL,
    run_after       BIGINT NOT NULL,
    created         BIGINT NOT NULL,
    body            TEXT NOT NULL,
    plan            TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_after) WHERE status IN ('INIT', 'RUNNING');
CREATE INDEX jobs_group ON jobs (server_group_id, created);

CREATE TABLE failure_jobs (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    body            TEXT NOT NULL
);

CREATE TABLE faults (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    step            TEXT NOT NULL,
    error_code      TEXT NOT NULL,
    fail_reason     TEXT NOT NULL,
    remaining       BIGINT NOT NULL,
    raise_error     BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE domains (
    id              TEXT PRIMARY KEY,
    body            TEXT NOT NULL
);
