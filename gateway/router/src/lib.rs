//! The federation gateway: HTTP edge, plan cache and the executor that runs `federation`'s
//! query plans against subgraphs over HTTP.
//!
//! Serves any valid Federation v2 supergraph; knows nothing of this platform's subgraphs.
//!
//! A request passes the stages in this order, one module each: [`http`] (edge, content
//! negotiation) → [`pipeline`] (orchestration) → [`document`] (parse + validate, cached) →
//! variable coercion → [`plan_cache`] → [`execution`] (fetches, merge) → [`shape`] (the
//! client's response, null propagation, introspection).
pub mod config;
pub mod document;
pub mod error;
pub mod execution;
pub mod http;
pub mod pipeline;
pub mod plan_cache;
pub mod shape;
pub mod supergraph;

use std::future::Future;
use std::sync::Arc;

pub use config::GatewayConfig;
pub use pipeline::Gateway;
pub use supergraph::{SupergraphError, SupergraphState};

/// Serves `gateway` on an already bound listener until `shutdown` completes, then drains
/// requests in flight.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = http::router(gateway);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
