//! GraphQL errors as the gateway returns them, and the error codes clients know.
use apollo_compiler::response::{GraphQLError as CompilerError, JsonMap, ResponseDataPathSegment};
use serde::{Deserialize, Serialize};

pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const BAD_REQUEST: &str = "BAD_REQUEST";
pub const SUBGRAPH_REQUEST_FAILED: &str = "SUBGRAPH_REQUEST_FAILED";
pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
pub const QUERY_PLANNING_FAILED: &str = "QUERY_PLANNING_FAILED";
pub const OPERATION_RESOLUTION_FAILURE: &str = "OPERATION_RESOLUTION_FAILURE";
// The edge's codes (auth, limits, persisted operations, rate limiting).
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
pub const FORBIDDEN: &str = "FORBIDDEN";
pub const RATE_LIMITED: &str = "RATE_LIMITED";
pub const OPERATION_LIMIT_EXCEEDED: &str = "OPERATION_LIMIT_EXCEEDED";
pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
pub const PERSISTED_QUERY_NOT_SUPPORTED: &str = "PERSISTED_QUERY_NOT_SUPPORTED";
pub const PERSISTED_QUERY_HASH_MISMATCH: &str = "PERSISTED_QUERY_HASH_MISMATCH";
pub const PERSISTED_QUERY_NOT_IN_LIST: &str = "PERSISTED_QUERY_NOT_IN_LIST";
pub const CSRF_PREVENTED: &str = "CSRF_PREVENTED";

/// One step of an error path: a response key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// An entry of a response's `errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphqlError {
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSegment>>,
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub extensions: JsonMap,
}

impl GraphqlError {
    /// An error with `extensions.code` set.
    pub fn with_code(message: impl Into<String>, code: &str) -> Self {
        let mut extensions = JsonMap::new();
        extensions.insert("code", code.into());
        Self {
            message: message.into(),
            locations: Vec::new(),
            path: None,
            extensions,
        }
    }

    pub fn at(mut self, path: Vec<PathSegment>) -> Self {
        self.path = Some(path);
        self
    }

    /// The error's `extensions.code`, if any.
    pub fn code(&self) -> Option<&str> {
        self.extensions.get("code").and_then(|c| c.as_str())
    }

    /// Converts an apollo-compiler error (diagnostic or execution error), adding `code`.
    pub fn from_compiler(error: CompilerError, code: Option<&str>) -> Self {
        let mut extensions = error.extensions;
        if let Some(code) = code {
            extensions.insert("code", code.into());
        }
        Self {
            message: error.message,
            locations: error
                .locations
                .into_iter()
                .map(|l| Location {
                    line: l.line,
                    column: l.column,
                })
                .collect(),
            path: (!error.path.is_empty()).then(|| {
                error
                    .path
                    .into_iter()
                    .map(|segment| match segment {
                        ResponseDataPathSegment::Field(name) => PathSegment::Key(name.to_string()),
                        ResponseDataPathSegment::ListIndex(i) => PathSegment::Index(i),
                    })
                    .collect()
            }),
            extensions,
        }
    }
}

/// True when one path is a prefix of the other (or they are equal).
pub fn paths_overlap(a: &[PathSegment], b: &[PathSegment]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_in_response_format() {
        let error = GraphqlError::with_code("boom", SUBGRAPH_REQUEST_FAILED)
            .at(vec![PathSegment::Key("a".into()), PathSegment::Index(2)]);
        let json = serde_json::to_value(&error).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({
                "message": "boom",
                "path": ["a", 2],
                "extensions": {"code": "SUBGRAPH_REQUEST_FAILED"}
            })
        );
    }

    #[test]
    fn overlap_is_prefix_either_way() {
        let a = [PathSegment::Key("a".into())];
        let ab = [PathSegment::Key("a".into()), PathSegment::Index(0)];
        let b = [PathSegment::Key("b".into())];
        assert!(paths_overlap(&a, &ab));
        assert!(paths_overlap(&ab, &a));
        assert!(!paths_overlap(&a, &b));
    }
}
