//! Each subgraph's start and migrate functions, by name. Adding a subgraph: a `run` arm, a
//! `migrate` arm, and its name out of `NOT_WIRED`.
use std::sync::Arc;

use anyhow::Context as _;
use kit::config::{Environment, SUBGRAPHS, extract_section};
use kit::db::Db;
use kit::events::EventBus;
use kit::service::{DEFAULT_DRAIN_TIMEOUT, serve_router};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cli::Loaded;

/// Subgraphs whose crates export no service yet: `platform dev` skips them. Empty now; kept
/// for the next one.
pub const NOT_WIRED: [&str; 0] = [];

/// What every service in the process shares.
pub struct Shared {
    pub bus: Arc<dyn EventBus>,
    pub shutdown: CancellationToken,
}

/// Every subgraph `platform dev` runs: the wired built-in ones, then the generated modules.
pub fn all_names() -> Vec<&'static str> {
    SUBGRAPHS
        .into_iter()
        .filter(|n| !NOT_WIRED.contains(n))
        .chain(crate::modules::MODULES.iter().map(|m| m.name))
        .collect()
}

pub fn check_name(name: &str) -> anyhow::Result<()> {
    if SUBGRAPHS.contains(&name) || crate::modules::find(name).is_some() {
        Ok(())
    } else {
        anyhow::bail!(
            "unknown subgraph `{name}`; expected one of: {}",
            all_names().join(", ")
        )
    }
}

/// Opens the subgraph's database as configured; migrates when `database.migrate_on_start`.
async fn open_db(loaded: &Loaded, name: &str, migrate: bool) -> anyhow::Result<Db> {
    let subgraph = loaded
        .config
        .subgraph(name)
        .with_context(|| format!("no configuration for subgraph `{name}`"))?;
    let db = Db::connect(
        subgraph.database_url.expose(),
        loaded.config.db_options(name),
    )
    .await
    .with_context(|| format!("{name}: cannot open its database"))?;
    if migrate {
        migrate_db(name, &db).await?;
    }
    Ok(db)
}

/// Applies the subgraph's migrations; returns the versions applied.
pub async fn migrate_db(name: &str, db: &Db) -> anyhow::Result<Vec<String>> {
    let applied = match name {
        "identity" => {
            let mut applied = db.migrate(&identity::store::MIGRATIONS).await?;
            applied.extend(db.migrate(&kit::events::OUTBOX_MIGRATIONS).await?);
            applied
        }
        "audit" => audit::migrate(db).await?,
        "authz" => authz::service::migrate(db).await?,
        "blog" => blog::migrate(db).await?,
        other => match crate::modules::find(other) {
            Some(module) => (module.migrate)(db.clone()).await?,
            None => anyhow::bail!("{other}: not wired into the platform CLI yet"),
        },
    };
    Ok(applied)
}

pub async fn open_for_migration(loaded: &Loaded, name: &str) -> anyhow::Result<Db> {
    open_db(loaded, name, false).await
}

/// Runs one subgraph until `shared.shutdown` is cancelled.
pub async fn run(loaded: &Loaded, name: &str, shared: &Shared) -> anyhow::Result<()> {
    let config = &loaded.config;
    let listen = config
        .subgraph(name)
        .with_context(|| format!("no configuration for subgraph `{name}`"))?
        .listen;
    let migrate = config.database.migrate_on_start;
    match name {
        "identity" => {
            let db = open_db(loaded, name, migrate).await?;
            // Tokens carry authz's grants, fetched over HTTP with a service token.
            let authz_config: authz::AuthzConfig = extract_section(&loaded.figment, "authz")?;
            let roles = Arc::new(identity::authz_roles::AuthzRoles::new(
                &authz_config.url_or(config.subgraphs.authz.listen),
                &authz_config.service_audience,
            )?);
            let options = identity::service::IdentityOptions {
                config: extract_section(&loaded.figment, "identity")?,
                development: config.env == Environment::Development,
                roles: roles.clone(),
            };
            let mut app = identity::service::IdentityApp::start(db.clone(), options).await?;
            roles.attach(&app.identity);
            // identity's platform.user.* events go from its outbox to the shared bus (audit).
            app.relay_events(shared.bus.clone());
            // Revoking `admin` in authz ends the user's sessions here.
            let revocations = shared
                .bus
                .subscribe(
                    "identity",
                    "identity",
                    identity::authz_roles::admin_revocation_handler(db),
                )
                .await?;
            let listener = TcpListener::bind(listen)
                .await
                .with_context(|| format!("identity: cannot listen on {listen}"))?;
            tracing::info!(service = "identity", %listen, "listening");
            let served = serve_router(
                listener,
                app.router(),
                shared.shutdown.clone(),
                DEFAULT_DRAIN_TIMEOUT,
            )
            .await;
            revocations.stop().await;
            app.stop_relay().await;
            Ok(served?)
        }
        "authz" => {
            let db = open_db(loaded, name, migrate).await?;
            let identity_config: identity::IdentityConfig =
                extract_section(&loaded.figment, "identity")?;
            let authz_config: authz::AuthzConfig = extract_section(&loaded.figment, "authz")?;
            let options = authz::service::AuthzOptions {
                config: authz_config
                    .with_bootstrap_admin(identity_config.bootstrap_admin.map(|a| a.email)),
                auth: extract_section(&loaded.figment, "auth")?,
                manifests: authz::Manifest::compiled(),
                bus: Some(shared.bus.clone()),
            };
            let app = authz::service::AuthzApp::start(db, options).await?;
            app.serve(listen, shared.shutdown.clone()).await?;
            Ok(())
        }
        "audit" => {
            let db = open_db(loaded, name, migrate).await?;
            let auth: kit::auth::AuthConfig = extract_section(&loaded.figment, "auth")?;
            let verifier = kit::auth::TokenVerifier::from_config(&auth)
                .context("audit: token verification")?;
            audit::run(
                db,
                shared.bus.clone(),
                extract_section(&loaded.figment, "audit")?,
                verifier,
                listen,
                shared.shutdown.clone(),
            )
            .await?;
            Ok(())
        }
        "blog" => {
            let db = open_db(loaded, name, migrate).await?;
            let auth: kit::auth::AuthConfig = extract_section(&loaded.figment, "auth")?;
            let verifier =
                kit::auth::TokenVerifier::from_config(&auth).context("blog: token verification")?;
            blog::run(
                db,
                shared.bus.clone(),
                verifier,
                listen,
                shared.shutdown.clone(),
            )
            .await?;
            Ok(())
        }
        other => anyhow::bail!("{other}: not wired into the platform CLI yet"),
    }
}
