//! Stage: parse and validate the client's document against the API schema, cached by the
//! hash of its text (validation depends on nothing else).
use std::sync::Arc;

use apollo_compiler::parser::Parser;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use crate::config::LimitsConfig;
use crate::error::{GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, GraphqlError};

pub type DocumentResult = Arc<Result<Valid<ExecutableDocument>, Vec<GraphqlError>>>;

pub struct DocumentCache {
    cache: Cache<[u8; 32], DocumentResult>,
    max_tokens: usize,
    max_recursion: usize,
}

impl DocumentCache {
    pub fn new(capacity: u64, limits: &LimitsConfig) -> Self {
        Self {
            cache: Cache::new(capacity),
            max_tokens: limits.max_tokens,
            max_recursion: limits.max_recursion,
        }
    }

    /// The validated document, or the parse/validation errors (both cached: a client that
    /// repeats a bad query costs one lookup).
    pub fn get(&self, schema: &Valid<Schema>, query: &str) -> DocumentResult {
        let key: [u8; 32] = Sha256::digest(query.as_bytes()).into();
        self.cache
            .get_with(key, || Arc::new(self.parse_and_validate(schema, query)))
    }

    fn parse_and_validate(
        &self,
        schema: &Valid<Schema>,
        query: &str,
    ) -> Result<Valid<ExecutableDocument>, Vec<GraphqlError>> {
        let ast = Parser::new()
            .token_limit(self.max_tokens)
            .recursion_limit(self.max_recursion)
            .parse_ast(query, "operation.graphql")
            .map_err(|with_errors| {
                with_errors
                    .errors
                    .iter()
                    .map(|d| GraphqlError::from_compiler(d.to_json(), Some(GRAPHQL_PARSE_FAILED)))
                    .collect::<Vec<_>>()
            })?;
        ast.to_executable_validate(schema).map_err(|with_errors| {
            with_errors
                .errors
                .iter()
                .map(|d| GraphqlError::from_compiler(d.to_json(), Some(GRAPHQL_VALIDATION_FAILED)))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Valid<Schema> {
        Schema::parse_and_validate("type Query { a: Int }", "s.graphql").expect("schema")
    }

    #[test]
    fn parse_and_validation_errors_have_codes_and_locations() {
        let cache = DocumentCache::new(10, &LimitsConfig::default());
        let schema = schema();
        let parse = cache.get(&schema, "{ a ");
        let errors = parse.as_ref().as_ref().expect_err("parse error");
        assert_eq!(errors[0].code(), Some(GRAPHQL_PARSE_FAILED));
        let invalid = cache.get(&schema, "{ b }");
        let errors = invalid.as_ref().as_ref().expect_err("validation error");
        assert_eq!(errors[0].code(), Some(GRAPHQL_VALIDATION_FAILED));
        assert_eq!(errors[0].locations[0].line, 1);
        assert!(cache.get(&schema, "{ a }").is_ok());
    }

    #[test]
    fn repeated_queries_share_one_document() {
        let cache = DocumentCache::new(10, &LimitsConfig::default());
        let schema = schema();
        assert!(Arc::ptr_eq(
            &cache.get(&schema, "{ a }"),
            &cache.get(&schema, "{ a }")
        ));
    }
}
