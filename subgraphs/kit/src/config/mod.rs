//! The platform configuration: YAML layers, then environment variables, typed and validated.
//!
//! Layers, later wins: `config/default.yaml`, then `env: $PLATFORM_ENV`, then
//! `config/$PLATFORM_ENV.yaml` (`PLATFORM_ENV` defaults to `development`), then every
//! `PLATFORM__SECTION__KEY` variable (`__` nests: `PLATFORM__SUBGRAPHS__IDENTITY__LISTEN`; a
//! number indexes a list: `PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__0__JWKS_URL`).
//!
//! [`PlatformConfig`] types the sections the kit owns. Other sections are typed by their
//! crates from the same layered [`Figment`] with [`extract_section`]: `gateway` by
//! `router::config::GatewayConfig`, `auth` by `kit::auth`, `events` by `kit::events`,
//! `identity`/`authz`/`audit`/`blog` by each subgraph. A new section must be added to
//! [`PlatformConfig`] too, or loading rejects it as an unknown key.
//! Every wrong key, type or value is reported with its key path and origin.
mod env_vars;
mod error;
mod secret;
mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format as _, Serialized, Yaml};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

pub use self::env_vars::PREFIX as ENV_PREFIX;
pub use self::error::{ConfigError, ConfigIssue};
pub use self::secret::{DEV_SECRET_PREFIX, DatabaseUrl, Secret, is_dev_secret};
use crate::db::DbOptions;
use crate::telemetry::{LogFormat, TelemetrySettings};

/// The subgraphs the platform runs, in start order.
pub const SUBGRAPHS: [&str; 4] = ["identity", "authz", "audit", "blog"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub const NAMES: [&'static str; 3] = ["development", "test", "production"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "development" => Some(Self::Development),
            "test" => Some(Self::Test),
            "production" => Some(Self::Production),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

/// The sections of the configuration the kit owns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    pub env: Environment,
    pub log: LogConfig,
    pub telemetry: TelemetryConfig,
    pub database: DatabaseConfig,
    pub subgraphs: SubgraphsConfig,
    // Sections typed by other crates: accepted here, extracted with `extract_section`.
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    gateway: IgnoredAny,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    auth: IgnoredAny,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    events: IgnoredAny,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    identity: IgnoredAny,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    authz: IgnoredAny,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    audit: IgnoredAny,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    blog: IgnoredAny,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter: `info`, or `info,kit=debug,diesel=warn`.
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. Unset: no export.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    /// `service.name` of exported spans.
    pub service_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Apply pending migrations when a service starts.
    pub migrate_on_start: bool,
    /// Connections per subgraph (SQLite caps this at 4).
    pub pool_size: u32,
    /// How long SQLite waits on a locked database before failing.
    pub busy_timeout_ms: u64,
    /// How long to wait for a connection before failing the request.
    pub connect_timeout_ms: u64,
}

/// The `subgraphs` section: the built-in subgraphs, then modules made by `platform new
/// subgraph` under their own names (`subgraphs.inventory`). Which module names exist is the
/// CLI's registry's business, so it is the CLI that refuses an unknown one.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "BTreeMap<String, SubgraphConfig>")]
pub struct SubgraphsConfig {
    pub identity: SubgraphConfig,
    pub authz: SubgraphConfig,
    pub audit: SubgraphConfig,
    pub blog: SubgraphConfig,
    /// Generated modules, by name.
    pub modules: BTreeMap<String, SubgraphConfig>,
}

impl TryFrom<BTreeMap<String, SubgraphConfig>> for SubgraphsConfig {
    type Error = String;

    fn try_from(mut all: BTreeMap<String, SubgraphConfig>) -> Result<Self, String> {
        let mut take = |name: &str| {
            all.remove(name)
                .ok_or_else(|| format!("missing field `{name}`"))
        };
        Ok(Self {
            identity: take("identity")?,
            authz: take("authz")?,
            audit: take("audit")?,
            blog: take("blog")?,
            modules: all,
        })
    }
}

impl Serialize for SubgraphsConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(SUBGRAPHS.len() + self.modules.len()))?;
        for (name, subgraph) in [
            ("identity", &self.identity),
            ("authz", &self.authz),
            ("audit", &self.audit),
            ("blog", &self.blog),
        ] {
            map.serialize_entry(name, subgraph)?;
        }
        for (name, subgraph) in &self.modules {
            map.serialize_entry(name, subgraph)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubgraphConfig {
    pub listen: SocketAddr,
    /// `sqlite://data/<name>.db` or `postgres://…` (each subgraph in its own schema).
    pub database_url: DatabaseUrl,
}

impl PlatformConfig {
    /// Loads from the process: `PLATFORM_ENV`, `PLATFORM_CONFIG_DIR` (default `config`) and
    /// `PLATFORM__*` variables. Returns the layered figment too, for [`extract_section`].
    pub fn load() -> Result<(Self, Figment), ConfigError> {
        ConfigSource::from_process().load()
    }

    pub fn subgraph(&self, name: &str) -> Option<&SubgraphConfig> {
        match name {
            "identity" => Some(&self.subgraphs.identity),
            "authz" => Some(&self.subgraphs.authz),
            "audit" => Some(&self.subgraphs.audit),
            "blog" => Some(&self.subgraphs.blog),
            module => self.subgraphs.modules.get(module),
        }
    }

    /// Every subgraph with its settings: the built-in ones in start order, then the modules.
    pub fn subgraphs(&self) -> impl Iterator<Item = (&str, &SubgraphConfig)> {
        SUBGRAPHS
            .into_iter()
            .filter_map(|name| self.subgraph(name).map(|c| (name, c)))
            .chain(
                self.subgraphs
                    .modules
                    .iter()
                    .map(|(name, c)| (name.as_str(), c)),
            )
    }

    /// Pool settings for the named subgraph's database.
    pub fn db_options(&self, subgraph: &str) -> DbOptions {
        DbOptions {
            schema: subgraph.to_owned(),
            pool_size: self.database.pool_size,
            busy_timeout: Duration::from_millis(self.database.busy_timeout_ms),
            connect_timeout: Duration::from_millis(self.database.connect_timeout_ms),
        }
    }

    pub fn telemetry_settings(&self) -> TelemetrySettings {
        TelemetrySettings {
            log_level: self.log.level.clone(),
            log_format: self.log.format,
            otlp_endpoint: self.telemetry.otlp_endpoint.clone(),
            service_name: self.telemetry.service_name.clone(),
        }
    }
}

/// Where configuration comes from. [`ConfigSource::from_process`] reads the real
/// environment; tests build one by hand.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    pub dir: PathBuf,
    /// The `PLATFORM_ENV` value: selects `<dir>/<env>.yaml`.
    pub env: String,
    /// Environment variables; only `PLATFORM__*` ones are used.
    pub vars: Vec<(String, String)>,
}

impl ConfigSource {
    pub fn from_process() -> Self {
        Self {
            dir: std::env::var_os("PLATFORM_CONFIG_DIR")
                .map_or_else(|| PathBuf::from("config"), PathBuf::from),
            env: std::env::var("PLATFORM_ENV").unwrap_or_else(|_| "development".to_owned()),
            vars: std::env::vars().collect(),
        }
    }

    pub fn new(dir: impl Into<PathBuf>, env: &str) -> Self {
        Self {
            dir: dir.into(),
            env: env.to_owned(),
            vars: Vec::new(),
        }
    }

    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The merged layers, before typing.
    pub fn figment(&self) -> Result<Figment, ConfigError> {
        if Environment::parse(&self.env).is_none() {
            return Err(ConfigError::one(
                "env",
                format!(
                    "PLATFORM_ENV is `{}`; expected one of: {}",
                    self.env,
                    Environment::NAMES.join(", ")
                ),
            ));
        }
        let default = self.dir.join("default.yaml");
        if !default.is_file() {
            return Err(ConfigError::one(
                "",
                format!(
                    "{} not found (set PLATFORM_CONFIG_DIR or run from the repository root)",
                    default.display()
                ),
            ));
        }
        let mut figment = Figment::new()
            .merge(Yaml::file_exact(&default))
            .merge(Serialized::default("env", &self.env));
        // An environment without its own file just uses the defaults.
        let env_file = self.env_file();
        if env_file.is_file() {
            figment = figment.merge(Yaml::file_exact(env_file));
        }
        let mut vars: Vec<_> = self
            .vars
            .iter()
            .filter_map(|(name, value)| env_vars::EnvVar::parse(name, value))
            .collect();
        // Deterministic order, whatever order the process environment lists them in.
        vars.sort_by_cached_key(env_vars::EnvVar::order_key);
        let mut issues = Vec::new();
        for var in vars {
            match var.resolve_lists(&figment) {
                Ok(var) => figment = figment.merge(var),
                Err(issue) => issues.push(issue),
            }
        }
        if issues.is_empty() {
            Ok(figment)
        } else {
            Err(ConfigError { issues })
        }
    }

    /// Loads, types and validates the kit's sections.
    pub fn load(&self) -> Result<(PlatformConfig, Figment), ConfigError> {
        let figment = self.figment()?;
        let config: PlatformConfig = figment
            .extract()
            .map_err(|e| ConfigError::from_figment(e, ""))?;
        let mut issues = validate::validate(&config);
        if config.env == Environment::Production {
            issues.extend(validate::production_secrets(&figment, &self.dir));
        }
        if issues.is_empty() {
            Ok((config, figment))
        } else {
            Err(ConfigError { issues })
        }
    }

    fn env_file(&self) -> PathBuf {
        self.dir.join(format!("{}.yaml", self.env))
    }
}

/// Extracts and types one section (`gateway`, `identity`, ...) from the layered figment. A
/// missing section deserializes from an empty map, so types with defaults need none.
pub fn extract_section<T: DeserializeOwned>(
    figment: &Figment,
    key: &str,
) -> Result<T, ConfigError> {
    if let Ok(value) = figment.find_value(key)
        && value.as_dict().is_none()
    {
        return Err(ConfigError::one(key, "must be a map of settings"));
    }
    // `focus` keeps each value's origin; errors get the section prefix back.
    figment
        .focus(key)
        .extract()
        .map_err(|e| ConfigError::from_figment(e, key))
}

/// The effective configuration as YAML, for `platform config`: the kit's sections through
/// their types (secrets redacted), other sections as merged, with any key that looks like a
/// secret redacted.
pub fn effective_yaml(config: &PlatformConfig, figment: &Figment) -> Result<String, ConfigError> {
    effective_yaml_with(config, figment, [])
}

/// [`effective_yaml`] with some sections replaced by their typed form (defaults filled in),
/// e.g. `gateway` serialized from `router::config::GatewayConfig`.
pub fn effective_yaml_with(
    config: &PlatformConfig,
    figment: &Figment,
    typed_sections: impl IntoIterator<Item = (String, serde_json::Value)>,
) -> Result<String, ConfigError> {
    let print_error = |e: &dyn std::fmt::Display| {
        ConfigError::one("", format!("cannot print the configuration: {e}"))
    };
    let mut merged: serde_json::Value = figment
        .extract()
        .map_err(|e| ConfigError::from_figment(e, ""))?;
    let typed = serde_json::to_value(config).map_err(|e| print_error(&e))?;
    if let (Some(merged), serde_json::Value::Object(typed)) = (merged.as_object_mut(), typed) {
        merged.extend(typed);
        merged.extend(typed_sections);
    }
    validate::redact_secret_keys(&mut merged);
    serde_yaml::to_string(&merged).map_err(|e| print_error(&e))
}

/// Reads a YAML file from the config dir as a figment value (used by the production check).
fn read_layer(path: &Path) -> Option<serde_json::Value> {
    Figment::new()
        .merge(Yaml::file_exact(path))
        .extract::<serde_json::Value>()
        .ok()
}
