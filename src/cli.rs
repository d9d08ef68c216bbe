//! Command-line arguments and the dispatch to each command.
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use figment::Figment;
use kit::config::{ConfigSource, PlatformConfig};
use kit::telemetry::TelemetryGuard;

#[derive(Debug, Parser)]
#[command(
    name = "platform",
    version,
    about = "Runs the GraphQL platform: gateway and subgraphs"
)]
pub struct Cli {
    /// Directory of default.yaml and <env>.yaml.
    #[arg(
        long,
        global = true,
        env = "PLATFORM_CONFIG_DIR",
        default_value = "config"
    )]
    config_dir: PathBuf,
    /// Which config/<env>.yaml layer to apply: development, test or production.
    #[arg(
        long = "env",
        global = true,
        env = "PLATFORM_ENV",
        default_value = "development"
    )]
    environment: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every service in one process, each on its own loopback port (the default).
    Dev,
    /// One subgraph service.
    Subgraph {
        /// identity, authz, audit, blog or a generated module
        name: String,
    },
    /// Apply pending database migrations (all subgraphs, or the named one).
    Migrate {
        /// identity, authz, audit, blog or a generated module; all when omitted
        name: Option<String>,
    },
    /// Print the effective configuration as YAML, secrets redacted.
    Config,
    /// The federation gateway alone, serving `gateway.supergraph` (reloaded when it changes).
    Gateway,
    /// Print the query plan of an operation against a supergraph.
    QueryPlan {
        #[arg(long, default_value = "schema/supergraph.graphql")]
        supergraph: PathBuf,
        /// File holding the operation.
        #[arg(long)]
        query: PathBuf,
        #[arg(long)]
        operation_name: Option<String>,
    },
    /// The schema workflow: print subgraph SDLs, compose the supergraph, check changes.
    #[command(subcommand)]
    Schema(crate::schema_cmd::SchemaCommand),
    /// Generate a module (`new subgraph <name>`), or remove one (`--remove`).
    #[command(subcommand)]
    New(crate::new_cmd::NewCommand),
    /// Identity's signing keys.
    #[command(subcommand)]
    Keys(crate::identity_cmd::KeysCommand),
    /// The development mail outbox: verification and password-reset mails, newest first.
    Mail {
        /// Only mail to this address.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

/// Everything a command needs from the configuration.
#[derive(Clone)]
pub struct Loaded {
    pub config: PlatformConfig,
    pub figment: Figment,
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        // Generating, removing and composing only touch files: they need no configuration
        // (which may name a module this binary was built without).
        let command = match self.command {
            Some(Command::New(command)) => return crate::new_cmd::run(command).await,
            Some(Command::Schema(command)) => return crate::schema_cmd::run(command).await,
            command => command.unwrap_or(Command::Dev),
        };
        let loaded = load(&self.config_dir, &self.environment)?;
        match command {
            Command::Dev => {
                let _telemetry = init_telemetry(&loaded)?;
                crate::dev::run(&loaded, None).await
            }
            Command::Subgraph { name } => {
                crate::subgraphs::check_name(&name)?;
                let _telemetry = init_telemetry(&loaded)?;
                crate::dev::run(&loaded, Some(&name)).await
            }
            Command::Migrate { name } => {
                let _telemetry = init_telemetry(&loaded)?;
                crate::migrate::run(&loaded, name.as_deref()).await
            }
            Command::Config => crate::config_cmd::print(&loaded),
            Command::Gateway => {
                let _telemetry = init_telemetry(&loaded)?;
                crate::gateway_cmd::run(&loaded, kit::service::shutdown_on_signal()).await
            }
            Command::QueryPlan {
                supergraph,
                query,
                operation_name,
            } => crate::gateway_cmd::query_plan(&supergraph, &query, operation_name.as_deref()),
            Command::Schema(command) => crate::schema_cmd::run(command).await,
            Command::New(command) => crate::new_cmd::run(command).await,
            Command::Keys(command) => crate::identity_cmd::keys(&loaded, command).await,
            Command::Mail { to, limit } => {
                crate::identity_cmd::mail(&loaded, to.as_deref(), limit).await
            }
        }
    }
}

fn load(config_dir: &std::path::Path, environment: &str) -> anyhow::Result<Loaded> {
    // The only place that reads the process environment for configuration.
    let mut source = ConfigSource::from_process();
    source.dir = config_dir.to_owned();
    source.env = environment.to_owned();
    let (config, figment) = source.load()?;
    crate::modules::check_config(&config)?;
    Ok(Loaded { config, figment })
}

fn init_telemetry(loaded: &Loaded) -> anyhow::Result<TelemetryGuard> {
    kit::telemetry::init(&loaded.config.telemetry_settings()).context("cannot set up logging")
}
