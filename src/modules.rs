//! Modules made by `platform new subgraph <name>`, run by `platform dev` and
//! `platform subgraph <name>` beside the built-in subgraphs.
//!
//! A generated module has no section in `config/` (the kit's config names its subgraphs), so
//! what it needs is derived: it listens on `127.0.0.1:<port>` (the port the generator chose),
//! keeps its data beside identity's (the same PostgreSQL database in its own schema, or
//! `<name>.db` next to `identity.db`), verifies tokens with the `auth` section, and relays its
//! events to the shared bus. It migrates itself at start when `database.migrate_on_start`.
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context as _;
use kit::auth::TokenVerifier;
use kit::config::extract_section;
use kit::db::{Db, DbError};
use kit::events::EventBus;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cli::Loaded;

/// A boxed future, as the registry's function pointers return.
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One generated module: the crate's name, its port, and the crate's standard entry points.
pub struct GeneratedModule {
    pub name: &'static str,
    pub port: u16,
    pub migrate: fn(Db) -> BoxFuture<Result<Vec<String>, DbError>>,
    pub serve: fn(Served) -> BoxFuture<Result<(), kit::service::ServiceError>>,
    pub sdl: fn() -> String,
}

/// What a generated module's `serve` receives.
// Read by the `generated!` lines; none while no module is generated.
#[allow(dead_code)]
pub struct Served {
    pub db: Db,
    pub bus: Arc<dyn EventBus>,
    pub verifier: TokenVerifier,
    pub listener: TcpListener,
    pub shutdown: CancellationToken,
}

/// One registry entry from a generated crate with the standard `migrate`, `serve` and
/// `graphql::sdl` (see `templates/subgraph/`).
// Unused while no module is generated.
#[allow(unused_macros)]
macro_rules! generated {
    ($krate:ident, $port:literal) => {
        GeneratedModule {
            name: stringify!($krate),
            port: $port,
            migrate: |db| Box::pin(async move { $krate::migrate(&db).await }),
            serve: |s| {
                Box::pin($krate::serve(
                    s.db, s.bus, s.verifier, s.listener, s.shutdown,
                ))
            },
            sdl: $krate::graphql::sdl,
        }
    };
}

/// The generated modules. `platform new subgraph` adds one line between the markers and
/// `--remove` deletes it; keep the markers.
pub static MODULES: &[GeneratedModule] = &[
    // platform:new-subgraph:begin
    // platform:new-subgraph:end
];

pub fn find(name: &str) -> Option<&'static GeneratedModule> {
    MODULES.iter().find(|m| m.name == name)
}

/// The database URL of a generated module, derived from identity's.
fn database_url(loaded: &Loaded, name: &str) -> anyhow::Result<String> {
    let identity = loaded
        .config
        .subgraph("identity")
        .context("no configuration for subgraph `identity`")?
        .database_url
        .expose()
        .to_owned();
    Ok(derive_database_url(&identity, name))
}

fn derive_database_url(identity: &str, name: &str) -> String {
    match identity.strip_prefix("sqlite://") {
        Some(path) => {
            let dir = std::path::Path::new(path)
                .parent()
                .map(|d| d.display().to_string())
                .filter(|d| !d.is_empty());
            match dir {
                Some(dir) => format!("sqlite://{dir}/{name}.db"),
                None => format!("sqlite://{name}.db"),
            }
        }
        // PostgreSQL (each subgraph in its own schema) and in-memory SQLite are shared as is.
        None => identity.to_owned(),
    }
}

/// Runs a generated module until `shutdown` is cancelled.
pub async fn run(
    module: &'static GeneratedModule,
    loaded: &Loaded,
    bus: Arc<dyn EventBus>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let name = module.name;
    let url = database_url(loaded, name)?;
    let db = Db::connect(&url, loaded.config.db_options(name))
        .await
        .with_context(|| format!("{name}: cannot open its database"))?;
    if loaded.config.database.migrate_on_start {
        (module.migrate)(db.clone())
            .await
            .with_context(|| format!("{name}: migrations failed"))?;
    }
    let auth: kit::auth::AuthConfig = extract_section(&loaded.figment, "auth")?;
    let verifier =
        TokenVerifier::from_config(&auth).with_context(|| format!("{name}: token verification"))?;
    let listen = SocketAddr::from(([127, 0, 0, 1], module.port));
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("{name}: cannot listen on {listen}"))?;
    (module.serve)(Served {
        db,
        bus,
        verifier,
        listener,
        shutdown,
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_modules_keep_their_data_beside_identity() {
        use super::derive_database_url as url;
        assert_eq!(
            url("sqlite://data/identity.db", "shop"),
            "sqlite://data/shop.db"
        );
        assert_eq!(url("sqlite://identity.db", "shop"), "sqlite://shop.db");
        assert_eq!(url("sqlite::memory:", "shop"), "sqlite::memory:");
        assert_eq!(url("postgres://u@h/db", "shop"), "postgres://u@h/db");
    }
}
