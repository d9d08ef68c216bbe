//! Apollo Federation v2 for the gateway: the supergraph model, the API schema, operation
//! validation and the query planner.
//!
//! Pure: no I/O, no async runtime, deterministic. The `router` crate executes what this crate
//! plans; see [`plan`] for the contract between the two.
pub mod plan;
mod plan_display;
pub mod supergraph;

pub use supergraph::{Supergraph, SupergraphError};
pub mod operation;

pub use operation::{OperationError, validate_operation};

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
pub mod planner;

pub use planner::{PlanError, PlanOptions, QueryPlanner};
