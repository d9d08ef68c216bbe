//! Checks that types alone cannot express, and the production secret rule.
use std::collections::BTreeMap;

use figment::Figment;
use serde_json::Value;

use super::{ConfigIssue, Environment, PlatformConfig, is_dev_secret};
use crate::db::{DbError, DbLocation, redact_url};

fn issue(key: impl Into<String>, reason: impl Into<String>) -> ConfigIssue {
    ConfigIssue {
        key: key.into(),
        reason: reason.into(),
        origin: None,
    }
}

pub(super) fn validate(config: &PlatformConfig) -> Vec<ConfigIssue> {
    let mut issues = Vec::new();
    if let Err(e) = crate::telemetry::parse_filter(&config.log.level) {
        issues.push(issue("log.level", e.to_string()));
    }
    if let Some(endpoint) = &config.telemetry.otlp_endpoint {
        let host = endpoint
            .strip_prefix("http://")
            .or_else(|| endpoint.strip_prefix("https://"));
        if !host.is_some_and(|h| !h.is_empty() && !h.starts_with('/')) {
            issues.push(issue(
                "telemetry.otlp_endpoint",
                format!("`{endpoint}` is not an http:// or https:// URL"),
            ));
        }
    }
    if config.telemetry.service_name.trim().is_empty() {
        issues.push(issue("telemetry.service_name", "must not be empty"));
    }
    if !(1..=1000).contains(&config.database.pool_size) {
        issues.push(issue("database.pool_size", "must be between 1 and 1000"));
    }
    if config.database.connect_timeout_ms == 0 {
        issues.push(issue("database.connect_timeout_ms", "must be more than 0"));
    }

    let mut ports: BTreeMap<u16, &str> = BTreeMap::new();
    for (name, subgraph) in config.subgraphs() {
        let key = format!("subgraphs.{name}");
        let port = subgraph.listen.port();
        if port == 0 {
            // Port 0 (any free port) only makes sense for tests that read the bound address.
            if config.env != Environment::Test {
                issues.push(issue(
                    format!("{key}.listen"),
                    "port 0 is only allowed with env: test",
                ));
            }
        } else if let Some(other) = ports.insert(port, name) {
            issues.push(issue(
                format!("{key}.listen"),
                format!("port {port} is also used by subgraphs.{other}.listen"),
            ));
        }
        if let Err(DbError::InvalidUrl { reason, .. }) =
            DbLocation::parse(subgraph.database_url.expose())
        {
            issues.push(issue(
                format!("{key}.database_url"),
                format!("`{}`: {reason}", subgraph.database_url.redacted()),
            ));
        }
    }
    issues
}

/// With `env: production`, refuses development secrets anywhere in the merged configuration:
/// values marked `dev-`, and values of secret-looking keys still equal to the ones committed in
/// `development.yaml`.
pub(super) fn production_secrets(figment: &Figment, dir: &std::path::Path) -> Vec<ConfigIssue> {
    let Ok(merged) = figment.extract::<Value>() else {
        return Vec::new();
    };
    let development = super::read_layer(&dir.join("development.yaml")).unwrap_or(Value::Null);
    let mut issues = Vec::new();
    walk(&merged, &mut Vec::new(), &mut |path, value| {
        let Value::String(text) = value else { return };
        let from_dev_file = path.last().is_some_and(|k| is_secret_key(k))
            && lookup(&development, path) == Some(value);
        if is_dev_secret(text) || from_dev_file {
            let key = path.join(".");
            let var = format!(
                "{}{}",
                super::ENV_PREFIX,
                path.join("__").to_ascii_uppercase()
            );
            issues.push(issue(
                key,
                format!(
                    "holds a development secret, refused with env: production; set a real value (e.g. with {var})"
                ),
            ));
        }
    });
    issues
}

/// Redacts, in place, string values under keys that name secrets, and passwords in URLs.
pub(super) fn redact_secret_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(text) if is_secret_key(key) => *text = "***".to_owned(),
                    Value::String(text) if text.contains("://") => *text = redact_url(text),
                    _ => redact_secret_keys(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secret_keys),
        _ => {}
    }
}

/// Key names that hold secrets: `secret`, `password`, `token`, `*_key`, `key`.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "password", "token", "credential"]
        .iter()
        .any(|word| key.contains(word))
        || key == "key"
        || key.ends_with("_key")
        || key.ends_with("_pem")
}

fn walk<'a>(
    value: &'a Value,
    path: &mut Vec<String>,
    visit: &mut impl FnMut(&[String], &'a Value),
) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(key.clone());
                walk(child, path, visit);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(child, path, visit);
                path.pop();
            }
        }
        leaf => visit(path, leaf),
    }
}

fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}
