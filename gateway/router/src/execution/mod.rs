//! Runs a query plan: fetches from subgraphs (concurrently where the plan says `Parallel`),
//! merging every answer into one tree in the client's response keys, and collecting errors
//! with client paths. Shaping the tree into the client's response is `shape`'s job.
pub mod representations;
pub mod subgraph_client;
pub mod tree;
pub mod value;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use apollo_compiler::response::JsonMap;
use federation::plan::{FetchNode, FlattenPathElement, PlanNode, QueryPlan};
use futures::future::{BoxFuture, join_all};
use http::{HeaderValue, Uri};
use tracing::Instrument;

use crate::error::{GraphqlError, INTERNAL_SERVER_ERROR, PathSegment, SUBGRAPH_REQUEST_FAILED};
use representations::{
    PossibleTypes, Written, apply_rewrites, build_representation, write_representation,
};
use subgraph_client::{
    FetchError, RequestVariables, SubgraphClient, SubgraphError, SubgraphRequest, SubgraphResponse,
};
use value::{Object, Value as JsonValue};

/// Where and how to reach one subgraph.
#[derive(Debug, Clone)]
pub struct SubgraphEndpoint {
    pub url: Uri,
    pub timeout: Duration,
}

/// What a plan runs against: shared, immutable for the life of a supergraph.
pub struct ExecutionContext<'a> {
    pub endpoints: &'a HashMap<String, SubgraphEndpoint>,
    pub client: &'a SubgraphClient,
    pub types: &'a PossibleTypes,
    /// The request's coerced variables.
    pub variables: &'a JsonMap,
    /// The client's `Authorization` header, forwarded to every subgraph.
    pub authorization: Option<&'a HeaderValue>,
}

/// The merged data and the errors gathered while fetching it.
#[derive(Debug)]
pub struct ExecutionOutput {
    pub data: JsonValue,
    pub errors: Vec<GraphqlError>,
}

pub async fn execute_plan(ctx: &ExecutionContext<'_>, plan: &QueryPlan) -> ExecutionOutput {
    let run = Run {
        ctx,
        tree: Mutex::new(JsonValue::Object(Object::new())),
        errors: Mutex::new(Vec::new()),
    };
    if let Some(node) = &plan.node {
        run.node(node, None).await;
    }
    ExecutionOutput {
        data: run.tree.into_inner().unwrap_or_else(|p| p.into_inner()),
        errors: run.errors.into_inner().unwrap_or_else(|p| p.into_inner()),
    }
}

struct Run<'a, 'c> {
    ctx: &'a ExecutionContext<'c>,
    // Locked only between awaits: to read representations and to merge answers.
    tree: Mutex<JsonValue>,
    errors: Mutex<Vec<GraphqlError>>,
}

impl Run<'_, '_> {
    fn with_tree<R>(&self, f: impl FnOnce(&mut JsonValue) -> R) -> R {
        let mut guard = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    fn push_errors(&self, errors: impl IntoIterator<Item = GraphqlError>) {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(errors);
    }

    fn node<'s>(
        &'s self,
        node: &'s PlanNode,
        flatten: Option<&'s [FlattenPathElement]>,
    ) -> BoxFuture<'s, ()> {
        Box::pin(async move {
            match node {
                PlanNode::Sequence { nodes } => {
                    for node in nodes {
                        self.node(node, flatten).await;
                    }
                }
                PlanNode::Parallel { nodes } => {
                    join_all(nodes.iter().map(|node| self.node(node, flatten))).await;
                }
                PlanNode::Flatten(flatten_node) => {
                    self.node(&flatten_node.node, Some(&flatten_node.path))
                        .await
                }
                PlanNode::Condition(condition) => {
                    let value = self.ctx.variables.get(condition.variable.as_str());
                    let branch = if value.and_then(|v| v.as_bool()).unwrap_or(false) {
                        &condition.if_clause
                    } else {
                        &condition.else_clause
                    };
                    if let Some(branch) = branch {
                        self.node(branch, flatten).await;
                    }
                }
                PlanNode::Fetch(fetch) => match flatten {
                    None => self.root_fetch(fetch).await,
                    Some(path) => self.entity_fetch(fetch, path).await,
                },
            }
        })
    }

    /// The fetch's subgraph endpoint; reports an error when the plan names an unknown one.
    fn endpoint(&self, fetch: &FetchNode) -> Option<&SubgraphEndpoint> {
        let endpoint = self.ctx.endpoints.get(&fetch.subgraph);
        if endpoint.is_none() {
            self.push_errors([GraphqlError::with_code(
                format!(
                    "the query plan names an unknown subgraph `{}`",
                    fetch.subgraph
                ),
                INTERNAL_SERVER_ERROR,
            )]);
        }
        endpoint
    }

    /// Sends `fetch`'s operation with the request's variables it uses and, for entity fetches,
    /// `@fromContext` values and representations.
    async fn send(
        &self,
        fetch: &FetchNode,
        endpoint: &SubgraphEndpoint,
        context: &[(String, JsonValue)],
        representations: Option<&[Box<[u8]>]>,
    ) -> Result<SubgraphResponse, FetchError> {
        let request = SubgraphRequest {
            query: &fetch.operation,
            operation_name: fetch.operation_name.as_deref(),
            variables: RequestVariables {
                usages: &fetch.variable_usages,
                values: self.ctx.variables,
                context,
                representations,
            },
        };
        // Boxed: the HTTP exchange's state is large, and every plan node's future would
        // otherwise carry (and copy) room for it.
        Box::pin(self.ctx.client.send(
            &endpoint.url,
            &request,
            self.ctx.authorization,
            endpoint.timeout,
        ))
        .await
    }

    async fn root_fetch(&self, fetch: &FetchNode) {
        let Some(endpoint) = self.endpoint(fetch) else {
            return;
        };
        let span = tracing::info_span!("fetch", subgraph = %fetch.subgraph, kind = "root");
        let result = self.send(fetch, endpoint, &[], None).instrument(span).await;
        match result {
            Ok(response) => {
                if let Some(mut data) = response.data.filter(JsonValue::is_object) {
                    apply_rewrites(&mut data, &fetch.output_rewrites, self.ctx.types);
                    self.with_tree(|tree| tree::deep_merge(tree, data));
                }
                let errors = response
                    .errors
                    .into_iter()
                    .map(|e| {
                        let path = e.path.as_deref().map(json_path);
                        subgraph_error(&e, &fetch.subgraph, path)
                    })
                    .collect::<Vec<_>>();
                self.push_errors(errors);
            }
            Err(error) => {
                tracing::warn!(subgraph = %fetch.subgraph, %error, "subgraph fetch failed");
                let message = format!("HTTP fetch failed from '{}': {error}", fetch.subgraph);
                let keys = root_response_keys(&fetch.operation);
                let errors = if keys.is_empty() {
                    vec![failed(&message, &fetch.subgraph, None)]
                } else {
                    keys.into_iter()
                        .map(|key| {
                            failed(&message, &fetch.subgraph, Some(vec![PathSegment::Key(key)]))
                        })
                        .collect()
                };
                self.push_errors(errors);
            }
        }
    }

    async fn entity_fetch(&self, fetch: &FetchNode, path: &[FlattenPathElement]) {
        let Some(endpoint) = self.endpoint(fetch) else {
            return;
        };
        let collected = self.with_tree(|tree| collect_batches(tree, fetch, path, self.ctx.types));
        // One request per batch: a single one unless `@fromContext` values differ.
        join_all(
            (0..collected.batches.len())
                .map(|batch| self.send_batch(fetch, endpoint, &collected, batch)),
        )
        .await;
    }

    async fn send_batch(
        &self,
        fetch: &FetchNode,
        endpoint: &SubgraphEndpoint,
        collected: &Collected,
        batch_index: usize,
    ) {
        let batch = &collected.batches[batch_index];
        let span = tracing::info_span!(
            "fetch",
            subgraph = %fetch.subgraph,
            kind = "entities",
            representations = batch.representations.len()
        );
        let result = self
            .send(
                fetch,
                endpoint,
                &batch.context,
                Some(&batch.representations),
            )
            .instrument(span)
            .await;
        // Concrete paths are only needed to report errors: computed then, not per object.
        let positions = || self.with_tree(|tree| collected.positions(tree, batch_index));
        match result {
            Ok(response) => {
                let entities = match response.data {
                    Some(JsonValue::Object(mut data)) => match data.remove("_entities") {
                        Some(JsonValue::Array(entities)) => Some(entities),
                        _ => None,
                    },
                    _ => None,
                };
                // One entity per representation, in order; anything else leaves the
                // positions without an answer: say so on each (unless errors explain it).
                let answered = entities.as_ref().map_or(0, Vec::len);
                let expected = batch.representations.len();
                if answered != expected && (entities.is_some() || response.errors.is_empty()) {
                    let message = format!(
                        "subgraph '{}' answered {answered} entities for {expected} representations",
                        fetch.subgraph,
                    );
                    self.push_errors(
                        positions()
                            .into_iter()
                            .skip(answered)
                            .flatten()
                            .map(|position| failed(&message, &fetch.subgraph, Some(position)))
                            .collect::<Vec<_>>(),
                    );
                }
                let mut entities: Vec<Option<JsonValue>> = entities
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut entity| {
                        entity.is_object().then(|| {
                            apply_rewrites(&mut entity, &fetch.output_rewrites, self.ctx.types);
                            entity
                        })
                    })
                    .collect();
                // The last object that uses an entity takes it; the others get a copy.
                let mut uses = batch.uses.clone();
                self.with_tree(|tree| {
                    for visit in collected
                        .visits
                        .iter()
                        .filter(|v| v.batch as usize == batch_index)
                    {
                        let i = visit.representation as usize;
                        let Some(slot) = uses.get_mut(i) else {
                            continue;
                        };
                        *slot -= 1;
                        let entity = if *slot == 0 {
                            entities.get_mut(i).and_then(Option::take)
                        } else {
                            entities.get(i).cloned().flatten()
                        };
                        if let Some(entity) = entity
                            && let Some(object) = tree::get_at_mut(tree, collected.address(visit))
                        {
                            tree::deep_merge(object, entity);
                        }
                    }
                });
                if !response.errors.is_empty() {
                    let positions = positions();
                    let mut errors = Vec::new();
                    for error in response.errors {
                        let remapped = error
                            .path
                            .as_deref()
                            .and_then(|p| entity_error_paths(p, &positions));
                        match remapped {
                            Some(paths) => {
                                for path in paths {
                                    errors.push(subgraph_error(
                                        &error,
                                        &fetch.subgraph,
                                        Some(path),
                                    ));
                                }
                            }
                            None => errors.push(subgraph_error(&error, &fetch.subgraph, None)),
                        }
                    }
                    self.push_errors(errors);
                }
            }
            Err(error) => {
                tracing::warn!(subgraph = %fetch.subgraph, %error, "subgraph entity fetch failed");
                let message = format!("HTTP fetch failed from '{}': {error}", fetch.subgraph);
                let errors = positions()
                    .into_iter()
                    .flatten()
                    .map(|position| failed(&message, &fetch.subgraph, Some(position)))
                    .collect::<Vec<_>>();
                self.push_errors(errors);
            }
        }
    }
}

/// The objects of one entity request: deduplicated representations and the `@fromContext`
/// variable values they share.
#[derive(Debug, Default)]
struct EntityBatch {
    context: Vec<(String, JsonValue)>,
    /// Each representation as JSON text, deduplicated.
    representations: Vec<Box<[u8]>>,
    /// How many objects use each representation.
    uses: Vec<u32>,
    index_of: HashMap<Box<[u8]>, usize, ahash::RandomState>,
}

/// What an entity fetch sends, and where each answer goes: each object that has a
/// representation, with its batch, its representation and its address in the tree (a slice
/// of `addresses`; see [`tree::get_at_mut`]). Addresses make merging a walk of indexes, not
/// of keys.
#[derive(Debug, Default)]
struct Collected {
    batches: Vec<EntityBatch>,
    visits: Vec<Visit>,
    addresses: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Visit {
    batch: u32,
    representation: u32,
    start: u32,
    end: u32,
}

impl Collected {
    fn address(&self, visit: &Visit) -> &[u32] {
        &self.addresses[visit.start as usize..visit.end as usize]
    }

    /// Concrete paths of the objects of each representation of `batch`: for error paths.
    fn positions(&self, tree: &JsonValue, batch: usize) -> Vec<Vec<Vec<PathSegment>>> {
        let mut out = vec![Vec::new(); self.batches[batch].representations.len()];
        for visit in self.visits.iter().filter(|v| v.batch as usize == batch) {
            if let Some(at) = out.get_mut(visit.representation as usize) {
                at.push(tree::path_of(tree, self.address(visit)));
            }
        }
        out
    }
}

/// Collects the objects `path` designates into batches: one, unless the fetch has
/// `context_inputs`, in which case objects are grouped by their tuple of context values.
fn collect_batches(
    tree: &JsonValue,
    fetch: &FetchNode,
    path: &[FlattenPathElement],
    types: &PossibleTypes,
) -> Collected {
    let mut collected = Collected::default();
    let mut batch_of: HashMap<Vec<JsonValue>, usize, ahash::RandomState> = HashMap::default();
    // The representation's JSON: written straight from the object, or built and rewritten
    // when the fetch has input rewrites or overlapping selections.
    let mut representation = Vec::new();
    tree::visit_objects(tree, path, &mut |object, ancestors, address| {
        let written = if fetch.input_rewrites.is_empty() {
            write_representation(object, &fetch.requires, types, &mut representation)
        } else {
            Written::Merge
        };
        match written {
            Written::Done => {}
            Written::Skipped => return,
            Written::Merge => {
                let Some(mut built) = build_representation(object, &fetch.requires, types) else {
                    return;
                };
                apply_rewrites(&mut built, &fetch.input_rewrites, types);
                representation.clear();
                if serde_json::to_writer(&mut representation, &built).is_err() {
                    return;
                }
            }
        }
        let batch_index = if fetch.context_inputs.is_empty() {
            if collected.batches.is_empty() {
                collected.batches.push(EntityBatch::default());
            }
            0
        } else {
            let context: Vec<JsonValue> = fetch
                .context_inputs
                .iter()
                .map(|input| context_value(ancestors, input.up, &input.path))
                .collect();
            let batches = &mut collected.batches;
            *batch_of.entry(context.clone()).or_insert_with(|| {
                batches.push(EntityBatch {
                    context: fetch
                        .context_inputs
                        .iter()
                        .zip(&context)
                        .map(|(input, value)| (input.variable.clone(), value.clone()))
                        .collect(),
                    ..EntityBatch::default()
                });
                batches.len() - 1
            })
        };
        let batch = &mut collected.batches[batch_index];
        let index = match batch.index_of.get(representation.as_slice()) {
            Some(&i) => i,
            None => {
                let i = batch.representations.len();
                let owned: Box<[u8]> = representation.as_slice().into();
                batch.index_of.insert(owned.clone(), i);
                batch.representations.push(owned);
                batch.uses.push(0);
                i
            }
        };
        batch.uses[index] += 1;
        let start = collected.addresses.len() as u32;
        collected.addresses.extend_from_slice(address);
        collected.visits.push(Visit {
            batch: batch_index as u32,
            representation: index as u32,
            start,
            end: collected.addresses.len() as u32,
        });
    });
    collected
}

/// A `@fromContext` value: from the ancestor `up` segments above the object (the last of
/// `ancestors`), follow `path`; `null` when anything on the way is missing.
fn context_value(ancestors: &[&JsonValue], up: usize, path: &[String]) -> JsonValue {
    let Some(ancestor) = ancestors
        .len()
        .checked_sub(1 + up)
        .and_then(|i| ancestors.get(i))
    else {
        return JsonValue::Null;
    };
    path.iter()
        .try_fold(*ancestor, |v, key| v.as_object()?.get(key.as_str()))
        .cloned()
        .unwrap_or(JsonValue::Null)
}

fn failed(message: &str, subgraph: &str, path: Option<Vec<PathSegment>>) -> GraphqlError {
    let mut error = GraphqlError::with_code(message, SUBGRAPH_REQUEST_FAILED);
    error.extensions.insert("serviceName", subgraph.into());
    error.path = path;
    error
}

/// A subgraph's error as the client sees it: message and extensions kept, `serviceName`
/// added, the path in client terms; the subgraph's `locations` mean nothing to the client.
fn subgraph_error(
    error: &SubgraphError,
    subgraph: &str,
    path: Option<Vec<PathSegment>>,
) -> GraphqlError {
    let mut extensions = error.extensions.clone().unwrap_or_default();
    extensions.insert("serviceName", subgraph.into());
    GraphqlError {
        message: error.message.clone(),
        locations: Vec::new(),
        path,
        extensions,
    }
}

fn json_path(path: &[serde_json::Value]) -> Vec<PathSegment> {
    path.iter()
        .filter_map(|segment| match segment {
            serde_json::Value::String(key) => Some(PathSegment::Key(key.clone())),
            serde_json::Value::Number(n) => n.as_u64().map(|i| PathSegment::Index(i as usize)),
            _ => None,
        })
        .collect()
}

/// `["_entities", i, rest..]` becomes `position + rest` for every position of
/// representation `i`.
fn entity_error_paths(
    path: &[serde_json::Value],
    positions: &[Vec<Vec<PathSegment>>],
) -> Option<Vec<Vec<PathSegment>>> {
    let (first, rest) = path.split_first()?;
    if first.as_str() != Some("_entities") {
        return None;
    }
    let (index, rest) = rest.split_first()?;
    let at = positions.get(usize::try_from(index.as_u64()?).ok()?)?;
    let rest = json_path(rest);
    Some(
        at.iter()
            .map(|position| {
                position
                    .iter()
                    .cloned()
                    .chain(rest.iter().cloned())
                    .collect()
            })
            .collect(),
    )
}

/// The response keys a root fetch asks for: the paths a failed root fetch leaves empty.
fn root_response_keys(operation: &str) -> Vec<String> {
    use apollo_compiler::ast::{Definition, Selection};
    let Ok(document) = apollo_compiler::ast::Document::parse(operation, "fetch.graphql") else {
        return Vec::new();
    };
    document
        .definitions
        .iter()
        .find_map(|definition| match definition {
            Definition::OperationDefinition(op) => Some(
                op.selection_set
                    .iter()
                    .filter_map(|selection| match selection {
                        Selection::Field(field) if field.name != "__typename" => {
                            Some(field.response_name().to_string())
                        }
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_error_path_maps_to_every_position() {
        let positions = vec![
            vec![vec![PathSegment::Key("a".into())]],
            vec![
                vec![PathSegment::Key("top".into()), PathSegment::Index(0)],
                vec![PathSegment::Key("top".into()), PathSegment::Index(3)],
            ],
        ];
        let path = serde_json::json!(["_entities", 1, "price"]);
        let mapped =
            entity_error_paths(path.as_array().expect("array"), &positions).expect("mapped");
        assert_eq!(
            mapped,
            vec![
                vec![
                    PathSegment::Key("top".into()),
                    PathSegment::Index(0),
                    PathSegment::Key("price".into())
                ],
                vec![
                    PathSegment::Key("top".into()),
                    PathSegment::Index(3),
                    PathSegment::Key("price".into())
                ],
            ]
        );
        assert!(entity_error_paths(&[serde_json::json!("x")], &positions).is_none());
    }

    fn entity_fetch(context_inputs: Vec<federation::plan::ContextInput>) -> FetchNode {
        use federation::plan::RequireSelection;
        let field = |name: &str| RequireSelection::Field {
            response_key: name.into(),
            name: name.into(),
            selections: Vec::new(),
        };
        FetchNode {
            subgraph: "s".into(),
            operation_kind: federation::plan::OperationKind::Query,
            operation: "query($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }".into(),
            operation_name: None,
            variable_usages: Vec::new(),
            requires: vec![RequireSelection::InlineFragment {
                type_condition: Some("T".into()),
                selections: vec![field("__typename"), field("id")],
            }],
            input_rewrites: Vec::new(),
            output_rewrites: Vec::new(),
            context_inputs,
        }
    }

    fn tree() -> JsonValue {
        JsonValue::from(&serde_json::json!({"groups": [
            {"lang": "en", "items": [{"__typename": "T", "id": "1"}, {"__typename": "T", "id": "2"}]},
            {"lang": "fr", "items": [{"__typename": "T", "id": "1"}]},
            {"lang": "en", "items": [{"__typename": "T", "id": "1"}, {"__typename": "U", "id": "9"}]}
        ]}))
    }

    fn items_path() -> Vec<FlattenPathElement> {
        vec![
            FlattenPathElement::Field("groups".into()),
            FlattenPathElement::List,
            FlattenPathElement::Field("items".into()),
            FlattenPathElement::List,
        ]
    }

    #[test]
    fn one_deduplicated_batch_without_context() {
        let tree = tree();
        let collected = collect_batches(
            &tree,
            &entity_fetch(vec![]),
            &items_path(),
            &PossibleTypes::default(),
        );
        let batches = &collected.batches;
        assert_eq!(batches.len(), 1);
        assert_eq!(
            batches[0].representations.len(),
            2,
            "T 1 twice, T 2 once; U skipped"
        );
        let positions = collected.positions(&tree, 0);
        assert_eq!(positions[0].len(), 3);
        assert_eq!(batches[0].uses, vec![3, 1]);
        assert_eq!(collected.visits.len(), 4, "U has no representation");
        assert_eq!(
            positions[0][1],
            vec![
                PathSegment::Key("groups".into()),
                PathSegment::Index(1),
                PathSegment::Key("items".into()),
                PathSegment::Index(0)
            ]
        );
    }

    #[test]
    fn context_values_split_batches() {
        let input = federation::plan::ContextInput {
            variable: "contextualArgument_1".into(),
            type_name: "String".into(),
            up: 2,
            path: vec!["lang".into()],
        };
        let tree = tree();
        let collected = collect_batches(
            &tree,
            &entity_fetch(vec![input]),
            &items_path(),
            &PossibleTypes::default(),
        );
        let batches = &collected.batches;
        assert_eq!(batches.len(), 2);
        let en = &batches[0];
        assert_eq!(en.context[0].0, "contextualArgument_1");
        assert_eq!(en.context[0].1, JsonValue::from("en"));
        assert_eq!(en.representations.len(), 2);
        let positions = collected.positions(&tree, 0);
        assert_eq!(positions[0].len(), 2, "T 1 under both `en` groups");
        assert_eq!(batches[1].context[0].1, JsonValue::from("fr"));
        assert_eq!(batches[1].representations.len(), 1);
    }

    #[test]
    fn root_keys_use_aliases_and_skip_typename() {
        assert_eq!(
            root_response_keys("query Q { a: me { id } __typename products { id } }"),
            vec!["a".to_string(), "products".to_string()]
        );
    }
}
