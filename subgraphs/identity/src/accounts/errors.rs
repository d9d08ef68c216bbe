use async_graphql::ErrorExtensions;

use crate::validate::InvalidInput;

/// What a use case can refuse, and the one variant for everything that is our fault.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// Login failed. Deliberately says nothing about which part was wrong.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("too many failed attempts; retry later")]
    Throttled { retry_after_ms: i64 },
    /// A refresh token that is unknown, expired, revoked or reused.
    #[error("the refresh token is invalid or expired")]
    InvalidRefreshToken,
    #[error("authentication required")]
    Unauthenticated,
    #[error("missing permission {0}")]
    Forbidden(&'static str),
    /// Ours, not the client's: the cause is logged, the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl IdentityError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(InvalidInput::new(field, message))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The GraphQL error with `extensions.code` (and `field` for bad input).
    pub fn to_graphql(&self) -> async_graphql::Error {
        match self {
            Self::Invalid(input) => {
                let field = input.field.clone();
                async_graphql::Error::new(format!("{}: {}", input.field, input.message))
                    .extend_with(|_, e| {
                        e.set("code", "BAD_USER_INPUT");
                        e.set("field", field.clone());
                    })
            }
            Self::InvalidCredentials | Self::InvalidRefreshToken | Self::Unauthenticated => {
                async_graphql::Error::new(self.to_string())
                    .extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))
            }
            Self::Throttled { retry_after_ms } => {
                let retry = *retry_after_ms;
                async_graphql::Error::new(self.to_string()).extend_with(|_, e| {
                    e.set("code", "RATE_LIMITED");
                    e.set("retryAfterMs", retry.max(0));
                })
            }
            Self::Forbidden(permission) => {
                let permission = *permission;
                async_graphql::Error::new(self.to_string()).extend_with(|_, e| {
                    e.set("code", "FORBIDDEN");
                    e.set("permission", permission);
                })
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "identity request failed");
                async_graphql::Error::new("internal server error")
                    .extend_with(|_, e| e.set("code", "INTERNAL_SERVER_ERROR"))
            }
        }
    }
}

impl From<kit::db::DbError> for IdentityError {
    fn from(error: kit::db::DbError) -> Self {
        Self::internal(error)
    }
}

impl From<crate::password::PasswordError> for IdentityError {
    fn from(error: crate::password::PasswordError) -> Self {
        Self::internal(error)
    }
}

impl From<crate::tokens::KeyError> for IdentityError {
    fn from(error: crate::tokens::KeyError) -> Self {
        Self::internal(error)
    }
}

impl From<crate::tokens::RoleSourceError> for IdentityError {
    fn from(error: crate::tokens::RoleSourceError) -> Self {
        Self::internal(error)
    }
}

impl From<crate::store::WriteError> for IdentityError {
    fn from(error: crate::store::WriteError) -> Self {
        match error {
            crate::store::WriteError::Taken { field } => {
                Self::invalid(field, "is already registered")
            }
            crate::store::WriteError::Db(e) => Self::internal(e),
        }
    }
}
