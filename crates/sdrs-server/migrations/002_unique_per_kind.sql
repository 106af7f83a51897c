-- Ids are unique per kind, not across kinds: a server and a disk may share an id (found by schemathesis: an
-- admin-created server whose id was an existing disk's id failed on the old UNIQUE(id) with a 500).
CREATE TABLE resources_new (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    server_group_id TEXT,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    az              TEXT,
    body            TEXT NOT NULL,
    UNIQUE (kind, id)
);
INSERT INTO resources_new (seq, id, kind, project_id, server_group_id, name, status, az, body)
    SELECT seq, id, kind, project_id, server_group_id, name, status, az, body FROM resources;
DROP TABLE resources;
ALTER TABLE resources_new RENAME TO resources;
CREATE INDEX resources_list ON resources (project_id, kind, seq);
CREATE INDEX resources_group ON resources (server_group_id, kind);
