//! From an async-graphql federated schema and a [`Db`] to a running HTTP service.
//!
//! ```ignore
//! let schema = Schema::build(Query, Mutation, EmptySubscription).enable_federation().finish();
//! kit::service::Service::new("blog", schema, db)
//!     .routes(extra_routes)            // e.g. identity's /.well-known/jwks.json
//!     .request_data(auth_verifier)     // per-request GraphQL context (kit::auth)
//!     .bind_and_serve(config.listen, shutdown)
//!     .await?;
//! ```
//!
//! Routes: `/graphql` (GET and POST), `/health`, `/ready` (database ping), `/metrics`. Every
//! route gets the body size limit, a request id, trace context and request metrics.
//! Cancelling the shutdown token stops accepting connections and lets in-flight requests
//! finish, for at most the drain timeout.
mod graphql;
mod health;
mod request_data;
mod shutdown;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Executor;
use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;

pub use self::graphql::GRAPHQL_RESPONSE_JSON;
pub use self::request_data::RequestData;
pub use self::shutdown::shutdown_on_signal;
use crate::db::Db;
use crate::telemetry::HttpTelemetryLayer;

/// Default request body limit: generous for GraphQL documents, small enough to bound memory.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// How long in-flight requests may run after shutdown begins.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// State the built-in routes share.
#[derive(Clone)]
struct ServiceState {
    name: Arc<str>,
    db: Db,
}

/// A subgraph's HTTP service, built up then served.
pub struct Service<E> {
    name: Arc<str>,
    schema: E,
    db: Db,
    routes: Router,
    request_data: Option<Arc<dyn RequestData>>,
    body_limit: usize,
    drain_timeout: Duration,
}

impl<E: Executor> Service<E> {
    /// `name` labels logs and metrics (the subgraph's name).
    pub fn new(name: &str, schema: E, db: Db) -> Self {
        Self {
            name: name.into(),
            schema,
            db,
            routes: Router::new(),
            request_data: None,
            body_limit: DEFAULT_BODY_LIMIT,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
        }
    }

    /// Adds the subgraph's own routes beside the built-in ones.
    pub fn routes(mut self, routes: Router) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// Sets the per-request seam that prepares each GraphQL request from its HTTP head.
    pub fn request_data(mut self, hook: impl RequestData) -> Self {
        self.request_data = Some(Arc::new(hook));
        self
    }

    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// The axum router with every route and layer; for tests or embedding.
    pub fn into_router(self) -> Router {
        let state = ServiceState {
            name: self.name.clone(),
            db: self.db,
        };
        let endpoint = Arc::new(graphql::GraphqlEndpoint {
            schema: self.schema,
            request_data: self.request_data,
            service: self.name.clone(),
            body_limit: self.body_limit,
        });
        let graphql = Router::new()
            .route(
                "/graphql",
                get(graphql::handle::<E>).post(graphql::handle::<E>),
            )
            .with_state(endpoint);
        let builtin = Router::new()
            .route("/health", get(health::health))
            .route("/ready", get(health::ready))
            .route("/metrics", get(health::metrics))
            .with_state(state);
        graphql
            .merge(builtin)
            .merge(self.routes)
            .layer(RequestBodyLimitLayer::new(self.body_limit))
            .layer(HttpTelemetryLayer::new(self.name))
    }

    /// Binds `addr` and serves until `shutdown` is cancelled.
    pub async fn bind_and_serve(
        self,
        addr: SocketAddr,
        shutdown: CancellationToken,
    ) -> Result<(), ServiceError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServiceError::Bind { addr, source })?;
        self.serve(listener, shutdown).await
    }

    /// Serves on `listener` until `shutdown` is cancelled, then drains in-flight requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), ServiceError> {
        let name = self.name.clone();
        let drain_timeout = self.drain_timeout;
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(service = %name, %addr, "listening");
        }
        serve_router(listener, self.into_router(), shutdown, drain_timeout).await?;
        tracing::info!(service = %name, "stopped");
        Ok(())
    }
}

/// Serves any router with the same graceful shutdown (the CLI uses it for the gateway).
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    drain_timeout: Duration,
) -> Result<(), ServiceError> {
    // Connect info lets handlers see the client address (`ConnectInfo<SocketAddr>`).
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .into_future();
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(drain_timeout).await;
    };
    tokio::select! {
        result = server => result.map_err(ServiceError::Serve),
        () = deadline => {
            tracing::warn!(?drain_timeout, "in-flight requests still running after the drain timeout; closing");
            Ok(())
        }
    }
}
