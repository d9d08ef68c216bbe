//! The errors a subgraph reports to clients, as GraphQL `extensions.code` values.
//!
//! Resolvers return `async_graphql::Result` and turn a [`KitError`] into a GraphQL error with
//! `.extend()` (from `async_graphql::ErrorExtensions`/`ResultExt`), or `?` through
//! [`KitError::into_graphql`]. Internal errors keep their cause in the log line and send
//! clients only "internal server error".
use async_graphql::ErrorExtensions;

/// What went wrong, in the client's terms.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// The input is invalid; the message says what to change.
    #[error("{0}")]
    BadUserInput(String),
    /// No or invalid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The named thing does not exist (or the caller may not know it does).
    #[error("{0}")]
    NotFound(String),
    #[error("too many requests")]
    RateLimited,
    /// Anything the client cannot fix. The cause is logged, never sent.
    #[error("internal server error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl KitError {
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// The `extensions.code` clients match on (the codes in DESIGN.md).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status when the error ends the whole request (before execution).
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::BadUserInput(_) => S::BAD_REQUEST,
            Self::Unauthenticated(_) => S::UNAUTHORIZED,
            Self::Forbidden(_) => S::FORBIDDEN,
            Self::NotFound(_) => S::NOT_FOUND,
            Self::RateLimited => S::TOO_MANY_REQUESTS,
            Self::Internal(_) => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// The GraphQL error to send; logs the cause of internal errors.
    pub fn into_graphql(self) -> async_graphql::Error {
        self.extend()
    }
}

impl ErrorExtensions for KitError {
    fn extend(&self) -> async_graphql::Error {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %ErrorChain(cause.as_ref()), "internal error");
        }
        async_graphql::Error::new(self.to_string())
            .extend_with(|_, ext| ext.set("code", self.code()))
    }
}

impl From<crate::db::DbError> for KitError {
    fn from(error: crate::db::DbError) -> Self {
        Self::Internal(Box::new(error))
    }
}

/// Displays an error with its sources: `outer: inner: innermost`.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(error: &async_graphql::Error) -> Option<String> {
        let value = error.extensions.as_ref()?.get("code")?;
        match value {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    #[test]
    fn each_kind_carries_its_code_and_message() {
        let cases = [
            (
                KitError::BadUserInput("title is empty".into()),
                "BAD_USER_INPUT",
                "title is empty",
            ),
            (
                KitError::Unauthenticated("token expired".into()),
                "UNAUTHENTICATED",
                "token expired",
            ),
            (
                KitError::Forbidden("needs blog.post.publish".into()),
                "FORBIDDEN",
                "needs blog.post.publish",
            ),
            (
                KitError::NotFound("post not found".into()),
                "NOT_FOUND",
                "post not found",
            ),
            (KitError::RateLimited, "RATE_LIMITED", "too many requests"),
        ];
        for (error, code, message) in cases {
            let gql = error.into_graphql();
            assert_eq!(code_of(&gql).as_deref(), Some(code));
            assert_eq!(gql.message, message);
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let cause = crate::db::DbError::PoolTimeout {
            url: "postgres://app:***@db/platform".into(),
            timeout_ms: 5000,
        };
        let error = KitError::from(cause);
        assert_eq!(error.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        let gql = error.into_graphql();
        assert_eq!(gql.message, "internal server error");
        assert_eq!(code_of(&gql).as_deref(), Some("INTERNAL_SERVER_ERROR"));
        assert!(!format!("{gql:?}").contains("postgres"));
    }

    #[test]
    fn chain_lists_every_cause() {
        let io = std::io::Error::other("disk full");
        let error = crate::db::DbError::CreateDir {
            path: "data/x.db".into(),
            source: io,
        };
        let chain = ErrorChain(&error).to_string();
        assert!(chain.ends_with(": disk full"), "{chain}");
    }
}
