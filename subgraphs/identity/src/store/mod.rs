//! Identity's persistence: one query per operation, written once for PostgreSQL and SQLite
//! through `kit::db_run!` / `kit::db_tx!`. No policy lives here (that is `accounts`); functions
//! return what happened and leave the decisions to the caller.

pub mod attempts;
pub mod keys;
pub mod mail;
pub mod one_time;
pub mod schema;
pub mod sessions;
pub mod users;

use kit::db::Migrations;

/// Identity's embedded migrations for both backends.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("../../migrations/identity/postgres"),
    sqlite: diesel_migrations::embed_migrations!("../../migrations/identity/sqlite"),
};

/// Current time in unix milliseconds, the unit of every timestamp column.
pub fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

/// Which unique constraint a violation hit, from the backend's error details.
pub(crate) fn violated_unique(error: &diesel::result::Error) -> Option<String> {
    let diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::UniqueViolation,
        info,
    ) = error
    else {
        return None;
    };
    // PostgreSQL names the constraint; SQLite names the columns in the message.
    Some(
        info.constraint_name()
            .map_or_else(|| info.message().to_owned(), str::to_owned),
    )
}

/// Writes `events` to the transactional outbox on `conn`, inside the caller's transaction, so
/// an event exists if and only if its change does. Every write function takes its events.
pub(crate) async fn enqueue_events<C: kit::events::outbox::OutboxConnection>(
    conn: &mut C,
    events: &[kit::events::EventEnvelope],
) -> Result<(), diesel::result::Error> {
    if events.is_empty() {
        return Ok(());
    }
    kit::events::outbox::enqueue_all(conn, events).await
}

/// A write refused by a unique constraint, naming the input field it concerns.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{field} is already taken")]
    Taken { field: &'static str },
    #[error(transparent)]
    Db(#[from] kit::db::DbError),
}

impl From<diesel::result::Error> for WriteError {
    fn from(error: diesel::result::Error) -> Self {
        match violated_unique(&error) {
            Some(constraint) if constraint.contains("email") => Self::Taken { field: "email" },
            Some(constraint) if constraint.contains("username") => {
                Self::Taken { field: "username" }
            }
            _ => Self::Db(kit::db::DbError::Query(error)),
        }
    }
}
