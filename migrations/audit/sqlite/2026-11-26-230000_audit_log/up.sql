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

-- Append-only, as on PostgreSQL: UPDATE refused; DELETE only for archived entries.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
WHEN NOT EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.seq BETWEEN a.first_seq AND a.last_seq)
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only: DELETE refused');
END;
CREATE TRIGGER audit_archives_no_update BEFORE UPDATE ON audit_archives
BEGIN
    SELECT RAISE(ABORT, 'audit archives are append-only: UPDATE refused');
END;
CREATE TRIGGER audit_archives_no_delete BEFORE DELETE ON audit_archives
BEGIN
    SELECT RAISE(ABORT, 'audit archives are append-only: DELETE refused');
END;
