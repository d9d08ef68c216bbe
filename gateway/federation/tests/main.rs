//! The crate's integration tests: supergraph model, planner snapshots, robustness.
mod check_cases;
mod compose_cases;
mod model;
mod planner;
mod robustness;
mod subgraph_schemas;
