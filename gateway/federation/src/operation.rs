//! Client operation parsing and validation against the API schema.
use apollo_compiler::ExecutableDocument;
use apollo_compiler::Schema;
use apollo_compiler::parser::Parser;
use apollo_compiler::validation::{DiagnosticList, Valid};

/// A line/column position (1-based) in the client's document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One problem in the client's document, ready to become a GraphQL error.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OperationErrorDetail {
    pub message: String,
    pub locations: Vec<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperationError {
    /// The document is not syntactically valid GraphQL (`GRAPHQL_PARSE_FAILED`).
    #[error("{}", first_message(.0))]
    Parse(Vec<OperationErrorDetail>),
    /// The document does not validate against the API schema (`GRAPHQL_VALIDATION_FAILED`).
    #[error("{}", first_message(.0))]
    Validation(Vec<OperationErrorDetail>),
}

fn first_message(details: &[OperationErrorDetail]) -> String {
    details
        .first()
        .map(|d| d.message.clone())
        .unwrap_or_else(|| "invalid operation".to_string())
}

impl OperationError {
    /// The `extensions.code` clients know for this error.
    pub fn code(&self) -> &'static str {
        match self {
            OperationError::Parse(_) => "GRAPHQL_PARSE_FAILED",
            OperationError::Validation(_) => "GRAPHQL_VALIDATION_FAILED",
        }
    }

    pub fn details(&self) -> &[OperationErrorDetail] {
        match self {
            OperationError::Parse(d) | OperationError::Validation(d) => d,
        }
    }
}

fn details(errors: &DiagnosticList) -> Vec<OperationErrorDetail> {
    errors
        .iter()
        .map(|d| {
            let json = d.to_json();
            OperationErrorDetail {
                message: json.message,
                locations: json
                    .locations
                    .iter()
                    .map(|l| Location {
                        line: l.line,
                        column: l.column,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Parses `source` and validates it against `api_schema`. Syntax errors (and parser limits)
/// are [`OperationError::Parse`]; everything else is [`OperationError::Validation`].
pub fn validate_operation(
    api_schema: &Valid<Schema>,
    source: &str,
) -> Result<Valid<ExecutableDocument>, OperationError> {
    let ast = Parser::new()
        .parse_ast(source, "operation.graphql")
        .map_err(|e| OperationError::Parse(details(&e.errors)))?;
    ast.to_executable_validate(api_schema)
        .map_err(|e| OperationError::Validation(details(&e.errors)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Valid<Schema> {
        Schema::parse_and_validate("type Query { a: Int b(x: Int!): String }", "s.graphql")
            .expect("valid test schema")
    }

    #[test]
    fn syntax_errors_are_parse_failures() {
        let err = validate_operation(&schema(), "{ a ").expect_err("must fail");
        assert_eq!(err.code(), "GRAPHQL_PARSE_FAILED");
        assert!(!err.details().is_empty());
    }

    #[test]
    fn unknown_fields_are_validation_failures_with_locations() {
        let err = validate_operation(&schema(), "{\n  nope\n}").expect_err("must fail");
        assert_eq!(err.code(), "GRAPHQL_VALIDATION_FAILED");
        assert_eq!(
            err.details()[0].locations,
            vec![Location { line: 2, column: 3 }]
        );
    }

    #[test]
    fn valid_operations_pass() {
        assert!(validate_operation(&schema(), "query Q($x: Int!) { a b(x: $x) }").is_ok());
    }
}
