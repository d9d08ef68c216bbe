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

/// Writes `events` to the transactional outbox on `conn`, inside the caller's transaction.
///
/// SEAM: `kit::events` has no outbox writer yet; until it lands, events are logged only. When
/// `kit::events::outbox::enqueue` exists, call it here for each event; every caller already
/// passes the transaction's connection.
pub(crate) async fn enqueue_events<C: Send>(
    _conn: &mut C,
    events: &[kit::events::EventEnvelope],
) -> Result<(), diesel::result::Error> {
    for event in events {
        tracing::info!(
            event_type = %event.event_type,
            event_id = %event.id,
            subject = %event.subject.id,
            "identity event"
        );
    }
    Ok(())
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
