-- Archives written by retention: which chain range left the table, where it went, and the hash
-- the remaining chain continues from.
CREATE TABLE audit_archives (
    id TEXT PRIMARY KEY,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    first_prev_hash TEXT NOT NULL,
    last_hash TEXT NOT NULL,
    entry_count BIGINT NOT NULL,
    location TEXT NOT NULL,
    archived_at BIGINT NOT NULL
);

-- The hash-chained audit log. `seq` is the position in the chain (1, 2, ...).
CREATE TABLE audit_entries (
    seq BIGINT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL UNIQUE,
    user_id TEXT,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    resource_id TEXT,
    ip_address TEXT,
    user_agent TEXT,
    metadata TEXT NOT NULL,
    "timestamp" BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entries_user ON audit_entries (user_id, seq);
CREATE INDEX audit_entries_resource ON audit_entries (resource, resource_id, seq);
CREATE INDEX audit_entries_action ON audit_entries (action, seq);
CREATE INDEX audit_entries_timestamp ON audit_entries ("timestamp");
CREATE INDEX audit_entries_recorded_at ON audit_entries (recorded_at);

-- Append-only: UPDATE is always refused; DELETE only for entries an archive row covers
-- (retention), never otherwise. Archive rows themselves are never changed.
CREATE FUNCTION audit_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM audit_archives a WHERE OLD.seq BETWEEN a.first_seq AND a.last_seq
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change();

CREATE FUNCTION audit_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit tables are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_rewrite();
CREATE TRIGGER audit_archives_append_only BEFORE UPDATE OR DELETE ON audit_archives
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_rewrite();
CREATE TRIGGER audit_archives_no_truncate BEFORE TRUNCATE ON audit_archives
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_rewrite();
