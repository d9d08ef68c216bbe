//! The query plan: what the router's executor runs. Plain data, serializable, printable.
//!
//! This module is the contract between the planner (this crate) and the executor
//! (`router`). Semantics, in the executor's terms:
//!
//! - The executor keeps one merged JSON tree per request, keyed by the client's response keys.
//! - [`PlanNode::Fetch`] at the top level (not under a `Flatten`) sends `operation` to `subgraph`
//!   with the client variables named in `variable_usages`, and deep-merges the returned `data`
//!   into the root of the tree.
//! - [`PlanNode::Flatten`] walks `path` in the tree (a [`FlattenPathElement::List`] step fans out
//!   over every list item) to collect the objects the inner fetch is about. The inner fetch is an
//!   entity fetch: for each collected object the executor builds a representation by reading the
//!   `requires` selection from it (objects whose required fields are missing or null are skipped),
//!   applies `input_rewrites`, deduplicates the representations, sends them once as the
//!   `$representations` variable, applies `output_rewrites` to each returned entity and
//!   deep-merges entity *i* into every object that produced representation *i*.
//! - Fields that the planner added (keys, `@requires` inputs, `__typename`) stay in the merged
//!   tree; the executor builds the client's response by walking the client's operation, so they
//!   never reach the client.
//! - Subgraph errors are re-pathed by the executor: an `_entities` path `["_entities", i, ...]`
//!   becomes the client path of the object that produced representation `i`.
//!
//! - [`FetchNode::context_inputs`] (added after the first version of this contract, an
//!   addition only): an entity fetch for a field with `@fromContext` arguments declares
//!   extra variables (`$contextualArgument_<n>`) that are not client variables; the
//!   executor fills them per entity from an ancestor object, splitting the fetch into one
//!   request per distinct tuple of values (see [`ContextInput`]). Fetches without
//!   `context_inputs` are unaffected.
//!
//! What the planner (`crate::planner`) guarantees on top of the above:
//!
//! - `@skip`/`@include` are decided at plan time from
//!   `PlanOptions::condition_variables` (the variables listed by
//!   `QueryPlanner::condition_variables`, which belong in the plan-cache key), so the planner
//!   emits no [`PlanNode::Condition`] and no `@skip`/`@include` in subgraph operations. The
//!   executor still applies them itself when shaping the client's response.
//! - Client response keys (aliases included) are kept in the merged tree. When a subgraph
//!   operation has to alias a client field (a field retyped in that subgraph, see
//!   `join__field(type:)`), the fetch carries a [`FetchRewrite::KeyRenamer`] output rewrite.
//!   Planner-added fields (keys, `@requires` inputs) that would collide with a client
//!   response key are aliased `<name>__<n>`; the representation's
//!   [`RequireSelection::Field::response_key`] then names the alias to read.
//! - `__typename` is selected wherever the executor needs it: at every abstract-typed
//!   position and in every object an entity fetch starts from. Root-level `__typename` and
//!   introspection (`__schema`, `__type`) never reach a subgraph: the executor answers them.
//!   A plan with only those has `node: None`.
//! - Rewrite paths: a [`RewritePathElement::Key`] step whose value is a list applies the rest
//!   of the path to every item (output rewrites can point inside lists).
//!   `@interfaceObject` input rewrites look like `[TypenameEquals("Book"), Key("__typename")]`
//!   = `"Media"` and are applied to each representation before deduplication.
//! - An entity fetch's `requires` is always a list of [`RequireSelection::InlineFragment`]s
//!   with a type condition, one per entity type the fetch serves (a `Flatten` path does not
//!   filter by type, e.g. `media.@` holds both `Book`s and `Movie`s). An object that matches
//!   none of them is not about this fetch and must be skipped, not sent as an empty
//!   representation.
//! - An entity fetch whose `Flatten` collects no object with a complete representation
//!   should not be sent at all (no `_entities` call with an empty list).
//! - `Sequence` and `Parallel` may nest (a mutation plan is a `Sequence` of per-root-field
//!   subtrees, each possibly a `Sequence` of its fetch and its follow-ups).
//! - `operation_name` is `<ClientOperationName>__<subgraph>__<n>` (n = position of the fetch
//!   in the plan, depth first; non-alphanumeric characters of the subgraph name become `_`),
//!   or `None` for an anonymous client operation. `operation` is printed on one line;
//!   entity fetches declare `$representations: [_Any!]!` first, then the forwarded client
//!   variables (with their types and defaults) in the client's declaration order.
use serde::{Deserialize, Serialize};

/// A plan for one operation. `node` is `None` when no subgraph is needed
/// (only `__typename` and introspection fields were asked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryPlan {
    pub node: Option<PlanNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum PlanNode {
    /// Run one after another; each sees the data merged by the previous ones.
    Sequence {
        nodes: Vec<PlanNode>,
    },
    /// Independent nodes, run concurrently.
    Parallel {
        nodes: Vec<PlanNode>,
    },
    Fetch(Box<FetchNode>),
    Flatten(FlattenNode),
    /// Runs `if_clause` when the boolean variable `variable` is true, else `else_clause`
    /// (used for `@skip`/`@include` on whole branches).
    Condition(ConditionNode),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

/// One request to one subgraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchNode {
    /// The subgraph's name, as in the supergraph's `join__Graph` (`@join__graph(name:)`).
    pub subgraph: String,
    pub operation_kind: OperationKind,
    /// The GraphQL document sent to the subgraph, printed once at plan time.
    pub operation: String,
    pub operation_name: Option<String>,
    /// Client variables (names without `$`) that `operation` uses and that must be forwarded.
    pub variable_usages: Vec<String>,
    /// Empty for a root fetch. For an entity fetch: the shape of one representation, read
    /// from each object collected by the enclosing `Flatten`.
    pub requires: Vec<RequireSelection>,
    /// Applied to each representation before it is sent (e.g. `@interfaceObject`: set
    /// `__typename` to the interface's name).
    pub input_rewrites: Vec<FetchRewrite>,
    /// Applied to each returned entity (or root data) before it is merged (e.g. rename an alias
    /// that the planner introduced to avoid a clash back to the client's response key).
    pub output_rewrites: Vec<FetchRewrite>,
    /// `@fromContext` arguments: variables of `operation` (not client variables) whose value
    /// is read, per entity, from an ancestor object in the merged tree. Empty for most
    /// fetches. See [`ContextInput`] for how the executor fills them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_inputs: Vec<ContextInput>,
}

/// A variable of an entity fetch filled from an ancestor of each entity (`@fromContext`).
///
/// For each object the enclosing `Flatten` collects, its position in the merged tree (keys
/// and list indices) minus the last `up` segments is the ancestor; the value is read from it
/// by following the response keys in `path` (`null` when anything on the way is missing).
/// Entities whose context values differ cannot share one request: the executor groups the
/// collected objects by their tuple of context values and sends one `_entities` request per
/// group, with `variable` set to that group's value (only these fetches carry
/// `context_inputs`, so every other fetch stays a single request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextInput {
    /// Name of the variable in `operation`, without `$` (declared there with `type_name`).
    pub variable: String,
    /// The variable's GraphQL type, e.g. `String!`.
    pub type_name: String,
    /// Number of path segments from the entity up to the ancestor holding the value.
    pub up: usize,
    /// Response keys to follow from the ancestor to the value.
    pub path: Vec<String>,
}

/// A selection that builds a representation from already fetched data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RequireSelection {
    /// Read `response_key` from the object and write it as `name` into the representation.
    Field {
        response_key: String,
        name: String,
        selections: Vec<RequireSelection>,
    },
    /// Applies when the object's `__typename` is `type_condition` (or implements/belongs to it
    /// when it is abstract); `None` always applies.
    InlineFragment {
        type_condition: Option<String>,
        selections: Vec<RequireSelection>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FetchRewrite {
    /// Set the value at `path` to `value`.
    ValueSetter {
        path: Vec<RewritePathElement>,
        value: serde_json::Value,
    },
    /// Rename the key at `path` to `rename_key_to`.
    KeyRenamer {
        path: Vec<RewritePathElement>,
        rename_key_to: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RewritePathElement {
    /// Step into this key.
    Key(String),
    /// Continue only when the current object's `__typename` is this type.
    TypenameEquals(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlattenNode {
    pub path: Vec<FlattenPathElement>,
    pub node: Box<PlanNode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlattenPathElement {
    /// Step into this response key.
    Field(String),
    /// Fan out over every item of the list here (printed `@`).
    List,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionNode {
    pub variable: String,
    pub if_clause: Option<Box<PlanNode>>,
    pub else_clause: Option<Box<PlanNode>>,
}
