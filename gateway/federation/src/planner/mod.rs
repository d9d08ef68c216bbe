//! The query planner: from a validated client operation to a [`QueryPlan`].
//!
//! Per operation: normalize the selection (fragments inlined, `@skip`/`@include` decided
//! from [`PlanOptions::condition_variables`]), then walk it building fetch groups: a field
//! stays in the current subgraph's group when that subgraph resolves it there (directly or
//! through `@provides` on the path), otherwise it moves to an `_entities` fetch on a
//! subgraph that can, reached through a key the current subgraph provides (or, failing
//! that, through one intermediate subgraph). `@requires` inputs are planned into the parent
//! object first, and the requiring fetch waits for every group that produced them.
//! Groups become `Fetch`/`Flatten` nodes nested by dependency.
mod builder;
mod groups;
mod normalize;
mod selection;
mod tree;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::validation::Valid;
use std::collections::{BTreeMap, BTreeSet};

use crate::plan::{OperationKind, QueryPlan};
use crate::supergraph::Supergraph;

/// The inputs besides the document that change a plan. The router puts exactly these in
/// its plan-cache key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PlanOptions {
    /// Progressive-override labels (`overrideLabel`) that are on for this request, e.g.
    /// `percent(25)` when the router's draw enabled it, or a custom label.
    pub enabled_override_labels: BTreeSet<String>,
    /// Values of the variables listed by [`QueryPlanner::condition_variables`]. A missing
    /// entry falls back to the variable's default in the operation.
    pub condition_variables: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("unknown operation: {0}")]
    UnknownOperation(String),
    #[error("unknown fragment `{0}`")]
    UnknownFragment(String),
    #[error("unknown field `{type_name}.{field}`")]
    UnknownField { type_name: String, field: String },
    #[error("the operation is nested too deeply to plan")]
    TooDeep,
    #[error("invalid `if` argument on @{0}")]
    InvalidCondition(String),
    #[error("no value for variable `${0}` used in @skip/@include")]
    MissingConditionVariable(String),
    #[error("no subgraph can resolve `{type_name}.{field}` (reached from {from})")]
    Unresolvable {
        type_name: String,
        field: String,
        from: String,
    },
    #[error("no key path for `{type_name}` from subgraph `{from}` to subgraph `{to}`")]
    NoEntityPath {
        type_name: String,
        from: String,
        to: String,
    },
    #[error("enum value `{enum_name}.{value}` is not known to subgraph `{subgraph}`")]
    EnumValueUnknownToSubgraph {
        enum_name: String,
        value: String,
        subgraph: String,
    },
    #[error("no ancestor provides the context `{0}` a @fromContext argument needs")]
    MissingContext(String),
    #[error("not supported by this planner yet: {0}")]
    Unsupported(&'static str),
    #[error("planner invariant broken: {0}")]
    Internal(&'static str),
}

/// Plans operations against one supergraph. Cheap to share; planning is pure.
#[derive(Debug, Clone)]
pub struct QueryPlanner {
    supergraph: Supergraph,
}

impl QueryPlanner {
    pub fn new(supergraph: &Supergraph) -> QueryPlanner {
        QueryPlanner {
            supergraph: supergraph.clone(),
        }
    }

    pub fn supergraph(&self) -> &Supergraph {
        &self.supergraph
    }

    /// The variables whose values (given in [`PlanOptions::condition_variables`]) change the
    /// plan of this operation: those used by `@skip(if:)`/`@include(if:)`.
    pub fn condition_variables(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
    ) -> Result<Vec<String>, PlanError> {
        let operation = document
            .operations
            .get(operation_name)
            .map_err(|_| PlanError::UnknownOperation(operation_name.unwrap_or("").to_string()))?;
        Ok(normalize::condition_variables(document, operation)
            .into_iter()
            .collect())
    }

    pub fn plan(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
        options: &PlanOptions,
    ) -> Result<QueryPlan, PlanError> {
        let operation = document
            .operations
            .get(operation_name)
            .map_err(|_| PlanError::UnknownOperation(operation_name.unwrap_or("").to_string()))?;
        let normalizer = normalize::Normalizer {
            document,
            operation,
            conditions: &options.condition_variables,
        };
        let selections = normalizer.root()?;
        let kind = match operation.operation_type {
            apollo_compiler::ast::OperationType::Query => OperationKind::Query,
            apollo_compiler::ast::OperationType::Mutation => OperationKind::Mutation,
            apollo_compiler::ast::OperationType::Subscription => OperationKind::Subscription,
        };
        let root = self
            .supergraph
            .schema()
            .root_operation(operation.operation_type)
            .ok_or(PlanError::UnknownOperation(format!(
                "no {} root type",
                operation.operation_type
            )))?
            .clone();
        let mut builder = builder::Builder::new(&self.supergraph, &options.enabled_override_labels);
        builder.plan_root(kind, &root, &selections)?;
        let mut printer = tree::PlanPrinter::new(&self.supergraph, operation, &builder.groups);
        Ok(QueryPlan {
            node: printer.build(kind == OperationKind::Mutation),
        })
    }
}
