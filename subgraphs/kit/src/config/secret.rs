//! Strings that must not reach logs or `platform config` output.
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::db::redact_url;

/// Prefix marking a value as a development-only secret, refused when `env: production`.
pub const DEV_SECRET_PREFIX: &str = "dev-";

/// A secret string (signing key, password, token). Debug and Serialize print `***`; read it
/// with [`Secret::expose`] where it is used, and nowhere else.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is marked development-only (see [`DEV_SECRET_PREFIX`]).
    pub fn is_dev_only(&self) -> bool {
        is_dev_secret(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("***")
    }
}

/// A database URL: printed and serialized with its password replaced by `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

/// A development-only secret: `dev-…` itself, or a URL whose user or password starts with it
/// (`postgres://app:dev-password@…`).
pub fn is_dev_secret(value: &str) -> bool {
    value.starts_with(DEV_SECRET_PREFIX)
        || value.contains(&format!("//{DEV_SECRET_PREFIX}"))
        || value.contains(&format!(":{DEV_SECRET_PREFIX}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"***\"");
        assert_eq!(secret.expose(), "hunter2");
        let url = DatabaseUrl::new("postgres://app:hunter2@db/platform");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(
            serde_json::to_string(&url).unwrap(),
            "\"postgres://app:***@db/platform\""
        );
    }

    #[test]
    fn recognises_dev_secrets() {
        assert!(Secret::new("dev-signing-key").is_dev_only());
        assert!(is_dev_secret("postgres://app:dev-password@db/platform"));
        assert!(!is_dev_secret("postgres://app:s3cret@db/platform"));
        assert!(!is_dev_secret("device"));
    }
}
