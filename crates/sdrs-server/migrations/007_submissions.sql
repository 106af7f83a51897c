-- Idempotency keys of accepted submissions (`X-Sdrs-Idempotency-Key`): a key names one job per project, so that a
-- submission sent twice (a recovery-plan executor that lost its lease while its request was on the way, and the
-- replica that took over) yields that one job. Kept seven days.
CREATE TABLE submissions (
    project_id   TEXT NOT NULL,
    key          TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    created      INTEGER NOT NULL,
    PRIMARY KEY (project_id, key)
);
CREATE INDEX submissions_created ON submissions (created);
