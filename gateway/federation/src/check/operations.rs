//! Validating the client operations we know about (`schema/operations/`) against an API
//! schema: which would fail after the change, and why.
use apollo_compiler::Schema;
use apollo_compiler::validation::Valid;

use crate::operation::{OperationErrorDetail, validate_operation};

/// One client document that does not validate against the new API schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OperationFailure {
    /// Where the document lives (as given by the caller).
    pub path: String,
    /// `GRAPHQL_PARSE_FAILED` or `GRAPHQL_VALIDATION_FAILED`.
    pub code: &'static str,
    pub errors: Vec<OperationErrorDetail>,
}

/// Validates each `(path, text)` against `api_schema`; returns the ones that fail.
pub fn check_operations(
    api_schema: &Valid<Schema>,
    operations: &[(String, String)],
) -> Vec<OperationFailure> {
    operations
        .iter()
        .filter_map(|(path, text)| {
            validate_operation(api_schema, text)
                .err()
                .map(|e| OperationFailure {
                    path: path.clone(),
                    code: e.code(),
                    errors: e.details().to_vec(),
                })
        })
        .collect()
}
