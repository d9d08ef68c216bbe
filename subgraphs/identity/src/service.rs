//! Starting identity: migrations, signing keys, bootstrap admin, and the HTTP routes (the kit
//! service plus `/.well-known/jwks.json`).

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{ObjectType, Schema, SubscriptionType};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kit::auth::{AuthConfig, TokenVerifier};
use kit::db::Db;

use crate::accounts::{BootstrapError, Identity};
use crate::config::IdentityConfig;
use crate::password::{PasswordError, Passwords};
use crate::signing::{self, SigningError};
use crate::tokens::{KeyRing, RoleSource};
use crate::{graphql, mail};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot migrate the identity database: {0}")]
    Migrate(kit::db::DbError),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Mail(#[from] mail::MailError),
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
}

/// How identity runs.
pub struct IdentityOptions {
    pub config: IdentityConfig,
    /// Development: `devMails` exists, and an empty database may start without an admin.
    pub development: bool,
    /// Where roles and permissions for tokens come from (authz); `NoRoles` until wired.
    pub roles: Arc<dyn RoleSource>,
}

/// A started identity: the use cases and the schema, ready to be served.
pub struct IdentityApp {
    pub identity: Identity,
    router: Router,
    refresher: tokio::task::JoinHandle<()>,
    relay: Option<kit::events::RelayHandle>,
}

impl Drop for IdentityApp {
    fn drop(&mut self) {
        self.refresher.abort();
        if let Some(relay) = self.relay.take() {
            relay.abort();
        }
    }
}

impl IdentityApp {
    /// Migrates `db`, makes sure a signing key exists, creates the bootstrap admin, and builds
    /// the routes. Fails with a message naming the problem when the service must not start.
    pub async fn start(db: Db, options: IdentityOptions) -> Result<Self, StartError> {
        let IdentityOptions {
            config,
            development,
            roles,
        } = options;
        config.validate(!development)?;
        db.migrate(&crate::store::MIGRATIONS)
            .await
            .map_err(StartError::Migrate)?;
        db.migrate(&kit::events::OUTBOX_MIGRATIONS)
            .await
            .map_err(StartError::Migrate)?;
        if !development && config.key_encryption_secret.is_none() {
            tracing::warn!(
                "identity.key_encryption_secret is not set: signing keys are stored unencrypted"
            );
        }
        signing::ensure_signing_key(&db, &config).await?;
        let keys = KeyRing::default();
        signing::reload(&db, &keys, &config).await?;
        let passwords = Passwords::new(&config.password)?;
        let mailer = mail::from_config(&config.mail, &db)?;
        let auth = AuthConfig {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ..AuthConfig::default()
        };
        let refresh_every = Duration::from_secs(config.key_refresh_seconds.max(1));
        let identity = Identity::new(db.clone(), config, passwords, keys.clone(), mailer, roles);
        identity.bootstrap(!development).await?;
        let retention = Duration::from_secs(
            identity
                .config()
                .lockout
                .window_seconds
                .max(identity.config().lockout.lockout_seconds)
                .saturating_mul(2),
        );
        let refresher = tokio::spawn(housekeeping(
            db.clone(),
            keys.clone(),
            identity.config().clone(),
            refresh_every,
            retention,
        ));
        let verifier = TokenVerifier::new(Arc::new(keys.clone()), &auth);
        let router = if development {
            routes(graphql::dev_schema(identity.clone()), db, verifier, keys)
        } else {
            routes(graphql::schema(identity.clone()), db, verifier, keys)
        };
        Ok(Self {
            identity,
            router,
            refresher,
            relay: None,
        })
    }

    /// Starts relaying identity's outbox (`platform.user.*` events) to `bus`. Events are
    /// written in the transaction of each change whether or not a relay runs; they wait in
    /// the outbox until one does.
    pub fn relay_events(&mut self, bus: Arc<dyn kit::events::EventBus>) {
        let relay = kit::events::OutboxRelay::new(
            self.identity.db().clone(),
            bus,
            kit::events::RelaySettings::default(),
        );
        if let Some(previous) = self.relay.replace(relay.spawn()) {
            previous.abort();
        }
    }

    /// Stops the event relay after its current pass.
    pub async fn stop_relay(&mut self) {
        if let Some(relay) = self.relay.take() {
            relay.stop().await;
        }
    }

    /// Every route: the kit service's (`/graphql`, `/health`, `/ready`, `/metrics`) and
    /// `/.well-known/jwks.json`. Serve it with
    /// `into_make_service_with_connect_info::<SocketAddr>()` so that login throttling sees the
    /// client address of requests without `X-Forwarded-For`.
    pub fn router(&self) -> Router {
        self.router.clone()
    }
}

/// Periodic upkeep: reloads the key ring so a rotation by `platform keys rotate` (another
/// process) is picked up and retired keys leave the JWKS on time; deletes login attempts older
/// than any throttling window can look at, and expired tokens.
async fn housekeeping(
    db: Db,
    keys: KeyRing,
    config: IdentityConfig,
    every: Duration,
    attempt_retention: Duration,
) {
    const PRUNE_EVERY: Duration = Duration::from_secs(600);
    let mut interval = tokio::time::interval(every);
    interval.tick().await;
    let mut last_prune = tokio::time::Instant::now();
    loop {
        interval.tick().await;
        if let Err(error) = signing::reload(&db, &keys, &config).await {
            tracing::warn!(%error, "cannot reload signing keys");
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = tokio::time::Instant::now();
            if let Err(error) = prune(&db, attempt_retention).await {
                tracing::warn!(%error, "cannot prune old login attempts and tokens");
            }
        }
    }
}

async fn prune(db: &Db, attempt_retention: Duration) -> Result<(), kit::db::DbError> {
    let now = crate::store::now_ms();
    let retention_ms = i64::try_from(attempt_retention.as_millis()).unwrap_or(i64::MAX);
    let attempts = crate::store::attempts::prune(db, now.saturating_sub(retention_ms)).await?;
    let tokens = crate::store::sessions::prune_expired(db, now).await?
        + crate::store::one_time::prune_expired(db, now).await?;
    tracing::debug!(attempts, tokens, "pruned identity records");
    Ok(())
}

fn routes<Q, M, S>(
    schema: Schema<Q, M, S>,
    db: Db,
    verifier: TokenVerifier,
    keys: KeyRing,
) -> Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let jwks = Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(keys);
    kit::service::Service::new("identity", schema, db.clone())
        .routes(jwks)
        .request_data(LiveSessions { verifier, db })
        .into_router()
}

/// Identity's per-request seam: the kit's token verification, plus a check that the token's
/// session was not ended (logout, password reset, refresh-token reuse). Other subgraphs
/// accept an access token until it expires; identity, which holds the sessions, stops at once.
struct LiveSessions {
    verifier: TokenVerifier,
    db: Db,
}

impl kit::service::RequestData for LiveSessions {
    fn prepare<'a>(
        &'a self,
        parts: &'a http::request::Parts,
        request: async_graphql::Request,
    ) -> futures::future::BoxFuture<'a, Result<async_graphql::Request, kit::error::KitError>> {
        Box::pin(async move {
            let request = self.verifier.prepare(parts, request).await?;
            let session = request
                .data
                .get(&std::any::TypeId::of::<kit::auth::AuthContext>())
                .and_then(|data| data.downcast_ref::<kit::auth::AuthContext>())
                .and_then(|auth| auth.session_id.clone());
            if let Some(session) = session
                && crate::store::sessions::family_revoked(&self.db, &session).await?
            {
                return Err(kit::error::KitError::Unauthenticated(
                    "the session has ended; sign in again".into(),
                ));
            }
            Ok(request)
        })
    }
}

/// Identity's public signing keys; verifiers cache them (see `kit::auth::JwksClient`).
async fn jwks(State(keys): State<KeyRing>) -> Response {
    (
        [(axum::http::header::CACHE_CONTROL, "public, max-age=60")],
        Json(keys.jwks()),
    )
        .into_response()
}
