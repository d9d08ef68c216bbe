//! Response shaping: walks the client's validated operation over the merged tree with the
//! API schema. apollo-compiler's executor does the walking (aliases, fragments by the data's
//! `__typename`, `@skip`/`@include`, result coercion, null propagation) and answers
//! introspection; the tree is exposed to it as resolvers that only read.
use apollo_compiler::ExecutableDocument;
use apollo_compiler::Name;
use apollo_compiler::Schema;
use apollo_compiler::collections::HashMap;
use apollo_compiler::executable::Operation;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::{ExtendedType, Implementers, Type};
use apollo_compiler::validation::Valid;

use crate::error::{GraphqlError, INTERNAL_SERVER_ERROR, paths_overlap};

/// The client's response: `data` absent only when the whole operation could not run.
#[derive(Debug)]
pub struct Shaped {
    pub data: Option<JsonMap>,
    pub errors: Vec<GraphqlError>,
}

pub struct ShapeInput<'a> {
    pub schema: &'a Valid<Schema>,
    pub implementers: &'a HashMap<Name, Implementers>,
    pub document: &'a Valid<ExecutableDocument>,
    pub operation: &'a Operation,
    pub variables: &'a Valid<JsonMap>,
    pub introspection: bool,
}

/// Shapes `tree` for the client. `fetch_errors` (already in client paths) come first; a
/// null-in-non-null error is not repeated where a fetch error already explains the null.
pub fn shape(input: &ShapeInput<'_>, tree: &JsonValue, fetch_errors: Vec<GraphqlError>) -> Shaped {
    let empty = JsonMap::new();
    let root = TreeObject {
        type_name: input.operation.object_type().as_str(),
        fields: tree.as_object().unwrap_or(&empty),
        schema: input.schema,
    };
    let response = Execution::new(input.schema, input.document)
        .operation(input.operation)
        .implementers_map(input.implementers)
        .coerced_variable_values(input.variables)
        .enable_schema_introspection(input.introspection)
        .execute_sync(&root);
    let mut errors = fetch_errors;
    match response {
        Ok(response) => {
            let own = response
                .errors
                .into_iter()
                .map(|e| GraphqlError::from_compiler(e, None))
                .filter(|e| !explained_by(e, &errors))
                .map(sanitize)
                .collect::<Vec<_>>();
            errors.extend(own);
            Shaped {
                data: response.data,
                errors,
            }
        }
        Err(error) => {
            errors.push(GraphqlError::from_compiler(
                error.to_graphql_error(&input.document.sources),
                Some(INTERNAL_SERVER_ERROR),
            ));
            Shaped { data: None, errors }
        }
    }
}

/// A null reported by the shaper is explained by a fetch error on the same path, a parent
/// (the object never arrived) or a child (the subgraph nulled it below).
fn explained_by(error: &GraphqlError, fetch_errors: &[GraphqlError]) -> bool {
    let Some(path) = &error.path else {
        return false;
    };
    error.message.contains("resolved to null")
        && fetch_errors
            .iter()
            .any(|f| f.path.as_deref().is_some_and(|p| paths_overlap(p, path)))
}

/// The executor's messages name the offending value (which may be an inaccessible enum
/// value or type): say what is wrong without repeating it.
fn sanitize(mut error: GraphqlError) -> GraphqlError {
    if error.message.starts_with("resolver returned") {
        error.message = "Invalid value found for this field: the subgraph returned a value that \
                         is not valid for its type in the API schema"
            .to_string();
    } else if error.message.starts_with("non-null type") {
        error.message = format!(
            "Cannot return null for non-nullable field ({})",
            error.message
        );
    }
    error
}

struct TreeObject<'a> {
    type_name: &'a str,
    fields: &'a JsonMap,
    schema: &'a Schema,
}

impl ObjectValue for TreeObject<'_> {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let key = info.field_selections()[0].response_key();
        let value = self.fields.get(key.as_str());
        Ok(resolve(value, &info.field_definition().ty, self.schema))
    }
}

fn resolve<'a>(
    value: Option<&'a JsonValue>,
    ty: &'a Type,
    schema: &'a Schema,
) -> ResolvedValue<'a> {
    let Some(value) = value else {
        return ResolvedValue::null();
    };
    if value.is_null() {
        return ResolvedValue::null();
    }
    if ty.is_list() {
        let item_type = ty.item_type();
        return match value {
            JsonValue::Array(items) => ResolvedValue::List(Box::new(
                items
                    .iter()
                    .map(move |item| Ok(resolve(Some(item), item_type, schema))),
            )),
            // Let the executor report the mismatch.
            other => ResolvedValue::Leaf(other.clone()),
        };
    }
    let named = ty.inner_named_type();
    match schema.types.get(named) {
        Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
            match value {
                JsonValue::Object(fields) => {
                    let type_name = fields
                        .get("__typename")
                        .and_then(JsonValue::as_str)
                        .unwrap_or(named.as_str());
                    ResolvedValue::object(TreeObject {
                        type_name,
                        fields,
                        schema,
                    })
                }
                other => ResolvedValue::Leaf(other.clone()),
            }
        }
        // GraphQL serializes a Float without a fractional part as an integer sometimes.
        Some(ExtendedType::Scalar(_)) if named == "Float" && (value.is_i64() || value.is_u64()) => {
            ResolvedValue::Leaf(
                value
                    .as_f64()
                    .map_or_else(|| value.clone(), JsonValue::from),
            )
        }
        _ => ResolvedValue::Leaf(value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type Query { top: [Product!]! me: User node: Node }
        interface Node { id: ID! }
        type Product implements Node { id: ID! name: String price: Float! color: Color }
        type User implements Node { id: ID! name: String! }
        enum Color { RED GREEN }
    "#;

    fn run(
        query: &str,
        tree: serde_json::Value,
        fetch_errors: Vec<GraphqlError>,
    ) -> serde_json::Value {
        let schema = Schema::parse_and_validate(SDL, "s.graphql").expect("schema");
        let document =
            ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").expect("document");
        let operation = document.operations.get(None).expect("operation");
        let variables = Valid::assume_valid(JsonMap::new());
        let implementers = schema.implementers_map();
        let input = ShapeInput {
            schema: &schema,
            implementers: &implementers,
            document: &document,
            operation,
            variables: &variables,
            introspection: true,
        };
        let tree: JsonValue = serde_json::from_value(tree).expect("tree");
        let shaped = shape(&input, &tree, fetch_errors);
        serde_json::json!({"data": shaped.data, "errors": shaped.errors})
    }

    #[test]
    fn aliases_fragments_and_hidden_fields() {
        let out = run(
            "{ top { i: id ... on Product { name } } node { __typename ... on User { name } } }",
            serde_json::json!({
                "top": [{"__typename": "Product", "id": "1", "i": "1", "name": "A", "price": 2}],
                "node": {"__typename": "User", "id": "u", "name": "Ann"}
            }),
            vec![],
        );
        assert_eq!(
            out["data"],
            serde_json::json!({"top": [{"i": "1", "name": "A"}], "node": {"__typename": "User", "name": "Ann"}})
        );
    }

    #[test]
    fn null_in_non_null_propagates_and_is_not_duplicated() {
        let error = GraphqlError::with_code("boom", "X").at(vec![
            crate::error::PathSegment::Key("me".into()),
            crate::error::PathSegment::Key("name".into()),
        ]);
        let out = run(
            "{ me { name } }",
            serde_json::json!({"me": {"name": null}}),
            vec![error],
        );
        assert_eq!(out["data"], serde_json::json!({"me": null}));
        assert_eq!(out["errors"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn unknown_enum_value_is_nulled_without_leaking() {
        let out = run(
            "{ top { color price } }",
            serde_json::json!({"top": [{"color": "SECRET", "price": 3}]}),
            vec![],
        );
        assert_eq!(
            out["data"],
            serde_json::json!({"top": [{"color": null, "price": 3.0}]})
        );
        assert!(!out["errors"].to_string().contains("SECRET"));
        assert_eq!(
            out["errors"][0]["path"],
            serde_json::json!(["top", 0, "color"])
        );
    }

    #[test]
    fn typename_and_introspection_are_answered_locally() {
        let out = run(
            "{ __typename __type(name: \"Color\") { enumValues { name } } }",
            serde_json::json!({}),
            vec![],
        );
        assert_eq!(
            out["data"],
            serde_json::json!({"__typename": "Query", "__type": {"enumValues": [{"name": "RED"}, {"name": "GREEN"}]}})
        );
    }
}
