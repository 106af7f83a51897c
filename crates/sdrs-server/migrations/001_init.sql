-- Resources of every kind (protection groups, protected instances, replication pairs, DR drills, and the
-- native servers and disks) as their wire JSON, with the columns that lists filter and sort on.
CREATE TABLE resources (
    seq             INTEGER PRIMARY KEY,      -- insertion order: stable paging
    id              TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    az              TEXT,
    body            TEXT NOT NULL
);
CREATE INDEX resources_list ON resources (project_id, kind, seq);
CREATE INDEX resources_group ON resources (server_group_id, kind);

-- Asynchronous jobs: the wire job (with sub_jobs) and the plan the worker follows. A job is a row; the worker
-- commits each step, so a killed process resumes where it stopped.
CREATE TABLE jobs (
    job_id          TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    status          TEXT NOT NULL,            -- INIT, RUNNING, SUCCESS, FAIL
    run_after       INTEGER NOT NULL,         -- unix millis when the next step is due
    created         INTEGER NOT NULL,
    body            TEXT NOT NULL,
    plan            TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_after) WHERE status IN ('INIT', 'RUNNING');
CREATE INDEX jobs_group ON jobs (server_group_id, created);

-- The task centre: failed jobs until the user deletes them.
CREATE TABLE failure_jobs (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    body            TEXT NOT NULL
);

-- Fault injection: the next job of a group (or of any group) that reaches `step` fails.
CREATE TABLE faults (
    id              INTEGER PRIMARY KEY,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    step            TEXT NOT NULL,
    error_code      TEXT NOT NULL,
    fail_reason     TEXT NOT NULL,
    remaining       INTEGER NOT NULL
);

-- Active-active domains (AZ pairs), shared by all projects.
CREATE TABLE domains (
    id              TEXT PRIMARY KEY,
    body            TEXT NOT NULL
);
