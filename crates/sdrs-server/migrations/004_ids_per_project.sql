-- Ids are unique per project and kind (the security review found that project-wide uniqueness let one project probe
-- and squat another's inventory ids). Every statement on a row now names its project.
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
    UNIQUE (project_id, kind, id)
);
INSERT INTO resources_new (seq, id, kind, project_id, server_group_id, name, status, az, body)
    SELECT seq, id, kind, project_id, server_group_id, name, status, az, body FROM resources;
DROP TABLE resources;
ALTER TABLE resources_new RENAME TO resources;
CREATE INDEX resources_list ON resources (project_id, kind, seq);
CREATE INDEX resources_group ON resources (server_group_id, kind);
-- DROP TABLE dropped the count triggers with the old table: recreate them on the new one.
CREATE TRIGGER resource_counts_insert AFTER INSERT ON resources BEGIN
    INSERT INTO resource_counts (project_id, kind, n) VALUES (NEW.project_id, NEW.kind, 1)
        ON CONFLICT (project_id, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER resource_counts_delete AFTER DELETE ON resources BEGIN
    UPDATE resource_counts SET n = n - 1 WHERE project_id = OLD.project_id AND kind = OLD.kind;
END;

-- Fault injection can make a step raise an error (as a bug or a vanished resource would), not only fail cleanly.
ALTER TABLE faults ADD COLUMN raise_error INTEGER NOT NULL DEFAULT 0;
