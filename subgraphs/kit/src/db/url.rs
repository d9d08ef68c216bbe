//! Database URLs: which backend a URL names, and how to show one without its password.
use std::path::PathBuf;

use super::DbError;

/// Where a database lives, parsed from a config URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbLocation {
    /// `postgres://…` or `postgresql://…`, passed to the driver as written.
    Postgres(String),
    /// `sqlite://<path>` (relative to the working directory, or absolute with `sqlite:///…`).
    SqliteFile(PathBuf),
    /// `sqlite::memory:`: one private in-memory database (tests).
    SqliteMemory,
}

impl DbLocation {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        let invalid = |reason: &str| DbError::InvalidUrl {
            url: redact_url(url),
            reason: reason.to_owned(),
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Ok(Self::SqliteMemory);
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(invalid("sqlite URL has no file path"));
            }
            if path.contains('?') {
                return Err(invalid("sqlite URL query parameters are not supported"));
            }
            return Ok(Self::SqliteFile(PathBuf::from(path)));
        }
        Err(invalid(
            "expected postgres://…, postgresql://…, sqlite://<path> or sqlite::memory:",
        ))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::SqliteFile(_) | Self::SqliteMemory => Backend::Sqlite,
        }
    }
}

/// The two database engines the kit speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        })
    }
}

/// The URL with any password replaced by `***`, safe for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:***{}",
        &url[..scheme_end + 3],
        &userinfo[..colon],
        &rest[at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        assert_eq!(
            DbLocation::parse("sqlite://data/identity.db").unwrap(),
            DbLocation::SqliteFile("data/identity.db".into())
        );
        assert_eq!(
            DbLocation::parse("sqlite:///tmp/x.db").unwrap(),
            DbLocation::SqliteFile("/tmp/x.db".into())
        );
        assert_eq!(
            DbLocation::parse("sqlite::memory:").unwrap(),
            DbLocation::SqliteMemory
        );
        assert_eq!(
            DbLocation::parse("postgres://u:p@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert!(matches!(
            DbLocation::parse("mysql://u:secret@h/db"),
            Err(DbError::InvalidUrl { url, .. }) if url == "mysql://u:***@h/db"
        ));
        assert!(DbLocation::parse("sqlite://").is_err());
    }

    #[test]
    fn redacts_only_the_password() {
        assert_eq!(
            redact_url("postgres://app:s3cr3t@db:5432/platform?sslmode=require"),
            "postgres://app:***@db:5432/platform?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://app@db/platform"),
            "postgres://app@db/platform"
        );
        assert_eq!(
            redact_url("sqlite://data/identity.db"),
            "sqlite://data/identity.db"
        );
    }
}
