//! Apollo Federation v2 for the gateway: the supergraph model, the API schema, operation
//! validation and the query planner.
//!
//! Pure: no I/O, no async runtime, deterministic. The `router` crate executes what this crate
//! plans; see [`plan`] for the contract between the two.
//!
//! The path through this crate, in request order:
//!
//! 1. [`Supergraph::parse`] reads a supergraph (join v0.2 to v0.5, specs resolved through
//!    `@link`, renames and imports included) into the join model ([`supergraph::model`]) and
//!    derives the client-facing [`Supergraph::api_schema`].
//! 2. [`Supergraph::validate_operation`] parses and validates a client document
//!    (`GRAPHQL_PARSE_FAILED` vs `GRAPHQL_VALIDATION_FAILED`, see [`OperationError::code`]).
//! 3. [`QueryPlanner::plan`] turns the validated operation into a [`plan::QueryPlan`];
//!    [`QueryPlanner::condition_variables`] lists the variables whose values
//!    ([`PlanOptions`]) change the plan. Plans print in Apollo's familiar shape (`Display`).
//!
//! Not for: executing plans, HTTP, authorization decisions (the model only carries the
//! `@authenticated`/`@requiresScopes`/`@policy`/`@cost` facts for the router).
pub mod check;
pub mod compose;
pub mod operation;
pub mod plan;
mod plan_display;
pub mod planner;
pub mod supergraph;

pub use operation::{OperationError, validate_operation};
pub use planner::{PlanError, PlanOptions, QueryPlanner};
pub use supergraph::{Supergraph, SupergraphError};

impl Supergraph {
    /// Parses and validates a client operation against [`Supergraph::api_schema`].
    pub fn validate_operation(
        &self,
        source: &str,
    ) -> Result<
        apollo_compiler::validation::Valid<apollo_compiler::ExecutableDocument>,
        OperationError,
    > {
        validate_operation(self.api_schema(), source)
    }
}
