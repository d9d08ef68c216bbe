//! Serving blog: what `platform dev` and `platform subgraph blog` call.

use std::net::SocketAddr;
use std::sync::Arc;

use kit::auth::TokenVerifier;
use kit::db::Db;
use kit::events::{EventBus, OutboxRelay, RelaySettings};
use kit::service::{Service, ServiceError};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::graphql;
use crate::posts::Blog;

/// The subgraph's name: its logs, metrics and PostgreSQL schema.
pub const NAME: &str = "blog";

/// Runs blog on `listen` until `shutdown` is cancelled. `db` must be migrated
/// ([`crate::migrate`]); `verifier` checks the forwarded bearer tokens; the outbox is relayed
/// to `bus` meanwhile.
pub async fn run(
    db: Db,
    bus: Arc<dyn EventBus>,
    verifier: TokenVerifier,
    listen: SocketAddr,
    shutdown: CancellationToken,
) -> Result<(), ServiceError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| ServiceError::Bind {
            addr: listen,
            source,
        })?;
    serve(db, bus, verifier, listener, shutdown).await
}

/// [`run`] on a listener the caller bound (tests bind port 0).
pub async fn serve(
    db: Db,
    bus: Arc<dyn EventBus>,
    verifier: TokenVerifier,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServiceError> {
    let relay = OutboxRelay::new(db.clone(), bus, RelaySettings::default());
    let blog = Blog::new(db.clone(), Some(relay.waker()));
    let relay = relay.spawn();
    // `TokenVerifier` is the kit's request seam: it adds the `AuthContext` and event `Actor`.
    let served = Service::new(NAME, graphql::schema(blog), db)
        .request_data(verifier)
        .serve(listener, shutdown)
        .await;
    relay.stop().await;
    served
}
