//! GraphQL errors with the codes clients know; internals are logged, never sent.

use async_graphql::{Error, ErrorExtensions};

use crate::error::AuditError;

pub(crate) fn internal(error: AuditError) -> Error {
    tracing::error!(%error, "audit request failed");
    Error::new("internal error").extend_with(|_, e| e.set("code", "INTERNAL_SERVER_ERROR"))
}

pub(crate) fn bad_input(message: impl Into<String>) -> Error {
    Error::new(message.into()).extend_with(|_, e| e.set("code", "BAD_USER_INPUT"))
}
