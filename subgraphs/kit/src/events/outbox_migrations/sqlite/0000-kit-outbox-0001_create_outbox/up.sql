-- The transactional outbox (kit::events::outbox). Rows are written in the same transaction as
-- the change they describe and relayed to the bus in `seq` order. AUTOINCREMENT: a pruned
-- sequence number is never handed out again.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    envelope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
