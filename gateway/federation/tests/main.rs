//! The crate's integration tests: supergraph model, planner snapshots, robustness.
mod compose_cases;
mod model;
mod planner;
mod robustness;
