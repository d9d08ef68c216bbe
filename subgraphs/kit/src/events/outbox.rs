//! The transactional outbox: every subgraph's `outbox` table and the one call that writes to it.
//!
//! A subgraph gets the table by applying [`OUTBOX_MIGRATIONS`] after its own migrations
//! (`db.migrate(&kit::events::OUTBOX_MIGRATIONS)`), so its own migration files stay free of it.
//! The set's version (`0000kitoutbox0001`) cannot collide with timestamp-named migrations. The
//! SQL is also exposed ([`OUTBOX_SQL_POSTGRES`], [`OUTBOX_SQL_SQLITE`]) for whoever must
//! reproduce the table elsewhere.
//!
//! Writing an event is one insert inside the caller's transaction, so the event exists if and
//! only if the change does:
//!
//! ```ignore
//! kit::db_tx!(db, |conn| async move {
//!     diesel::insert_into(users::table).values(&user).execute(conn).await?;
//!     kit::events::enqueue(conn, &EventEnvelope::new("platform.user.created",
//!         Subject::new("user", &user.id), json!({ "email": user.email })).with_actor(actor)).await?;
//!     Ok(())
//! })?;
//! ```

use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::RunQueryDsl;
use futures::future::BoxFuture;

use super::envelope::{EventEnvelope, unix_millis};
use crate::db::{Migrations, PgConn, SqliteConn};

/// Migrations creating the `outbox` table, for both backends.
pub static OUTBOX_MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("src/events/outbox_migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("src/events/outbox_migrations/sqlite"),
};

/// The PostgreSQL `up.sql` of [`OUTBOX_MIGRATIONS`].
pub const OUTBOX_SQL_POSTGRES: &str =
    include_str!("outbox_migrations/postgres/0000-kit-outbox-0001_create_outbox/up.sql");
/// The SQLite `up.sql` of [`OUTBOX_MIGRATIONS`].
pub const OUTBOX_SQL_SQLITE: &str =
    include_str!("outbox_migrations/sqlite/0000-kit-outbox-0001_create_outbox/up.sql");

diesel::table! {
    /// One row per event. `seq` orders the relay; `sent_at` (unix ms) is set once the bus has it.
    outbox (seq) {
        seq -> BigInt,
        event_id -> Text,
        event_type -> Text,
        envelope -> Text,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewOutboxRow {
    event_id: String,
    event_type: String,
    envelope: String,
    created_at: i64,
}

impl NewOutboxRow {
    fn from_event(event: &EventEnvelope) -> QueryResult<Self> {
        let envelope = serde_json::to_string(event)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        Ok(Self {
            event_id: event.id.to_string(),
            event_type: event.event_type.clone(),
            envelope,
            created_at: unix_millis(time::OffsetDateTime::now_utc()),
        })
    }
}

/// A connection the outbox can write through: either backend's connection type, as a
/// `kit::db_tx!` body sees it.
pub trait OutboxConnection: Send {
    #[doc(hidden)]
    fn insert_outbox_rows(
        &mut self,
        rows: Vec<NewOutboxRowHandle>,
    ) -> BoxFuture<'_, QueryResult<()>>;
}

/// Opaque row ready for insertion; only [`enqueue`] builds them.
#[doc(hidden)]
pub struct NewOutboxRowHandle(NewOutboxRow);

macro_rules! impl_outbox_connection {
    ($conn:ty) => {
        impl OutboxConnection for $conn {
            fn insert_outbox_rows(
                &mut self,
                rows: Vec<NewOutboxRowHandle>,
            ) -> BoxFuture<'_, QueryResult<()>> {
                Box::pin(async move {
                    // One statement per row keeps `seq` in the caller's order on both backends.
                    for NewOutboxRowHandle(row) in rows {
                        diesel::insert_into(outbox::table)
                            .values(row)
                            .execute(self)
                            .await?;
                    }
                    Ok(())
                })
            }
        }
    };
}

impl_outbox_connection!(PgConn);
impl_outbox_connection!(SqliteConn);

/// Writes `event` to the outbox through `conn`; call it inside the transaction that makes the
/// change. Returns diesel's error type so `?` works in any `db_tx!` body.
pub async fn enqueue<C: OutboxConnection>(conn: &mut C, event: &EventEnvelope) -> QueryResult<()> {
    enqueue_all(conn, std::slice::from_ref(event)).await
}

/// Writes several events, relayed in the given order.
pub async fn enqueue_all<C: OutboxConnection>(
    conn: &mut C,
    events: &[EventEnvelope],
) -> QueryResult<()> {
    let rows = events
        .iter()
        .map(|e| NewOutboxRow::from_event(e).map(NewOutboxRowHandle))
        .collect::<QueryResult<Vec<_>>>()?;
    conn.insert_outbox_rows(rows).await
}
