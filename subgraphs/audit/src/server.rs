//! Serving the audit subgraph: what `platform dev` and `platform subgraph audit` call.

use std::net::SocketAddr;
use std::sync::Arc;

use kit::auth::TokenVerifier;
use kit::db::Db;
use kit::error::KitError;
use kit::events::EventBus;
use kit::service::{RequestData, Service};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::AuditSettings;
use crate::error::AuditError;
use crate::runtime::AuditRuntime;

/// The subgraph's name: its logs, metrics and PostgreSQL schema.
pub const NAME: &str = "audit";

/// Runs audit until `shutdown` is cancelled: consumes events from `bus`, relays audit's own
/// outbox, runs retention, and serves GraphQL on `listen`. `db` must be migrated
/// ([`crate::migrate`]); `verifier` checks the forwarded bearer tokens.
pub async fn run(
    db: Db,
    bus: Arc<dyn EventBus>,
    settings: AuditSettings,
    verifier: TokenVerifier,
    listen: SocketAddr,
    shutdown: CancellationToken,
) -> Result<(), AuditError> {
    let listener =
        TcpListener::bind(listen)
            .await
            .map_err(|source| kit::service::ServiceError::Bind {
                addr: listen,
                source,
            })?;
    serve(db, bus, settings, verifier, listener, shutdown).await
}

/// [`run`] on a listener the caller bound (tests bind port 0).
pub async fn serve(
    db: Db,
    bus: Arc<dyn EventBus>,
    settings: AuditSettings,
    verifier: TokenVerifier,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), AuditError> {
    let runtime = AuditRuntime::start(db.clone(), bus, settings).await?;
    let served = Service::new(NAME, runtime.schema(), db)
        .request_data(auth_seam(verifier))
        .serve(listener, shutdown)
        .await;
    runtime.shutdown().await;
    Ok(served?)
}

/// Puts the caller's `AuthContext` (anonymous without a token) in each request's data;
/// a token that does not verify ends the request as `UNAUTHENTICATED`.
pub fn auth_seam(verifier: TokenVerifier) -> impl RequestData {
    move |parts: http::request::Parts, request: async_graphql::Request| {
        let verifier = verifier.clone();
        async move {
            match verifier.authenticate(&parts.headers).await {
                Ok(auth) => Ok(request.data(auth)),
                Err(error) => {
                    tracing::debug!(%error, "rejected access token");
                    Err(KitError::Unauthenticated(
                        "the access token is invalid".into(),
                    ))
                }
            }
        }
    }
}
