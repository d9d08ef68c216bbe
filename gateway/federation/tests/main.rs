//! The crate's integration tests: supergraph model, planner snapshots, robustness.
mod model;
mod planner;
mod robustness;
