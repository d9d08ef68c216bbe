//! Configuration errors: each names the key path, the reason, and where the value came from.
use std::fmt;

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted key path, e.g. `subgraphs.identity.database_url`.
    pub key: String,
    pub reason: String,
    /// Where the offending value came from (a file or an environment variable), if known.
    pub origin: Option<String>,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = if self.key.is_empty() {
            "(root)"
        } else {
            &self.key
        };
        write!(f, "{key}: {}", self.reason)?;
        if let Some(origin) = &self.origin {
            write!(f, " (from {origin})")?;
        }
        Ok(())
    }
}

/// The configuration cannot be used; lists every issue found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub issues: Vec<ConfigIssue>,
}

impl ConfigError {
    pub fn one(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            issues: vec![ConfigIssue {
                key: key.into(),
                reason: reason.into(),
                origin: None,
            }],
        }
    }

    /// Converts figment's errors; `prefix` is the section a typed extraction started at.
    pub fn from_figment(error: figment::Error, prefix: &str) -> Self {
        let issues = error
            .into_iter()
            .map(|e| {
                // Figment's path is usually complete already; add what it lacks.
                let mut path: Vec<String> = e.path.clone();
                let prefix: Vec<String> = prefix
                    .split('.')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if !path.starts_with(&prefix) {
                    path.splice(0..0, prefix);
                }
                let mut push_missing = |field: &str| {
                    if path.last().is_none_or(|last| last != field) {
                        path.push(field.to_owned());
                    }
                };
                let reason = match &e.kind {
                    figment::error::Kind::UnknownField(field, expected) => {
                        push_missing(field);
                        if expected.is_empty() {
                            "unknown key".to_owned()
                        } else {
                            format!("unknown key; expected one of: {}", expected.join(", "))
                        }
                    }
                    figment::error::Kind::MissingField(field) => {
                        push_missing(field);
                        "missing; set it in config/default.yaml or the environment's file"
                            .to_owned()
                    }
                    kind => kind.to_string(),
                };
                let origin = e.metadata.as_ref().map(|m| match &m.source {
                    Some(figment::Source::File(file)) => file.display().to_string(),
                    _ => m.name.to_string(),
                });
                ConfigIssue {
                    key: path.join("."),
                    reason,
                    origin,
                }
            })
            .collect();
        Self { issues }
    }

    pub fn mentions(&self, key: &str) -> bool {
        self.issues.iter().any(|i| i.key == key)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.issues.as_slice() {
            [one] => write!(f, "invalid configuration: {one}"),
            many => {
                write!(f, "invalid configuration:")?;
                for issue in many {
                    write!(f, "\n  - {issue}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}
