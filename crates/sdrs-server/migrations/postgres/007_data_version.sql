-- PostgreSQL only: the version of the hot documents (groups, jobs), bumped by each write transaction that changes
-- one, in the transaction that changes it, with a notification naming what changed (`sdrs_hot_documents`). A replica
-- serves a document from its memory only once it has applied every notification up to the version read after the
-- request arrived (store/pg_cache.rs).
CREATE TABLE data_version (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    version  BIGINT NOT NULL
);
INSERT INTO data_version (version) VALUES (0);
