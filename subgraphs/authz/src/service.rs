//! Starting authz: migrations, registry seeding, the outbox relay, and the HTTP routes (the
//! kit service plus `/internal/grants`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use kit::auth::{AuthConfig, AuthError, TokenVerifier};
use kit::db::{Db, DbError};
use kit::events::{EventBus, OutboxRelay, RelayHandle, RelaySettings};
use tokio_util::sync::CancellationToken;

use crate::access::Authz;
use crate::config::AuthzConfig;
use crate::errors::AuthzError;
use crate::registry::{self, Manifest};

/// The subgraph's name (its database schema, logs, metrics).
pub const NAME: &str = "authz";

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot migrate the authz database: {0}")]
    Migrate(DbError),
    #[error("cannot seed the permission registry: {0}")]
    Seed(AuthzError),
    #[error("authz token verification: {0}")]
    Auth(AuthError),
    #[error(transparent)]
    Serve(#[from] kit::service::ServiceError),
}

/// Applies authz's migrations and the outbox's; returns the versions applied.
pub async fn migrate(db: &Db) -> Result<Vec<String>, DbError> {
    let mut applied = db.migrate(&crate::store::MIGRATIONS).await?;
    applied.extend(db.migrate(&kit::events::OUTBOX_MIGRATIONS).await?);
    Ok(applied)
}

/// How authz runs.
pub struct AuthzOptions {
    pub config: AuthzConfig,
    /// How user tokens are verified (identity's JWKS); service tokens use the same keys with
    /// `config.service_audience`.
    pub auth: AuthConfig,
    /// The manifests to seed from; [`Manifest::compiled`] outside tests.
    pub manifests: Vec<Manifest>,
    /// Where the outbox relay publishes authz's events; `None` leaves them in the outbox.
    pub bus: Option<Arc<dyn EventBus>>,
}

/// A started authz, ready to be served.
pub struct AuthzApp {
    pub authz: Authz,
    router: Router,
    relay: Option<RelayHandle>,
}

impl Drop for AuthzApp {
    fn drop(&mut self) {
        if let Some(relay) = self.relay.take() {
            relay.abort();
        }
    }
}

impl AuthzApp {
    pub async fn start(db: Db, options: AuthzOptions) -> Result<Self, StartError> {
        let AuthzOptions {
            config,
            auth,
            manifests,
            bus,
        } = options;
        migrate(&db).await.map_err(StartError::Migrate)?;
        registry::seed(&db, &manifests, &config.default_user_permissions)
            .await
            .map_err(StartError::Seed)?;
        let users = TokenVerifier::from_config(&auth).map_err(StartError::Auth)?;
        let services = TokenVerifier::from_config(&AuthConfig {
            audience: config.service_audience.clone(),
            ..auth
        })
        .map_err(StartError::Auth)?;
        let relay =
            bus.map(|bus| OutboxRelay::new(db.clone(), bus, RelaySettings::default()).spawn());
        let authz = Authz::new(db.clone(), config);
        let router = kit::service::Service::new(NAME, crate::graphql::schema(authz.clone()), db)
            .routes(crate::internal::routes(authz.clone(), services))
            .request_data(users)
            .into_router();
        Ok(Self {
            authz,
            router,
            relay,
        })
    }

    /// Every route: `/graphql`, `/health`, `/ready`, `/metrics`, `/internal/grants`. Serve with
    /// `into_make_service_with_connect_info::<SocketAddr>()`.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves on `listen` until `shutdown`, then stops the relay.
    pub async fn serve(
        mut self,
        listen: SocketAddr,
        shutdown: CancellationToken,
    ) -> Result<(), StartError> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| kit::service::ServiceError::Bind {
                addr: listen,
                source,
            })?;
        tracing::info!(service = NAME, %listen, "listening");
        kit::service::serve_router(
            listener,
            self.router.clone(),
            shutdown,
            kit::service::DEFAULT_DRAIN_TIMEOUT,
        )
        .await?;
        if let Some(relay) = self.relay.take() {
            relay.stop().await;
        }
        Ok(())
    }
}
