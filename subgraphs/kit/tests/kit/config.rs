use std::path::{Path, PathBuf};

use kit::config::{
    ConfigError, ConfigSource, Environment, PlatformConfig, effective_yaml, extract_section,
};
use kit::telemetry::LogFormat;
use serde::Deserialize;

const DEFAULT: &str = "
env: development
log: { level: info, format: pretty }
telemetry: { service_name: platform }
database: { migrate_on_start: true, pool_size: 8, busy_timeout_ms: 5000, connect_timeout_ms: 5000 }
subgraphs:
  identity: { listen: 127.0.0.1:4001, database_url: sqlite://data/identity.db }
  authz: { listen: 127.0.0.1:4002, database_url: sqlite://data/authz.db }
  audit: { listen: 127.0.0.1:4003, database_url: sqlite://data/audit.db }
  blog: { listen: 127.0.0.1:4004, database_url: sqlite://data/blog.db }
gateway: { listen: 127.0.0.1:4000 }
";

/// A config dir with `default.yaml` plus the given files.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("default.yaml"), DEFAULT).expect("write default");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write layer");
    }
    dir
}

fn load(source: &ConfigSource) -> Result<PlatformConfig, ConfigError> {
    source.load().map(|(config, _)| config)
}

fn expect_issue(
    result: Result<PlatformConfig, ConfigError>,
    key: &str,
    reason_part: &str,
) -> ConfigError {
    let err = result.expect_err("configuration should be refused");
    let issue = err
        .issues
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("no issue for {key}: {err}"));
    assert!(
        issue.reason.contains(reason_part),
        "{key}: {}",
        issue.reason
    );
    assert!(err.to_string().contains(key), "{err}");
    err
}

fn repo_config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

#[test]
fn the_committed_config_loads_in_every_environment() {
    for env in Environment::NAMES {
        let (config, figment) = ConfigSource::new(repo_config_dir(), env)
            .load()
            .unwrap_or_else(|e| panic!("{env}: {e}"));
        assert_eq!(config.env.name(), env);
        assert_eq!(config.subgraphs().count(), 4);
        let yaml = effective_yaml(&config, &figment).expect("printable");
        assert!(yaml.contains("subgraphs:"), "{yaml}");
    }
    let (dev, _) = ConfigSource::new(repo_config_dir(), "development")
        .load()
        .expect("dev");
    assert_eq!(dev.subgraphs.identity.listen.to_string(), "127.0.0.1:4001");
    assert_eq!(
        dev.subgraphs.blog.database_url.expose(),
        "sqlite://data/blog.db"
    );
    let (test, _) = ConfigSource::new(repo_config_dir(), "test")
        .load()
        .expect("test");
    assert_eq!(test.subgraphs.audit.listen.port(), 0);
    let (prod, _) = ConfigSource::new(repo_config_dir(), "production")
        .load()
        .expect("production");
    assert_eq!(prod.log.format, LogFormat::Json);
}

#[test]
fn layers_apply_in_order_default_then_env_file_then_variables() {
    let dir = dir_with(&[(
        "development.yaml",
        "log: { level: debug }\nsubgraphs: { identity: { listen: 127.0.0.1:5001 } }\n",
    )]);
    let config = load(&ConfigSource::new(dir.path(), "development")).expect("loads");
    assert_eq!(config.log.level, "debug", "env file over default");
    assert_eq!(config.log.format, LogFormat::Pretty, "default kept");
    assert_eq!(config.subgraphs.identity.listen.port(), 5001);
    assert_eq!(
        config.subgraphs.identity.database_url.expose(),
        "sqlite://data/identity.db"
    );

    let source = ConfigSource::new(dir.path(), "development")
        .var("PLATFORM__SUBGRAPHS__IDENTITY__LISTEN", "127.0.0.1:6001")
        .var("PLATFORM__DATABASE__POOL_SIZE", "3")
        .var("PLATFORM__LOG__FORMAT", "json")
        .var("PLATFORM_ENV", "ignored: not a PLATFORM__ variable")
        .var("HOME", "/root");
    let config = load(&source).expect("loads");
    assert_eq!(
        config.subgraphs.identity.listen.port(),
        6001,
        "variable over env file"
    );
    assert_eq!(config.database.pool_size, 3, "numbers parse from variables");
    assert_eq!(config.log.format, LogFormat::Json);
}

#[test]
fn the_environment_name_selects_the_layer_and_sets_env() {
    let dir = dir_with(&[
        ("test.yaml", "log: { level: warn }\n"),
        ("development.yaml", "log: { level: trace }\n"),
    ]);
    let config = load(&ConfigSource::new(dir.path(), "test")).expect("loads");
    assert_eq!(config.env, Environment::Test);
    assert_eq!(config.log.level, "warn");
    expect_issue(
        load(&ConfigSource::new(dir.path(), "staging")),
        "env",
        "expected one of",
    );
}

#[test]
fn unknown_keys_are_named_with_their_origin() {
    let dir = dir_with(&[(
        "development.yaml",
        "subgraphs: { identity: { databse_url: sqlite://x.db } }\n",
    )]);
    let err = expect_issue(
        load(&ConfigSource::new(dir.path(), "development")),
        "subgraphs.identity.databse_url",
        "unknown key",
    );
    let origin = err.issues[0].origin.as_deref().unwrap_or_default();
    assert!(origin.ends_with("development.yaml"), "{origin}");

    let dir = dir_with(&[("development.yaml", "subgraphz: {}\n")]);
    expect_issue(
        load(&ConfigSource::new(dir.path(), "development")),
        "subgraphz",
        "unknown key",
    );
}

#[test]
fn wrong_types_are_named_from_files_and_variables() {
    let dir = dir_with(&[("development.yaml", "database: { pool_size: many }\n")]);
    expect_issue(
        load(&ConfigSource::new(dir.path(), "development")),
        "database.pool_size",
        "many",
    );

    let dir = dir_with(&[]);
    let source = ConfigSource::new(dir.path(), "development")
        .var("PLATFORM__SUBGRAPHS__BLOG__LISTEN", "everywhere");
    let err = expect_issue(load(&source), "subgraphs.blog.listen", "");
    let origin = err.issues[0].origin.as_deref().unwrap_or_default();
    assert!(
        origin.contains("PLATFORM__SUBGRAPHS__BLOG__LISTEN"),
        "{origin}"
    );

    let source = ConfigSource::new(dir.path(), "development").var("PLATFORM__LOG__FORMAT", "xml");
    expect_issue(load(&source), "log.format", "xml");
}

#[test]
fn bad_values_are_refused_after_typing() {
    let dir = dir_with(&[]);
    let with = |name: &str, value: &str| {
        load(&ConfigSource::new(dir.path(), "development").var(name, value))
    };

    expect_issue(
        with(
            "PLATFORM__SUBGRAPHS__IDENTITY__DATABASE_URL",
            "mysql://app:pw@db/platform",
        ),
        "subgraphs.identity.database_url",
        "expected postgres://",
    );
    expect_issue(
        with("PLATFORM__SUBGRAPHS__AUTHZ__LISTEN", "127.0.0.1:4001"),
        "subgraphs.authz.listen",
        "also used by subgraphs.identity.listen",
    );
    expect_issue(
        with("PLATFORM__SUBGRAPHS__BLOG__LISTEN", "127.0.0.1:0"),
        "subgraphs.blog.listen",
        "only allowed with env: test",
    );
    expect_issue(
        with("PLATFORM__LOG__LEVEL", "info,kit=loud"),
        "log.level",
        "invalid log level",
    );
    expect_issue(
        with("PLATFORM__TELEMETRY__OTLP_ENDPOINT", "collector:4318"),
        "telemetry.otlp_endpoint",
        "not an http",
    );
    expect_issue(
        with("PLATFORM__DATABASE__POOL_SIZE", "0"),
        "database.pool_size",
        "between 1 and 1000",
    );
}

#[test]
fn a_missing_config_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = load(&ConfigSource::new(dir.path(), "development")).expect_err("no default.yaml");
    assert!(err.to_string().contains("default.yaml not found"), "{err}");
}

#[test]
fn production_refuses_development_secrets() {
    let dev = "identity: { signing_secret: committed-for-dev, issuer: platform-identity }\n";
    let dir = dir_with(&[
        ("development.yaml", dev),
        ("production.yaml", "log: { format: json }\n"),
    ]);
    let prod = || ConfigSource::new(dir.path(), "production");

    // A `dev-` value anywhere, including inside a database URL.
    let err = expect_issue(
        load(&prod().var("PLATFORM__AUTH__HMAC_SECRET", "dev-secret")),
        "auth.hmac_secret",
        "development secret",
    );
    assert!(
        err.to_string().contains("PLATFORM__AUTH__HMAC_SECRET"),
        "{err}"
    );
    expect_issue(
        load(&prod().var(
            "PLATFORM__SUBGRAPHS__AUDIT__DATABASE_URL",
            "postgres://app:dev-pw@db/p",
        )),
        "subgraphs.audit.database_url",
        "development secret",
    );
    // A secret key still holding the exact value committed for development.
    expect_issue(
        load(&prod().var("PLATFORM__IDENTITY__SIGNING_SECRET", "committed-for-dev")),
        "identity.signing_secret",
        "development secret",
    );
    // Real values pass; non-secret keys may equal development's values.
    load(
        &prod()
            .var("PLATFORM__IDENTITY__SIGNING_SECRET", "a-real-secret")
            .var("PLATFORM__IDENTITY__ISSUER", "platform-identity"),
    )
    .expect("real secrets are fine");
    // Development itself accepts its own secrets.
    load(
        &ConfigSource::new(dir.path(), "development")
            .var("PLATFORM__AUTH__HMAC_SECRET", "dev-secret"),
    )
    .expect("development accepts dev secrets");
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct GatewaySection {
    listen: String,
    introspection: bool,
}

impl Default for GatewaySection {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:4000".into(),
            introspection: true,
        }
    }
}

#[derive(Debug, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
struct BlogSection {
    page_size: u32,
}

#[test]
fn other_sections_are_typed_by_their_crates() {
    let dir = dir_with(&[("development.yaml", "gateway: { introspection: false }\n")]);
    let (_, figment) = ConfigSource::new(dir.path(), "development")
        .var("PLATFORM__GATEWAY__LISTEN", "0.0.0.0:8080")
        .load()
        .expect("loads");
    let gateway: GatewaySection = extract_section(&figment, "gateway").expect("typed");
    assert_eq!(
        gateway,
        GatewaySection {
            listen: "0.0.0.0:8080".into(),
            introspection: false
        }
    );
    // An absent section takes the type's defaults.
    let blog: BlogSection = extract_section(&figment, "blog").expect("defaults");
    assert_eq!(blog, BlogSection::default());

    let (_, figment) = ConfigSource::new(dir.path(), "development")
        .var("PLATFORM__GATEWAY__LISTNE", "0.0.0.0:8080")
        .load()
        .expect("kit does not type the gateway section");
    let err = extract_section::<GatewaySection>(&figment, "gateway").expect_err("typo");
    assert!(err.mentions("gateway.listne"), "{err}");
}

#[test]
fn printed_config_redacts_secrets() {
    let dir = dir_with(&[(
        "development.yaml",
        "identity: { mail: { smtp: { host: mail, password: hunter2 } }, signing_key: abc }\n",
    )]);
    let (config, figment) = ConfigSource::new(dir.path(), "development")
        .var(
            "PLATFORM__SUBGRAPHS__IDENTITY__DATABASE_URL",
            "postgres://app:s3cret@db/platform",
        )
        .var("PLATFORM__EVENTS__REDIS_URL", "redis://:r3dis@cache:6379")
        .load()
        .expect("loads");
    let yaml = effective_yaml(&config, &figment).expect("printable");
    for secret in ["hunter2", "s3cret", "r3dis", "abc"] {
        assert!(!yaml.contains(secret), "{secret} leaked:\n{yaml}");
    }
    assert!(yaml.contains("postgres://app:***@db/platform"), "{yaml}");
    assert!(yaml.contains("host: mail"), "{yaml}");
    assert!(
        yaml.contains("listen: 127.0.0.1:4000"),
        "gateway section kept:\n{yaml}"
    );
}

#[test]
fn file_variables_read_their_value_from_a_file() {
    let dir = dir_with(&[]);
    let secret = dir.path().join("database_url");
    std::fs::write(&secret, "postgres://app:from-file@db/platform\n").expect("write secret");
    let (config, _) = ConfigSource::new(dir.path(), "development")
        .var(
            "PLATFORM__SUBGRAPHS__AUDIT__DATABASE_URL_FILE",
            secret.to_str().expect("utf-8 path"),
        )
        .load()
        .expect("loads");
    assert_eq!(
        config.subgraphs.audit.database_url.expose(),
        "postgres://app:from-file@db/platform"
    );

    let err = load(
        &ConfigSource::new(dir.path(), "development")
            .var("PLATFORM__EVENTS__REDIS_URL_FILE", "/nonexistent/redis_url"),
    )
    .expect_err("unreadable file");
    assert!(
        err.to_string().contains("PLATFORM__EVENTS__REDIS_URL_FILE"),
        "{err}"
    );
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Provider {
    name: String,
    jwks_url: String,
    #[serde(default)]
    issuers: Vec<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Jwt {
    providers: Vec<Provider>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Rule {
    key: String,
    limit: u32,
}

const PROVIDERS: &str = "
gateway:
  auth:
    jwt:
      providers:
        - name: identity
          jwks_url: http://127.0.0.1:4001/.well-known/jwks.json
          issuers: [platform-identity]
";

#[test]
fn variables_index_list_elements_and_keep_their_other_keys() {
    let dir = dir_with(&[("production.yaml", PROVIDERS)]);
    let (_, figment) = ConfigSource::new(dir.path(), "production")
        .var(
            "PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__0__JWKS_URL",
            "http://identity:4001/.well-known/jwks.json",
        )
        // Index == length appends; `_FILE` works inside lists too.
        .var(
            "PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__1__NAME",
            "partner",
        )
        .var(
            "PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__1__JWKS_URL",
            "http://partner/jwks.json",
        )
        .var(
            "PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__1__ISSUERS__0",
            "partner-idp",
        )
        .load()
        .expect("loads");
    let jwt: Jwt = extract_section(&figment, "gateway.auth.jwt").expect("typed");
    assert_eq!(
        jwt.providers,
        [
            Provider {
                name: "identity".into(),
                jwks_url: "http://identity:4001/.well-known/jwks.json".into(),
                issuers: vec!["platform-identity".into()],
            },
            Provider {
                name: "partner".into(),
                jwks_url: "http://partner/jwks.json".into(),
                issuers: vec!["partner-idp".into()],
            },
        ]
    );

    // A list no layer sets starts from the variables, in numeric order (2 before 10).
    let mut source = ConfigSource::new(dir.path(), "development");
    for i in 0..11 {
        source = source
            .var(
                &format!("PLATFORM__GATEWAY__RATE_LIMIT__RULES__{i}__KEY"),
                "ip",
            )
            .var(
                &format!("PLATFORM__GATEWAY__RATE_LIMIT__RULES__{i}__LIMIT"),
                &i.to_string(),
            );
    }
    let (_, figment) = source.load().expect("loads");
    let rules: Vec<Rule> = extract_section::<std::collections::BTreeMap<String, Vec<Rule>>>(
        &figment,
        "gateway.rate_limit",
    )
    .expect("typed")
    .remove("rules")
    .expect("rules");
    assert_eq!(rules.len(), 11);
    assert!(
        rules
            .iter()
            .enumerate()
            .all(|(i, r)| r.limit as usize == i && r.key == "ip")
    );
}

#[test]
fn list_index_errors_name_the_variable_and_typing_errors_keep_the_file() {
    let dir = dir_with(&[("production.yaml", PROVIDERS)]);
    let err = load(
        &ConfigSource::new(dir.path(), "production")
            .var("PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__2__NAME", "gap"),
    )
    .expect_err("index past the end");
    let issue = &err.issues[0];
    assert_eq!(issue.key, "gateway.auth.jwt.providers.2.name", "{err}");
    assert!(issue.reason.contains("use 1 to append"), "{err}");
    assert_eq!(
        issue.origin.as_deref(),
        Some("environment variable PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__2__NAME")
    );

    // A value the variable did not touch still reports the file it came from.
    let bad = dir_with(&[(
        "production.yaml",
        "gateway: { auth: { jwt: { providers: [{ name: identity, jwks_url: [not, a, string] }] } } }\n",
    )]);
    let (_, figment) = ConfigSource::new(bad.path(), "production")
        .var(
            "PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__0__NAME",
            "renamed",
        )
        .load()
        .expect("kit does not type the gateway section");
    let err = extract_section::<Jwt>(&figment, "gateway.auth.jwt").expect_err("wrong type");
    let issue = &err.issues[0];
    assert!(issue.key.ends_with("jwks_url"), "{err}");
    assert!(
        issue
            .origin
            .as_deref()
            .is_some_and(|o| o.ends_with("production.yaml")),
        "{err}"
    );
}

#[test]
fn the_committed_gateway_provider_can_be_pointed_elsewhere_by_variable() {
    let (_, figment) = ConfigSource::new(repo_config_dir(), "production")
        .var(
            "PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__0__JWKS_URL",
            "http://identity:4001/.well-known/jwks.json",
        )
        .load()
        .expect("loads");
    let provider = figment
        .find_value("gateway.auth.jwt.providers")
        .expect("providers")
        .into_array()
        .expect("a list")
        .remove(0);
    let dict = provider.into_dict().expect("a provider map");
    assert_eq!(
        dict["jwks_url"].as_str(),
        Some("http://identity:4001/.well-known/jwks.json")
    );
    // The committed issuer, audience and algorithms are kept.
    assert!(
        dict.contains_key("issuers") && dict.contains_key("audiences"),
        "{dict:?}"
    );
}

#[test]
fn generated_modules_are_subgraphs_sections_checked_like_the_built_in_ones() {
    let module = "subgraphs: { inventory: { listen: 127.0.0.1:4005, database_url: sqlite://data/inventory.db } }\n";
    let dir = dir_with(&[("development.yaml", module)]);
    let config = load(&ConfigSource::new(dir.path(), "development")).expect("loads");
    assert_eq!(
        config.subgraph("inventory").map(|s| s.listen.port()),
        Some(4005)
    );
    let names: Vec<&str> = config.subgraphs().map(|(name, _)| name).collect();
    assert_eq!(names, ["identity", "authz", "audit", "blog", "inventory"]);

    expect_issue(
        load(
            &ConfigSource::new(dir.path(), "development")
                .var("PLATFORM__SUBGRAPHS__INVENTORY__LISTEN", "127.0.0.1:4004"),
        ),
        "subgraphs.inventory.listen",
        "also used by subgraphs.blog.listen",
    );
    let dir = dir_with(&[(
        "development.yaml",
        "subgraphs: { inventory: { listen: 127.0.0.1:4005, databse_url: sqlite://x.db } }\n",
    )]);
    expect_issue(
        load(&ConfigSource::new(dir.path(), "development")),
        "subgraphs.inventory.databse_url",
        "unknown key",
    );
}
