//! Audit subgraph: append-only, hash-chained log of every domain event.
//!
//! What it is for: consuming every event from the bus ([`AuditConsumer`]), recording one entry
//! per event in a hash chain ([`AuditChain`]), answering filtered, paginated queries and chain
//! verification over GraphQL, and archiving old entries without breaking the chain
//! ([`retention`]). What it is not for: deciding what events exist (their modules do) or
//! changing entries: nothing here updates or deletes an entry, and the database refuses it.

pub mod chain;
pub mod config;
pub mod consumer;
pub mod entry;
pub mod error;
pub mod graphql;
pub mod query;
pub mod retention;
pub mod runtime;
pub mod schema;
pub mod server;

pub use chain::{Appended, AuditChain, ChainReport, VerifyRange};
pub use config::AuditSettings;
pub use consumer::AuditConsumer;
pub use entry::{AuditEntry, EntryContent, GENESIS_HASH};
pub use error::AuditError;
pub use runtime::AuditRuntime;
pub use server::{run, serve};

/// The audit tables' migrations for both backends.
pub static MIGRATIONS: kit::db::Migrations = kit::db::Migrations {
    postgres: diesel_migrations::embed_migrations!("../../migrations/audit/postgres"),
    sqlite: diesel_migrations::embed_migrations!("../../migrations/audit/sqlite"),
};

/// Brings an audit database up to date: the kit's outbox table, then audit's own tables.
pub async fn migrate(db: &kit::db::Db) -> Result<Vec<String>, AuditError> {
    let mut applied = db.migrate(&kit::events::OUTBOX_MIGRATIONS).await?;
    applied.extend(db.migrate(&MIGRATIONS).await?);
    Ok(applied)
}
