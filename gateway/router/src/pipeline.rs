//! The request path after the HTTP edge, stage by stage: document (parse + validate, cached),
//! operation selection, variable coercion, plan (cached), execution, response shaping.
use std::sync::Arc;

use apollo_compiler::executable::OperationType;
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::response::JsonMap;
use arc_swap::ArcSwap;
use http::HeaderValue;
use serde::{Deserialize, Serialize};

use crate::auth::Claims;
use crate::auth::directives::authorize;
use crate::auth::requirements::Principal;
use crate::config::GatewayConfig;
use crate::edge::Edge;
use crate::error::{
    BAD_REQUEST, BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED, GraphqlError, INTERNAL_SERVER_ERROR,
    QUERY_PLANNING_FAILED,
};
use crate::execution::subgraph_client::SubgraphClient;
use crate::execution::{ExecutionContext, execute_plan};
use crate::limits::{self, tokens};
use crate::resilience::headers::OUTGOING;
use crate::shape::{ShapeInput, shape};
use crate::supergraph::SupergraphState;

/// A GraphQL request as the edge decoded it (from a POST body or GET query string).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphqlRequest {
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub variables: Option<JsonMap>,
    #[serde(default)]
    pub extensions: Option<JsonMap>,
}

/// What the edge knows about the HTTP request that the pipeline needs.
#[derive(Debug, Default, Clone)]
pub struct RequestMeta {
    pub authorization: Option<HeaderValue>,
    /// GET requests may only run queries.
    pub is_get: bool,
    /// The verified token's claims; `None` for anonymous requests.
    pub claims: Option<Claims>,
    /// The client's headers, for the header propagation rules.
    pub headers: http::HeaderMap,
}

/// The GraphQL response body.
#[derive(Debug, Default)]
pub struct GraphqlResponse {
    pub errors: Vec<GraphqlError>,
    /// `data` as JSON text, written by the shaper (`null` when null propagation reached the
    /// root); absent for request errors.
    pub data: Option<Vec<u8>>,
    pub extensions: JsonMap,
}

impl GraphqlResponse {
    /// The response as JSON bytes: `data` is copied in as written, not re-serialized.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut out = Vec::with_capacity(self.data.as_ref().map_or(128, |d| d.len() + 128));
        out.push(b'{');
        if !self.errors.is_empty() {
            out.extend_from_slice(b"\"errors\":");
            serde_json::to_writer(&mut out, &self.errors)?;
        }
        if let Some(data) = &self.data {
            if out.len() > 1 {
                out.push(b',');
            }
            out.extend_from_slice(b"\"data\":");
            out.extend_from_slice(data);
        }
        if !self.extensions.is_empty() {
            if out.len() > 1 {
                out.push(b',');
            }
            out.extend_from_slice(b"\"extensions\":");
            serde_json::to_writer(&mut out, &self.extensions)?;
        }
        out.push(b'}');
        Ok(out)
    }
}

/// For callers that want a JSON value (batches, tests): `data` is checked as it is embedded.
impl Serialize for GraphqlResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let mut map = serializer.serialize_map(None)?;
        if !self.errors.is_empty() {
            map.serialize_entry("errors", &self.errors)?;
        }
        if let Some(data) = &self.data {
            let raw: &serde_json::value::RawValue =
                serde_json::from_slice(data).map_err(S::Error::custom)?;
            map.serialize_entry("data", raw)?;
        }
        if !self.extensions.is_empty() {
            map.serialize_entry("extensions", &self.extensions)?;
        }
        map.end()
    }
}

/// How the request ended, which decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The operation ran (`data` present, possibly null or partial).
    Executed,
    /// Rejected before execution: bad document or variables.
    RequestError,
    /// Not a well-formed GraphQL-over-HTTP request (no query, unsupported operation kind).
    BadRequest,
    /// A mutation sent over GET.
    MethodNotAllowed,
    /// The gateway could not plan a valid operation.
    InternalError,
}

pub struct Handled {
    pub outcome: Outcome,
    pub response: GraphqlResponse,
}

impl Handled {
    fn rejected(outcome: Outcome, errors: Vec<GraphqlError>) -> Self {
        Self {
            outcome,
            response: GraphqlResponse {
                errors,
                ..GraphqlResponse::default()
            },
        }
    }
}

/// The running gateway: the current supergraph (swappable) and what outlives it.
pub struct Gateway {
    state: ArcSwap<SupergraphState>,
    client: SubgraphClient,
    config: GatewayConfig,
    /// `Err`: the edge configuration is invalid and every request fails (fail closed).
    edge: Result<Edge, String>,
    metrics: Option<crate::http::MetricsRenderer>,
}

impl Gateway {
    pub fn new(state: Arc<SupergraphState>, config: GatewayConfig) -> Self {
        let client = SubgraphClient::with_resilience(&config.pool, &config.resilience);
        client.resilience().set_names(subgraph_names(&state));
        let edge = Edge::new(&config).map_err(|error| {
            tracing::error!(%error, "invalid edge configuration: every request will fail");
            error.to_string()
        });
        Self {
            state: ArcSwap::new(state),
            client,
            config,
            edge,
            metrics: None,
        }
    }

    /// Serves `/metrics` with `render` (see [`crate::serve_with_metrics`]).
    pub fn with_metrics(mut self, render: Option<crate::http::MetricsRenderer>) -> Self {
        self.metrics = render;
        self
    }

    pub fn metrics(&self) -> Option<&crate::http::MetricsRenderer> {
        self.metrics.as_ref()
    }

    /// Replaces the supergraph; requests in flight finish on the one they started with.
    pub fn swap_supergraph(&self, state: Arc<SupergraphState>) {
        self.client.resilience().set_names(subgraph_names(&state));
        self.state.store(state);
    }

    /// The edge stages' shared state, or why the configuration was refused.
    pub fn edge(&self) -> Result<&Edge, &str> {
        self.edge.as_ref().map_err(String::as_str)
    }

    pub fn supergraph(&self) -> Arc<SupergraphState> {
        self.state.load_full()
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    pub async fn execute(&self, mut request: GraphqlRequest, meta: RequestMeta) -> Handled {
        let state = self.state.load_full();
        let edge = match self.edge() {
            Ok(edge) => edge,
            Err(_) => {
                return Handled::rejected(
                    Outcome::InternalError,
                    vec![GraphqlError::with_code(
                        "The gateway is misconfigured",
                        INTERNAL_SERVER_ERROR,
                    )],
                );
            }
        };
        if let Err(error) = edge.persisted.resolve(&mut request).await {
            return Handled::rejected(Outcome::RequestError, vec![*error]);
        }
        let Some(query) = request.query.as_deref().filter(|q| !q.is_empty()) else {
            return Handled::rejected(
                Outcome::BadRequest,
                vec![GraphqlError::with_code(
                    "The request has no `query`",
                    BAD_REQUEST,
                )],
            );
        };

        let max_tokens = self.config.limits.max_tokens;
        let counted = tokens::count(query, max_tokens);
        if counted > max_tokens {
            return Handled::rejected(
                Outcome::RequestError,
                vec![limits::exceeded(
                    "max_tokens",
                    counted as f64,
                    max_tokens as f64,
                )],
            );
        }

        let document = state.documents.get(&state.api_schema, query);
        let document = match document.as_ref() {
            Ok(document) => document,
            Err(errors) => return Handled::rejected(Outcome::RequestError, errors.clone()),
        };

        let operation_name = request.operation_name.as_deref().filter(|n| !n.is_empty());
        let operation = match document.operations.get(operation_name) {
            Ok(operation) => operation,
            Err(_) => {
                let message = match operation_name {
                    Some(name) => format!("Unknown operation named \"{name}\""),
                    None => "The document has several operations: `operationName` is required"
                        .to_string(),
                };
                return Handled::rejected(
                    Outcome::RequestError,
                    vec![GraphqlError::with_code(message, GRAPHQL_VALIDATION_FAILED)],
                );
            }
        };
        if meta.is_get && operation.operation_type != OperationType::Query {
            return Handled::rejected(
                Outcome::MethodNotAllowed,
                vec![GraphqlError::with_code(
                    format!(
                        "{} operations are not allowed over GET; use POST",
                        operation.operation_type
                    ),
                    BAD_REQUEST,
                )],
            );
        }
        if operation.operation_type == OperationType::Subscription {
            return Handled::rejected(
                Outcome::BadRequest,
                vec![GraphqlError::with_code(
                    "Subscriptions are not supported",
                    BAD_REQUEST,
                )],
            );
        }

        let raw_variables = request.variables.unwrap_or_default();
        let variables = match coerce_variable_values(&state.api_schema, operation, &raw_variables) {
            Ok(variables) => variables,
            Err(error) => {
                return Handled::rejected(
                    Outcome::RequestError,
                    vec![GraphqlError::from_compiler(
                        error.to_graphql_error(&document.sources),
                        Some(BAD_USER_INPUT),
                    )],
                );
            }
        };

        if let Err(error) = limits::check(
            &state.api_schema,
            &state.facts,
            &self.config.limits,
            document,
            operation,
            &variables,
        ) {
            return Handled::rejected(Outcome::RequestError, vec![*error]);
        }

        // Unauthorized fields leave the planned operation; the original is shaped, so they
        // come back null. The filtered text keys the plan cache: it is the auth decision.
        let principal = Principal {
            claims: meta.claims.as_ref(),
            policies: &self.config.auth.policies,
            scope_claim: self.config.auth.scope_claim.as_deref().unwrap_or("scope"),
        };
        let authorized = authorize(
            &state.api_schema,
            &state.facts,
            &principal,
            document,
            operation_name,
        );
        if !authorized.errors.is_empty() && self.config.auth.reject_unauthorized {
            return Handled::rejected(Outcome::RequestError, authorized.errors);
        }
        let filtered_text = authorized.document.as_ref().map(ToString::to_string);
        let (planned, planned_text) = match (&authorized.document, &filtered_text) {
            (Some(filtered), Some(text)) => (filtered, text.as_str()),
            _ => (document, query),
        };

        let plan = state
            .planner
            .options(planned, operation_name, &variables)
            .map(|options| {
                state.plans.get(
                    state.planner.as_ref(),
                    planned_text,
                    planned,
                    operation_name,
                    &options,
                )
            });
        let plan = match plan.as_ref().map(|p| p.as_ref()) {
            Ok(Ok(plan)) => plan,
            Ok(Err(message)) | Err(message) => {
                tracing::error!(%message, "query planning failed");
                return Handled::rejected(
                    Outcome::InternalError,
                    vec![GraphqlError::with_code(
                        format!("Query planning failed: {message}"),
                        QUERY_PLANNING_FAILED,
                    )],
                );
            }
        };

        let context = ExecutionContext {
            endpoints: &state.endpoints,
            client: &self.client,
            types: &state.possible_types,
            variables: &variables,
            authorization: meta.authorization.as_ref(),
        };
        let outgoing = self
            .config
            .headers
            .apply(&meta.headers, meta.claims.as_ref());
        let mut executed = OUTGOING.scope(outgoing, execute_plan(&context, plan)).await;
        let removed: Vec<_> = authorized
            .errors
            .iter()
            .filter_map(|e| e.path.clone())
            .collect();
        if !authorized.errors.is_empty() {
            let mut errors = authorized.errors;
            errors.append(&mut executed.errors);
            executed.errors = errors;
        }

        let mut shaped = shape(
            &ShapeInput {
                schema: &state.api_schema,
                implementers: &state.implementers,
                document,
                operation,
                variables: &variables,
                introspection: self.config.introspection,
            },
            &executed.data,
            executed.errors,
        );
        if !removed.is_empty() {
            shaped
                .errors
                .retain(|e| !crate::auth::directives::explains_null(&removed, e));
        }
        let mut extensions = JsonMap::new();
        if self.config.expose_query_plan
            && wants_query_plan(&meta.headers)
            && let Ok(tree) = serde_json::to_value(plan)
        {
            let plan = serde_json::json!({"text": plan.to_string(), "tree": tree});
            extensions.insert("queryPlan", plan.into());
        }
        Handled {
            outcome: Outcome::Executed,
            response: GraphqlResponse {
                errors: shaped.errors,
                data: Some(shaped.data),
                extensions,
            },
        }
    }
}

/// The client asks for the plan with `x-query-plan: include` (honoured only when
/// `expose_query_plan` is on).
fn wants_query_plan(headers: &http::HeaderMap) -> bool {
    headers
        .get("x-query-plan")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"include"))
}

fn subgraph_names(state: &SupergraphState) -> Vec<(String, String)> {
    state
        .endpoints
        .iter()
        .map(|(name, endpoint)| (endpoint.url.to_string(), name.clone()))
        .collect()
}
