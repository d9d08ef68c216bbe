//! Apollo Federation v2 for the gateway: the supergraph model, the API schema, operation
//! validation and the query planner.
//!
//! Pure: no I/O, no async runtime, deterministic. The `router` crate executes what this crate
//! plans; see [`plan`] for the contract between the two.
pub mod plan;
