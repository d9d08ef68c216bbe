use async_graphql::ErrorExtensions;
use kit::db::DbError;
use kit::error::KitError;

/// What an authz operation can fail with, in the client's terms.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("{0}")]
    Invalid(String),
    #[error("unknown permission `{0}`")]
    UnknownPermission(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("built-in role `{0}` cannot be {1}")]
    BuiltIn(String, &'static str),
    #[error("refusing to remove the last admin")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AuthzError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl AuthzError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub fn to_kit(&self) -> KitError {
        match self {
            Self::Db(e) => KitError::internal(e.to_string()),
            Self::NotFound(_) => KitError::NotFound(self.to_string()),
            _ => KitError::BadUserInput(self.to_string()),
        }
    }
}

impl ErrorExtensions for AuthzError {
    fn extend(&self) -> async_graphql::Error {
        self.to_kit().extend()
    }
}
