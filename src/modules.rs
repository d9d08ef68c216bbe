//! Modules made by `platform new subgraph <name>`, run by `platform dev`, `platform subgraph
//! <name>` and `platform migrate` beside the built-in subgraphs.
//!
//! A generated module is configured like a built-in subgraph: `subgraphs.<name>` (`listen`,
//! `database_url`), which the generator adds to `config/default.yaml`. It verifies tokens with
//! the `auth` section, relays its events to the shared bus, and migrates itself at start when
//! `database.migrate_on_start`.
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context as _;
use kit::auth::TokenVerifier;
use kit::config::{PlatformConfig, extract_section};
use kit::db::{Db, DbError};
use kit::events::EventBus;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cli::Loaded;

/// A boxed future, as the registry's function pointers return.
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One generated module: the crate's name and its standard entry points.
pub struct GeneratedModule {
    pub name: &'static str,
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
    ($krate:ident) => {
        GeneratedModule {
            name: stringify!($krate),
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

/// The kit accepts any name under `subgraphs` beside the built-in ones; only registered
/// modules may be there, so a misspelt name is an error rather than a silently unused section.
pub fn check_config(config: &PlatformConfig) -> anyhow::Result<()> {
    let unknown: Vec<&str> = config
        .subgraphs
        .modules
        .keys()
        .map(String::as_str)
        .filter(|name| find(name).is_none())
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known: Vec<&str> = kit::config::SUBGRAPHS
        .into_iter()
        .chain(MODULES.iter().map(|m| m.name))
        .collect();
    anyhow::bail!(
        "subgraphs.{}: no such subgraph; expected one of: {}",
        unknown.join(", subgraphs."),
        known.join(", ")
    )
}

/// Opens a generated module's database as `subgraphs.<name>` configures it.
pub async fn open_db(loaded: &Loaded, name: &str) -> anyhow::Result<Db> {
    let subgraph = section(loaded, name)?;
    Db::connect(
        subgraph.database_url.expose(),
        loaded.config.db_options(name),
    )
    .await
    .with_context(|| format!("{name}: cannot open its database"))
}

fn section<'a>(loaded: &'a Loaded, name: &str) -> anyhow::Result<&'a kit::config::SubgraphConfig> {
    loaded.config.subgraph(name).with_context(|| {
        format!(
            "no `subgraphs.{name}` section in the configuration (`platform new subgraph` \
             adds it to config/default.yaml)"
        )
    })
}

/// Runs a generated module until `shutdown` is cancelled.
pub async fn run(
    module: &'static GeneratedModule,
    loaded: &Loaded,
    bus: Arc<dyn EventBus>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let name = module.name;
    let db = open_db(loaded, name).await?;
    if loaded.config.database.migrate_on_start {
        (module.migrate)(db.clone())
            .await
            .with_context(|| format!("{name}: migrations failed"))?;
    }
    let auth: kit::auth::AuthConfig = extract_section(&loaded.figment, "auth")?;
    let verifier =
        TokenVerifier::from_config(&auth).with_context(|| format!("{name}: token verification"))?;
    let listen = section(loaded, name)?.listen;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("{name}: cannot listen on {listen}"))?;
    tracing::info!(service = name, %listen, "listening");
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
