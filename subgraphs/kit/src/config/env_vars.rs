//! `PLATFORM__SECTION__KEY=value` environment variables as a figment provider.
//!
//! A variable ending in `_FILE` (`PLATFORM__EVENTS__REDIS_URL_FILE=/run/secrets/redis_url`)
//! sets the key without the suffix to the file's contents: how Docker and Kubernetes secrets
//! arrive without putting them in the environment.
use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};

/// The prefix of configuration variables; `__` separates nesting levels.
pub const PREFIX: &str = "PLATFORM__";
/// Suffix of variables whose value is a path to read the setting from.
pub const FILE_SUFFIX: &str = "_FILE";

/// One variable, so an error can name the variable that set the bad value.
pub(super) struct EnvVar {
    name: String,
    key: String,
    source: Source,
}

enum Source {
    Value(String),
    File(String),
}

impl EnvVar {
    /// `None` for variables outside the `PLATFORM__` namespace.
    pub(super) fn parse(name: &str, value: &str) -> Option<Self> {
        let rest = name.strip_prefix(PREFIX)?;
        let (rest, source) = match rest.strip_suffix(FILE_SUFFIX) {
            Some(rest) => (rest, Source::File(value.to_owned())),
            None => (rest, Source::Value(value.to_owned())),
        };
        let parts: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if parts.iter().any(String::is_empty) {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            key: parts.join("."),
            source,
        })
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    fn value(&self) -> Result<Value, String> {
        match &self.source {
            // Same typing as figment's own Env provider: "4001" is a number, "true" a bool.
            Source::Value(text) => Ok(text.parse().unwrap_or_else(|_| Value::from(text.clone()))),
            // File contents are secrets: always strings, without the trailing newline.
            Source::File(path) => std::fs::read_to_string(path)
                .map(|text| Value::from(text.trim_end_matches(['\n', '\r']).to_owned()))
                .map_err(|e| format!("cannot read {path} named by {}: {e}", self.name)),
        }
    }
}

impl Provider for EnvVar {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("environment variable {}", self.name))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let value = self.value().map_err(figment::Error::from)?;
        let nested = figment::util::nest(&self.key, value);
        let dict = nested
            .into_dict()
            .ok_or_else(|| figment::Error::from(format!("{} is not a key path", self.name)))?;
        Ok(Profile::Default.collect(dict))
    }
}
