DROP TABLE audit_entries;
DROP TABLE audit_archives;
DROP FUNCTION audit_entries_refuse_change();
DROP FUNCTION audit_refuse_rewrite();
