//! What can go wrong in the audit subgraph.

use kit::db::DbError;
use kit::events::BusError;

/// An audit failure. None of these messages is meant for API clients: resolvers log them and
/// answer `INTERNAL_SERVER_ERROR`.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("event bus: {0}")]
    Bus(#[from] BusError),
    #[error(transparent)]
    Service(#[from] kit::service::ServiceError),
    #[error("archive file {path}: {source}")]
    ArchiveIo {
        path: String,
        source: std::io::Error,
    },
    #[error("archive file {path}, line {line}: {reason}")]
    ArchiveFormat {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("invalid audit setting `{key}`: {reason}")]
    Config { key: String, reason: String },
    #[error("encoding JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<diesel::result::Error> for AuditError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}
