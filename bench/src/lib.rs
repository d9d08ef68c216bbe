//! The gateway benchmark: four subgraphs in the shape of the field's public federation
//! benchmarks (`accounts`, `products`, `inventory`, `reviews`) over fixed, deterministic data
//! ([`data`]), their supergraph ([`supergraph`]), the response the large operation must
//! produce ([`expected`]) and the HTTP servers with request counters ([`serve`]).
//!
//! Not part of the product: nothing here is reached by a client of the platform.
pub mod data;
pub mod expected;
pub mod large;
pub mod serve;
pub mod subgraphs;
pub mod supergraph;

/// The large benchmark operation (`bench/operations/large.graphql`).
pub const LARGE_OPERATION: &str = include_str!("../operations/large.graphql");
/// The small benchmark operation, answered by one subgraph (`bench/operations/small.graphql`).
pub const SMALL_OPERATION: &str = include_str!("../operations/small.graphql");
/// The committed supergraph (`bench/supergraph.graphql`), routing to [`serve::DEFAULT_PORTS`].
pub const SUPERGRAPH: &str = include_str!("../supergraph.graphql");
