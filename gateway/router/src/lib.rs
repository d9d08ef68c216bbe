//! The federation gateway: HTTP edge, authentication, limits, plan cache and the executor that
//! runs `federation`'s query plans against subgraphs over HTTP.
//!
//! Serves any valid Federation v2 supergraph; knows nothing of this platform's subgraphs.
pub mod config;
