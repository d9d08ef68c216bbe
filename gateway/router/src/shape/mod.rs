//! Response shaping: walks the client's validated operation over the merged tree with the
//! API schema (aliases, fragments by the data's `__typename`, `@skip`/`@include`, result
//! coercion, null propagation) and produces `data` as JSON bytes.
//!
//! Two walkers: `write` (the hot path) writes the JSON directly; operations that ask for
//! introspection (`__schema`, `__type`) go through apollo-compiler's executor, which answers
//! it, with the tree exposed as resolvers that only read.
mod write;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::Name;
use apollo_compiler::Schema;
use apollo_compiler::collections::HashMap;
use apollo_compiler::executable::{Operation, OperationType, Selection};
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};

use crate::execution::value::Value;
use apollo_compiler::schema::{ExtendedType, Implementers, Type};
use apollo_compiler::validation::Valid;

use crate::error::{GraphqlError, INTERNAL_SERVER_ERROR, paths_overlap};

/// The client's response: `data` is JSON text, `null` when null propagation reached the
/// root or the operation could not run.
#[derive(Debug)]
pub struct Shaped {
    pub data: Vec<u8>,
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
pub fn shape(input: &ShapeInput<'_>, tree: &Value, fetch_errors: Vec<GraphqlError>) -> Shaped {
    if !asks_introspection(input.document, input.operation) {
        let writer =
            write::Writer::new(input.schema, input.document, input.variables, &fetch_errors);
        let (data, own) = writer.write(input.operation, tree);
        let mut errors = fetch_errors;
        errors.extend(own);
        return Shaped { data, errors };
    }
    execute(input, &tree.to_json(), fetch_errors)
}

/// Whether the operation selects `__schema` or `__type` at its root.
fn asks_introspection(document: &ExecutableDocument, operation: &Operation) -> bool {
    fn visit<'a>(
        document: &'a ExecutableDocument,
        selections: &'a [Selection],
        seen: &mut Vec<&'a str>,
    ) -> bool {
        selections.iter().any(|selection| match selection {
            Selection::Field(field) => field.name == "__schema" || field.name == "__type",
            Selection::InlineFragment(inline) => {
                visit(document, &inline.selection_set.selections, seen)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.fragment_name.as_str();
                if seen.contains(&name) {
                    return false;
                }
                seen.push(name);
                document
                    .fragments
                    .get(&spread.fragment_name)
                    .is_some_and(|f| visit(document, &f.selection_set.selections, seen))
            }
        })
    }
    operation.operation_type == OperationType::Query
        && visit(
            document,
            &operation.selection_set.selections,
            &mut Vec::new(),
        )
}

/// The executor path, for operations that need introspection answered.
fn execute(input: &ShapeInput<'_>, tree: &JsonValue, fetch_errors: Vec<GraphqlError>) -> Shaped {
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
            let data = match response.data {
                Some(map) => serde_json::to_vec(&map).unwrap_or_else(|_| b"null".to_vec()),
                None => b"null".to_vec(),
            };
            Shaped { data, errors }
        }
        Err(error) => {
            errors.push(GraphqlError::from_compiler(
                error.to_graphql_error(&input.document.sources),
                Some(INTERNAL_SERVER_ERROR),
            ));
            Shaped {
                data: b"null".to_vec(),
                errors,
            }
        }
    }
}

/// A null reported by the shaper is explained by a fetch error on the same path, a parent
/// (the object never arrived) or a child (the subgraph nulled it below).
pub(super) fn explained_by(error: &GraphqlError, fetch_errors: &[GraphqlError]) -> bool {
    let Some(path) = &error.path else {
        return false;
    };
    error.message.contains("resolved to null")
        && fetch_errors
            .iter()
            .any(|f| f.path.as_deref().is_some_and(|p| paths_overlap(p, path)))
}

/// A value the API schema does not allow for its field, said without repeating the value
/// (which may be an inaccessible enum value or type).
pub(super) const INVALID_VALUE: &str = "Invalid value found for this field: the subgraph \
                                        returned a value that is not valid for its type in the \
                                        API schema";

/// The executor's messages name the offending value: say what is wrong without repeating it.
fn sanitize(mut error: GraphqlError) -> GraphqlError {
    if error.message.starts_with("resolver returned") {
        error.message = INVALID_VALUE.to_string();
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
        type Query { top: [Product!]! me: User node: Node search: [SearchResult] ints: [Int!] big: Int }
        union SearchResult = Product | User
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
        let shaped = shape(&input, &Value::from(&tree), fetch_errors);
        let data: serde_json::Value = serde_json::from_slice(&shaped.data).expect("data is JSON");
        serde_json::json!({"data": data, "errors": shaped.errors})
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

    /// The writer and apollo-compiler's executor agree on data and errors (message, path).
    #[test]
    fn writer_matches_the_executor() {
        let cases: &[(&str, serde_json::Value, serde_json::Value)] = &[
            (
                "query($skip: Boolean!, $inc: Boolean!) { me @skip(if: $skip) { name } top { id ... @include(if: $inc) { name } ...P } } fragment P on Product { price color id }",
                serde_json::json!({"skip": false, "inc": false}),
                serde_json::json!({"me": {"name": "A"}, "top": [{"id": "1", "name": "n", "price": 1.5, "color": "RED"}]}),
            ),
            (
                "query($skip: Boolean!, $inc: Boolean!) { me @skip(if: $skip) { name } top { id ... @include(if: $inc) { name } } }",
                serde_json::json!({"skip": true, "inc": true}),
                serde_json::json!({"me": {"name": "A"}, "top": [{"id": "1", "name": "n"}]}),
            ),
            (
                "{ search { __typename ... on Product { id name } ... on User { id nm: name } ... on Node { id } } }",
                serde_json::json!({}),
                serde_json::json!({"search": [{"__typename": "User", "id": "u", "nm": "Ann"}, null, {"__typename": "Product", "id": "p", "name": null}, {"__typename": "Nope", "id": "x"}, {"id": "no-typename"}]}),
            ),
            (
                "{ top { id name } me { name } }",
                serde_json::json!({}),
                serde_json::json!({"top": [{"id": "1", "name": "a"}, {"id": null, "name": "b"}], "me": {"name": "x"}}),
            ),
            (
                "{ ints big node { id ... on User { name } } }",
                serde_json::json!({}),
                serde_json::json!({"ints": [1, null, 3], "big": 3000000000u64, "node": {"__typename": "User", "id": 7, "name": null}}),
            ),
            (
                "{ ints big me { name } }",
                serde_json::json!({}),
                serde_json::json!({"ints": "not a list", "big": "x", "me": "leaf"}),
            ),
            (
                "{ __typename top { __typename id price } }",
                serde_json::json!({}),
                serde_json::json!({"top": [{"id": "1", "price": 3}, {"id": "2", "price": 2.25}]}),
            ),
        ];
        let schema = Schema::parse_and_validate(SDL, "s.graphql").expect("schema");
        let implementers = schema.implementers_map();
        for (query, variables, tree) in cases {
            let document = ExecutableDocument::parse_and_validate(&schema, *query, "q.graphql")
                .expect("document");
            let operation = document.operations.get(None).expect("operation");
            let variables: JsonMap = serde_json::from_value(variables.clone()).expect("variables");
            let variables = Valid::assume_valid(variables);
            let input = ShapeInput {
                schema: &schema,
                implementers: &implementers,
                document: &document,
                operation,
                variables: &variables,
                introspection: false,
            };
            let fast = shape(&input, &Value::from(tree), Vec::new());
            let slow = execute(&input, &Value::from(tree).to_json(), Vec::new());
            let fast_data: serde_json::Value = serde_json::from_slice(&fast.data).expect("json");
            let slow_data: serde_json::Value = serde_json::from_slice(&slow.data).expect("json");
            assert_eq!(fast_data, slow_data, "data of {query}");
            let summary = |errors: &[GraphqlError]| {
                errors
                    .iter()
                    .map(|e| (e.message.clone(), e.path.clone(), e.locations.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                summary(&fast.errors),
                summary(&slow.errors),
                "errors of {query}"
            );
        }
    }
}
