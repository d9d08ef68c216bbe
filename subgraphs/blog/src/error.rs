//! What a blog operation can fail with, and the GraphQL error each becomes.

use async_graphql::ErrorExtensions;

/// A failed blog operation. Client errors name what to change; `Db` is logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum BlogError {
    /// Bad input; `field` is the argument or input field at fault (`extensions.field`).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but neither the owner nor holding the permission that would allow it.
    #[error("{0}")]
    Forbidden(String),
    /// No such post or comment, or one the caller may not see.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Db(#[from] kit::db::DbError),
}

impl BlogError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The `extensions.code` clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Db(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl From<diesel::result::Error> for BlogError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(kit::db::DbError::Query(error))
    }
}

impl ErrorExtensions for BlogError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            Self::Db(cause) => {
                kit::error::KitError::internal(kit::error::ErrorChain(cause).to_string()).extend()
            }
            Self::Invalid { field, .. } => {
                async_graphql::Error::new(self.to_string()).extend_with(|_, e| {
                    e.set("code", self.code());
                    e.set("field", *field);
                })
            }
            _ => async_graphql::Error::new(self.to_string())
                .extend_with(|_, e| e.set("code", self.code())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(error: &async_graphql::Error, key: &str) -> Option<String> {
        match error.extensions.as_ref()?.get(key)? {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    #[test]
    fn bad_input_names_the_field_and_internal_errors_hide_the_cause() {
        let gql = BlogError::invalid("slug", "is already taken").extend();
        assert_eq!(ext(&gql, "code").as_deref(), Some("BAD_USER_INPUT"));
        assert_eq!(ext(&gql, "field").as_deref(), Some("slug"));
        assert_eq!(gql.message, "slug: is already taken");

        let gql = BlogError::Db(kit::db::DbError::FileGone {
            path: "/secret/blog.db".into(),
        })
        .extend();
        assert_eq!(ext(&gql, "code").as_deref(), Some("INTERNAL_SERVER_ERROR"));
        assert!(!gql.message.contains("secret"), "{}", gql.message);
    }
}
