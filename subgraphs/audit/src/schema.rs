//! Diesel schema of the audit tables (portable types: see the database convention).

diesel::table! {
    /// The hash chain. `seq` is the position in the chain; timestamps are unix milliseconds.
    audit_entries (seq) {
        seq -> BigInt,
        id -> Text,
        event_id -> Text,
        user_id -> Nullable<Text>,
        action -> Text,
        resource -> Text,
        resource_id -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        metadata -> Text,
        timestamp -> BigInt,
        recorded_at -> BigInt,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// One row per archive file written by retention.
    audit_archives (id) {
        id -> Text,
        first_seq -> BigInt,
        last_seq -> BigInt,
        first_prev_hash -> Text,
        last_hash -> Text,
        entry_count -> BigInt,
        location -> Text,
        archived_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(audit_entries, audit_archives);
