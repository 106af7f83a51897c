-- Rows per project and kind, kept by a trigger, so an unfiltered list answers `count` without scanning (SQLite's
-- migration 003): count(*) over 100,000 groups on every page made paging them take seconds. Writes are serialised by
-- the write lock, so the counter rows are no point of contention among replicas.
CREATE TABLE resource_counts (
    project_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (project_id, kind)
);
INSERT INTO resource_counts (project_id, kind, n)
    SELECT project_id, kind, count(*) FROM resources GROUP BY project_id, kind;
CREATE FUNCTION resource_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO resource_counts (project_id, kind, n) VALUES (NEW.project_id, NEW.kind, 1)
            ON CONFLICT (project_id, kind) DO UPDATE SET n = resource_counts.n + 1;
    ELSE
        UPDATE resource_counts SET n = n - 1 WHERE project_id = OLD.project_id AND kind = OLD.kind;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER resource_counts_change AFTER INSERT OR DELETE ON resources
    FOR EACH ROW EXECUTE FUNCTION resource_counts_change();
