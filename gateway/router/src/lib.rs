//! The federation gateway: HTTP edge, plan cache and the executor that runs `federation`'s
//! query plans against subgraphs over HTTP.
//!
//! Serves any valid Federation v2 supergraph; knows nothing of this platform's subgraphs.
//!
//! A request passes the stages in this order, one module each: [`http`] (edge: CORS, CSRF,
//! content negotiation, batching) → [`auth`] (JWT) → [`rate_limit`] → [`pipeline`]
//! (orchestration) → [`persisted`] (APQ, safelist) → [`limits`] (tokens) → [`document`]
//! (parse + validate, cached) → variable coercion → [`limits`] (depth, aliases, cost) →
//! [`auth::directives`] (remove unauthorized fields) → [`plan_cache`] → [`execution`]
//! (fetches through [`resilience`]: breaker, retries, dedup, header rules) → [`shape`] (the
//! client's response, null propagation, introspection). Edge configuration:
//! the README's "Gateway configuration" section.
pub mod auth;
pub mod config;
pub mod document;
pub mod edge;
pub mod error;
pub mod execution;
pub mod facts;
pub mod http;
pub mod limits;
pub mod override_labels;
pub mod persisted;
pub mod pipeline;
pub mod plan_cache;
pub mod rate_limit;
pub mod reload;
pub mod resilience;
pub mod shape;
pub mod supergraph;

use std::future::Future;
use std::sync::Arc;

pub use config::GatewayConfig;
pub use http::MetricsRenderer;
pub use pipeline::Gateway;
pub use plan_cache::QueryPlanning;
pub use supergraph::{SupergraphError, SupergraphState};

/// Serves `gateway` on an already bound listener until `shutdown` completes, then drains
/// requests in flight.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = http::router(gateway);
    // The peer address feeds IP rate limits.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Supergraph(#[from] SupergraphError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Edge(#[from] edge::EdgeError),
}

/// Loads `supergraph_sdl` and serves it on `config.listen` until `shutdown` completes. What
/// `gateway`, `platform gateway` and `platform dev` run. `config.supergraph` is watched: a
/// changed file (or SIGHUP) reloads it, see [`reload`].
pub async fn serve(
    config: GatewayConfig,
    supergraph_sdl: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_with_metrics(config, supergraph_sdl, None, shutdown).await
}

/// [`serve`], plus `/metrics` answered by `metrics` (the process's Prometheus recorder: the
/// gateway records with the `metrics` facade and leaves the exporter to its binary).
pub async fn serve_with_metrics(
    config: GatewayConfig,
    supergraph_sdl: &str,
    metrics: Option<MetricsRenderer>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let state = SupergraphState::from_sdl(supergraph_sdl, &config)?;
    // Refuse to start on an invalid edge configuration (the gateway would fail closed).
    edge::Edge::new(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, subgraphs = state.endpoints.len(), "gateway listening");
    let supergraph_path = config.supergraph.clone();
    let gateway = Arc::new(Gateway::new(state, config).with_metrics(metrics));
    let watcher = reload::SupergraphWatcher::new(gateway.clone(), supergraph_path, supergraph_sdl);
    let watching = tokio::spawn(watcher.run(std::future::pending()));
    let served = serve_on(listener, gateway, shutdown).await;
    watching.abort();
    served?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum QueryPlanError {
    #[error(transparent)]
    Supergraph(#[from] federation::SupergraphError),
    #[error("{}: {}", .0.code(), .0)]
    Operation(#[from] federation::OperationError),
    #[error("query planning failed: {0}")]
    Plan(#[from] federation::PlanError),
}

/// The plan for `query` against `supergraph_sdl`, printed in Apollo's shape (for
/// `platform query-plan`). `@skip`/`@include` variables take their defaults.
pub fn query_plan(
    supergraph_sdl: &str,
    query: &str,
    operation_name: Option<&str>,
) -> Result<federation::plan::QueryPlan, QueryPlanError> {
    let supergraph = federation::Supergraph::parse(supergraph_sdl)?;
    let document = supergraph.validate_operation(query)?;
    let planner = federation::QueryPlanner::new(&supergraph);
    Ok(planner.plan(
        &document,
        operation_name,
        &federation::PlanOptions::default(),
    )?)
}
