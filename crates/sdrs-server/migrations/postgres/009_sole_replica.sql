-- PostgreSQL only: the sole-replica lease (store/pg_cache.rs). The replica named in `sole_holder` (its writer's
-- application_name, `sdrs-replica-<id>`) serves its hot reads from memory without reading `data_version` first, for
-- as long as it confirms the lease at least every half second. Every write that bumps the version passes this trigger:
-- a write from any other connection waits out that half second holding the row, then ends the lease, so the holder
-- has stopped answering from memory before that write can commit.
ALTER TABLE data_version ADD COLUMN sole_holder TEXT;

CREATE FUNCTION sdrs_hot_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sole_holder IS NOT NULL AND OLD.sole_holder IS DISTINCT FROM current_setting('application_name') THEN
        -- The holder last confirmed its lease before this row was locked (a confirmation locks the row too), so it
        -- stops answering from memory within 0.5 s of that.
        PERFORM pg_sleep(0.5);
        NEW.sole_holder := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER hot_write BEFORE UPDATE OF version ON data_version FOR EACH ROW EXECUTE FUNCTION sdrs_hot_write();
