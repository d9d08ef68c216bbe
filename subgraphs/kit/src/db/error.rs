//! What can go wrong talking to a database.
use super::Backend;

/// A database failure. Messages name the database (password redacted) and the cause; none of
/// them is meant for API clients (`kit::error::KitError` turns them into a generic message).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot create the directory for SQLite database {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the {backend} database at {url}: {reason}")]
    Connect {
        backend: Backend,
        url: String,
        reason: String,
    },
    #[error("no database connection available within {timeout_ms} ms ({url})")]
    PoolTimeout { url: String, timeout_ms: u64 },
    #[error("the SQLite database file {path} is gone")]
    FileGone { path: String },
    #[error("migrations for `{schema}` failed on {backend}: {reason}")]
    Migration {
        schema: String,
        backend: Backend,
        reason: String,
    },
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
}

impl DbError {
    /// Whether the error is a query that found no row (`diesel::result::Error::NotFound`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Query(diesel::result::Error::NotFound))
    }

    /// Whether the error is a unique or foreign key constraint violation, which usually means
    /// bad client input rather than a broken server.
    pub fn is_constraint_violation(&self) -> bool {
        use diesel::result::DatabaseErrorKind as K;
        matches!(
            self,
            Self::Query(diesel::result::Error::DatabaseError(
                K::UniqueViolation
                    | K::ForeignKeyViolation
                    | K::CheckViolation
                    | K::NotNullViolation,
                _
            ))
        )
    }
}
