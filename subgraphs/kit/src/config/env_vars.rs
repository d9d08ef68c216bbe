//! `PLATFORM__SECTION__KEY=value` environment variables as a figment provider.
use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};

/// The prefix of configuration variables; `__` separates nesting levels.
pub const PREFIX: &str = "PLATFORM__";

/// One variable, so an error can name the variable that set the bad value.
pub(super) struct EnvVar {
    name: String,
    key: String,
    value: String,
}

impl EnvVar {
    /// `None` for variables outside the `PLATFORM__` namespace.
    pub(super) fn parse(name: &str, value: &str) -> Option<Self> {
        let rest = name.strip_prefix(PREFIX)?;
        let parts: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if parts.iter().any(String::is_empty) {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            key: parts.join("."),
            value: value.to_owned(),
        })
    }
}

impl EnvVar {
    pub(super) fn name(&self) -> &str {
        &self.name
    }
}

impl Provider for EnvVar {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("environment variable {}", self.name))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        // Same typing as figment's own Env provider: "4001" is a number, "true" a bool.
        let value: Value = self
            .value
            .parse()
            .unwrap_or_else(|_| Value::from(self.value.clone()));
        let nested = figment::util::nest(&self.key, value);
        let dict = nested
            .into_dict()
            .ok_or_else(|| figment::Error::from(format!("{} is not a key path", self.name)))?;
        Ok(Profile::Default.collect(dict))
    }
}
